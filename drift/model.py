"""The typed graph shared by the baseline and the live system.

One directed multigraph (networkx) whose nodes and edges carry frozen dataclasses. Node ids
are stable and human-readable (see `drift.ids`). At most one edge of each type joins an
ordered pair of nodes: a second `connects` edge for the same pair is a bug in the builder.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

import networkx as nx

from drift.k8s.objects import SourceRef
from drift.ports import PortSet


class NodeType(enum.StrEnum):
    WORKLOAD = "workload"
    IDENTITY = "identity"
    RESOURCE = "resource"
    ZONE = "zone"
    NETWORK = "network"
    UNLISTED = "unlisted"


class EdgeType(enum.StrEnum):
    CONNECTS = "connects"
    RUNS_AS = "runs_as"
    CAN = "can"
    ASSUMES = "assumes"
    EXPOSES = "exposes"


class MtlsMode(enum.StrEnum):
    STRICT = "strict"
    PERMISSIVE = "permissive"
    DISABLED = "disabled"
    UNKNOWN = "unknown"


class AuthzVerdict(enum.StrEnum):
    """What the destination's mesh authorization says about the source's identity on the
    edge's ports: all admitted, none, some ports only, or undecided by the inputs."""

    ALLOW = "allow"
    DENY = "deny"
    PARTIAL = "partial"
    UNKNOWN = "unknown"


class ExposureScope(enum.StrEnum):
    """How widely something is published, narrowest first (see `wider_scope`)."""

    NODE = "node"
    INTERNAL = "internal"
    UNKNOWN = "unknown"
    PUBLIC = "public"


_SCOPE_ORDER = {s: i for i, s in enumerate(ExposureScope)}


def wider_scope(a: ExposureScope, b: ExposureScope) -> ExposureScope:
    """The wider of two scopes: node < internal < unknown < public (unknown may be public)."""
    return a if _SCOPE_ORDER[a] >= _SCOPE_ORDER[b] else b


@dataclass(frozen=True, kw_only=True)
class WorkloadNode:
    type: ClassVar[NodeType] = NodeType.WORKLOAD
    id: str
    kind: str
    namespace: str
    name: str
    service_account: str
    labels: Mapping[str, str]
    source: SourceRef | None = None
    # Whether a NetworkPolicy isolates its pods, per direction; None: the input does not say.
    isolated_ingress: bool | None = None
    isolated_egress: bool | None = None
    token_automounted: bool = True  # the pod spec, else its ServiceAccount, else the default


@dataclass(frozen=True, kw_only=True)
class IdentityNode:
    """Who acts: a ServiceAccount, or a User or Group some binding names (only those), or the
    credentials of the nodes (kind `Node`, reached from privileged pods and `nodes/proxy`)."""

    type: ClassVar[NodeType] = NodeType.IDENTITY
    id: str
    kind: str
    name: str
    namespace: str | None = None
    declared: bool = True  # False: referenced by a workload but not in the input


@dataclass(frozen=True, kw_only=True)
class ResourceNode:
    """What an RBAC rule lets an identity act on, as written: resources of one API group in
    one namespace (or cluster-wide), perhaps one by name, or a non-resource URL. `*` stays
    `*`: it is what an architect reads in the role."""

    type: ClassVar[NodeType] = NodeType.RESOURCE
    id: str
    name: str  # for a person: `secrets in shop`, `*.* cluster-wide`, `URL /metrics`
    namespace: str | None = None  # None: every namespace and the cluster-scoped resources
    api_group: str = ""
    resource: str = ""  # `pods`, `pods/exec`, `*`; a URL path when `non_resource`
    resource_name: str | None = None  # None: any object of that resource
    non_resource: bool = False


@dataclass(frozen=True, kw_only=True)
class ZoneNode:
    """A boundary: a namespace (with its labels, complete only when `declared`), or the
    internet, where published workloads are reached from."""

    type: ClassVar[NodeType] = NodeType.ZONE
    id: str
    name: str
    kind: str = "Namespace"  # or "Internet"
    labels: Mapping[str, str] = field(default_factory=dict)
    declared: bool = True


@dataclass(frozen=True, kw_only=True)
class NetworkNode:
    """Addresses outside the cluster: a cell of the partition the ipBlocks draw."""

    type: ClassVar[NodeType] = NodeType.NETWORK
    id: str
    cidrs: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class UnlistedNode:
    """Pods of namespaces the input does not contain, that some selector could admit."""

    type: ClassVar[NodeType] = NodeType.UNLISTED
    id: str


Node = WorkloadNode | IdentityNode | ResourceNode | ZoneNode | NetworkNode | UnlistedNode


@dataclass(frozen=True, kw_only=True, order=True)
class Evidence:
    """One object responsible for an answer (a NetworkPolicy, a Service), or the absence of
    one ("ingress: destination not isolated"), with where it was written when known."""

    text: str
    source: SourceRef | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, kw_only=True)
class ConnectsEdge:
    """What `source` may open to `target`: admitted ports, and ports the inputs leave open.

    `ports` and `unknown` are disjoint. `reasons` say why anything is unknown; `evidence`
    names what admits it on each side (a NetworkPolicy, or that no policy isolates the pod).
    `mtls` and `authz` stay None until a mesh model fills them in.
    """

    type: ClassVar[EdgeType] = EdgeType.CONNECTS
    source: str
    target: str
    ports: PortSet
    unknown: PortSet = field(default_factory=PortSet.empty)
    reasons: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    mtls: MtlsMode | None = None  # the destination's mode on these ports (weakest of them)
    authz: AuthzVerdict | None = None  # whether the destination's mesh admits the source
    # The ports the mesh answers are about (those the destination serves), and the policies
    # behind each answer.
    mesh_ports: PortSet | None = None
    mtls_modes: tuple[tuple[MtlsMode, PortSet], ...] = ()  # each mode's share of mesh_ports
    mtls_evidence: tuple[Evidence, ...] = ()
    authz_evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, kw_only=True)
