"""Accepted risks: the newest acceptance per fingerprint decides, until it expires."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest

from drift.store.records import AcceptedRisk
from drift.store.sql import SqlStore

from .helpers import T0

DAY = timedelta(days=1)


def acceptance(fingerprint: str, *, at_day: int, for_days: int, **changes: Any) -> AcceptedRisk:
    """An acceptance made `at_day` days after T0, for `for_days` days."""
    base = AcceptedRisk(
        fingerprint=fingerprint,
        reason="legacy client, replaced in Q3",
        owner="team-shop",
        accepted_at=T0 + at_day * DAY,
        until=T0 + (at_day + for_days) * DAY,
    )
    return dataclasses.replace(base, **changes)


def test_an_acceptance_is_in_force_until_it_expires(store: SqlStore) -> None:
    risk = acceptance("f", at_day=0, for_days=10, target="prod")
    store.accept(risk)
    assert store.accepted(T0 + 5 * DAY) == {"f": risk}
    assert store.accepted(T0 + 10 * DAY) == {}  # `until` itself is expired
    assert store.accepted(T0 + 11 * DAY) == {}


def test_the_newest_acceptance_wins_even_when_shorter(store: SqlStore) -> None:
    long = acceptance("f", at_day=0, for_days=100)
    short = acceptance("f", at_day=2, for_days=3, owner="ana")
    store.accept(long)
    store.accept(short)
    assert store.accepted(T0 + 4 * DAY) == {"f": short}
    assert store.accepted(T0 + 6 * DAY) == {}  # the longer, older one does not come back
    renewed = acceptance("f", at_day=7, for_days=30)
    store.accept(renewed)
    assert store.accepted(T0 + 8 * DAY) == {"f": renewed}


def test_an_acceptance_counts_only_from_when_it_was_made(store: SqlStore) -> None:
    old = acceptance("f", at_day=0, for_days=10)
    new = acceptance("f", at_day=5, for_days=1)
    store.accept(old)
    store.accept(new)
    assert store.accepted(T0 + 4 * DAY) == {"f": old}
    assert store.accepted(T0 - DAY) == {}


def test_fingerprints_are_independent(store: SqlStore) -> None:
    a = acceptance("a", at_day=0, for_days=10)
    b = acceptance("b", at_day=1, for_days=1)
    store.accept(a)
    store.accept(b)
    assert store.accepted(T0 + 1 * DAY + timedelta(hours=1)) == {"a": a, "b": b}
    assert store.accepted(T0 + 3 * DAY) == {"a": a}


def test_an_acceptance_needs_a_reason_and_an_owner(store: SqlStore) -> None:
    with pytest.raises(ValueError, match="needs a reason and an owner"):
        store.accept(acceptance("f", at_day=0, for_days=1, reason=" "))
    with pytest.raises(ValueError, match="needs a reason and an owner"):
        store.accept(acceptance("f", at_day=0, for_days=1, owner=""))
    assert store.accepted(T0) == {}
