"""Which version of a baseline a run judges against, and recording approvals.

The service judges against the latest approved version. A file on disk that differs from it
is reported loudly and not used until approved — by `drift baseline approve`, or by an
approval block inside the document, where a reviewed merge is the approval (GitOps).
"""

from __future__ import annotations

from datetime import UTC, datetime

from drift.baseline.load import LoadedBaseline, load_baseline, parse_baseline
from drift.store.records import BaselineRecord, Store


def judged_baseline(store: Store, path: str, now: datetime) -> tuple[LoadedBaseline, list[str]]:
    """The baseline to judge against, and warnings for a person."""
    loaded = load_baseline(path)
    meta = loaded.baseline.metadata
    if meta.approval is not None:
        store.record_baseline(
            _record(loaded, now, meta.approval.by, _when(meta.approval.at, now), meta.approval.note)
        )
        return loaded, []
    known = {b.sha256 for b in store.baselines(meta.name)}
    if loaded.sha256 not in known:
        store.record_baseline(_record(loaded, now))
    approved = store.latest_approved(meta.name)
    if approved is None:
        return loaded, [
            f"{path}: baseline {meta.name} has never been approved; judging against "
            "the file as it is (drift baseline approve records an approval)"
        ]
    if approved.sha256 == loaded.sha256:
        return loaded, []
    warning = (
        f"{path}: differs from the approved version {approved.version} of {meta.name} "
        f"(approved by {approved.approved_by}); judging against the approved version "
        "until this one is approved"
    )
    return parse_baseline(approved.content.encode(), f"{path}@approved"), [warning]


def approve(store: Store, path: str, *, by: str, note: str, now: datetime) -> BaselineRecord:
    """Record the file as approved by `by` now."""
    record = _record(load_baseline(path), now, by, now, note)
    store.record_baseline(record)
    return record


def _record(
    loaded: LoadedBaseline,
    now: datetime,
    by: str | None = None,
    at: datetime | None = None,
    note: str = "",
) -> BaselineRecord:
    meta = loaded.baseline.metadata
    return BaselineRecord(
        name=meta.name,
        version=meta.version,
        sha256=loaded.sha256,
        content=loaded.text,
        recorded_at=now,
        approved_by=by,
        approved_at=at,
        note=note,
    )


def _when(text: str, default: datetime) -> datetime:
    """An approval date or timestamp as written; naive ones are taken as UTC."""
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return default
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
