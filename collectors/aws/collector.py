"""The `aws` collector plugin: AWS accounts, read only, as one snapshot document.

Composed as fetch → plain documents: for each account, its credentials (default chain or an
assumed role), IAM and S3 once, then EC2, RDS, ELBv2, Lambda and EKS in each configured
region. Every call is a read (Describe*, List*, Get*); every (account, region, IAM action)
gets one outcome. Nothing here raises for what AWS answers: a refused role or an unreachable
endpoint makes the account's scopes forbidden or failed, so the collection is incomplete and
no finding resolves.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

import boto3

from drift.collect import AWS_SNAPSHOT_VERSION, AwsCollection, ScopeStatus
from drift.settings import AwsSource

from .account import read_account
from .plain import Document, to_plain
from .scopes import ScopeLog

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


class AwsCollector:
    """Reads the accounts of `source`. `session_factory` makes the base boto3 session (the
    default credential chain) anew for each collection, so rotated credentials are used."""

    def __init__(
        self,
        *,
        source: AwsSource,
        session_factory: Callable[[], boto3.Session] = boto3.Session,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self._source, self._session_factory, self._clock = source, session_factory, clock

    def collect(self) -> AwsCollection:
        scopes = ScopeLog()
        base = self._session_factory()
        accounts = [read_account(base, a, self._source, scopes) for a in self._source.accounts]
        snapshot = build_snapshot(self._clock(), accounts, scopes)
        collection = AwsCollection.from_snapshot(snapshot, source=source_name(accounts))
        _log_summary(collection)
        return collection


def source_name(accounts: list[Document]) -> str:
    return "aws:" + ",".join(str(a.get("accountId") or "default") for a in accounts)


def build_snapshot(at: datetime, accounts: list[Document], scopes: ScopeLog) -> Document:
    return {
        "apiVersion": AWS_SNAPSHOT_VERSION,
        "collectedAt": to_plain(at),
        "accounts": accounts,
        "scopes": [
            {"scope": o.scope, "status": str(o.status), "detail": o.detail} for o in scopes.outcomes
        ],
        "warnings": list(scopes.warnings),
    }


def _log_summary(collection: AwsCollection) -> None:
    counts = Counter(outcome.status for outcome in collection.outcomes)
    log.info(
        "%s: scopes: %d ok, %d not installed, %d forbidden, %d failed",
        collection.source,
        counts[ScopeStatus.OK],
        counts[ScopeStatus.NOT_INSTALLED],
        counts[ScopeStatus.FORBIDDEN],
        counts[ScopeStatus.FAILED],
        extra={"source": collection.source},
    )
