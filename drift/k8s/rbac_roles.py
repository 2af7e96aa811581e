"""Roles and ClusterRoles: their rules, Kubernetes' built-in roles, and aggregation.

An aggregated ClusterRole (`aggregationRule.clusterRoleSelectors`) holds the union of the
rules of every other ClusterRole one of its selectors matches; Kubernetes' controller writes
that union into its `rules`, and keeps it current as roles and labels change. Here the union
is computed from the roles of the input (and the built-in ones), to a fixed point, since an
aggregated role can itself be aggregated (`view` into `edit` into `admin`). A live object's
written rules may be filled already, or stale: the result is the union of the written rules
and the computed ones. An empty selector (`{}`) matches every ClusterRole.

From manifests, the cluster may hold more ClusterRoles than the input (any operator's
`aggregate-to-view` role), so an aggregated role may grant more than computed here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

from drift.errors import ManifestError
from drift.k8s.inventory import Inventory
from drift.k8s.labels import LabelView, Selector, Truth, parse_labels, parse_selector
from drift.k8s.objects import KubeObject, SourceRef
from drift.k8s.rbac_rules import PolicyRule, read_rules
from drift.model import Evidence
from drift.yamlread import Document, read_documents

RBAC_GROUP = "rbac.authorization.k8s.io"
ROLE = (RBAC_GROUP, "Role")
CLUSTER_ROLE = (RBAC_GROUP, "ClusterRole")

BOOTSTRAP_FILE = "bootstrap_roles.yaml"
BOOTSTRAP_VERSION = "1.31"
_BOOTSTRAP_SOURCE = f"<built-in>/drift/k8s/data/{BOOTSTRAP_FILE}"


@dataclass(frozen=True, kw_only=True)
class SourcedRule:
    """A rule and the role it is written in (for an aggregated role: where it came from)."""

    rule: PolicyRule
    origin: Evidence


@dataclass(frozen=True, kw_only=True)
class Role:
    """A Role (namespace set) or ClusterRole with its effective rules."""

    kind: str
    name: str
    namespace: str | None
    rules: tuple[SourcedRule, ...]
    evidence: Evidence
    aggregated: bool = False
    builtin: bool = False


@dataclass(frozen=True, kw_only=True)
class RoleSet:
    roles: Mapping[tuple[str, str], Role]  # (namespace, name) -> Role
    cluster_roles: Mapping[str, Role]

    def find(self, kind: str, name: str, namespace: str | None) -> Role | None:
        """The role a roleRef names; a Role is looked up in the binding's namespace."""
        if kind == "ClusterRole":
            return self.cluster_roles.get(name)
        return self.roles.get((namespace or "", name))


def role_evidence(obj: KubeObject, builtin: bool = False) -> Evidence:
    text = obj.display_name
    if builtin:
        text += f" (built-in, Kubernetes {BOOTSTRAP_VERSION})"
    return Evidence(text=text, source=obj.source)


def read_roles(inventory: Inventory, problems: list[str]) -> RoleSet:
    """Every Role and ClusterRole (built-in ones under those of the input), aggregated."""
    shipped = bootstrap_roles()
    roles = {}
    for obj in [o for o in shipped if o.kind == "Role"] + list(inventory.of_kind(ROLE)):
        rules = read_rules(obj, ("rules",), problems, namespaced=True)
        roles[(obj.namespace or "", obj.name)] = _role(obj, rules, obj in shipped)
    given = {obj.name: obj for obj in inventory.of_kind(CLUSTER_ROLE)}
    builtin = {o.name: o for o in shipped if o.kind == "ClusterRole" and o.name not in given}
    cluster_roles = _aggregate([*given.values(), *builtin.values()], set(builtin), problems)
    return RoleSet(roles=roles, cluster_roles=cluster_roles)


def _role(obj: KubeObject, rules: Iterable[PolicyRule], builtin: bool = False) -> Role:
    evidence = role_evidence(obj, builtin)
    return Role(
        kind=obj.kind,
        name=obj.name,
        namespace=obj.namespace,
        rules=tuple(SourcedRule(rule=r, origin=evidence) for r in _unique(rules)),
        evidence=evidence,
        builtin=builtin,
    )


