"""The findings a cloud security reviewer expects from the deliberately vulnerable AWS corpus.

Each account is judged against the design its owners would have approved: everything it holds
today (`drift baseline propose`), with the trust policies as written, but without the trust its
permissions imply through privilege escalation — the design never granted that. What remains
to find is exactly the escalation: `implicit-trust.trust-relation` for each principal that can
become another (the technique and its statements), and `blast-radius.widened` for the entry
points (users, outside principals) that reach every permission through more than one step,
with the attack path step by step.

And: a draft of every CloudGoat scenario and of the cloudsplaining account, checked against the
same input, finds nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from shared_corpus import corpus_path

from drift.aws.documents import read_aws_files
from drift.aws.escalation import escalations
from drift.aws.graph import add_aws
from drift.aws.iam import Evaluator
from drift.aws.trust import trust_relations
from drift.baseline.load import parse_baseline
from drift.baseline.propose import propose
from drift.diff.check import check
from drift.findings import CheckResult, Finding, FindingKind, Severity
from drift.model import SystemGraph
from drift.output.text import render_text

pytestmark = pytest.mark.corpus

GOAT = "123456789012"
VULNERABLE = "200611803367"
ADMIN = f"aws-admin:{GOAT}"
FILES = ("iam-authorization-details.json", "resource-policies.json", "ec2-network.json")


def goat_files(scenario: str) -> list[Path]:
    folder = corpus_path("aws", "cloudgoat", scenario)
    return [folder / name for name in FILES if (folder / name).exists()]


def goat(kind: str, name: str) -> str:
    return f"arn:aws:iam::{GOAT}:{kind}/{name}"


def model(files: list[Path]) -> tuple[SystemGraph, str, str]:
    """The model, the draft of it, and the draft without the escalations' trust."""
    data = read_aws_files(files)
    graph = SystemGraph(cluster="c")
    add_aws(graph, data)
    evaluator = Evaluator(data)
    relations = trust_relations(evaluator)
    by_policy = {(r.principal, r.role) for r in relations}
    escalated = {
        (e.source, "*" if e.target.startswith("aws-admin:") else e.target)
        for e in escalations(evaluator, relations)
    }
    draft = propose(graph, source="corpus")
    design = yaml.safe_load(draft)
    design["trust"] = [
        t
        for t in design.get("trust") or []
        if (t["from"], t["to"]) not in escalated or (_principal(t["from"]), t["to"]) in by_policy
    ]
    return graph, draft, yaml.safe_dump(design)


def _principal(ref: str) -> str:
    return ref.removeprefix("service:").removeprefix("federated:")


def judged(design: str, graph: SystemGraph) -> CheckResult:
    return check(parse_baseline(design.encode(), "design.yaml"), graph, source="corpus")


def findings(result: CheckResult) -> dict[tuple[FindingKind, str], Finding]:
    return {(f.kind, f.subjects[0]): f for f in result.findings}


def evidence(finding: Finding) -> list[str]:
    return [e.text for e in finding.evidence]


def steps(finding: Finding) -> list[tuple[str, str, str]]:
    return [(s.source, s.relation, s.target) for s in finding.path]


# -- CloudGoat --------------------------------------------------------------------------------


def test_lambda_privesc_chris_reaches_every_permission_through_two_roles() -> None:
    graph, _, design = model(goat_files("lambda_privesc"))
    found = findings(judged(design, graph))
    chris = goat("user", "chris-cgidexample01")
    manager = goat("role", "cg-lambdaManager-role-cgidexample01")
    debug = goat("role", "cg-debug-role-cgidexample01")
    assert set(found) == {
        (FindingKind.BLAST_RADIUS_WIDENED, chris),
        (FindingKind.TRUST_RELATION, manager),
        (FindingKind.TRUST_RELATION, debug),
    }
    radius = found[(FindingKind.BLAST_RADIUS_WIDENED, chris)]
    assert radius.severity is Severity.CRITICAL
    assert radius.title.endswith(f"now gives an attacker every permission in account {GOAT}")
    assert steps(radius) == [
        (chris, "assumes", manager),
        (manager, "assumes", debug),
        (debug, "assumes", ADMIN),
    ]
    middle = [e.text for e in radius.path[1].evidence]
    assert middle[0].startswith("iam:PassRole + lambda:CreateFunction + lambda:InvokeFunction")
    assert (
        f'{goat("policy", "cg-lambdaManager-policy-cgidexample01")} v1 #0 (Sid "lambdaManager")'
        in (middle)
    )
    text = render_text(judged(design, graph), colour=False)
    assert f"path: 1. {chris} assumes {manager} (sts:AssumeRole per the trust policy" in text
    assert f"      3. {debug} assumes {ADMIN} (iam:AttachRolePolicy" in text
    step = found[(FindingKind.TRUST_RELATION, manager)]
    assert step.severity is Severity.HIGH
    assert "iam:PassRole + lambda:CreateFunction" in step.detail


