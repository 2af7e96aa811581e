"""A check result as JSON: the `design-drift/check/v1` contract.

Documented in docs/check.md with a JSON Schema (docs/check-v1.schema.json). Within v1
fields are only ever added, never renamed, removed or given another meaning.

Order (so two runs over the same inputs give the same bytes):
- findings by severity (highest first), then kind, subjects, protocol (none first), and
  finally fingerprint, title and detail so that no two findings tie;
- unknowns by subjects, detail, reasons;
- evidence and notes in the order the check gives them (it puts the cause first).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from drift.findings import CheckResult, Evidence, Finding, Severity, Unknown

CHECK_SCHEMA_ID = "design-drift/check/v1"
_SHORT = 80  # longest container (as compact JSON) kept on one line

SEVERITIES_HIGH_FIRST = tuple(sorted(Severity, key=lambda s: s.rank, reverse=True))


def finding_sort_key(finding: Finding) -> tuple[Any, ...]:
    """Severity (highest first), kind, subjects, protocol; then tie-breakers."""
    return (
        -finding.severity.rank,
        str(finding.kind),
        finding.subjects,
        str(finding.protocol or ""),
        finding.fingerprint,
        finding.title,
        finding.detail,
    )


def ordered_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=finding_sort_key)


def ordered_unknowns(unknowns: Iterable[Unknown]) -> list[Unknown]:
    return sorted(unknowns, key=lambda u: (u.subjects, u.detail, u.reasons))


def severity_counts(findings: Iterable[Finding]) -> dict[str, int]:
    """Findings per severity, every severity present, highest first."""
    counts = {str(s): 0 for s in SEVERITIES_HIGH_FIRST}
    for finding in findings:
        counts[str(finding.severity)] += 1
    return counts


def evidence_to_json(evidence: Evidence) -> dict[str, Any]:
    out: dict[str, Any] = {"text": evidence.text}
    if evidence.source is not None:
        out["source"] = evidence.source.to_json()
    return out


def finding_to_json(finding: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {
        "fingerprint": finding.fingerprint,
        "kind": str(finding.kind),
        "severity": str(finding.severity),
        "title": finding.title,
        "detail": finding.detail,
        "subjects": list(finding.subjects),
    }
    if finding.protocol is not None:
        out["protocol"] = str(finding.protocol)
    if finding.ports is not None:
        out["ports"] = finding.ports.to_json()
    out["evidence"] = [evidence_to_json(e) for e in finding.evidence]
    out["clause"] = finding.clause
    out["baselineVersion"] = finding.baseline_version
    if finding.location is not None:
        out["location"] = finding.location.to_json()
    if finding.zone:
        out["zone"] = finding.zone
    if finding.path:
        out["path"] = [
            {
                "source": step.source,
                "relation": step.relation,
                "target": step.target,
                "evidence": [evidence_to_json(e) for e in step.evidence],
            }
            for step in finding.path
        ]
    return out


def unknown_to_json(unknown: Unknown) -> dict[str, Any]:
    out: dict[str, Any] = {
        "subjects": list(unknown.subjects),
        "detail": unknown.detail,
        "reasons": list(unknown.reasons),
    }
    if unknown.location is not None:
        out["location"] = unknown.location.to_json()
    return out


def check_to_json(result: CheckResult) -> dict[str, Any]:
    """The whole result as plain data, in contract order."""
    return {
        "schema": CHECK_SCHEMA_ID,
        "baseline": {
            "name": result.baseline_name,
            "version": result.baseline_version,
            "path": result.baseline_path,
        },
        "cluster": result.cluster,
        "source": result.source,
        "findings": [finding_to_json(f) for f in ordered_findings(result.findings)],
        "unknowns": [unknown_to_json(u) for u in ordered_unknowns(result.unknowns)],
        "notes": list(result.notes),
        "summary": {
            "findings": len(result.findings),
            "bySeverity": severity_counts(result.findings),
            "unknowns": len(result.unknowns),
        },
    }


def render_json(result: CheckResult) -> str:
    """The `design-drift/check/v1` document, indented, ending in a newline."""
    return dumps_readable(check_to_json(result)) + "\n"


def dumps_readable(value: Any, indent: str = "") -> str:
    """JSON indented by two spaces, with leaves kept on one line: short lists and objects
    (subjects, a source reference, `{"TCP": [[8080, 8081]]}`) and port ranges of any length."""
    if _inline(value):
        return _compact(value)
    inner = indent + "  "
    if isinstance(value, dict):
        items = [f"{inner}{_compact(k)}: {dumps_readable(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{indent}}}"
    items = [f"{inner}{dumps_readable(v, inner)}" for v in value]
    return "[\n" + ",\n".join(items) + f"\n{indent}]"


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _inline(value: Any) -> bool:
    """Scalars; containers of numbers only; small containers of inline values."""
    if not isinstance(value, dict | list) or not value:
        return True
    items = list(value.values()) if isinstance(value, dict) else value
    if isinstance(value, list) and all(_numeric(v) for v in items):
        return True
    return all(_inline(v) for v in items) and len(_compact(value)) <= _SHORT


def _numeric(value: Any) -> bool:
    if isinstance(value, list):
        return all(_numeric(v) for v in value)
    return isinstance(value, int | float) and not isinstance(value, bool)
