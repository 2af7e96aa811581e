"""Baselines: every version is kept, approval is recorded, the latest approval is the design."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from drift.store.records import BaselineRecord
from drift.store.sql import SqlStore

from .helpers import T0


def version(
    n: int, *, name: str = "shop", approved_by: str | None = None, note: str = ""
) -> BaselineRecord:
    """Version `n` of baseline `name`, recorded n hours after T0 (approved then, if at all)."""
    at = T0 + timedelta(hours=n)
    return BaselineRecord(
        name=name,
        version=f"v{n}",
        sha256=f"{n:064x}",
        content=f"version: v{n}\n",
        recorded_at=at,
        approved_by=approved_by,
        approved_at=at if approved_by else None,
        note=note,
    )


def test_versions_are_listed_oldest_first_per_name(store: SqlStore) -> None:
    for record in (version(2), version(1), version(3, name="other")):
        store.record_baseline(record)
    assert store.baselines("shop") == [version(1), version(2)]
    assert store.baselines("missing") == []


def test_the_same_content_again_only_updates_its_approval(store: SqlStore) -> None:
    store.record_baseline(version(1))
    again = BaselineRecord(
        name="shop",
        version="renamed",
        sha256=version(1).sha256,
        content="ignored: the hash says it is the same document\n",
        recorded_at=T0 + timedelta(days=9),
        approved_by="ana",
        approved_at=T0 + timedelta(days=10),
        note="reviewed in #42",
    )
    store.record_baseline(again)
    [kept] = store.baselines("shop")
    assert (kept.version, kept.content, kept.recorded_at) == (
        "v1",
        "version: v1\n",
        T0 + timedelta(hours=1),
    )
    assert (kept.approved_by, kept.approved_at, kept.note) == (
        "ana",
        again.approved_at,
        "reviewed in #42",
    )


def test_seeing_an_approved_version_again_unapproved_keeps_its_approval(store: SqlStore) -> None:
    store.record_baseline(version(1, approved_by="ana", note="ok"))
    store.record_baseline(version(1))
    assert store.baselines("shop") == [version(1, approved_by="ana", note="ok")]


def test_latest_approved_is_the_last_approval_not_the_last_version(store: SqlStore) -> None:
    assert store.latest_approved("shop") is None
    store.record_baseline(version(1))
    assert store.latest_approved("shop") is None
    store.record_baseline(version(2, approved_by="ana"))
    store.record_baseline(version(3))  # seen on disk, not approved
    latest = store.latest_approved("shop")
    assert latest is not None and latest.version == "v2"
    rollback = version(1, approved_by="bo")
    store.record_baseline(dataclasses.replace(rollback, approved_at=T0 + timedelta(days=1)))
    latest = store.latest_approved("shop")
    assert latest is not None and (latest.version, latest.approved_by) == ("v1", "bo")
    assert store.latest_approved("other") is None
