"""What one committed cycle tells the notifiers (pure): its events and what is open at its end.

Events, per finding:
- `new` — seen for the first time;
- `reopened` — seen again after it was resolved (the lifecycle marks it `new`; the store held
  it as resolved before the cycle, see `History.resolved`);
- `resolved` — no longer seen, with everything it is judged from collected;
- `accepted` — an acceptance came into force while the finding was open;
- `acceptance-expired` — its acceptance ended while it was still open: it counts again.

Acceptances are compared between the start of the previous run of the target and the start
of this one, so nothing has to be remembered between runs: a restart loses no transition.
An accepted finding is silent: it is in no batch's `open`, and a finding that is new while
already accepted raises no event. Unverifiable findings stay open and raise no event.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from drift.store.records import (
    OPEN_STATUSES,
    AcceptedRisk,
    FindingState,
    FindingStatus,
    RunOutcome,
)


class EventType(enum.StrEnum):
    NEW = "new"
    REOPENED = "reopened"
    RESOLVED = "resolved"
    ACCEPTED = "accepted"
    ACCEPTANCE_EXPIRED = "acceptance-expired"


_ORDER = {t: i for i, t in enumerate(EventType)}


@dataclass(frozen=True, kw_only=True)
class Event:
    type: EventType
    finding: FindingState  # its state at the end of the cycle
    acceptance: AcceptedRisk | None = None  # the one that started or ended (or is in force)


@dataclass(frozen=True, kw_only=True)
class History:
    """What the store held before the cycle was committed."""

    open: Mapping[str, FindingState] = field(default_factory=dict)  # by fingerprint
    resolved: frozenset[str] = frozenset()  # fingerprints held as resolved (for `reopened`)
    accepted: Mapping[str, AcceptedRisk] = field(default_factory=dict)  # at the previous run


@dataclass(frozen=True, kw_only=True)
class Batch:
    """One cycle of one target, as every notifier receives it."""

    target: str
    cluster: str
    run_id: str
    outcome: RunOutcome
    at: datetime  # when the cycle finished
    interval_seconds: int  # the target's schedule: how soon the next batch is due
    events: tuple[Event, ...] = ()
    open: tuple[FindingState, ...] = ()  # new, open or unverifiable, and not accepted
    # Earlier versions of findings still open whose severity or zone changed: a notifier
    # keying alerts on those (Alertmanager) resolves the old alert.
    superseded: tuple[FindingState, ...] = ()


def batch_of(
    *,
    run_id: str,
    target: str,
    cluster: str,
    outcome: RunOutcome,
    at: datetime,
    interval_seconds: int,
    history: History,
    states: Sequence[FindingState],
    accepted: Mapping[str, AcceptedRisk],
) -> Batch:
    """The batch of a cycle that decided `states`, with `accepted` in force at its start."""
    after = open_after(history.open, states)
    return Batch(
        target=target,
        cluster=cluster,
        run_id=run_id,
        outcome=outcome,
        at=at,
        interval_seconds=interval_seconds,
        events=tuple(events_of(history, states, after, accepted)),
        open=tuple(s for _, s in sorted(after.items()) if in_force(accepted, s) is None),
        superseded=tuple(superseded(history.open, states)),
    )


def open_after(
    previous: Mapping[str, FindingState], states: Sequence[FindingState]
) -> dict[str, FindingState]:
    """The findings open once `states` are stored over `previous` (the open ones before)."""
    merged = {**previous, **{s.fingerprint: s for s in states}}
    return {fp: s for fp, s in merged.items() if s.status in OPEN_STATUSES}


def in_force(accepted: Mapping[str, AcceptedRisk], finding: FindingState) -> AcceptedRisk | None:
    """The acceptance covering `finding` (one without a target covers every target)."""
    risk = accepted.get(finding.fingerprint)
    if risk is None or risk.target not in (None, finding.target):
        return None
    return risk


def events_of(
    history: History,
    states: Sequence[FindingState],
    after: Mapping[str, FindingState],
    accepted: Mapping[str, AcceptedRisk],
) -> list[Event]:
    events = []
    for state in states:
        if state.status is FindingStatus.RESOLVED:
            events.append(Event(type=EventType.RESOLVED, finding=state))
        elif state.status is FindingStatus.NEW and in_force(accepted, state) is None:
            seen = state.fingerprint in history.resolved
            events.append(Event(type=EventType.REOPENED if seen else EventType.NEW, finding=state))
    for state in after.values():
        if state.status is FindingStatus.NEW:
            continue  # appeared this cycle: new or reopened above, or silent when accepted
        now, then = in_force(accepted, state), in_force(history.accepted, state)
        if now is not None and then is None:
            events.append(Event(type=EventType.ACCEPTED, finding=state, acceptance=now))
        elif then is not None and now is None:
            events.append(Event(type=EventType.ACCEPTANCE_EXPIRED, finding=state, acceptance=then))
    return sorted(events, key=lambda e: (_ORDER[e.type], e.finding.fingerprint))


def superseded(
    previous: Mapping[str, FindingState], states: Sequence[FindingState]
) -> list[FindingState]:
    out = []
    for state in states:
        earlier = previous.get(state.fingerprint)
        if (
            earlier is not None
            and state.status in OPEN_STATUSES
            and (earlier.severity, earlier.zone) != (state.severity, state.zone)
        ):
            out.append(earlier)
    return out
