"""Seeded generator of a synthetic cluster's manifests, for benchmarking `drift graph`.

Writes one multi-document YAML file per namespace (plus `kube-system.yaml`). Each namespace
has a labelled Namespace, a default-deny NetworkPolicy for Ingress and Egress, and one
ServiceAccount per workload. Workloads are mostly Deployments, plus StatefulSets and a few
CronJobs and DaemonSets, with pod labels `app` and `tier` and named and numbered container
ports. Each two workloads of a tier share one allow NetworkPolicy: ingress from 1-5 peers of
the tiers that call them, egress to DNS in kube-system and to the tiers they call, and now
and then to an ipBlock. About 5% of workloads, in every fourth namespace, are labelled
`isolated: "false"`: that namespace's default-deny leaves them out and no policy selects them.

Same arguments, same bytes:

    python benchmarks/synth_cluster.py --workloads 2000 --seed 1 --out /tmp/synth-2000
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PRESETS = (500, 2000, 5000)
UNISOLATED_SHARE = 0.05
NS_NAME_LABEL = "kubernetes.io/metadata.name"
TIERS = ("web", "api", "data", "batch", "ops")
# Who calls whom: a tier's ingress admits its callers, its egress allows its callees.
CALLERS = {
    "web": ("web", "ops"),
    "api": ("web", "api", "batch"),
    "data": ("api", "batch"),
    "batch": ("ops",),
    "ops": ("ops",),
}
CALLEES = {tier: tuple(c for c in TIERS if tier in CALLERS[c]) for tier in TIERS}
KINDS = {"Deployment": 80, "StatefulSet": 12, "CronJob": 5, "DaemonSet": 3}
# Container ports per tier: (name, number, protocol); an empty name leaves the port unnamed.
CONTAINER_PORTS = {
    "web": (("http", 8080, "TCP"), ("", 8081, "TCP"), ("metrics", 9100, "TCP")),
    "api": (("http", 8080, "TCP"), ("grpc", 9090, "TCP"), ("metrics", 9100, "TCP")),
    "data": (("db", 5432, "TCP"), ("repl", 5433, "TCP"), ("metrics", 9100, "TCP")),
    "batch": (("metrics", 9100, "TCP"),),
    "ops": (("metrics", 9100, "TCP"), ("", 9101, "TCP")),
}
STATSD_PORT = ("statsd", 8125, "UDP")
# NetworkPolicy ports that reach each tier: named, numbered and ranges.
POLICY_PORTS: dict[str, tuple[dict[str, Any], ...]] = {
    "web": ({"port": "http"}, {"protocol": "TCP", "port": 8080}, {"port": 8000, "endPort": 8099}),
    "api": (
        {"port": "http"},
        {"port": "grpc"},
        {"protocol": "TCP", "port": 9090},
        {"port": 8000, "endPort": 8099},
    ),
    "data": ({"port": "db"}, {"protocol": "TCP", "port": 5432, "endPort": 5433}),
    "batch": ({"port": "metrics"},),
    "ops": ({"protocol": "TCP", "port": 9100}, {"port": "metrics"}),
}
STATSD_POLICY_PORT = {"protocol": "UDP", "port": "statsd"}
IP_BLOCKS = (
    {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]},
    {"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]},
    {"cidr": "192.168.0.0/16"},
)
DNS_RULE = {
    "to": [
        {
            "namespaceSelector": {"matchLabels": {NS_NAME_LABEL: "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
        }
    ],
    "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
}


@dataclass
class Workload:
    name: str
    namespace: str
    kind: str
    tier: str
    labels: dict[str, str]
    ports: list[tuple[str, int, str]]
    isolated: bool = True


@dataclass
class Namespace:
    name: str
    labels: dict[str, str]
    workloads: list[Workload] = field(default_factory=list)
    open: bool = False  # hosts unisolated workloads: its default-deny leaves them out


@dataclass
class Cluster:
    namespaces: list[Namespace]
    teams: list[str]


_SafeDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml's when PyYAML has it


class _Dumper(_SafeDumper):
    """Never writes anchors: shared dicts are written out in full, as a person would."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def namespace_count(workloads: int) -> int:
    return min(50, max(10, workloads // 100))


def build_cluster(rng: random.Random, workloads: int) -> Cluster:
    """The cluster's namespaces and workloads, with the unisolated ones marked."""
    count = namespace_count(workloads)
    teams = [f"team-{i}" for i in range(max(3, count // 3))]
    namespaces = [
        Namespace(
            name=f"ns-{i:02d}",
            labels={"team": teams[i % len(teams)], "tier": ("frontend", "backend")[i % 2]},
            open=i % 4 == 1,
        )
        for i in range(count)
    ]
    for i in range(workloads):
        ns = namespaces[i * count // workloads]
        ns.workloads.append(_make_workload(rng, i, ns.name))
    _unisolate(rng, namespaces, round(workloads * UNISOLATED_SHARE))
    return Cluster(namespaces=namespaces, teams=teams)


def _make_workload(rng: random.Random, index: int, namespace: str) -> Workload:
    kind = rng.choices(list(KINDS), weights=list(KINDS.values()))[0]
    tier = {"StatefulSet": "data", "CronJob": "batch", "DaemonSet": "ops"}.get(kind) or (
        rng.choices(("web", "api", "data"), weights=(3, 5, 1))[0]
    )
    name = f"{tier}-{index:04d}"
    ports = list(CONTAINER_PORTS[tier])
    if rng.random() < 0.2:
        ports.append(STATSD_PORT)
    return Workload(name, namespace, kind, tier, {"app": name, "tier": tier}, ports)


def _unisolate(rng: random.Random, namespaces: list[Namespace], count: int) -> None:
    candidates = [w for ns in namespaces if ns.open for w in ns.workloads]
    for workload in rng.sample(candidates, min(count, len(candidates))):
        workload.isolated = False
        workload.labels["isolated"] = "false"


def namespace_documents(rng: random.Random, cluster: Cluster, ns: Namespace) -> list[Any]:
    """Everything in one namespace's file, in the order a person would apply it."""
    policies = _allow_policies(rng, cluster, ns)  # labels workloads, so before rendering them
    return [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": ns.name, "labels": ns.labels},
        },
        _default_deny(ns),
        *(_service_account(w.name, ns.name) for w in ns.workloads),
        *(_workload_manifest(w) for w in ns.workloads),
        *policies,
    ]


def _default_deny(ns: Namespace) -> dict[str, Any]:
    selector: dict[str, Any] = {}
    if ns.open:
        selector = {
            "matchExpressions": [{"key": "isolated", "operator": "NotIn", "values": ["false"]}]
        }
    return _policy("default-deny", ns.name, {"podSelector": selector})


def _policy(name: str, namespace: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {**spec, "policyTypes": ["Ingress", "Egress"]},
    }


def _service_account(name: str, namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": name, "namespace": namespace},
    }


def _workload_manifest(w: Workload) -> dict[str, Any]:
    ports = [
        {"containerPort": n, "protocol": p} | ({"name": name} if name else {})
        for name, n, p in w.ports
    ]
    container = {"name": "main", "image": f"registry.example.com/{w.tier}:1.0", "ports": ports}
    pod_spec: dict[str, Any] = {"serviceAccountName": w.name, "containers": [container]}
    template = {"metadata": {"labels": w.labels}, "spec": pod_spec}
    if w.kind == "CronJob":
        pod_spec["restartPolicy"] = "OnFailure"
        spec: dict[str, Any] = {
            "schedule": "*/30 * * * *",
            "jobTemplate": {"spec": {"template": template}},
        }
    else:
        spec = {"selector": {"matchLabels": {"app": w.name}}, "template": template}
    if w.kind == "Deployment":
        spec["replicas"] = 2
    if w.kind == "StatefulSet":
        spec |= {"serviceName": w.name, "replicas": 3}
    return {
        "apiVersion": "batch/v1" if w.kind == "CronJob" else "apps/v1",
        "kind": w.kind,
        "metadata": {"name": w.name, "namespace": w.namespace, "labels": {"app": w.name}},
        "spec": spec,
    }


def _allow_policies(rng: random.Random, cluster: Cluster, ns: Namespace) -> list[dict[str, Any]]:
    """One policy per two isolated workloads of the same tier (a lone one gets its own)."""
    by_tier: dict[str, list[Workload]] = {}
    for w in ns.workloads:
        if w.isolated:
            by_tier.setdefault(w.tier, []).append(w)
    apps = {tier: [w.name for w in ws] for tier, ws in by_tier.items()}
    policies = []
    for tier in TIERS:
        members = by_tier.get(tier, [])
        for i in range(0, len(members), 2):
            pair = members[i : i + 2]
            spec = {
                "podSelector": _target_selector(pair, len(policies)),
                "ingress": [_ingress_rule(rng, cluster, apps, tier)],
                "egress": _egress_rules(rng, cluster, apps, tier),
            }
            policies.append(_policy("allow-" + "-".join(w.name for w in pair), ns.name, spec))
    return policies


def _target_selector(pair: list[Workload], index: int) -> dict[str, Any]:
    """The pods of `pair`: by `app In` or, every other policy, by a label they share."""
    if len(pair) == 1:
        return {"matchLabels": {"app": pair[0].name}}
    if index % 2 == 0:
        return {
            "matchExpressions": [{"key": "app", "operator": "In", "values": [w.name for w in pair]}]
        }
    for w in pair:
        w.labels["policy-group"] = pair[0].name
    return {"matchLabels": {"policy-group": pair[0].name}}


def _ingress_rule(
    rng: random.Random, cluster: Cluster, apps: dict[str, list[str]], tier: str
) -> dict[str, Any]:
    peers = _peers(rng, cluster, apps, CALLERS[tier], rng.randint(1, 5))
    return {"from": peers, "ports": _ports(rng, tier)}


def _egress_rules(
    rng: random.Random, cluster: Cluster, apps: dict[str, list[str]], tier: str
) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = [DNS_RULE]
    callees = CALLEES[tier]
    for callee in rng.sample(callees, min(len(callees), rng.randint(1, 2))):
        peers = _peers(rng, cluster, apps, (callee,), rng.randint(1, 2))
        rules.append({"to": peers, "ports": _ports(rng, callee)})
    if rng.random() < 0.08:
        rules.append({"to": [{"ipBlock": rng.choice(IP_BLOCKS)}], "ports": [{"port": 443}]})
    return rules


def _ports(rng: random.Random, tier: str) -> list[dict[str, Any]]:
    choices = POLICY_PORTS[tier]
    ports = rng.sample(choices, rng.randint(1, min(3, len(choices))))
    return [*ports, STATSD_POLICY_PORT] if rng.random() < 0.1 else ports


def _peers(
    rng: random.Random,
    cluster: Cluster,
    apps: dict[str, list[str]],
    tiers: tuple[str, ...],
    count: int,
) -> list[dict[str, Any]]:
    """Up to `count` distinct peers selecting pods of `tiers`, in five shapes."""
    peers: list[dict[str, Any]] = []
    for _ in range(count):
        tier = rng.choice(tiers)
        shape = rng.choices(range(5), weights=(30, 25, 20, 10, 15))[0]
        peer = _peer(rng, cluster, apps.get(tier) or [], tier, shape)
        if peer not in peers:
            peers.append(peer)
    return peers


def _peer(
    rng: random.Random, cluster: Cluster, apps: list[str], tier: str, shape: int
) -> dict[str, Any]:
    if shape == 1 and apps:  # one workload of this namespace
        return {"podSelector": {"matchLabels": {"app": rng.choice(apps)}}}
    if shape == 2:  # a tier in every namespace of one team
        return {
            "namespaceSelector": {"matchLabels": {"team": rng.choice(cluster.teams)}},
            "podSelector": {"matchLabels": {"tier": tier}},
        }
    if shape == 3:  # a tier in one or two namespaces named
        names = sorted(rng.sample([ns.name for ns in cluster.namespaces], rng.randint(1, 2)))
        return {
            "namespaceSelector": {
                "matchExpressions": [{"key": NS_NAME_LABEL, "operator": "In", "values": names}]
            },
            "podSelector": {"matchLabels": {"tier": tier}},
        }
    if shape == 4:  # the same tier, said with NotIn and Exists
        others = [t for t in TIERS if t != tier]
        return {
            "podSelector": {
                "matchExpressions": [
                    {"key": "tier", "operator": "NotIn", "values": others},
                    {"key": "app", "operator": "Exists"},
                ]
            }
        }
    return {"podSelector": {"matchLabels": {"tier": tier}}}


def kube_system_documents() -> list[Any]:
    """kube-system with CoreDNS, which every egress rule's DNS peer selects (no policies)."""
    labels = {"k8s-app": "kube-dns"}
    ports = [
        {"name": "dns", "containerPort": 53, "protocol": "UDP"},
        {"name": "dns-tcp", "containerPort": 53, "protocol": "TCP"},
        {"name": "metrics", "containerPort": 9153, "protocol": "TCP"},
    ]
    container = {
        "name": "coredns",
        "image": "registry.k8s.io/coredns/coredns:v1.12.0",
        "ports": ports,
    }
    pod_spec = {"serviceAccountName": "coredns", "containers": [container]}
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "coredns", "namespace": "kube-system", "labels": labels},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": pod_spec},
        },
    }
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system"}}
    return [namespace, _service_account("coredns", "kube-system"), deployment]


def write_cluster(workloads: int, seed: int, out: Path) -> list[Path]:
    """Generate the cluster into `out` (created if needed); returns the files written."""
    rng = random.Random(seed)
    cluster = build_cluster(rng, workloads)
    out.mkdir(parents=True, exist_ok=True)
    files = {"kube-system.yaml": kube_system_documents()}
    for ns in cluster.namespaces:
        files[f"{ns.name}.yaml"] = namespace_documents(rng, cluster, ns)
    stray = sorted(p.name for p in out.iterdir() if p.name not in files)
    if stray:
        raise SystemExit(
            f"{out} holds other files ({', '.join(stray[:3])}...): use an empty directory"
        )
    for name, documents in files.items():
        text = yaml.dump_all(documents, Dumper=_Dumper, sort_keys=False, explicit_start=True)
        (out / name).write_text(text, encoding="utf-8")
    return [out / name for name in files]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--workloads",
        type=int,
        default=PRESETS[0],
        help=f"number of workloads (presets: {', '.join(map(str, PRESETS))})",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True, help="directory to write into")
    args = parser.parse_args(argv)
    if args.workloads < 1:
        parser.error("--workloads must be positive")
    files = write_cluster(args.workloads, args.seed, args.out)
    print(
        f"wrote {len(files)} files, {args.workloads} workloads, "
        f"{namespace_count(args.workloads)} namespaces to {args.out}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
