"""The settings file: validated like baselines, with environment overrides for secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from drift.settings import DEFAULT_DATABASE, SettingsError, load_settings

GOOD = """\
database: sqlite:///var/drift.db
logFormat: json
http: {bind: 0.0.0.0, port: 9477}
targets:
  - name: prod
    baseline: baselines/prod.yaml
    kubernetes: {kubeconfig: /etc/drift/kubeconfig, context: prod}
    intervalSeconds: 120
  - name: ci
    baseline: baselines/prod.yaml
    manifests: [deploy/]
"""


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "drift.yaml"
    path.write_text(text)
    return str(path)


def test_a_valid_file_loads_and_the_database_url_comes_from_the_environment(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, GOOD)
    settings = load_settings(path, environ={})
    assert settings.database == "sqlite:///var/drift.db" and settings.log_format == "json"
    assert [t.name for t in settings.targets] == ["prod", "ci"]
    assert settings.targets[0].kubernetes is not None
    assert settings.targets[0].kubernetes.context == "prod"
    secret = "postgresql://drift:s3cret@db/drift"
    assert load_settings(path, environ={"DRIFT_DATABASE_URL": secret}).database == secret


def test_without_a_file_the_settings_are_the_bundled_example() -> None:
    settings = load_settings(None, environ={})
    assert settings.database == DEFAULT_DATABASE
    (target,) = settings.targets
    assert target.manifests is not None and target.manifests[0].endswith("drifted")


def test_every_problem_is_one_line_with_file_line_and_field(tmp_path: Path) -> None:
    bad = GOOD.replace("intervalSeconds: 120", "intervalSecond: 120").replace(
        "    manifests: [deploy/]\n", ""
    )
    with pytest.raises(SettingsError) as caught:
        load_settings(write(tmp_path, bad), environ={})
    assert caught.value.problems == (
        f"{tmp_path}/drift.yaml:8: targets[0].intervalSecond: unknown field "
        "(did you mean 'intervalSeconds'?)",
        f"{tmp_path}/drift.yaml:9: targets[1]: a target reads manifests, kubernetes or aws, "
        "or aws with one of the other two",
    )


def test_duplicate_target_names_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(write(tmp_path, GOOD.replace("name: ci", "name: prod")), environ={})
    assert "target names must be unique: prod" in caught.value.problems[0]


AWS = """\
targets:
  - name: cloud
    baseline: baselines/prod.yaml
    aws:
      accounts:
        - {}
        - {roleArn: "arn:aws:iam::111111111111:role/drift-audit", externalId: drift-7f3a}
      regions: [eu-west-1, us-east-1]
      maxAttempts: 8
"""


def test_an_aws_target_names_accounts_roles_and_regions(tmp_path: Path) -> None:
    (target,) = load_settings(write(tmp_path, AWS), environ={}).targets
    assert target.aws is not None and target.manifests is None
    own, audited = target.aws.accounts
    assert (own.role_arn, own.label) == (None, "default")
    assert audited.external_id == "drift-7f3a" and audited.label == "111111111111"
    assert target.aws.regions == ["eu-west-1", "us-east-1"] and target.aws.max_attempts == 8
    assert target.aws.endpoint_url is None


def test_aws_settings_that_cannot_be_meant_are_refused_all_at_once(tmp_path: Path) -> None:
    bad = (
        AWS.replace("- {}", '- {id: "222222222222", roleArn: "arn:aws:iam::333333333333:role/x"}')
        .replace("us-east-1]", "us-east-1, Frankfurt]")
        .replace("maxAttempts: 8", "maxAttempts: 8\n      endpointUrl: ftp://x")
        + "  - {name: both, baseline: b.yaml, manifests: [m/], kubernetes: {},"
        + " aws: {regions: [eu-west-1]}}\n"
        + "  - {name: twice, baseline: b.yaml, aws: {regions: [eu-west-1, eu-west-1]}}\n"
        + "  - {name: other, baseline: b.yaml, aws: {regions: [eu-west-1], "
        + "accounts: [{externalId: lonely}]}}\n"
    )
    with pytest.raises(SettingsError) as caught:
        load_settings(write(tmp_path, bad), environ={})
    problems = "\n".join(caught.value.problems)
    assert "roleArn is a role of account 333333333333, not of id 222222222222" in problems
    assert "targets[0].aws.regions[2]: " in problems and "Frankfurt" not in problems
    assert "targets[0].aws.endpointUrl: must be an http:// or https:// URL" in problems
    assert (
        "targets[1]: a target reads one cluster: manifests or kubernetes, not both "
        "(aws may join either)" in problems
    )
    assert "targets[2].aws: regions and accounts are listed once each: eu-west-1" in problems
    assert "externalId is sent when assuming a role: it needs roleArn" in problems


def test_aws_joins_a_cluster_in_one_target_and_may_name_its_eks_cluster(tmp_path: Path) -> None:
    text = (
        AWS
        + "    kubernetes: {context: prod}\n"
        + (
            "  - name: gitops\n    baseline: b.yaml\n    manifests: [deploy/]\n"
            "    aws: {regions: [eu-west-1], eksCluster: "
            "'arn:aws:eks:eu-west-1:111111111111:cluster/prod'}\n"
        )
    )
    cloud, gitops = load_settings(write(tmp_path, text), environ={}).targets
    assert cloud.aws is not None and cloud.kubernetes is not None
    assert cloud.aws.eks_cluster is None  # the target's `cluster` names it
    assert gitops.aws is not None and gitops.manifests == ["deploy/"]
    assert gitops.aws.eks_cluster == "arn:aws:eks:eu-west-1:111111111111:cluster/prod"


def test_an_eks_cluster_is_a_name_or_an_arn_and_needs_a_cluster_to_name(
    tmp_path: Path,
) -> None:
    text = (
        "targets:\n"
        "  - {name: a, baseline: b.yaml, aws: {regions: [eu-west-1], eksCluster: prod}}\n"
        "  - {name: b, baseline: b.yaml, manifests: [m/],"
        " aws: {regions: [eu-west-1], eksCluster: 'arn:aws:ec2:eu-west-1:1:vpc/x'}}\n"
    )
    with pytest.raises(SettingsError) as caught:
        load_settings(write(tmp_path, text), environ={})
    assert caught.value.problems == (
        f"{tmp_path}/drift.yaml:2: targets[0]: aws.eksCluster names the EKS cluster that "
        "manifests or kubernetes read: it needs one of them",
        f"{tmp_path}/drift.yaml:3: targets[1].aws.eksCluster: not an EKS cluster name or ARN "
        "(arn:aws:eks:<region>:<account>:cluster/<name>)",
    )
