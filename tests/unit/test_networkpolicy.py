"""NetworkPolicy semantics, one rule of the Kubernetes spec per test.

Small clusters built in code; each test names the rule it pins down.
"""

from __future__ import annotations

from builders import connects, deployment, graph, namespace, netpol, pod, wid

from drift.ids import network_id, unlisted_id
from drift.model import EdgeType, NetworkNode, NodeType
from drift.ports import PortSet

ALL = {"SCTP": [[1, 65535]], "TCP": [[1, 65535]], "UDP": [[1, 65535]]}
HTTP = [{"name": "http", "containerPort": 8080}]


def ports(g, source, target):
    edge = connects(g, source, target)
    return None if edge is None else edge.ports.to_json()


def unknown(g, source, target):
    edge = connects(g, source, target)
    return None if edge is None else edge.unknown.to_json()


def test_without_policies_every_workload_reaches_every_other_on_every_port() -> None:
    g = graph(deployment("a"), deployment("b"), pod("p"))
    for s in (wid("a"), wid("b"), wid("p", kind="Pod")):
        for t in (wid("a"), wid("b"), wid("p", kind="Pod")):
            if s == t == wid("p", kind="Pod"):
                continue
            assert ports(g, s, t) == ALL, (s, t)


def test_self_edge_means_two_pods_of_a_workload_so_a_bare_pod_has_none() -> None:
    g = graph(deployment("a"), pod("p"))
    assert connects(g, wid("a"), wid("a")) is not None
    assert connects(g, wid("p", kind="Pod"), wid("p", kind="Pod")) is None


def test_a_pod_is_isolated_only_once_a_policy_selects_it() -> None:
    g = graph(
        deployment("a"),
        deployment("b"),
        deployment("c"),
        netpol(
            "a-in",
            {
                "podSelector": {"matchLabels": {"app": "a"}},
                "ingress": [
                    {
                        "from": [{"podSelector": {"matchLabels": {"app": "b"}}}],
                        "ports": [{"port": 80}],
                    }
                ],
            },
        ),
    )
    assert ports(g, wid("b"), wid("a")) == {"TCP": [[80, 80]]}
    assert connects(g, wid("c"), wid("a")) is None
    assert ports(g, wid("a"), wid("c")) == ALL  # egress not governed, c not isolated


def test_a_connection_needs_egress_of_the_source_and_ingress_of_the_destination() -> None:
    g = graph(
        deployment("a"),
        deployment("b"),
        netpol(
            "a-out",
            {
                "podSelector": {"matchLabels": {"app": "a"}},
                "policyTypes": ["Egress"],
                "egress": [{"ports": [{"port": 80, "endPort": 100}]}],
            },
        ),
        netpol(
            "b-in",
            {
                "podSelector": {"matchLabels": {"app": "b"}},
                "ingress": [{"ports": [{"port": 90, "endPort": 200}]}],
            },
        ),
    )
    assert ports(g, wid("a"), wid("b")) == {"TCP": [[90, 100]]}


def test_policy_types_default_to_ingress_plus_egress_only_with_egress_rules() -> None:
    ingress_only = graph(
        deployment("a"),
        deployment("b"),
        netpol("p", {"podSelector": {"matchLabels": {"app": "a"}}, "egress": []}),
    )
    assert ports(ingress_only, wid("a"), wid("b")) == ALL  # empty egress list: not Egress
    assert connects(ingress_only, wid("b"), wid("a")) is None  # Ingress implied, no rules
    with_egress = graph(
        deployment("a"),
        deployment("b"),
        netpol(
            "p",
            {
                "podSelector": {"matchLabels": {"app": "a"}},
                "egress": [{"ports": [{"port": 53, "protocol": "UDP"}]}],
            },
        ),
    )
    assert ports(with_egress, wid("a"), wid("b")) == {"UDP": [[53, 53]]}


def test_explicit_egress_type_without_rules_denies_all_egress_even_to_addresses() -> None:
    g = graph(
        deployment("a"),
        deployment("b"),
        netpol("deny-out", {"podSelector": {}, "policyTypes": ["Egress"]}),
    )
    assert [e for e in g.edges(EdgeType.CONNECTS) if e.source == wid("a")] == []
    assert ports(g, network_id("c", "other-addresses"), wid("a")) == ALL


