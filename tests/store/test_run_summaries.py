"""What the metrics read of the runs: each target's latest run per outcome, and the new
findings every run counted, summed inside the database (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from drift.store.records import RunOutcome, new_count_key
from drift.store.sql import SqlStore

from .helpers import T0, run

MINUTE = timedelta(minutes=1)


def test_latest_runs_are_the_newest_of_each_outcome_per_target(store: SqlStore) -> None:
    for i, outcome in enumerate(
        [RunOutcome.OK, RunOutcome.OK, RunOutcome.FAILED, RunOutcome.INCOMPLETE, RunOutcome.FAILED]
    ):
        store.commit_run(run(f"prod-{i}", at=T0 + i * MINUTE, outcome=outcome), [])
    store.commit_run(run("dev-0", target="dev", at=T0 + 10 * MINUTE), [])
    latest = [(r.id, r.target, r.outcome) for r in store.latest_runs()]
    assert latest == [
        ("dev-0", "dev", RunOutcome.OK),
        ("prod-4", "prod", RunOutcome.FAILED),
        ("prod-3", "prod", RunOutcome.INCOMPLETE),
        ("prod-1", "prod", RunOutcome.OK),
    ]


def test_latest_runs_break_a_tie_on_start_as_runs_does(store: SqlStore) -> None:
    store.commit_run(run("b", finished_at=T0 + MINUTE), [])
    store.commit_run(run("c", finished_at=T0 + 2 * MINUTE), [])
    store.commit_run(run("a", finished_at=T0 + 2 * MINUTE), [])
    assert [r.id for r in store.latest_runs()] == [store.runs(limit=1)[0].id] == ["c"]


def test_latest_runs_of_an_empty_store_are_none(store: SqlStore) -> None:
    assert store.latest_runs() == []


def test_latest_runs_keep_what_the_run_recorded(store: SqlStore) -> None:
    recorded = run(
        "r",
        baseline_name="shop",
        baseline_version="3",
        scopes=({"scope": "Pod", "status": "forbidden", "detail": "403"},),
        counts={"new": 1},
    )
    store.commit_run(recorded, [])
    assert store.latest_runs() == [recorded]


def test_new_finding_totals_sum_every_run_of_every_target(store: SqlStore) -> None:
    flow, exposure = "implicit-trust.flow", "exposure.widened"
    counts = {"new": 3, new_count_key(flow, "high"): 2, new_count_key(exposure, "low"): 1}
    store.commit_run(run("a", counts=counts), [])
    store.commit_run(run("b", at=T0 + MINUTE, counts={"open": 3, "findings": 3}), [])
    store.commit_run(run("c", target="dev", counts={"new": 4, new_count_key(flow, "high"): 4}), [])
    later = {"new": 1, "open": 3, new_count_key(flow, "critical"): 1}
    store.commit_run(run("d", at=T0 + 2 * MINUTE, counts=later), [])
    assert store.new_finding_totals() == {
        (flow, "high"): 6,
        (flow, "critical"): 1,
        (exposure, "low"): 1,
    }


def test_new_finding_totals_ignore_other_counts(store: SqlStore) -> None:
    # "new" alone (runs stored before per-kind counts) and look-alike keys are not totals.
    store.commit_run(run("a", counts={"new": 5, "newish": 2, "new:": 1, "findings": 5}), [])
    assert store.new_finding_totals() == {}
