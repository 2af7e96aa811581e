"""A real Alertmanager (Debian's prometheus-alertmanager) on loopback for one test.

Its config routes every alert to a webhook receiver the test runs, with short group timers;
clustering is off, storage in a temporary folder. Without the binary the test skips with the
reason, except under CI (`CI=true`), where it fails: CI installs it (.ci/run).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

BINARIES = ("prometheus-alertmanager", "alertmanager")


def binary() -> str:
    for name in BINARIES:
        found = shutil.which(name)
        if found:
            return found
    why = "Alertmanager not found (apt-get install prometheus-alertmanager)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{why}: CI must have it")
    pytest.skip(why)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


CONFIG = """\
route:
  receiver: test
  group_by: [alertname, fingerprint]
  group_wait: 100ms
  group_interval: 200ms
  repeat_interval: 1h
receivers:
  - name: test
    webhook_configs:
      - url: {url}
        send_resolved: true
"""


class Alertmanager:
    def __init__(self, url: str) -> None:
        self.url = url

    def alerts(self) -> list[dict[str, Any]]:
        """GET /api/v2/alerts: the active alerts."""
        with urllib.request.urlopen(f"{self.url}/api/v2/alerts", timeout=5) as reply:
            found: list[dict[str, Any]] = json.load(reply)
            return found


@contextmanager
def running_alertmanager(tmp: Path, receiver_url: str) -> Iterator[Alertmanager]:
    program = binary()
    config = tmp / "alertmanager.yml"
    config.write_text(CONFIG.format(url=receiver_url + "/alertmanager"))
    (tmp / "data").mkdir()
    port = free_port()
    log = (tmp / "alertmanager.log").open("w")
    process = subprocess.Popen(
        [
            program,
            f"--config.file={config}",
            f"--storage.path={tmp / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process, tmp / "alertmanager.log")
        yield Alertmanager(url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"alertmanager exited:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"alertmanager not ready:\n{log.read_text()[-3000:]}")
