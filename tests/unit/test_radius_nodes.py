"""Blast radius through node credentials (drift/k8s/escalation.py: NODE_CREDENTIALS is
"the kubelet's power, which reaches every pod on the node"; `Node *` is any node)."""

from __future__ import annotations

from builders import deployment, graph

from drift.findings import FindingKind, Severity
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
  db: {zone: default, select: {labels: {app: db}}, identity: db, crownJewel: true}
flows:
  - {from: cluster, to: cluster}
  - {from: internet, to: cluster}
  - {from: cluster, to: internet}
"""


def test_a_privileged_pod_gives_the_crown_jewel_through_any_nodes_credentials():
    web = deployment("web", service_account="web")
    web["spec"]["template"]["spec"]["containers"][0]["securityContext"] = {"privileged": True}
    g = graph(web, deployment("db", service_account="db"))
    result = judge(g, BASE)
    radius = [f for f in result.findings if f.kind is FindingKind.BLAST_RADIUS_WIDENED]
    trust = [f for f in result.findings if f.kind is FindingKind.TRUST_RELATION]
    # Holding every node's kubelet runs code in every pod, db's included: critical.
    assert radius or any(f.severity is Severity.CRITICAL for f in trust), [
        (f.kind, f.severity, f.detail) for f in result.findings
    ]
