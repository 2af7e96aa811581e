"""The events of a cycle (pure), and how a real run tells `reopened` from `new`."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from drift.monitor import run_once
from drift.notify.events import Batch, History, batch_of
from drift.settings import Settings, Target
from drift.store.records import AcceptedRisk, FindingState, FindingStatus, RunOutcome
from drift.store.sql import SqlStore

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "online-shop"
T0 = datetime(2026, 11, 1, 9, tzinfo=UTC)
T1 = T0 + timedelta(minutes=5)


def state(fp: str, status: FindingStatus = FindingStatus.OPEN, **changes: object) -> FindingState:
    base = FindingState(
        target="shop",
        fingerprint=fp.ljust(32, "0"),
        kind="implicit-trust.flow",
        severity="high",
        subjects=("service:web", "service:db"),
        title=f"finding {fp}",
        status=status,
        first_seen=T0,
        last_seen=T1,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def risk(fp: str, target: str | None = None) -> AcceptedRisk:
    return AcceptedRisk(
        fingerprint=fp.ljust(32, "0"),
        reason="r",
        owner="o",
        until=T1 + timedelta(days=1),
        accepted_at=T0,
        target=target,
    )


def batch(
    states: list[FindingState],
    history: History | None = None,
    accepted: dict[str, AcceptedRisk] | None = None,
) -> Batch:
    return batch_of(
        run_id="run",
        target="shop",
        cluster="c",
        outcome=RunOutcome.OK,
        at=T1,
        interval_seconds=300,
        history=history or History(),
        states=states,
        accepted=accepted or {},
    )


def events(b: Batch) -> list[tuple[str, str]]:
    return [(str(e.type), e.finding.fingerprint[:1]) for e in b.events]


def by_fp(*states: FindingState) -> dict[str, FindingState]:
    return {s.fingerprint: s for s in states}


def test_new_reopened_and_resolved_are_events_and_open_is_what_remains() -> None:
    a, b = state("a", FindingStatus.NEW), state("b", FindingStatus.NEW)
    gone = state("c", FindingStatus.RESOLVED, resolved_at=T1)
    kept = state("d", FindingStatus.UNVERIFIABLE)
    history = History(
        open=by_fp(replace(gone, status=FindingStatus.OPEN), kept),
        resolved=frozenset({b.fingerprint}),
    )
    out = batch([a, b, gone], history)
    assert events(out) == [("new", "a"), ("reopened", "b"), ("resolved", "c")]
    # Unverifiable stays open (and raises no event): a forbidden list is not a fix.
    assert [s.fingerprint[:1] for s in out.open] == ["a", "b", "d"]


def test_acceptance_starting_or_ending_while_open_is_an_event() -> None:
    starts, ends, stays = state("a"), state("b"), state("c")
    history = History(
        open=by_fp(starts, ends, stays),
        accepted={ends.fingerprint: risk("b"), stays.fingerprint: risk("c")},
    )
    now = {starts.fingerprint: risk("a"), stays.fingerprint: risk("c")}
    out = batch([starts, ends, stays], history, now)
    assert events(out) == [("accepted", "a"), ("acceptance-expired", "b")]
    assert out.events[0].acceptance == risk("a") and out.events[1].acceptance == risk("b")
    assert [s.fingerprint[:1] for s in out.open] == ["b"]  # accepted findings are not pushed


def test_an_accepted_finding_is_silent_even_when_it_appears() -> None:
    appears = state("a", FindingStatus.NEW)
    out = batch([appears], accepted={appears.fingerprint: risk("a")})
    assert out.events == () and out.open == ()


def test_an_acceptance_for_another_target_does_not_cover_the_finding() -> None:
    finding = state("a", FindingStatus.NEW)
    out = batch([finding], accepted={finding.fingerprint: risk("a", target="other")})
    assert events(out) == [("new", "a")] and out.open == (finding,)


def test_a_failed_run_changes_nothing_and_still_carries_the_open_findings() -> None:
    open_ = state("a")
    out = batch([], History(open=by_fp(open_)))
    assert out.events == () and out.open == (open_,)


def test_a_finding_whose_severity_changes_supersedes_its_earlier_version() -> None:
    before = state("a", severity="medium")
    after = state("a", severity="high")
    out = batch([after], History(open=by_fp(before)))
    assert out.superseded == (before,) and out.open == (after,) and out.events == ()
    assert batch([after], History(open=by_fp(after))).superseded == ()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    store = SqlStore(f"sqlite:///{tmp_path / 'drift.db'}")
    store.migrate()
    yield store
    store.close()


def test_a_finding_fixed_and_broken_again_is_reopened_not_new(
    store: SqlStore, tmp_path: Path
) -> None:
    live = tmp_path / "live"
    shutil.copytree(EXAMPLE / "drifted", live)
    settings = Settings(
        targets=[
            Target(name="shop", baseline=str(EXAMPLE / "baseline.yaml"), manifests=[str(live)])
        ]
    )
    ticks = iter(T0 + timedelta(minutes=m) for m in range(100))
    sent: list[Batch] = []
    run_once(settings, store, lambda: next(ticks), sent.append)
    run_once(settings, store, lambda: next(ticks), sent.append)
    shutil.copy(EXAMPLE / "manifests" / "network-policies.yaml", live)
    run_once(settings, store, lambda: next(ticks), sent.append)
    shutil.copy(EXAMPLE / "drifted" / "network-policies.yaml", live)
    run_once(settings, store, lambda: next(ticks), sent.append)
    kinds = [sorted(str(e.type) for e in b.events) for b in sent]
    assert kinds == [["new"] * 6, [], ["resolved"], ["reopened"]]
    assert [len(b.open) for b in sent] == [6, 6, 5, 6]
    assert all(b.target == "shop" and b.interval_seconds == 300 for b in sent)
