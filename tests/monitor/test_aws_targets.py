"""The monitor reads AWS: `drift run --once` and `drift serve` collect an `aws` source through
the collector plugin against moto's server, alone or joined with a cluster's manifests (so a
ServiceAccount's step to an IAM role is judged), and an AWS scope that could not be read keeps
what depends on it open and shows in the metrics, never resolving anything."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from awsmoto import Moto
from awsmoto.hooks import pod_identity, session_with
from awsmoto.server import ACCOUNT, REGION
from awsmoto.world import document, trust
from click.testing import CliRunner
from prometheus_client import CollectorRegistry, generate_latest

from collectors.aws import AwsCollector
from drift.cli import main
from drift.collect import ReadOptions, ScopeStatus
from drift.metrics import StoreCollector
from drift.model import AssumesEdge, EdgeType
from drift.pipeline import aws_input, collect_manifests, joined, model_of
from drift.service import Service
from drift.settings import AwsSource, Settings, load_settings
from drift.store.records import FindingStatus, RunOutcome
from drift.store.sql import SqlStore
from tests.monitor.test_metrics import labels, samples

ISSUER = f"oidc.eks.{REGION}.amazonaws.com/id/EXAMPLE"
PROVIDER = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{ISSUER}"
CART = f"arn:aws:iam::{ACCOUNT}:role/cart"
SA = "k8s:prod/shop/ServiceAccount/cart"
AUDITOR = f"arn:aws:iam::{ACCOUNT}:user/auditor"
GAAD = f"aws:{ACCOUNT}/global/iam:GetAccountAuthorizationDetails"
TRUST_RELATION, FLOW = "implicit-trust.trust-relation", "implicit-trust.flow"

BASELINE = """\
apiVersion: design-drift/v1
kind: Baseline
metadata: {name: shop, version: "1", approval: {by: board@example.com, at: "2026-11-02"}}
zones:
  shop: {namespaces: [shop]}
services:
  cart: {zone: shop, select: {labels: {app: cart}}, identity: cart}
"""
ACCOUNTS_ONLY = """\
apiVersion: design-drift/v1
kind: Baseline
metadata: {name: accounts, version: "1", approval: {by: board@example.com, at: "2026-11-02"}}
"""
# The trust policies of the account's roles, as designed: who may assume them.
DESIGNED_TRUST = (
    "trust:\n"
    f'  - {{from: "service:pods.eks.amazonaws.com", to: "arn:aws:iam::{ACCOUNT}:role/reports"}}\n'
    f'  - {{from: "service:ec2.amazonaws.com", to: "arn:aws:iam::{ACCOUNT}:role/ec2-only"}}\n'
)

MANIFESTS = f"""\
apiVersion: v1
kind: Namespace
metadata: {{name: shop}}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: cart
  namespace: shop
  annotations: {{eks.amazonaws.com/role-arn: "{CART}"}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: cart, namespace: shop}}
spec:
  selector: {{matchLabels: {{app: cart}}}}
  template:
    metadata: {{labels: {{app: cart}}}}
    spec:
      serviceAccountName: cart
      containers: [{{name: cart, image: cart:1}}]
