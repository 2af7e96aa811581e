"""ahmetb/kubernetes-network-policy-recipes: each recipe does what its README says it does.

The recipes create their pods with `kubectl run`, so each test writes the pods (and the
Namespaces, labelled as the README labels them) the recipe's "Try it out" section runs, and
loads them with the recipe file. `kubectl run NAME` labels its pod `run=NAME` unless told
otherwise. Expected answers come from the NetworkPolicy spec, not from what the engine says.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from builders import connects, deployment, namespace, pod, wid
from shared_corpus import corpus_path, load_graph

from drift.errors import ManifestError
from drift.ids import network_id, unlisted_id
from drift.model import ConnectsEdge, EdgeType, SystemGraph

ALL = {"SCTP": [[1, 65535]], "TCP": [[1, 65535]], "UDP": [[1, 65535]]}
DNS = {"TCP": [[53, 53]], "UDP": [[53, 53]]}
UNLISTED = unlisted_id("c")
OUTSIDE = network_id("c", "other-addresses")


def recipe(name: str) -> Path:
    return corpus_path("k8s", "network-policy-recipes", name)


def cluster(tmp_path: Path, *docs: Mapping[str, Any], name: str = "cluster.yaml") -> Path:
    """The objects `kubectl run` / `kubectl create namespace` would have made, as a file."""
    path = tmp_path / name
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False))
    return path


def run(name: str, labels: Mapping[str, str] | None = None, ns: str = "default") -> dict[str, Any]:
    """`kubectl run NAME [--labels ...] [--namespace NS]`: a bare Pod."""
    return pod(name, dict(labels or {"run": name}), namespace=ns)


def p(name: str, ns: str = "default") -> str:
    return wid(name, ns, "Pod")


def decided(graph: SystemGraph, source: str, target: str) -> dict[str, Any] | None:
    """Ports `source` may open to `target`, or None; the answer must not be unknown."""
    edge = connects(graph, source, target)
    if edge is None:
        return None
    assert edge.unknown.is_empty(), (source, target, edge.unknown.to_json(), edge.reasons)
    return edge.ports.to_json()


def answers(graph: SystemGraph, table: Mapping[tuple[str, str], Any]) -> dict[tuple[str, str], Any]:
    return {pair: decided(graph, *pair) for pair in table}


def edges_from(graph: SystemGraph, source: str) -> dict[str, dict[str, Any]]:
    return {
        e.target: e.ports.to_json()
        for e in graph.edges(EdgeType.CONNECTS)
        if isinstance(e, ConnectsEdge) and e.source == source
    }


def edges_into(graph: SystemGraph, target: str) -> dict[str, dict[str, Any]]:
    return {
        e.source: e.ports.to_json()
        for e in graph.edges(EdgeType.CONNECTS)
        if isinstance(e, ConnectsEdge) and e.target == target
    }


# -- 01: DENY all traffic to an application ------------------------------------------------


def test_01_web_deny_all_blocks_every_source_but_leaves_web_egress_open(tmp_path: Path) -> None:
    graph = load_graph(
        recipe("01-deny-all-traffic-to-an-application.yaml"),
        cluster(tmp_path, run("web", {"app": "web"}), run("test")),
    )
    assert edges_into(graph, p("web")) == {}  # "wget: download timed out"
    expected = {(p("web"), p("test")): ALL, (p("web"), OUTSIDE): ALL}  # egress not governed
    assert answers(graph, expected) == expected


# -- 02: LIMIT traffic to an application ---------------------------------------------------


def test_02_api_allow_admits_only_bookstore_pods_of_its_namespace(tmp_path: Path) -> None:
    graph = load_graph(
        recipe("02-limit-traffic-to-an-application.yaml"),
        cluster(
            tmp_path,
            namespace("default"),
            namespace("other"),
            run("apiserver", {"app": "bookstore", "role": "api"}),
            run("test"),
            run("frontend", {"app": "bookstore", "role": "frontend"}),
            run("frontend", {"app": "bookstore", "role": "frontend"}, ns="other"),
        ),
    )
    api = p("apiserver")
    expected = {
        (p("frontend"), api): ALL,  # "Traffic is allowed."
        (p("test"), api): None,  # "Traffic is blocked!"
        (p("frontend", "other"), api): None,  # a podSelector alone: own namespace only
        (UNLISTED, api): None,
        (OUTSIDE, api): None,
    }
    assert answers(graph, expected) == expected


# -- 02a: ALLOW all traffic to an application ----------------------------------------------


def test_02a_web_allow_all_overrides_web_deny_all_because_policies_add_up(
    tmp_path: Path,
) -> None:
    pods = cluster(tmp_path, namespace("default"), run("web", {"app": "web"}), run("test"))
    both = load_graph(
        recipe("01-deny-all-traffic-to-an-application.yaml"),
        recipe("02a-allow-all-traffic-to-an-application.yaml"),
        pods,
    )
    expected = {
        (p("test"), p("web")): ALL,
        (UNLISTED, p("web")): ALL,
        (OUTSIDE, p("web")): ALL,
    }
    assert answers(both, expected) == expected
    evidence = connects(both, p("test"), p("web"))
    assert evidence is not None
    assert "ingress: NetworkPolicy default/web-allow-all" in {e.text for e in evidence.evidence}


# -- 03: DENY all non-whitelisted traffic to a namespace -----------------------------------


def test_03_default_deny_all_isolates_every_pod_of_default_for_ingress_only(
    tmp_path: Path,
) -> None:
    graph = load_graph(
        recipe("03-deny-all-non-whitelisted-traffic-in-the-namespace.yaml"),
        cluster(
            tmp_path,
            run("web", {"app": "web"}),
            run("test"),
            run("client", ns="other"),
        ),
    )
    for target in (p("web"), p("test")):
        assert edges_into(graph, target) == {}, target
    expected = {
        (p("web"), p("client", "other")): ALL,  # egress is not governed
        (p("test"), UNLISTED): ALL,
        (p("client", "other"), OUTSIDE): ALL,
    }
    assert answers(graph, expected) == expected


# -- 04: DENY all traffic from other namespaces --------------------------------------------


def test_04_null_match_labels_selects_every_pod_and_admits_only_its_namespace(
    tmp_path: Path,
) -> None:
    graph = load_graph(
        recipe("04-deny-traffic-from-other-namespaces.yaml"),
        cluster(
            tmp_path,
            namespace("default"),
            namespace("foo"),
            run("web", {"app": "web"}),
            run("test"),
            run("test", ns="foo"),
        ),
    )
    expected = {
        (p("test"), p("web")): ALL,  # "Any pod in default namespace should work fine"
        (p("web"), p("test")): ALL,  # `matchLabels:` (null) selects test too
        (p("test", "foo"), p("web")): None,  # "It blocks the traffic from foo namespace!"
        (p("test", "foo"), p("test")): None,
        (UNLISTED, p("web")): None,
        (OUTSIDE, p("web")): None,
        (p("web"), p("test", "foo")): ALL,  # foo's pods are not isolated
    }
    assert answers(graph, expected) == expected


# -- 05: ALLOW traffic to an application from all namespaces -------------------------------


def test_05_empty_namespace_selector_admits_every_pod_but_no_address(tmp_path: Path) -> None:
    graph = load_graph(
        recipe("05-allow-traffic-from-all-namespaces.yaml"),
        cluster(
            tmp_path,
            namespace("default"),
            namespace("secondary"),
            run("web", {"app": "web"}),
            run("test", ns="secondary"),
            run("test"),
        ),
    )
    expected = {
        (p("test", "secondary"), p("web")): ALL,
        (p("test"), p("web")): ALL,
        (UNLISTED, p("web")): ALL,
        (OUTSIDE, p("web")): None,  # a namespaceSelector never matches an ipBlock
    }
    assert answers(graph, expected) == expected


# -- 06: ALLOW all traffic from a namespace ------------------------------------------------

RECIPE_06 = "06-allow-traffic-from-a-namespace.yaml"


def test_06_web_allow_prod_admits_namespaces_labelled_purpose_production(
    tmp_path: Path,
) -> None:
    graph = load_graph(
        recipe(RECIPE_06),
        cluster(
            tmp_path,
            namespace("default"),
            namespace("dev", {"purpose": "testing"}),
            namespace("prod", {"purpose": "production"}),
            run("web", {"app": "web"}),
            run("test", ns="dev"),
            run("test", ns="prod"),
            run("test"),
        ),
    )
    expected = {
        (p("test", "prod"), p("web")): ALL,  # "(traffic allowed)"
        (p("test", "dev"), p("web")): None,  # "(traffic blocked)"
        (p("test"), p("web")): None,  # web's own namespace is not purpose=production
        (UNLISTED, p("web")): ALL,  # another namespace may be labelled purpose=production
        (OUTSIDE, p("web")): None,
    }
    assert answers(graph, expected) == expected


def test_06_without_namespace_objects_the_namespace_labels_are_unknown(
    tmp_path: Path,
) -> None:
    graph = load_graph(
        recipe(RECIPE_06),
        cluster(
            tmp_path, run("web", {"app": "web"}), run("test", ns="dev"), run("test", ns="prod")
        ),
    )
    for ns in ("dev", "prod"):
        edge = connects(graph, p("test", ns), p("web"))
        assert edge is not None, ns
        assert edge.ports.is_empty() and edge.unknown.to_json() == ALL, ns
        assert edge.reasons == (f"labels of namespace {ns} are not in the input",)


# -- 07: ALLOW traffic from some pods in another namespace ---------------------------------

RECIPE_07 = "07-allow-traffic-from-some-pods-in-another-namespace.yaml"


def test_07_namespace_and_pod_selector_in_one_peer_must_both_match(tmp_path: Path) -> None:
    graph = load_graph(
        recipe(RECIPE_07),
        cluster(
            tmp_path,
            namespace("default"),
            namespace("other", {"team": "operations"}),
            run("web", {"app": "web"}),
            run("test"),
            run("monitor", {"type": "monitoring"}),
            run("test", ns="other"),
            run("monitor", {"type": "monitoring"}, ns="other"),
        ),
    )
    web = p("web")
    expected = {
        (p("test"), web): None,  # default, unlabelled: blocked
        (p("monitor"), web): None,  # default, type=monitoring: blocked
        (p("test", "other"), web): None,  # other, unlabelled: blocked
        (p("monitor", "other"), web): ALL,  # other (team=operations), type=monitoring
        (UNLISTED, web): ALL,  # some unlisted team=operations namespace may have one
        (OUTSIDE, web): None,
    }
    assert answers(graph, expected) == expected


def test_07_without_the_namespace_object_only_the_pod_half_is_decided(tmp_path: Path) -> None:
    graph = load_graph(
        recipe(RECIPE_07),
        cluster(
            tmp_path,
            run("web", {"app": "web"}),
            run("test", ns="other"),
            run("monitor", {"type": "monitoring"}, ns="other"),
        ),
    )
    assert connects(graph, p("test", "other"), p("web")) is None
    edge = connects(graph, p("monitor", "other"), p("web"))
    assert edge is not None
    assert edge.ports.is_empty() and edge.unknown.to_json() == ALL
    assert edge.reasons == ("labels of namespace other are not in the input",)


# -- 08: ALLOW traffic from external clients -----------------------------------------------


def test_08_rule_without_from_admits_pods_other_namespaces_and_the_internet(
    tmp_path: Path,
) -> None:
    graph = load_graph(
        recipe("08-allow-external-traffic.yaml"),
        cluster(tmp_path, run("web", {"app": "web"}), run("test")),
    )
    expected = {(p("test"), p("web")): ALL, (UNLISTED, p("web")): ALL, (OUTSIDE, p("web")): ALL}
    assert answers(graph, expected) == expected


# -- 09: ALLOW traffic only to a port of an application ------------------------------------


def test_09_monitoring_pods_reach_port_5000_only(tmp_path: Path) -> None:
    two_ports = [
        {"name": "http", "containerPort": 8000},
        {"name": "metrics", "containerPort": 5000},
    ]
    graph = load_graph(
        recipe("09-allow-traffic-only-to-a-port.yaml"),
        cluster(
            tmp_path,
            namespace("default"),
            namespace("other"),
            pod("apiserver", {"app": "apiserver"}, ports=two_ports),
            run("test"),
            run("monitor", {"role": "monitoring"}),
            run("monitor", {"role": "monitoring"}, ns="other"),
        ),
    )
    api = p("apiserver")
    expected = {
        (p("monitor"), api): {"TCP": [[5000, 5000]]},  # 5000 allowed, 8000 still blocked
        (p("test"), api): None,  # both ports blocked
        (p("monitor", "other"), api): None,  # "in the same namespace"
        (UNLISTED, api): None,
        (OUTSIDE, api): None,
    }
    assert answers(graph, expected) == expected


# -- 10: ALLOW traffic from apps using multiple selectors ----------------------------------


def test_10_peers_are_ored_and_labels_within_one_selector_anded(tmp_path: Path) -> None:
    graph = load_graph(
        recipe("10-allowing-traffic-with-multiple-selectors.yaml"),
        cluster(
            tmp_path,
            pod("db", {"app": "bookstore", "role": "db"}, ports=[{"containerPort": 6379}]),
            run("search", {"app": "bookstore", "role": "search"}),
            run("api", {"app": "bookstore", "role": "api"}),
            run("catalog", {"app": "inventory", "role": "web"}),
            run("other", {"app": "other"}),
            run("frontend", {"app": "bookstore", "role": "frontend"}),
            run("inventory-api", {"app": "inventory", "role": "api"}),
        ),
    )
    db = p("db")
    expected = {
        (p("search"), db): ALL,
        (p("api"), db): ALL,
        (p("catalog"), db): ALL,  # "(works)"
        (p("other"), db): None,  # "(traffic blocked)"
        (p("frontend"), db): None,  # app=bookstore alone is not enough
        (p("inventory-api"), db): None,  # nor app=inventory with another role
        (UNLISTED, db): None,
        (OUTSIDE, db): None,
    }
    assert answers(graph, expected) == expected


# -- 11: DENY egress traffic from an application -------------------------------------------

RECIPE_11 = "11-deny-egress-traffic-from-an-application.yaml"


def recipe_11_versions(tmp_path: Path) -> tuple[Path, Path]:
    """The recipe's two `foo-deny-egress` documents, each in a file of its own."""
    first, second = (d for d in yaml.safe_load_all(recipe(RECIPE_11).read_text()) if d)
    assert first["metadata"]["name"] == second["metadata"]["name"] == "foo-deny-egress"
    assert first["spec"]["egress"] == [] and second["spec"]["egress"] != []
    return (
        cluster(tmp_path, first, name="foo-deny-egress-v1.yaml"),
        cluster(tmp_path, second, name="foo-deny-egress-v2.yaml"),
    )


