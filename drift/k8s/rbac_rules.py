"""RBAC policy rules: reading them as the API server validates them, and matching a request.

A request to the API is either a resource request (verb, API group, resource, optional
subresource, namespace, optional object name) or a non-resource request (verb, URL path).
A rule matches a resource request when each of its lists matches:

- `verbs`, `apiGroups`: the value is listed, or `*` is;
- `resources`: `*`; or exactly `resource` (no subresource) or `resource/subresource`
  (`pods` does not match `pods/exec`); or `*/subresource` for any resource's subresource;
- `resourceNames`: empty (every name), or the request's name is listed. A request that
  carries no name never matches a rule with names: creating an object or deleting a
  collection (the name is not part of the request), and listing or watching unless the
  client selects one object with `fieldSelector=metadata.name=<name>`.

A non-resource rule (`nonResourceURLs`) matches a path listed exactly, or a path starting
with an entry ending in `*` (without the `*`), or any path for `*`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from drift.k8s.objects import FieldPath, KubeObject

ALL = "*"

# Requests on these resources never carry a namespace, so only a ClusterRoleBinding can
# grant them (Kubernetes' built-in cluster-scoped resources, plus what impersonation and CSR
# approval check). `namespaces` is not here: a request for one namespace carries its name as
# its namespace. `clusterroles` is, except for `bind`, which is checked in the namespace of
# the RoleBinding being written (see `grantable_in_namespace`).
CLUSTER_SCOPED_RESOURCES: frozenset[tuple[str, str]] = frozenset(
    {
        ("", "nodes"),
        ("", "persistentvolumes"),
        ("", "componentstatuses"),
        ("", "users"),
        ("", "groups"),
        ("authentication.k8s.io", "uids"),
        ("authentication.k8s.io", "userextras"),
        ("authentication.k8s.io", "tokenreviews"),
        ("authentication.k8s.io", "selfsubjectreviews"),
        ("authorization.k8s.io", "subjectaccessreviews"),
        ("authorization.k8s.io", "selfsubjectaccessreviews"),
        ("authorization.k8s.io", "selfsubjectrulesreviews"),
        ("rbac.authorization.k8s.io", "clusterroles"),
        ("rbac.authorization.k8s.io", "clusterrolebindings"),
        ("certificates.k8s.io", "certificatesigningrequests"),
        ("certificates.k8s.io", "signers"),
        ("certificates.k8s.io", "clustertrustbundles"),
        ("admissionregistration.k8s.io", "mutatingwebhookconfigurations"),
        ("admissionregistration.k8s.io", "validatingwebhookconfigurations"),
        ("admissionregistration.k8s.io", "validatingadmissionpolicies"),
        ("admissionregistration.k8s.io", "validatingadmissionpolicybindings"),
        ("apiextensions.k8s.io", "customresourcedefinitions"),
        ("apiregistration.k8s.io", "apiservices"),
        ("storage.k8s.io", "storageclasses"),
        ("storage.k8s.io", "csidrivers"),
        ("storage.k8s.io", "csinodes"),
        ("storage.k8s.io", "volumeattachments"),
        ("scheduling.k8s.io", "priorityclasses"),
        ("node.k8s.io", "runtimeclasses"),
        ("networking.k8s.io", "ingressclasses"),
        ("networking.k8s.io", "ipaddresses"),
        ("networking.k8s.io", "servicecidrs"),
        ("flowcontrol.apiserver.k8s.io", "flowschemas"),
        ("flowcontrol.apiserver.k8s.io", "prioritylevelconfigurations"),
        ("policy", "podsecuritypolicies"),
    }
)

# Verbs whose requests carry no object name when made on a resource itself.
UNNAMED_VERBS = frozenset({"create", "deletecollection"})


def grantable_in_namespace(group: str, resource: str, verb: str = ALL) -> bool:
    """Whether a RoleBinding can grant `verb` on `resource` (`pods/exec`): False for
    cluster-scoped resources, whose requests have no namespace."""
    base = resource.partition("/")[0]
    if (group, base) == ("rbac.authorization.k8s.io", "clusterroles"):
        return verb in ("bind", ALL)
    return (group, base) not in CLUSTER_SCOPED_RESOURCES


@dataclass(frozen=True, kw_only=True)
class PolicyRule:
    """One rule as written (a resource rule, or a non-resource rule with `urls`)."""

    verbs: tuple[str, ...]
    api_groups: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    resource_names: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()

    @property
    def is_resource_rule(self) -> bool:
        return not self.urls

    def allows_verb(self, verb: str) -> bool:
        return ALL in self.verbs or verb in self.verbs

    def allows_group(self, group: str) -> bool:
        return ALL in self.api_groups or group in self.api_groups

    def allows_resource(self, resource: str, subresource: str = "") -> bool:
        combined = f"{resource}/{subresource}" if subresource else resource
        return any(
            r in (ALL, combined) or (subresource != "" and r == f"*/{subresource}")
            for r in self.resources
        )

    def allows_name(self, name: str | None) -> bool:
        return not self.resource_names or (bool(name) and name in self.resource_names)

    def matches(
        self, *, verb: str, group: str, resource: str, subresource: str = "", name: str | None
    ) -> bool:
        """Whether this rule admits the resource request (see the module docstring)."""
        return (
            self.is_resource_rule
            and self.allows_verb(verb)
            and self.allows_group(group)
            and self.allows_resource(resource, subresource)
            and self.allows_name(name)
        )

    def matches_url(self, *, verb: str, path: str) -> bool:
        return self.allows_verb(verb) and any(_url_matches(u, path) for u in self.urls)

    def __str__(self) -> str:
        verbs = ",".join(self.verbs)
        if self.urls:
            return f"{verbs} on nonResourceURLs {','.join(self.urls)}"
        groups = ",".join(g or '""' for g in self.api_groups)
        text = f"{verbs} on {','.join(self.resources)} in apiGroups {groups}"
        return f"{text} named {','.join(self.resource_names)}" if self.resource_names else text


def _url_matches(rule_url: str, path: str) -> bool:
    if rule_url in (ALL, path):
        return True
    return rule_url.endswith(ALL) and path.startswith(rule_url[:-1])


def read_rules(
    obj: KubeObject, path: FieldPath, problems: list[str], *, namespaced: bool
) -> tuple[PolicyRule, ...]:
    """The rules at `path` (absent or null: none), validated; problems are appended."""
    raw = obj.get(path)
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.append(obj.problem(path, "must be a list of rules"))
        return ()
    rules = []
    for index, entry in enumerate(raw):
        rule = _read_rule(obj, (*path, index), entry, problems, namespaced)
        if rule is not None:
            rules.append(rule)
    return tuple(rules)


_LISTS = {
    "verbs": "verbs",
    "apiGroups": "api_groups",
    "resources": "resources",
    "resourceNames": "resource_names",
    "nonResourceURLs": "urls",
}


def _read_rule(
    obj: KubeObject, path: FieldPath, raw: Any, problems: list[str], namespaced: bool
) -> PolicyRule | None:
    if not isinstance(raw, Mapping):
        problems.append(obj.problem(path, "a rule must be a mapping"))
        return None
    before = len(problems)
    lists = {
        attr: _strings(obj, (*path, key), raw.get(key), problems) for key, attr in _LISTS.items()
    }
    if len(problems) > before:
        return None
    rule = PolicyRule(**lists)
    problem = _rule_problem(rule, namespaced)
    if problem is not None:
        where, message = problem
        problems.append(obj.problem((*path, where), message))
        return None
    return rule


def _rule_problem(rule: PolicyRule, namespaced: bool) -> tuple[str, str] | None:
    """What the API server's validation refuses in a rule: (field, message), or None."""
    if not rule.verbs:
        return ("verbs", "required: a rule must list at least one verb")
    if rule.urls:
        if namespaced:
            return ("nonResourceURLs", "a Role cannot grant nonResourceURLs (only a ClusterRole)")
        if rule.api_groups or rule.resources or rule.resource_names:
            return ("nonResourceURLs", "a rule cannot name both resources and nonResourceURLs")
        return None
    if not rule.api_groups:
        return ("apiGroups", 'required: list the API groups ("" is the core group)')
    if not rule.resources:
        return ("resources", "required: a rule must list resources or nonResourceURLs")
    return None


def _strings(obj: KubeObject, path: FieldPath, raw: Any, problems: list[str]) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        problems.append(obj.problem(path, "must be a list of strings"))
        return ()
    return tuple(raw)
