"""Findings across runs: new, open, unverifiable when the data behind them is missing,
resolved only when it was collected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from drift.collect import ScopeOutcome, ScopeStatus
from drift.findings import CheckResult, Finding, FindingKind, Severity
from drift.lifecycle import next_states
from drift.store.records import FindingState, FindingStatus

T0 = datetime(2026, 11, 1, tzinfo=UTC)
T1 = T0 + timedelta(minutes=5)


def finding(kind: FindingKind = FindingKind.FLOW, subject: str = "service:web") -> Finding:
    return Finding(
        kind=kind, severity=Severity.HIGH, cluster="c", subjects=(subject, "service:db"), title="t"
    )


def result(*findings: Finding) -> CheckResult:
    return CheckResult(
        baseline_name="b",
        baseline_version="1",
        baseline_path="b.yaml",
        cluster="c",
        source="s",
        findings=findings,
    )


def ok(*kinds: tuple[str, str]) -> list[ScopeOutcome]:
    return [ScopeOutcome(scope=f"{g}/{k}" if g else k, status=ScopeStatus.OK) for g, k in kinds]


def run(
    previous: dict[str, FindingState],
    res: CheckResult,
    outcomes: list[ScopeOutcome],
    now: datetime = T1,
) -> dict[str, FindingState]:
    states = next_states(
        target="t", run_id="r", now=now, previous=previous, result=res, outcomes=outcomes
    )
    return {s.fingerprint: s for s in states}


FORBIDDEN_POLICIES = [
    ScopeOutcome(scope="networking.k8s.io/NetworkPolicy", status=ScopeStatus.FORBIDDEN)
]


def test_a_first_sighting_is_new_and_a_second_is_open_keeping_first_seen() -> None:
    f = finding()
    first = run({}, result(f), [], now=T0)
    assert first[f.fingerprint].status is FindingStatus.NEW
    second = run(first, result(f), [])
    assert second[f.fingerprint].status is FindingStatus.OPEN
    assert (second[f.fingerprint].first_seen, second[f.fingerprint].last_seen) == (T0, T1)


def test_a_finding_not_seen_with_everything_collected_is_resolved() -> None:
    f = finding()
    first = run({}, result(f), [], now=T0)
    gone = run(first, result(), ok(("networking.k8s.io", "NetworkPolicy")))
    assert gone[f.fingerprint].status is FindingStatus.RESOLVED
    assert gone[f.fingerprint].resolved_at == T1


def test_a_forbidden_list_never_resolves_what_depends_on_it() -> None:
    flow, identity = finding(), finding(FindingKind.SHARED_IDENTITY, "service:api")
    first = run({}, result(flow, identity), [], now=T0)
    later = run(first, result(), FORBIDDEN_POLICIES)
    assert later[flow.fingerprint].status is FindingStatus.UNVERIFIABLE
    # identity findings do not depend on NetworkPolicies: they resolve
    assert later[identity.fingerprint].status is FindingStatus.RESOLVED


def test_a_failed_source_as_a_whole_leaves_everything_unverifiable() -> None:
    f = finding(FindingKind.INVENTORY_UNKNOWN)
    first = run({}, result(f), [], now=T0)
    failed = [ScopeOutcome(scope="examples/shop", status=ScopeStatus.FAILED)]
    assert run(first, result(), failed)[f.fingerprint].status is FindingStatus.UNVERIFIABLE


def test_an_unverifiable_finding_seen_again_is_open_and_a_resolved_one_returns_new() -> None:
    f = finding()
    first = run({}, result(f), [], now=T0)
    unverifiable = run(first, result(), FORBIDDEN_POLICIES)
    seen_again = run(unverifiable, result(f), [])
    assert seen_again[f.fingerprint].status is FindingStatus.OPEN
    assert seen_again[f.fingerprint].first_seen == T0
    resolved = run(first, result(), [])
    back = run(resolved, result(f), [], now=T1 + timedelta(hours=1))
    assert back[f.fingerprint].status is FindingStatus.NEW
    assert back[f.fingerprint].first_seen == T1 + timedelta(hours=1)


def test_not_installed_counts_as_collected() -> None:
    f = finding()
    first = run({}, result(f), [], now=T0)
    absent = [ScopeOutcome(scope="cilium.io/CiliumNetworkPolicy", status=ScopeStatus.NOT_INSTALLED)]
    assert run(first, result(), absent)[f.fingerprint].status is FindingStatus.RESOLVED


def test_findings_judged_from_uncollected_data_are_withheld_with_a_note() -> None:
    from drift.lifecycle import withhold_unverifiable

    flow, identity = finding(), finding(FindingKind.SHARED_IDENTITY, "service:api")
    kept = withhold_unverifiable(result(flow, identity), FORBIDDEN_POLICIES)
    assert kept.findings == (identity,)
    assert kept.notes == (
        "1 finding(s) withheld: judged from data not collected (networking.k8s.io/NetworkPolicy)",
    )
    assert withhold_unverifiable(result(flow), ok(("", "Pod"))).findings == (flow,)
