"""The lifecycle of findings across runs (pure): new, open, unverifiable, resolved.

A finding seen this run is new (first time, or again after it was resolved) or open. A
finding open before and not seen now is resolved only when every scope it depends on was
collected this run; otherwise it stays open as unverifiable. A forbidden or failed list call
must never look like "the problem went away".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from drift.collect import ScopeOutcome, ScopeStatus
from drift.findings import CheckResult, Finding, FindingKind
from drift.k8s.kinds import (
    EXPOSURE_KINDS,
    ISTIO_SECURITY_KINDS,
    NAMESPACE,
    NETWORK_POLICY,
    RBAC_KINDS,
    SERVICE_ACCOUNT,
    UNMODELLED_POLICY_KINDS,
    WORKLOAD_KINDS,
    GroupKind,
)
from drift.store.records import OPEN_STATUSES, FindingState, FindingStatus

_COLLECTED = frozenset({ScopeStatus.OK, ScopeStatus.NOT_INSTALLED})

_NETWORK = WORKLOAD_KINDS | {NETWORK_POLICY, NAMESPACE} | UNMODELLED_POLICY_KINDS
_EXPOSURE = WORKLOAD_KINDS | EXPOSURE_KINDS | {NAMESPACE}
_IDENTITY = WORKLOAD_KINDS | RBAC_KINDS | {SERVICE_ACCOUNT, NAMESPACE}

# The kinds of object each finding kind is judged from; None: every scope of the collection.
SCOPES_BEHIND: dict[FindingKind, frozenset[GroupKind] | None] = {
    FindingKind.FLOW: _NETWORK,
    FindingKind.NO_DEFAULT_DENY: _NETWORK,
    FindingKind.SHARED_IDENTITY: WORKLOAD_KINDS | {SERVICE_ACCOUNT},
    FindingKind.EXPOSURE_WIDENED: _EXPOSURE,
    FindingKind.INVENTORY_UNKNOWN: WORKLOAD_KINDS | {NAMESPACE},
    FindingKind.INVENTORY_MISSING: WORKLOAD_KINDS | {NAMESPACE},
    FindingKind.UNAUTHENTICATED: _NETWORK | ISTIO_SECURITY_KINDS,
    FindingKind.PRIVILEGE_WIDENED: _IDENTITY,
    FindingKind.TRUST_RELATION: _IDENTITY,
    FindingKind.BLAST_RADIUS_WIDENED: None,  # paths run through every kind of edge
}


_KINDS = {str(k): k for k in FindingKind}
_KIND_SCOPE = re.compile(r"^(?:([a-z0-9][-a-z0-9.]*)/)?([A-Z][A-Za-z0-9]*)$")


def scope_kind(outcome: ScopeOutcome) -> GroupKind | None:
    """The kind a scope covers: its `kind`, or a name such as `networking.k8s.io/
    NetworkPolicy` or `Pod`; None for anything else (a manifest file, a whole source)."""
    if outcome.kind is not None:
        return outcome.kind
    match = _KIND_SCOPE.match(outcome.scope)
    return None if match is None else (match.group(1) or "", match.group(2))


def uncollected(outcomes: Iterable[ScopeOutcome]) -> tuple[frozenset[GroupKind], bool]:
    """The kinds whose scope was not collected, and whether some other scope (a file, a
    source as a whole) failed, which leaves every finding unverifiable."""
    kinds: set[GroupKind] = set()
    whole = False
    for outcome in outcomes:
        if outcome.status in _COLLECTED:
            continue
        kind = scope_kind(outcome)
        if kind is None:
            whole = True
        else:
            kinds.add(kind)
    return frozenset(kinds), whole


def verifiable(kind: str, missing: frozenset[GroupKind], whole: bool) -> bool:
    """Whether a finding of `kind` could have been seen with what was collected."""
    if whole:
        return False
    known = _KINDS.get(kind)
    behind = SCOPES_BEHIND.get(known) if known is not None else None
    if behind is None:
        return not missing
    return not (behind & missing)


def next_states(
    *,
    target: str,
    run_id: str,
    now: datetime,
    previous: Mapping[str, FindingState],
    result: CheckResult,
    outcomes: Sequence[ScopeOutcome],
) -> list[FindingState]:
    """Every finding state this run changes: the ones seen, and the open ones not seen."""
    missing, whole = uncollected(outcomes)
    seen = {f.fingerprint: f for f in result.findings}
    states = [
        _seen(target, run_id, now, finding, previous.get(fingerprint))
        for fingerprint, finding in sorted(seen.items())
    ]
    for fingerprint, earlier in sorted(previous.items()):
        if fingerprint in seen or earlier.status not in OPEN_STATUSES:
            continue
        if verifiable(earlier.kind, missing, whole):
            states.append(
                replace(earlier, status=FindingStatus.RESOLVED, resolved_at=now, run_id=run_id)
            )
        elif earlier.status is not FindingStatus.UNVERIFIABLE:
            states.append(replace(earlier, status=FindingStatus.UNVERIFIABLE, run_id=run_id))
    return states


def _seen(
    target: str, run_id: str, now: datetime, finding: Finding, earlier: FindingState | None
) -> FindingState:
    reopened = earlier is None or earlier.status is FindingStatus.RESOLVED
    return FindingState(
        target=target,
        fingerprint=finding.fingerprint,
        kind=str(finding.kind),
        severity=str(finding.severity),
        subjects=finding.subjects,
        title=finding.title,
        status=FindingStatus.NEW if reopened else FindingStatus.OPEN,
        first_seen=now if reopened or earlier is None else earlier.first_seen,
        last_seen=now,
        detail=finding.detail,
        clause=finding.clause,
        baseline_version=finding.baseline_version,
        evidence=[_evidence(e.text, e.source) for e in finding.evidence],
        location=finding.location.to_json() if finding.location else None,
        zone=finding.zone,
        path=[
            {
                "source": step.source,
                "relation": step.relation,
                "target": step.target,
                "evidence": [_evidence(e.text, e.source) for e in step.evidence],
            }
            for step in finding.path
        ],
        run_id=run_id,
    )


def _evidence(text: str, source: object) -> dict[str, object]:
    out: dict[str, object] = {"text": text}
    to_json = getattr(source, "to_json", None)
    if to_json is not None:
        out["source"] = to_json()
    return out


def withhold_unverifiable(result: CheckResult, outcomes: Sequence[ScopeOutcome]) -> CheckResult:
    """The result without findings judged from data that was not collected.

    Without the NetworkPolicy list every pod looks open, and without the Deployments every
    designed service looks missing: such findings would be false. They are withheld (and a
    note says how many); the lifecycle keeps their earlier versions unverifiable.
    """
    missing, whole = uncollected(outcomes)
    if not missing and not whole:
        return result
    kept = tuple(f for f in result.findings if verifiable(str(f.kind), missing, whole))
    withheld = len(result.findings) - len(kept)
    if not withheld:
        return result
    what = (
        "the whole source"
        if whole
        else ", ".join(sorted(f"{g}/{k}" if g else k for g, k in missing))
    )
    note = f"{withheld} finding(s) withheld: judged from data not collected ({what})"
    return replace(result, findings=kept, notes=(*result.notes, note))
