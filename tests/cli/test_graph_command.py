"""`drift graph` as a person runs it: defaults, stdin, formats, errors and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from drift.cli import main

POLICY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny}
spec: {podSelector: {}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
"""


def run(*args: str, stdin: str | None = None):
    return CliRunner().invoke(main, list(args), input=stdin)


def test_graph_without_arguments_prints_the_bundled_example() -> None:
    result = run("graph")
    assert result.exit_code == 0, result.output
    output = json.loads(result.stdout)
    assert output["schema"] == "design-drift/graph/v1"
    assert "k8s:default/payments/Deployment/payment" in {n["id"] for n in output["nodes"]}


def test_manifests_from_stdin_with_cluster_and_namespace() -> None:
    result = run(
        "graph", "--manifests", "-", "--cluster", "prod", "--namespace", "shop", stdin=POLICY
    )
    assert result.exit_code == 0, result.output
    output = json.loads(result.stdout)
    assert output["cluster"] == "prod"
    assert "k8s:prod/shop/Deployment/web" in {n["id"] for n in output["nodes"]}
    # deny selects web for ingress: only its egress leaves it.
    targets = {
        e["target"]
        for e in output["edges"]
        if e["type"] == "connects" and e["source"] == "k8s:prod/shop/Deployment/web"
    }
    assert targets == {"k8s:prod/unlisted", "net:prod/other-addresses"}


def test_summary_names_skipped_kinds_and_quiet_silences_it() -> None:
    loud = run("graph", "--manifests", "-", stdin=POLICY)
    assert "skipped 1 objects of kinds not modelled: ConfigMap (1)" in loud.stderr
    quiet = run("graph", "--manifests", "-", "--quiet", stdin=POLICY)
    assert quiet.exit_code == 0 and quiet.stderr == ""


def test_dot_format_and_output_file(tmp_path: Path) -> None:
    out = tmp_path / "graph.dot"
    result = run("graph", "--manifests", "-", "--format", "dot", "-o", str(out), stdin=POLICY)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert out.read_text().startswith('digraph "default" {')


def test_bad_input_is_one_line_per_problem_and_exit_code_2() -> None:
    bad = POLICY.replace("podSelector: {}", "podSelector: {matchLabels: {app: [x]}}")
    result = run("graph", "--manifests", "-", stdin=bad)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: <stdin>:")
    assert "spec.podSelector.matchLabels.app" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_options_are_usage_errors() -> None:
    assert run("graph", "--cluster", "a/b").exit_code == 2
    assert run("graph", "--format", "xml").exit_code == 2
    assert run("graph", "--manifests", "/does/not/exist").exit_code == 2


def test_console_entry_point_runs_as_a_module() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "drift", "graph", "--quiet", "--format", "dot"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert '"k8s:default/shop/Deployment/web"' in done.stdout