def test_11_loading_both_versions_together_is_refused_naming_both_places() -> None:
    path = recipe(RECIPE_11)
    with pytest.raises(ManifestError) as caught:
        load_graph(path)
    [problem] = caught.value.problems
    assert "NetworkPolicy default/foo-deny-egress" in problem
    assert problem.startswith(f"{path}:6: ")  # the first document
    assert problem.endswith(f" {path}:18")  # the second one


def test_11_first_version_denies_all_egress_of_foo_including_dns(tmp_path: Path) -> None:
    deny_all, _ = recipe_11_versions(tmp_path)
    graph = load_graph(
        deny_all,
        cluster(
            tmp_path,
            namespace("kube-system"),
            deployment("coredns", {"k8s-app": "kube-dns"}, namespace="kube-system"),
            run("web", {"app": "web"}),
            run("foo", {"app": "foo"}),
        ),
    )
    assert edges_from(graph, p("foo")) == {}
    # Only foo's egress is governed: everything may still reach foo.
    expected = {(p("web"), p("foo")): ALL, (OUTSIDE, p("foo")): ALL, (UNLISTED, p("foo")): ALL}
    assert answers(graph, expected) == expected


def test_11_second_version_admits_dns_to_kube_dns_only(tmp_path: Path) -> None:
    _, allow_dns = recipe_11_versions(tmp_path)
    graph = load_graph(
        allow_dns,
        cluster(
            tmp_path,
            namespace("kube-system"),
            deployment("coredns", {"k8s-app": "kube-dns"}, namespace="kube-system"),
            deployment("metrics-server", namespace="kube-system"),
            run("web", {"app": "web"}),
            run("foo", {"app": "foo"}),
        ),
    )
    coredns = wid("coredns", "kube-system")
    assert edges_from(graph, p("foo")) == {coredns: DNS}  # "the traffic is blocked" elsewhere
    assert decided(graph, p("foo"), coredns) == DNS


