"""What an identity can become, one escalation path per test.

Each test grants one permission and checks the targets it reaches, and those it must not.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from builders import (
    cluster_role,
    cluster_role_binding,
    deployment,
    group,
    inventory,
    pod,
    role,
    role_binding,
    rule,
    sa,
    service_account,
    user,
)

from drift.k8s.escalation import (
    ANY_GROUP,
    ANY_USER,
    NODE_CREDENTIALS,
    Escalation,
    Target,
    WorkloadRef,
    by_pair,
    escalations,
)
from drift.k8s.rbac import read_rbac
from drift.k8s.subjects import Subject, SubjectKind

ALICE = Subject.user("alice")
RBAC_GROUP = "rbac.authorization.k8s.io"


def account(name: str, namespace: str = "default") -> Subject:
    return Subject.service_account(namespace, name)


def escalate(*docs: Mapping[str, Any]) -> tuple[Escalation, ...]:
    inv = inventory(*docs)
    problems: list[str] = []
    result = escalations(inv, read_rbac(inv, problems))
    assert problems == []
    return result


def reach(found: tuple[Escalation, ...], source: Subject = ALICE) -> dict[Target, bool]:
    """Each target `source` reaches, and whether for certain (any path)."""
    return {e.target: e.certain for e in by_pair(found) if e.source == source}


def grant_alice(*rules: Mapping[str, Any], namespace: str | None = "team") -> list[dict[str, Any]]:
    """A role with `rules` bound to alice in `namespace`, or cluster-wide for None."""
    if namespace is None:
        return [cluster_role("r", *rules), cluster_role_binding("b", "r", user("alice"))]
    return [
        role("r", *rules, namespace=namespace),
        role_binding("b", "r", user("alice"), namespace=namespace),
    ]


TEAM = [
    service_account("builder", "team"),
    deployment("web", namespace="team", service_account="web"),
    deployment("api", namespace="other", service_account="api"),
]


def test_creating_pods_in_a_namespace_reaches_every_service_account_there() -> None:
    found = escalate(*TEAM, *grant_alice(rule(["create"], ["pods"])))
    assert reach(found) == {
        account("builder", "team"): True,
        account("default", "team"): True,  # every namespace has one
        account("web", "team"): True,  # run by a workload
    }


def test_creating_pods_cluster_wide_reaches_every_namespace() -> None:
    found = escalate(*TEAM, *grant_alice(rule(["create"], ["pods"]), namespace=None))
    assert set(reach(found)) == {
        account("builder", "team"),
        account("default", "team"),
        account("web", "team"),
        account("api", "other"),
        account("default", "other"),
    }


@pytest.mark.parametrize(
    ("group_name", "resource"),
    [
        ("apps", "deployments"),
        ("apps", "replicasets"),
        ("apps", "statefulsets"),
        ("apps", "daemonsets"),
        ("batch", "jobs"),
        ("batch", "cronjobs"),
        ("", "replicationcontrollers"),
    ],
)
@pytest.mark.parametrize("verb", ["create", "update", "patch"])
def test_writing_a_pod_owning_workload_reaches_the_namespaces_service_accounts(
    group_name: str, resource: str, verb: str
) -> None:
    found = escalate(*TEAM, *grant_alice(rule([verb], [resource], groups=[group_name])))
    assert reach(found) == {
        account("builder", "team"): True,
        account("default", "team"): True,
        account("web", "team"): True,
    }


def test_reading_or_scaling_workloads_reaches_nobody() -> None:
    found = escalate(
        *TEAM,
        *grant_alice(
            rule(["get", "list", "watch", "delete"], ["pods", "deployments"], groups=["", "apps"]),
            rule(["update"], ["deployments/scale"], groups=["apps"]),
        ),
    )
    assert reach(found) == {}


def test_workload_updates_limited_by_name_are_certain_only_for_a_named_workload_in_the_input() -> (
    None
):
    named = escalate(
        *TEAM, *grant_alice(rule(["patch"], ["deployments"], groups=["apps"], names=["web"]))
    )
    assert set(reach(named).values()) == {True}
    missing = escalate(
        *TEAM, *grant_alice(rule(["patch"], ["deployments"], groups=["apps"], names=["gone"]))
    )
    assert set(reach(missing).values()) == {False}
    # Creation cannot be limited by name: such a rule grants no creation at all.
    create = escalate(*TEAM, *grant_alice(rule(["create"], ["pods"], names=["x"])))
    assert reach(create) == {}


def test_updating_pods_reaches_the_accounts_workloads_run_as_not_any_account() -> None:
    found = escalate(
        *TEAM,
        pod("p", namespace="team", service_account="batch"),
        *grant_alice(rule(["patch"], ["pods"])),
    )
    assert reach(found) == {account("web", "team"): True, account("batch", "team"): True}
    named = escalate(
        *TEAM,
        pod("p", namespace="team", service_account="batch"),
        *grant_alice(rule(["patch"], ["pods"], names=["p"])),
    )
    # A bare pod it names for certain; a Deployment's pods have generated names: maybe.
    assert reach(named) == {account("batch", "team"): True, account("web", "team"): False}


def test_creating_a_token_reaches_the_service_accounts_it_names() -> None:
    found = escalate(
        *TEAM, *grant_alice(rule(["create"], ["serviceaccounts/token"], names=["builder"]))
    )
    assert reach(found) == {account("builder", "team"): True}
    every = escalate(*TEAM, *grant_alice(rule(["create"], ["serviceaccounts/token"])))
    assert set(reach(every)) == {
        account("builder", "team"),
        account("default", "team"),
        account("web", "team"),
    }
    # In one namespace a name is an account, whether or not the input declares it.
    ghost = escalate(
        *TEAM, *grant_alice(rule(["create"], ["serviceaccounts/token"], names=["ghost"]))
    )
    assert reach(ghost) == {account("ghost", "team"): True}
    # Creating the account itself (no subresource) mints nothing.
    assert reach(escalate(*TEAM, *grant_alice(rule(["create"], ["serviceaccounts"])))) == {}


TOKEN_SECRET = {
    "apiVersion": "v1",
    "kind": "Secret",
    "metadata": {
        "name": "builder-token",
        "namespace": "team",
        "annotations": {"kubernetes.io/service-account.name": "builder"},
    },
    "type": "kubernetes.io/service-account-token",
}


def test_reading_secrets_reaches_accounts_with_a_legacy_token_secret_only() -> None:
    found = escalate(*TEAM, TOKEN_SECRET, *grant_alice(rule(["get"], ["secrets"])))
    assert reach(found) == {account("builder", "team"): True}
    (escalation,) = [e for e in found if e.source == ALICE]
    assert escalation.evidence[-1].text == (
        "Secret team/builder-token (kubernetes.io/service-account-token)"
    )
    # Without a token Secret in the input, reading secrets reaches nobody.
    assert reach(escalate(*TEAM, *grant_alice(rule(["list"], ["secrets"])))) == {}
    # resourceNames that do not name the token Secret reach nobody either.
    other = escalate(*TEAM, TOKEN_SECRET, *grant_alice(rule(["get"], ["secrets"], names=["tls"])))
    assert reach(other) == {}


def test_a_secret_a_service_account_lists_may_hold_its_token() -> None:
    listed = service_account("old", "team", secrets=["old-token-x7k2q"])
    found = escalate(listed, *grant_alice(rule(["get"], ["secrets"], names=["old-token-x7k2q"])))
    assert reach(found) == {account("old", "team"): False}


def test_impersonating_service_accounts_reaches_those_named() -> None:
    found = escalate(*TEAM, *grant_alice(rule(["impersonate"], ["serviceaccounts"], names=["web"])))
    assert reach(found) == {account("web", "team"): True}


def test_impersonating_users_and_groups() -> None:
    cluster = [
        cluster_role_binding("x", "view", group("devs")),
        cluster_role_binding("y", "view", user("bob")),
    ]
    # A ServiceAccount's username is checked as the account (serviceaccounts), not a user.
    names = ["bob", "system:serviceaccount:team:web"]
    named = escalate(
        *cluster, *grant_alice(rule(["impersonate"], ["users"], names=names), namespace=None)
    )
    assert reach(named) == {Subject.user("bob"): True}
    anyone = escalate(
        *cluster, *grant_alice(rule(["impersonate"], ["users", "groups"]), namespace=None)
    )
    assert reach(anyone) == {
        Subject.user("bob"): True,
        ANY_USER: True,
        Subject.group("devs"): True,
        ANY_GROUP: True,
    }
    assert all(e.unbounded for e in anyone if e.target in (ANY_USER, ANY_GROUP))


def test_group_impersonation_alone_is_not_certain_and_system_masters_is_unbounded() -> None:
    found = escalate(
        *grant_alice(rule(["impersonate"], ["groups"], names=["system:masters"]), namespace=None)
    )
    (escalation,) = by_pair(found)
    assert escalation.target == Subject.group("system:masters")
    assert escalation.unbounded and not escalation.certain


def test_impersonation_granted_by_a_role_binding_reaches_no_user() -> None:
    # users and groups are cluster-scoped: a RoleBinding cannot grant them.
    found = escalate(*grant_alice(rule(["impersonate"], ["users", "groups"])))
    assert reach(found) == {}


def test_bind_with_binding_writes_is_any_permission_in_scope() -> None:
    found = escalate(
        *TEAM,
        *grant_alice(
            rule(["bind"], ["clusterroles"], groups=[RBAC_GROUP]),
            rule(["create"], ["rolebindings"], groups=[RBAC_GROUP]),
        ),
    )
    assert reach(found) == {
        account("builder", "team"): True,
        account("default", "team"): True,
        account("web", "team"): True,
    }
    assert all(e.unbounded for e in found)


def test_bind_or_escalate_without_the_write_is_not_certain() -> None:
    bind = escalate(*TEAM, *grant_alice(rule(["bind"], ["roles"], groups=[RBAC_GROUP])))
    assert set(reach(bind).values()) == {False}
    escalate_only = escalate(
        *TEAM, *grant_alice(rule(["escalate"], ["roles"], groups=[RBAC_GROUP]))
    )
    assert set(reach(escalate_only).values()) == {False}
    with_write = escalate(
        *TEAM, *grant_alice(rule(["escalate", "update"], ["roles"], groups=[RBAC_GROUP]))
    )
    assert set(reach(with_write).values()) == {True}


def test_exec_attach_and_ephemeral_containers_reach_each_workload_in_scope() -> None:
    for verbs, resource in (
        (["create"], "pods/exec"),
        (["create"], "pods/attach"),
        (["patch"], "pods/ephemeralcontainers"),
    ):
        found = escalate(*TEAM, *grant_alice(rule(verbs, [resource])))
        assert reach(found) == {WorkloadRef(kind="Deployment", namespace="team", name="web"): True}


def test_exec_with_get_alone_is_not_certain() -> None:
    found = escalate(*TEAM, *grant_alice(rule(["get"], ["pods/exec"])))
    assert reach(found) == {WorkloadRef(kind="Deployment", namespace="team", name="web"): False}
    (escalation,) = found
    assert "WebSocket" in escalation.via


def test_exec_limited_by_name_is_certain_only_for_a_named_bare_pod() -> None:
    found = escalate(
        *TEAM,
        pod("p", namespace="team"),
        pod("q", namespace="team"),
        *grant_alice(rule(["create"], ["pods/exec"], names=["p"])),
    )
    assert reach(found) == {
        WorkloadRef(kind="Pod", namespace="team", name="p"): True,
        WorkloadRef(kind="Deployment", namespace="team", name="web"): False,
    }


def test_node_proxy_reaches_node_credentials_only_cluster_wide() -> None:
    found = escalate(*grant_alice(rule(["get"], ["nodes/proxy"]), namespace=None))
    assert reach(found) == {NODE_CREDENTIALS: True}
    named = escalate(*grant_alice(rule(["create"], ["nodes/proxy"], names=["n1"]), namespace=None))
    assert reach(named) == {Subject(kind=SubjectKind.NODE, name="n1"): True}
    assert reach(escalate(*grant_alice(rule(["get"], ["nodes/proxy"])))) == {}
    assert reach(escalate(*grant_alice(rule(["get"], ["nodes"]), namespace=None))) == {}


CSR = "certificates.k8s.io"


def test_approving_client_csrs_mints_any_user_and_group() -> None:
    approve = [
        rule(["update"], ["certificatesigningrequests/approval"], groups=[CSR]),
        rule(["approve"], ["signers"], groups=[CSR], names=["kubernetes.io/*"]),
    ]
    found = escalate(
        *grant_alice(
            *approve, rule(["create"], ["certificatesigningrequests"], groups=[CSR]), namespace=None
        )
    )
    assert reach(found) == {ANY_USER: True, ANY_GROUP: True, NODE_CREDENTIALS: True}
    assert all(e.unbounded for e in found if e.target != NODE_CREDENTIALS)
    # Without creating CSRs of its own, it is not certain.
    assert set(reach(escalate(*grant_alice(*approve, namespace=None))).values()) == {False}


def test_approval_without_the_signer_or_for_another_signer_mints_nothing() -> None:
    approval = rule(["update"], ["certificatesigningrequests/approval"], groups=[CSR])
    assert reach(escalate(*grant_alice(approval, namespace=None))) == {}
    serving = rule(["approve"], ["signers"], groups=[CSR], names=["kubernetes.io/kubelet-serving"])
    assert reach(escalate(*grant_alice(approval, serving, namespace=None))) == {}


@pytest.mark.parametrize(
    "resource", ["mutatingwebhookconfigurations", "validatingwebhookconfigurations"]
)
def test_writing_admission_webhooks_is_unbounded_in_the_cluster(resource: str) -> None:
    found = escalate(
        *TEAM,
        *grant_alice(
            rule(["create"], [resource], groups=["admissionregistration.k8s.io"]), namespace=None
        ),
    )
    assert set(reach(found)) == {
        account("builder", "team"),
        account("default", "team"),
        account("web", "team"),
        account("api", "other"),
        account("default", "other"),
    }
    assert all(e.unbounded and e.certain for e in found)


def test_privileged_and_host_path_workloads_give_their_account_node_credentials() -> None:
    privileged = deployment("priv", namespace="n", service_account="p")
    privileged["spec"]["template"]["spec"]["containers"][0]["securityContext"] = {
        "privileged": True
    }
    mounted = deployment("mnt", namespace="n", service_account="m")
    mounted["spec"]["template"]["spec"]["volumes"] = [{"name": "root", "hostPath": {"path": "/"}}]
    plain = deployment("plain", namespace="n", service_account="x")
    plain["spec"]["template"]["spec"]["containers"][0]["securityContext"] = {"privileged": False}
    inv = inventory(privileged, mounted, plain)
    assert [(w.name, w.privileged, w.host_path) for w in inv.workloads] == [
        ("mnt", False, True),
        ("plain", False, False),
        ("priv", True, False),
    ]
    found = escalate(privileged, mounted, plain)
    assert reach(found, account("p", "n")) == {NODE_CREDENTIALS: True}
    assert reach(found, account("m", "n")) == {NODE_CREDENTIALS: False}  # depends on the path
    assert reach(found, account("x", "n")) == {}


def test_a_binding_to_a_missing_role_makes_every_path_in_its_scope_uncertain() -> None:
    found = escalate(*TEAM, role_binding("b", "gone", user("alice"), namespace="team"))
    assert reach(found) == {
        account("builder", "team"): False,
        account("default", "team"): False,
        account("web", "team"): False,
        WorkloadRef(kind="Deployment", namespace="team", name="web"): False,
    }


def test_service_accounts_escalate_through_their_groups() -> None:
    found = escalate(
        *TEAM,
        role("r", rule(["create"], ["pods"]), namespace="team"),
        role_binding("b", "r", group("system:serviceaccounts:team"), namespace="team"),
    )
    # web can create pods as builder; the group itself is a source too.
    assert reach(found, account("web", "team"))[account("builder", "team")] is True
    assert account("web", "team") not in reach(found, account("web", "team"))  # not itself
    assert account("builder", "team") in reach(found, Subject.group("system:serviceaccounts:team"))
    assert reach(found, account("api", "other")) == {}


def test_by_pair_merges_paths_between_the_same_two_identities() -> None:
    found = escalate(
        *TEAM,
        *grant_alice(
            rule(["create"], ["pods"]),
            rule(["create"], ["serviceaccounts/token"], names=["builder"]),
        ),
    )
    (merged,) = [e for e in by_pair(found) if e.target == account("builder", "team")]
    assert merged.via.split("; ") == [
        "create pods in namespace team",
        "create serviceaccounts/token named builder in namespace team",
    ]
    assert merged.certain and not merged.unbounded
    assert [e.text for e in merged.evidence] == ["RoleBinding team/b", "Role team/r"]


def test_the_edit_role_reaches_accounts_and_workloads_of_its_namespace() -> None:
    found = escalate(
        *TEAM,
        role_binding("e", "edit", sa("ci", "team"), namespace="team", role_kind="ClusterRole"),
    )
    reached = reach(found, account("ci", "team"))
    assert reached[account("builder", "team")] is True  # pods, workloads, tokens, impersonation
    assert reached[WorkloadRef(kind="Deployment", namespace="team", name="web")] is True  # exec
    assert account("api", "other") not in reached
