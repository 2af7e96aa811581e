"""Runs and findings: one transaction per run, the lifecycle persisted as decided."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from datetime import timedelta

import pytest

from drift.store.errors import StoreError
from drift.store.records import OPEN_STATUSES, FindingStatus, RunOutcome
from drift.store.sql import SqlStore

from .helpers import T0, finding, run

NEW, OPEN, UNVERIFIABLE, RESOLVED = (
    FindingStatus.NEW,
    FindingStatus.OPEN,
    FindingStatus.UNVERIFIABLE,
    FindingStatus.RESOLVED,
)


def test_open_findings_are_new_open_and_unverifiable_of_that_target(store: SqlStore) -> None:
    states = [
        finding("n", NEW),
        finding("o", OPEN),
        finding("u", UNVERIFIABLE),
        finding("r", RESOLVED),
    ]
    store.commit_run(run("r1"), states)
    store.commit_run(run("r2", target="staging"), [finding("s", NEW, target="staging")])
    assert store.open_findings("prod") == {s.fingerprint: s for s in states[:3]}
    assert list(store.open_findings("staging")) == ["s"]
    assert store.open_findings("nowhere") == {}


def test_findings_filter_by_target_and_status(store: SqlStore) -> None:
    store.commit_run(run("r1"), [finding("a", NEW), finding("b", RESOLVED)])
    store.commit_run(run("r2", target="staging"), [finding("c", OPEN, target="staging")])
    assert [s.fingerprint for s in store.findings()] == ["a", "b", "c"]
    assert [s.fingerprint for s in store.findings(target="prod")] == ["a", "b"]
    assert [s.fingerprint for s in store.findings(statuses=OPEN_STATUSES)] == ["a", "c"]
    resolved = store.findings(target="prod", statuses=frozenset({RESOLVED}))
    assert [s.fingerprint for s in resolved] == ["b"]
    assert store.findings(statuses=frozenset()) == []


def test_runs_are_most_recent_first_limited_and_per_target(store: SqlStore) -> None:
    for hour, target in [(1, "prod"), (3, "prod"), (2, "staging"), (4, "prod")]:
        store.commit_run(run(f"r{hour}", target=target, at=T0 + timedelta(hours=hour)), [])
    assert [r.id for r in store.runs()] == ["r4", "r3", "r2", "r1"]
    assert [r.id for r in store.runs(limit=2)] == ["r4", "r3"]
    assert [r.id for r in store.runs(target="prod")] == ["r4", "r3", "r1"]
    assert store.runs(limit=0) == []


def test_runs_of_a_period_start_at_or_after_since_and_before_until(store: SqlStore) -> None:
    for hour in range(1, 6):
        store.commit_run(run(f"r{hour}", at=T0 + timedelta(hours=hour)), [])
    since, until = T0 + timedelta(hours=2), T0 + timedelta(hours=4)
    assert [r.id for r in store.runs(since=since, until=until)] == ["r3", "r2"]
    assert [r.id for r in store.runs(since=since, limit=None)] == ["r5", "r4", "r3", "r2"]
    assert [r.id for r in store.runs(until=until, limit=1)] == ["r3"]


def test_a_run_keeps_what_it_recorded(store: SqlStore) -> None:
    stored = run(
        "r1",
        outcome=RunOutcome.INCOMPLETE,
        source="kubernetes",
        baseline_name="shop",
        baseline_version="v7",
        baseline_sha256="ab" * 32,
        scopes=({"scope": "rbac", "status": "forbidden", "detail": "403 on clusterroles"},),
        counts={"new": 1, "open": 2},
    )
    store.commit_run(stored, [])
    assert store.runs() == [stored]


def test_an_upsert_keeps_first_seen_and_moves_everything_else(store: SqlStore) -> None:
    store.commit_run(run("r1"), [finding("f", NEW, run_id="r1")])
    later = T0 + timedelta(days=2)
    widened = finding(
        "f",
        RESOLVED,
        seen=later,  # the lifecycle would never move first_seen; the store must not either
        title="wider",
        detail="8080-8081",
        evidence=({"text": "policy p"},),
        location={"path": "np.yaml"},
        zone="back",
        path=(
            {"source": "w", "relation": "runs_as", "target": "sa", "evidence": []},
            {"source": "sa", "relation": "can", "target": "r", "evidence": [{"text": "rb"}]},
        ),
        resolved_at=later,
        run_id="r2",
    )
    store.commit_run(run("r2", at=later), [widened])
    [kept] = store.findings()
    assert kept.first_seen == T0
    assert kept == dataclasses.replace(widened, first_seen=T0)


def test_a_run_decides_only_its_own_target_each_finding_once(store: SqlStore) -> None:
    with pytest.raises(ValueError, match="carries findings of \\['staging'\\]"):
        store.commit_run(run("r1"), [finding("a", target="staging")])
    with pytest.raises(ValueError, match="more than once: \\['a'\\]"):
        store.commit_run(run("r1"), [finding("a"), finding("a")])
    assert store.runs() == []


def test_a_failed_commit_writes_nothing(store: SqlStore) -> None:
    store.commit_run(run("r1"), [finding("a", NEW)])
    with pytest.raises(StoreError, match="commit run r1 of 'prod'"):
        store.commit_run(run("r1"), [finding("a", RESOLVED), finding("b", NEW)])
    assert [s.status for s in store.findings()] == [NEW]


def test_concurrent_writers_serialise(open_store: Callable[[], SqlStore], store: SqlStore) -> None:
    """Replicas committing at once all succeed (SQLite: BEGIN IMMEDIATE queues them)."""
    errors: list[BaseException] = []

    def replica(n: int) -> None:
        other = open_store()
        try:
            for i in range(5):
                states = [finding(f"f{j}", OPEN, run_id=f"r{n}.{i}") for j in range(20)]
                other.commit_run(run(f"r{n}.{i}"), states)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=replica, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(store.runs(limit=100)) == 30
    assert len(store.findings()) == 20
