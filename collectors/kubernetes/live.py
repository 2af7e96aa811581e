"""The `kubernetes` collector plugin: the modelled kinds of a live cluster, read only.

Composed as fetch → pure transform: discovery says where each modelled kind is served
(`live_discovery`), each is listed cluster-wide in pages (`limit`/`continue`, never one call
per object, restarted once when the continue token expires), and the items become redacted
`KubeObject`s (`live_objects`). Every (group, kind) gets one outcome: ok, not installed,
forbidden or failed. Only ever GET; Secrets are never asked for, as they are not modelled.

Nothing here raises for what the cluster answers: a refused token or an unreachable server
makes every scope failed, so the run is incomplete and no finding resolves. Only a
configuration that cannot be used at all (no kubeconfig, unknown context) is a CollectorError.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from drift.collect import Collection, ReadOptions, ScopeOutcome, ScopeStatus
from drift.errors import CollectorError
from drift.k8s.kinds import MODELLED_KINDS, GroupKind
from drift.k8s.objects import KubeObject

from .live_discovery import ApiResource, Unavailable, discover
from .live_http import ApiError, BudgetExceeded, JsonApi, Retry, make_client
from .live_objects import to_objects

log = logging.getLogger(__name__)

Item = dict[str, Any]


class LiveCollector:
    """Reads a cluster through the official client. The kubeconfig is the path given (else
    `$KUBECONFIG` or `~/.kube/config`, resolved when collecting); `in_cluster` uses the pod's
    service account instead. `backoff` is the first retry's delay, doubled each retry.
    `ReadOptions.default_namespace` does not apply: the server names every namespace."""

    def __init__(
        self,
        *,
        kubeconfig: str | None = None,
        context: str | None = None,
        in_cluster: bool = False,
        page_size: int = 500,
        request_timeout: float = 30,
        retries: int = 3,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if page_size < 1 or retries < 0 or request_timeout <= 0 or backoff < 0:
            raise CollectorError(
                "kubernetes collector: page_size must be at least 1, retries and backoff "
                "at least 0, and request_timeout positive"
            )
        self._kubeconfig, self._context, self._in_cluster = kubeconfig, context, in_cluster
        self._page_size, self._timeout = page_size, request_timeout
        self._retry = Retry(retries=retries, backoff=backoff, sleep=sleep)

    def collect(self, options: ReadOptions) -> Collection:
        client, context = make_client(
            kubeconfig=self._kubeconfig, context=self._context, in_cluster=self._in_cluster
        )
        source = f"kubernetes:{context}"
        with client:
            api = JsonApi(
                client,
                timeout=self._timeout,
                retry=self._retry,
                budget=options.max_input_bytes,
                source=source,
            )
            return collect_cluster(api, source, self._page_size)


def scope_name(group_kind: GroupKind) -> str:
    """`networking.k8s.io/NetworkPolicy`; core kinds are bare (`Pod`), as in skipped_kinds."""
    group, kind = group_kind
    return f"{group}/{kind}" if group else kind


@dataclass(kw_only=True)
class _Scope:
    """What reading one (group, kind) gave."""

    outcome: ScopeOutcome
    objects: list[KubeObject] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def collect_cluster(api: JsonApi, source: str, page_size: int) -> Collection:
    kinds = sorted(MODELLED_KINDS)
    try:
        found = discover(api, kinds)
    except (ApiError, BudgetExceeded) as error:
        return _unreadable(source, kinds, error)
    scopes = [_read_scope(api, source, gk, found[gk], page_size) for gk in kinds]
    collection = _assemble(source, scopes)
    _log_summary(collection, api.requests)
    return collection


def _read_scope(
    api: JsonApi, source: str, gk: GroupKind, where: ApiResource | Unavailable, page_size: int
) -> _Scope:
    scope = scope_name(gk)
    context = {"source": source, "scope": scope}
    if isinstance(where, Unavailable):
        log.debug("%s: %s: %s", source, scope, where.detail, extra=context)
        return _Scope(
            outcome=ScopeOutcome(scope=scope, kind=gk, status=where.status, detail=where.detail)
        )
    url = api.host + where.list_path
    try:
        items, pages, restarted = list_all(api, where, page_size)
    except (ApiError, BudgetExceeded) as error:
        status, detail = _failure(error)
        log.warning("%s: %s: %s", source, scope, detail, extra=context)
        return _Scope(outcome=ScopeOutcome(scope=scope, kind=gk, status=status, detail=detail))
    objects = to_objects(where, items, url)
    detail = f"{len(objects)} objects in {pages} pages from {where.list_path}"
    log.debug("%s: %s: %s", source, scope, detail, extra=context)
    warnings = [f"{url}: the list was restarted after its continue token expired"] * restarted
    return _Scope(
        outcome=ScopeOutcome(scope=scope, kind=gk, status=ScopeStatus.OK, detail=detail),
        objects=objects,
        warnings=warnings,
    )


def list_all(api: JsonApi, resource: ApiResource, page_size: int) -> tuple[list[Item], int, int]:
    """Every item of a cluster-wide list, page by page: (items, pages, restarts). A 410
    (continue token expired, e.g. after compaction) restarts the list once from the start,
    so every object is returned exactly once, from one consistent snapshot."""
    try:
        items, pages = _pages(api, resource.list_path, page_size)
        return items, pages, 0
    except ApiError as error:
        if error.status != 410:
            raise
        log.warning("%s: continue token expired; listing again", resource.list_path)
    items, pages = _pages(api, resource.list_path, page_size)
    return items, pages, 1


def _pages(api: JsonApi, path: str, page_size: int) -> tuple[list[Item], int]:
    items: list[Item] = []
    token: str | None = None
    seen: set[str] = set()
    pages = 0
    while True:
        query: list[tuple[str, str | int]] = [("limit", page_size)]
        if token:
            query.append(("continue", token))
        answer = api.get(path, query)
        pages += 1
        items.extend(answer.get("items") or [])
        token = (answer.get("metadata") or {}).get("continue") or None
        if token is None:
            return items, pages
        if token in seen:
            raise ApiError(
                200, "bad answer", "the server repeated a continue token", retryable=False
            )
        seen.add(token)


def _failure(error: ApiError | BudgetExceeded) -> tuple[ScopeStatus, str]:
    if isinstance(error, BudgetExceeded):
        return (
            ScopeStatus.FAILED,
            "the answers exceed the input limit (ReadOptions.max_input_bytes)",
        )
    if error.status == 403:
        return ScopeStatus.FORBIDDEN, str(error)
    if error.status == 404:  # served at discovery, gone since (a CRD removed meanwhile)
        return ScopeStatus.NOT_INSTALLED, f"no longer served: {error}"
    return ScopeStatus.FAILED, str(error)


def _unreadable(
    source: str, kinds: Iterable[GroupKind], error: ApiError | BudgetExceeded
) -> Collection:
    """Discovery itself failed (refused token, no server): nothing is known, all unverifiable."""
    if isinstance(error, BudgetExceeded):
        status, detail = ScopeStatus.FAILED, "discovery exceeds the input limit"
    else:
        forbidden = error.status == 403
        status = ScopeStatus.FORBIDDEN if forbidden else ScopeStatus.FAILED
        detail = f"API discovery failed: {error}"
    log.error("%s: %s; every scope is unverifiable", source, detail, extra={"source": source})
    outcomes = tuple(
        ScopeOutcome(scope=scope_name(gk), kind=gk, status=status, detail=detail) for gk in kinds
    )
    return Collection(source=source, objects=(), outcomes=outcomes)


def _assemble(source: str, scopes: list[_Scope]) -> Collection:
    """Objects sorted by key, one per key (a live list cannot repeat an object; a buggy
    server could, and is then named in a warning)."""
    by_key: dict[tuple[str, str, str, str], KubeObject] = {}
    warnings = [w for scope in scopes for w in scope.warnings]
    for obj in (o for scope in scopes for o in scope.objects):
        if obj.key in by_key:
            warnings.append(f"{obj.source}: {obj.display_name} was listed twice; kept the first")
            continue
        by_key[obj.key] = obj
    return Collection(
        source=source,
        objects=tuple(by_key[key] for key in sorted(by_key)),
        outcomes=tuple(scope.outcome for scope in scopes),
        warnings=tuple(warnings),
    )


def _log_summary(collection: Collection, requests: int) -> None:
    counts = Counter(outcome.status for outcome in collection.outcomes)
    log.info(
        "%s: %d objects in %d requests; scopes: %d ok, %d not installed, %d forbidden, %d failed",
        collection.source,
        len(collection.objects),
        requests,
        counts[ScopeStatus.OK],
        counts[ScopeStatus.NOT_INSTALLED],
        counts[ScopeStatus.FORBIDDEN],
        counts[ScopeStatus.FAILED],
        extra={"source": collection.source},
    )
