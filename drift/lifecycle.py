"""The lifecycle of findings across runs (pure): new, open, unverifiable, resolved.

A finding seen this run is new (first time, or again after it was resolved) or open. A
finding open before and not seen now is resolved only when every scope it depends on was
collected this run; otherwise it stays open as unverifiable. A forbidden or failed list call
must never look like "the problem went away". The scopes a finding depends on: the Kubernetes
kinds its kind is judged from, and the AWS scopes of the services its kind reads and of the
accounts its subjects belong to (`drift.aws.unverifiable`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from drift.aws.unverifiable import AwsScope, aws_scope, depends_on
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
    FindingKind.MISBOUND_IDENTITY: _IDENTITY,
    FindingKind.BLAST_RADIUS_WIDENED: None,  # paths run through every kind of edge
}


# The AWS services whose data each finding kind is judged from, whatever its subjects (a
# finding about an AWS id also depends on its account's scopes: `drift.aws.unverifiable`);
# None: every service. Trust relations run through role trust policies and escalation (IAM)
# and Pod Identity associations (EKS); privilege through IAM and the resource policies that
# grant (about principals: their ARNs, which `drift.aws.unverifiable` places). Findings about
# a designed service (`service:` subjects) may be about AWS resources it selects:
# `SERVICE_AWS_READS` says what those depend on.
AWS_SERVICES_BEHIND: dict[FindingKind, frozenset[str] | None] = {
    FindingKind.FLOW: frozenset(),
    FindingKind.NO_DEFAULT_DENY: frozenset(),
    FindingKind.SHARED_IDENTITY: frozenset(),
    FindingKind.EXPOSURE_WIDENED: frozenset(),
    FindingKind.INVENTORY_UNKNOWN: frozenset(),
    FindingKind.INVENTORY_MISSING: frozenset(),
    FindingKind.UNAUTHENTICATED: frozenset(),
    FindingKind.PRIVILEGE_WIDENED: frozenset(),
    FindingKind.TRUST_RELATION: frozenset({"iam", "eks"}),
    FindingKind.MISBOUND_IDENTITY: frozenset({"iam", "eks"}),
    FindingKind.BLAST_RADIUS_WIDENED: None,
}

# A service may select AWS resources (`select.aws`): whether it is published, or live at all,
# is read from these services in every account.
SERVICE_AWS_READS: dict[FindingKind, frozenset[str]] = {
    kind: frozenset({"ec2", "elasticloadbalancing", "rds", "s3", "lambda"})
    for kind in (
        FindingKind.EXPOSURE_WIDENED,
        FindingKind.INVENTORY_MISSING,
    )
}

_KINDS = {str(k): k for k in FindingKind}
_KIND_SCOPE = re.compile(r"^(?:([a-z0-9][-a-z0-9.]*)/)?([A-Z][A-Za-z0-9]*)$")


@dataclass(frozen=True, kw_only=True)
class Uncollected:
    """What a collection could not read: Kubernetes kinds, AWS scopes, and whether some other
    scope (a file, a source as a whole) failed, which leaves every finding unverifiable."""

    kinds: frozenset[GroupKind] = frozenset()
    aws: tuple[AwsScope, ...] = ()
    whole: bool = False

    def __bool__(self) -> bool:
        return bool(self.kinds or self.aws or self.whole)

    def behind(self, kind: str, subjects: Sequence[str]) -> list[str]:
        """The scopes not collected that a finding of `kind` about `subjects` depends on."""
        known = _KINDS.get(kind)
        kinds = SCOPES_BEHIND.get(known) if known is not None else None
        services = AWS_SERVICES_BEHIND.get(known) if known is not None else None
        about_a_service = bool(subjects) and subjects[0].startswith("service:")
        if services is not None and known in SERVICE_AWS_READS and about_a_service:
            services = services | SERVICE_AWS_READS[known]
        found = sorted(
            f"{g}/{k}" if g else k for g, k in self.kinds if kinds is None or (g, k) in kinds
        )
        found += [str(s) for s in self.aws if depends_on(s, services, subjects)]
        return found


def scope_kind(outcome: ScopeOutcome) -> GroupKind | None:
    """The kind a scope covers: its `kind`, or a name such as `networking.k8s.io/
    NetworkPolicy` or `Pod`; None for anything else (a manifest file, a whole source)."""
    if outcome.kind is not None:
        return outcome.kind
    match = _KIND_SCOPE.match(outcome.scope)
    return None if match is None else (match.group(1) or "", match.group(2))


def uncollected(outcomes: Iterable[ScopeOutcome]) -> Uncollected:
    """The kinds and AWS scopes that were not collected, and whether anything else was not."""
    kinds: set[GroupKind] = set()
    aws: list[AwsScope] = []
    whole = False
    for outcome in outcomes:
        if outcome.status in _COLLECTED:
            continue
        kind = scope_kind(outcome)
        scope = aws_scope(outcome.scope) if kind is None else None
        if kind is not None:
            kinds.add(kind)
        elif scope is not None:
            aws.append(scope)
        else:
            whole = True
    return Uncollected(kinds=frozenset(kinds), aws=tuple(sorted(set(aws))), whole=whole)


def verifiable(kind: str, subjects: Sequence[str], missing: Uncollected) -> bool:
    """Whether a finding of `kind` about `subjects` could have been seen with what was
    collected."""
    return not missing.whole and not missing.behind(kind, subjects)


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
    missing = uncollected(outcomes)
    seen = {f.fingerprint: f for f in result.findings}
    states = [
        _seen(target, run_id, now, finding, previous.get(fingerprint))
        for fingerprint, finding in sorted(seen.items())
    ]
    for fingerprint, earlier in sorted(previous.items()):
        if fingerprint in seen or earlier.status not in OPEN_STATUSES:
            continue
        if verifiable(earlier.kind, earlier.subjects, missing):
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

    Without the NetworkPolicy list every pod looks open, without the Deployments every
    designed service looks missing, and without a role's trust policy a ServiceAccount's step
    to it looks gone: such findings would be false. They are withheld (and a note says how
    many, and which scopes behind them were not collected); the lifecycle keeps their earlier
    versions unverifiable.
    """
    missing = uncollected(outcomes)
    if not missing:
        return result
    kept = tuple(f for f in result.findings if verifiable(str(f.kind), f.subjects, missing))
    withheld = [f for f in result.findings if f not in kept]
    if not withheld:
        return result
    behind = {s: None for f in withheld for s in missing.behind(str(f.kind), f.subjects)}
    what = "the whole source" if missing.whole else ", ".join(behind)
    note = f"{len(withheld)} finding(s) withheld: judged from data not collected ({what})"
    return replace(result, findings=kept, notes=(*result.notes, note))
