"""The vocabulary of escalations (see `drift.k8s.escalation`): targets, grants, what exists."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from drift.k8s.rbac import Rbac
from drift.k8s.rbac_rules import UNNAMED_VERBS, grantable_in_namespace
from drift.k8s.subjects import Subject, SubjectKind
from drift.k8s.tokens import StoredToken
from drift.model import Evidence

NODE_CREDENTIALS = Subject(kind=SubjectKind.NODE, name="*")
ANY_USER = Subject(kind=SubjectKind.USER, name="*")
ANY_GROUP = Subject(kind=SubjectKind.GROUP, name="*")


@dataclass(frozen=True, kw_only=True, order=True)
class WorkloadRef:
    """A workload (as in `drift.k8s.workloads.Workload`) whose pods the source can enter."""

    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"


Target = Subject | WorkloadRef


@dataclass(frozen=True, kw_only=True)
class Escalation:
    source: Subject
    target: Target
    via: str
    evidence: tuple[Evidence, ...]
    certain: bool
    unbounded: bool = False


@dataclass(frozen=True, kw_only=True)
class Grant:
    """Where a subject holds a permission: a namespace or cluster-wide (None), for every
    object or only `names`, with its evidence; `certain` False when it comes from a binding
    to a missing role."""

    namespace: str | None
    names: frozenset[str] | None
    evidence: tuple[Evidence, ...]
    certain: bool = True

    def names_text(self) -> str:
        return "" if self.names is None else f" named {', '.join(sorted(self.names))}"


@dataclass(frozen=True, kw_only=True)
class Universe:
    """What the input knows exists: namespaces, ServiceAccounts, workloads, stored tokens."""

    namespaces: tuple[str, ...]
    accounts: Mapping[str, tuple[Subject, ...]]  # namespace -> ServiceAccounts
    workloads: Mapping[str, tuple[WorkloadRef, ...]]
    runs_as: Mapping[WorkloadRef, Subject]
    tokens: tuple[StoredToken, ...]
    users: tuple[Subject, ...]
    groups: tuple[Subject, ...]

    def scope(self, namespace: str | None) -> tuple[str, ...]:
        return self.namespaces if namespace is None else (namespace,)

    def accounts_in(self, namespace: str | None) -> list[Subject]:
        return [a for ns in self.scope(namespace) for a in self.accounts.get(ns, ())]

    def workloads_in(self, namespace: str | None) -> list[WorkloadRef]:
        return [w for ns in self.scope(namespace) for w in self.workloads.get(ns, ())]


def grants(
    rbac: Rbac,
    subject: Subject,
    verbs: Iterable[str],
    group: str,
    resource: str,
    subresource: str = "",
) -> list[Grant]:
    """Where `subject` holds one of `verbs` on the resource: rules that match it (a
    RoleBinding only where it can grant it; names only for verbs a request names), and
    bindings to missing roles that could."""
    verbs = tuple(verbs)
    combined = f"{resource}/{subresource}" if subresource else resource
    found = []
    for effective in rbac.rules_for(subject):
        rule = effective.rule
        if not (rule.is_resource_rule and rule.allows_group(group)):
            continue
        if not rule.allows_resource(resource, subresource):
            continue
        usable = [
            v
            for v in verbs
            if rule.allows_verb(v)
            and (effective.namespace is None or grantable_in_namespace(group, combined, v))
            and not (rule.resource_names and v in UNNAMED_VERBS and not subresource)
        ]
        if usable:
            names = frozenset(rule.resource_names) or None
            found.append(
                Grant(namespace=effective.namespace, names=names, evidence=effective.evidence)
            )
    found.extend(
        Grant(namespace=u.namespace, names=None, evidence=(u.binding,), certain=False)
        for u in rbac.unknowns_for(subject)
        if u.namespace is None or any(grantable_in_namespace(group, combined, v) for v in verbs)
    )
    return found


def holds(
    rbac: Rbac,
    subject: Subject,
    verbs: Iterable[str],
    group: str,
    resource: str,
    namespace: str | None,
) -> bool:
    """Whether a certain grant of one of `verbs` on every object of `resource` reaches
    `namespace` (None: cluster-wide)."""
    return any(
        g.certain and g.names is None and (g.namespace is None or g.namespace == namespace)
        for g in grants(rbac, subject, verbs, group, resource)
    )


def reaches_pods_of(grant: Grant, workload: WorkloadRef) -> bool | None:
    """Whether a grant limited by pod names covers a workload's pods: True (every name, or
    a bare Pod it names), None (a controller's pods, whose names are generated: maybe) or
    False (a bare Pod it does not name)."""
    if grant.names is None or (workload.kind == "Pod" and workload.name in grant.names):
        return True
    return None if workload.kind != "Pod" else False


def where(namespace: str | None) -> str:
    return "in every namespace" if namespace is None else f"in namespace {namespace}"
