"""What an identity can *become*: the RBAC grants and workload settings that hand over
another identity's power (the model's `assumes` edges).

An `Escalation` goes from a subject to a target:

- a ServiceAccount `Subject`: the source can obtain its token, or run code as it;
- a `WorkloadRef`: the source can run commands in the workload's pods (exec, attach,
  ephemeral containers), so it acts as whatever the workload runs as;
- `NODE_CREDENTIALS` (or one named node, `Subject(kind=NODE, name=<node>)`): the kubelet's
  power, which reaches every pod on the node;
- a User or Group `Subject` (impersonation), and `ANY_USER` / `ANY_GROUP` where the source
  can become a user or group of its choosing (client certificates, impersonating `*`).

`unbounded` marks a path to any permission in its scope (cluster-wide or one namespace):
binding or escalating roles, rewriting admission webhooks, minting client certificates,
impersonating any user or group. Its targets are then every ServiceAccount in scope.

`certain` is False where the input does not decide whether the step works: the grant comes
through a binding whose role is missing (`Rbac.unknowns`), `resourceNames` may or may not
name the target, or the step needs a second permission the source is not seen to hold
(the cases are documented with each path in `drift.k8s.escalation_paths`).

ServiceAccounts in scope are the ones the input knows: declared, run by a workload, or
named by a binding, plus `default`, which Kubernetes creates in every namespace.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable

from drift.k8s.escalation_base import (
    ANY_GROUP,
    ANY_USER,
    NODE_CREDENTIALS,
    Escalation,
    Grant,
    Target,
    Universe,
    WorkloadRef,
    grants,
)
from drift.k8s.escalation_paths import PATHS, node_access
from drift.k8s.inventory import Inventory
from drift.k8s.rbac import Rbac
from drift.k8s.subjects import Subject, SubjectKind
from drift.k8s.tokens import stored_tokens

__all__ = [
    "ANY_GROUP",
    "ANY_USER",
    "NODE_CREDENTIALS",
    "Escalation",
    "Grant",
    "Target",
    "Universe",
    "WorkloadRef",
    "by_pair",
    "escalations",
    "grants",
    "universe",
]


def universe(inventory: Inventory, rbac: Rbac) -> Universe:
    """What escalations can reach: the namespaces, accounts (with each namespace's
    `default`), workloads, stored tokens, users and groups the input shows."""
    subjects = rbac.subjects()
    accounts = {s for s in subjects if s.kind is SubjectKind.SERVICE_ACCOUNT}
    namespaces = set(inventory.namespaces) | {a.namespace or "" for a in accounts}
    accounts.update(Subject.service_account(ns, "default") for ns in namespaces)
    by_namespace: dict[str, list[Subject]] = {}
    for account in sorted(accounts):
        by_namespace.setdefault(account.namespace or "", []).append(account)
    workloads: dict[str, list[WorkloadRef]] = {}
    runs_as: dict[WorkloadRef, Subject] = {}
    for w in inventory.workloads:
        ref = WorkloadRef(kind=w.kind, namespace=w.namespace, name=w.name)
        workloads.setdefault(w.namespace, []).append(ref)
        runs_as[ref] = Subject.service_account(w.namespace, w.service_account)
    return Universe(
        namespaces=tuple(sorted(namespaces)),
        accounts={ns: tuple(a) for ns, a in by_namespace.items()},
        workloads={ns: tuple(w) for ns, w in workloads.items()},
        runs_as=runs_as,
        tokens=stored_tokens(inventory),
        users=tuple(s for s in subjects if s.kind is SubjectKind.USER),
        groups=tuple(s for s in subjects if s.kind is SubjectKind.GROUP),
    )


def escalations(inventory: Inventory, rbac: Rbac) -> tuple[Escalation, ...]:
    """Every escalation of every subject, one per (source, target, via), sorted."""
    known = universe(inventory, rbac)
    found: list[Escalation] = []
    for subject in rbac.subjects():
        for path in PATHS:
            found.extend(e for e in path(rbac, subject, known) if e.target != subject)
    found.extend(node_access(inventory))
    return merge(found, key=lambda e: (e.source, e.target, e.via))


def by_pair(found: Iterable[Escalation]) -> tuple[Escalation, ...]:
    """One escalation per (source, target), as an `assumes` edge: the vias joined, evidence
    pooled, certain if any path is, unbounded if any is."""
    return merge(found, key=lambda e: (e.source, e.target))


def merge(
    found: Iterable[Escalation], *, key: Callable[[Escalation], Hashable]
) -> tuple[Escalation, ...]:
    groups: dict[Hashable, list[Escalation]] = {}
    for escalation in found:
        groups.setdefault(key(escalation), []).append(escalation)
    merged = [_merge(g) for g in groups.values()]
    return tuple(sorted(merged, key=_sort_key))


def _merge(group: list[Escalation]) -> Escalation:
    first = group[0]
    return Escalation(
        source=first.source,
        target=first.target,
        via="; ".join(dict.fromkeys(e.via for e in group)),
        evidence=tuple(dict.fromkeys(ev for e in group for ev in e.evidence)),
        certain=any(e.certain for e in group),
        unbounded=any(e.unbounded for e in group),
    )


def _sort_key(e: Escalation) -> tuple[str, ...]:
    return (*_subject_key(e.source), *_target_key(e.target), e.via)


def _subject_key(s: Subject) -> tuple[str, str, str]:
    return (s.kind.value, s.namespace or "", s.name)


def _target_key(t: Target) -> tuple[str, str, str]:
    return _subject_key(t) if isinstance(t, Subject) else (f"~{t.kind}", t.namespace, t.name)