def test_11_second_version_without_kube_system_admits_dns_to_unlisted_pods_only(
    tmp_path: Path,
) -> None:
    _, allow_dns = recipe_11_versions(tmp_path)
    graph = load_graph(
        allow_dns, cluster(tmp_path, run("web", {"app": "web"}), run("foo", {"app": "foo"}))
    )
    # kube-system is not in the input: its kube-dns pods are among the unlisted ones.
    assert edges_from(graph, p("foo")) == {UNLISTED: DNS}
    assert decided(graph, p("foo"), UNLISTED) == DNS


def test_11_kube_system_known_only_by_name_still_decides_the_dns_rule(tmp_path: Path) -> None:
    _, allow_dns = recipe_11_versions(tmp_path)
    graph = load_graph(
        allow_dns,
        cluster(
            tmp_path,
            deployment("coredns", {"k8s-app": "kube-dns"}, namespace="kube-system"),
            run("foo", {"app": "foo"}),
        ),
    )
    # No Namespace object, but every namespace carries kubernetes.io/metadata.name.
    assert decided(graph, p("foo"), wid("coredns", "kube-system")) == DNS
    assert connects(graph, p("foo"), UNLISTED) is None


# The node-local DNS cache: a hostNetwork DaemonSet (not kube-dns, not k8s-app=kube-dns).
NODE_LOCAL_DNS = deployment(
    "node-local-dns",
    {"k8s-app": "node-local-dns"},
    namespace="kube-system",
    kind="DaemonSet",
    host_network=True,
)


