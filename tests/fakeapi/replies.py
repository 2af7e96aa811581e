"""What the fake answers besides objects: errors in the real `Status` shape, and the faults
a test injects."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from .resources import Resource

USER = "system:serviceaccount:drift:monitor"
FAULT_REASONS = {429: "TooManyRequests", 503: "ServiceUnavailable", 504: "Timeout"}
EXPIRED = (
    "The provided continue parameter is too old to display a consistent list result. "
    "You can start a new list without the continue parameter."
)


@dataclass(frozen=True, kw_only=True)
class Reply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def status(code: int, reason: str, message: str, **details: str) -> Reply:
    """An error in the real `Status` shape."""
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details:
        body["details"] = details
    return Reply(status=code, body=body)


def fault(code: int) -> Reply:
    """An injected failure; `Retry-After: 0` so clients that honour it do not wait."""
    reason = FAULT_REASONS.get(code, "InternalError")
    reply = status(code, reason, f"injected fault: HTTP {code}")
    return Reply(status=code, body=reply.body, headers={"Retry-After": "0"})


def not_found(message: str = "the server could not find the requested resource") -> Reply:
    return status(404, "NotFound", message)


def forbidden(verb: str, resource: Resource, namespace: str | None, name: str | None) -> Reply:
    """403 worded as RBAC words it: `deployments.apps "web" is forbidden: User ...`."""
    group, plural = resource.group, resource.plural
    subject = f'{resource.qualified} "{name}"' if name else resource.qualified
    where = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    message = (
        f'{subject} is forbidden: User "{USER}" cannot {verb} resource "{plural}" '
        f'in API group "{group}" {where}'
    )
    details = {"group": group, "kind": plural, **({"name": name} if name else {})}
    return status(403, "Forbidden", message, **details)


@dataclass(kw_only=True)
class Faults:
    """What a test makes the server do wrong: all of it consumed or reset between tests."""

    denied: set[tuple[str, str]] = field(default_factory=set)  # (group, plural)
    failures: dict[str, deque[int]] = field(default_factory=dict)  # path → statuses to answer
    expire: Counter[str] = field(default_factory=Counter)  # path → continue requests to expire

    def take_failure(self, path: str) -> int | None:
        queue = self.failures.get(path)
        return queue.popleft() if queue else None

    def take_expiry(self, path: str) -> bool:
        if self.expire[path] <= 0:
            return False
        self.expire[path] -= 1
        return True
