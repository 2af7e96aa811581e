"""Dogfood: the monitor, as deploy/kubernetes installs it, does not drift from its own
approved design (baselines/design-drift.yaml): `drift check --fail-on info` exits 0 on the
rendered manifests of each overlay. .ci/run repeats this as its `== dogfood` step."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.deploy.kustomize import KUBERNETES, OVERLAYS, ROOT, render_text

BASELINE = ROOT / "baselines" / "design-drift.yaml"


def check(manifests: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "drift", "check", "--baseline", str(BASELINE)]
    command += ["--manifests", str(manifests), "--fail-on", "info", "--format", "json"]
    return subprocess.run(
        command, capture_output=True, text=True, cwd=ROOT, timeout=120, check=False
    )


@pytest.mark.parametrize("name", OVERLAYS)
def test_the_deployed_monitor_matches_its_own_design(name: str, tmp_path: Path) -> None:
    rendered = tmp_path / f"{name}.yaml"
    rendered.write_text(render_text(KUBERNETES / "overlays" / name), encoding="utf-8")

    done = check(rendered)

    assert done.returncode == 0, done.stdout + done.stderr
    assert '"findings": []' in done.stdout


def test_the_dogfood_check_sees_a_secret_reader(tmp_path: Path) -> None:
    """Not vacuous: granting the monitor `list secrets` is a privilege.widened finding."""
    documents = list(yaml.safe_load_all(render_text(KUBERNETES / "overlays" / "sqlite")))
    role = next(d for d in documents if d["kind"] == "ClusterRole")
    role["rules"].append({"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]})
    rendered = tmp_path / "widened.yaml"
    rendered.write_text(yaml.safe_dump_all(documents), encoding="utf-8")

    done = check(rendered)

    assert done.returncode == 1, done.stdout + done.stderr
    assert '"kind": "privilege.widened"' in done.stdout
    assert "secrets" in done.stdout