def test_rule_without_peers_admits_pods_addresses_and_unlisted_namespaces() -> None:
    g = graph(
        deployment("a"),
        deployment("b"),
        netpol(
            "a-in",
            {"podSelector": {"matchLabels": {"app": "a"}}, "ingress": [{"ports": [{"port": 443}]}]},
        ),
    )
    for source in (wid("b"), wid("a"), unlisted_id("c"), network_id("c", "other-addresses")):
        assert ports(g, source, wid("a")) == {"TCP": [[443, 443]]}, source


def test_a_protocol_without_a_port_means_every_port_of_that_protocol() -> None:
    g = graph(
        deployment("a"),
        deployment("b"),
        netpol(
            "a-in",
            {
                "podSelector": {"matchLabels": {"app": "a"}},
                "ingress": [{"ports": [{"protocol": "UDP"}, {"protocol": "SCTP", "port": 9}]}],
            },
        ),
    )
    assert ports(g, wid("b"), wid("a")) == {"SCTP": [[9, 9]], "UDP": [[1, 65535]]}


def test_named_ports_resolve_per_destination_and_match_nothing_where_undeclared() -> None:
    g = graph(
        deployment("web", {"app": "web"}, ports=HTTP),
        deployment("api", {"app": "api"}, ports=[{"name": "http", "containerPort": 9000}]),
        deployment("db", {"app": "db"}, ports=[{"name": "sql", "containerPort": 5432}]),
        deployment(
            "dns", {"app": "dns"}, ports=[{"name": "http", "containerPort": 53, "protocol": "UDP"}]
        ),
        deployment("client", {"app": "client"}),
        netpol(
            "all-in",
            {
                "podSelector": {
                    "matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["client"]}]
                },
                "ingress": [{"ports": [{"port": "http"}]}],
            },
        ),
    )
    assert ports(g, wid("client"), wid("web")) == {"TCP": [[8080, 8080]]}
    assert ports(g, wid("client"), wid("api")) == {"TCP": [[9000, 9000]]}
    assert connects(g, wid("client"), wid("db")) is None
    assert connects(g, wid("client"), wid("dns")) is None  # the name is declared for UDP only


