"""components/prometheus-operator: the PrometheusRule carries exactly the shipped rule file's
groups (and promtool accepts them), and the ServiceMonitor scrapes the monitor's Service.
kubernetes-validate has no schema for these custom resources, so these checks stand in."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from tests.deploy.kustomize import KUBERNETES, ROOT, one, overlay
from tests.monitor.binaries import require

RULES = ROOT / "deploy" / "prometheus" / "drift-rules.yaml"
SYNC = KUBERNETES / "sync-prometheusrule.py"


def test_the_prometheus_rule_is_what_the_sync_script_makes_of_the_rule_file() -> None:
    done = subprocess.run(
        [sys.executable, str(SYNC), "--check"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_the_prometheus_rule_holds_the_rule_files_groups_in_each_overlay() -> None:
    groups = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
    for name in ("sqlite", "postgres"):
        rule = one(overlay(name), "PrometheusRule", "design-drift")
        assert rule["apiVersion"] == "monitoring.coreos.com/v1"
        assert rule["spec"]["groups"] == groups


def test_promtool_accepts_the_prometheus_rules_groups(tmp_path: Path) -> None:
    rule = one(overlay("sqlite"), "PrometheusRule")
    extracted = tmp_path / "rules.yaml"
    extracted.write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}), encoding="utf-8")
    done = subprocess.run(
        [require("promtool", "prometheus"), "check", "rules", str(extracted)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_service_monitor_scrapes_the_metrics_port_of_the_monitors_service() -> None:
    manifests = overlay("sqlite")
    monitor = one(manifests, "ServiceMonitor", "design-drift")["spec"]
    service = one(manifests, "Service", "design-drift")

    assert monitor["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    [endpoint] = monitor["endpoints"]
    assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}
    assert endpoint["path"] == "/metrics"
    assert "namespaceSelector" not in monitor  # its own namespace, where the Service is
