"""Times `drift.blast.blast_radius` on a synthetic graph of 20,000 nodes and 200,000 edges.

The graph is built in code (seeded), not from manifests: 8,000 workloads, 8,000 identities
and 4,000 resources in 40 namespaces (sizes scale with `--scale`). Each run is a child
process that builds the graph, then computes the blast radius of every workload and
identity; the two are timed apart. Then it reads three counts (control, reach, possible
reach) of every subject, and decodes those three sets of every subject: what a caller pays
that asks for everything. The parent reports min and median of each over `--repeat` runs,
and peak RSS after each stage (the last from wait4(2), as in run_graph.py). `--verify N`
checks N subjects against a plain breadth-first search; `--profile` runs once under
cProfile.

    python benchmarks/run_blast.py --repeat 3
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import random
import resource
import statistics
import sys
import tempfile
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from run_graph import MIB, RSS_UNIT, run_once

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from drift.blast import BlastRadius, blast_radius, default_is_certain  # noqa: E402
from drift.gcpause import paused_gc  # noqa: E402
from drift.model import (  # noqa: E402
    AssumesEdge,
    CanEdge,
    ConnectsEdge,
    Edge,
    EdgeType,
    IdentityNode,
    ResourceNode,
    RunsAsEdge,
    SystemGraph,
    WorkloadNode,
)
from drift.ports import PortSet, Protocol  # noqa: E402

MAYBE = "maybe: "  # an `assumes` edge whose `via` starts so is only possible
HTTP = PortSet.of(Protocol.TCP, 8080)
UNKNOWN = PortSet.of(Protocol.TCP, 1, 65535)
VERBS = (frozenset({"get", "list"}), frozenset({"get", "list", "watch", "create", "delete"}))


def is_certain(edge: Edge) -> bool:
    """The default, plus `assumes` edges marked possible (as `AssumesEdge.certain` will)."""
    if isinstance(edge, AssumesEdge):
        return not edge.via.startswith(MAYBE)
    return default_is_certain(edge)


# --- the synthetic graph ---------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """Per namespace; 40 namespaces by default (x `--scale`)."""

    namespaces: int = 40
    workloads: int = 200
    identities: int = 200
    resources: int = 100
    open_every: int = 4  # every 4th namespace: create-pods lets every SA become every other
    creators: int = 10  # SAs holding create-pods in an open namespace
    cluster_identities: int = 20  # CI deployers, operators: assume SAs everywhere
    cluster_reach: int = 300  # SAs each of them assumes
    cross_assumes: int = 4400  # IRSA-like identity -> identity edges across namespaces
    connects: int = 16  # per workload, 70% in its own namespace
    possible: float = 0.05  # share of connects (unknown ports) and assumes that are possible


def ids(ns: int, shape: Shape) -> tuple[list[str], list[str], list[str]]:
    prefix = f"k8s:bench/ns{ns:03d}"
    return (
        [f"{prefix}/Deployment/w{i:03d}" for i in range(shape.workloads)],
        [f"{prefix}/ServiceAccount/sa{i:03d}" for i in range(shape.identities)],
        [f"{prefix}/Resource/r{i:03d}" for i in range(shape.resources)],
    )


def add_nodes(graph: SystemGraph, shape: Shape) -> None:
    for ns in range(shape.namespaces):
        workloads, identities, resources = ids(ns, shape)
        for w in workloads:
            name = w.rpartition("/")[2]
            graph.add_node(
                WorkloadNode(
                    id=w, kind="Deployment", namespace=f"ns{ns:03d}", name=name,
                    service_account=name, labels={"app": name},
                )
            )  # fmt: skip
        for s in identities:
            graph.add_node(IdentityNode(id=s, kind="ServiceAccount", name=s.rpartition("/")[2]))
        for r in resources:
            graph.add_node(ResourceNode(id=r, name=r.rpartition("/")[2]))


def control_edges(shape: Shape, rng: random.Random) -> Iterator[Edge]:
    everyone = [ids(ns, shape)[1] for ns in range(shape.namespaces)]
    for ns in range(shape.namespaces):
        workloads, identities, _ = ids(ns, shape)
        for w, s in zip(workloads, identities, strict=True):
            # One in five runs as the namespace's first (default) ServiceAccount.
            yield RunsAsEdge(source=w, target=identities[0] if rng.random() < 0.2 else s)
    for source, target in sorted(assumed_pairs(everyone, shape, rng)):
        via = "RoleBinding edit (create pods)"
        if rng.random() < shape.possible:
            via = MAYBE + via
        yield AssumesEdge(source=source, target=target, via=via)


def assumed_pairs(
    everyone: list[list[str]], shape: Shape, rng: random.Random
) -> set[tuple[str, str]]:
    """Open namespaces (one component each), cluster-wide identities, then random pairs."""
    pairs: set[tuple[str, str]] = set()
    for identities in everyone[:: shape.open_every]:
        creators = identities[: shape.creators]
        pairs.update((c, s) for c in creators for s in identities if s != c)
        pairs.update((s, rng.choice(creators)) for s in identities[shape.creators :])
    flat = [s for ns in everyone for s in ns]
    for k in range(shape.cluster_identities):
        source = everyone[k % shape.namespaces][-1 - k // shape.namespaces]
        pairs.update((source, t) for t in rng.sample(flat, shape.cluster_reach) if t != source)
    wanted = len(pairs) + shape.cross_assumes
    while len(pairs) < wanted:
        source, target = rng.sample(flat, 2)
        pairs.add((source, target))
    return pairs


def reach_edges(shape: Shape, rng: random.Random) -> Iterator[Edge]:
    spaces = [ids(ns, shape) for ns in range(shape.namespaces)]
    for ns, (workloads, identities, resources) in enumerate(spaces):
        for w in workloads:
            local = int(shape.connects * 0.7)
            targets = set(rng.sample(workloads, local))
            while len(targets) < shape.connects:
                targets.add(rng.choice(spaces[rng.randrange(shape.namespaces)][0]))
            for t in sorted(targets):
                if rng.random() < shape.possible:
                    yield ConnectsEdge(source=w, target=t, ports=PortSet.empty(), unknown=UNKNOWN)
                else:
                    yield ConnectsEdge(source=w, target=t, ports=HTTP)
        for i, s in enumerate(identities):
            many = i < shape.creators and ns % shape.open_every == 0
            for r in rng.sample(resources, 40 if many else rng.randint(1, 6)):
                yield CanEdge(source=s, target=r, actions=VERBS[many])


def synth_graph(seed: int, shape: Shape) -> SystemGraph:
    rng = random.Random(seed)
    graph = SystemGraph(cluster="bench")
    add_nodes(graph, shape)
    for edge in control_edges(shape, rng):
        graph.add_edge(edge)
    for edge in reach_edges(shape, rng):
        graph.add_edge(edge)
    return graph


def scaled(scale: float) -> Shape:
    base = Shape()
    return Shape(
        namespaces=max(1, round(base.namespaces * scale)),
        cross_assumes=round(base.cross_assumes * scale),
    )


# --- a plain search, to check the answer -----------------------------------------------------


def naive(graph: SystemGraph, source: str, certain_only: bool) -> tuple[set[str], set[str]]:
    """Control and reach of `source` by breadth-first search (certain, or certain+possible)."""
    nxg = graph.networkx
    control, queue = {source}, deque([source])
    reach: set[str] = set()
    while queue:
        node = queue.popleft()
        for _, target, key, edge in nxg.out_edges(node, keys=True, data="edge"):
            if certain_only and not is_certain(edge):
                continue
            if key in (EdgeType.RUNS_AS, EdgeType.ASSUMES) and target not in control:
                control.add(target)
                queue.append(target)
            elif key in (EdgeType.CONNECTS, EdgeType.CAN):
                reach.add(target)
    return control, reach


def verify(graph: SystemGraph, blast: BlastRadius, count: int, seed: int) -> None:
    subjects = random.Random(seed).sample(blast.subjects, count)
    for s in subjects:
        control, reach = naive(graph, s, certain_only=True)
        may_control, may_reach = naive(graph, s, certain_only=False)
        assert blast.control_of(s) == control, s
        assert blast.reach_of(s) == reach, s
        assert blast.possible_control_of(s) == may_control - control, s
        assert blast.possible_reach_of(s) == may_reach - reach, s


# --- one run (the child) ---------------------------------------------------------------------


def peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * RSS_UNIT


def child(args: argparse.Namespace) -> dict[str, float]:
    """Build, then compute; what the parent tabulates."""
    start = time.perf_counter()
    with paused_gc():  # as drift's own graph build does
        graph = synth_graph(args.seed, scaled(args.scale))
    built = time.perf_counter()
    rss_graph = peak_rss()
    blast = blast_radius(graph, is_certain=is_certain)
    done = time.perf_counter()
    rss_blast = peak_rss()
    subjects = blast.subjects
    controls = sorted(blast.control_count(s) for s in subjects)
    reaches = sorted(blast.reach_count(s) for s in subjects)
    possible = sum(blast.possible_reach_count(s) for s in subjects)
    counted = time.perf_counter()
    for s in subjects:
        blast.control_of(s), blast.reach_of(s), blast.possible_reach_of(s)
    decoded = time.perf_counter()
    if args.verify:
        verify(graph, blast, args.verify, args.seed)
    return {
        "nodes": graph.networkx.number_of_nodes(),
        "edges": graph.networkx.number_of_edges(),
        "subjects": len(subjects),
        "build_s": built - start,
        "blast_s": done - built,
        "count_s": counted - done,
        "decode_s": decoded - counted,
        "rss_graph": rss_graph / MIB,
        "rss_blast": rss_blast / MIB,
        "rss_peak": peak_rss() / MIB,
        "control_median": statistics.median(controls),
        "control_max": controls[-1],
        "reach_median": statistics.median(reaches),
        "reach_max": reaches[-1],
        "possible_reach": possible,
    }


# --- the parent ------------------------------------------------------------------------------


def run_children(args: argparse.Namespace, scratch: Path) -> list[dict[str, float]]:
    command = [sys.executable, __file__, "--child", f"--seed={args.seed}"]
    command += [f"--scale={args.scale}", f"--verify={args.verify}"]
    results = []
    for _ in range(args.repeat):
        run = run_once(command, scratch, args.timeout)
        if run.exit_code != 0:
            sys.exit(f"child exited {run.exit_code}:\n{run.errors.read_text()[-2000:]}")
        result = json.loads(run.output.read_text())
        result["rss_peak"] = run.peak_rss / MIB  # the child's own, from wait4(2)
        results.append(result)
    return results


def report(results: list[dict[str, float]]) -> None:
    first = results[0]
    print(
        f"{first['nodes']:,} nodes, {first['edges']:,} edges, {first['subjects']:,} workloads"
        f" and identities; control sets median {first['control_median']:.0f}, max"
        f" {first['control_max']:,}; reach median {first['reach_median']:.0f}, max"
        f" {first['reach_max']:,}; {first['possible_reach']:,} possible reach pairs"
    )
    for label, key, unit in (
        ("graph construction", "build_s", "s"),
        ("blast radius, every subject", "blast_s", "s"),
        ("then 3 counts per subject", "count_s", "s"),
        ("then decode 3 sets per subject", "decode_s", "s"),
        ("peak RSS after construction", "rss_graph", "MiB"),
        ("peak RSS after blast radius", "rss_blast", "MiB"),
        ("peak RSS (after decoding)", "rss_peak", "MiB"),
    ):
        values = [r[key] for r in results]
        low, mid = min(values), statistics.median(values)
        print(f"{label:>30}: min {low:8.2f} {unit}, median {mid:8.2f} {unit}")


def profile(args: argparse.Namespace, top: int = 20) -> None:
    graph = synth_graph(args.seed, scaled(args.scale))
    profiler = cProfile.Profile()
    profiler.runcall(blast_radius, graph, is_certain=is_certain)
    print(f"\ncProfile of blast_radius, top {top} by own time:")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs (min and median)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scale", type=float, default=1.0, help="x 40 namespaces")
    parser.add_argument("--verify", type=int, default=0, help="subjects to check by BFS")
    parser.add_argument("--timeout", type=float, default=600, help="seconds before a run is killed")
    parser.add_argument("--profile", action="store_true", help="cProfile one computation")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.scale <= 0 or args.verify < 0:
        parser.error("--repeat and --scale must be positive, --verify not negative")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        json.dump(child(args), sys.stdout)
        return 0
    print(
        f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()},"
        f" seed {args.seed}, scale {args.scale}, {args.repeat} runs, load average"
        f" {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    with tempfile.TemporaryDirectory() as scratch:
        report(run_children(args, Path(scratch)))
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.profile:
        profile(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