def test_named_port_in_egress_to_addresses_or_unlisted_pods_is_unknown() -> None:
    g = graph(
        deployment("a"),
        netpol(
            "out",
            {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [
                    {"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}], "ports": [{"port": "https"}]},
                    {"to": [{"namespaceSelector": {}}], "ports": [{"port": "https"}]},
                ],
            },
        ),
    )
    for target in (network_id("c", "10.0.0.0/8"), unlisted_id("c")):
        edge = connects(g, wid("a"), target)
        assert edge is not None and edge.ports.is_empty()
        assert edge.unknown.to_json() == {"TCP": [[1, 65535]]}
        assert any("named port 'https'" in r for r in edge.reasons)


def test_ip_blocks_partition_addresses_and_except_ranges_are_removed() -> None:
    g = graph(
        deployment("a"),
        netpol(
            "out",
            {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [
                    {"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}]},
                    {"to": [{"ipBlock": {"cidr": "10.0.0.0/16"}}], "ports": [{"port": 22}]},
                ],
            },
        ),
    )
    cells = {n.id: n.cidrs for n in g.nodes(NodeType.NETWORK) if isinstance(n, NetworkNode)}
    assert set(cells) == {
        network_id("c", x) for x in ("10.0.0.0/8", "10.0.0.0/16", "10.1.0.0/16", "other-addresses")
    }
    assert cells[network_id("c", "10.0.0.0/16")] == ("10.0.0.0/16",)
    assert ports(g, wid("a"), network_id("c", "10.0.0.0/8")) == ALL
    assert ports(g, wid("a"), network_id("c", "10.0.0.0/16")) == ALL
    assert connects(g, wid("a"), network_id("c", "10.1.0.0/16")) is None
    assert connects(g, wid("a"), network_id("c", "other-addresses")) is None


def test_an_ip_block_never_matches_pods() -> None:
    g = graph(
        deployment("a"),
        deployment("b"),
        netpol(
            "a-in",
            {
                "podSelector": {"matchLabels": {"app": "a"}},
                "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}],
            },
        ),
    )
    assert connects(g, wid("b"), wid("a")) is None
    assert ports(g, network_id("c", "0.0.0.0/0"), wid("a")) == ALL


def test_pod_selector_alone_selects_pods_of_the_policy_namespace_only() -> None:
    g = graph(
        namespace("x"),
        namespace("y"),
        deployment("a", namespace="x"),
        deployment("b", namespace="x"),
        deployment("b", namespace="y"),
        netpol(
            "a-in",
            {
                "podSelector": {"matchLabels": {"app": "a"}},
                "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "b"}}}]}],
            },
            namespace="x",
        ),
    )
    assert ports(g, wid("b", "x"), wid("a", "x")) == ALL
    assert connects(g, wid("b", "y"), wid("a", "x")) is None
    assert connects(g, unlisted_id("c"), wid("a", "x")) is None


def test_namespace_and_pod_selector_in_one_peer_are_anded_in_two_peers_ored() -> None:
    base = [
        namespace("x", {"team": "x"}),
        namespace("y", {"team": "y"}),
        deployment("a", namespace="x"),
        deployment("b", namespace="y"),
        deployment("c", namespace="y"),
    ]
    and_peer = [
        {
            "namespaceSelector": {"matchLabels": {"team": "y"}},
            "podSelector": {"matchLabels": {"app": "b"}},
        }
    ]
    or_peers = [
        {"namespaceSelector": {"matchLabels": {"team": "y"}}},
        {"podSelector": {"matchLabels": {"app": "b"}}},
    ]
    anded = graph(
        *base, netpol("in", {"podSelector": {}, "ingress": [{"from": and_peer}]}, namespace="x")
    )
    ored = graph(
        *base, netpol("in", {"podSelector": {}, "ingress": [{"from": or_peers}]}, namespace="x")
    )
    assert connects(anded, wid("b", "y"), wid("a", "x")) is not None
    assert connects(anded, wid("c", "y"), wid("a", "x")) is None
    assert connects(ored, wid("c", "y"), wid("a", "x")) is not None


def test_match_expressions_operators_on_namespace_labels() -> None:
    base = [
        namespace("dev", {"env": "dev"}),
        namespace("prod", {"env": "prod"}),
        namespace("bare"),
        deployment("a", namespace="prod"),
        deployment("d", namespace="dev"),
        deployment("n", namespace="bare"),
    ]
    cases = {
        "NotIn": ({"operator": "NotIn", "values": ["dev"]}, {"prod", "bare"}),
        "In": ({"operator": "In", "values": ["dev", "qa"]}, {"dev"}),
        "Exists": ({"operator": "Exists"}, {"dev", "prod"}),
        "DoesNotExist": ({"operator": "DoesNotExist"}, {"bare"}),
    }
    for name, (expression, admitted) in cases.items():
        g = graph(
            *base,
            netpol(
                "in",
                {
                    "podSelector": {},
                    "ingress": [
                        {
                            "from": [
                                {
                                    "namespaceSelector": {
                                        "matchExpressions": [{"key": "env", **expression}]
                                    }
                                }
                            ]
                        }
                    ],
                },
                namespace="prod",
            ),
        )
        sources = {
            ns
            for ns, w in (("dev", "d"), ("prod", "a"), ("bare", "n"))
            if connects(g, wid(w, ns), wid("a", "prod")) is not None
        }
        assert sources == admitted, name


def test_labels_of_a_namespace_not_in_the_input_are_unknown_except_its_name() -> None:
    g = graph(
        deployment("a", namespace="prod"),
        deployment("b", namespace="other"),
        netpol(
            "in",
            {
                "podSelector": {},
                "ingress": [
                    {
                        "from": [{"namespaceSelector": {"matchLabels": {"team": "x"}}}],
                        "ports": [{"port": 1}],
                    },
                    {
                        "from": [
                            {
                                "namespaceSelector": {
                                    "matchLabels": {"kubernetes.io/metadata.name": "other"}
                                }
                            }
                        ],
                        "ports": [{"port": 2}],
                    },
                ],
            },
            namespace="prod",
        ),
    )
    edge = connects(g, wid("b", "other"), wid("a", "prod"))
    assert edge is not None
    assert edge.ports.to_json() == {"TCP": [[2, 2]]}
    assert edge.unknown.to_json() == {"TCP": [[1, 1]]}
    assert edge.reasons == ("labels of namespace other are not in the input",)


def test_unlisted_node_shows_what_selectors_could_admit_from_other_namespaces() -> None:
    listed_only = graph(
        namespace("x"),
        deployment("a", namespace="x"),
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
                                            "operator": "In",
                                            "values": ["x"],
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
    assert connects(listed_only, unlisted_id("c"), wid("a", "x")) is None
    any_namespace = graph(
        namespace("x"),
        deployment("a", namespace="x"),
        netpol(
            "in",
            {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {}}]}]},
            namespace="x",
        ),
    )
    assert ports(any_namespace, unlisted_id("c"), wid("a", "x")) == ALL


