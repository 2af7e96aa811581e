"""trust: relations cover live `assumes` edges as docs/baseline.md says."""

from __future__ import annotations

from builders import cluster_role, cluster_role_binding, deployment, graph, rule, sa

from drift.findings import FindingKind
from tests.unit.identity_helpers import judge

BASE = """
apiVersion: design-drift/v1
kind: Baseline
metadata: {name: t, version: "1"}
cluster: c
zones:
  default: {namespaces: [default]}
services:
  web: {zone: default, select: {labels: {app: web}}, identity: web}
flows:
  - {from: cluster, to: cluster}
  - {from: internet, to: cluster}
  - {from: cluster, to: internet}
permissions:
  web:
    - {resources: [nodes/proxy], resourceNames: [worker-1], verbs: [get], clusterWide: true}
trust:
  - {from: web, to: "node:*"}   # node:* - the credentials of any node
"""


def test_trust_in_any_node_covers_one_named_node():
    g = graph(
        deployment("web", service_account="web"),
        cluster_role("np", rule(["get"], ["nodes/proxy"], names=["worker-1"])),
        cluster_role_binding("np", "np", sa("web")),
    )
    res = judge(g, BASE)
    found = [f for f in res.findings if f.kind is FindingKind.TRUST_RELATION]
    assert found == [], [(f.title, f.detail) for f in found]
