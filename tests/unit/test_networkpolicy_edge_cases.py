"""NetworkPolicy edge cases from an adversarial review of the engine, each pinned to the
rule of the Kubernetes API it follows (defaulting in SetDefaults_NetworkPolicy, validation in
ValidateNetworkPolicySpec, the API reference's field documentation).

Deliberately not here: "an ipBlock may match pod IPs". The NetworkPolicy docs say ipBlocks
"should be cluster-external IPs" and the issue this engine answers decides that a pod is not
matched by an ipBlock (tests/unit/test_networkpolicy.py pins it).
"""

from __future__ import annotations

import pytest
from builders import connects, deployment, graph, inventory, namespace, netpol, wid

from drift.errors import ManifestError
from drift.ids import network_id
from drift.ports import PortSet

ALL = {"SCTP": [[1, 65535]], "TCP": [[1, 65535]], "UDP": [[1, 65535]]}


def ports(g, s, t):
    e = connects(g, s, t)
    return None if e is None else e.ports.to_json()


def loads(*docs) -> bool:
    try:
        inventory(*docs)
    except ManifestError:
        return False
    return True


def raw_netpol(name: str, body: dict, ns: str = "default") -> dict:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": ns},
        **body,
    }


# --- 1. policyTypes: [] ---------------------------------------------------------------
# SetDefaults_NetworkPolicy: `if len(obj.Spec.PolicyTypes) == 0 { PolicyTypes = [Ingress]
# (+Egress if len(Egress) != 0) }` -- an explicit empty list is defaulted like a missing one.
def test_empty_policy_types_is_defaulted_to_ingress() -> None:
    g = graph(
        deployment("a"),
        deployment("b"),
        netpol("deny-in", {"podSelector": {}, "policyTypes": []}),
    )
    # Expected: every pod of `default` isolated for ingress, no rules -> nothing admitted.
    assert connects(g, wid("b"), wid("a")) is None  # actual: ALL, "destination not isolated"


def test_empty_policy_types_with_egress_rules_governs_egress() -> None:
    g = graph(
        deployment("a"),
        deployment("b"),
        netpol(
            "p",
            {
                "podSelector": {"matchLabels": {"app": "a"}},
                "policyTypes": [],
                "egress": [{"ports": [{"port": 53, "protocol": "UDP"}]}],
            },
        ),
    )
    assert ports(g, wid("a"), wid("b")) == {"UDP": [[53, 53]]}  # actual: ALL


# --- 2. podSelector / spec are optional --------------------------------------------------
# k8s.io/api networking/v1 types.go: "podSelector ... This field is optional. If it is not
# specified, it defaults to an empty selector." `Spec NetworkPolicySpec json:"spec,omitempty"`
# (+optional). ValidateNetworkPolicySpec has no Required check for either.
def test_missing_pod_selector_loads_as_empty_selector() -> None:
    docs = (deployment("a"), deployment("b"), netpol("deny-in", {"policyTypes": ["Ingress"]}))
    assert loads(*docs)  # actual: "spec.podSelector: required"
    assert connects(graph(*docs), wid("b"), wid("a")) is None


def test_missing_spec_loads_as_deny_all_ingress() -> None:
    docs = (deployment("a"), deployment("b"), raw_netpol("deny-in", {}))
    assert loads(*docs)  # actual: "spec: required"


# --- 3. ipBlock validation ----------------------------------------------------------------
# ValidateIPBlock: `if !cidrIPNet.Contains(exceptCIDR.IP) || cidrMaskLen >= exceptMaskLen
#   -> "must be a strict subset of `cidr`"`
def test_except_equal_to_cidr_is_rejected() -> None:
    assert not loads(
        deployment("a"),
        netpol(
            "p",
            {
                "podSelector": {},
                "ingress": [
                    {"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.0.0.0/8"]}}]}
                ],
            },
        ),
    )


