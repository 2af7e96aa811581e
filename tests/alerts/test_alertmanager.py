"""Pushing to a real Alertmanager: open findings are active alerts with their labels, a fixed
one resolves, an accepted one resolves until its acceptance expires, and Alertmanager's own
receiver is notified of both."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from drift.monitor import run_once
from drift.notify.dispatch import Dispatcher
from drift.notify.loading import build_dispatcher
from drift.settings import AlertmanagerSettings, Settings, Target
from drift.store.records import AcceptedRisk
from drift.store.sql import SqlStore
from tests.alerts.alertmanager import Alertmanager, running_alertmanager
from tests.alerts.plugins import declared_notifiers
from tests.alerts.receiver import Receiver, receiving

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "online-shop"
INTERVAL = 60


def now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    store = SqlStore(f"sqlite:///{tmp_path / 'drift.db'}")
    store.migrate()
    yield store
    store.close()


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[tuple[Alertmanager, Receiver]]:
    (tmp_path / "am").mkdir()
    with (
        receiving(Receiver()) as hook,
        running_alertmanager(tmp_path / "am", hook.url) as am,
    ):
        yield am, hook


def shop(live: Path, am: Alertmanager) -> Settings:
    target = Target(
        name="shop",
        baseline=str(EXAMPLE / "baseline.yaml"),
        manifests=[str(live)],
        cluster="prod",
        interval_seconds=INTERVAL,
    )
    notifier = AlertmanagerSettings(
        type="alertmanager",
        url=am.url,
        labels={"team": "platform"},
        generator_url="https://drift.example/findings/{fingerprint}",
    )
    return Settings(targets=[target], notifiers=[notifier])


def cycle(settings: Settings, store: SqlStore, dispatcher: Dispatcher) -> None:
    run_once(settings, store, now, dispatcher.submit)
    assert dispatcher.flush(timeout=20)


def active(am: Alertmanager) -> dict[str, dict[str, Any]]:
    return {a["labels"]["fingerprint"]: a for a in am.alerts() if a["status"]["state"] == "active"}


def notified(hook: Receiver, fingerprint: str, status: str, timeout: float = 10) -> None:
    """Wait until Alertmanager told its receiver that `fingerprint` is `status`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for request in hook.received:
            body = request.json()
            for alert in body["alerts"]:
                if alert["labels"]["fingerprint"] == fingerprint and alert["status"] == status:
                    return
        time.sleep(0.05)
    raise AssertionError(f"Alertmanager never notified {fingerprint} {status}")


def test_open_findings_are_active_alerts_and_a_fixed_one_resolves(
    tmp_path: Path, store: SqlStore, alertmanager: tuple[Alertmanager, Receiver]
) -> None:
    am, hook = alertmanager
    live = tmp_path / "live"
    shutil.copytree(EXAMPLE / "drifted", live)
    settings = shop(live, am)
    dispatcher = build_dispatcher(settings, {}, found=declared_notifiers())
    try:
        started = now()
        cycle(settings, store, dispatcher)
        findings = {f.fingerprint: f for f in store.findings()}
        alerts = active(am)
        assert set(alerts) == set(findings) and len(alerts) == 6
        for fingerprint, alert in alerts.items():
            finding = findings[fingerprint]
            expected = {
                "alertname": "DesignDrift",
                "kind": finding.kind,
                "severity": finding.severity,
                "target": "shop",
                "cluster": "prod",
                "fingerprint": fingerprint,
                "team": "platform",
            }
            if finding.zone:
                expected["zone"] = finding.zone
            assert alert["labels"] == expected
            assert alert["annotations"]["title"] == finding.title
            assert alert["annotations"]["clause"] == finding.clause
            assert alert["annotations"]["status"] == "new"
            assert alert["generatorURL"] == f"https://drift.example/findings/{fingerprint}"
            ends = datetime.fromisoformat(alert["endsAt"].replace("Z", "+00:00"))
            # Alive for three intervals: longer than the next cycle, not forever.
            assert started + timedelta(seconds=2.5 * INTERVAL) < ends
            assert ends < now() + timedelta(seconds=3 * INTERVAL + 5)
            notified(hook, fingerprint, "firing")
        assert {f.zone for f in findings.values()} - {""}, "the example has zoned findings"

        # The NetworkPolicies back in their approved state: the flow finding is fixed.
        shutil.copy(EXAMPLE / "manifests" / "network-policies.yaml", live)
        cycle(settings, store, dispatcher)
        (flow,) = [f for f in findings.values() if f.kind == "implicit-trust.flow"]
        assert set(active(am)) == set(findings) - {flow.fingerprint}
        notified(hook, flow.fingerprint, "resolved")
        assert dispatcher.summary() == {"alertmanager": {"sent": 2, "failed": 0, "dropped": 0}}
    finally:
        dispatcher.close(timeout=5)


def test_an_accepted_finding_resolves_and_fires_again_when_the_acceptance_expires(
    tmp_path: Path, store: SqlStore, alertmanager: tuple[Alertmanager, Receiver]
) -> None:
    am, hook = alertmanager
    settings = shop(EXAMPLE / "drifted", am)
    dispatcher = build_dispatcher(settings, {}, found=declared_notifiers())
    try:
        cycle(settings, store, dispatcher)
        assert len(active(am)) == 6
        accepted = store.findings()[0].fingerprint
        notified(hook, accepted, "firing")  # else Alertmanager has no resolution to tell
        until = now() + timedelta(seconds=2)
        store.accept(
            AcceptedRisk(
                fingerprint=accepted,
                reason="load test",
                owner="sre",
                until=until,
                accepted_at=now(),
            )
        )
        cycle(settings, store, dispatcher)
        assert accepted not in active(am) and len(active(am)) == 5
        notified(hook, accepted, "resolved")
        time.sleep(max(0.0, (until - now()).total_seconds()) + 0.1)
        cycle(settings, store, dispatcher)
        assert accepted in active(am) and len(active(am)) == 6
    finally:
        dispatcher.close(timeout=5)
