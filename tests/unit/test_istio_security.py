"""Istio security semantics, one documented rule per test.

Inputs are small manifests read through the manifest collector (as `drift check` reads
them); expected answers come from Istio's documentation (Installing the sidecar,
PeerAuthentication and AuthorizationPolicy references), not from what the engine says.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import pytest
import yaml

from collectors.kubernetes.manifests import load_manifests
from drift.collect import ReadOptions
from drift.errors import ManifestError
from drift.k8s.inventory import build_inventory
from drift.k8s.istio_injection import Dataplane
from drift.k8s.istio_security import AuthzAnswer, MeshModel, MeshOptions, build_mesh_model
from drift.k8s.workloads import Workload
from drift.model import MtlsMode
from drift.ports import PortSet, Protocol

ENABLED = {"istio-injection": "enabled"}


# -- inputs -------------------------------------------------------------------------------


def namespace(name: str, labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def app(
    name: str,
    namespace: str = "default",
    *,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
    account: str | None = None,
    host_network: bool = False,
) -> dict[str, Any]:
    pod_labels = {"app": name, **(labels or {})}
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": "i"}]}
    if account:
        spec["serviceAccountName"] = account
    if host_network:
        spec["hostNetwork"] = True
    template: dict[str, Any] = {"metadata": {"labels": pod_labels}, "spec": spec}
    if annotations:
        template["metadata"]["annotations"] = dict(annotations)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"selector": {"matchLabels": {"app": name}}, "template": template},
    }


def peer(name: str, namespace: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "security.istio.io/v1",
        "kind": "PeerAuthentication",
        "metadata": {"name": name, "namespace": namespace},
        "spec": dict(spec),
    }


def authz(
    name: str,
    namespace: str,
    spec: Mapping[str, Any] | None,
    annotations: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": namespace}
    if annotations:
        meta["annotations"] = dict(annotations)
    doc: dict[str, Any] = {
        "apiVersion": "security.istio.io/v1",
        "kind": "AuthorizationPolicy",
        "metadata": meta,
    }
    if spec is not None:
        doc["spec"] = dict(spec)
    return doc


def mesh(*docs: Mapping[str, Any], **options: Any) -> tuple[MeshModel, dict[str, Workload]]:
    """The mesh model of `docs`, written as one YAML stream and read like `drift check`."""
    text = yaml.safe_dump_all(docs, sort_keys=False).encode()
    collection = load_manifests(["-"], ReadOptions(), stdin=io.BytesIO(text))
    inventory = build_inventory("c", collection.objects)
    model = build_mesh_model(inventory, MeshOptions(**options))
    return model, {w.name: w for w in inventory.workloads}


def problems(*docs: Mapping[str, Any]) -> list[str]:
    with pytest.raises(ManifestError) as caught:
        mesh(*docs)
    return caught.value.problems


def state(answer: AuthzAnswer, port: int, protocol: Protocol = Protocol.TCP) -> str:
    found = [
        name
        for name in ("admitted", "denied", "unknown")
        if (protocol, port) in getattr(answer, name)
    ]
    assert len(found) == 1, (port, found)
    return found[0]


def tcp(*ports: int) -> PortSet:
    return PortSet({Protocol.TCP: [(p, p) for p in ports]})


# -- who is in the mesh ---------------------------------------------------------------------


def test_a_namespace_label_injects_and_a_disabled_label_wins_over_one_that_enables() -> None:
    m, w = mesh(
        namespace("on", ENABLED),
        namespace("off", {"istio-injection": "disabled"}),
        app("a", "on"),
        app("b", "off", labels={"sidecar.istio.io/inject": "true"}),
        app("c", "on", labels={"sidecar.istio.io/inject": "false"}),
    )
    assert m.membership(w["a"]).dataplane is Dataplane.SIDECAR
    assert m.membership(w["b"]).dataplane is Dataplane.NONE
    assert m.membership(w["c"]).dataplane is Dataplane.NONE


def test_a_pod_label_injects_in_an_unlabelled_namespace_but_the_legacy_annotation_cannot() -> None:
    m, w = mesh(
        namespace("plain"),
        app("label", "plain", labels={"sidecar.istio.io/inject": "true"}),
        app("annotation", "plain", annotations={"sidecar.istio.io/inject": "true"}),
    )
    assert m.membership(w["label"]).dataplane is Dataplane.SIDECAR
    # No injection webhook selects the pod on an annotation: it is never seen.
    assert m.membership(w["annotation"]).dataplane is Dataplane.NONE


def test_the_legacy_annotation_opts_out_and_the_label_wins_when_both_are_set() -> None:
    m, w = mesh(
        namespace("on", ENABLED),
        app("out", "on", annotations={"sidecar.istio.io/inject": "false"}),
        app(
            "both",
            "on",
            labels={"sidecar.istio.io/inject": "true"},
            annotations={"sidecar.istio.io/inject": "false"},
        ),
        app("yes", "on", annotations={"sidecar.istio.io/inject": "Yes"}),
    )
    assert m.membership(w["out"]).dataplane is Dataplane.NONE
    assert m.membership(w["both"]).dataplane is Dataplane.SIDECAR
    assert m.membership(w["yes"]).dataplane is Dataplane.SIDECAR


def test_istio_injection_wins_over_a_revision_label_and_a_revision_label_injects() -> None:
    m, w = mesh(
        namespace("both", {"istio-injection": "disabled", "istio.io/rev": "canary"}),
        namespace("rev", {"istio.io/rev": "canary"}),
        namespace("plain"),
        app("a", "both"),
        app("b", "rev"),
        app("c", "plain", labels={"istio.io/rev": "canary"}),
        app("d", "rev", labels={"sidecar.istio.io/inject": "false"}),
    )
    assert m.membership(w["a"]).dataplane is Dataplane.NONE
    assert m.membership(w["b"]).dataplane is Dataplane.SIDECAR
    assert m.membership(w["c"]).dataplane is Dataplane.SIDECAR
    assert m.membership(w["d"]).dataplane is Dataplane.NONE


def test_without_any_label_pods_are_injected_only_when_the_mesh_injects_by_default() -> None:
    docs = (namespace("plain"), app("a", "plain"))
    m, w = mesh(*docs)
    assert m.membership(w["a"]).dataplane is Dataplane.NONE
    m, w = mesh(*docs, inject_by_default=True)
    assert m.membership(w["a"]).dataplane is Dataplane.SIDECAR


def test_host_network_pods_and_the_system_namespaces_are_never_injected() -> None:
    m, w = mesh(
        namespace("on", ENABLED),
        namespace("kube-system", ENABLED),
        app("host", "on", host_network=True),
        app("dns", "kube-system"),
    )
    assert m.membership(w["host"]).dataplane is Dataplane.NONE
    assert m.membership(w["dns"]).dataplane is Dataplane.NONE


def test_a_namespace_whose_labels_are_unknown_leaves_injection_unknown() -> None:
    m, w = mesh(
        app("a", "elsewhere"), app("b", "elsewhere", labels={"sidecar.istio.io/inject": "false"})
    )
    assert m.membership(w["a"]).dataplane is Dataplane.UNKNOWN
    assert (
        m.membership(w["b"]).dataplane is Dataplane.NONE
    )  # the pod opts out whatever the namespace
    mtls = m.mtls(w["a"])
    assert mtls.mode(8080) is MtlsMode.UNKNOWN  # PERMISSIVE with a sidecar, plaintext without
    assert mtls.mode(53, Protocol.UDP) is MtlsMode.DISABLED  # never captured either way


def test_ambient_mode_is_reported_and_leaves_membership_and_mtls_unknown() -> None:
    m, w = mesh(
        namespace("amb", {"istio.io/dataplane-mode": "ambient"}),
        app("a", "amb"),
        app("out", "amb", labels={"istio.io/dataplane-mode": "none"}),
        peer("strict", "amb", {"mtls": {"mode": "STRICT"}}),
    )
    assert m.membership(w["a"]).dataplane is Dataplane.AMBIENT
    assert m.mtls(w["a"]).mode(8080) is MtlsMode.UNKNOWN
    assert any("ambient" in r for r in m.mtls(w["a"]).reasons)
    assert state(m.authz(None, w["a"]), 8080) == "unknown"
    assert m.membership(w["out"]).dataplane is Dataplane.NONE
    assert "namespace amb is in ambient mode, which is not modelled" in m.notes


# -- mTLS per port --------------------------------------------------------------------------


def test_without_a_peer_authentication_a_sidecar_is_permissive() -> None:
    m, w = mesh(namespace("on", ENABLED), app("a", "on"))
    assert m.mtls(w["a"]).default is MtlsMode.PERMISSIVE
    assert m.mtls(w["a"]).mode(8080) is MtlsMode.PERMISSIVE


def test_the_workload_level_beats_the_namespace_level_which_beats_the_mesh_level() -> None:
    m, w = mesh(
        namespace("on", ENABLED),
        namespace("other", ENABLED),
        app("a", "on"),
        app("b", "on"),
        app("c", "other"),
        peer("mesh", "istio-system", {"mtls": {"mode": "STRICT"}}),
        peer("ns", "on", {"mtls": {"mode": "PERMISSIVE"}}),
        peer("wl", "on", {"selector": {"matchLabels": {"app": "a"}}, "mtls": {"mode": "DISABLE"}}),
    )
    assert m.mtls(w["a"]).default is MtlsMode.DISABLED
    assert m.mtls(w["b"]).default is MtlsMode.PERMISSIVE
    assert m.mtls(w["c"]).default is MtlsMode.STRICT


def test_the_mesh_level_is_the_root_namespace_which_is_a_parameter() -> None:
    docs = (
        namespace("on", ENABLED),
        app("a", "on"),
        peer("mesh", "istio-config", {"mtls": {"mode": "STRICT"}}),
    )
    m, w = mesh(*docs)
    assert m.mtls(w["a"]).default is MtlsMode.PERMISSIVE  # istio-config is just a namespace
    m, w = mesh(*docs, root_namespace="istio-config")
    assert m.mtls(w["a"]).default is MtlsMode.STRICT


def test_unset_inherits_from_the_parent_level() -> None:
    m, w = mesh(
        namespace("on", ENABLED),
        app("a", "on"),
        peer("ns", "on", {"mtls": {"mode": "STRICT"}}),
        peer(
            "wl",
            "on",
            {
                "selector": {"matchLabels": {"app": "a"}},
                "mtls": {"mode": "UNSET"},
                "portLevelMtls": {8080: {"mode": "DISABLE"}},
            },
        ),
    )
    mtls = m.mtls(w["a"])
    assert mtls.default is MtlsMode.STRICT
    assert mtls.mode(8080) is MtlsMode.DISABLED


def test_port_level_mtls_overrides_one_pod_port_and_unset_there_inherits_the_workload() -> None:
    m, w = mesh(
        namespace("on", ENABLED),
        app("a", "on"),
        peer(
            "wl",
            "on",
            {
                "selector": {"matchLabels": {"app": "a"}},
                "mtls": {"mode": "PERMISSIVE"},
                "portLevelMtls": {"8080": {"mode": "STRICT"}, "9090": {"mode": "UNSET"}},
            },
        ),
    )
    mtls = m.mtls(w["a"])
    assert mtls.mode(8080) is MtlsMode.STRICT
    assert mtls.mode(9090) is MtlsMode.PERMISSIVE
    assert mtls.mode(8081) is MtlsMode.PERMISSIVE
    assert mtls.having(MtlsMode.STRICT) == tcp(8080)


def test_policies_that_disagree_at_one_level_make_the_mode_unknown_and_are_named() -> None:
    m, w = mesh(
        namespace("on", ENABLED),
        app("a", "on"),
        peer("one", "on", {"mtls": {"mode": "STRICT"}}),
        peer("two", "on", {"mtls": {"mode": "PERMISSIVE"}}),
    )
    mtls = m.mtls(w["a"])
    assert mtls.default is MtlsMode.UNKNOWN
    assert any("on/one" in r and "on/two" in r for r in mtls.reasons)


def test_policies_that_agree_at_one_level_decide_and_disagreement_is_per_port() -> None:
    m, w = mesh(
        namespace("on", ENABLED),
        app("a", "on"),
        peer("one", "on", {"mtls": {"mode": "STRICT"}}),
        peer("two", "on", {"mtls": {"mode": "STRICT"}}),
        peer(
            "w1",
            "on",
            {"selector": {"matchLabels": {"app": "a"}}, "portLevelMtls": {80: {"mode": "DISABLE"}}},
        ),
        peer(
            "w2",
            "on",
            {"selector": {"matchLabels": {"app": "a"}}, "portLevelMtls": {81: {"mode": "DISABLE"}}},
        ),
    )
    mtls = m.mtls(w["a"])
    assert mtls.default is MtlsMode.STRICT
    assert mtls.mode(80) is MtlsMode.UNKNOWN
    assert mtls.mode(81) is MtlsMode.UNKNOWN
    assert mtls.mode(82) is MtlsMode.STRICT


def test_a_selector_on_a_label_set_per_pod_may_select_so_the_mode_is_unknown() -> None:
    m, w = mesh(
        namespace("on", ENABLED),
        app("a", "on"),
        peer(
            "hash",
            "on",
            {"selector": {"matchLabels": {"pod-template-hash": "abc"}}, "mtls": {"mode": "STRICT"}},
        ),
    )
    mtls = m.mtls(w["a"])
    assert mtls.default is MtlsMode.UNKNOWN  # STRICT if it selects, PERMISSIVE if not
    assert any("on/hash" in r and "unknown" in r for r in mtls.reasons)


def test_an_unmeshed_workload_is_plaintext_whatever_the_policies_say() -> None:
    m, w = mesh(
        namespace("plain"),
        app("a", "plain"),
        peer("mesh", "istio-system", {"mtls": {"mode": "STRICT"}}),
        peer(
            "wl", "plain", {"selector": {"matchLabels": {"app": "a"}}, "mtls": {"mode": "STRICT"}}
        ),
    )
    mtls = m.mtls(w["a"])
    assert mtls.ports == {MtlsMode.DISABLED: PortSet.every()}
    assert any("plain/wl" in n and "no sidecar" in n for n in mtls.notes)


def test_a_selector_in_the_root_namespace_is_ignored() -> None:
    m, w = mesh(
        namespace("on", ENABLED),
        app("a", "on"),
        peer(
            "sel",
            "istio-system",
            {"selector": {"matchLabels": {"app": "a"}}, "mtls": {"mode": "STRICT"}},
        ),
    )
    assert m.mtls(w["a"]).default is MtlsMode.PERMISSIVE
    assert any("istio-system/sel" in n and "ignores" in n for n in m.notes)


def test_ports_the_sidecar_does_not_capture_are_plaintext() -> None:
    m, w = mesh(
        namespace("on", ENABLED),
        app("a", "on", annotations={"traffic.sidecar.istio.io/excludeInboundPorts": "9000, 9001"}),
        app("b", "on", annotations={"traffic.sidecar.istio.io/includeInboundPorts": "8080"}),
        peer("mesh", "istio-system", {"mtls": {"mode": "STRICT"}}),
    )
    a, b = m.mtls(w["a"]), m.mtls(w["b"])
    assert a.mode(8080) is MtlsMode.STRICT
    assert a.mode(9001) is MtlsMode.DISABLED
    assert a.mode(15021) is MtlsMode.DISABLED  # the proxy's own health port
    assert a.mode(8080, Protocol.UDP) is MtlsMode.DISABLED  # sidecars capture TCP only
    assert b.mode(8080) is MtlsMode.STRICT
    assert b.mode(8081) is MtlsMode.DISABLED
    assert state(m.authz(None, w["a"]), 9001) == "admitted"  # nothing polices it
    assert state(m.authz(None, w["a"]), 8080) == "denied"


def test_mtls_over_several_ports_is_the_weakest_or_unknown() -> None:
    m, w = mesh(
        namespace("on", ENABLED),
        app("a", "on"),
        peer(
            "wl",
            "on",
            {
                "selector": {"matchLabels": {"app": "a"}},
                "mtls": {"mode": "STRICT"},
                "portLevelMtls": {80: {"mode": "PERMISSIVE"}},
            },
        ),
    )
    mtls = m.mtls(w["a"])
    assert mtls.over(tcp(443)) is MtlsMode.STRICT
    assert mtls.over(tcp(80, 443)) is MtlsMode.PERMISSIVE


# -- authorization --------------------------------------------------------------------------


def two_apps(*policies: Mapping[str, Any], **options: Any) -> tuple[MeshModel, dict[str, Workload]]:
    """`client` and `server` with sidecars in namespace `on`, `outsider` without."""
    return mesh(
        namespace("on", ENABLED),
        namespace("plain"),
        app("client", "on", account="client"),
        app("other", "on", account="other"),
        app("server", "on", account="server"),
        app("outsider", "plain", account="outsider"),
        *policies,
        **options,
    )


def test_without_authorization_policies_every_caller_is_admitted() -> None:
    m, w = two_apps()
    for source in (w["client"], w["outsider"], None):
        answer = m.authz(source, w["server"])
        assert answer.admitted == PortSet.every()
        assert answer.denied.is_empty() and answer.unknown.is_empty()


def test_an_allow_policy_turns_the_default_to_deny_for_what_it_does_not_match() -> None:
    m, w = two_apps(
        authz(
            "allow",
            "on",
            {
                "selector": {"matchLabels": {"app": "server"}},
                "rules": [
                    {"from": [{"source": {"principals": ["cluster.local/ns/on/sa/client"]}}]}
                ],
            },
        ),
    )
    assert state(m.authz(w["client"], w["server"]), 8080) == "admitted"
    assert state(m.authz(w["other"], w["server"]), 8080) == "denied"
    assert state(m.authz(w["other"], w["client"]), 8080) == "admitted"  # not selected
    denied = m.authz(w["other"], w["server"])
    assert any("no ALLOW policy admits" in r for r in denied.reasons)
    assert [e.text for e in denied.evidence] == ["AuthorizationPolicy on/allow (ALLOW)"]


def test_an_allow_policy_without_rules_denies_all_and_an_empty_rule_admits_all() -> None:
    m, w = two_apps(authz("allow-nothing", "on", {}))
    assert state(m.authz(w["client"], w["server"]), 8080) == "denied"
    m, w = two_apps(authz("allow-nothing", "on", None))  # no spec at all: the same
    assert state(m.authz(w["client"], w["server"]), 8080) == "denied"
    m, w = two_apps(authz("allow-nothing", "on", {}), authz("allow-all", "on", {"rules": [{}]}))
    assert state(m.authz(w["client"], w["server"]), 8080) == "admitted"
    assert state(m.authz(None, w["server"]), 8080) == "admitted"  # PERMISSIVE: plaintext is fine


def test_deny_wins_over_allow() -> None:
    m, w = two_apps(
        authz("allow-all", "on", {"rules": [{}]}),
        authz(
            "deny",
            "on",
            {
                "action": "DENY",
                "rules": [
                    {
                        "from": [{"source": {"namespaces": ["on"]}}],
                        "to": [{"operation": {"ports": ["8080"]}}],
                    }
                ],
            },
        ),
    )
    answer = m.authz(w["client"], w["server"])
    assert state(answer, 8080) == "denied"
    assert state(answer, 8081) == "admitted"
    assert any("on/deny (DENY) denies" in r for r in answer.reasons)


def test_principals_and_namespaces_only_match_over_mtls() -> None:
    rule = {"from": [{"source": {"principals": ["*"]}}]}
    m, w = two_apps(
        authz("allow", "on", {"rules": [rule]}),
        peer(
            "wl",
            "on",
            {
                "selector": {"matchLabels": {"app": "server"}},
                "portLevelMtls": {9000: {"mode": "DISABLE"}},
            },
        ),
    )
    assert state(m.authz(w["client"], w["server"]), 8080) == "admitted"  # auto mTLS
    assert state(m.authz(w["client"], w["server"]), 9000) == "denied"  # plaintext to DISABLE
    assert state(m.authz(w["outsider"], w["server"]), 8080) == "denied"  # no sidecar: plaintext
    assert state(m.authz(None, w["server"]), 8080) == "denied"


def test_a_negated_identity_matches_plaintext() -> None:
    m, w = two_apps(
        authz(
            "require-mtls",
            "on",
            {"action": "DENY", "rules": [{"from": [{"source": {"notPrincipals": ["*"]}}]}]},
        ),
    )
    assert state(m.authz(w["outsider"], w["server"]), 8080) == "denied"
    assert state(m.authz(None, w["server"]), 8080) == "denied"
    assert state(m.authz(w["client"], w["server"]), 8080) == "admitted"


def test_namespaces_and_not_namespaces_read_the_callers_namespace() -> None:
    m, w = two_apps(
        authz(
            "from-on",
            "on",
            {
                "selector": {"matchLabels": {"app": "server"}},
                "rules": [{"from": [{"source": {"namespaces": ["o*"]}}]}],
            },
        ),
        authz(
            "not-on",
            "on",
            {
                "selector": {"matchLabels": {"app": "client"}},
                "rules": [{"from": [{"source": {"notNamespaces": ["on"]}}]}],
            },
        ),
    )
    assert state(m.authz(w["other"], w["server"]), 8080) == "admitted"  # prefix match
    assert state(m.authz(w["other"], w["client"]), 8080) == "denied"
    assert state(m.authz(w["outsider"], w["client"]), 8080) == "admitted"  # plaintext: not "on"


def test_ports_and_not_ports_restrict_by_the_destination_port() -> None:
    m, w = two_apps(
        authz(
            "ports",
            "on",
            {
                "selector": {"matchLabels": {"app": "server"}},
                "rules": [{"to": [{"operation": {"ports": ["8080", "9090"]}}]}],
            },
        ),
        authz(
            "not-ports",
            "on",
            {
                "selector": {"matchLabels": {"app": "client"}},
                "rules": [{"to": [{"operation": {"notPorts": ["22"]}}]}],
            },
        ),
    )
    server, client = m.authz(w["other"], w["server"]), m.authz(w["other"], w["client"])
    assert (state(server, 8080), state(server, 9090), state(server, 8081)) == (
        "admitted",
        "admitted",
        "denied",
    )
    assert (state(client, 22), state(client, 23)) == ("denied", "admitted")


def test_an_allow_rule_that_needs_http_attributes_is_unknown_never_allow_all() -> None:
    m, w = two_apps(
        authz(
            "get",
            "on",
            {"rules": [{"to": [{"operation": {"methods": ["GET"], "ports": ["8080"]}}]}]},
        ),
    )
    answer = m.authz(w["client"], w["server"])
    assert state(answer, 8080) == "unknown"
    assert state(answer, 8081) == "denied"
    assert any("methods reads the HTTP request" in r for r in answer.reasons)


def test_a_deny_rule_that_needs_http_attributes_is_unknown_never_deny_all() -> None:
    m, w = two_apps(
        authz(
            "no-post",
            "on",
            {
                "action": "DENY",
                "rules": [{"to": [{"operation": {"methods": ["POST"], "ports": ["8080"]}}]}],
            },
        ),
    )
    answer = m.authz(w["client"], w["server"])
    assert state(answer, 8080) == "unknown"
    assert state(answer, 8081) == "admitted"


def test_custom_hands_allow_decisions_to_an_external_authorizer() -> None:
    m, w = two_apps(
        authz(
            "ext",
            "on",
            {
                "action": "CUSTOM",
                "provider": {"name": "opa"},
                "rules": [{"to": [{"operation": {"ports": ["8080", "8081"]}}]}],
            },
        ),
        authz(
            "deny",
            "on",
            {"action": "DENY", "rules": [{"to": [{"operation": {"ports": ["8081"]}}]}]},
        ),
    )
    answer = m.authz(w["client"], w["server"])
    assert state(answer, 8080) == "unknown"
    assert state(answer, 8081) == "denied"  # the authorizer cannot overturn a DENY
    assert state(answer, 8082) == "admitted"  # the CUSTOM rule does not match there
    assert any("provider opa decides" in r for r in answer.reasons)


def test_audit_is_noted_and_admits_or_denies_nothing() -> None:
    m, w = two_apps(authz("audit", "on", {"action": "AUDIT", "rules": [{}]}))
    answer = m.authz(w["client"], w["server"])
    assert answer.admitted == PortSet.every()
    assert any("on/audit (AUDIT)" in n for n in answer.notes)


def test_strict_mtls_refuses_plaintext_before_authorization() -> None:
    m, w = two_apps(peer("strict", "on", {"mtls": {"mode": "STRICT"}}))
    assert state(m.authz(w["client"], w["server"]), 8080) == "admitted"
    refused = m.authz(w["outsider"], w["server"])
    assert state(refused, 8080) == "denied"
    assert any("STRICT mTLS refuses plaintext" in r for r in refused.reasons)


def test_a_root_namespace_policy_applies_in_every_namespace_and_others_only_in_their_own() -> None:
    m, w = mesh(
        namespace("on", ENABLED),
        namespace("two", ENABLED),
        app("a", "on"),
        app("b", "two"),
        authz(
            "deny-all",
            "istio-system",
            {"action": "DENY", "selector": {"matchLabels": {"app": "a"}}, "rules": [{}]},
        ),
        authz("nothing", "on", {}),
    )
    assert state(m.authz(None, w["a"]), 80) == "denied"
    assert state(m.authz(None, w["b"]), 80) == "admitted"


def test_target_ref_and_dry_run_policies_are_reported_and_not_enforced() -> None:
    m, w = two_apps(
        authz(
            "waypoint",
            "on",
            {
                "targetRefs": [
                    {"kind": "Gateway", "group": "gateway.networking.k8s.io", "name": "waypoint"}
                ]
            },
        ),
        authz("trial", "on", {}, annotations={"istio.io/dry-run": "true"}),
    )
    assert state(m.authz(w["client"], w["server"]), 8080) == "admitted"
    assert any("on/waypoint" in n and "not modelled" in n for n in m.notes)
    assert any("on/trial" in n and "dry run" in n for n in m.notes)


def test_cluster_local_in_a_principal_names_the_mesh_trust_domain() -> None:
    rule = {"from": [{"source": {"principals": ["cluster.local/ns/on/sa/client"]}}]}
    m, w = two_apps(authz("allow", "on", {"rules": [rule]}), trust_domain="example.org")
    assert state(m.authz(w["client"], w["server"]), 8080) == "admitted"
    rule = {"from": [{"source": {"principals": ["other.org/ns/on/sa/client"]}}]}
    m, w = two_apps(authz("allow", "on", {"rules": [rule]}), trust_domain="example.org")
    assert state(m.authz(w["client"], w["server"]), 8080) == "denied"
    m, w = two_apps(
        authz("allow", "on", {"rules": [rule]}),
        trust_domain="example.org",
        trust_domain_aliases=("other.org",),
    )
    assert state(m.authz(w["client"], w["server"]), 8080) == "admitted"


def test_service_accounts_name_one_in_the_policys_namespace_or_namespace_slash_name() -> None:
    m, w = two_apps(
        authz(
            "by-sa",
            "on",
            {
                "selector": {"matchLabels": {"app": "server"}},
                "rules": [
                    {"from": [{"source": {"serviceAccounts": ["client", "plain/outsider"]}}]}
                ],
            },
        ),
    )
    assert state(m.authz(w["client"], w["server"]), 8080) == "admitted"
    assert state(m.authz(w["other"], w["server"]), 8080) == "denied"
    assert state(m.authz(w["outsider"], w["server"]), 8080) == "denied"  # named, but plaintext


def test_when_conditions_on_the_peer_and_port_are_decided_others_are_unknown() -> None:
    m, w = two_apps(
        authz(
            "when",
            "on",
            {
                "selector": {"matchLabels": {"app": "server"}},
                "rules": [
                    {
                        "when": [
                            {"key": "source.namespace", "values": ["on"]},
                            {"key": "destination.port", "notValues": ["22"]},
                        ]
                    }
                ],
            },
        ),
        authz(
            "header",
            "on",
            {
                "selector": {"matchLabels": {"app": "client"}},
                "rules": [{"when": [{"key": "request.headers[x-user]", "values": ["a"]}]}],
            },
        ),
    )
    server = m.authz(w["other"], w["server"])
    assert (state(server, 80), state(server, 22)) == ("admitted", "denied")
    assert state(m.authz(w["outsider"], w["server"]), 80) == "denied"
    assert state(m.authz(w["other"], w["client"]), 80) == "unknown"


def test_a_policy_that_may_select_the_destination_leaves_its_denials_unknown() -> None:
    selector = {"matchLabels": {"pod-template-hash": "abc"}}
    m, w = two_apps(authz("maybe-nothing", "on", {"selector": selector}))
    answer = m.authz(w["client"], w["server"])
    assert state(answer, 8080) == "unknown"
    assert state(answer, 8080, Protocol.UDP) == "admitted"
    assert any(
        "on/maybe-nothing (ALLOW) selects these pods is unknown" in r for r in answer.reasons
    )


def test_a_destination_without_a_sidecar_enforces_nothing_and_the_policy_is_noted() -> None:
    m, w = two_apps(authz("nothing", "plain", {}))
    answer = m.authz(w["client"], w["outsider"])
    assert answer.admitted == PortSet.every()
    assert any("plain/nothing" in n and "not enforced" in n for n in answer.notes)


def test_a_destination_that_may_have_no_sidecar_is_unknown_where_policies_deny() -> None:
    m, w = mesh(app("a", "unlisted"), authz("nothing", "unlisted", {}))
    answer = m.authz(None, w["a"])
    assert state(answer, 80) == "unknown"
    assert state(answer, 80, Protocol.UDP) == "admitted"


def test_a_caller_that_may_have_no_sidecar_leaves_identity_rules_unknown() -> None:
    m, w = mesh(
        namespace("on", ENABLED),
        app("server", "on"),
        app("maybe", "unlisted"),
        authz("allow", "on", {"rules": [{"from": [{"source": {"namespaces": ["unlisted"]}}]}]}),
    )
    assert state(m.authz(w["maybe"], w["server"]), 80) == "unknown"


def test_answers_cover_every_port_once_and_are_shared_by_callers_alike_to_the_policies() -> None:
    m, w = two_apps(
        app("client-v2", "on", account="client"),
        authz(
            "get", "on", {"rules": [{"to": [{"operation": {"methods": ["GET"], "ports": ["80"]}}]}]}
        ),
    )
    answer = m.authz(w["client"], w["server"])
    assert answer.admitted | answer.denied | answer.unknown == PortSet.every()
    assert (answer.admitted & answer.denied).is_empty()
    assert (answer.admitted & answer.unknown).is_empty()
    assert (answer.denied & answer.unknown).is_empty()
    assert answer.within(tcp(80, 81)).unknown == tcp(80)
    assert m.authz(w["client-v2"], w["server"]) is answer  # the same identity
    assert m.authz(w["other"], w["server"]) is answer  # the policy cannot tell them apart


# -- input errors ---------------------------------------------------------------------------


def test_policies_istio_refuses_are_reported_at_once_with_file_line_and_field() -> None:
    found = problems(
        peer("ns-ports", "on", {"portLevelMtls": {8080: {"mode": "STRICT"}}}),
        peer("mode", "on", {"mtls": {"mode": "strict"}}),
        authz("deny", "on", {"action": "DENY", "rules": []}),
        authz("port", "on", {"rules": [{"to": [{"operation": {"ports": ["http"]}}]}]}),
        authz("when", "on", {"rules": [{"when": [{"key": "destination.name", "values": ["x"]}]}]}),
        authz("empty", "on", {"rules": [{"from": [{"source": {}}]}]}),
    )
    assert len(found) == 6
    assert all(p.startswith("<stdin>:") for p in found)
    joined = "\n".join(found)
    assert "PeerAuthentication on/ns-ports: spec.portLevelMtls:" in joined
    assert "PeerAuthentication on/mode: spec.mtls.mode: 'strict' is not one of" in joined
    assert "AuthorizationPolicy on/deny: spec.rules:" in joined
    assert "AuthorizationPolicy on/port: spec.rules[0].to[0].operation.ports[0]:" in joined
    assert "unknown attribute 'destination.name'" in joined
    assert "spec.rules[0].from[0].source: must not be empty" in joined


def test_a_malformed_interception_annotation_on_an_injected_pod_is_a_problem() -> None:
    found = problems(
        namespace("on", ENABLED),
        app("a", "on", annotations={"traffic.sidecar.istio.io/excludeInboundPorts": "80,http"}),
    )
    assert len(found) == 1
    assert "Deployment on/a: annotation traffic.sidecar.istio.io/excludeInboundPorts" in found[0]
