"""Where live nodes sit in the design: which service a workload is, which zone it is in,
and which design endpoints (a service, a zone, a keyword, an address range) cover a node."""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from drift.aws.arns import account_of
from drift.aws.kinds import AWS_PRINCIPAL_KINDS
from drift.aws.patterns import arn_matches
from drift.baseline.model import AddressEndpoint, Baseline, Endpoint, Zone, ZoneEndpoint
from drift.model import (
    IdentityNode,
    NetworkNode,
    NodeType,
    ResourceNode,
    SystemGraph,
    WorkloadNode,
    ZoneNode,
)


def service_subject(name: str) -> str:
    return f"service:{name}"


def zone_subject(name: str) -> str:
    return f"zone:{name}"


@dataclass(kw_only=True)
class DesignMap:
    """The live model read in the design's words."""

    baseline: Baseline
    graph: SystemGraph
    service_of: dict[str, str] = field(default_factory=dict)  # workload id -> service
    zone_of_namespace: dict[str, str] = field(default_factory=dict)
    members: dict[str, list[WorkloadNode]] = field(default_factory=dict)  # service -> workloads
    notes: list[str] = field(default_factory=list)
    # (namespace, zone): a zone chosen by namespace labels the input does not have
    undecided_zones: list[tuple[str, str]] = field(default_factory=list)
    zone_of_account: dict[str, str] = field(default_factory=dict)
    _aws_principals: list[str] | None = field(default=None, repr=False)

    def aws_principals(self) -> list[str]:
        """Ids of the AWS principals in the graph (users, roles, accounts, outside ARNs)."""
        if self._aws_principals is None:
            self._aws_principals = [
                n.id
                for n in self.graph.nodes(NodeType.IDENTITY)
                if isinstance(n, IdentityNode) and n.kind in AWS_PRINCIPAL_KINDS
            ]
        return self._aws_principals

    def workloads(self) -> Iterator[WorkloadNode]:
        for node in self.graph.nodes(NodeType.WORKLOAD):
            assert isinstance(node, WorkloadNode)
            yield node

    def subject(self, node_id: str) -> str:
        """The stable name a finding uses: `service:<name>` for designed workloads, else the
        node id (an unknown workload, an address cell, the unlisted pods)."""
        service = self.service_of.get(node_id)
        return service_subject(service) if service else node_id

    def zone_of(self, node_id: str) -> str | None:
        node = self.graph.node(node_id)
        if is_aws_resource(node):
            account = account_of(aws_arn(node_id))
            found = self.zone_of_account.get(account) if account else None
            return found or self.zone_of_account.get("*")
        if isinstance(node, WorkloadNode):
            return self.zone_of_namespace.get(node.namespace)
        return None


def map_design(baseline: Baseline, graph: SystemGraph) -> DesignMap:
    design = DesignMap(baseline=baseline, graph=graph)
    design.zone_of_namespace = _zones_of_namespaces(
        baseline, graph, design.notes, design.undecided_zones
    )
    for name in baseline.services:
        design.members[name] = []
    design.zone_of_account = {
        account: name for name, zone in baseline.zones.items() for account in zone.accounts
    }
    index = _SelectionIndex(baseline)
    for workload in design.workloads():
        if is_aws_resource(workload):
            continue  # below, by ARN
        services = index.services_of(workload)
        if not services:
            continue
        judged_as = index.most_specific(workload, services)
        if len(services) > 1:
            design.notes.append(
                f"{workload.id} is selected by several services ({', '.join(services)}); "
                f"judged as {judged_as}"
            )
        design.service_of[workload.id] = judged_as
        for name in services:  # live for each of them: none of them is missing
            design.members[name].append(workload)
    _select_aws(design)
    return design


def is_aws_resource(node: object) -> bool:
    """An AWS instance, database, load balancer or function (a workload node with an `aws:`
    id), or an S3 bucket (a resource node with an ARN id)."""
    if isinstance(node, WorkloadNode):
        return node.id.startswith("aws:")
    return isinstance(node, ResourceNode) and node.id.startswith("arn:")


def aws_arn(node_id: str) -> str:
    """The ARN of an AWS node (workload ids are `aws:<arn>`)."""
    return node_id.removeprefix("aws:")


def _select_aws(design: DesignMap) -> None:
    """AWS resources are a service's when one of its `select.aws` patterns matches the ARN;
    workloads join `members`, buckets only `service_of` (they have no pods to judge)."""
    patterns = [(n, s.select.aws) for n, s in design.baseline.services.items() if s.select.aws]
    if not patterns:
        return
    for node in design.graph.nodes():
        if not is_aws_resource(node):
            continue
        arn = aws_arn(node.id)
        services = [n for n, found in patterns if any(arn_matches(p, arn) for p in found)]
        if not services:
            continue
        if len(services) > 1:
            design.notes.append(
                f"{node.id} is selected by several services ({', '.join(services)}); "
                f"judged as {services[0]}"
            )
        design.service_of[node.id] = services[0]
        if isinstance(node, WorkloadNode):
            for name in services:
                design.members[name].append(node)


def service_namespace(baseline: Baseline, name: str) -> str | None:
    service = baseline.services[name]
    if service.select.namespace is not None:
        return service.select.namespace
    zone = baseline.zones.get(service.zone)
    return zone.namespaces[0] if zone is not None and len(zone.namespaces) == 1 else None