# IsValidCIDRForLegacyField -> netutils.ParseCIDRSloppy: needs "addr/prefixlen"; a bare
# address or a dotted netmask is not a CIDR. Python's ip_network accepts both.
@pytest.mark.parametrize("cidr", ["10.0.0.1", "10.0.0.0/255.0.0.0", "2001:db8::1"])
def test_cidr_without_prefix_length_is_rejected(cidr: str) -> None:
    assert not loads(
        deployment("a"),
        netpol("p", {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": cidr}}]}]}),
    )


# --- 4. policyTypes with more than two entries ------------------------------------------
# ValidateNetworkPolicySpec: `if len(spec.PolicyTypes) > 2 -> "may not specify more than two
# policyTypes"`.
def test_three_policy_types_are_rejected() -> None:
    assert not loads(
        deployment("a"),
        netpol("p", {"podSelector": {}, "policyTypes": ["Ingress", "Egress", "Ingress"]}),
    )


# --- 5. `from`/`to`/`ports`/`except` given as a mapping (or other falsy non-list) ----------
# The API decodes these into Go slices; `{}` is not a list and is refused at decode time.
# The engine reads `from: {}` as "no peers" = every peer (allow-all).
@pytest.mark.parametrize(
    "rule",
    [
        {"from": {}},
        {"ports": {}},
        {"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": {}}}]},
        {"from": ""},
    ],
)
def test_non_list_rule_fields_are_rejected(rule: dict) -> None:
    assert not loads(deployment("a"), netpol("p", {"podSelector": {}, "ingress": [rule]}))


# --- 6. A policy selecting a pod only MAYBE drops pairs it cannot decide ---------------------
# NetworkPolicySpec.ingress: "Traffic is allowed to a pod if there are no NetworkPolicies
# selecting the pod". If selection is undecided, the pod may be unisolated -> unknown.
# `_ingress_reach` only returns the rules' peers when every selection is MAYBE.
def _sts_maybe_ingress():
    return graph(
        deployment("db", {"app": "db"}, kind="StatefulSet"),
        deployment("a"),
        deployment("c"),
        netpol(
            "db-0-in",
            {
                "podSelector": {"matchLabels": {"statefulset.kubernetes.io/pod-name": "db-0"}},
                "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "a"}}}]}],
            },
        ),
    )


def test_maybe_selected_destination_still_reachable_from_other_pods() -> None:
    g = _sts_maybe_ingress()
    edge = connects(g, wid("c"), wid("db", kind="StatefulSet"))
    # db-1.. are not selected: c reaches them. Expected unknown ALL; actual: no edge.
    assert edge is not None and edge.unknown == PortSet.every()


def test_maybe_selected_destination_self_edge() -> None:
    g = _sts_maybe_ingress()
    db = wid("db", kind="StatefulSet")
    assert connects(g, db, db) is not None  # db-0 -> db-1 is unrestricted; actual: no edge


def test_bug6c_maybe_selected_source_egress_still_reaches_others() -> None:
    g = graph(
        deployment("db", {"app": "db"}, kind="StatefulSet"),
        deployment("a"),
        deployment("c"),
        netpol(
            "db-0-out",
            {
                "podSelector": {"matchLabels": {"statefulset.kubernetes.io/pod-name": "db-0"}},
                "policyTypes": ["Egress"],
                "egress": [{"to": [{"podSelector": {"matchLabels": {"app": "a"}}}]}],
            },
        ),
    )
    edge = connects(g, wid("db", kind="StatefulSet"), wid("c"))
    assert edge is not None and edge.unknown == PortSet.every()  # actual: no edge


