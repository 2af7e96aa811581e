"""The `design-drift/check/v1` JSON contract: schema, field shapes, order, summary."""

from __future__ import annotations

import json
import random
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from drift.findings import CheckResult, Evidence, Finding, FindingKind, Severity, Unknown
from drift.k8s.objects import SourceRef
from drift.output.json_format import check_to_json, render_json
from drift.ports import PortSet, Protocol

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "check-v1.schema.json").read_text())
TCP, UDP = Protocol.TCP, Protocol.UDP


def result(
    *findings: Finding, unknowns: tuple[Unknown, ...] = (), notes: tuple[str, ...] = ()
) -> CheckResult:
    return CheckResult(
        baseline_name="shop",
        baseline_version="3",
        baseline_path="baselines/shop.yaml",
        cluster="prod",
        source="manifests deploy/",
        findings=findings,
        unknowns=unknowns,
        notes=notes,
    )


def flow(
    source: str,
    target: str,
    ports: PortSet,
    severity: Severity,
    protocol: Protocol | None = None,
) -> Finding:
    return Finding(
        kind=FindingKind.FLOW,
        severity=severity,
        cluster="prod",
        subjects=(f"service:{source}", f"service:{target}"),
        protocol=protocol,
        ports=ports,
        title=f"{source} may connect to {target}",
        detail="the design allows TCP 50051 only",
        evidence=(
            Evidence(
                text="ingress: NetworkPolicy payments/payment",
                source=SourceRef(file="policies.yaml", document=1, line=12),
            ),
            Evidence(text="egress: source not isolated"),
        ),
        clause="baselines/shop.yaml:40: flows[2]",
        baseline_version="3",
        location=SourceRef(file="policies.yaml", document=1, line=20, item=0),
    )


def plain(kind: FindingKind, severity: Severity, *subjects: str) -> Finding:
    return Finding(kind=kind, severity=severity, cluster="prod", subjects=subjects, title=f"{kind}")


def sample() -> CheckResult:
    return result(
        plain(FindingKind.INVENTORY_MISSING, Severity.INFO, "service:legacy"),
        flow("web", "payment", PortSet.of(TCP, 8080, 8081) | PortSet.every([UDP]), Severity.HIGH),
        flow("cart", "payment", PortSet.of(TCP, 443), Severity.MEDIUM),
        plain(FindingKind.SHARED_IDENTITY, Severity.MEDIUM, "k8s:prod/shop/ServiceAccount/x"),
        plain(FindingKind.BLAST_RADIUS_WIDENED, Severity.CRITICAL, "internet", "service:db"),
        plain(FindingKind.EXPOSURE_WIDENED, Severity.HIGH, "internet", "service:web"),
        unknowns=(
            Unknown(subjects=("b",), detail="later"),
            Unknown(
                subjects=("a",),
                detail="named port in egress",
                reasons=("r1", "r2"),
                location=SourceRef(file="policies.yaml", line=9),
            ),
        ),
        notes=("second note", "first note"),
    )


def output(checked: CheckResult) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(render_json(checked))
    return data


def test_the_published_schema_is_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("checked", [sample(), result()], ids=["findings", "empty"])
def test_output_validates_against_the_published_schema(checked: CheckResult) -> None:
    jsonschema.validate(output(checked), SCHEMA, cls=jsonschema.Draft202012Validator)


def test_the_schema_names_every_finding_kind() -> None:
    kinds = SCHEMA["$defs"]["kind"]
    for kind in FindingKind:
        assert re.fullmatch(kinds["pattern"], kind), kind
        assert kind in kinds["examples"], kind


def test_an_empty_result_is_a_complete_document() -> None:
    assert output(result()) == {
        "schema": "design-drift/check/v1",
        "baseline": {"name": "shop", "version": "3", "path": "baselines/shop.yaml"},
        "cluster": "prod",
        "source": "manifests deploy/",
        "findings": [],
        "unknowns": [],
        "notes": [],
        "summary": {
            "findings": 0,
            "bySeverity": {"critical": 0, "high": 0, "medium": 0, "low": 0, "info": 0},
            "unknowns": 0,
        },
    }


def test_a_flow_finding_carries_every_field() -> None:
    ports = PortSet.of(TCP, 8080, 8081) | PortSet.every([UDP])
    finding = flow("web", "payment", ports, Severity.HIGH)
    assert output(result(finding))["findings"] == [
        {
            "fingerprint": finding.fingerprint,
            "kind": "implicit-trust.flow",
            "severity": "high",
            "title": "web may connect to payment",
            "detail": "the design allows TCP 50051 only",
            "subjects": ["service:web", "service:payment"],
            "ports": {"TCP": [[8080, 8081]], "UDP": [[1, 65535]]},
            "evidence": [
                {
                    "text": "ingress: NetworkPolicy payments/payment",
                    "source": {"file": "policies.yaml", "document": 1, "line": 12},
                },
                {"text": "egress: source not isolated"},
            ],
            "clause": "baselines/shop.yaml:40: flows[2]",
            "baselineVersion": "3",
            "location": {"file": "policies.yaml", "document": 1, "line": 20, "item": 0},
        }
    ]


