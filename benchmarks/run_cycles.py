"""Does a long-running monitor hold steady memory? Runs many cycles in one process.

Each cycle is what `drift serve` runs per interval (collect → diff → lifecycle → store) on the
bundled example with a SQLite store, with the collector re-reading the manifests every time.
Prints the resident set size (VmRSS, Linux) at a few points and the store's size at the end.

    python benchmarks/run_cycles.py --cycles 500
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from drift.monitor import run_target
from drift.settings import example_settings
from drift.store.sql import SqlStore


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=500)
    args = parser.parse_args()
    checkpoints = {1, 10, args.cycles // 4, args.cycles // 2, args.cycles}
    target = example_settings().targets[0]
    clock_now = datetime(2026, 11, 1, tzinfo=UTC)

    def clock() -> datetime:
        nonlocal clock_now
        clock_now += timedelta(seconds=1)
        return clock_now

    with tempfile.TemporaryDirectory() as scratch:
        store = SqlStore(f"sqlite:///{Path(scratch) / 'drift.db'}")
        store.migrate()
        started = time.perf_counter()
        for cycle in range(1, args.cycles + 1):
            run_target(target, store, clock)
            if cycle in checkpoints:
                print(
                    f"cycle {cycle:5}: RSS {rss_mib():7.1f} MiB, "
                    f"{time.perf_counter() - started:6.1f} s"
                )
        print(
            f"runs stored: {len(store.runs(limit=args.cycles + 1))}; "
            f"database {(Path(scratch) / 'drift.db').stat().st_size / 1024:.0f} KiB"
        )
        store.close()


if __name__ == "__main__":
    main()
