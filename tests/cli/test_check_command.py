"""`drift check` and `drift baseline` as people and CI run them."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from drift.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "online-shop"


def run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=stdin)


def test_check_without_arguments_judges_the_drifted_example() -> None:
    quiet = run("check", "--fail-on", "none")
    assert quiet.exit_code == 0, quiet.output
    assert "6 findings: 4 critical, 1 high, 1 medium" in quiet.stdout
    failing = run("check")  # default --fail-on low
    assert failing.exit_code == 1


def test_the_approved_example_has_no_drift() -> None:
    result = run(
        "check",
        "--baseline",
        str(EXAMPLE / "baseline.yaml"),
        "--manifests",
        str(EXAMPLE / "manifests"),
    )
    assert result.exit_code == 0, result.output
    assert "no drift from the approved design" in result.stdout


def test_fail_on_thresholds() -> None:
    assert run("check", "--fail-on", "critical").exit_code == 1
    baseline = str(EXAMPLE / "baseline.yaml")
    # The drifted flow to payment is the only critical finding; without it, high remains.
    assert (
        run(
            "check",
            "--baseline",
            baseline,
            "--manifests",
            str(EXAMPLE / "manifests"),
            "--fail-on",
            "info",
        ).exit_code
        == 0
    )


def test_json_output_follows_its_schema_and_sarif_points_at_manifest_lines() -> None:
    result = json.loads(run("check", "--format", "json", "--fail-on", "none").stdout)
    assert result["schema"] == "design-drift/check/v1"
    assert [f["kind"] for f in result["findings"]] == [
        "blast-radius.widened",
        "implicit-trust.flow",
        "implicit-trust.trust-relation",
        "privilege.widened",
        "exposure.widened",
        "implicit-trust.shared-identity",
    ]
    (radius,) = [f for f in result["findings"] if f["kind"] == "blast-radius.widened"]
    assert [step["relation"] for step in radius["path"]] == ["runs_as", "assumes"]
    sarif = json.loads(run("check", "--format", "sarif", "--fail-on", "none").stdout)
    locations = [r["locations"][0]["physicalLocation"] for r in sarif["runs"][0]["results"]]
    assert all(loc["region"]["startLine"] >= 1 for loc in locations)
    assert all(loc["artifactLocation"]["uri"].endswith(".yaml") for loc in locations)


UNDECIDED = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: debug, namespace: tools}
spec:
  selector: {matchLabels: {app: debug}}
  template:
    metadata: {labels: {app: debug}}
    spec: {containers: [{name: debug, image: busybox}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: sre-debug, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{from: [{namespaceSelector: {matchLabels: {team: sre}}}], ports: [{port: 8080}]}]
"""


def test_fail_on_unknown_counts_undecided_answers(tmp_path: Path) -> None:
    (tmp_path / "extra.yaml").write_text(UNDECIDED)
    args = [
        "check",
        "--baseline",
        str(EXAMPLE / "baseline.yaml"),
        "--manifests",
        str(EXAMPLE / "manifests"),
        "--manifests",
        str(tmp_path),
        "--fail-on",
        "none",
    ]
    # tools has no Namespace object: whether it is labelled team=sre is not known.
    result = run(*args)
    assert result.exit_code == 0
    assert "k8s:default/tools/Deployment/debug -> web: whether TCP 8080" in result.stdout
    assert run(*args, "--fail-on-unknown").exit_code == 1


def test_usage_and_bad_input_exit_2() -> None:
    assert run("check", "--baseline", str(EXAMPLE / "baseline.yaml")).exit_code == 2
    bad = run(
        "check",
        "--baseline",
        "-",
        "--manifests",
        str(EXAMPLE / "manifests"),
        stdin="apiVersion: design-drift/v1\nkind: Baseline\nmetadata: {name: x}\n",
    )
    assert bad.exit_code == 2
    assert bad.stderr == "error: -:3: metadata.version: required\n"


def test_validate_reports_every_file() -> None:
    good = run("baseline", "validate", str(EXAMPLE / "baseline.yaml"))
    assert good.exit_code == 0 and "valid (online-shop, version 3)" in good.stdout


def test_propose_then_check_finds_nothing(tmp_path: Path) -> None:
    draft = tmp_path / "proposed.yaml"
    made = run("baseline", "propose", "--manifests", str(EXAMPLE / "drifted"), "-o", str(draft))
    assert made.exit_code == 0, made.output
    assert "# TIGHTEN" in draft.read_text()
    assert run("baseline", "validate", str(draft)).exit_code == 0
    checked = run("check", "--baseline", str(draft), "--manifests", str(EXAMPLE / "drifted"))
    assert checked.exit_code == 0, checked.stdout