def host_network_answer(graph: SystemGraph, source: str) -> tuple[Any, Any] | None:
    """(admitted, unknown) from `source` to node-local-dns; the reason must say hostNetwork."""
    edge = connects(graph, source, wid("node-local-dns", "kube-system", "DaemonSet"))
    if edge is None:
        return None
    assert "hostNetwork" in " ".join(edge.reasons), edge.reasons
    return edge.ports.to_json(), edge.unknown.to_json()


# -- 12: DENY all non-whitelisted traffic from a namespace ---------------------------------


def test_12_default_deny_all_egress_blocks_everything_leaving_default(tmp_path: Path) -> None:
    graph = load_graph(
        recipe("12-deny-all-non-whitelisted-traffic-from-the-namespace.yaml"),
        cluster(
            tmp_path,
            namespace("kube-system"),
            deployment("coredns", {"k8s-app": "kube-dns"}, namespace="kube-system"),
            run("web", {"app": "web"}),
            run("test"),
            run("client", ns="other"),
        ),
    )
    for source in (p("web"), p("test")):
        assert edges_from(graph, source) == {}, source  # "(including DNS resolution)"
    expected = {
        (p("client", "other"), p("web")): ALL,  # ingress of default is not governed
        (wid("coredns", "kube-system"), p("test")): ALL,
        (OUTSIDE, p("web")): ALL,
        (p("client", "other"), OUTSIDE): ALL,  # other namespaces keep their egress
    }
    assert answers(graph, expected) == expected


