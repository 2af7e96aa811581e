"""What collectors hand the core: plain objects plus what happened to each scope.

A scope is one thing a collector tried to read (a file, a resource type in a cluster). Its
outcome says whether its absence from the objects means "there are none" (ok) or "we could
not see" (forbidden, failed): the second must never resolve a finding.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from drift.errors import InputError
from drift.k8s.objects import KubeObject

DEFAULT_MAX_INPUT_BYTES = 512 * 1024 * 1024


class ScopeStatus(enum.StrEnum):
    OK = "ok"
    FORBIDDEN = "forbidden"
    FAILED = "failed"
    NOT_INSTALLED = "not installed"


@dataclass(frozen=True, kw_only=True)
class ScopeOutcome:
    """What happened to one scope. `kind` is the (group, kind) a scope lists, when it is one
    kind (a live list call); None for a scope that covers everything it holds (a file)."""

    scope: str
    status: ScopeStatus
    detail: str = ""
    kind: tuple[str, str] | None = None


@dataclass(frozen=True, kw_only=True)
class Collection:
    """One collection of a Kubernetes source (or of a target: `drift.pipeline.joined` adds
    the outcomes of its AWS scopes, so every scope of the target is judged together).

    `objects` hold only the kinds the model reads, sorted by (group, kind, namespace, name),
    without duplicates; `skipped_kinds` counts the others by `group/kind` (`kind` for core).
    """

    source: str
    objects: tuple[KubeObject, ...]
    outcomes: tuple[ScopeOutcome, ...] = ()
    skipped_kinds: Mapping[str, int] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()  # for a person: what was read in a way worth knowing

    @property
    def complete(self) -> bool:
        return all(o.status in (ScopeStatus.OK, ScopeStatus.NOT_INSTALLED) for o in self.outcomes)


@dataclass(frozen=True, kw_only=True)
class ReadOptions:
    """How a Kubernetes collector reads: the default namespace for objects that set none
    (as `kubectl -n` applies them) and a bound on input size."""

    default_namespace: str = "default"
    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES


class KubernetesCollector(Protocol):
    """A plugin that reads Kubernetes objects from somewhere and never writes."""

    def collect(self, options: ReadOptions) -> Collection: ...


# -- AWS (docs/aws-collector.md) -------------------------------------------------------------

AWS_SNAPSHOT_VERSION = "design-drift/aws-snapshot/v1"


@dataclass(frozen=True, kw_only=True)
class AwsCollection:
    """One collection of AWS accounts: the snapshot document (docs/aws-snapshot-v1.schema.json,
    plain JSON values in the shapes of the AWS APIs' answers) and the outcome of each scope,
    which the snapshot also carries, so a saved snapshot reads back as the same collection.

    A section of the snapshot is there exactly when its scope is ok or not installed; a
    forbidden or failed scope leaves it out and is named in `outcomes`, never read as empty.
    """

    source: str
    snapshot: Mapping[str, Any]
    outcomes: tuple[ScopeOutcome, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return all(o.status in (ScopeStatus.OK, ScopeStatus.NOT_INSTALLED) for o in self.outcomes)

    @classmethod
    def from_snapshot(cls, snapshot: Mapping[str, Any], *, source: str) -> AwsCollection:
        """The collection a snapshot records; InputError naming `source` if it is not one."""
        version = snapshot.get("apiVersion")
        if version != AWS_SNAPSHOT_VERSION:
            raise InputError([f"{source}: apiVersion is {version!r}, not {AWS_SNAPSHOT_VERSION}"])
        scopes, warnings = snapshot.get("scopes"), snapshot.get("warnings", [])
        if not isinstance(scopes, list) or not isinstance(warnings, list):
            raise InputError([f"{source}: scopes and warnings must be lists"])
        outcomes = [_outcome(source, i, s) for i, s in enumerate(scopes)]
        return cls(
            source=source,
            snapshot=snapshot,
            outcomes=tuple(outcomes),
            warnings=tuple(str(w) for w in warnings),
        )


def _outcome(source: str, index: int, scope: Any) -> ScopeOutcome:
    statuses = {str(s): s for s in ScopeStatus}
    if (
        not isinstance(scope, dict)
        or not isinstance(scope.get("scope"), str)
        or not isinstance(scope.get("status"), str)
        or scope["status"] not in statuses
    ):
        known = ", ".join(statuses)
        raise InputError([f"{source}: scopes[{index}]: needs a scope name and a status ({known})"])
    detail = scope.get("detail", "")
    return ScopeOutcome(scope=scope["scope"], status=statuses[scope["status"]], detail=str(detail))


class AwsCollector(Protocol):
    """A plugin that reads AWS accounts and never writes."""

    def collect(self) -> AwsCollection: ...