def test_a_protocol_is_written_when_the_finding_has_one() -> None:
    [finding] = output(result(flow("web", "b", PortSet.of(UDP, 53), Severity.LOW, UDP)))["findings"]
    assert finding["protocol"] == "UDP"


def test_fields_that_do_not_apply_are_left_out() -> None:
    [finding] = output(result(plain(FindingKind.INVENTORY_UNKNOWN, Severity.LOW, "x")))["findings"]
    assert not {"protocol", "ports", "location"} & finding.keys()
    assert finding["evidence"] == [] and finding["detail"] == "" and finding["clause"] == ""


def test_findings_are_sorted_by_severity_kind_subjects_protocol() -> None:
    keys = [
        (f["severity"], f["kind"], f["subjects"], f.get("protocol"))
        for f in output(sample())["findings"]
    ]
    assert keys == [
        ("critical", "blast-radius.widened", ["internet", "service:db"], None),
        ("high", "exposure.widened", ["internet", "service:web"], None),
        ("high", "implicit-trust.flow", ["service:web", "service:payment"], None),
        ("medium", "implicit-trust.flow", ["service:cart", "service:payment"], None),
        ("medium", "implicit-trust.shared-identity", ["k8s:prod/shop/ServiceAccount/x"], None),
        ("info", "inventory.missing", ["service:legacy"], None),
    ]


def test_same_severity_and_kind_sort_by_subjects_then_protocol() -> None:
    findings = [
        flow("web", "b", PortSet.of(UDP, 53), Severity.HIGH, UDP),
        flow("web", "b", PortSet.of(TCP, 53), Severity.HIGH, TCP),
        flow("api", "z", PortSet.of(TCP, 1), Severity.HIGH, TCP),
    ]
    keys = [(f["subjects"][0], f["protocol"]) for f in output(result(*findings))["findings"]]
    assert keys == [("service:api", "TCP"), ("service:web", "TCP"), ("service:web", "UDP")]


def test_output_does_not_depend_on_the_order_of_findings_or_unknowns() -> None:
    original = sample()
    expected = render_json(original)
    rng = random.Random(11)
    for _ in range(5):
        findings, unknowns = list(original.findings), list(original.unknowns)
        rng.shuffle(findings)
        rng.shuffle(unknowns)
        shuffled = replace(original, findings=tuple(findings), unknowns=tuple(unknowns))
        assert render_json(shuffled) == expected


def test_unknowns_are_sorted_and_notes_keep_their_order() -> None:
    data = output(sample())
    assert data["unknowns"] == [
        {
            "subjects": ["a"],
            "detail": "named port in egress",
            "reasons": ["r1", "r2"],
            "location": {"file": "policies.yaml", "document": 0, "line": 9},
        },
        {"subjects": ["b"], "detail": "later", "reasons": []},
    ]
    assert data["notes"] == ["second note", "first note"]


def test_the_summary_counts_every_severity() -> None:
    assert output(sample())["summary"] == {
        "findings": 6,
        "bySeverity": {"critical": 1, "high": 2, "medium": 2, "low": 0, "info": 1},
        "unknowns": 2,
    }


def test_the_fingerprint_ignores_ports_and_baseline_version() -> None:
    narrow = flow("web", "payment", PortSet.of(TCP, 8080), Severity.HIGH)
    wide = replace(narrow, ports=PortSet.of(TCP, 8080, 8081), baseline_version="4")
    [a], [b] = output(result(narrow))["findings"], output(result(wide))["findings"]
    assert a["fingerprint"] == b["fingerprint"] == narrow.fingerprint
    assert a["ports"] != b["ports"]


def test_the_text_is_indented_utf8_ending_in_a_newline() -> None:
    checked = result(plain(FindingKind.INVENTORY_UNKNOWN, Severity.LOW, "k8s:prod/shop/Pod/café"))
    text = render_json(checked)
    assert text.endswith("}\n") and '\n  "schema": "design-drift/check/v1",' in text
    assert "café" in text


def test_the_schema_rejects_what_the_contract_does_not_allow() -> None:
    data = output(sample())
    data["findings"][0]["severity"] = "severe"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, SCHEMA, cls=jsonschema.Draft202012Validator)
    data = output(sample())
    del data["findings"][2]["fingerprint"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, SCHEMA, cls=jsonschema.Draft202012Validator)


def test_the_documented_example_validates_against_the_schema() -> None:
    doc = (ROOT / "docs" / "check.md").read_text(encoding="utf-8")
    [example] = re.findall(r"```json\n(.*?)```", doc, flags=re.DOTALL)
    jsonschema.validate(json.loads(example), SCHEMA, cls=jsonschema.Draft202012Validator)


def test_port_ranges_and_short_objects_stay_on_one_line() -> None:
    ports = PortSet.of(TCP, 8080, 8081) | PortSet.every([UDP])
    text = render_json(result(flow("web", "payment", ports, Severity.HIGH)))
    assert '\n      "ports": {"TCP": [[8080, 8081]], "UDP": [[1, 65535]]},\n' in text
    assert '\n      "subjects": ["service:web", "service:payment"],\n' in text
    assert json.loads(text) == check_to_json(result(flow("web", "payment", ports, Severity.HIGH)))
