"""`drift graph --aws-file` on the CloudGoat scenarios: every principal an identity, role trust
as `assumes`, bucket access as `can`, and the output inside the graph contract."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from shared_corpus import corpus_path

from drift.cli import main

pytestmark = pytest.mark.corpus

SCHEMA = json.loads(
    (Path(__file__).parents[2] / "docs" / "graph-v1.schema.json").read_text(encoding="utf-8")
)


def aws_graph(*files: Path) -> dict:
    args = ["graph", "--quiet"]
    for file in files:
        args += ["--aws-file", str(file)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    graph: dict = json.loads(result.stdout)
    jsonschema.validate(graph, SCHEMA)
    return graph


def scenarios() -> list[str]:
    root = corpus_path("aws", "cloudgoat")
    return sorted(p.name for p in root.iterdir() if (p / "iam-authorization-details.json").exists())


def test_every_cloudgoat_scenario_joins_the_model() -> None:
    root = corpus_path("aws", "cloudgoat")
    for name in scenarios():
        files = [root / name / "iam-authorization-details.json"]
        if (root / name / "resource-policies.json").exists():
            files.append(root / name / "resource-policies.json")
        graph = aws_graph(*files)
        details = json.loads(files[0].read_text(encoding="utf-8"))
        principals = {u["Arn"] for u in details["UserDetailList"]}
        principals |= {r["Arn"] for r in details["RoleDetailList"]}
        identities = {n["id"] for n in graph["nodes"] if n["type"] == "identity"}
        assert principals <= identities, name


def test_cloud_breach_s3_the_waf_role_reaches_every_bucket() -> None:
    graph = aws_graph(
        corpus_path("aws", "cloudgoat", "cloud_breach_s3", "iam-authorization-details.json")
    )
    role = "arn:aws:iam::123456789012:role/cg-banking-WAF-Role-cgidexample01"
    (can,) = [e for e in graph["edges"] if e["type"] == "can" and e["source"] == role]
    assert can["target"] == "arn:aws:s3:::*"
    assert can["evidence"] == ["arn:aws:iam::aws:policy/AmazonS3FullAccess v2 #0"]
    (trust,) = [e for e in graph["edges"] if e["type"] == "assumes" and e["target"] == role]
    assert trust["source"] == "ec2.amazonaws.com" and trust["certain"] is True
