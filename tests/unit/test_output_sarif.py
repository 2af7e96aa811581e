"""SARIF 2.1.0 output: what the standard and GitHub code scanning require of it.

tests/unit/data/sarif-subset.schema.json is our own schema of the part of SARIF we write
(the OASIS schema is not copied into this repository).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from drift.findings import CheckResult, Evidence, Finding, FindingKind, Severity, Unknown
from drift.k8s.objects import SourceRef
from drift.output.json_format import render_json
from drift.output.sarif import KIND_TEXT, render_sarif
from drift.ports import PortSet, Protocol

SARIF_SCHEMA = json.loads(
    (Path(__file__).parent / "data" / "sarif-subset.schema.json").read_text(encoding="utf-8")
)
VALIDATOR = jsonschema.Draft202012Validator
TCP = Protocol.TCP
API_URL = "https://10.0.0.1:6443/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies"


def result(*findings: Finding, unknowns: tuple[Unknown, ...] = ()) -> CheckResult:
    return CheckResult(
        baseline_name="shop",
        baseline_version="3",
        baseline_path="baselines/shop.yaml",
        cluster="prod",
        source="manifests deploy/",
        findings=findings,
        unknowns=unknowns,
        notes=("a note",),
    )


def finding(
    kind: FindingKind = FindingKind.PRIVILEGE_WIDENED,
    severity: Severity = Severity.HIGH,
    *,
    evidence: tuple[Evidence, ...] = (),
    location: SourceRef | None = None,
    subject: str = "k8s:prod/shop/ServiceAccount/web",
) -> Finding:
    return Finding(
        kind=kind,
        severity=severity,
        cluster="prod",
        subjects=(subject,),
        title="web may list secrets",
        detail="Role shop/reader grants get, list on secrets",
        evidence=evidence,
        clause="baselines/shop.yaml:30: permissions.web",
        baseline_version="3",
        location=location,
    )


def flow() -> Finding:
    return Finding(
        kind=FindingKind.FLOW,
        severity=Severity.MEDIUM,
        cluster="prod",
        subjects=("service:web", "service:payment"),
        ports=PortSet.of(TCP, 8080, 8081) | PortSet.of(Protocol.UDP, 53),
        title="web may connect to payment",
        evidence=(
            Evidence(text="egress: source not isolated"),
            Evidence(
                text="ingress: NetworkPolicy payments/payment",
                source=SourceRef(file="deploy/policies.yaml", document=1, line=12),
            ),
        ),
        clause="baselines/shop.yaml:40: flows",
        baseline_version="3",
    )


def sample() -> CheckResult:
    return result(
        flow(),
        finding(location=SourceRef(file="deploy/rbac.yaml", line=7)),
        finding(FindingKind.INVENTORY_MISSING, Severity.INFO, subject="service:legacy"),
        finding(FindingKind.BLAST_RADIUS_WIDENED, Severity.CRITICAL, subject="service:db"),
        unknowns=(Unknown(subjects=("a",), detail="undecided", reasons=("why",)),),
    )


def sarif(checked: CheckResult) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(render_sarif(checked))
    return data


def results_of(checked: CheckResult) -> list[dict[str, Any]]:
    run: dict[str, Any] = sarif(checked)["runs"][0]
    return list(run["results"])


def location_of(item: Finding, baseline_path: str = "baselines/shop.yaml") -> Any:
    [out] = results_of(replace(result(item), baseline_path=baseline_path))
    return out.get("locations")


@pytest.mark.parametrize("checked", [sample(), result()], ids=["findings", "empty"])
def test_output_has_what_sarif_2_1_0_requires(checked: CheckResult) -> None:
    VALIDATOR.check_schema(SARIF_SCHEMA)
    jsonschema.validate(sarif(checked), SARIF_SCHEMA, cls=VALIDATOR)


def test_the_schema_has_teeth() -> None:
    data = sarif(sample())
    data["runs"][0]["results"][0]["level"] = "critical"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, SARIF_SCHEMA, cls=VALIDATOR)


def test_an_empty_result_is_one_run_with_empty_results_and_rules() -> None:
    data = sarif(result())
    assert data["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert data["version"] == "2.1.0"
    [run] = data["runs"]
    assert run["tool"]["driver"]["name"] == "design-drift"
    assert run["tool"]["driver"]["rules"] == []
    assert run["results"] == []  # code scanning refuses a run without `results`


def test_one_rule_per_kind_present_and_results_point_at_theirs() -> None:
    run = sarif(sample())["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [
        "blast-radius.widened",
        "implicit-trust.flow",
        "inventory.missing",
        "privilege.widened",
    ]
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]


def test_rules_explain_the_kind_and_how_to_fix_it() -> None:
    [rule] = sarif(result(flow()))["runs"][0]["tool"]["driver"]["rules"]
    assert rule["name"] == "ImplicitTrustFlow"
    assert rule["shortDescription"]["text"] == KIND_TEXT[FindingKind.FLOW].short
    assert rule["fullDescription"]["text"] == KIND_TEXT[FindingKind.FLOW].full
    assert "How to fix: Narrow the NetworkPolicies" in rule["help"]["text"]
    assert rule["defaultConfiguration"] == {"level": "error"}


def test_every_kind_has_a_rule_text() -> None:
    assert set(KIND_TEXT) == set(FindingKind)
    every = result(*(finding(k, subject=str(k)) for k in FindingKind))
    jsonschema.validate(sarif(every), SARIF_SCHEMA, cls=VALIDATOR)


@pytest.mark.parametrize(
    ("severity", "level"),
    [
        (Severity.CRITICAL, "error"),
        (Severity.HIGH, "error"),
        (Severity.MEDIUM, "warning"),
        (Severity.LOW, "note"),
        (Severity.INFO, "note"),
    ],
)
def test_severity_maps_to_level(severity: Severity, level: str) -> None:
    [out] = results_of(result(finding(severity=severity)))
    assert out["level"] == level
    assert out["properties"]["severity"] == str(severity)


def test_results_follow_the_json_order() -> None:
    checked = sample()
    order = [f["fingerprint"] for f in json.loads(render_json(checked))["findings"]]
    assert [r["partialFingerprints"]["designDrift/v1"] for r in results_of(checked)] == order


def test_a_result_carries_message_fingerprint_and_properties() -> None:
    item = flow()
    [out] = results_of(result(item))
    assert out["message"] == {"text": "web may connect to payment"}
    assert out["partialFingerprints"] == {"designDrift/v1": item.fingerprint}
    assert out["properties"] == {
        "severity": "medium",
        "subjects": ["service:web", "service:payment"],
        "clause": "baselines/shop.yaml:40: flows",
        "baselineVersion": "3",
        "ports": {"TCP": [[8080, 8081]], "UDP": [[53, 53]]},
        "evidence": [
            {"text": "egress: source not isolated"},
            {
                "text": "ingress: NetworkPolicy payments/payment",
                "source": {"file": "deploy/policies.yaml", "document": 1, "line": 12},
            },
        ],
    }
    [message] = results_of(result(finding()))
    assert message["message"]["text"] == (
        "web may list secrets: Role shop/reader grants get, list on secrets"
    )


def test_the_location_is_where_a_fix_would_go() -> None:
    item = finding(
        location=SourceRef(file="deploy/rbac.yaml", line=7),
        evidence=(Evidence(text="e", source=SourceRef(file="other.yaml", line=1)),),
    )
    assert location_of(item) == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "deploy/rbac.yaml", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 7},
            }
        }
    ]


def test_without_one_the_first_evidence_in_a_file_is_the_location() -> None:
    [loc] = location_of(flow())
    assert loc["physicalLocation"]["artifactLocation"]["uri"] == "deploy/policies.yaml"
    assert loc["physicalLocation"]["region"] == {"startLine": 12}


def test_a_line_is_given_only_when_known() -> None:
    [loc] = location_of(finding(location=SourceRef(file="deploy/rbac.yaml", document=3)))
    assert "region" not in loc["physicalLocation"]


def test_stdin_and_api_urls_are_never_locations() -> None:
    item = finding(
        location=SourceRef(file="<stdin>", line=4),
        evidence=(
            Evidence(text="api", source=SourceRef(file=API_URL)),
            Evidence(text="file", source=SourceRef(file="deploy/rbac.yaml", line=2)),
        ),
    )
    [loc] = location_of(item)
    assert loc["physicalLocation"]["artifactLocation"]["uri"] == "deploy/rbac.yaml"


def test_with_no_file_at_all_the_baseline_is_the_location() -> None:
    [loc] = location_of(finding())
    assert loc["physicalLocation"] == {
        "artifactLocation": {"uri": "baselines/shop.yaml", "uriBaseId": "%SRCROOT%"}
    }
    assert location_of(finding(), baseline_path="") is None


def test_absolute_paths_become_file_uris_and_odd_characters_are_escaped() -> None:
    [loc] = location_of(finding(location=SourceRef(file="/srv/my deploy/rbac.yaml", line=1)))
    assert loc["physicalLocation"]["artifactLocation"] == {
        "uri": "file:///srv/my%20deploy/rbac.yaml"
    }
    [rel] = location_of(finding(location=SourceRef(file="my deploy/a#b.yaml", line=1)))
    assert rel["physicalLocation"]["artifactLocation"]["uri"] == "my%20deploy/a%23b.yaml"


def test_evidence_in_files_become_related_locations() -> None:
    [out] = results_of(result(flow()))
    assert out["relatedLocations"] == [
        {
            "id": 0,
            "physicalLocation": {
                "artifactLocation": {"uri": "deploy/policies.yaml", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 12},
            },
            "message": {"text": "ingress: NetworkPolicy payments/payment"},
        }
    ]
    [plain] = results_of(result(finding()))
    assert "relatedLocations" not in plain


def test_unknowns_and_notes_travel_in_the_run_properties_not_as_results() -> None:
    run = sarif(sample())["runs"][0]
    assert len(run["results"]) == 4
    assert run["properties"] == {
        "baseline": {"name": "shop", "version": "3", "path": "baselines/shop.yaml"},
        "cluster": "prod",
        "source": "manifests deploy/",
        "unknowns": [{"subjects": ["a"], "detail": "undecided", "reasons": ["why"]}],
        "notes": ["a note"],
    }
