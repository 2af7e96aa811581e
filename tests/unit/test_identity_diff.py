"""The identity diff rules on hand-made graphs: privilege.widened, trust-relation and
unauthenticated (mesh), each firing where the design is broken and silent where it is not.

The graphs come from the builders, then get `can`/`assumes` edges and mesh fields by hand,
so these tests pin the rules apart from the RBAC and Istio models that fill them in live.
"""

from __future__ import annotations

import dataclasses
import textwrap
from typing import Any

from builders import deployment, graph, namespace, wid

from drift.baseline.load import parse_baseline
from drift.diff.check import check
from drift.findings import CheckResult, FindingKind, Severity
from drift.model import (
    AssumesEdge,
    AuthzVerdict,
    CanEdge,
    ConnectsEdge,
    EdgeType,
    Evidence,
    IdentityNode,
    MtlsMode,
    ResourceNode,
    SystemGraph,
)
from drift.ports import PortSet, Protocol
from tests.unit.test_diff import BASE, system


def sa(name: str, ns: str) -> str:
    return f"k8s:c/{ns}/ServiceAccount/{name}"


WEB, API, DB = sa("web", "front"), sa("api", "back"), sa("db", "back")


def grant(
    g: SystemGraph,
    identity: str,
    verbs: set[str],
    resource: str,
    *,
    namespace: str | None = "front",
    group: str = "",
    name: str | None = None,
) -> None:
    node_id = f"res:{namespace}/{group}/{resource}/{name}"
    if not g.has_node(node_id):
        g.add_node(
            ResourceNode(
                id=node_id,
                name=f"{resource} in {namespace or 'the cluster'}",
                namespace=namespace,
                api_group=group,
                resource=resource,
                resource_name=name,
            )
        )
    evidence = (Evidence(text=f"RoleBinding {namespace}/grant-{resource}"),)
    g.add_edge(
        CanEdge(source=identity, target=node_id, actions=frozenset(verbs), evidence=evidence)
    )


def assumes(g: SystemGraph, source: str, target: str, **kw: Any) -> None:
    if not g.has_node(target):
        _, ns, kind, name = target.split("/")
        g.add_node(IdentityNode(id=target, kind=kind, name=name, namespace=ns))
    g.add_edge(
        AssumesEdge(
            source=source,
            target=target,
            via=kw.pop("via", "create pods"),
            evidence=(Evidence(text="Role x"),),
            **kw,
        )
    )


def with_mesh(g: SystemGraph, source: str, target: str, **changes: Any) -> None:
    """The edge as the mesh model would fill it: `mtls` on every one of its ports."""
    edge = g.edge(source, target, EdgeType.CONNECTS)
    assert isinstance(edge, ConnectsEdge)
    if "mtls" in changes:
        changes.setdefault("mesh_ports", edge.ports)
        changes.setdefault("mtls_modes", ((changes["mtls"], edge.ports),))
    g.networkx.remove_edge(source, target, key=EdgeType.CONNECTS)
    g.add_edge(dataclasses.replace(edge, **changes))


def judge(g: SystemGraph, extra: str = "", base: str = BASE) -> CheckResult:
    text = textwrap.dedent(base) + textwrap.dedent(extra)
    return check(parse_baseline(text.encode(), "b.yaml"), g, source="test")


def of_kind(result: CheckResult, kind: FindingKind) -> list[Any]:
    return [f for f in result.findings if f.kind is kind]


PERMISSIONS = """
permissions:
  web:
    - {resources: [configmaps], verbs: [get]}
    - {apiGroups: [apps], resources: ["*/scale"], verbs: [update]}
    - {resources: [secrets], resourceNames: [web-tls], verbs: [get]}
    - {nonResourceURLs: ["/healthz/*"], verbs: [get], clusterWide: true}
"""


# -- privilege.widened ----------------------------------------------------------------------


