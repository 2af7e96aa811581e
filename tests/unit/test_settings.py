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
        f"{tmp_path}/drift.yaml:9: targets[1]: a target reads exactly one of manifests or "
        "kubernetes",
    )


def test_duplicate_target_names_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(write(tmp_path, GOOD.replace("name: ci", "name: prod")), environ={})
    assert "target names must be unique: prod" in caught.value.problems[0]
