"""Records to rows and back: the only place that knows how a record's fields are stored.

JSON columns hold plain lists and dicts; records come back with tuples where the record types
say tuples (`subjects`) and read-only sequences elsewhere, so a record read equals the record
written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import Any, TypeVar

from sqlalchemy.engine import RowMapping

from drift.store.records import (
    AcceptedRisk,
    BaselineRecord,
    FindingState,
    FindingStatus,
    RunOutcome,
    RunRecord,
)

R = TypeVar("R")


def _dicts(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [dict(item) for item in items]


def _row(record: Any, **stored: Any) -> dict[str, Any]:
    """Every field of a record as a column value; `stored` gives those kept differently."""
    return {f.name: getattr(record, f.name) for f in fields(record)} | stored


def _record(cls: type[R], row: RowMapping, **read: Any) -> R:
    """A record from a row; `read` gives the fields that come back in another shape."""
    return cls(**({f.name: row[f.name] for f in fields(cls)} | read))  # type: ignore[arg-type]


def baseline_row(record: BaselineRecord) -> dict[str, Any]:
    return _row(record)


def baseline_record(row: RowMapping) -> BaselineRecord:
    return _record(BaselineRecord, row)


def run_row(run: RunRecord) -> dict[str, Any]:
    return _row(run, outcome=run.outcome.value, scopes=_dicts(run.scopes), counts=dict(run.counts))


def run_record(row: RowMapping) -> RunRecord:
    return _record(
        RunRecord,
        row,
        outcome=RunOutcome(row["outcome"]),
        scopes=tuple(row["scopes"]),
        counts=dict(row["counts"]),
    )


def finding_row(state: FindingState) -> dict[str, Any]:
    location = None if state.location is None else dict(state.location)
    return _row(
        state,
        subjects=list(state.subjects),
        evidence=_dicts(state.evidence),
        path=_dicts(state.path),
        location=location,
        status=state.status.value,
    )


def finding_state(row: RowMapping) -> FindingState:
    return _record(
        FindingState,
        row,
        subjects=tuple(row["subjects"]),
        evidence=tuple(row["evidence"]),
        path=tuple(row["path"]),
        status=FindingStatus(row["status"]),
    )


def risk_row(risk: AcceptedRisk) -> dict[str, Any]:
    return _row(risk)


def accepted_risk(row: RowMapping) -> AcceptedRisk:
    return _record(AcceptedRisk, row)
