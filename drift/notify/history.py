"""What the events of a cycle need from the store, read before the cycle is committed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from drift.notify.events import History
from drift.store.records import FindingState, FindingStatus, Store

_RESOLVED = frozenset({FindingStatus.RESOLVED})


def read_history(
    store: Store, target: str, previous: Mapping[str, FindingState], states: Sequence[FindingState]
) -> History:
    """`previous`: the target's open findings before the cycle (the lifecycle read them).

    Acceptances are read as they were at the start of the target's latest run. Resolved
    findings are read only when some state is new (to tell `reopened` from `new`).
    """
    latest = store.runs(target=target, limit=1)
    accepted = store.accepted(latest[0].started_at) if latest else {}
    resolved: frozenset[str] = frozenset()
    if any(s.status is FindingStatus.NEW for s in states):
        held = store.findings(target=target, statuses=_RESOLVED)
        resolved = frozenset(f.fingerprint for f in held)
    return History(open=previous, resolved=resolved, accepted=accepted)