class RunsAsEdge:
    type: ClassVar[EdgeType] = EdgeType.RUNS_AS
    source: str
    target: str


@dataclass(frozen=True, kw_only=True)
class CanEdge:
    """An identity may do `actions` (RBAC verbs, `*` as written) on a resource; `evidence`
    names each binding and role that grants it."""

    type: ClassVar[EdgeType] = EdgeType.CAN
    source: str
    target: str
    actions: frozenset[str]
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, kw_only=True)
class AssumesEdge:
    """An identity can become another identity, or act as a workload's pods (exec): `via`
    says how in one line, `evidence` what grants it. Not `certain` where the inputs leave it
    open (a role that is not in the input); `unbounded` where it leads to any permission in
    its scope (`bind`, `escalate`, `impersonate *`, webhooks)."""

    type: ClassVar[EdgeType] = EdgeType.ASSUMES
    source: str
    target: str
    via: str
    evidence: tuple[Evidence, ...] = ()
    certain: bool = True
    unbounded: bool = False


@dataclass(frozen=True, kw_only=True)
class ExposesEdge:
    """`target` is published past the cluster: by what (`via`, one line per object), how
    widely (`scope`, the widest of them) and on which of its pods' ports."""

    type: ClassVar[EdgeType] = EdgeType.EXPOSES
    source: str
    target: str
    via: tuple[Evidence, ...]
    scope: ExposureScope
    ports: PortSet = field(default_factory=PortSet.empty)


Edge = ConnectsEdge | RunsAsEdge | CanEdge | AssumesEdge | ExposesEdge


@dataclass(frozen=True, kw_only=True)
class Misbinding:
    """A ServiceAccount bound to an IAM role whose trust policy refuses it: the cluster (an
    IRSA annotation) or EKS (a Pod Identity association) hands its pods that role, and AWS
    will not let them assume it. No `assumes` edge: this is a record of the mismatch.

    `source` is the ServiceAccount node id, `target` the role ARN, `via` the binding in one
    line (`annotation eks.amazonaws.com/role-arn`, `Pod Identity association <id>`),
    `reason` why the trust refuses it, `evidence` the binding and the trust policy, with
    where the binding was written when known."""

    source: str
    target: str
    via: str
    reason: str
    evidence: tuple[Evidence, ...] = ()


class GraphError(ValueError):
    """The builder tried to make a graph the model forbids (a bug, not bad input)."""


class SystemGraph:
    """The model of one system (live or designed) for one cluster or account."""

    def __init__(self, *, cluster: str) -> None:
        self.cluster = cluster
        self._graph = nx.MultiDiGraph()
        # For a person: what the model could not place (a published Service with no
        # selector...). Reported with every check; never a reason to drop anything.
        self.notes: list[str] = []
        # Bindings of ServiceAccounts to IAM roles that the roles' trust refuses (see
        # `Misbinding`); each also has a note.
        self.misbindings: list[Misbinding] = []

    def add_node(self, node: Node) -> None:
        existing = self._graph.nodes.get(node.id)
        if existing is not None and existing["node"] != node:
            raise GraphError(f"two different nodes with id {node.id!r}")
        self._graph.add_node(node.id, node=node)

    def add_edge(self, edge: Edge) -> None:
        for end in (edge.source, edge.target):
            if end not in self._graph:
                raise GraphError(f"{edge.type} edge names unknown node {end!r}")
        if self._graph.has_edge(edge.source, edge.target, key=edge.type):
            raise GraphError(f"second {edge.type} edge {edge.source} -> {edge.target}")
        self._graph.add_edge(edge.source, edge.target, key=edge.type, edge=edge)

    def replace_edge(self, edge: Edge) -> None:
        """Put `edge` in place of the edge of its type between the same pair (a builder that
        learns more about a relation merges it into one edge, as the model allows only one)."""
        if not self._graph.has_edge(edge.source, edge.target, key=edge.type):
            raise GraphError(f"no {edge.type} edge {edge.source} -> {edge.target} to replace")
        self._graph.add_edge(edge.source, edge.target, key=edge.type, edge=edge)

    def node(self, node_id: str) -> Node:
        node: Node = self._graph.nodes[node_id]["node"]
        return node

    def has_node(self, node_id: str) -> bool:
        return node_id in self._graph

    def nodes(self, node_type: NodeType | None = None) -> Iterator[Node]:
        for _, data in self._graph.nodes(data=True):
            node: Node = data["node"]
            if node_type is None or node.type is node_type:
                yield node

    def edges(self, edge_type: EdgeType | None = None) -> Iterator[Edge]:
        for _, _, key, data in self._graph.edges(keys=True, data=True):
            if edge_type is None or key == edge_type:
                edge: Edge = data["edge"]
                yield edge

    def edge(self, source: str, target: str, edge_type: EdgeType) -> Edge | None:
        data = self._graph.get_edge_data(source, target, key=edge_type)
        return None if data is None else data["edge"]

    @property
    def networkx(self) -> nx.MultiDiGraph:
        """The underlying graph, for algorithms (paths, reachability). Do not mutate."""
        return self._graph
