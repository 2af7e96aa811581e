"""The diff across the cluster/cloud boundary: AWS principals judged for privilege and trust
against the design's ARN refs and IAM-worded permissions, S3 buckets selected into crown-jewel
services, and a pod's blast radius running through its IRSA role into a bucket."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from unit.test_aws_graph import (
    ACCOUNT,
    READ_REPORTS,
    REPORTS,
    SA,
    account,
    cluster,
    irsa_trust,
    role,
)

from drift.aws.graph import add_aws
from drift.baseline.load import parse_baseline
from drift.diff.check import check
from drift.findings import CheckResult, Finding, FindingKind, Severity

OTHER_ROOT = "arn:aws:iam::444455556666:root"
PAYMENTS = "arn:aws:s3:::payments"

DESIGN = f"""
apiVersion: design-drift/v1
kind: Baseline
metadata: {{name: shop, version: "1"}}
cluster: c
zones:
  shop: {{namespaces: [shop]}}
  cloud: {{accounts: ["{ACCOUNT}"]}}
services:
  reporter:
    zone: shop
    select: {{workloads: [Deployment/reporter]}}
    identity: reporter
  payments-data:
    zone: cloud
    select: {{aws: ["{PAYMENTS}"]}}
    crownJewel: true
permissions:
  "{REPORTS}":
    - actions: ["s3:GetObject"]
      resources: ["arn:aws:s3:::reports/*"]
trust:
  - {{from: shop/reporter, to: "{REPORTS}"}}
"""


def judged(design: str, *roles: dict[str, Any]) -> CheckResult:
    """The check, without the flow findings of the test cluster's open network (it has no
    NetworkPolicy; flows are not what these tests are about)."""
    inv, graph = cluster(annotation=REPORTS)
    add_aws(graph, account(*roles), inv)
    result = check(parse_baseline(design.encode(), "design.yaml"), graph, source="test")
    kept = tuple(f for f in result.findings if f.kind is not FindingKind.FLOW)
    return replace(result, findings=kept)


def reporter(policy: list[dict[str, Any]] = READ_REPORTS) -> dict[str, Any]:
    return role("reports", irsa_trust("system:serviceaccount:shop:reporter"), policy)


def only(result: CheckResult, kind: FindingKind) -> Finding:
    (found,) = [f for f in result.findings if f.kind is kind]
    return found


def test_the_design_as_built_finds_nothing() -> None:
    result = judged(DESIGN, reporter())
    assert result.findings == ()


def test_a_role_reading_a_crown_jewel_bucket_is_privilege_and_blast_radius() -> None:
    wider = [
        *READ_REPORTS,
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{PAYMENTS}/*"},
    ]
    result = judged(DESIGN, reporter(wider))
    privilege = only(result, FindingKind.PRIVILEGE_WIDENED)
    assert privilege.subjects == (REPORTS,)
    assert privilege.detail == "s3:GetObject S3 bucket payments"
    assert [e.text for e in privilege.evidence] == [f"{REPORTS} inline p #1"]
    radius = only(result, FindingKind.BLAST_RADIUS_WIDENED)
    assert radius.subjects == ("service:reporter",)
    assert radius.severity is Severity.CRITICAL
    assert "newly reaches crown jewels payments-data" in radius.detail
    steps = [(s.source, s.relation, s.target) for s in radius.path]
    assert steps == [
        ("service:reporter", "runs_as", SA),
        (SA, "assumes", REPORTS),
        (REPORTS, "can", "service:payments-data"),
    ]


def test_a_designed_grant_on_the_jewel_is_no_blast_radius() -> None:
    wider = [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::*"}]
    design = DESIGN.replace(
        'resources: ["arn:aws:s3:::reports/*"]', 'resources: ["arn:aws:s3:::*"]'
    )
    result = judged(design, reporter(wider))
    assert result.findings == ()


def test_a_grant_on_every_bucket_is_covered_only_by_a_pattern_for_every_bucket() -> None:
    every = [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]
    design = DESIGN.replace(
        'resources: ["arn:aws:s3:::reports/*"]',
        'resources: ["arn:aws:s3:::reports/*", "arn:aws:s3:::payments/*"]',
    )
    privilege = only(judged(design, reporter(every)), FindingKind.PRIVILEGE_WIDENED)
    assert privilege.detail == "s3:GetObject every S3 bucket"


def test_a_trust_policy_letting_another_account_in_is_implicit_trust() -> None:
    outside = [{"Effect": "Allow", "Principal": {"AWS": OTHER_ROOT}, "Action": "sts:AssumeRole"}]
    result = judged(DESIGN, reporter(), role("audit", outside, []))
    trust = only(result, FindingKind.TRUST_RELATION)
    assert trust.subjects == (OTHER_ROOT,)
    assert trust.title.startswith("AWS account arn:aws:iam::444455556666:root can become 1")
    assert f"arn:aws:iam::{ACCOUNT}:role/audit" in trust.detail
    allowed = DESIGN + f'  - {{from: "{OTHER_ROOT}", to: "arn:aws:iam::{ACCOUNT}:role/aud*"}}\n'
    assert judged(allowed, reporter(), role("audit", outside, [])).findings == ()


def test_the_irsa_step_the_design_does_not_state_is_implicit_trust() -> None:
    design = DESIGN.replace(f'trust:\n  - {{from: shop/reporter, to: "{REPORTS}"}}', "trust: []")
    trust = only(judged(design, reporter()), FindingKind.TRUST_RELATION)
    assert trust.subjects == (SA,)
    assert "IRSA" in trust.detail


@pytest.mark.parametrize(
    ("ref", "judged_away"),
    [
        (f"arn:aws:iam::{ACCOUNT}:role/rep*", True),
        (f"arn:aws:iam::{ACCOUNT}:role/rep?rts", True),
        (f"arn:aws:iam::{ACCOUNT}:role/other*", False),
    ],
)
def test_permission_refs_match_principals_as_iam_wildcards(ref: str, judged_away: bool) -> None:
    result = judged(DESIGN.replace(f'"{REPORTS}":', f'"{ref}":'), reporter())
    privilege = [f for f in result.findings if f.kind is FindingKind.PRIVILEGE_WIDENED]
    assert (privilege == []) is judged_away


def test_iam_and_rbac_rules_cover_only_their_own_kind() -> None:
    rbac_words = DESIGN.replace(
        '    - actions: ["s3:GetObject"]\n      resources: ["arn:aws:s3:::reports/*"]',
        '    - verbs: ["s3:GetObject"]\n      resources: ["arn:aws:s3:::reports/*"]',
    )
    privilege = only(judged(rbac_words, reporter()), FindingKind.PRIVILEGE_WIDENED)
    assert privilege.subjects == (REPORTS,)


def test_an_annotation_the_trust_refuses_is_a_misbound_identity() -> None:
    refusing = role("reports", irsa_trust("system:serviceaccount:billing:exporter"), READ_REPORTS)
    design = DESIGN.replace(f'trust:\n  - {{from: shop/reporter, to: "{REPORTS}"}}', "trust: []")
    result = judged(design, refusing)
    finding = only(result, FindingKind.MISBOUND_IDENTITY)
    assert finding.subjects == (SA, REPORTS)
    assert finding.severity is Severity.MEDIUM
    assert finding.title == (
        f"ServiceAccount shop/reporter (service reporter) is given role {REPORTS}, whose "
        "trust policy does not admit it"
    )
    assert finding.detail.startswith("annotation eks.amazonaws.com/role-arn: ")
    assert finding.location is not None and finding.location.file == "test.yaml"
    assert [f.kind for f in result.findings] == [FindingKind.MISBOUND_IDENTITY]


def test_a_role_reading_every_bucket_puts_a_crown_jewel_in_the_pods_blast_radius() -> None:
    """The jewel's bucket is named nowhere in the input: every bucket includes it."""
    every = [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]
    result = judged(DESIGN, reporter(every))
    radius = only(result, FindingKind.BLAST_RADIUS_WIDENED)
    assert "newly reaches crown jewels payments-data (arn:aws:s3:::*)" in radius.detail
    assert [s.target for s in radius.path] == [SA, REPORTS, "arn:aws:s3:::*"]
    designed_every = DESIGN.replace(
        'resources: ["arn:aws:s3:::reports/*"]', 'resources: ["arn:aws:s3:::*"]'
    ).replace('actions: ["s3:GetObject"]', 'actions: ["s3:*"]')
    assert judged(designed_every, reporter(every)).findings == ()