def test_rollback_raynor_makes_the_admin_version_the_default() -> None:
    graph, _, design = model(goat_files("iam_privesc_by_rollback"))
    found = findings(judged(design, graph))
    raynor = goat("user", "raynor-cgidexample01")
    assert set(found) == {(FindingKind.TRUST_RELATION, raynor)}
    finding = found[(FindingKind.TRUST_RELATION, raynor)]
    assert finding.severity is Severity.CRITICAL
    assert "iam:SetDefaultPolicyVersion" in finding.detail and "version v3" in finding.detail
    policy = goat("policy", "cg-raynor-policy-cgidexample01")
    assert f"{policy} v3 #0" in evidence(finding)  # the version that allows everything


def test_attachment_kerrigan_launches_an_instance_with_the_mighty_role() -> None:
    graph, _, design = model(goat_files("iam_privesc_by_attachment"))
    found = findings(judged(design, graph))
    kerrigan = goat("user", "kerrigan")
    mighty = goat("role", "cg-ec2-mighty-role-cgidexample01")
    radius = found[(FindingKind.BLAST_RADIUS_WIDENED, kerrigan)]
    assert radius.severity is Severity.CRITICAL
    assert steps(radius) == [(kerrigan, "assumes", mighty), (mighty, "assumes", ADMIN)]
    assert "ec2:RunInstances" in radius.path[0].evidence[0].text
    trust = found[(FindingKind.TRUST_RELATION, kerrigan)]
    assert "iam:PassRole + ec2:RunInstances" in trust.detail
    assert goat("role", "cg-ec2-meek-role-cgidexample01") in trust.detail


def test_glue_privesc_the_glue_admin_runs_jobs_as_two_roles() -> None:
    graph, _, design = model(goat_files("glue_privesc"))
    found = findings(judged(design, graph))
    admin = goat("user", "cg-glue-admin-cgidexample01")
    trust = found[(FindingKind.TRUST_RELATION, admin)]
    assert trust.title.endswith("can become 2 identities the design does not trust it with")
    assert "iam:PassRole + glue:CreateJob + glue:StartJobRun" in trust.detail
    assert f'{admin} inline glue_management_policy #0 (Sid "IAMGlueManagement")' in evidence(trust)


def test_ecs_evade_protection_web_developers_run_tasks_as_the_s3_role() -> None:
    graph, _, design = model(goat_files("ecs_privesc_evade_protection"))
    found = findings(judged(design, graph))
    critical_s3 = goat("role", "cg-s3-critical-cgidexample01")
    for developer in ("cg-web-developer-cgidexample01", "cg-web-developer-sub-cgidexample01"):
        trust = found[(FindingKind.TRUST_RELATION, goat("role", developer))]
        assert critical_s3 in trust.detail and "ecs:RunTask" in trust.detail


def test_key_rotation_the_manager_tags_the_admin_then_rotates_its_keys() -> None:
    graph, _, design = model(goat_files("iam_privesc_by_key_rotation"))
    found = findings(judged(design, graph))
    manager = goat("user", "manager_cgidexample01")
    trust = found[(FindingKind.TRUST_RELATION, manager)]
    assert goat("user", "admin_cgidexample01") in trust.detail
    assert "iam:TagUser + iam:CreateAccessKey + iam:DeleteAccessKey" in trust.detail
    assert f'{manager} inline SelfManageAccess #0 (Sid "SelfManageAccess")' in evidence(trust)


def test_beanstalk_an_access_key_for_the_admin_is_an_unknown_not_a_guess() -> None:
    """Whether the admin user can get a new key depends on how many it holds, which the
    authorization details do not say."""
    graph, _, design = model(goat_files("beanstalk_secrets"))
    result = judged(design, graph)
    secondary = goat("user", "cgidexample01_secondary_user")
    admin = goat("user", "cgidexample01_admin_user")
    (unknown,) = [u for u in result.unknowns if u.subjects == (secondary, admin)]
    assert "iam:CreateAccessKey" in unknown.detail


