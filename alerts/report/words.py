"""The design's words for what the store keeps as ids: pure functions, no I/O.

A report is read by architects, so it speaks the baseline's language: `service:payment` is
"payment", a clause `/etc/drift/baselines/prod.yaml:13: flows` is `prod.yaml:13: flows`, and a
Kubernetes object id `k8s:prod/shop/ServiceAccount/web` is "ServiceAccount shop/web".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

SEVERITIES = ("critical", "high", "medium", "low", "info")  # most severe first
SEVERITY_COLOURS = {
    "critical": "#7f1d1d",
    "high": "#dc2626",
    "medium": "#f59e0b",
    "low": "#3b82f6",
    "info": "#9ca3af",
}

KIND_LABELS = {
    "implicit-trust.flow": "flow beyond the design",
    "implicit-trust.unauthenticated": "flow without required mTLS",
    "implicit-trust.no-default-deny": "zone without default deny",
    "implicit-trust.shared-identity": "shared identity",
    "implicit-trust.trust-relation": "new trust relation",
    "implicit-trust.misbound-identity": "role its trust policy refuses",
    "privilege.widened": "privilege widened",
    "exposure.widened": "exposure widened",
    "blast-radius.widened": "blast radius widened",
    "inventory.unknown": "not in the design",
    "inventory.missing": "missing from the live system",
}

RELATION_LABELS = {
    "runs_as": "runs as",
    "assumes": "can act as",
    "can": "is allowed to reach",
    "connects": "can connect to",
    "exposes": "publishes",
}

IDENTITY_KINDS = frozenset({"ServiceAccount", "User", "Group"})
_K8S = re.compile(
    r"^k8s:(?P<cluster>[^/]+)/(?:(?P<ns>[^/]+)/)?(?P<kind>[A-Z][A-Za-z]*)/(?P<name>.+)$"
)


def severity_rank(severity: str) -> int:
    """0 for critical … 4 for info; unknown severities last."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


def relation_label(relation: str) -> str:
    return RELATION_LABELS.get(relation, relation.replace("_", " "))


def subject_name(subject: str) -> str:
    """How a person names a subject: the service's name, or the object's kind and name."""
    if subject.startswith("service:"):
        return subject.removeprefix("service:")
    if subject.startswith("zone:"):
        return f"zone {subject.removeprefix('zone:')}"
    if subject == "internet":
        return "the internet"
    if subject.startswith("k8s:") and subject.endswith("/unlisted"):
        return "pods of unlisted namespaces"
    if subject.startswith("net:"):
        return subject.split("/", 1)[-1]
    match = _K8S.match(subject)
    if match is None:
        return subject
    where = f"{match['ns']}/{match['name']}" if match["ns"] else match["name"]
    return f"{match['kind']} {where}"


def subject_kind(subject: str) -> str:
    """`service`, `identity`, `workload`, `network`, `internet` or `resource`."""
    if subject.startswith("service:"):
        return "service"
    if subject == "internet":
        return "internet"
    if subject.startswith("net:") or subject.endswith("/unlisted"):
        return "network"
    if subject.startswith("aws:"):
        return "identity" if re.search(r":(role|user)/", subject) else "resource"
    match = _K8S.match(subject)
    if match is None:
        return "resource"
    kind = match["kind"]
    if kind in IDENTITY_KINDS:
        return "identity"
    if kind in {"Role", "ClusterRole", "Secret", "ConfigMap"}:
        return "resource"
    return "workload"


def clause_words(clause: str) -> str:
    """A baseline clause with the file's name only: `baseline.yaml:13: flows`."""
    head, sep, rest = clause.partition(": ")
    path, colon, line = head.rpartition(":")
    if colon and line.isdigit():
        return f"{PurePath(path).name}:{line}{sep}{rest}"
    return f"{PurePath(head).name}{sep}{rest}" if "/" in head else clause


def source_words(source: Mapping[str, Any] | None) -> str:
    """Where evidence was written: `workloads.yaml:41`, or '' when unknown."""
    if not source or not source.get("file"):
        return ""
    file = str(source["file"])
    if "://" in file:
        return "live API"  # read from a cluster: the evidence text names the object
    name = PurePath(file).name
    line = source.get("line")
    return f"{name}:{line}" if line is not None else name