def test_12_egress_to_a_host_network_pod_is_denied_either_way(tmp_path: Path) -> None:
    """NetworkPolicy behaviour for hostNetwork pods is undefined, but the docs name the two
    behaviours plugins may have: treat them as pods, or as their node's address. Egress to
    the node is not exempt (only traffic *from* a pod's own node is), so `egress: []`
    denies the node-local DNS cache in both: no edge."""
    graph = load_graph(
        recipe("12-deny-all-non-whitelisted-traffic-from-the-namespace.yaml"),
        cluster(
            tmp_path,
            namespace("kube-system"),
            NODE_LOCAL_DNS,
            run("test"),
        ),
    )
    assert host_network_answer(graph, p("test")) is None


# -- 14: DENY external egress traffic ------------------------------------------------------

RECIPE_14 = "14-deny-external-egress-traffic.yaml"


def test_14_as_published_admits_dns_to_kube_dns_and_nothing_else(tmp_path: Path) -> None:
    """The README's prose still says foo reaches `web` ("connection is allowed"), but at this
    commit its YAML only allows DNS to kube-dns: foo -> web is blocked by the spec."""
    graph = load_graph(
        recipe(RECIPE_14),
        cluster(
            tmp_path,
            namespace("default"),
            namespace("kube-system"),
            deployment("coredns", {"k8s-app": "kube-dns"}, namespace="kube-system"),
            run("web", {"app": "web"}),
            run("foo", {"app": "foo"}),
        ),
    )
    coredns = wid("coredns", "kube-system")
    assert edges_from(graph, p("foo")) == {coredns: DNS}
    expected = {
        (p("foo"), coredns): DNS,
        (p("foo"), p("web")): None,
        (p("foo"), OUTSIDE): None,  # external egress denied
        (p("foo"), UNLISTED): None,
        (p("web"), p("foo")): ALL,  # ingress of foo is not governed
        (p("web"), OUTSIDE): ALL,  # web is not selected
    }
    assert answers(graph, expected) == expected