def test_a_role_reading_every_secret_is_privilege_beyond_an_s3_only_design() -> None:
    secrets = [
        *READ_REPORTS,
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"},
        {
            "Effect": "Allow",
            "Action": "ssm:GetParameter",
            "Resource": "arn:aws:ssm:*:*:parameter/prod/*",
        },
    ]
    privilege = only(judged(DESIGN, reporter(secrets)), FindingKind.PRIVILEGE_WIDENED)
    assert privilege.detail == (
        "secretsmanager:GetSecretValue every Secrets Manager secret; "
        "ssm:GetParameter SSM parameters matching arn:aws:ssm:*:*:parameter/prod/*"
    )
    designed = DESIGN.replace(
        '      resources: ["arn:aws:s3:::reports/*"]\n',
        '      resources: ["arn:aws:s3:::reports/*"]\n'
        '    - actions: ["secretsmanager:Get*", "ssm:GetParameter"]\n'
        '      resources: ["arn:aws:secretsmanager:*:*:secret:*", "arn:aws:ssm:*:*:parameter/*"]\n',
    )
    assert judged(designed, reporter(secrets)).findings == ()


def test_a_narrower_pattern_does_not_cover_every_secret() -> None:
    secrets = [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]
    designed = DESIGN.replace(
        'actions: ["s3:GetObject"]\n      resources: ["arn:aws:s3:::reports/*"]',
        'actions: ["secretsmanager:GetSecretValue"]\n'
        '      resources: ["arn:aws:secretsmanager:*:*:secret:prod-*"]',
    )
    privilege = only(judged(designed, reporter(secrets)), FindingKind.PRIVILEGE_WIDENED)
    assert privilege.detail == "secretsmanager:GetSecretValue every Secrets Manager secret"
