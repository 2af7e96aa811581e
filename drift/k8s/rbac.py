"""Effective RBAC: what each subject may do, read from Roles, ClusterRoles and their bindings.

Meaning (rbac.authorization.k8s.io/v1), as Kubernetes' RBAC authorizer decides a request:

- A ClusterRoleBinding grants its ClusterRole's rules everywhere: in every namespace, on
  cluster-scoped resources, and on non-resource URLs.
- A RoleBinding grants the rules of a Role of its own namespace, or of a ClusterRole, only
  to requests in the binding's namespace: never a cluster-scoped resource, a request across
  all namespaces, or a non-resource URL (those requests carry no namespace).
- A ServiceAccount subject of a RoleBinding without a namespace is in the binding's.
- A subject's requests are allowed when a rule bound to it, or to one of its groups
  (`drift.k8s.subjects.memberships`), matches (`drift.k8s.rbac_rules`). RBAC only adds:
  there is no deny rule.
- A binding whose role is not in the input (nor among the built-in roles shipped in
  `drift/k8s/data`) grants something we cannot see: its grants are *unknown*, never empty,
  never everything. Each is kept, with the reason, in `Rbac.unknowns`.

`read_rbac` validates every Role, ClusterRole and binding as the API server would, appending
one-line problems; the caller raises them together (`ManifestError`).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from drift.k8s.inventory import Inventory
from drift.k8s.objects import FieldPath, KubeObject
from drift.k8s.rbac_roles import RBAC_GROUP, RoleSet, read_roles
from drift.k8s.rbac_rules import UNNAMED_VERBS, PolicyRule, grantable_in_namespace
from drift.k8s.subjects import (
    AUTHENTICATED,
    UNAUTHENTICATED,
    Subject,
    SubjectKind,
    memberships,
)
from drift.model import Evidence

ROLE_BINDING = (RBAC_GROUP, "RoleBinding")
CLUSTER_ROLE_BINDING = (RBAC_GROUP, "ClusterRoleBinding")
_SUBJECT_GROUPS = {
    "ServiceAccount": ("",),
    "User": ("", RBAC_GROUP),  # an omitted apiGroup defaults to the RBAC group
    "Group": ("", RBAC_GROUP),
}


@dataclass(frozen=True, kw_only=True)
class Binding:
    """A RoleBinding (namespace set) or ClusterRoleBinding (namespace None)."""

    kind: str
    name: str
    namespace: str | None
    role_kind: str
    role_name: str
    subjects: tuple[Subject, ...]
    evidence: Evidence

    @property
    def role_text(self) -> str:
        if self.role_kind == "Role":
            return f"Role {self.namespace}/{self.role_name}"
        return f"ClusterRole {self.role_name}"


@dataclass(frozen=True, kw_only=True)
class EffectiveRule:
    """A rule in force for `subject` (the one a binding names: the subject asked about, or a
    group it is in), in one namespace or cluster-wide (`namespace` None).

    `role` is the bound role; `origin` the role the rule is written in, when that is another
    one (an aggregated ClusterRole's rule comes from a role its selectors match)."""

    rule: PolicyRule
    namespace: str | None
    subject: Subject
    binding: Evidence
    role: Evidence
    origin: Evidence | None = None

    @property
    def evidence(self) -> tuple[Evidence, ...]:
        found = (self.binding, self.role)
        return found if self.origin is None else (*found, self.origin)

    def applies_in(self, namespace: str | None) -> bool:
        """Whether the rule can apply to a request in `namespace` (None: no namespace)."""
        return self.namespace is None or self.namespace == namespace


@dataclass(frozen=True, kw_only=True)
class UnknownGrant:
    """A binding whose role is not in the input: it may grant its subjects anything in its
    scope. `reason` is one line naming the file and line of the binding."""

    subjects: tuple[Subject, ...]
    namespace: str | None
    binding: Evidence
    reason: str

    def applies_in(self, namespace: str | None) -> bool:
        return self.namespace is None or self.namespace == namespace


class Decision(enum.StrEnum):
    ALLOW = "allow"
    DENY = "deny"  # no rule grants it
    UNKNOWN = "unknown"  # none we can see does, but a binding to a missing role could


@dataclass(frozen=True, kw_only=True)
class Verdict:
    """The answer to one request, with what decides it (the binding, role and origin of the
    first matching rule; or the bindings whose missing roles leave it open)."""

    decision: Decision
    evidence: tuple[Evidence, ...] = ()
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, order=True)
class PermissionTarget:
    """What a permission applies to, as the rule writes it (`*` kept): in a namespace or
    cluster-wide (None), an API group and resource (`pods/exec`, `*`, `*/scale`) and
    optionally one object name; or a non-resource URL (`url` set, group and resource empty)."""

    namespace: str | None
    api_group: str
    resource: str
    resource_name: str | None = None
    url: str | None = None