def test_grants_inside_the_designed_rules_are_no_finding() -> None:
    g = graph(*system())
    grant(g, WEB, {"get"}, "configmaps")
    grant(g, WEB, {"update"}, "deployments/scale", group="apps")
    grant(g, WEB, {"get"}, "secrets", name="web-tls")
    g.add_node(
        ResourceNode(
            id="url",
            name="URL /healthz/ready",
            resource="/healthz/ready",
            namespace=None,
            non_resource=True,
        )
    )
    g.add_edge(CanEdge(source=WEB, target="url", actions=frozenset({"get"})))
    assert of_kind(judge(g, PERMISSIONS), FindingKind.PRIVILEGE_WIDENED) == []


def test_an_extra_verb_is_a_finding_naming_only_what_is_extra() -> None:
    g = graph(*system())
    grant(g, WEB, {"get", "list"}, "configmaps")
    (finding,) = of_kind(judge(g, PERMISSIONS), FindingKind.PRIVILEGE_WIDENED)
    assert finding.subjects == (WEB,)
    assert finding.severity is Severity.HIGH
    assert finding.detail == "list configmaps in front"
    assert finding.evidence[0].text == "RoleBinding front/grant-configmaps"
    assert finding.clause.startswith("b.yaml:") and finding.clause.endswith("permissions.web")


def test_wildcards_other_namespaces_and_any_name_are_only_covered_by_as_wide_rules() -> None:
    g = graph(*system())
    grant(g, WEB, {"*"}, "configmaps")  # every verb, not just get
    grant(g, WEB, {"get"}, "configmaps", namespace="back")  # another namespace
    grant(g, WEB, {"get"}, "configmaps", namespace=None)  # cluster-wide
    grant(g, WEB, {"get"}, "secrets")  # any secret, not just web-tls
    grant(g, WEB, {"update"}, "deployments", group="apps")  # the object, not its scale
    (finding,) = of_kind(judge(g, PERMISSIONS), FindingKind.PRIVILEGE_WIDENED)
    assert sorted(finding.detail.split("; ")) == [
        "* configmaps in front",
        "get configmaps in back",
        "get configmaps in the cluster",
        "get secrets in front",
        "update deployments in front",
    ]


def test_without_a_permissions_section_a_service_may_do_nothing() -> None:
    g = graph(*system())
    grant(g, WEB, {"*"}, "*", group="*", namespace=None)
    (finding,) = of_kind(judge(g), FindingKind.PRIVILEGE_WIDENED)
    assert finding.subjects == (WEB,)
    assert finding.detail == "* * in the cluster"


def test_identities_no_service_runs_as_are_judged_only_when_listed() -> None:
    g = graph(*system())
    g.add_node(
        IdentityNode(id=sa("ci", "front"), kind="ServiceAccount", name="ci", namespace="front")
    )
    grant(g, sa("ci", "front"), {"get"}, "pods")
    assert of_kind(judge(g), FindingKind.PRIVILEGE_WIDENED) == []
    (finding,) = of_kind(judge(g, "permissions:\n  front/ci: []\n"), FindingKind.PRIVILEGE_WIDENED)
    assert finding.subjects == (sa("ci", "front"),)


def test_once_any_identity_is_listed_every_service_identity_is_judged() -> None:
    g = graph(*system())
    grant(g, API, {"get"}, "pods", namespace="back")
    (finding,) = of_kind(judge(g, PERMISSIONS), FindingKind.PRIVILEGE_WIDENED)
    assert finding.subjects == (API,)
    assert "(service api)" in finding.title


def test_extra_privilege_is_critical_when_it_lets_the_identity_escalate() -> None:
    g = graph(*system())
    grant(g, WEB, {"create"}, "pods")
    assumes(g, WEB, sa("default", "front"))
    findings = judge(g, PERMISSIONS).findings
    (privilege,) = [f for f in findings if f.kind is FindingKind.PRIVILEGE_WIDENED]
    assert privilege.severity is Severity.CRITICAL
    assert "escalate" in privilege.title


# -- implicit-trust.trust-relation ------------------------------------------------------------


def test_becoming_an_identity_the_design_does_not_trust_is_a_finding() -> None:
    g = graph(*system())
    assumes(g, WEB, API)
    (finding,) = of_kind(judge(g), FindingKind.TRUST_RELATION)
    assert finding.subjects == (WEB,)
    assert finding.severity is Severity.HIGH
    assert "ServiceAccount back/api (service api) (create pods)" in finding.detail
    assert finding.evidence[0].text == "Role x"


