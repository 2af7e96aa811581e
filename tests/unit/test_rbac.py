"""Effective RBAC, one rule of Kubernetes' RBAC authorizer per test.

Small clusters built in code; each test names the rule it pins down and asks the question
whose answer would change if the rule were implemented wrongly.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import pytest
from builders import (
    cluster_role,
    cluster_role_binding,
    deployment,
    group,
    inventory,
    rbac,
    role,
    role_binding,
    rule,
    sa,
    service_account,
    user,
)

from drift.k8s.rbac import Decision, PermissionTarget, read_rbac
from drift.k8s.rbac_roles import BOOTSTRAP_VERSION, bootstrap_roles
from drift.k8s.subjects import (
    ANONYMOUS,
    AUTHENTICATED_GROUP,
    UNAUTHENTICATED_GROUP,
    Subject,
    SubjectKind,
    memberships,
)

ALICE = Subject.user("alice")
APP = Subject.service_account("default", "app")


def decide(r: Any, subject: Subject = ALICE, **request: Any) -> Decision:
    request.setdefault("group", "")
    request.setdefault("namespace", "default")
    decision: Decision = r.allows(subject, **request).decision
    return decision


ALLOW, DENY, UNKNOWN = Decision.ALLOW, Decision.DENY, Decision.UNKNOWN


def test_a_cluster_role_binding_grants_in_every_namespace_cluster_scoped_and_urls() -> None:
    r = rbac(
        cluster_role("reader", rule(["get"], ["pods", "nodes"]), rule(["get"], urls=["/metrics"])),
        cluster_role_binding("b", "reader", user("alice")),
    )
    assert decide(r, verb="get", resource="pods", namespace="a", name="p") is ALLOW
    assert decide(r, verb="get", resource="pods", namespace="z", name="p") is ALLOW
    assert decide(r, verb="get", resource="nodes", namespace=None, name="n1") is ALLOW
    assert r.allows_url(ALICE, verb="get", path="/metrics").decision is ALLOW
    assert decide(r, verb="delete", resource="pods", name="p") is DENY


def test_a_role_binding_grants_only_in_its_namespace_never_cluster_scoped_or_urls() -> None:
    r = rbac(
        role_binding("b", "cluster-admin", user("alice"), namespace="a", role_kind="ClusterRole")
    )
    assert decide(r, verb="delete", resource="pods", namespace="a", name="p") is ALLOW
    assert decide(r, verb="delete", resource="pods", namespace="b", name="p") is DENY
    assert decide(r, verb="get", resource="nodes", namespace=None, name="n1") is DENY
    # Listing across all namespaces carries no namespace either.
    assert decide(r, verb="list", resource="pods", namespace=None) is DENY
    assert r.allows_url(ALICE, verb="get", path="/metrics").decision is DENY


def test_a_role_binding_names_the_role_of_its_own_namespace() -> None:
    r = rbac(
        role("r", rule(["get"], ["pods"]), namespace="a"),
        role("r", rule(["get"], ["secrets"]), namespace="b"),
        role_binding("b", "r", user("alice"), namespace="b"),
    )
    assert decide(r, verb="get", resource="secrets", namespace="b", name="s") is ALLOW
    assert decide(r, verb="get", resource="pods", namespace="b", name="p") is DENY


def test_wildcards_match_every_verb_group_and_resource_including_subresources() -> None:
    r = rbac(
        cluster_role("all", rule(["*"], ["*"], groups=["*"])),
        cluster_role_binding("b", "all", user("alice")),
    )
    assert decide(r, verb="escalate", group="rbac.authorization.k8s.io", resource="roles") is ALLOW
    assert decide(r, verb="create", resource="pods", subresource="exec", name="p") is ALLOW
    assert decide(r, verb="get", group="example.com", resource="widgets", name="w") is ALLOW
    # Resources only: no rule here grants a non-resource URL.
    assert r.allows_url(ALICE, verb="get", path="/healthz").decision is DENY


def test_a_resource_does_not_match_its_subresources_and_star_slash_matches_any_resource() -> None:
    r = rbac(
        cluster_role(
            "r",
            rule(["get", "create"], ["pods"]),
            rule(["update"], ["*/scale"], groups=["apps"]),
        ),
        cluster_role_binding("b", "r", user("alice")),
    )
    assert decide(r, verb="create", resource="pods") is ALLOW
    assert decide(r, verb="create", resource="pods", subresource="exec", name="p") is DENY
    scale = {"verb": "update", "group": "apps", "subresource": "scale", "name": "d"}
    assert decide(r, resource="deployments", **scale) is ALLOW
    assert decide(r, resource="statefulsets", **scale) is ALLOW
    assert decide(r, verb="update", group="apps", resource="deployments", name="d") is DENY


def test_resource_names_restrict_and_requests_without_a_name_never_match_them() -> None:
    r = rbac(
        role("r", rule(["get", "list", "create", "deletecollection"], ["secrets"], names=["x"])),
        role_binding("b", "r", user("alice")),
    )
    assert decide(r, verb="get", resource="secrets", name="x") is ALLOW
    assert decide(r, verb="get", resource="secrets", name="y") is DENY
    assert decide(r, verb="list", resource="secrets") is DENY  # a plain list carries no name
    assert decide(r, verb="list", resource="secrets", name="x") is ALLOW  # fieldSelector
    # Creating and deleting a collection carry no name: names cannot grant them.
    assert decide(r, verb="create", resource="secrets", name="x") is DENY
    assert decide(r, verb="deletecollection", resource="secrets", name="x") is DENY


def test_resource_names_do_restrict_create_on_a_subresource_of_a_named_object() -> None:
    r = rbac(
        role("r", rule(["create"], ["serviceaccounts/token"], names=["builder"])),
        role_binding("b", "r", user("alice")),
    )
    token = {"verb": "create", "resource": "serviceaccounts", "subresource": "token"}
    assert decide(r, name="builder", **token) is ALLOW
    assert decide(r, name="deployer", **token) is DENY


def test_non_resource_urls_match_exactly_or_by_a_trailing_star() -> None:
    r = rbac(
        cluster_role("u", rule(["get"], urls=["/healthz/*", "/version"])),
        cluster_role_binding("b", "u", user("alice")),
    )
    assert r.allows_url(ALICE, verb="get", path="/healthz/etcd").decision is ALLOW
    assert r.allows_url(ALICE, verb="get", path="/healthz").decision is DENY
    assert r.allows_url(ALICE, verb="get", path="/version").decision is ALLOW
    assert r.allows_url(ALICE, verb="get", path="/version/x").decision is DENY
    assert r.allows_url(ALICE, verb="post", path="/version").decision is DENY


def test_a_service_account_is_in_its_namespace_group_all_accounts_and_authenticated() -> None:
    assert memberships(APP) == (
        APP,
        Subject.group("system:serviceaccounts"),
        Subject.group("system:serviceaccounts:default"),
        AUTHENTICATED_GROUP,
    )
    r = rbac(
        cluster_role("pods", rule(["get"], ["pods"])),
        cluster_role("nodes", rule(["get"], ["nodes"])),
        cluster_role("urls", rule(["get"], urls=["/version"])),
        cluster_role_binding("ns", "pods", group("system:serviceaccounts:default")),
        cluster_role_binding("auth", "nodes", group("system:authenticated")),
        cluster_role_binding("anon", "urls", group("system:unauthenticated")),
    )
    other = Subject.service_account("other", "app")
    assert decide(r, APP, verb="get", resource="pods", name="p") is ALLOW
    assert decide(r, other, verb="get", resource="pods", name="p") is DENY
    assert decide(r, other, verb="get", resource="nodes", namespace=None, name="n") is ALLOW
    assert decide(r, ALICE, verb="get", resource="nodes", namespace=None, name="n") is ALLOW
    # Anonymous requests are in system:unauthenticated, never system:authenticated.
    assert r.allows_url(ANONYMOUS, verb="get", path="/version").decision is ALLOW
    assert decide(r, ANONYMOUS, verb="get", resource="nodes", namespace=None, name="n") is DENY
    assert r.allows_url(APP, verb="get", path="/version").decision is DENY
    assert r.allows_url(UNAUTHENTICATED_GROUP, verb="get", path="/version").decision is ALLOW


def test_a_user_named_by_a_service_accounts_username_is_that_account() -> None:
    r = rbac(
        role("r", rule(["get"], ["pods"])),
        role_binding("b", "r", user("system:serviceaccount:default:app")),
    )
    assert Subject.user("system:serviceaccount:default:app") == APP
    assert decide(r, APP, verb="get", resource="pods", name="p") is ALLOW
    assert APP in r.subjects()
    plain = Subject(kind=SubjectKind.USER, name="system:serviceaccount:default:app")
    assert decide(r, plain, verb="get", resource="pods", name="p") is ALLOW


def test_a_role_binding_service_account_without_namespace_is_in_the_bindings() -> None:
    r = rbac(
        role("r", rule(["get"], ["pods"]), namespace="team"),
        role_binding("b", "r", sa("app", namespace=None), namespace="team"),
    )
    assert (
        decide(
            r,
            Subject.service_account("team", "app"),
            verb="get",
            resource="pods",
            namespace="team",
            name="p",
        )
        is ALLOW
    )
    assert decide(r, APP, verb="get", resource="pods", namespace="team", name="p") is DENY


def test_a_binding_to_a_missing_role_is_unknown_in_its_scope_not_empty_nor_all() -> None:
    r = rbac(
        role("r", rule(["get"], ["pods"])),
        role_binding("known", "r", user("alice")),
        role_binding("gone", "not-here", user("alice")),
    )
    assert decide(r, verb="get", resource="pods", name="p") is ALLOW
    verdict = r.allows(
        ALICE, verb="delete", group="", resource="pods", namespace="default", name="p"
    )
    assert verdict.decision is UNKNOWN
    assert verdict.reasons == (
        "test.yaml:1: RoleBinding default/gone: roleRef: Role default/not-here is not in the "
        "input; what it grants is unknown",
    )
    # Outside the binding's namespace it can grant nothing.
    assert decide(r, verb="delete", resource="pods", namespace="other", name="p") is DENY
    assert decide(r, verb="get", resource="nodes", namespace=None, name="n") is DENY
    assert [u.reason for u in r.unknowns] == list(verdict.reasons)


def test_a_cluster_role_binding_to_a_missing_role_leaves_everything_unknown() -> None:
    r = rbac(cluster_role_binding("gone", "system:node", group("system:nodes")))
    nodes = Subject.group("system:nodes")
    assert decide(r, nodes, verb="get", resource="nodes", namespace=None, name="n") is UNKNOWN
    assert r.allows_url(nodes, verb="get", path="/metrics").decision is UNKNOWN
    assert decide(r, ALICE, verb="get", resource="nodes", namespace=None, name="n") is DENY


BAD = [
    (
        {"roleRef": None},
        "RoleBinding default/b: roleRef: required: the role this binding grants",
    ),
    (
        {"roleRef": {"kind": "Policy", "name": "r"}},
        "RoleBinding default/b: roleRef.kind: 'Policy' is not Role or ClusterRole",
    ),
    (
        {"roleRef": {"kind": "Role", "name": "r", "apiGroup": "example.com"}},
        "RoleBinding default/b: roleRef.apiGroup: must be rbac.authorization.k8s.io",
    ),
    (
        {"roleRef": {"kind": "Role", "name": ""}},
        "RoleBinding default/b: roleRef.name: required: a non-empty role name",
    ),
    (
        {"subjects": [{"kind": "Robot", "name": "r2"}]},
        "RoleBinding default/b: subjects[0].kind: 'Robot' is not ServiceAccount, User or Group",
    ),
    (
        {"subjects": [{"kind": "User", "name": "x", "apiGroup": "v1"}]},
        "RoleBinding default/b: subjects[0].apiGroup: must be 'rbac.authorization.k8s.io' "
        "for a User",
    ),
    (
        {"subjects": [{"kind": "Group"}]},
        "RoleBinding default/b: subjects[0].name: required: a non-empty name",
    ),
]


@pytest.mark.parametrize(("change", "problem"), BAD)
def test_an_invalid_binding_is_one_problem_naming_file_line_object_and_field(
    change: dict[str, Any], problem: str
) -> None:
    doc = role_binding("b", "r", user("alice"))
    doc.update(change)
    problems: list[str] = []
    r = read_rbac(inventory(role("r", rule(["get"], ["pods"])), doc), problems)
    assert problems == [f"test.yaml:1: {problem}"]
    assert r.bindings == ()


def test_a_cluster_role_binding_may_not_name_a_role_or_a_service_account_without_namespace() -> (
    None
):
    doc = cluster_role_binding("b", "r", sa("app", namespace=None))
    doc["roleRef"]["kind"] = "Role"
    problems: list[str] = []
    read_rbac(inventory(doc), problems)
    assert problems == [
        "test.yaml:1: ClusterRoleBinding b: roleRef.kind: 'Role' is not ClusterRole",
        "test.yaml:1: ClusterRoleBinding b: subjects[0].namespace: required for a "
        "ServiceAccount subject",
    ]


@pytest.mark.parametrize(
    ("bad_rule", "problem"),
    [
        ({"apiGroups": [""], "resources": ["pods"]}, "rules[0].verbs: required"),
        ({"verbs": ["get"], "resources": ["pods"]}, "rules[0].apiGroups: required"),
        ({"verbs": ["get"], "apiGroups": [""]}, "rules[0].resources: required"),
        ({"verbs": "get", "apiGroups": [""], "resources": ["pods"]}, "rules[0].verbs: must be"),
        ({"verbs": ["get"], "nonResourceURLs": ["/x"]}, "rules[0].nonResourceURLs: a Role cannot"),
    ],
)
def test_an_invalid_rule_is_a_problem(bad_rule: dict[str, Any], problem: str) -> None:
    problems: list[str] = []
    read_rbac(inventory(role("r", bad_rule)), problems)
    assert len(problems) == 1
    assert problems[0].startswith(f"test.yaml:1: Role default/r: {problem}")


def test_a_cluster_role_rule_may_not_mix_resources_and_urls() -> None:
    mixed = {"verbs": ["get"], "apiGroups": [""], "resources": ["pods"], "nonResourceURLs": ["/x"]}
    problems: list[str] = []
    read_rbac(inventory(cluster_role("c", mixed)), problems)
    assert problems == [
        "test.yaml:1: ClusterRole c: rules[0].nonResourceURLs: a rule cannot name both "
        "resources and nonResourceURLs"
    ]


def test_an_aggregated_role_is_the_union_of_the_roles_its_selectors_match() -> None:
    r = rbac(
        cluster_role(
            "agg",
            aggregate=[
                {"matchLabels": {"tier": "a"}},
                {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["b"]}]},
            ],
        ),
        cluster_role("a", rule(["get"], ["pods"]), labels={"tier": "a"}),
        cluster_role("b", rule(["get"], ["secrets"]), labels={"tier": "b"}),
        cluster_role("c", rule(["get"], ["nodes"]), labels={"tier": "c"}),
        cluster_role_binding("bind", "agg", user("alice")),
    )
    assert decide(r, verb="get", resource="pods", name="p") is ALLOW
    assert decide(r, verb="get", resource="secrets", name="s") is ALLOW
    assert decide(r, verb="get", resource="nodes", namespace=None, name="n") is DENY
    origins = {e.origin.text for e in r.rules_for(ALICE) if e.origin is not None}
    assert origins == {"ClusterRole a", "ClusterRole b"}


def test_an_empty_aggregation_selector_matches_every_cluster_role() -> None:
    r = rbac(
        cluster_role("agg", aggregate=[{}]),
        cluster_role("x", rule(["get"], ["widgets"], groups=["example.com"])),
        cluster_role_binding("bind", "agg", user("alice")),
    )
    assert decide(r, verb="get", group="example.com", resource="widgets", name="w") is ALLOW
    # It matches the built-in roles too, cluster-admin among them.
    assert decide(r, verb="delete", resource="nodes", namespace=None, name="n") is ALLOW


def test_a_live_aggregated_role_keeps_its_written_rules_and_adds_the_computed_ones() -> None:
    r = rbac(
        cluster_role("agg", rule(["get"], ["configmaps"]), aggregate=[{"matchLabels": {"t": "x"}}]),
        cluster_role("x", rule(["get"], ["pods"]), labels={"t": "x"}),
        cluster_role_binding("bind", "agg", user("alice")),
    )
    assert decide(r, verb="get", resource="configmaps", name="c") is ALLOW  # written (stale?)
    assert decide(r, verb="get", resource="pods", name="p") is ALLOW  # computed


def test_the_built_in_view_edit_and_admin_resolve_and_nest() -> None:
    r = rbac(
        role_binding("v", "view", user("viewer"), role_kind="ClusterRole"),
        role_binding("e", "edit", user("editor"), role_kind="ClusterRole"),
        role_binding("a", "admin", user("admin"), role_kind="ClusterRole"),
    )
    viewer, editor, admin = (Subject.user(n) for n in ("viewer", "editor", "admin"))
    assert decide(r, viewer, verb="list", group="apps", resource="deployments") is ALLOW
    assert decide(r, viewer, verb="get", resource="secrets", name="s") is DENY
    assert decide(r, viewer, verb="create", resource="pods") is DENY
    assert decide(r, editor, verb="create", resource="pods") is ALLOW
    assert decide(r, editor, verb="list", group="apps", resource="deployments") is ALLOW  # view
    assert decide(r, editor, verb="impersonate", resource="serviceaccounts", name="x") is ALLOW
    assert (
        decide(r, editor, verb="create", group="rbac.authorization.k8s.io", resource="roles")
        is DENY
    )
    assert (
        decide(r, admin, verb="create", group="rbac.authorization.k8s.io", resource="roles")
        is ALLOW
    )
    assert decide(r, admin, verb="create", resource="pods") is ALLOW  # edit, within admin
    assert r.unknowns == ()


def test_a_new_aggregation_label_widens_view_edit_and_admin_with_no_binding_changed() -> None:
    bindings = [
        role_binding(n, n, user(n), role_kind="ClusterRole") for n in ("view", "edit", "admin")
    ]
    widget = rule(["get", "list"], ["widgets"], groups=["example.com"])
    label = {"rbac.authorization.k8s.io/aggregate-to-view": "true"}
    before = rbac(*bindings, cluster_role("widget-reader", widget))
    after = rbac(*bindings, cluster_role("widget-reader", widget, labels=label))
    request = {"verb": "list", "group": "example.com", "resource": "widgets"}
    for name in ("view", "edit", "admin"):
        assert decide(before, Subject.user(name), **request) is DENY
        verdict = after.allows(Subject.user(name), namespace="default", **request)
        assert verdict.decision is ALLOW
        assert [e.text for e in verdict.evidence] == [
            f"RoleBinding default/{name}",
            f"ClusterRole {name} (built-in, Kubernetes {BOOTSTRAP_VERSION})",
            "ClusterRole widget-reader",
        ]


def test_a_cluster_role_in_the_input_replaces_the_built_in_one() -> None:
    r = rbac(
        cluster_role("view", rule(["get"], ["widgets"], groups=["example.com"])),
        role_binding("v", "view", user("alice"), role_kind="ClusterRole"),
    )
    assert decide(r, verb="get", group="example.com", resource="widgets", name="w") is ALLOW
    assert decide(r, verb="get", resource="pods", name="p") is DENY


def test_the_built_in_roles_ship_as_data_naming_their_kubernetes_version() -> None:
    data = resources.files("drift.k8s.data").joinpath("bootstrap_roles.yaml").read_text()
    header = " ".join(line for line in data.splitlines()[:3])
    assert f"Kubernetes {BOOTSTRAP_VERSION}" in header
    names = {o.name for o in bootstrap_roles()}
    required = {"cluster-admin", "admin", "edit", "view"}
    required |= {f"system:aggregate-to-{n}" for n in ("admin", "edit", "view")}
    assert required <= names
    # Aggregated roles are shipped unflattened: their rules are computed.
    view = next(o for o in bootstrap_roles() if o.name == "view")
    assert view.get(("rules",)) is None and view.get(("aggregationRule",)) is not None


def test_evidence_names_the_binding_the_role_and_the_aggregated_origin() -> None:
    r = rbac(role_binding("e", "edit", user("alice"), role_kind="ClusterRole"))
    verdict = r.allows(
        ALICE,
        verb="create",
        group="",
        resource="pods",
        subresource="exec",
        namespace="default",
        name="p",
    )
    assert [e.text for e in verdict.evidence] == [
        "RoleBinding default/e",
        f"ClusterRole edit (built-in, Kubernetes {BOOTSTRAP_VERSION})",
        f"ClusterRole system:aggregate-to-edit (built-in, Kubernetes {BOOTSTRAP_VERSION})",
    ]
    assert verdict.evidence[0].source is not None
    assert str(verdict.evidence[0].source) == "test.yaml:1"


def test_rules_for_gives_each_rule_its_scope_and_the_subject_it_was_bound_to() -> None:
    r = rbac(
        role("r", rule(["get"], ["pods"]), namespace="a"),
        cluster_role("c", rule(["list"], ["nodes"])),
        role_binding("rb", "r", sa("app", "a"), namespace="a"),
        cluster_role_binding("crb", "c", group("system:serviceaccounts")),
    )
    account = Subject.service_account("a", "app")
    scoped = {(e.namespace, e.subject, str(e.rule)) for e in r.rules_for(account)}
    assert scoped == {
        ("a", account, 'get on pods in apiGroups ""'),
        (None, Subject.group("system:serviceaccounts"), 'list on nodes in apiGroups ""'),
    }
    assert [e.namespace for e in r.rules_for(account, inherited=False)] == ["a"]


def test_permissions_keep_wildcards_as_written_and_drop_what_a_role_binding_cannot_grant() -> None:
    r = rbac(
        cluster_role(
            "c",
            rule(["get", "list"], ["*", "nodes"], groups=["*", ""]),
            rule(["get"], ["secrets"], names=["s1", "s2"]),
            rule(["get"], urls=["/metrics"]),
            rule(["bind"], ["clusterroles"], groups=["rbac.authorization.k8s.io"]),
        ),
        role_binding("rb", "c", user("alice"), namespace="a", role_kind="ClusterRole"),
        cluster_role_binding("crb", "c", user("bob")),
    )
    targets = {(p.target, p.verbs) for p in r.permissions(ALICE)}
    get_list = frozenset({"get", "list"})
    assert targets == {
        (PermissionTarget(namespace="a", api_group="*", resource="*"), get_list),
        (PermissionTarget(namespace="a", api_group="", resource="*"), get_list),
        # A custom resource `nodes` of another group could be namespaced: kept.
        (PermissionTarget(namespace="a", api_group="*", resource="nodes"), get_list),
        (
            PermissionTarget(namespace="a", api_group="", resource="secrets", resource_name="s1"),
            frozenset({"get"}),
        ),
        (
            PermissionTarget(namespace="a", api_group="", resource="secrets", resource_name="s2"),
            frozenset({"get"}),
        ),
        # bind on a ClusterRole is checked in the namespace of the RoleBinding being written
        (
            PermissionTarget(
                namespace="a", api_group="rbac.authorization.k8s.io", resource="clusterroles"
            ),
            frozenset({"bind"}),
        ),
    }
    bob = {p.target for p in r.permissions(Subject.user("bob"))}
    assert PermissionTarget(namespace=None, api_group="", resource="nodes") in bob
    assert PermissionTarget(namespace=None, api_group="", resource="", url="/metrics") in bob


def test_subjects_are_those_bound_and_every_known_service_account() -> None:
    r = rbac(
        service_account("declared", "a"),
        deployment("web", namespace="b", service_account="runner"),
        role_binding("rb", "view", group("devs"), role_kind="ClusterRole"),
    )
    assert set(r.subjects()) == {
        Subject.group("devs"),
        Subject.service_account("a", "declared"),
        Subject.service_account("b", "runner"),
    }
