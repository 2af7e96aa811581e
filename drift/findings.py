"""Findings: what drifted from the approved design, with evidence and a stable fingerprint.

A finding's fingerprint is made of its kind, the cluster and its subjects — never ports, the
baseline version or evidence — so widening 8080 to 8080-8081 updates a finding instead of
opening a new one, and re-approving a baseline keeps accepted risks. A flow finding covers one
pair and every protocol on it (issue 4: "one finding for the pair naming the extra ports"),
so its protocol stays out of the fingerprint too; `protocol` is kept for kinds that need it.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field

from drift.k8s.objects import SourceRef
from drift.model import Evidence as Evidence  # re-exported: findings carry evidence
from drift.ports import PortSet, Protocol


class Severity(enum.StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    def raised(self, steps: int = 1) -> Severity:
        """This severity raised by `steps`, at most critical."""
        order = list(Severity)
        return order[min(len(order) - 1, self.rank + steps)]


_SEVERITY_RANK = {s: i for i, s in enumerate(Severity)}


class FindingKind(enum.StrEnum):
    FLOW = "implicit-trust.flow"
    UNAUTHENTICATED = "implicit-trust.unauthenticated"
    NO_DEFAULT_DENY = "implicit-trust.no-default-deny"
    SHARED_IDENTITY = "implicit-trust.shared-identity"
    TRUST_RELATION = "implicit-trust.trust-relation"
    MISBOUND_IDENTITY = "implicit-trust.misbound-identity"
    PRIVILEGE_WIDENED = "privilege.widened"
    EXPOSURE_WIDENED = "exposure.widened"
    BLAST_RADIUS_WIDENED = "blast-radius.widened"
    INVENTORY_UNKNOWN = "inventory.unknown"
    INVENTORY_MISSING = "inventory.missing"


@dataclass(frozen=True, kw_only=True)
class PathStep:
    """One step of an attack path: `source` becomes or reaches `target` through `relation`
    (an edge type: runs_as, assumes, connects, can), because of the objects in `evidence`."""

    source: str
    relation: str
    target: str
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Finding:
    kind: FindingKind
    severity: Severity
    cluster: str
    subjects: tuple[str, ...]  # stable ids: `service:<name>`, node ids, `internet`
    title: str  # one line for a person
    detail: str = ""  # what exactly: ports, scopes, names
    protocol: Protocol | None = None  # a kind judged per protocol (none yet)
    ports: PortSet | None = None  # flows, exposure: the ports beyond the design
    evidence: tuple[Evidence, ...] = ()
    clause: str = ""  # the baseline clause broken, `file:line: field`
    baseline_version: str = ""
    location: SourceRef | None = None  # where a fix would go: a manifest file and line
    # The design zone the finding sits in (a flow's destination, an exposed service's zone);
    # empty outside every zone. Not part of the fingerprint: metrics and reports group by it.
    zone: str = ""
    path: tuple[PathStep, ...] = ()  # blast radius: how the attacker gets there, step by step

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.kind, self.cluster, self.subjects, self.protocol)


def fingerprint(
    kind: FindingKind, cluster: str, subjects: tuple[str, ...], protocol: Protocol | None
) -> str:
    parts = [str(kind), cluster, *subjects, str(protocol or "")]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


@dataclass(frozen=True, kw_only=True)
class Unknown:
    """An answer the inputs do not decide: reported apart from findings."""

    subjects: tuple[str, ...]
    detail: str
    reasons: tuple[str, ...] = ()
    location: SourceRef | None = None


@dataclass(frozen=True, kw_only=True)
class CheckResult:
    """Everything one check found, judged against one baseline version."""

    baseline_name: str
    baseline_version: str
    baseline_path: str
    cluster: str
    source: str  # what was checked, e.g. the manifest paths
    findings: tuple[Finding, ...] = ()
    unknowns: tuple[Unknown, ...] = ()
    notes: tuple[str, ...] = field(default=())  # for a person: ambiguities, warnings

    def at_or_above(self, threshold: Severity) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity.rank >= threshold.rank)
