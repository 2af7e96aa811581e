"""`drift serve` as a subprocess, through the installed entry points: SIGTERM waits for a
notification that is under way before the process exits."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from drift.plugins import NOTIFIERS_GROUP, registry
from tests.alerts.receiver import Receiver, receiving

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "online-shop"


def require_installed_notifiers() -> None:
    if {"alertmanager", "webhook"} <= set(registry(NOTIFIERS_GROUP)):
        return
    why = "the drift.notifiers entry points are not installed (pip install -e .)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{why}: CI installs the checkout")
    pytest.skip(why)


class SlowReceiver(Receiver):
    def _record(self, item: object) -> int:
        time.sleep(1)  # still answering when SIGTERM arrives
        return super()._record(item)  # type: ignore[arg-type]


def test_sigterm_drains_the_notifications_before_exiting(tmp_path: Path) -> None:
    require_installed_notifiers()
    config = tmp_path / "drift.yaml"
    config.write_text(
        f"database: sqlite:///{tmp_path / 'drift.db'}\n"
        "http: {bind: 127.0.0.1, port: 0}\n"
        "targets:\n"
        f"  - {{name: shop, baseline: {EXAMPLE / 'baseline.yaml'}, "
        f"manifests: [{EXAMPLE / 'drifted'}], intervalSeconds: 600}}\n"
        "notifiers:\n"
        "  - {type: webhook, urlEnv: DRIFT_TEST_HOOK}\n"
    )
    with receiving(SlowReceiver()) as hook:
        process = subprocess.Popen(
            [sys.executable, "-m", "drift", "serve", "--config", str(config)],
            env={**os.environ, "DRIFT_TEST_HOOK": hook.url + "/hook"},
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        try:
            assert process.stderr is not None
            for line in process.stderr:
                if "target shop: run" in line:  # the cycle is stored, its batch queued
                    break
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0
            assert len(hook.received) == 1
            events = [e["event"] for e in hook.received[0].json()["events"]]
            assert events == ["new"] * 6
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            if process.stderr is not None:
                process.stderr.close()