@dataclass(frozen=True, kw_only=True)
class Permission:
    target: PermissionTarget
    verbs: frozenset[str]
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True, kw_only=True)
class Rbac:
    """Every binding's effect, indexed by the subject each binding names."""

    bindings: tuple[Binding, ...]
    unknowns: tuple[UnknownGrant, ...]
    known_subjects: tuple[Subject, ...]
    # What each binding names (a subject itself, not through its groups).
    rules_by_subject: Mapping[Subject, tuple[EffectiveRule, ...]] = field(repr=False)
    unknowns_by_subject: Mapping[Subject, tuple[UnknownGrant, ...]] = field(repr=False)
    _cache: dict[Subject, tuple[EffectiveRule, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def subjects(self) -> tuple[Subject, ...]:
        """Every subject a binding names, and every ServiceAccount the input declares or a
        workload runs as (they hold what their groups are granted), sorted."""
        return self.known_subjects

    def rules_for(self, subject: Subject, *, inherited: bool = True) -> tuple[EffectiveRule, ...]:
        """The rules in force for `subject`: bound to it and (`inherited`) to its groups."""
        subject = _canonical(subject)
        if not inherited:
            return self.rules_by_subject.get(subject, ())
        cached = self._cache.get(subject)
        if cached is None:
            cached = tuple(
                r for s in memberships(subject) for r in self.rules_by_subject.get(s, ())
            )
            self._cache[subject] = cached
        return cached

    def unknowns_for(self, subject: Subject) -> tuple[UnknownGrant, ...]:
        """Bindings to missing roles that name `subject` or one of its groups."""
        subject = _canonical(subject)
        return tuple(u for s in memberships(subject) for u in self.unknowns_by_subject.get(s, ()))

    def allows(
        self,
        subject: Subject,
        *,
        verb: str,
        group: str,
        resource: str,
        subresource: str = "",
        namespace: str | None,
        name: str | None = None,
    ) -> Verdict:
        """Whether `subject` may make this resource request. `namespace` None is a request
        without one: a cluster-scoped resource, or a list across all namespaces. `name` is the
        object's (for list/watch: one selected by `metadata.name`); creating or deleting a
        collection carries none, whatever is passed."""
        if verb in UNNAMED_VERBS and not subresource:
            name = None
        for effective in self.rules_for(subject):
            if effective.applies_in(namespace) and effective.rule.matches(
                verb=verb, group=group, resource=resource, subresource=subresource, name=name
            ):
                return Verdict(decision=Decision.ALLOW, evidence=effective.evidence)
        return self._no_rule(subject, namespace)

    def allows_url(self, subject: Subject, *, verb: str, path: str) -> Verdict:
        """Whether `subject` may `verb` (lowercase HTTP method) the non-resource URL `path`;
        only ClusterRoleBindings grant these."""
        for effective in self.rules_for(subject):
            if effective.namespace is None and effective.rule.matches_url(verb=verb, path=path):
                return Verdict(decision=Decision.ALLOW, evidence=effective.evidence)
        return self._no_rule(subject, None)

    def _no_rule(self, subject: Subject, namespace: str | None) -> Verdict:
        open_ = [u for u in self.unknowns_for(subject) if u.applies_in(namespace)]
        if open_:
            return Verdict(
                decision=Decision.UNKNOWN,
                evidence=tuple(u.binding for u in open_),
                reasons=tuple(u.reason for u in open_),
            )
        return Verdict(decision=Decision.DENY, reasons=(f"no rule grants it to {subject}",))

    def permissions(
        self,
        subject: Subject,
        *,
        inherited: bool = True,
        keep: Callable[[EffectiveRule], bool] | None = None,
    ) -> tuple[Permission, ...]:
        """What `subject` may do, grouped by target with the verbs as written, for `can`
        edges. Targets a RoleBinding cannot grant (cluster-scoped resources, URLs) are left
        out; wildcards are kept as written. `keep` chooses the rules that count."""
        verbs: dict[PermissionTarget, set[str]] = {}
        evidence: dict[PermissionTarget, dict[Evidence, None]] = {}
        for effective in self.rules_for(subject, inherited=inherited):
            if keep is not None and not keep(effective):
                continue
            for target, target_verbs in _targets(effective):
                verbs.setdefault(target, set()).update(target_verbs)
                evidence.setdefault(target, {}).update(dict.fromkeys(effective.evidence))
        return tuple(
            Permission(target=t, verbs=frozenset(verbs[t]), evidence=tuple(evidence[t]))
            for t in sorted(verbs, key=_target_key)
        )


# The ClusterRoleBindings every cluster is created with for all (un)authenticated callers:
# API discovery, reviews of one's own access, public version and health information.
_PLATFORM_DEFAULT_BINDINGS = frozenset(
    f"ClusterRoleBinding {name}"
    for name in ("system:basic-user", "system:discovery", "system:public-info-viewer")
)


def is_platform_default(rule: EffectiveRule) -> bool:
    """Whether `rule` is one of the grants Kubernetes gives every caller by default (through
    its own bootstrap bindings to system:authenticated or system:unauthenticated): the
    platform's, not a design's. Judged by the binding's name, so a bootstrap role edited to
    grant more would go unnoticed here."""
    return (
        rule.subject.kind is SubjectKind.GROUP
        and rule.subject.name in (AUTHENTICATED, UNAUTHENTICATED)
        and rule.binding.text in _PLATFORM_DEFAULT_BINDINGS
    )


def _target_key(target: PermissionTarget) -> tuple[Any, ...]:
    return (
        target.namespace or "",
        target.api_group,
        target.resource,
        target.resource_name or "",
        target.url or "",
    )


def _targets(effective: EffectiveRule) -> Iterable[tuple[PermissionTarget, tuple[str, ...]]]:
    rule, namespace = effective.rule, effective.namespace
    if rule.urls:
        if namespace is None:
            for url in rule.urls:
                yield (
                    PermissionTarget(namespace=None, api_group="", resource="", url=url),
                    rule.verbs,
                )
        return
    for group in rule.api_groups:
        for resource in rule.resources:
            verbs = rule.verbs
            if namespace is not None:
                verbs = tuple(v for v in verbs if grantable_in_namespace(group, resource, v))
            if not verbs:
                continue
            for name in rule.resource_names or (None,):
                yield (
                    PermissionTarget(
                        namespace=namespace, api_group=group, resource=resource, resource_name=name
                    ),
                    verbs,
                )


def read_rbac(inventory: Inventory, problems: list[str]) -> Rbac:
    """Every binding's grants, by subject; problems are appended, one line each."""
    roles = read_roles(inventory, problems)
    bindings = [
        binding
        for gk in (CLUSTER_ROLE_BINDING, ROLE_BINDING)
        for obj in inventory.of_kind(gk)
        if (binding := read_binding(obj, problems)) is not None
    ]
    rules: dict[Subject, list[EffectiveRule]] = {}
    unknowns: list[UnknownGrant] = []
    for binding in bindings:
        unknown = _grant(binding, roles, rules)
        if unknown is not None:
            unknowns.append(unknown)
    by_subject: dict[Subject, list[UnknownGrant]] = {}
    for unknown in unknowns:
        for subject in unknown.subjects:
            by_subject.setdefault(subject, []).append(unknown)
    return Rbac(
        bindings=tuple(bindings),
        unknowns=tuple(unknowns),
        known_subjects=_known_subjects(inventory, bindings),
        rules_by_subject={s: tuple(r) for s, r in rules.items()},
        unknowns_by_subject={s: tuple(u) for s, u in by_subject.items()},
    )


def _grant(
    binding: Binding, roles: RoleSet, rules: dict[Subject, list[EffectiveRule]]
) -> UnknownGrant | None:
    role = roles.find(binding.role_kind, binding.role_name, binding.namespace)
    if role is None:
        where = binding.evidence.source
        return UnknownGrant(
            subjects=binding.subjects,
            namespace=binding.namespace,
            binding=binding.evidence,
            reason=f"{where}: {binding.evidence.text}: roleRef: {binding.role_text} is not in "
            "the input; what it grants is unknown",
        )
    for subject in binding.subjects:
        found = rules.setdefault(subject, [])
        for sourced in role.rules:
            found.append(
                EffectiveRule(
                    rule=sourced.rule,
                    namespace=binding.namespace,
                    subject=subject,
                    binding=binding.evidence,
                    role=role.evidence,
                    origin=None if sourced.origin == role.evidence else sourced.origin,
                )
            )
    return None


def _known_subjects(inventory: Inventory, bindings: Iterable[Binding]) -> tuple[Subject, ...]:
    found = {s for b in bindings for s in b.subjects}
    found.update(Subject.service_account(ns, name) for ns, name in inventory.service_accounts)
    found.update(
        Subject.service_account(w.namespace, w.service_account) for w in inventory.workloads
    )
    return tuple(sorted(found, key=lambda s: (s.kind.value, s.namespace or "", s.name)))


def _canonical(subject: Subject) -> Subject:
    """A User named as a ServiceAccount's username is that ServiceAccount."""
    return Subject.user(subject.name) if subject.kind is SubjectKind.USER else subject


def read_binding(obj: KubeObject, problems: list[str]) -> Binding | None:
    """One RoleBinding or ClusterRoleBinding, validated; None (with problems) if unusable."""
    before = len(problems)
    namespaced = obj.kind == "RoleBinding"
    role_kind, role_name = _role_ref(obj, namespaced, problems)
    subjects = _subjects(obj, namespaced, problems)
    if len(problems) > before or role_kind is None or role_name is None:
        return None
    return Binding(
        kind=obj.kind,
        name=obj.name,
        namespace=obj.namespace if namespaced else None,
        role_kind=role_kind,
        role_name=role_name,
        subjects=subjects,
        evidence=Evidence(text=obj.display_name, source=obj.source),
    )


def _role_ref(
    obj: KubeObject, namespaced: bool, problems: list[str]
) -> tuple[str | None, str | None]:
    ref = obj.get(("roleRef",))
    if not isinstance(ref, Mapping):
        problems.append(obj.problem(("roleRef",), "required: the role this binding grants"))
        return None, None
    kinds = ("Role", "ClusterRole") if namespaced else ("ClusterRole",)
    kind, name, group = ref.get("kind"), ref.get("name"), ref.get("apiGroup") or RBAC_GROUP
    if kind not in kinds:
        expected = " or ".join(kinds)
        problems.append(obj.problem(("roleRef", "kind"), f"{kind!r} is not {expected}"))
    if group != RBAC_GROUP:
        problems.append(obj.problem(("roleRef", "apiGroup"), f"must be {RBAC_GROUP}"))
    if not isinstance(name, str) or not name:
        problems.append(obj.problem(("roleRef", "name"), "required: a non-empty role name"))
        return None, None
    return (kind if kind in kinds else None), name


def _subjects(obj: KubeObject, namespaced: bool, problems: list[str]) -> tuple[Subject, ...]:
    raw = obj.get(("subjects",))
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.append(obj.problem(("subjects",), "must be a list"))
        return ()
    found = []
    for index, entry in enumerate(raw):
        subject = _subject(obj, ("subjects", index), entry, namespaced, problems)
        if subject is not None:
            found.append(subject)
    return tuple(dict.fromkeys(found))


def _subject(
    obj: KubeObject, path: FieldPath, raw: Any, namespaced: bool, problems: list[str]
) -> Subject | None:
    if not isinstance(raw, Mapping):
        problems.append(obj.problem(path, "a subject must be a mapping"))
        return None
    kind, name = raw.get("kind"), raw.get("name")
    if kind not in _SUBJECT_GROUPS:
        problems.append(
            obj.problem((*path, "kind"), f"{kind!r} is not ServiceAccount, User or Group")
        )
        return None
    if not isinstance(name, str) or not name:
        problems.append(obj.problem((*path, "name"), "required: a non-empty name"))
        return None
    if (raw.get("apiGroup") or "") not in _SUBJECT_GROUPS[kind]:
        expected = f"{RBAC_GROUP!r}" if kind != "ServiceAccount" else '"" (the core group)'
        problems.append(obj.problem((*path, "apiGroup"), f"must be {expected} for a {kind}"))
        return None
    if kind == "User":
        return Subject.user(name)
    if kind == "Group":
        return Subject.group(name)
    namespace = raw.get("namespace") or (obj.namespace if namespaced else None)
    if not isinstance(namespace, str) or not namespace:
        problems.append(obj.problem((*path, "namespace"), "required for a ServiceAccount subject"))
        return None
    return Subject.service_account(namespace, name)
