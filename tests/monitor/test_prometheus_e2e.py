"""The shipped alert rules against a real Prometheus scraping a real `drift serve`: a
NetworkPolicy widened in the (fake) cluster makes DriftNewImplicitTrust fire, with the labels
and annotations an on-call engineer sees.

The rule has no `for:` (docs/alerts.md says why), so with a 1 s run interval, scrape and
evaluation the alert fires a few seconds after the change; the test takes about 10 s.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fakeapi import FakeApiServer
from prometheus_client.parser import text_string_to_metric_families

from tests.monitor.binaries import require
from tests.monitor.serving import (
    EXAMPLE,
    eventually,
    get,
    wait_for_port_in_log,
    widened_payment_policy,
)

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "drift-rules.yaml"
ALERT = "DriftNewImplicitTrust"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running(command: list[str], log: Path, **options: Any) -> Iterator[subprocess.Popen[bytes]]:
    """A process with its output in `log`; SIGTERM at the end, and it must exit 0 by itself."""
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, **options)
    try:
        yield process
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
        assert code == 0, f"{command[0]} exited {code} on SIGTERM:\n{log.read_text()[-3000:]}"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def drift_serve(tmp_path: Path, kubeconfig: Path) -> list[str]:
    config = tmp_path / "drift.yaml"
    config.write_text(
        f"database: sqlite:///{tmp_path / 'drift.db'}\n"
        "http: {bind: 127.0.0.1, port: 0}\n"
        "targets:\n"
        f"  - name: shop\n    baseline: {EXAMPLE / 'baseline.yaml'}\n"
        f"    kubernetes: {{kubeconfig: {kubeconfig}, context: fake}}\n"
        "    intervalSeconds: 1\n"
    )
    # `python -m drift` from the repository root runs the code under test, not an install.
    return [sys.executable, "-m", "drift", "serve", "--config", str(config)]


def prometheus(tmp_path: Path, binary: str, drift_port: int, port: int) -> list[str]:
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}\n"
        f"rule_files: [{json.dumps(str(RULES))}]\n"
        "scrape_configs:\n"
        "  - job_name: drift\n"
        f"    static_configs: [{{targets: ['127.0.0.1:{drift_port}']}}]\n"
    )
    return [
        binary,
        f"--config.file={config}",
        f"--storage.tsdb.path={tmp_path / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--log.level=warn",
    ]


def api(base: str, path: str, **query: str) -> Any:
    status, body = get(f"{base}{path}?{urllib.parse.urlencode(query)}" if query else base + path)
    assert status == 200, body
    reply = json.loads(body)
    assert reply["status"] == "success", reply
    return reply["data"]


def alerts(base: str, name: str) -> list[dict[str, Any]]:
    return [a for a in api(base, "/api/v1/alerts")["alerts"] if a["labels"]["alertname"] == name]


def firing(base: str, name: str) -> list[dict[str, Any]]:
    return [a for a in alerts(base, name) if a["state"] == "firing"]


def value(base: str, query: str) -> float | None:
    result = api(base, "/api/v1/query", query=query)["result"]
    return float(result[0]["value"][1]) if result else None


def rules_evaluated_since(base: str, since: float) -> bool:
    """Whether Prometheus evaluated the drift rule group after `since` (Unix time), by its own
    metric `prometheus_rule_group_last_evaluation_timestamp_seconds`."""
    status, text = get(f"{base}/metrics")
    assert status == 200, text
    return any(
        sample.value > since
        for family in text_string_to_metric_families(text)
        if family.name == "prometheus_rule_group_last_evaluation_timestamp_seconds"
        for sample in family.samples
        if sample.labels.get("rule_group", "").endswith(";design-drift")
    )


@dataclass(frozen=True)
class Watched:
    cluster: FakeApiServer
    drift_port: int
    prometheus: str  # its base URL


@contextmanager
def watched_shop(tmp_path: Path, binary: str) -> Iterator[Watched]:
    """The example shop as approved in a fake cluster, `drift serve` watching it every second
    and a real Prometheus scraping drift and evaluating the shipped rules every second."""
    started = time.monotonic()
    with FakeApiServer(EXAMPLE / "manifests") as cluster:
        command = drift_serve(tmp_path, cluster.write_kubeconfig(tmp_path / "kubeconfig"))
        drift_log = tmp_path / "drift.log"
        with running(command, drift_log, cwd=ROOT) as serve:
            drift_port = wait_for_port_in_log(drift_log, serve, started + 30)
            ready = f"http://127.0.0.1:{drift_port}/readyz"
            eventually(lambda: get(ready)[0] == 200, 30, "drift ready")
            port = free_port()
            command = prometheus(tmp_path, binary, drift_port, port)
            with running(command, tmp_path / "prometheus.log"):
                base = f"http://127.0.0.1:{port}"
                eventually(lambda: _answers(f"{base}/-/ready"), 30, "prometheus ready")
                yield Watched(cluster=cluster, drift_port=drift_port, prometheus=base)


def test_a_widened_network_policy_fires_the_new_implicit_trust_alert(tmp_path: Path) -> None:
    binary = require("prometheus", "prometheus")
    started = time.monotonic()
    with watched_shop(tmp_path, binary) as watched:
        prom = watched.prometheus
        # The approved state, scraped and judged by the rules: nothing fires.
        interval = 'drift_target_interval_seconds{target="shop"}'
        eventually(lambda: value(prom, interval) == 1, 30, "a first scrape")
        scraped = time.time()
        eventually(lambda: rules_evaluated_since(prom, scraped), 30, "a rule evaluation")
        assert alerts(prom, ALERT) == []
        new_flows = 'sum(drift_findings_new_total{kind="implicit-trust.flow"})'
        assert value(prom, new_flows) == 0

        watched.cluster.cluster.put(widened_payment_policy())
        eventually(lambda: bool(firing(prom, ALERT)), 40, f"{ALERT} firing")

        (alert,) = firing(prom, ALERT)
        assert alert["labels"] == {
            "alertname": ALERT,
            "severity": "warning",
            "finding_severity": "critical",
            "kind": "implicit-trust.flow",
            "zone": "payments",
            "job": "drift",
            "instance": f"127.0.0.1:{watched.drift_port}",
        }
        notes = alert["annotations"]
        assert notes["summary"] == (
            "Implicit trust the approved design does not allow: implicit-trust.flow"
        )
        assert notes["description"].startswith(
            "1 open implicit-trust.flow finding(s) of severity critical in zone payments,"
        )
        assert "docs/alerts.md#driftnewimplicittrust" in notes["runbook"]
        assert value(prom, new_flows) == 1
        for quiet in ("DriftMonitorStale", "DriftMonitorNeverSucceeded", "DriftCollectionDegraded"):
            assert firing(prom, quiet) == [], quiet
    assert time.monotonic() - started < 60


def _answers(url: str) -> bool:
    try:
        return get(url)[0] == 200
    except OSError:
        return False
