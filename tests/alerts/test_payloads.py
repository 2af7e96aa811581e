"""What the notifiers send, as pure functions: Alertmanager alerts and the webhook document."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import jsonschema
import pytest

from alerts.alertmanager import AlertmanagerNotifier, AlertOptions, alerts
from alerts.webhook import document
from drift.notify.events import Batch, Event, EventType
from drift.store.records import FindingStatus, RunOutcome
from tests.alerts.receiver import Receiver, receiving
from tests.alerts.test_events import T1, risk, state

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "notification-v1.schema.json").read_text())


def batch(**fields: object) -> Batch:
    base = Batch(
        target="shop",
        cluster="prod",
        run_id="run-1",
        outcome=RunOutcome.OK,
        at=T1,
        interval_seconds=300,
    )
    return replace(base, **fields)  # type: ignore[arg-type]


def test_open_alerts_last_three_intervals_and_ending_ones_end_now() -> None:
    open_ = state("a", zone="shop", evidence=[{"text": f"e{i}"} for i in range(5)])
    fixed = state("b", FindingStatus.RESOLVED)
    accepted = state("c")
    relabelled = state("d", severity="medium")
    out = alerts(
        batch(
            open=(open_,),
            events=(
                Event(type=EventType.RESOLVED, finding=fixed),
                Event(type=EventType.ACCEPTED, finding=accepted, acceptance=risk("c")),
                Event(type=EventType.NEW, finding=state("e", FindingStatus.NEW)),
            ),
            superseded=(relabelled,),
        ),
        AlertOptions(labels={"team": "platform"}, resolve_after_intervals=3),
    )
    first, *ending = out
    assert first["labels"] == {
        "team": "platform",
        "alertname": "DesignDrift",
        "kind": "implicit-trust.flow",
        "severity": "high",
        "target": "shop",
        "cluster": "prod",
        "zone": "shop",
        "fingerprint": open_.fingerprint,
    }
    assert first["endsAt"] == (T1 + timedelta(seconds=900)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert first["annotations"]["evidence"] == "e0; e1; e2 (+2 more)"
    assert "generatorURL" not in first
    # The new finding is in `open` when it is open; events only add what ends.
    assert [a["labels"]["fingerprint"][:1] for a in ending] == ["b", "c", "d"]
    assert all(a["endsAt"] == T1.strftime("%Y-%m-%dT%H:%M:%S.000Z") for a in ending)
    assert ending[2]["labels"]["severity"] == "medium"  # the old alert, by its old labels
    assert "zone" not in ending[0]["labels"]  # no empty label values


def test_many_alerts_go_in_few_requests_and_nothing_to_say_is_no_request() -> None:
    findings = tuple(state(c) for c in "abcde")
    with receiving(Receiver()) as am:
        notifier = AlertmanagerNotifier(url=am.url + "/", alerts_per_request=2)
        assert notifier.send(batch(open=findings))
        assert not notifier.send(batch())
    assert [r.path for r in am.received] == ["/api/v2/alerts"] * 3
    assert [len(r.json()) for r in am.received] == [2, 2, 1]


def test_every_event_type_fits_the_published_schema() -> None:
    found = state("a", FindingStatus.NEW, zone="shop", location={"file": "f", "document": 0})
    gone = state("b", FindingStatus.RESOLVED, resolved_at=T1)
    events = (
        Event(type=EventType.NEW, finding=found),
        Event(type=EventType.REOPENED, finding=found),
        Event(type=EventType.RESOLVED, finding=gone),
        Event(type=EventType.ACCEPTED, finding=state("c"), acceptance=risk("c")),
        Event(type=EventType.ACCEPTANCE_EXPIRED, finding=state("d"), acceptance=risk("d")),
    )
    body = document(batch(events=events, open=(found,)))
    jsonschema.validate(body, SCHEMA)
    assert [e["event"] for e in body["events"]] == [str(t) for t in EventType]
    assert body["events"][2]["finding"]["resolvedAt"] == "2026-11-01T09:05:00Z"
    assert body["events"][3]["acceptance"]["owner"] == "o"
    assert body["open"] == {
        "count": 1,
        "bySeverity": {"critical": 0, "high": 1, "medium": 0, "low": 0, "info": 0},
    }
    missing = dict(body["events"][3])
    del missing["acceptance"]
    with pytest.raises(jsonschema.ValidationError, match="'acceptance' is a required property"):
        jsonschema.validate({**body, "events": [missing]}, SCHEMA)
