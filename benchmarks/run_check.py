"""Times `drift check` against a proposed baseline next to `drift graph`, on one size.

Issue 4 asks that `drift check` on the 5,000-workload cluster, against a baseline proposed
from it, take at most twice the time of `drift graph` on it. This proposes the baseline
once, then alternates graph and check runs (so machine noise hits both alike) and prints
min and median wall time and peak RSS of each, and their ratio.

    python benchmarks/run_check.py --workloads 5000 --repeat 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from run_graph import MIB, drift_command, run_once
from synth_cluster import write_cluster


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        cluster = work / "cluster"
        write_cluster(args.workloads, args.seed, cluster)
        drift = drift_command()
        baseline = work / "proposed.yaml"
        proposed = run_once(
            [
                *drift,
                "baseline",
                "propose",
                "--manifests",
                str(cluster),
                "--quiet",
                "-o",
                str(baseline),
            ],
            work,
            600,
        )
        if proposed.exit_code != 0:
            print(proposed.errors.read_text(), file=sys.stderr)
            return 1
        graph = [
            *drift,
            "graph",
            "--manifests",
            str(cluster),
            "--quiet",
            "-o",
            str(work / "g.json"),
        ]
        check = [
            *drift,
            "check",
            "--baseline",
            str(baseline),
            "--manifests",
            str(cluster),
            "--quiet",
            "--format",
            "json",
            "-o",
            str(work / "c.json"),
        ]
        runs: dict[str, list[tuple[float, int]]] = {"graph": [], "check": []}
        for _ in range(args.repeat):
            for name, command in (("graph", graph), ("check", check)):
                run = run_once(command, work, 600)
                runs[name].append((run.seconds, run.peak_rss))
        report(args.workloads, runs)
    return 0


def report(workloads: int, runs: dict[str, list[tuple[float, int]]]) -> None:
    print(f"{workloads} workloads, {len(runs['graph'])} runs each")
    for name, samples in runs.items():
        seconds = [s for s, _ in samples]
        median = statistics.median(seconds)
        rss = statistics.median(r / MIB for _, r in samples)
        print(
            f"  {name:5}  wall min {min(seconds):6.2f} s  median {median:6.2f} s"
            f"  peak RSS median {rss:6.0f} MiB"
        )
    ratio = statistics.median(s for s, _ in runs["check"]) / statistics.median(
        s for s, _ in runs["graph"]
    )
    print(f"  check / graph (medians): {ratio:.2f}")


if __name__ == "__main__":
    sys.exit(main())
