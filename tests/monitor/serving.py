"""Talking to a `drift serve` subprocess: its port, and plain GETs on loopback; the drift the
end-to-end tests apply to the fake cluster."""

from __future__ import annotations

import re
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import yaml

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "online-shop"


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:  # loopback only
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def wait_for_port(process: subprocess.Popen[str], deadline: float) -> int:
    assert process.stderr is not None
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        found = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
        if found:
            return int(found.group(1))
    raise AssertionError("drift serve did not start listening")


def wait_for_port_in_log(log: Path, process: subprocess.Popen[bytes], deadline: float) -> int:
    """The port `drift serve` logs to `log` (its stderr as a file: a pipe nobody drains
    would block a long-running server once full)."""
    while time.monotonic() < deadline:
        found = re.search(r"listening on http://127\.0\.0\.1:(\d+)", log.read_text())
        if found:
            return int(found.group(1))
        if process.poll() is not None:
            raise AssertionError(f"drift serve exited {process.returncode}:\n{log.read_text()}")
        time.sleep(0.1)
    raise AssertionError(f"drift serve did not start listening:\n{log.read_text()}")


def widened_payment_policy() -> dict[str, object]:
    """The drifted example's payment NetworkPolicy: it admits a flow the design forbids."""
    for doc in yaml.safe_load_all((EXAMPLE / "drifted" / "network-policies.yaml").read_text()):
        if doc and doc["metadata"]["name"] == "payment":
            return dict(doc)
    raise AssertionError("the drifted example has a payment policy")


def eventually(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for: {what}"
        time.sleep(0.2)