def test_14_without_kube_system_dns_goes_to_unlisted_and_addresses_stay_denied(
    tmp_path: Path,
) -> None:
    graph = load_graph(
        recipe(RECIPE_14),
        cluster(tmp_path, run("web", {"app": "web"}), run("foo", {"app": "foo"})),
    )
    assert edges_from(graph, p("foo")) == {UNLISTED: DNS}
    assert decided(graph, p("foo"), UNLISTED) == DNS
    assert connects(graph, p("foo"), OUTSIDE) is None


def test_14_egress_to_a_host_network_pod_follows_both_allowed_behaviours(
    tmp_path: Path,
) -> None:
    """node-local-dns is not k8s-app=kube-dns, so as a pod it is not admitted; as its node's
    address it is matched by no ipBlock. Both behaviours deny: no edge. Labelled like
    kube-dns, it is admitted as a pod and not as a node: DNS ports unknown, rest denied."""
    graph = load_graph(
        recipe(RECIPE_14),
        cluster(tmp_path, namespace("kube-system"), NODE_LOCAL_DNS, run("foo", {"app": "foo"})),
    )
    assert host_network_answer(graph, p("foo")) is None
    like_kube_dns = deployment(
        "node-local-dns",
        {"k8s-app": "kube-dns"},
        namespace="kube-system",
        kind="DaemonSet",
        host_network=True,
    )
    graph = load_graph(
        recipe(RECIPE_14),
        cluster(tmp_path, namespace("kube-system"), like_kube_dns, run("foo", {"app": "foo"})),
    )
    assert host_network_answer(graph, p("foo")) == ({}, DNS)
