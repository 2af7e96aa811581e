"""Findings across runs: new, open, unverifiable when the data behind them is missing,
resolved only when it was collected."""

from __future__ import annotations

from dataclasses import replace
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


# -- AWS scopes (drift.aws.unverifiable) ------------------------------------------------------

A, B = "111122223333", "444455556666"
GAAD_DENIED = [
    ScopeOutcome(
        scope=f"aws:{A}/global/iam:GetAccountAuthorizationDetails", status=ScopeStatus.FORBIDDEN
    )
]


def aws_failed(action: str, account: str = A, region: str = "eu-west-1") -> list[ScopeOutcome]:
    return [ScopeOutcome(scope=f"aws:{account}/{region}/{action}", status=ScopeStatus.FAILED)]


def states_after(outcomes: list[ScopeOutcome], *findings: Finding) -> dict[str, FindingStatus]:
    first = run({}, result(*findings), [], now=T0)
    later = run(first, result(), outcomes)
    return {f.fingerprint: later[f.fingerprint].status for f in findings}


def test_an_uncollected_iam_scope_keeps_trust_findings_about_service_accounts_open() -> None:
    """An IRSA step vanishes with the role's trust policy: the finding must not resolve."""
    trust = finding(FindingKind.TRUST_RELATION, "k8s:c/shop/ServiceAccount/cart")
    flow = finding()
    found = states_after(GAAD_DENIED, trust, flow)
    assert found[trust.fingerprint] is FindingStatus.UNVERIFIABLE
    assert found[flow.fingerprint] is FindingStatus.RESOLVED  # no AWS data behind flows
    eks = aws_failed("eks:ListPodIdentityAssociations")
    assert states_after(eks, trust)[trust.fingerprint] is FindingStatus.UNVERIFIABLE
    rds = aws_failed("rds:DescribeDBInstances")
    assert states_after(rds, trust)[trust.fingerprint] is FindingStatus.RESOLVED


def test_a_finding_about_an_accounts_principal_waits_for_that_accounts_iam_scopes() -> None:
    role = finding(FindingKind.PRIVILEGE_WIDENED, f"arn:aws:iam::{A}:role/admin")
    other = finding(FindingKind.PRIVILEGE_WIDENED, f"arn:aws:iam::{B}:role/admin")
    found = states_after(GAAD_DENIED, role, other)
    assert found[role.fingerprint] is FindingStatus.UNVERIFIABLE
    assert found[other.fingerprint] is FindingStatus.RESOLVED
    # a bucket policy can grant the role: S3 reads are part of its IAM model, EC2 ones not
    s3 = aws_failed("s3:GetBucketPolicy", region="global")
    assert states_after(s3, role)[role.fingerprint] is FindingStatus.UNVERIFIABLE
    ec2 = aws_failed("ec2:DescribeSecurityGroups")
    assert states_after(ec2, role)[role.fingerprint] is FindingStatus.RESOLVED


def test_an_aws_id_without_an_account_or_a_scope_without_one_reaches_every_account() -> None:
    bucket = finding(FindingKind.EXPOSURE_WIDENED, "aws:arn:aws:s3:::carts")
    instance = finding(FindingKind.EXPOSURE_WIDENED, f"arn:aws:ec2:eu-west-1:{A}:instance/i-1")
    found = states_after(aws_failed("ec2:DescribeInstances", account=B), bucket, instance)
    assert found[bucket.fingerprint] is FindingStatus.UNVERIFIABLE
    assert found[instance.fingerprint] is FindingStatus.RESOLVED  # B's scope, A's instance
    unreached = aws_failed("ec2:DescribeInstances", account="default")
    assert states_after(unreached, instance)[instance.fingerprint] is FindingStatus.UNVERIFIABLE


def test_an_aws_scope_is_no_longer_a_failure_of_the_whole_source() -> None:
    flow, radius = finding(), finding(FindingKind.BLAST_RADIUS_WIDENED, "service:web")
    found = states_after(aws_failed("lambda:GetPolicy"), flow, radius)
    assert found[flow.fingerprint] is FindingStatus.RESOLVED
    assert found[radius.fingerprint] is FindingStatus.UNVERIFIABLE  # paths cross every edge


def test_withheld_findings_name_the_aws_scopes_behind_them() -> None:
    from drift.lifecycle import withhold_unverifiable

    trust = finding(FindingKind.TRUST_RELATION, "k8s:c/shop/ServiceAccount/cart")
    flow = finding()
    kept = withhold_unverifiable(result(trust, flow), [*GAAD_DENIED, *FORBIDDEN_POLICIES])
    assert kept.findings == ()
    assert kept.notes == (
        "2 finding(s) withheld: judged from data not collected "
        f"(aws:{A}/global/iam:GetAccountAuthorizationDetails, "
        "networking.k8s.io/NetworkPolicy)",
    )


def test_a_designed_service_may_be_aws_resources_so_its_exposure_waits_for_aws_reads() -> None:
    published = Finding(
        kind=FindingKind.EXPOSURE_WIDENED,
        severity=Severity.HIGH,
        cluster="c",
        subjects=("service:web",),
        title="t",
    )
    missing = replace(published, kind=FindingKind.INVENTORY_MISSING)
    flow = finding()
    ec2 = aws_failed("ec2:DescribeInstances", account=B)
    found = states_after(ec2, published, missing, flow)
    assert found[published.fingerprint] is FindingStatus.UNVERIFIABLE
    assert found[missing.fingerprint] is FindingStatus.UNVERIFIABLE
    assert found[flow.fingerprint] is FindingStatus.RESOLVED
    iam = states_after(GAAD_DENIED, published)
    assert iam[published.fingerprint] is FindingStatus.RESOLVED  # IAM says nothing of it