def test_a_trust_relation_in_the_design_allows_it() -> None:
    g = graph(*system())
    assumes(g, WEB, API)
    assumes(g, WEB, wid("api", "back"), via="pods/exec")
    result = judge(g, "trust:\n  - {from: web, to: api}\n")
    assert of_kind(result, FindingKind.TRUST_RELATION) == []
    assert (
        of_kind(judge(g, "trust:\n  - {from: front/web, to: '*'}\n"), FindingKind.TRUST_RELATION)
        == []
    )


def test_becoming_a_crown_jewel_or_any_permission_is_critical() -> None:
    g = graph(*system())
    assumes(g, API, DB)
    assumes(g, WEB, sa("x", "front"), unbounded=True, via="bind")
    findings = of_kind(judge(g), FindingKind.TRUST_RELATION)
    assert [(f.subjects, f.severity) for f in findings] == [
        ((API,), Severity.CRITICAL),
        ((WEB,), Severity.CRITICAL),
    ]


def test_a_step_the_inputs_leave_open_is_an_unknown_not_a_finding() -> None:
    g = graph(*system())
    assumes(g, WEB, API, certain=False)
    result = judge(g)
    assert of_kind(result, FindingKind.TRUST_RELATION) == []
    assert [u.subjects for u in result.unknowns] == [(WEB, API)]


def test_people_and_self_steps_are_not_judged() -> None:
    g = graph(*system())
    g.add_node(IdentityNode(id="k8s:c/User/jane", kind="User", name="jane"))
    assumes(g, "k8s:c/User/jane", API)
    assumes(g, WEB, WEB)
    assert of_kind(judge(g), FindingKind.TRUST_RELATION) == []


# -- implicit-trust.unauthenticated -----------------------------------------------------------

STRICT_BACK = BASE.replace(
    "back: {namespaces: [back], require: {defaultDeny: true}}",
    "back: {namespaces: [back], require: {defaultDeny: true, mtls: strict}}",
)


def test_a_strict_zone_needs_strict_mtls_on_every_inbound_edge() -> None:
    g = graph(*system())
    with_mesh(g, wid("web", "front"), wid("api", "back"), mtls=MtlsMode.STRICT)
    with_mesh(g, wid("api", "back"), wid("db", "back"), mtls=MtlsMode.PERMISSIVE)
    (finding,) = of_kind(judge(g, base=STRICT_BACK), FindingKind.UNAUTHENTICATED)
    assert finding.subjects == ("service:db",)
    assert finding.severity is Severity.CRITICAL  # db is a crown jewel
    assert finding.detail == "accepts plaintext too (permissive) on TCP 5432 from api"
    assert finding.clause.endswith("zones.back.require.mtls")


def test_no_mesh_at_all_is_plaintext_where_mtls_is_required() -> None:
    result = judge(graph(*system()), base=STRICT_BACK)
    assert sorted(f.subjects for f in of_kind(result, FindingKind.UNAUTHENTICATED)) == [
        ("service:api",),
        ("service:db",),
    ]
    assert "plaintext only (disabled)" in of_kind(result, FindingKind.UNAUTHENTICATED)[0].detail


def test_a_flow_requiring_mtls_is_judged_on_its_ports_and_unknown_modes_are_unknowns() -> None:
    base = BASE.replace(
        "- {from: web, to: api, ports: [{port: 8080}]}",
        "- {from: web, to: api, ports: [{port: 8080}], mtls: true}",
    )
    g = graph(*system())
    assert [f.subjects for f in of_kind(judge(g, base=base), FindingKind.UNAUTHENTICATED)] == [
        ("service:api",)
    ]
    with_mesh(g, wid("web", "front"), wid("api", "back"), mtls=MtlsMode.UNKNOWN)
    result = judge(g, base=base)
    assert of_kind(result, FindingKind.UNAUTHENTICATED) == []
    assert [u.subjects for u in result.unknowns] == [("service:web", "service:api")]