# --- 7. ipBlocks and pod IPs ---------------------------------------------------------------
# IPBlock: "a particular CIDR ... that is allowed to the pods matched by a NetworkPolicySpec's
# podSelector" -- nothing excludes pod IPs. Upstream e2e "should allow egress access to server
# in CIDR block" builds `<podIP>/32` as an ipBlock and expects the pod to be reachable
# (test/e2e/network/netpol/network_policy.go); Cilium skips that test (it does not match pod
# IPs). So whether an ipBlock admits a pod is implementation-defined and pod IPs are not in the
# input: unknown, never a certain "no".
def test_namespaced_unmodelled_policy_keeps_other_namespace_egress_bound() -> None:
    cilium = {
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumNetworkPolicy",
        "metadata": {"name": "x", "namespace": "x"},
        "spec": {},
    }
    g = graph(
        namespace("x"),
        namespace("y"),
        deployment("a", namespace="x"),
        deployment("b", namespace="y"),
        netpol(
            "out",
            {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [
                            {
                                "namespaceSelector": {
                                    "matchLabels": {"kubernetes.io/metadata.name": "x"}
                                }
                            }
                        ],
                        "ports": [{"port": 80}],
                    }
                ],
            },
            namespace="y",
        ),
        cilium,
    )
    edge = connects(g, wid("b", "y"), wid("a", "x"))
    assert edge is not None
    # y's egress admits only TCP 80 toward x: nothing else can be "possible".
    assert (edge.ports | edge.unknown).issubset(PortSet.of("TCP", 80))  # actual: ALL unknown


# --- 9. Per-pod labels whose values the input still decides -------------------------------
# StatefulSet docs: pods are named $(statefulset name)-$(ordinal) and the controller sets
# `statefulset.kubernetes.io/pod-name` to the pod's name. `pod-name: web-0` can never match
# the pods of StatefulSet `db`; the engine reports it unknown.
def test_pod_name_selector_for_another_statefulset_is_decided_no() -> None:
    g = graph(
        deployment("db", {"app": "db"}, kind="StatefulSet"),
        deployment("a"),
        netpol(
            "a-in",
            {
                "podSelector": {"matchLabels": {"app": "a"}},
                "ingress": [
                    {
                        "from": [
                            {
                                "podSelector": {
                                    "matchLabels": {"statefulset.kubernetes.io/pod-name": "web-0"}
                                }
                            }
                        ]
                    }
                ],
            },
        ),
    )
    assert connects(g, wid("db", kind="StatefulSet"), wid("a")) is None  # actual: unknown ALL


# --- 10. Reasons attributed to the wrong peer -----------------------------------------------
# A pod-name peer in namespace x taints the reasons of an unrelated namespace y that merely
# contains a StatefulSet: a Deployment in y gets a "per pod" reason though no per-pod label
# selector applies to it.
def test_per_pod_reason_leaks_to_other_namespace() -> None:
    g = graph(
        namespace("x"),
        deployment("t", namespace="x"),
        deployment("s", {"app": "s"}, namespace="y", kind="StatefulSet"),
        deployment("d", namespace="y"),
        netpol(
            "in",
            {
                "podSelector": {},
                "ingress": [
                    {
                        "from": [
                            {
                                "podSelector": {
                                    "matchLabels": {"statefulset.kubernetes.io/pod-name": "s-0"}
                                }
                            },
                            {"namespaceSelector": {"matchLabels": {"team": "y"}}},
                        ]
                    }
                ],
            },
            namespace="x",
        ),
    )
    edge = connects(g, wid("d", "y"), wid("t", "x"))
    assert edge is not None
    assert edge.reasons == ("labels of namespace y are not in the input",), edge.reasons