"""


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 3, 9, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def build_account(moto: Moto) -> None:
    """A role the ServiceAccount reaches by IRSA, one it reaches by Pod Identity, and one
    whose trust refuses Pod Identity."""
    iam = moto.client("iam")
    web = {
        "Effect": "Allow",
        "Principal": {"Federated": PROVIDER},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{ISSUER}:sub": "system:serviceaccount:shop:cart"}},
    }
    iam.create_role(RoleName="cart", AssumeRolePolicyDocument=document(web))
    pods = {"Service": "pods.eks.amazonaws.com"}
    both = {"Action": ["sts:AssumeRole", "sts:TagSession"]}
    iam.create_role(
        RoleName="reports",
        AssumeRolePolicyDocument=document({"Effect": "Allow", "Principal": pods, **both}),
    )
    iam.create_role(
        RoleName="ec2-only", AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"})
    )


def write_target(tmp_path: Path, moto: Moto) -> Path:
    (tmp_path / "baseline.yaml").write_text(BASELINE + DESIGNED_TRUST)
    (tmp_path / "accounts.yaml").write_text(ACCOUNTS_ONLY + DESIGNED_TRUST)
    (tmp_path / "live").mkdir()
    (tmp_path / "live" / "shop.yaml").write_text(MANIFESTS)
    aws = f"{{regions: [{REGION}], endpointUrl: '{moto.url}', maxAttempts: 2}}"
    config = tmp_path / "drift.yaml"
    config.write_text(
        f"database: sqlite:///{tmp_path / 'drift.db'}\n"
        "targets:\n"
        f"  - {{name: shop, cluster: prod, baseline: {tmp_path / 'baseline.yaml'},\n"
        f"     manifests: [{tmp_path / 'live'}], aws: {aws}}}\n"
        f"  - {{name: cloud, baseline: {tmp_path / 'accounts.yaml'}, aws: {aws}}}\n"
    )
    return config


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    store = SqlStore(f"sqlite:///{tmp_path / 'drift.db'}")
    store.migrate()
    yield store
    store.close()


def deny_iam_reads(moto: Moto, monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on moto enforces IAM, for a user that may do everything but read IAM."""
    iam = moto.client("iam")
    iam.create_user(UserName="auditor")
    iam.put_user_policy(
        UserName="auditor",
        PolicyName="read",
        PolicyDocument=document(
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "iam:GetAccountAuthorizationDetails", "Resource": "*"},
        ),
    )
    key = iam.create_access_key(UserName="auditor")["AccessKey"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    moto.enforce_iam()


def test_run_once_judges_aws_joined_to_the_cluster_and_a_denied_iam_read_resolves_nothing(
    moto: Moto, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_account(moto)
    config = write_target(tmp_path, moto)
    runner = CliRunner()
    first = runner.invoke(main, ["run", "--once", "--config", str(config)])
    assert first.exit_code == 0, first.output
    settings = load_settings(str(config))
    with SqlStore(settings.database) as store:
        (trust_finding,) = [f for f in store.findings() if f.kind == TRUST_RELATION]
        assert trust_finding.subjects == (SA,) and trust_finding.target == "shop"
        assert trust_finding.status is FindingStatus.NEW and CART in trust_finding.detail
        assert statuses(store, "shop") == {TRUST_RELATION: {"new"}, FLOW: {"new"}}
        assert statuses(store, "cloud") == {}  # AWS alone: nothing of this design is there
        shop, cloud = (store.runs(target=t)[0] for t in ("shop", "cloud"))
        assert shop.source.endswith(f" + aws:{ACCOUNT}") and cloud.source == f"aws:{ACCOUNT}"
        assert {s["status"] for s in shop.scopes} == {"ok"}
        assert GAAD in {s["scope"] for s in cloud.scopes}

    deny_iam_reads(moto, monkeypatch)
    second = runner.invoke(main, ["run", "--once", "--config", str(config)])
    assert second.exit_code == 3, second.output  # an incomplete collection
    with SqlStore(settings.database) as store:
        # Not resolved: without IAM the role's trust is unknown. The flows are judged from
        # the cluster alone: seen again, open.
        assert statuses(store, "shop") == {TRUST_RELATION: {"unverifiable"}, FLOW: {"open"}}
        assert store.runs(target="shop")[0].outcome is RunOutcome.INCOMPLETE
        text = generate_latest(_registry(store, settings)).decode()
    scopes = samples(text, "drift_collection_scope_status")
    assert scopes[labels(target="shop", scope=GAAD, status="forbidden")] == 1
    assert scopes[labels(target="cloud", scope=GAAD, status="forbidden")] == 1
    assert samples(text, "drift_findings_unverifiable") == {labels(kind=TRUST_RELATION): 1}

    moto.post("/moto-api/reset-auth", "inf")  # IAM readable again: the finding is seen again
    third = runner.invoke(main, ["run", "--once", "--config", str(config)])
    assert third.exit_code == 0, third.output
    with SqlStore(settings.database) as store:
        found = {f.subjects[0]: f for f in store.findings(target="shop")}
        assert found[SA].status is FindingStatus.OPEN  # seen again, not resolved and re-opened
        assert {f.status for f in found.values() if f.kind == FLOW} == {FindingStatus.OPEN}
        # New since: the user deny_iam_reads made may do anything: every bucket, secret...,
        # and it can give itself every permission (an escalation the design does not trust).
        auditor = [f for f in store.findings(target="shop") if f.subjects[0] == AUDITOR]
        assert {(f.kind, f.status) for f in auditor} == {
            ("privilege.widened", FindingStatus.NEW),
            (TRUST_RELATION, FindingStatus.NEW),
        }


def statuses(store: SqlStore, target: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for finding in store.findings(target=target):
        found.setdefault(finding.kind, set()).add(str(finding.status))
    return found


def _registry(store: SqlStore, settings: Settings) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(StoreCollector(store, Clock(), settings.targets))
    return registry


def test_serve_runs_an_aws_target_and_exports_its_scopes(
    moto: Moto, tmp_path: Path, store: SqlStore
) -> None:
    build_account(moto)
    settings = load_settings(str(write_target(tmp_path, moto)))
    service = Service(settings, store, Clock())
    cloud = settings.targets[1]
    service.cycle(cloud)
    (run,) = store.runs(target="cloud")
    assert run.outcome is RunOutcome.OK and run.source == f"aws:{ACCOUNT}"
    assert service.ready is False  # the other target has not run yet
    text = generate_latest(service.registry).decode()
    ok = samples(text, "drift_collection_scope_status")
    assert ok[labels(target="cloud", scope=GAAD, status="ok")] == 1
    assert len([k for k in ok if dict(k)["target"] == "cloud"]) == len(run.scopes) > 20


def test_pod_identity_from_a_live_collection_reaches_the_model(moto: Moto, tmp_path: Path) -> None:
    """The collector's own snapshot (moto, with the Pod Identity calls answered at botocore's
    hook) read into the model: one association honoured, one refused."""
    build_account(moto)
    moto.client("eks").create_cluster(
        name="prod",
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/ec2-only",
        resourcesVpcConfig={"subnetIds": []},
    )
    associations = [
        {
            "clusterName": "prod",
            "namespace": "shop",
            "serviceAccount": "cart",
            "roleArn": f"arn:aws:iam::{ACCOUNT}:role/reports",
            "associationId": "a-good",
        },
        {
            "clusterName": "prod",
            "namespace": "shop",
            "serviceAccount": "cart",
            "roleArn": f"arn:aws:iam::{ACCOUNT}:role/ec2-only",
            "associationId": "a-bad",
        },
    ]
    source = AwsSource.model_validate({"regions": [REGION], "endpointUrl": moto.url})
    aws = AwsCollector(source=source, session_factory=session_with(pod_identity(associations)))
    collection = aws.collect()
    assert collection.complete, [o for o in collection.outcomes if o.status is not ScopeStatus.OK]
    (tmp_path / "shop.yaml").write_text(MANIFESTS)
    cluster = collect_manifests([str(tmp_path)], ReadOptions())
    model = model_of(joined(cluster, collection), cluster="prod", aws=aws_input(collection))
    reports = f"arn:aws:iam::{ACCOUNT}:role/reports"
    edge = model.graph.edge(SA, reports, EdgeType.ASSUMES)
    assert isinstance(edge, AssumesEdge) and edge.certain and "a-good" in edge.via
    irsa = model.graph.edge(SA, CART, EdgeType.ASSUMES)
    assert isinstance(irsa, AssumesEdge) and irsa.certain  # the annotation and the trust agree
    (refused,) = model.graph.misbindings
    assert (refused.source, refused.via) == (SA, "Pod Identity association a-bad")
    assert refused.target == f"arn:aws:iam::{ACCOUNT}:role/ec2-only"