def _unique(rules: Iterable[PolicyRule]) -> list[PolicyRule]:
    return list(dict.fromkeys(rules))


@dataclass(frozen=True, kw_only=True)
class _Aggregating:
    obj: KubeObject
    selectors: tuple[Selector, ...]


def _aggregate(
    objects: list[KubeObject], builtin: set[str], problems: list[str]
) -> dict[str, Role]:
    written: dict[str, Role] = {}
    aggregating: list[_Aggregating] = []
    labels: dict[str, LabelView] = {}
    for obj in sorted(objects, key=lambda o: o.name):
        rules = read_rules(obj, ("rules",), problems, namespaced=False)
        written[obj.name] = _role(obj, rules, obj.name in builtin)
        labels[obj.name] = LabelView(known=parse_labels(obj, ("metadata", "labels"), problems))
        selectors = _selectors(obj, problems)
        if selectors is not None:
            aggregating.append(_Aggregating(obj=obj, selectors=selectors))
    members = {
        a.obj.name: [n for n in sorted(labels) if n != a.obj.name and _selected(a, labels[n])]
        for a in aggregating
    }
    return _fixed_point(written, members)


def _selected(aggregating: _Aggregating, labels: LabelView) -> bool:
    return any(s.matches(labels) is Truth.YES for s in aggregating.selectors)


def _fixed_point(written: dict[str, Role], members: dict[str, list[str]]) -> dict[str, Role]:
    """Each aggregated role's rules: the union of its members' (computed first, in name
    order, as the controller does), then its own written rules; repeated until stable."""
    current = {name: role.rules for name, role in written.items()}
    changed = True
    while changed:
        changed = False
        for name, names in members.items():
            rules = _union([*(r for m in names for r in current[m]), *written[name].rules])
            if len(rules) != len(current[name]):
                current[name], changed = rules, True
    return {
        name: Role(
            kind=role.kind,
            name=name,
            namespace=None,
            rules=current[name],
            evidence=role.evidence,
            aggregated=name in members,
            builtin=role.builtin,
        )
        for name, role in written.items()
    }


def _union(rules: Iterable[SourcedRule]) -> tuple[SourcedRule, ...]:
    seen: dict[PolicyRule, SourcedRule] = {}
    for sourced in rules:
        seen.setdefault(sourced.rule, sourced)
    return tuple(seen.values())


def _selectors(obj: KubeObject, problems: list[str]) -> tuple[Selector, ...] | None:
    """The aggregation selectors of a ClusterRole; None when it is not aggregated."""
    rule = obj.get(("aggregationRule",))
    if rule is None:
        return None
    path = ("aggregationRule", "clusterRoleSelectors")
    raw = obj.get(path)
    if not isinstance(raw, list) or not raw:
        problems.append(obj.problem(path, "required: a list of at least one label selector"))
        return ()
    selectors = []
    for index, entry in enumerate(raw):
        selector = parse_selector(obj, (*path, index), problems)
        if selector is None and not isinstance(entry, Mapping):
            problems.append(obj.problem((*path, index), "must be a label selector"))
        elif selector is not None:
            selectors.append(selector)
    return tuple(selectors)


@cache
def bootstrap_roles() -> tuple[KubeObject, ...]:
    """Kubernetes' built-in ClusterRoles (and Role) shipped in `drift/k8s/data`, read once."""
    data = resources.files("drift.k8s.data").joinpath(BOOTSTRAP_FILE).read_bytes()
    objects, problems = [], []
    for document in read_documents(data):
        if isinstance(document, Document):
            objects.append(_bootstrap_object(document))
        else:
            problems.append(f"{_BOOTSTRAP_SOURCE}:{document.line}: {document.message}")
    if problems:  # a broken installation, not bad input; say where
        raise ManifestError(problems)
    return tuple(objects)


def _bootstrap_object(document: Document) -> KubeObject:
    body = document.value
    return KubeObject(
        api_version=body["apiVersion"],
        kind=body["kind"],
        name=body["metadata"]["name"],
        namespace=body["metadata"].get("namespace"),
        body=body,
        source=SourceRef(file=_BOOTSTRAP_SOURCE, document=document.index, line=document.line),
        field_lines=document.lines,
    )