def test_policies_selecting_one_pod_add_up() -> None:
    g = graph(
        deployment("a"),
        deployment("b"),
        netpol("p1", {"podSelector": {}, "ingress": [{"ports": [{"port": 1}]}]}),
        netpol(
            "p2",
            {"podSelector": {"matchLabels": {"app": "a"}}, "ingress": [{"ports": [{"port": 2}]}]},
        ),
    )
    assert ports(g, wid("b"), wid("a")) == {"TCP": [[1, 2]]}
    assert ports(g, wid("a"), wid("b")) == {"TCP": [[1, 1]]}
    assert {e.text for e in connects(g, wid("b"), wid("a")).evidence} == {
        "egress: source not isolated",
        "ingress: NetworkPolicy default/p1",
        "ingress: NetworkPolicy default/p2",
    }


def test_host_network_pods_make_isolated_answers_unknown() -> None:
    g = graph(
        deployment("a"),
        deployment("h", host_network=True),
        netpol(
            "deny",
            {
                "podSelector": {},
                "ingress": [
                    {
                        "from": [{"podSelector": {"matchLabels": {"app": "a"}}}],
                        "ports": [{"port": 80}],
                    }
                ],
            },
        ),
    )
    into_host = connects(g, wid("a"), wid("h"))
    assert into_host is not None and into_host.ports.to_json() == {"TCP": [[80, 80]]}
    assert into_host.unknown == PortSet.every() - into_host.ports
    assert "hostNetwork" in " ".join(into_host.reasons)
    # A pod cannot block its own node, where a hostNetwork source may run: nothing is denied.
    from_host = connects(g, wid("h"), wid("a"))
    assert from_host is not None and from_host.ports.is_empty()
    assert from_host.unknown == PortSet.every()
    assert "a pod cannot block traffic from its own node" in " ".join(from_host.reasons)


def test_selector_on_a_per_pod_label_is_unknown() -> None:
    g = graph(
        deployment("db", {"app": "db"}, kind="StatefulSet"),
        deployment("a"),
        netpol(
            "one-pod",
            {
                "podSelector": {"matchLabels": {"app": "db"}},
                "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "a"}}}]}],
            },
        ),
        netpol(
            "a-in",
            {
                "podSelector": {"matchLabels": {"app": "a"}},
                "ingress": [
                    {
                        "from": [
                            {
                                "podSelector": {
                                    "matchLabels": {"statefulset.kubernetes.io/pod-name": "db-0"}
                                }
                            }
                        ]
                    }
                ],
            },
        ),
    )
    edge = connects(g, wid("db", kind="StatefulSet"), wid("a"))
    assert edge is not None and edge.ports.is_empty() and edge.unknown == edge.unknown.every()
    assert "statefulset.kubernetes.io/pod-name" in edge.reasons[0]


def test_policies_of_engines_not_modelled_make_the_namespace_unknown() -> None:
    cilium = {
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumNetworkPolicy",
        "metadata": {"name": "x", "namespace": "x"},
        "spec": {},
    }
    g = graph(
        deployment("a", namespace="x"),
        deployment("b", namespace="y"),
        deployment("c", namespace="y"),
        cilium,
    )
    edge = connects(g, wid("b", "y"), wid("a", "x"))
    assert edge is not None and edge.ports.is_empty() and edge.unknown == edge.unknown.every()
    assert "cilium.io/CiliumNetworkPolicy" in edge.reasons[0]
    assert ports(g, wid("b", "y"), wid("c", "y")) == ALL


def test_job_pods_carry_the_job_name_label() -> None:
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "migrate"},
        "spec": {"template": {"metadata": {}, "spec": {"containers": [{"name": "c"}]}}},
    }
    g = graph(
        job,
        deployment("db"),
        netpol(
            "db",
            {
                "podSelector": {"matchLabels": {"app": "db"}},
                "ingress": [{"from": [{"podSelector": {"matchLabels": {"job-name": "migrate"}}}]}],
            },
        ),
    )
    assert ports(g, wid("migrate", kind="Job"), wid("db")) == ALL
