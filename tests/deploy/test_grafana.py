"""deploy/grafana/design-drift.json: a dashboard Grafana imports into any instance (the
Prometheus data source is a template variable), whose queries name only metrics `drift serve`
exports and parse as PromQL (promtool)."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from drift.service import Service
from drift.settings import example_settings
from drift.store.sql import SqlStore
from tests.deploy.kustomize import ROOT
from tests.monitor.binaries import require

DASHBOARD = ROOT / "deploy" / "grafana" / "design-drift.json"
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
# Grafana's variables, as a query may use them, replaced by what PromQL can parse.
VARIABLES = {"$target": ".*", "$__rate_interval": "5m", "$__interval": "1m", "$__range": "1d"}
FUNCTIONS = {"sum", "increase", "time", "vector", "max", "min", "rate", "count", "avg"}
KEYWORDS = {"by", "without", "or", "and", "unless", "on", "ignoring", "bool", "offset"}
# What every panel the dashboard shows must be about.
MUST_SHOW = {
    "drift_findings_open",
    "drift_findings_new_total",
    "drift_accepted_risks",
    "drift_accepted_risks_expiring",
    "drift_last_successful_run_timestamp_seconds",
    "drift_last_run_duration_seconds",
    "drift_collection_scope_status",
    "drift_notifications_total",
    "drift_reports_total",
}
SUFFIXES = {"gauge": [""], "counter": ["_total"], "info": ["_info"]}


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return loaded


def panels(items: list[dict[str, Any]] | None = None) -> Iterator[dict[str, Any]]:
    for panel in dashboard()["panels"] if items is None else items:
        yield panel
        yield from panels(panel.get("panels", []))


def queries() -> list[str]:
    return [t["expr"] for p in panels() for t in p.get("targets", [])]


def metric_names(expr: str) -> set[str]:
    """The series names a PromQL expression selects: what is left once strings, label
    matchers, ranges, `by (...)` lists, functions and keywords are taken out."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)
    text = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(?:by|without|on|ignoring)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*(\s*\()?", text):
        word, call = match.group(0).rstrip("( \t"), match.group(1)
        if call:
            assert word in FUNCTIONS, f"unexpected function {word} in {expr}"
        elif word not in KEYWORDS:
            names.add(word)
    return names


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """Every series name `drift serve` exports: its registry, on an empty store."""
    folder = tmp_path_factory.mktemp("store")
    store = SqlStore(f"sqlite:///{folder / 'drift.db'}")
    store.migrate()
    try:
        service = Service(example_settings(), store, lambda: datetime.now(UTC))
        families = list(service.registry.collect())
    finally:
        store.close()
    return {f.name + suffix for f in families for suffix in SUFFIXES[f.type]}


def test_a_dashboard_grafana_36_and_later_reads() -> None:
    board = dashboard()
    assert board["schemaVersion"] >= 36
    assert board["uid"] == "design-drift" and board["title"]
    ids = [p["id"] for p in panels()]
    assert len(ids) == len(set(ids))


def test_the_data_source_is_a_variable_never_a_fixed_uid() -> None:
    board = dashboard()
    [variable] = [v for v in board["templating"]["list"] if v["type"] == "datasource"]
    assert (variable["name"], variable["query"]) == ("datasource", "prometheus")

    def sources(value: Any) -> Iterator[Any]:
        if isinstance(value, dict):
            for key, inner in value.items():
                if key == "datasource":
                    yield inner
                else:
                    yield from sources(inner)
        elif isinstance(value, list):
            for inner in value:
                yield from sources(inner)

    found = list(sources(board))
    assert found and all(source == DATASOURCE for source in found)


def test_every_query_names_only_metrics_the_service_exports(exported: set[str]) -> None:
    assert exported >= MUST_SHOW
    used: set[str] = set()
    for expr in queries():
        names = metric_names(expr)
        assert names, f"no metric in {expr}"
        assert names <= exported, f"{expr}: not exported: {names - exported}"
        used |= names
    assert used >= MUST_SHOW


def test_every_panel_but_rows_has_a_query_and_a_description() -> None:
    for panel in panels():
        if panel["type"] == "row":
            continue
        assert panel["type"] in {"stat", "timeseries", "table"}
        assert panel["targets"] and panel["description"], panel["title"]
        assert all(t["expr"].strip() for t in panel["targets"])


def test_the_metric_name_reader_sees_through_promql() -> None:
    expr = 'sum by (kind) (increase(drift_x_total{a="b", c=~"d|e"}[1d])) or vector(0)'
    assert metric_names(expr) == {"drift_x_total"}
    assert metric_names('time() - a{target=~"$target"} > 3 * b') == {"a", "b"}


def test_every_query_parses_as_promql(tmp_path: Path) -> None:
    """promtool checks expressions of rules: each query becomes a recording rule."""
    rules = []
    for index, expr in enumerate(queries()):
        for variable, value in VARIABLES.items():
            expr = expr.replace(variable, value)
        rules.append({"record": f"dashboard:query_{index}", "expr": expr})
    path = tmp_path / "dashboard-rules.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    done = subprocess.run(
        [require("promtool", "prometheus"), "check", "rules", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(rules)} rules found" in done.stdout
