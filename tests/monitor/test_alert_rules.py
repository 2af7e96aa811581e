"""The shipped Prometheus alert rules are valid, their unit tests pass, and every alert has a
test where it fires and one where it stays silent."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.monitor.binaries import require

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "drift-rules.yaml"
RULE_TESTS = ROOT / "deploy" / "prometheus" / "tests" / "drift-rules.test.yaml"
ANNOTATIONS = {"summary", "description", "runbook"}
SEVERITIES = {"critical", "warning", "info"}


def alerting_rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(RULES.read_text())
    return [rule for group in document["groups"] for rule in group["rules"] if "alert" in rule]


def rule_test_cases() -> list[dict[str, Any]]:
    document = yaml.safe_load(RULE_TESTS.read_text())
    return [case for test in document["tests"] for case in test.get("alert_rule_test", [])]


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    command = [require("promtool", "prometheus"), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_promtool_check_rules_accepts_the_rule_file() -> None:
    done = promtool("check", "rules", str(RULES))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(alerting_rules())} rules found" in done.stdout


def test_promtool_unit_tests_of_the_rules_pass() -> None:
    done = promtool("test", "rules", str(RULE_TESTS))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_the_unit_tests_load_the_shipped_rule_file() -> None:
    document = yaml.safe_load(RULE_TESTS.read_text())
    loaded = [(RULE_TESTS.parent / name).resolve() for name in document["rule_files"]]
    assert loaded == [RULES]


@pytest.mark.parametrize("rule", alerting_rules(), ids=lambda rule: str(rule["alert"]))
def test_every_alert_has_a_test_where_it_fires_and_one_where_it_is_silent(
    rule: dict[str, Any],
) -> None:
    cases = [case for case in rule_test_cases() if case["alertname"] == rule["alert"]]
    assert [case for case in cases if case.get("exp_alerts")], "no test where it fires"
    assert [case for case in cases if not case.get("exp_alerts")], "no test where it is silent"


@pytest.mark.parametrize("rule", alerting_rules(), ids=lambda rule: str(rule["alert"]))
def test_every_alert_says_how_severe_it_is_and_what_to_do(rule: dict[str, Any]) -> None:
    assert rule["labels"]["severity"] in SEVERITIES
    assert set(rule["annotations"]) >= ANNOTATIONS
    anchor = str(rule["alert"]).lower()
    assert f"docs/alerts.md#{anchor}" in rule["annotations"]["runbook"]
    assert f"\n## {rule['alert']}\n" in (ROOT / "docs" / "alerts.md").read_text()
