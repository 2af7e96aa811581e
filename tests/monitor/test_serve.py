"""`drift serve` as a subprocess: it becomes ready after a first run, answers /metrics from
the store, and stops cleanly on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.monitor.serving import get, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "online-shop"


def test_serve_becomes_ready_exports_metrics_and_stops_on_sigterm(tmp_path: Path) -> None:
    config = tmp_path / "drift.yaml"
    config.write_text(
        f"database: sqlite:///{tmp_path / 'drift.db'}\n"
        "http: {bind: 127.0.0.1, port: 0}\n"
        "targets:\n"
        f"  - {{name: shop, baseline: {EXAMPLE / 'baseline.yaml'}, "
        f"manifests: [{EXAMPLE / 'drifted'}], intervalSeconds: 10}}\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "drift", "serve", "--config", str(config), "--log-format", "text"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        port = wait_for_port(process, time.monotonic() + 30)
        base = f"http://127.0.0.1:{port}"
        assert get(f"{base}/healthz")[0] == 200
        deadline = time.monotonic() + 30
        while get(f"{base}/readyz")[0] != 200:
            assert time.monotonic() < deadline, "never ready"
            time.sleep(0.1)
        status, metrics = get(f"{base}/metrics")
        assert status == 200
        flow = 'drift_findings_open{kind="implicit-trust.flow",severity="critical",zone="payments"}'
        assert f"{flow} 1.0" in metrics
        assert 'drift_target_interval_seconds{target="shop"} 10.0' in metrics
        assert 'drift_last_successful_run_timestamp_seconds{target="shop"}' in metrics
        assert get(f"{base}/nothing")[0] == 404
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()