def test_authz_required_means_the_mesh_refuses_callers_no_flow_names() -> None:
    base = BASE.replace(
        "- {from: api, to: db, ports: [{port: 5432}]}",
        "- {from: api, to: db, ports: [{port: 5432}], authz: true}",
    )
    g = graph(*system(deployment("batch", namespace="back", service_account="batch")))
    # db admits only api under NetworkPolicy: give the undesigned batch a live edge by hand
    batch, api, db = wid("batch", "back"), wid("api", "back"), wid("db", "back")
    g.add_edge(ConnectsEdge(source=batch, target=db, ports=PortSet.of(Protocol.TCP, 5432)))
    with_mesh(g, api, db, authz=AuthzVerdict.ALLOW)
    (finding,) = of_kind(judge(g, base=base), FindingKind.UNAUTHENTICATED)
    assert finding.subjects == ("service:db",)
    assert "mesh authorization admits" in finding.title
    assert finding.detail == f"its mesh authorization admits {batch}"
    with_mesh(g, batch, db, authz=AuthzVerdict.DENY)
    assert of_kind(judge(g, base=base), FindingKind.UNAUTHENTICATED) == []


def test_no_mesh_requirement_no_mesh_findings() -> None:
    g = graph(namespace("front"), deployment("web", namespace="front"))
    assert of_kind(judge(g), FindingKind.UNAUTHENTICATED) == []


# -- blast-radius.widened ---------------------------------------------------------------------


def test_becoming_a_crown_jewel_through_a_trusted_identity_widens_the_blast_radius() -> None:
    g = graph(*system())
    assumes(g, WEB, API)  # designed: web may become api
    assumes(g, API, DB)  # not designed: api may become db, the crown jewel
    found = of_kind(
        judge(g, "trust:\n  - {from: web, to: api}\n"), FindingKind.BLAST_RADIUS_WIDENED
    )
    by_service = {f.subjects: f for f in found}
    # api becomes the crown jewel in one step: reported for api too (a crown jewel always is)
    assert set(by_service) == {("service:web",), ("service:api",)}
    finding = by_service[("service:web",)]
    assert finding.severity is Severity.CRITICAL
    assert "newly controls ServiceAccount back/db (service db)" in finding.detail
    assert [(s.source, s.relation, s.target) for s in finding.path] == [
        ("service:web", "runs_as", WEB),
        (WEB, "assumes", API),
        (API, "assumes", DB),
    ]
    assert finding.path[2].evidence[0].text == "create pods"


def test_reaching_a_crown_jewel_from_inside_another_workload_widens_the_blast_radius() -> None:
    g = graph(*system())
    assumes(g, WEB, wid("api", "back"), via="create pods/exec")  # web can enter api's pods
    findings = judge(g).findings
    (radius,) = [f for f in findings if f.kind is FindingKind.BLAST_RADIUS_WIDENED]
    assert radius.subjects == ("service:web",)
    assert "newly reaches crown jewels db" in radius.detail
    assert [s.relation for s in radius.path] == ["runs_as", "assumes", "connects"]
    assert radius.path[-1].target == "service:db"
    # with web trusted to become api, api's designed flow to db is in web's designed radius
    trusted = judge(g, "trust:\n  - {from: web, to: api}\n")
    assert of_kind(trusted, FindingKind.BLAST_RADIUS_WIDENED) == []


def test_one_step_to_an_ordinary_identity_is_only_a_trust_finding() -> None:
    g = graph(*system())
    assumes(g, WEB, API)
    kinds = {f.kind for f in judge(g).findings}
    assert FindingKind.TRUST_RELATION in kinds
    assert FindingKind.BLAST_RADIUS_WIDENED not in kinds


def test_a_step_the_inputs_leave_open_does_not_widen_the_blast_radius() -> None:
    g = graph(*system())
    assumes(g, WEB, API, certain=False)
    assumes(g, API, DB)
    found = of_kind(judge(g), FindingKind.BLAST_RADIUS_WIDENED)
    assert [f.subjects for f in found] == [("service:api",)]  # web's path is not certain
