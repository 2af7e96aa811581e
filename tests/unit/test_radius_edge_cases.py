"""blast-radius.widened: the design's radius and the direct/indirect filter."""

from __future__ import annotations

from builders import deployment, graph, namespace, wid

from drift.findings import FindingKind
from tests.unit.test_diff import system
from tests.unit.test_identity_diff import API, DB, WEB, assumes, judge, of_kind, sa


def test_trust_written_as_namespace_sa_gives_the_same_designed_radius_as_the_service_name():
    # docs/baseline.md: a trust ref is "a service (its identity), or <ns>/<sa>"; back/api is
    # service api's identity. The existing test shows `to: api` silences this; `to: back/api`
    # allows the very same trust step (no trust finding), so the radius must agree.
    g = graph(*system())
    assumes(g, WEB, wid("api", "back"), via="create pods/exec")
    by_service = judge(g, "trust:\n  - {from: web, to: api}\n")
    assert of_kind(by_service, FindingKind.BLAST_RADIUS_WIDENED) == []
    by_account = judge(g, "trust:\n  - {from: web, to: back/api}\n")
    assert of_kind(by_account, FindingKind.TRUST_RELATION) == []
    found = of_kind(by_account, FindingKind.BLAST_RADIUS_WIDENED)
    assert found == [], [(f.title, f.detail) for f in found]


def test_an_uncertain_one_step_edge_does_not_hide_a_certain_two_step_control():
    # web's own step to api is only possible (an unknown, no trust finding for web); web
    # certainly becomes api through y, which the design trusts it with. Nothing reports
    # that compromising web gives api: the "one step is left to trust findings" filter
    # (docs/baseline.md, Blast radius) assumes a finding that does not exist.
    g = graph(*system())
    y = sa("y", "front")
    assumes(g, WEB, API, certain=False)
    assumes(g, WEB, y)
    assumes(g, y, API)
    result = judge(g, "trust:\n  - {from: web, to: front/y}\n")
    assert not [f for f in of_kind(result, FindingKind.TRUST_RELATION) if f.subjects == (WEB,)]
    found = of_kind(result, FindingKind.BLAST_RADIUS_WIDENED)
    web = [f for f in found if f.subjects == ("service:web",)]
    assert web and "ServiceAccount back/api" in web[0].detail


def test_a_workload_web_only_connects_to_is_not_excluded_from_what_it_newly_controls():
    # web connects to api (its designed flow): reaching is not controlling. Entering api's
    # pods through x is a two-step control that must be listed in web's blast radius.
    g = graph(*system())
    x = sa("x", "front")
    assumes(g, WEB, x)
    assumes(g, x, wid("api", "back"), via="create pods/exec")
    result = judge(g, "trust:\n  - {from: web, to: front/x}\n")
    (web,) = [
        f
        for f in of_kind(result, FindingKind.BLAST_RADIUS_WIDENED)
        if f.subjects == ("service:web",)
    ]
    assert "Deployment back/api" in web.detail, web.detail


MULTI = """
apiVersion: design-drift/v1
kind: Baseline
metadata: {name: t, version: "1"}
cluster: c
zones:
  front: {namespaces: [front]}
  back: {namespaces: [back]}
services:
  web: {zone: front, select: {labels: {tier: web}}}
  api: {zone: back, select: {labels: {app: api}}, identity: api}
  db: {zone: back, select: {labels: {app: db}}, identity: db, crownJewel: true}
flows:
  - {from: cluster, to: cluster}
"""


def test_a_service_with_several_workloads_reports_the_crown_jewel_any_of_them_gives():
    # docs/baseline.md: the finding names what compromising the *service* newly controls,
    # critical when a crown jewel is in it. web has two workloads; only web-b's path leads
    # to the crown jewel db. Whichever workload comes first, the service's finding must be
    # critical and name db.
    docs = [
        namespace("front"),
        namespace("back"),
        deployment(
            "web-a", {"tier": "web", "app": "web-a"}, namespace="front", service_account="a"
        ),
        deployment(
            "web-b", {"tier": "web", "app": "web-b"}, namespace="front", service_account="b"
        ),
        deployment("api", namespace="back", service_account="api"),
        deployment("db", namespace="back", service_account="db"),
    ]
    g = graph(*docs)
    y, z = sa("y", "front"), sa("z", "front")
    assumes(g, sa("a", "front"), y)
    assumes(g, y, API)  # web-a: two steps to an ordinary identity
    assumes(g, sa("b", "front"), z)
    assumes(g, z, DB)  # web-b: two steps to the crown jewel's identity
    result = judge(g, "", base=MULTI)
    (web,) = [
        f
        for f in of_kind(result, FindingKind.BLAST_RADIUS_WIDENED)
        if f.subjects == ("service:web",)
    ]
    assert "ServiceAccount back/db" in web.detail, web.detail
    assert web.severity.name == "CRITICAL"