# --- 11. A for-sure deny policy plus a MAYBE-selecting allow policy -------------------------
# `_apply`: after dropping rule-less selections, the single remaining selection is the MAYBE
# one, and the `len(admitted) == 1 and sure` shortcut takes its `yes` as certain. db-1 is
# isolated by `deny` and not selected by `db-0-in`: a -> db-1 is denied, so 5432 is unknown.
def test_maybe_policy_yes_is_not_certain_next_to_a_sure_deny() -> None:
    g = graph(
        deployment("db", {"app": "db"}, kind="StatefulSet"),
        deployment("a"),
        netpol("deny", {"podSelector": {"matchLabels": {"app": "db"}}}),
        netpol(
            "db-0-in",
            {
                "podSelector": {"matchLabels": {"statefulset.kubernetes.io/pod-name": "db-0"}},
                "ingress": [
                    {
                        "from": [{"podSelector": {"matchLabels": {"app": "a"}}}],
                        "ports": [{"port": 5432}],
                    }
                ],
            },
        ),
    )
    edge = connects(g, wid("a"), wid("db", kind="StatefulSet"))
    assert edge is not None
    assert edge.ports.is_empty()  # actual: {"TCP": [[5432, 5432]]} for sure
    assert edge.unknown.to_json() == {"TCP": [[5432, 5432]]}


# --- 12. `podSelector: null` silently drops the whole policy ---------------------------------
# JSON null for a non-pointer struct decodes to the zero LabelSelector = {} (all pods), so the
# API stores a deny-all-ingress policy. The engine reports no problem and ignores the policy.
def test_null_pod_selector_is_an_empty_selector_not_a_silent_drop() -> None:
    g = graph(deployment("a"), deployment("b"), netpol("deny", {"podSelector": None}))
    assert connects(g, wid("b"), wid("a")) is None  # actual: ALL, "destination not isolated"


# --- 13. Unknown fields inside rules are accepted silently ------------------------------------
# kubectl's default is --validate=strict (server-side fieldValidation=Strict): an unknown field
# is an error. The engine rejects unknown fields in label selectors but not in rules, peers,
# ports or ipBlocks -- and a typo such as `form:` turns a restricted rule into allow-all.
def test_typo_in_rule_field_is_rejected() -> None:
    assert not loads(
        deployment("a"),
        netpol(
            "p",
            {
                "podSelector": {},
                "ingress": [{"form": [{"podSelector": {"matchLabels": {"app": "x"}}}]}],
            },
        ),
    )


# --- 9b. CronJob job-name values are <cronjob>-<minutes> ------------------------------------
# CronJob controller names its Jobs `<cronjob name>-<scheduled time in minutes>` (why the
# CronJob name is limited to 52 characters). `job-name: backup` never matches them.
def test_job_name_selector_equal_to_cronjob_name_is_decided_no() -> None:
    cronjob = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "backup"},
        "spec": {
            "schedule": "* * * * *",
            "jobTemplate": {
                "spec": {
                    "template": {
                        "metadata": {"labels": {"app": "backup"}},
                        "spec": {"containers": [{"name": "c"}]},
                    }
                }
            },
        },
    }
    g = graph(
        cronjob,
        deployment("db"),
        netpol(
            "db",
            {
                "podSelector": {"matchLabels": {"app": "db"}},
                "ingress": [{"from": [{"podSelector": {"matchLabels": {"job-name": "backup"}}}]}],
            },
        ),
    )
    assert connects(g, wid("backup", kind="CronJob"), wid("db")) is None  # actual: unknown ALL


# -- behaviours the review checked and found correct ---------------------------------------


def test_egress_null_with_egress_type_denies_all_egress():
    g = graph(
        deployment("a"),
        deployment("b"),
        netpol(
            "p",
            {
                "podSelector": {"matchLabels": {"app": "a"}},
                "policyTypes": ["Egress"],
                "egress": None,
            },
        ),
    )
    assert connects(g, wid("a"), wid("b")) is None
    assert connects(g, wid("a"), network_id("c", "other-addresses")) is None


def test_ingress_rules_ignored_when_policy_types_is_egress_only():
    g = graph(
        deployment("a"),
        deployment("b"),
        netpol(
            "p",
            {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "ingress": [{"ports": [{"port": 1}]}],
                "egress": [{}],
            },
        ),
    )
    assert ports(g, wid("b"), wid("a")) == ALL


