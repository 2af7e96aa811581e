"""One HTTP POST for the notifiers (standard library only), and what is safe to log of a URL.

Every error becomes a `NotifyError` whose message names the endpoint as scheme, host and port
only — a webhook's path or query often is its secret, and userinfo always is — and never
quotes a header value. Timeouts, connection errors, 5xx, 408 and 429 are retryable; any other
answer is not (retrying a 400 or 401 only repeats it). Redirects are not followed: that
would carry the Authorization header to wherever a receiver points. Userinfo in a URL
(`https://user:password@host/`) becomes a Basic Authorization header, unless the settings
give an Authorization header of their own.
"""

from __future__ import annotations

import base64
import email.utils
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from drift import __version__
from drift.notify.dispatch import NotifyError
from drift.settings import SettingsError, http_url_problem

USER_AGENT = f"design-drift/{__version__}"
_RETRYABLE_STATUS = frozenset({408, 425, 429})


def endpoint(url: str) -> str:
    """`url` as it may be logged: scheme, host and port, no userinfo, path or query."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    host = f"[{host}]" if ":" in host else host
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{host}{port}"


def resolve_url(url: str | None, url_env: str | None, environ: Mapping[str, str]) -> str:
    """The notifier's URL, from the settings or from the variable they name."""
    if url is not None:
        return url
    value = environ.get(url_env or "", "")
    problem = "is not set" if not value else http_url_problem(value)
    if problem:
        raise SettingsError([f"notifier URL: environment variable {url_env} {problem}"])
    return value


def env_headers(names: Mapping[str, str], environ: Mapping[str, str]) -> dict[str, str]:
    """Header name → value of the environment variable the settings name for it."""
    return {header: env_value(v, environ, f"header {header}") for header, v in names.items()}


def env_value(variable: str, environ: Mapping[str, str], what: str) -> str:
    """The value of `variable`, set and without a line break (`what` names it in errors)."""
    value = environ.get(variable, "")
    if not value or "\r" in value or "\n" in value:
        why = "is not set" if not value else "holds a line break"
        raise SettingsError([f"{what}: environment variable {variable} {why}"])
    return value


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the 3xx answer becomes an HTTPError: not delivered, not retried


def post_json(url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> int:
    """POST `body` (JSON) to `url`; the status of a 2xx answer, else `NotifyError`."""
    where = endpoint(url)
    url, basic = _without_userinfo(url)
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    request.add_header("User-Agent", USER_AGENT)
    for name, value in {**basic, **headers}.items():
        request.add_header(name, value)
    try:
        opener = urllib.request.build_opener(_NoRedirect)  # proxies as the environment says
        with opener.open(request, timeout=timeout) as reply:
            reply.read()
            status: int = reply.status
            return status
    except urllib.error.HTTPError as exc:
        exc.close()
        retryable = exc.code >= 500 or exc.code in _RETRYABLE_STATUS
        raise NotifyError(
            f"{where} answered {exc.code} {exc.reason}",
            retryable=retryable,
            retry_after=retry_after(exc.headers.get("Retry-After")),
        ) from None
    except TimeoutError:
        raise NotifyError(f"{where}: no answer within {timeout:g}s") from None
    except urllib.error.URLError as exc:
        raise NotifyError(f"{where}: {_reason(exc.reason)}") from None
    except (OSError, ValueError) as exc:  # ValueError: http.client refusing a header
        raise NotifyError(f"{where}: {type(exc).__name__}") from None


def _without_userinfo(url: str) -> tuple[str, dict[str, str]]:
    """`url` without `user:password@`, and the Basic Authorization header they make."""
    parts = urlsplit(url)
    if parts.username is None:
        return url, {}
    netloc = parts.netloc.rpartition("@")[2]
    pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
    token = base64.b64encode(pair.encode()).decode()
    return urlunsplit(parts._replace(netloc=netloc)), {"Authorization": f"Basic {token}"}


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (seconds or an HTTP date), None when absent or bad."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _reason(reason: object) -> str:
    if isinstance(reason, TimeoutError):
        return "timed out"
    if isinstance(reason, OSError):
        return reason.strerror or type(reason).__name__
    return str(reason) if isinstance(reason, str) else type(reason).__name__


def dumps(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
