"""Times `drift graph --manifests DIR --quiet` on synthetic clusters of several sizes.

For each size it generates the manifests (benchmarks/synth_cluster.py, seeded), runs the CLI
as a child process `--repeat` times, and reports wall time and the child's peak RSS (min and
median over the runs), with the nodes and `connects` edges in the JSON it printed. The peak
RSS is the child's own, read with wait4(2) (Linux and macOS). `--profile` then runs the
largest size once in-process under cProfile and prints the top 25 cumulative entries.

    python benchmarks/run_graph.py --sizes 500,2000,5000 --repeat 3
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import os
import platform
import pstats
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import astuple, dataclass
from pathlib import Path

from synth_cluster import write_cluster

REPO = Path(__file__).resolve().parent.parent
RSS_UNIT = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
MIB = 1024 * 1024


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_rss: int  # bytes
    exit_code: int
    output: Path
    errors: Path


@dataclass(frozen=True)
class Counts:
    nodes: int
    connects: int
    unknown: int  # connects edges with an "unknown" part


def drift_command() -> list[str]:
    """`python -m drift` once drift/__main__.py exists, else the `drift` console script."""
    if (REPO / "drift" / "__main__.py").exists():
        return [sys.executable, "-m", "drift"]
    script = shutil.which("drift")
    if script is None:
        raise SystemExit("no drift CLI: neither drift/__main__.py nor a `drift` script on PATH")
    return [script]


def run_once(command: list[str], scratch: Path, timeout: float) -> Run:
    """One child run: wall time from spawn to exit, and that child's own peak RSS."""
    output, errors = scratch / "stdout.json", scratch / "stderr.txt"
    with output.open("wb") as out, errors.open("wb") as err:
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=REPO, stdout=out, stderr=err)
        killer = threading.Timer(timeout, child.kill)
        killer.start()
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        killer.cancel()
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return Run(seconds, usage.ru_maxrss * RSS_UNIT, child.returncode, output, errors)


def count_graph(output: Path) -> Counts | None:
    """Nodes and `connects` edges in the printed JSON; None when it is not such JSON."""
    try:
        graph = json.loads(output.read_bytes())
        edges = [e for e in graph["edges"] if e.get("type") == "connects"]
        return Counts(len(graph.get("nodes", [])), len(edges), sum("unknown" in e for e in edges))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def bench_size(args: argparse.Namespace, size: int, work: Path) -> list[str]:
    """One table row for `size`; reports a failing run's stderr and stops there."""
    manifests = work / f"synth-{size}-seed{args.seed}"
    write_cluster(size, args.seed, manifests)
    command = [
        *drift_command(),
        "graph",
        "--manifests",
        str(manifests),
        "--quiet",
        *args.drift_args,
    ]
    runs = [run_once(command, work, args.timeout) for _ in range(args.repeat)]
    failed = next((r for r in runs if r.exit_code != 0), None)
    if failed is not None:
        tail = failed.errors.read_text(errors="replace")[-2000:]
        print(
            f"{size}: `{shlex.join(command)}` exited {failed.exit_code}:\n{tail}", file=sys.stderr
        )
    counts = count_graph(runs[-1].output)
    times = [r.seconds for r in runs]
    rss = [r.peak_rss / MIB for r in runs]
    return [
        str(size),
        *([str(n) for n in astuple(counts)] if counts else ["?"] * 3),
        f"{runs[-1].output.stat().st_size / MIB:.1f}",
        f"{min(times):.2f}",
        f"{statistics.median(times):.2f}",
        f"{min(rss):.0f}",
        f"{statistics.median(rss):.0f}",
        ",".join(sorted({str(r.exit_code) for r in runs})),
    ]


HEADER = [
    "workloads", "nodes", "connects", "unknown", "out MiB",
    "wall min s", "wall med s", "RSS min MiB", "RSS med MiB", "exit",
]  # fmt: skip


def print_table(rows: list[list[str]]) -> None:
    table = [HEADER, *rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(HEADER))]
    for row in table:
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))


def profile(args: argparse.Namespace, size: int, work: Path, top: int = 25) -> None:
    """Run the CLI's main in-process under cProfile; print the top cumulative entries."""
    sys.path.insert(0, str(REPO))
    from drift.cli import main

    manifests = work / f"synth-{size}-seed{args.seed}"
    write_cluster(size, args.seed, manifests)
    argv = ["graph", "--manifests", str(manifests), "--quiet", *args.drift_args]
    profiler = cProfile.Profile()
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        profiler.enable()
        try:
            main(argv)
        except SystemExit:
            pass
        finally:
            profiler.disable()
    print(f"\ncProfile of `drift {shlex.join(argv)}` ({size} workloads), top {top} cumulative:")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(top)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="500,2000,5000", help="workload counts, comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size (min and median)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=600, help="seconds before a run is killed")
    parser.add_argument("--work-dir", type=Path, help="keep manifests and output here")
    parser.add_argument("--drift-args", type=shlex.split, default=[], help="extra CLI arguments")
    parser.add_argument("--profile", action="store_true", help="cProfile the largest size")
    args = parser.parse_args(argv)
    args.sizes = sorted(int(s) for s in args.sizes.split(","))
    if args.repeat < 1 or min(args.sizes) < 1:
        parser.error("--repeat and --sizes must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(
        f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{shlex.join(drift_command())}, seed {args.seed}, {args.repeat} runs per size"
    )
    with contextlib.ExitStack() as stack:
        work = args.work_dir or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        work.mkdir(parents=True, exist_ok=True)
        print_table([bench_size(args, size, work) for size in args.sizes])
        if args.profile:
            profile(args, args.sizes[-1], work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