def test_cloud_breach_s3_the_published_proxy_and_its_role_reading_every_bucket() -> None:
    graph, draft, _ = model(goat_files("cloud_breach_s3"))
    design = yaml.safe_load(draft)
    design["permissions"] = {}  # the design grants no role any bucket
    for service in design["services"].values():
        service.pop("public", None)  # nor publishes anything
    found = findings(judged(yaml.safe_dump(design), graph))
    waf = goat("role", "cg-banking-WAF-Role-cgidexample01")
    privilege = found[(FindingKind.PRIVILEGE_WIDENED, waf)]
    assert "every S3 bucket" in privilege.detail
    assert "arn:aws:iam::aws:policy/AmazonS3FullAccess v2 #0" in evidence(privilege)
    proxy = "ec2-vulnerable-proxy-server-cgidexample01"  # the service the draft named
    assert f"(service {proxy}) may do more" in privilege.title  # the role the proxy runs as
    exposure = found[(FindingKind.EXPOSURE_WIDENED, f"service:{proxy}")]
    # Undecided, not public: the rebuilt scenario has no network ACLs to read.
    assert exposure.title == (
        f"{proxy} is published unknown on TCP 22, 80; the design does not allow publishing it"
    )
    assert (
        "SecurityGroup sg-93486b95c7fc894fc (cg-ec2-http-cgidexample01) ingress tcp 80 from "
        "198.51.100.10/32 (unknown)"
    ) in evidence(exposure)


# -- cloudsplaining's copy of BishopFox iam-vulnerable ---------------------------------------

# One principal per technique; `certain` ones are findings, the others unknowns.
TECHNIQUES_FOUND = (
    "privesc1-CreateNewPolicyVersion",
    "privesc3-CreateEC2WithExistingInstanceProfile",
    "privesc7-AttachUserPolicy",
    "privesc8-AttachGroupPolicy",
    "privesc10-PutUserPolicy",
    "privesc11-PutGroupPolicy",
    "privesc13-AddUserToGroup",
    "privesc14-UpdatingAssumeRolePolicy",
    "privesc15-PassExistingRoleToNewLambdaThenInvoke",
    "privesc18-PassExistingRoleToNewGlueDevEndpoint",
    "privesc20-PassExistingRoleToCloudFormation",
    "privesc-sageMakerCreateNotebookPassRole",
    "privesc-sageMakerCreateTrainingJobPassRole",
    "privesc-sageMakerCreateProcessingJobPassRole",
    "privesc-codeBuildCreateProjectPassRole",
)


@pytest.fixture(scope="module")
def vulnerable() -> tuple[SystemGraph, CheckResult]:
    path = corpus_path("aws", "cloudsplaining", "iam-vulnerable-account-authorization-details.json")
    graph, _, design = model([path])
    return graph, judged(design, graph)


def test_each_technique_user_is_a_finding_with_its_statements(
    vulnerable: tuple[SystemGraph, CheckResult],
) -> None:
    _, result = vulnerable
    found = findings(result)
    for technique in TECHNIQUES_FOUND:
        user = f"arn:aws:iam::{VULNERABLE}:user/{technique}-user"
        trust = found[(FindingKind.TRUST_RELATION, user)]
        assert trust.severity in (Severity.HIGH, Severity.CRITICAL), technique
        assert trust.evidence, technique  # the statements that allow it
        written = (f"policy/{technique} ", f"policy/{technique}-policy ")  # both namings
        assert any(
            e.startswith(f"arn:aws:iam::{VULNERABLE}:") and any(w in e for w in written)
            for e in evidence(trust)
        ), technique


def test_false_positive_principals_are_no_finding(
    vulnerable: tuple[SystemGraph, CheckResult],
) -> None:
    _, result = vulnerable
    subjects = {s for f in result.findings for s in f.subjects}
    assert not [s for s in subjects if "/fp" in s]


def test_techniques_the_input_cannot_decide_are_unknowns(
    vulnerable: tuple[SystemGraph, CheckResult],
) -> None:
    """A new access key or console password: the keys and passwords a user holds are not in
    the authorization details."""
    _, result = vulnerable
    undecided = {u.subjects[0].rsplit("/", 1)[1] for u in result.unknowns}
    assert {
        "privesc4-CreateAccessKey-user",
        "privesc5-CreateLoginProfile-user",
        "privesc6-UpdateLoginProfile-user",
    } <= undecided


# -- drafts find nothing ----------------------------------------------------------------------


def test_a_draft_of_each_scenario_finds_nothing() -> None:
    root = corpus_path("aws", "cloudgoat")
    for scenario in sorted(p.name for p in root.iterdir() if p.is_dir()):
        graph, draft, _ = model(goat_files(scenario))
        result = judged(draft, graph)
        assert (result.findings, result.unknowns) == ((), ()), scenario


def test_a_draft_of_the_vulnerable_account_finds_nothing() -> None:
    path = corpus_path("aws", "cloudsplaining", "iam-vulnerable-account-authorization-details.json")
    graph, draft, _ = model([path])
    result = judged(draft, graph)
    assert result.findings == () and result.unknowns == ()
