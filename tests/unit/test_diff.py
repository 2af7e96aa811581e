"""The diff, one finding kind at a time: when it fires, and when it must not."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
from builders import deployment, graph, namespace, netpol

from drift.baseline.load import parse_baseline
from drift.diff.check import check
from drift.findings import CheckResult, FindingKind, Severity

BASE = """
apiVersion: design-drift/v1
kind: Baseline
metadata: {name: t, version: "7"}
cluster: c
zones:
  front: {namespaces: [front], require: {defaultDeny: true}}
  back: {namespaces: [back], require: {defaultDeny: true}}
services:
  web: {zone: front, select: {labels: {app: web}}, identity: web}
  api: {zone: back, select: {labels: {app: api}}, identity: api}
  db: {zone: back, select: {labels: {app: db}}, identity: db, crownJewel: true}
flows:
  - {from: web, to: api, ports: [{port: 8080}]}
  - {from: api, to: db, ports: [{port: 5432}]}
"""

DENY = [
    netpol("deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}, namespace=ns)
    for ns in ("front", "back")
]


def allow(name: str, ns: str, target: str, source: str, port: int | str, source_ns: str) -> Any:
    """Ingress to `target` from `source` (in `source_ns`) plus the matching egress."""
    peer = {
        "podSelector": {"matchLabels": {"app": source}},
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": source_ns}},
    }
    dest = {
        "podSelector": {"matchLabels": {"app": target}},
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": ns}},
    }
    return [
        netpol(
            f"{name}-in",
            {
                "podSelector": {"matchLabels": {"app": target}},
                "ingress": [{"from": [peer], "ports": [{"port": port}]}],
            },
            namespace=ns,
        ),
        netpol(
            f"{name}-out",
            {
                "podSelector": {"matchLabels": {"app": source}},
                "policyTypes": ["Egress"],
                "egress": [{"to": [dest], "ports": [{"port": port}]}],
            },
            namespace=source_ns,
        ),
    ]


def system(*extra: Any, web_sa: str = "web", policies: list[Any] | None = None) -> list[Any]:
    docs = [
        namespace("front"),
        namespace("back"),
        deployment("web", namespace="front", service_account=web_sa),
        deployment("api", namespace="back", service_account="api"),
        deployment("db", namespace="back", service_account="db"),
        *DENY,
    ]
    if policies is None:
        policies = [
            *allow("api", "back", "api", "web", 8080, "front"),
            *allow("db", "back", "db", "api", 5432, "back"),
        ]
    return [*docs, *policies, *extra]


def run(docs: list[Any], baseline: str = BASE) -> CheckResult:
    loaded = parse_baseline(textwrap.dedent(baseline).encode(), "b.yaml")
    return check(loaded, graph(*docs), source="test")


def kinds(result: CheckResult) -> list[tuple[str, tuple[str, ...], str]]:
    return sorted((str(f.kind), f.subjects, str(f.severity)) for f in result.findings)


def test_a_system_as_designed_has_no_findings_and_no_unknowns() -> None:
    result = run(system())
    assert result.findings == () and result.unknowns == ()
    assert (result.baseline_version, result.baseline_name) == ("7", "t")


# -- implicit-trust.flow ------------------------------------------------------------------


def test_a_flow_the_design_does_not_allow_is_one_finding_for_the_pair() -> None:
    extra = allow("db2", "back", "db", "web", 5432, "front")
    (finding,) = run(system(*extra)).findings
    assert finding.kind is FindingKind.FLOW
    assert finding.subjects == ("service:web", "service:db")
    assert finding.ports is not None and finding.ports.to_json() == {"TCP": [[5432, 5432]]}
    # crosses zones (front -> back) and reaches a crown jewel: medium raised twice
    assert finding.severity is Severity.CRITICAL
    assert finding.zone == "back"  # the destination's zone: metrics and reports group by it
    assert finding.clause == "b.yaml:13: flows (no flow allows this pair)"
    assert {e.text for e in finding.evidence} == {
        "ingress: NetworkPolicy back/db2-in",
        "egress: NetworkPolicy front/db2-out",
    }


def test_widened_ports_name_only_the_extra_ports_and_the_designed_ones() -> None:
    policies = [
        *allow("api", "back", "api", "web", 8080, "front"),
        *allow("db", "back", "db", "api", 5432, "back"),
    ]
    policies[0]["spec"]["ingress"][0]["ports"] = [{"port": 8080, "endPort": 8081}]
    policies[1]["spec"]["egress"][0]["ports"] = [{"port": 8080, "endPort": 8081}]
    (finding,) = run(system(policies=policies)).findings
    assert finding.ports is not None and finding.ports.to_json() == {"TCP": [[8081, 8081]]}
    assert finding.detail == "admits TCP 8081; the design allows TCP 8080"
    assert finding.clause == "b.yaml:14: flows[0]"


def test_the_fingerprint_ignores_ports_so_widening_further_updates_the_same_finding() -> None:
    def widened(last: int) -> str:
        policies = [
            *allow("api", "back", "api", "web", 8080, "front"),
            *allow("db", "back", "db", "api", 5432, "back"),
        ]
        for p, key in ((policies[0], "ingress"), (policies[1], "egress")):
            p["spec"][key][0]["ports"] = [{"port": 8080, "endPort": last}]
        (finding,) = run(system(policies=policies)).findings
        return finding.fingerprint

    assert widened(8081) == widened(9000)


def test_flows_inside_one_zone_to_an_ordinary_service_are_medium() -> None:
    extra = [
        netpol(
            "api-self",
            {
                "podSelector": {"matchLabels": {"app": "api"}},
                "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "api"}}}]}],
            },
            namespace="back",
        ),
        netpol(
            "api-self-out",
            {
                "podSelector": {"matchLabels": {"app": "api"}},
                "policyTypes": ["Egress"],
                "egress": [{"to": [{"podSelector": {"matchLabels": {"app": "api"}}}]}],
            },
            namespace="back",
        ),
    ]
    (finding,) = run(system(*extra)).findings
    assert finding.subjects == ("service:api", "service:api")
    assert finding.severity is Severity.LOW  # pods of one service talking to each other


def test_unknown_ports_are_reported_apart_from_findings() -> None:
    # The namespace of the caller has no Namespace object: its labels are not known.
    extra = [
        deployment("probe", namespace="tools"),
        netpol(
            "deny",
            {
                "podSelector": {},
                "policyTypes": ["Ingress", "Egress"],
                "egress": [
                    {
                        "to": [
                            {
                                "podSelector": {"matchLabels": {"app": "api"}},
                                "namespaceSelector": {},
                            }
                        ],
                        "ports": [{"port": 9100}],
                    }
                ],
            },
            namespace="tools",
        ),
        netpol(
            "api-probe",
            {
                "podSelector": {"matchLabels": {"app": "api"}},
                "ingress": [
                    {
                        "from": [{"namespaceSelector": {"matchLabels": {"team": "sre"}}}],
                        "ports": [{"port": 9100}],
                    }
                ],
            },
            namespace="back",
        ),
    ]
    result = run(system(*extra))
    # Pods of other namespaces could carry team=sre: that latent trust is a finding, while
    # whether tools carries it is not known, so probe -> api is an unknown, not a finding.
    assert sorted((str(f.kind), f.subjects) for f in result.findings) == [
        ("implicit-trust.flow", ("k8s:c/tools/Deployment/probe", "k8s:c/unlisted")),
        ("implicit-trust.flow", ("k8s:c/unlisted", "service:api")),
        ("inventory.unknown", ("k8s:c/tools/Deployment/probe",)),
    ]
    (unknown,) = result.unknowns
    assert unknown.subjects == ("k8s:c/tools/Deployment/probe", "service:api")
    assert unknown.reasons == ("labels of namespace tools are not in the input",)


# -- implicit-trust.no-default-deny ---------------------------------------------------------


def test_a_zone_requiring_default_deny_with_unisolated_pods_is_one_finding() -> None:
    docs = [
        d
        for d in system()
        if d["metadata"]["name"] != "deny" or d["metadata"]["namespace"] != "front"
    ]
    result = run(docs)
    deny = [f for f in result.findings if f.kind is FindingKind.NO_DEFAULT_DENY]
    assert [(f.subjects, f.severity) for f in deny] == [(("zone:front",), Severity.HIGH)]
    assert deny[0].clause == "b.yaml:7: zones.front.require.defaultDeny"


def test_no_default_deny_finding_where_the_zone_does_not_require_it() -> None:
    baseline = BASE.replace(
        "front: {namespaces: [front], require: {defaultDeny: true}}", "front: {namespaces: [front]}"
    )
    docs = [
        d
        for d in system()
        if d["metadata"]["name"] != "deny" or d["metadata"]["namespace"] != "front"
    ]
    result = run(docs, baseline)
    assert FindingKind.NO_DEFAULT_DENY not in {f.kind for f in result.findings}


# -- implicit-trust.shared-identity ---------------------------------------------------------


def test_a_service_on_the_default_service_account_is_a_finding() -> None:
    result = run(system(web_sa="default"))
    assert kinds(result) == [
        ("implicit-trust.shared-identity", ("service:web", "k8s:c/front/Deployment/web"), "medium")
    ]


def test_two_services_sharing_one_account_is_a_finding_unless_designed_so() -> None:
    docs = system()
    docs[3] = deployment("api", namespace="back", service_account="db")
    shared = [f for f in run(docs).findings if f.subjects == ("k8s:c/back/ServiceAccount/db",)]
    assert len(shared) == 1 and "api, db share one identity" in shared[0].title
    designed = BASE.replace("identity: api}", "identity: db}")
    assert not [f for f in run(docs, designed).findings if f.kind is FindingKind.SHARED_IDENTITY]


def test_a_token_mounted_where_the_design_needs_none_is_low() -> None:
    baseline = BASE.replace(
        "identity: db, crownJewel: true}", "identity: db, crownJewel: true, automountToken: false}"
    )
    (finding,) = run(system(), baseline).findings
    assert (finding.kind, finding.severity) == (FindingKind.SHARED_IDENTITY, Severity.LOW)
    docs = system()
    docs[4]["spec"]["template"]["spec"]["automountServiceAccountToken"] = False
    assert run(docs, baseline).findings == ()


# -- inventory ------------------------------------------------------------------------------


def test_live_workloads_outside_the_design_and_designed_services_not_running() -> None:
    docs = [d for d in system() if d["metadata"]["name"] != "db"]
    docs.append(deployment("cron", namespace="back"))
    result = run(docs)
    assert sorted((str(f.kind), f.subjects) for f in result.findings) == [
        ("inventory.missing", ("service:db",)),
        ("inventory.unknown", ("k8s:c/back/Deployment/cron",)),
    ]


@pytest.mark.parametrize("select", ["{workloads: [Deployment/web]}", "{labels: {app: web}}"])
def test_services_select_by_labels_or_by_workload_names(select: str) -> None:
    baseline = BASE.replace("select: {labels: {app: web}}", f"select: {select}")
    assert run(system(), baseline).findings == ()


# -- exposure.widened ---------------------------------------------------------------------


def load_balancer(name: str, app: str, namespace: str, port: int, **annotations: str) -> Any:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace, "annotations": annotations},
        "spec": {
            "type": "LoadBalancer",
            "selector": {"app": app},
            "ports": [{"port": port, "targetPort": port}],
        },
    }


def web_with_port(docs: list[Any]) -> list[Any]:
    docs[2] = deployment(
        "web",
        namespace="front",
        service_account="web",
        ports=[{"name": "http", "containerPort": 8080}],
    )
    return docs


def test_publishing_a_service_the_design_keeps_private_is_high() -> None:
    docs = web_with_port(system(load_balancer("web-lb", "web", "front", 8080)))
    (finding,) = run(docs).findings
    assert (finding.kind, finding.subjects, finding.severity) == (
        FindingKind.EXPOSURE_WIDENED,
        ("service:web",),
        Severity.HIGH,
    )
    assert finding.zone == "front"
    assert "the design does not allow publishing it" in finding.title
    assert finding.evidence[0].text.startswith("Service front/web-lb (LoadBalancer)")
    assert finding.location is not None and finding.location.file == "test.yaml"


def test_publishing_within_the_allowed_scope_and_ports_is_not_a_finding() -> None:
    public = BASE.replace("identity: web}", "identity: web, public: {ports: [{port: 8080}]}}")
    docs = web_with_port(system(load_balancer("web-lb", "web", "front", 8080)))
    assert run(docs, public).findings == ()


def test_a_wider_scope_or_other_ports_than_allowed_are_findings() -> None:
    internal = BASE.replace("identity: web}", "identity: web, public: {scope: internal}}")
    docs = web_with_port(system(load_balancer("web-lb", "web", "front", 8080)))
    (wider,) = run(docs, internal).findings
    assert "the design allows internal at most" in wider.title
    narrow_ports = BASE.replace("identity: web}", "identity: web, public: {ports: [{port: 443}]}}")
    (ports,) = run(docs, narrow_ports).findings
    assert "the design does not allow TCP 8080" in ports.title


def test_an_internal_load_balancer_meets_an_internal_allowance() -> None:
    internal = BASE.replace("identity: web}", "identity: web, public: {scope: internal}}")
    annotation = {"service.beta.kubernetes.io/aws-load-balancer-internal": "true"}
    docs = web_with_port(system(load_balancer("web-lb", "web", "front", 8080, **annotation)))
    assert run(docs, internal).findings == ()


def test_publishing_a_crown_jewel_is_critical() -> None:
    docs = system(load_balancer("db-lb", "db", "back", 5432))
    docs[4] = deployment(
        "db", namespace="back", service_account="db", ports=[{"containerPort": 5432}]
    )
    (finding,) = run(docs).findings
    assert (finding.subjects, finding.severity) == (("service:db",), Severity.CRITICAL)