class _SelectionIndex:
    """Services indexed by namespace and by one label or workload name each, so mapping a
    workload looks at the few services that could select it, not at all of them."""

    def __init__(self, baseline: Baseline) -> None:
        self._order = {name: i for i, name in enumerate(baseline.services)}
        self._label_count = {n: len(s.select.labels) for n, s in baseline.services.items()}
        self._by_ref: dict[tuple[str | None, str], list[str]] = {}
        self._by_label: dict[tuple[str | None, str, str], list[tuple[str, dict[str, str]]]] = {}
        for name, service in baseline.services.items():
            namespace = service_namespace(baseline, name)
            for ref in service.select.workloads:
                self._by_ref.setdefault((namespace, ref), []).append(name)
            if service.select.labels:
                key, value = min(service.select.labels.items())
                entry = (name, service.select.labels)
                self._by_label.setdefault((namespace, key, value), []).append(entry)

    def most_specific(self, workload: WorkloadNode, services: list[str]) -> str:
        """The service a workload is judged as: one naming it outright, else the one whose
        labels say most about it, else the first in the baseline."""
        ref = f"{workload.kind}/{workload.name}"
        named = set(self._by_ref.get((workload.namespace, ref), ()))
        return min(services, key=lambda n: (n not in named, -self._label_count[n], self._order[n]))

    def services_of(self, workload: WorkloadNode) -> list[str]:
        """The services selecting `workload`, in the baseline's order."""
        found = set(self._by_ref.get((workload.namespace, f"{workload.kind}/{workload.name}"), ()))
        for key, value in workload.labels.items():
            for name, labels in self._by_label.get((workload.namespace, key, value), ()):
                if all(workload.labels.get(k) == v for k, v in labels.items()):
                    found.add(name)
        return sorted(found, key=self._order.__getitem__)


def _zones_of_namespaces(
    baseline: Baseline,
    graph: SystemGraph,
    notes: list[str],
    undecided: list[tuple[str, str]],
) -> dict[str, str]:
    zones: dict[str, str] = {}
    for node in graph.nodes(NodeType.ZONE):
        if not isinstance(node, ZoneNode) or node.kind != "Namespace":
            continue
        matching = [n for n, z in baseline.zones.items() if _in_zone(z, node)]
        if not matching and not node.declared:
            # Only its name label is known: a zone chosen by other labels may or may not
            # hold it. Unknown, never "outside every zone".
            undecided.extend(
                (node.name, n) for n, z in baseline.zones.items() if z.namespace_labels
            )
        if len(matching) > 1:
            notes.append(
                f"namespace {node.name} is in several zones ({', '.join(matching)}); "
                f"judged in {matching[0]}"
            )
        if matching:
            zones[node.name] = matching[0]
    return zones


def _in_zone(zone: Zone, namespace: ZoneNode) -> bool:
    if namespace.name in zone.namespaces:
        return True
    labels = zone.namespace_labels
    return bool(labels) and all(namespace.labels.get(k) == v for k, v in labels.items())


# -- which design endpoints cover a live node -------------------------------------------------


def endpoint_keys(design: DesignMap, node_id: str) -> list[str]:
    """The keys of the design endpoints that name `node_id` exactly (flows are indexed by
    them): its service, its zone, and the keywords covering it. Address ranges are matched
    separately (see `covers_addresses`)."""
    node = design.graph.node(node_id)
    if isinstance(node, WorkloadNode):
        keys = ["cluster"]
        service = design.service_of.get(node_id)
        if service:
            keys.append(f"service:{service}")
        zone = design.zone_of_namespace.get(node.namespace)
        keys.append(f"zone:{zone}" if zone else "other-namespaces")
        return keys
    if isinstance(node, NetworkNode):
        return ["internet"]
    if node.type is NodeType.UNLISTED:
        return ["cluster", "other-namespaces"]
    return []


def endpoint_key(endpoint: Endpoint) -> str | None:
    """The index key of a non-address endpoint; None for an address range."""
    if isinstance(endpoint, ZoneEndpoint):
        return f"zone:{endpoint.zone}"
    if isinstance(endpoint, AddressEndpoint):
        return None
    if endpoint in ("internet", "cluster", "other-namespaces"):
        return endpoint
    return f"service:{endpoint}"


def covers_addresses(endpoint: AddressEndpoint, cidr_text: str) -> bool:
    """Whether every address of `cidr_text` is inside the range and outside its exceptions."""
    outer, cidr = _network(endpoint.cidr), _network(cidr_text)
    if cidr.version != outer.version or not cidr.subnet_of(outer):  # type: ignore[arg-type]
        return False
    return not any(cidr.overlaps(_network(e)) for e in endpoint.except_)


@functools.lru_cache(maxsize=65536)
def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(text)


def zone_members(design: DesignMap) -> Mapping[str, list[WorkloadNode]]:
    by_zone: dict[str, list[WorkloadNode]] = {name: [] for name in design.baseline.zones}
    for workload in design.workloads():
        zone = design.zone_of_namespace.get(workload.namespace)
        if zone:
            by_zone[zone].append(workload)
    return by_zone