def test_empty_from_and_ports_lists_mean_everything():
    g = graph(
        deployment("a"),
        deployment("b"),
        netpol(
            "p",
            {"podSelector": {"matchLabels": {"app": "a"}}, "ingress": [{"from": [], "ports": []}]},
        ),
    )
    assert ports(g, wid("b"), wid("a")) == ALL


@pytest.mark.parametrize(
    "rule",
    [
        {"from": [{}]},
        {"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}}]},
        {"ports": [{"port": "http", "endPort": 90}]},
        {"ports": [{"endPort": 90}]},
        {"ports": [{"port": 0}]},
        {"ports": [{"port": 90, "endPort": 80}]},
        {"ports": [{"port": 80, "protocol": "tcp"}]},
        {"ports": [{"port": "80"}]},
        {"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["11.0.0.0/16"]}}]},
        {"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["::/64"]}}]},
        {"from": [{"podSelector": {"matchExpressions": [{"key": "a", "operator": "In"}]}}]},
    ],
)
def test_invalid_inputs_rejected(rule):
    assert not loads(deployment("a"), netpol("p", {"podSelector": {}, "ingress": [rule]}))


def test_host_bits_in_cidr_accepted():
    assert loads(
        deployment("a"),
        netpol(
            "p", {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.1/8"}}]}]}
        ),
    )


def test_named_port_protocol_mismatch_admits_nothing_and_sctp_works():
    g = graph(
        deployment(
            "a",
            ports=[
                {"name": "x", "containerPort": 53, "protocol": "UDP"},
                {"name": "s", "containerPort": 9, "protocol": "SCTP"},
            ],
        ),
        deployment("b"),
        netpol(
            "p",
            {
                "podSelector": {"matchLabels": {"app": "a"}},
                "ingress": [{"ports": [{"port": "x"}, {"port": "s", "protocol": "SCTP"}]}],
            },
        ),
    )
    assert ports(g, wid("b"), wid("a")) == {"SCTP": [[9, 9]]}


def test_notin_on_missing_key_and_contradictory_same_key():
    base = [
        deployment("t", {"role": "t"}),
        deployment("n", {"x": "1"}),
        deployment("q", {"app": "q"}),
    ]
    g = graph(
        *base,
        netpol(
            "p",
            {
                "podSelector": {"matchLabels": {"role": "t"}},
                "ingress": [
                    {
                        "from": [
                            {
                                "podSelector": {
                                    "matchExpressions": [
                                        {"key": "app", "operator": "NotIn", "values": ["q"]}
                                    ]
                                }
                            }
                        ]
                    }
                ],
            },
        ),
    )
    assert connects(g, wid("n"), wid("t")) is not None
    assert connects(g, wid("q"), wid("t")) is None
    g = graph(
        *base,
        netpol(
            "p",
            {
                "podSelector": {"matchLabels": {"role": "t"}},
                "ingress": [
                    {
                        "from": [
                            {
                                "namespaceSelector": {},
                                "podSelector": {
                                    "matchLabels": {"app": "q"},
                                    "matchExpressions": [
                                        {"key": "app", "operator": "NotIn", "values": ["q"]}
                                    ],
                                },
                            }
                        ]
                    }
                ],
            },
        ),
    )
    assert connects(g, wid("q"), wid("t")) is None
    assert connects(g, "k8s:c/unlisted", wid("t")) is None


def test_undeclared_namespace_name_label_decided():
    g = graph(
        deployment("a", namespace="x"),
        deployment("b", namespace="y"),
        netpol(
            "in",
            {
                "podSelector": {},
                "ingress": [
                    {
                        "from": [
                            {
                                "namespaceSelector": {
                                    "matchExpressions": [
                                        {
                                            "key": "kubernetes.io/metadata.name",
                                            "operator": "NotIn",
                                            "values": ["y"],
                                        }
                                    ]
                                }
                            }
                        ]
                    }
                ],
            },
            namespace="x",
        ),
    )
    assert connects(g, wid("b", "y"), wid("a", "x")) is None
