"""Records to rows and back: the only place that knows how a record's fields are stored.

JSON columns hold plain lists and dicts; records come back with tuples where the record types
say tuples (`subjects`) and read-only sequences elsewhere, so a record read equals the record
written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.engine import RowMapping

from drift.store.records import (
    AcceptedRisk,
    BaselineRecord,
    FindingState,
    FindingStatus,
    RunOutcome,
    RunRecord,
)


def _dicts(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [dict(item) for item in items]


def baseline_row(record: BaselineRecord) -> dict[str, Any]:
    return {
        "name": record.name,
        "version": record.version,
        "sha256": record.sha256,
        "content": record.content,
        "recorded_at": record.recorded_at,
        "approved_by": record.approved_by,
        "approved_at": record.approved_at,
        "note": record.note,
    }


def baseline_record(row: RowMapping) -> BaselineRecord:
    return BaselineRecord(
        name=row["name"],
        version=row["version"],
        sha256=row["sha256"],
        content=row["content"],
        recorded_at=row["recorded_at"],
        approved_by=row["approved_by"],
        approved_at=row["approved_at"],
        note=row["note"],
    )


def run_row(run: RunRecord) -> dict[str, Any]:
    return {
        "id": run.id,
        "target": run.target,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "outcome": run.outcome.value,
        "source": run.source,
        "baseline_name": run.baseline_name,
        "baseline_version": run.baseline_version,
        "baseline_sha256": run.baseline_sha256,
        "scopes": _dicts(run.scopes),
        "counts": dict(run.counts),
    }


def run_record(row: RowMapping) -> RunRecord:
    return RunRecord(
        id=row["id"],
        target=row["target"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        outcome=RunOutcome(row["outcome"]),
        source=row["source"],
        baseline_name=row["baseline_name"],
        baseline_version=row["baseline_version"],
        baseline_sha256=row["baseline_sha256"],
        scopes=tuple(row["scopes"]),
        counts=dict(row["counts"]),
    )


def finding_row(state: FindingState) -> dict[str, Any]:
    return {
        "target": state.target,
        "fingerprint": state.fingerprint,
        "kind": state.kind,
        "severity": state.severity,
        "subjects": list(state.subjects),
        "title": state.title,
        "detail": state.detail,
        "clause": state.clause,
        "baseline_version": state.baseline_version,
        "evidence": _dicts(state.evidence),
        "location": None if state.location is None else dict(state.location),
        "status": state.status.value,
        "first_seen": state.first_seen,
        "last_seen": state.last_seen,
        "resolved_at": state.resolved_at,
        "run_id": state.run_id,
    }


def finding_state(row: RowMapping) -> FindingState:
    return FindingState(
        target=row["target"],
        fingerprint=row["fingerprint"],
        kind=row["kind"],
        severity=row["severity"],
        subjects=tuple(row["subjects"]),
        title=row["title"],
        detail=row["detail"],
        clause=row["clause"],
        baseline_version=row["baseline_version"],
        evidence=tuple(row["evidence"]),
        location=row["location"],
        status=FindingStatus(row["status"]),
        first_seen=row["first_seen"],
        last_seen=row["last_seen"],
        resolved_at=row["resolved_at"],
        run_id=row["run_id"],
    )


def risk_row(risk: AcceptedRisk) -> dict[str, Any]:
    return {
        "fingerprint": risk.fingerprint,
        "target": risk.target,
        "reason": risk.reason,
        "owner": risk.owner,
        "until": risk.until,
        "accepted_at": risk.accepted_at,
    }


def accepted_risk(row: RowMapping) -> AcceptedRisk:
    return AcceptedRisk(
        fingerprint=row["fingerprint"],
        target=row["target"],
        reason=row["reason"],
        owner=row["owner"],
        until=row["until"],
        accepted_at=row["accepted_at"],
    )
