"""What collectors hand the core: plain objects plus what happened to each scope.

A scope is one thing a collector tried to read (a file, a resource type in a cluster). Its
outcome says whether its absence from the objects means "there are none" (ok) or "we could
not see" (forbidden, failed): the second must never resolve a finding.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

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
    """One collection of a Kubernetes source.

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
