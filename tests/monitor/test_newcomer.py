"""A newcomer's path, end to end: `drift serve` pointed at a kubeconfig and a baseline sees a
NetworkPolicy widened in the (fake) cluster, the finding is accepted with an expiry, and it
counts again once the expiry passes."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fakeapi import FakeApiServer

from tests.monitor.serving import eventually, get, wait_for_port, widened_payment_policy

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "online-shop"
CRITICAL_FLOW = (
    'drift_findings_open{kind="implicit-trust.flow",severity="critical",zone="payments"} 1.0'
)


def test_serve_sees_a_widened_policy_and_an_accepted_risk_expire(tmp_path: Path) -> None:
    with FakeApiServer(EXAMPLE / "manifests") as cluster:
        kubeconfig = cluster.write_kubeconfig(tmp_path / "kubeconfig")
        config = tmp_path / "drift.yaml"
        config.write_text(
            f"database: sqlite:///{tmp_path / 'drift.db'}\n"
            "http: {bind: 127.0.0.1, port: 0}\n"
            "targets:\n"
            f"  - name: shop\n    baseline: {EXAMPLE / 'baseline.yaml'}\n"
            f"    kubernetes: {{kubeconfig: {kubeconfig}, context: fake}}\n"
            "    intervalSeconds: 1\n"
        )
        serve = subprocess.Popen(
            [sys.executable, "-m", "drift", "serve", "--config", str(config)],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        try:
            base = f"http://127.0.0.1:{wait_for_port(serve, time.monotonic() + 30)}"
            eventually(lambda: get(f"{base}/readyz")[0] == 200, 30, "ready")
            assert "drift_findings_open{" not in get(f"{base}/metrics")[1]  # as approved

            cluster.cluster.put(widened_payment_policy())
            eventually(lambda: CRITICAL_FLOW in get(f"{base}/metrics")[1], 30, "the finding")

            listed = drift("findings", "--config", str(config), "--format", "json")
            fingerprint = re.findall(r'"fingerprint": "([0-9a-f]+)"', listed)[0]
            until = (datetime.now(UTC) + timedelta(seconds=4)).isoformat()
            drift(
                "accept",
                fingerprint,
                "--reason",
                "pen test this week",
                "--owner",
                "sre",
                "--until",
                until,
                "--config",
                str(config),
            )
            assert CRITICAL_FLOW not in get(f"{base}/metrics")[1]
            eventually(lambda: CRITICAL_FLOW in get(f"{base}/metrics")[1], 30, "the expiry")

            serve.send_signal(signal.SIGTERM)
            assert serve.wait(timeout=20) == 0
        finally:
            if serve.poll() is None:
                serve.kill()
                serve.wait()
            if serve.stderr is not None:
                serve.stderr.close()


def drift(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "drift", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
