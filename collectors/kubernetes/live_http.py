"""The live collector's HTTP: the official client for configuration, TLS and auth, and raw
JSON answers (no model round trip, so objects stay the camelCase mappings the server sent).

Every GET is bounded: a timeout per request, retries with exponential backoff on 429, 5xx
and transport errors (honouring Retry-After, capped), and a byte budget across the whole
collection. Errors come back as `ApiError` carrying the HTTP status and the server's Status
message. Nothing here logs or raises request headers, so the token never reaches a log.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import urllib3
from kubernetes.client import ApiClient, Configuration
from kubernetes.client.exceptions import ApiException
from kubernetes.config import ConfigException, list_kube_config_contexts, load_kube_config
from kubernetes.config.incluster_config import load_incluster_config

from drift.errors import CollectorError

log = logging.getLogger(__name__)

RETRYABLE = frozenset({429, 500, 502, 503, 504})
MAX_DELAY = 10.0  # seconds: the longest a Retry-After or backoff may make us wait
_CHUNK = 1 << 16
_MESSAGE_LIMIT = 300
Query = Sequence[tuple[str, str | int]]


class ApiError(Exception):
    """A GET that did not answer 2xx; status 0 when no HTTP answer came (connection, TLS)."""

    def __init__(
        self, status: int, reason: str, message: str, *, retryable: bool, retry_after: float = 0
    ) -> None:
        self.status, self.reason, self.message = status, reason, message[:_MESSAGE_LIMIT]
        self.retryable, self.retry_after = retryable, retry_after
        self.attempts = 1
        super().__init__(status, reason, message)

    def __str__(self) -> str:
        answer = f"HTTP {self.status} {self.reason}" if self.status else self.reason
        text = f"{answer}: {self.message}" if self.message else answer
        return text if self.attempts == 1 else f"{text} (after {self.attempts} attempts)"


class BudgetExceeded(Exception):
    """The answers so far exceed `ReadOptions.max_input_bytes`."""


@dataclass(frozen=True, kw_only=True)
class Retry:
    retries: int
    backoff: float
    sleep: Callable[[float], None] = time.sleep

    def delay(self, attempt: int, error: ApiError) -> float:
        return min(MAX_DELAY, max(self.backoff * 2.0**attempt, error.retry_after))


def make_client(
    *, kubeconfig: str | None, context: str | None, in_cluster: bool
) -> tuple[ApiClient, str]:
    """An ApiClient and the name of the context it reaches. The kubeconfig is the one given,
    else `$KUBECONFIG` (read now, never at import), else `~/.kube/config`; it is never written
    back (`persist_config=False`). A configuration that cannot be used is a CollectorError."""
    config = Configuration()
    path = kubeconfig or os.environ.get("KUBECONFIG") or "~/.kube/config"
    try:
        if in_cluster:
            load_incluster_config(client_configuration=config)  # type: ignore[no-untyped-call]
            name = "in-cluster"
        else:
            load_kube_config(  # type: ignore[no-untyped-call]
                config_file=path, context=context, client_configuration=config, persist_config=False
            )
            name = context or _current_context(path)
    except (ConfigException, OSError, KeyError, TypeError, ValueError) as exc:
        where = "in-cluster configuration" if in_cluster else f"kubeconfig {path}"
        raise CollectorError(f"{where}: cannot be used: {exc}") from exc
    config.retries = 0  # retries are ours, with backoff and an outcome per scope
    return ApiClient(config), name


def _current_context(path: str) -> str:
    _contexts, current = list_kube_config_contexts(path)  # type: ignore[no-untyped-call]
    return str(current["name"])


class JsonApi:
    """GET JSON from the API server with bounded retries and a byte budget."""

    def __init__(
        self, client: ApiClient, *, timeout: float, retry: Retry, budget: int, source: str = ""
    ) -> None:
        self._client, self._timeout, self._retry = client, timeout, retry
        self._source = source  # names the cluster in log records
        self.remaining = budget
        self.requests = 0

    @property
    def host(self) -> str:
        return str(self._client.configuration.host).rstrip("/")

    def get(self, path: str, query: Query = ()) -> dict[str, Any]:
        attempt = 0
        while True:
            try:
                return self._get_once(path, query)
            except ApiError as error:
                error.attempts = attempt + 1
                if not error.retryable or attempt >= self._retry.retries:
                    raise
                delay = self._retry.delay(attempt, error)
                attempt += 1
                log.warning(
                    "%s: GET %s: %s; retry %d of %d in %.2f s",
                    self._source,
                    path,
                    error,
                    attempt,
                    self._retry.retries,
                    delay,
                    extra={"source": self._source, "path": path},
                )
                self._retry.sleep(delay)

    def _get_once(self, path: str, query: Query) -> dict[str, Any]:
        if self.remaining < 0:
            raise BudgetExceeded
        method, url, headers, body, post = self._client.param_serialize(
            "GET",
            path,
            query_params=list(query),
            header_params={"Accept": "application/json"},
            auth_settings=["BearerToken"],
        )
        self.requests += 1
        try:
            answer = self._client.call_api(
                method, url, headers, body, post, _request_timeout=self._timeout
            )
        except ApiException as exc:  # the client's wrapping of a TLS failure: not transient
            raise ApiError(0, "TLS failure", str(exc.reason), retryable=False) from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise ApiError(0, "no answer", _transport_message(exc), retryable=True) from None
        response = answer.response
        try:
            data = self._read(response)
        finally:
            response.release_conn()
        return _decode(response.status, str(response.reason or ""), response.headers, data)

    def _read(self, response: Any) -> bytes:
        chunks: list[bytes] = []
        for chunk in response.stream(_CHUNK):
            self.remaining -= len(chunk)
            if self.remaining < 0:
                raise BudgetExceeded
            chunks.append(chunk)
        return b"".join(chunks)


def _decode(status: int, reason: str, headers: Any, data: bytes) -> dict[str, Any]:
    try:
        body = json.loads(data) if data else {}
    except ValueError:
        body = None
    if not 200 <= status <= 299:
        answer = body if isinstance(body, dict) else {}  # a Status, when the server sent one
        raise ApiError(
            status,
            str(answer.get("reason") or reason),
            str(answer.get("message") or ""),
            retryable=status in RETRYABLE,
            retry_after=_retry_after(headers),
        )
    if not isinstance(body, dict):
        raise ApiError(status, "bad answer", "the body is not a JSON object", retryable=False)
    return body


def _retry_after(headers: Any) -> float:
    try:
        return max(0.0, float(headers.get("Retry-After") or 0))
    except ValueError:
        return 0.0


def _transport_message(exc: BaseException) -> str:
    """What went wrong on the wire, without the URL's query (continue tokens are long)."""
    reason = getattr(exc, "reason", None) or exc
    return f"{type(reason).__name__}: {reason}".split("?")[0]
