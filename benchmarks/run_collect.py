"""Times the live collector against the fake API server serving the synthetic cluster.

It generates the cluster (benchmarks/synth_cluster.py, seeded), serves it over loopback
HTTPS with tests/fakeapi, and collects it `--repeat` times with `LiveCollector` (page size
500 by default) through the official client. It prints the wall time of each collection
(min and median), the objects collected, and the server's count of requests: per kind, for
discovery, and in all, with requests per page (1.00 means no retries, no restarts) and per
object (well under 1: lists are paged, objects are never fetched one by one).

    python benchmarks/run_collect.py --workloads 5000 --repeat 3
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from synth_cluster import write_cluster

REPO = Path(__file__).resolve().parent.parent
sys.path.append(str(REPO / "tests"))  # appended: tests/collectors must not shadow collectors

from fakeapi import FakeApiServer  # noqa: E402

from collectors.kubernetes.live import LiveCollector, scope_name  # noqa: E402
from drift.collect import Collection, ReadOptions, ScopeStatus  # noqa: E402


def collect_once(server: FakeApiServer, page_size: int) -> tuple[float, Collection, Counter[str]]:
    server.reset()
    collector = LiveCollector(kubeconfig=str(server.kubeconfig), page_size=page_size)
    start = time.perf_counter()
    collection = collector.collect(ReadOptions())
    return time.perf_counter() - start, collection, server.counts()


def report(
    server: FakeApiServer, collection: Collection, requests: Counter[str], page_size: int
) -> None:
    paths = {(r.group, r.kind): r.path() for r in server.cluster.resources()}
    per_kind = Counter((o.group, o.kind) for o in collection.objects)
    rows, pages = [], 0
    for outcome in collection.outcomes:
        if outcome.status is not ScopeStatus.OK or outcome.kind is None:
            continue
        objects, asked = per_kind[outcome.kind], requests[paths[outcome.kind]]
        expected = max(1, math.ceil(objects / page_size))
        pages += expected
        rows.append((scope_name(outcome.kind), objects, asked, expected))
    listed = sum(row[2] for row in rows)
    total = sum(requests.values())
    print(f"\n{'kind':<34}{'objects':>9}{'requests':>10}{'pages':>7}")
    for name, objects, asked, expected in rows:
        print(f"{name:<34}{objects:>9,}{asked:>10}{expected:>7}")
    unserved = sum(o.status is ScopeStatus.NOT_INSTALLED for o in collection.outcomes)
    print(f"\nnot installed: {unserved} kinds (no list request)")
    print(f"requests: {total} = {listed} lists + {total - listed} discovery")
    print(f"list requests per page: {listed / pages:.2f}")
    print(f"requests per object: {total / max(1, len(collection.objects)):.4f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--page-size", type=int, default=500)
    args = parser.parse_args(argv)
    print(
        f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{args.workloads} workloads, seed {args.seed}, page size {args.page_size}"
    )
    with tempfile.TemporaryDirectory() as scratch:
        cluster = Path(scratch) / "cluster"
        write_cluster(args.workloads, args.seed, cluster)
        start = time.perf_counter()
        with FakeApiServer(cluster) as server:
            print(f"fake API server loaded the manifests in {time.perf_counter() - start:.2f} s")
            runs = [collect_once(server, args.page_size) for _ in range(args.repeat)]
            walls = [run[0] for run in runs]
            _, collection, requests = runs[-1]
            print(
                f"collect wall s: min {min(walls):.2f}, median {statistics.median(walls):.2f} "
                f"over {len(walls)} runs; {len(collection.objects):,} objects; "
                f"complete: {collection.complete}"
            )
            report(server, collection, requests, args.page_size)
    return 0 if collection.complete else 1


if __name__ == "__main__":
    sys.exit(main())
