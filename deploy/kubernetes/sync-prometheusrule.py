"""Write the PrometheusRule of components/prometheus-operator from the shipped rule file.

deploy/prometheus/drift-rules.yaml is the one source of the alert rules (docs/alerts.md; its
promtool unit tests load it). The Prometheus Operator wants the same groups wrapped in a
`PrometheusRule`; this script wraps them, so the two never differ:

    python deploy/kubernetes/sync-prometheusrule.py          # rewrite the PrometheusRule
    python deploy/kubernetes/sync-prometheusrule.py --check  # exit 1 if it is out of date

tests/deploy/test_prometheus_operator.py runs the check.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
RULES = HERE.parent / "prometheus" / "drift-rules.yaml"
OUTPUT = HERE / "components" / "prometheus-operator" / "prometheusrule.yaml"
HEADER = """\
# Generated from deploy/prometheus/drift-rules.yaml by deploy/kubernetes/sync-prometheusrule.py:
# edit the rule file and run the script, never this file. What each alert means: docs/alerts.md.
"""


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (the PromQL expressions) as literal blocks, as in the rule file."""


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _string)


def prometheus_rule(rules: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "design-drift", "labels": {"app.kubernetes.io/name": "design-drift"}},
        "spec": {"groups": rules["groups"]},
    }


def render() -> str:
    rules = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    body = yaml.dump(
        prometheus_rule(rules), Dumper=_Dumper, sort_keys=False, width=1000, allow_unicode=True
    )
    return HEADER + body


def main(argv: list[str]) -> int:
    text = render()
    if argv == ["--check"]:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT} is out of date: run python {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    if argv:
        print("usage: sync-prometheusrule.py [--check]", file=sys.stderr)
        return 2
    OUTPUT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
