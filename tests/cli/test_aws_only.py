"""`--aws-file` without `--manifests`: an AWS-only model (the bundled example is not read),
for `graph`, `baseline propose` and `check`."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from shared_corpus import corpus_path

from drift.cli import main


def iam(scenario: str = "lambda_privesc") -> str:
    return str(corpus_path("aws", "cloudgoat", scenario, "iam-authorization-details.json"))


def test_graph_of_aws_files_alone_holds_no_cluster() -> None:
    result = CliRunner().invoke(main, ["graph", "--quiet", "--aws-file", iam()])
    assert result.exit_code == 0, result.output
    graph = json.loads(result.stdout)
    workloads = [n["id"] for n in graph["nodes"] if n["type"] == "workload"]
    assert workloads == []  # the bundled shop's would be here
    assert graph["edges"]
    assert any(n["id"].endswith(":user/chris-cgidexample01") for n in graph["nodes"])


def test_propose_then_check_on_aws_files_alone(tmp_path: Path) -> None:
    runner = CliRunner()
    design = tmp_path / "design.yaml"
    proposed = runner.invoke(
        main, ["baseline", "propose", "--quiet", "--aws-file", iam(), "-o", str(design)]
    )
    assert proposed.exit_code == 0, proposed.output
    assert "arn:aws:iam::123456789012:role/cg-debug-role-cgidexample01" in design.read_text()
    checked = runner.invoke(
        main,
        ["check", "--quiet", "--baseline", str(design), "--aws-file", iam(), "--fail-on", "info"],
    )
    assert checked.exit_code == 0, checked.output
    assert "no drift from the approved design" in checked.output


def test_check_needs_a_baseline_with_aws_files() -> None:
    result = CliRunner().invoke(main, ["check", "--aws-file", iam()])
    assert result.exit_code == 2
    assert "give --baseline with --manifests or --aws-file" in result.output
