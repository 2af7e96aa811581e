"""Mesh: mTLS judged per port."""

from __future__ import annotations

from builders import deployment, graph, namespace, netpol

from drift.findings import FindingKind
from tests.unit.identity_helpers import judge


def peer(name, ns, spec):
    return {
        "apiVersion": "security.istio.io/v1",
        "kind": "PeerAuthentication",
        "metadata": {"name": name, "namespace": ns},
        "spec": spec,
    }


def app(name, ns, ports):
    d = deployment(
        name, namespace=ns, service_account=name, ports=[{"containerPort": p} for p in ports]
    )
    return d


ENABLED = {"istio-injection": "enabled"}

BASE = """
apiVersion: design-drift/v1
kind: Baseline
metadata: {name: t, version: "1"}
cluster: c
zones:
  front: {namespaces: [front]}
  back: {namespaces: [back]}
services:
  web: {zone: front, select: {labels: {app: web}}, identity: web}
  api: {zone: back, select: {labels: {app: api}}, identity: api}
flows:
  - {from: web, to: api, ports: [{port: 8080}], mtls: true}
  - {from: web, to: api, ports: [{port: 9090}]}
  - {from: cluster, to: cluster}
  - {from: internet, to: cluster}
  - {from: cluster, to: internet}
"""


def docs():
    return [
        namespace("front", ENABLED),
        namespace("back", ENABLED),
        app("web", "front", [80]),
        app("api", "back", [8080, 9090]),
        peer(
            "api",
            "back",
            {
                "selector": {"matchLabels": {"app": "api"}},
                "mtls": {"mode": "PERMISSIVE"},
                "portLevelMtls": {8080: {"mode": "STRICT"}},
            },
        ),
    ]


def test_a_flow_requiring_mtls_on_a_strict_port_is_met_even_if_another_port_is_permissive():
    g = graph(*docs())
    res = judge(g, BASE)
    found = [f for f in res.findings if f.kind is FindingKind.UNAUTHENTICATED]
    # Istio: port 8080 of api is STRICT (portLevelMtls); the flow requires mTLS only on 8080.
    assert found == [], [(f.title, f.detail) for f in found]


STRICT_ZONE = """
apiVersion: design-drift/v1
kind: Baseline
metadata: {name: t, version: "1"}
cluster: c
zones:
  front: {namespaces: [front]}
  back: {namespaces: [back], require: {mtls: strict}}
services:
  web: {zone: front, select: {labels: {app: web}}, identity: web}
  api: {zone: back, select: {labels: {app: api}}, identity: api}
flows:
  - {from: web, to: api, ports: [{port: 9090}]}
"""


def test_an_edge_on_an_undeclared_port_of_a_strict_meshed_workload_is_not_plaintext():
    only_9090 = netpol(
        "api-in",
        {
            "podSelector": {"matchLabels": {"app": "api"}},
            "policyTypes": ["Ingress"],
            "ingress": [{"ports": [{"port": 9090}]}],
        },
        namespace="back",
    )
    g = graph(
        namespace("front", ENABLED),
        namespace("back", ENABLED),
        app("web", "front", [80]),
        app("api", "back", [8080]),
        peer("default", "istio-system", {"mtls": {"mode": "STRICT"}}),
        only_9090,
    )
    res = judge(g, STRICT_ZONE)
    found = [f for f in res.findings if f.kind is FindingKind.UNAUTHENTICATED]
    # Istio's sidecar intercepts every inbound port by default and STRICT mesh-wide refuses
    # plaintext on all of them: api does not accept plaintext on 9090.
    assert found == [], [(f.title, f.detail) for f in found]


def test_the_clause_named_is_the_flow_that_requires_mtls():
    base = BASE.replace(
        "  - {from: web, to: api, ports: [{port: 8080}], mtls: true}\n"
        "  - {from: web, to: api, ports: [{port: 9090}]}\n",
        "  - {from: web, to: api, ports: [{port: 9090}]}\n"
        "  - {from: web, to: api, ports: [{port: 8080}], mtls: true}\n",
    )
    g = graph(
        namespace("front", ENABLED),
        namespace("back", ENABLED),
        app("web", "front", [80]),
        app("api", "back", [8080, 9090]),
        peer("default", "istio-system", {"mtls": {"mode": "PERMISSIVE"}}),
    )
    (finding,) = [f for f in judge(g, base).findings if f.kind is FindingKind.UNAUTHENTICATED]
    # flows[0] (9090) requires nothing; flows[1] (8080, mtls: true) is the broken clause.
    assert finding.clause.endswith("flows[1].mtls"), finding.clause
