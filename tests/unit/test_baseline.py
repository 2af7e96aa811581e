"""Baseline documents: validation that names file, line and field, and the schema file."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from drift.baseline.load import parse_baseline
from drift.baseline.model import baseline_schema
from drift.errors import BaselineError

ROOT = Path(__file__).resolve().parents[2]

VALID = """\
apiVersion: design-drift/v1
kind: Baseline
metadata: {name: shop, version: "1"}
zones:
  shop: {namespaces: [shop], require: {defaultDeny: true}}
services:
  web: {zone: shop, select: {labels: {app: web}}}
  payment: {zone: shop, select: {labels: {app: payment}}, crownJewel: true}
flows:
  - {from: web, to: payment, ports: [{port: 50051}]}
  - {from: internet, to: web, ports: [{port: 8080}]}
  - {from: {zone: shop}, to: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}
"""


def problems(text: str) -> tuple[str, ...]:
    with pytest.raises(BaselineError) as caught:
        parse_baseline(textwrap.dedent(text).encode(), "b.yaml")
    return caught.value.problems


def test_a_valid_baseline_loads_with_its_hash_and_lines() -> None:
    loaded = parse_baseline(VALID.encode(), "b.yaml")
    assert loaded.version == "1" and len(loaded.sha256) == 64
    assert loaded.clause(("flows", 1)) == "b.yaml:11: flows[1]"
    assert loaded.baseline.services["payment"].crown_jewel


def test_every_problem_is_reported_at_once_with_suggestions() -> None:
    text = VALID.replace("to: payment,", "to: paymnt,").replace(
        "zone: shop, select: {labels: {app: web}}", "zone: shpo, select: {labels: {app: web}}"
    )
    assert problems(text) == (
        "b.yaml:7: services.web.zone: unknown zone 'shpo' (did you mean 'shop'?)",
        "b.yaml:10: flows[0].to: unknown service 'paymnt' (did you mean 'payment'?)",
    )


def test_field_errors_name_the_line_and_field_and_suggest_known_names() -> None:
    text = VALID.replace("crownJewel: true", "crownjewel: true").replace(
        "ports: [{port: 50051}]", "ports: [{port: 70000}]"
    )
    assert problems(text) == (
        "b.yaml:8: services.payment.crownjewel: unknown field (did you mean 'crownJewel'?)",
        "b.yaml:10: flows[0].ports[0].port: Input should be less than or equal to 65535",
    )


def test_a_malformed_endpoint_is_one_line_saying_what_an_endpoint_may_be() -> None:
    (problem,) = problems(VALID.replace("from: {zone: shop}", "from: {zon: shop}"))
    assert problem.startswith("b.yaml:12: flows[2].from: must be a service name, internet")


def test_missing_fields_and_bad_documents() -> None:
    assert problems("apiVersion: design-drift/v1\nkind: Baseline\n") == (
        "b.yaml:1: metadata: required",
    )
    assert problems("- a\n") == ("b.yaml:1: a baseline must be a mapping",)
    assert problems("a: [\n")[0].startswith("b.yaml:")
    assert "exactly one YAML document" in problems(VALID + "---\n" + VALID)[0]


def test_a_service_outside_its_zone_or_without_a_namespace_is_refused() -> None:
    text = VALID.replace(
        "zones:\n  shop: {namespaces: [shop],", "zones:\n  shop: {namespaces: [shop, shop2],"
    )
    assert problems(text)[0] == (
        "b.yaml:7: services.web.select.namespace: required: zone 'shop' does not have "
        "exactly one namespace"
    )


def test_reserved_words_cannot_name_services() -> None:
    text = VALID.replace("  web: {zone", "  internet: {zone").replace("from: web", "from: internet")
    assert "services.internet: 'internet' is a reserved word" in problems(text)[0]


def test_the_checked_in_schema_is_the_one_the_model_generates() -> None:
    current = json.loads((ROOT / "baselines" / "schema.json").read_text())
    assert current == baseline_schema(), "run: drift baseline schema -o baselines/schema.json"


def test_the_bundled_example_baseline_is_valid() -> None:
    path = ROOT / "examples" / "online-shop" / "baseline.yaml"
    loaded = parse_baseline(path.read_bytes(), str(path))
    assert loaded.baseline.metadata.approval is not None


def test_pattern_mismatches_say_what_is_expected_in_one_line() -> None:
    text = VALID.replace("zones:\n", 'zones:\n  cloud: {accounts: ["12"]}\n', 1)
    (problem,) = problems(text)
    assert problem.endswith(
        "zones.cloud.accounts[0]: '12' is not an AWS account id (12 digits) or * (any)"
    )
    assert "\n" not in problem
