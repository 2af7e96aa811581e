"""`drift baseline propose`: a draft baseline that describes today's system exactly.

Checking the same input against the draft finds nothing; the comments marked TIGHTEN tell the
architect where today's system is looser than a secure design would be. The draft is YAML
written by hand here (not dumped) so that it carries those comments and reads like a design.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from drift.aws.kinds import (
    ANYONE,
    AWS_ADMINISTRATOR,
    AWS_PRINCIPAL_KINDS,
    AWS_SERVICE,
    FEDERATED_PROVIDER,
    aws_managed_role,
)
from drift.baseline.model import KEYWORDS
from drift.model import (
    AssumesEdge,
    CanEdge,
    ConnectsEdge,
    EdgeType,
    ExposesEdge,
    ExposureScope,
    IdentityNode,
    NetworkNode,
    NodeType,
    ResourceNode,
    SystemGraph,
    UnlistedNode,
    WorkloadNode,
    wider_scope,
)
from drift.ports import MAX_PORT, MIN_PORT, PortSet, Protocol

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_AWS_ZONE = "aws"


@dataclass(kw_only=True)
class _Draft:
    graph: SystemGraph
    names: dict[str, str] = field(default_factory=dict)  # workload id -> service name
    workloads: dict[str, list[WorkloadNode]] = field(default_factory=dict)  # by namespace
    aws: list[WorkloadNode] = field(default_factory=list)  # instances, databases... (AWS)
    buckets: dict[str, str] = field(default_factory=dict)  # published bucket id -> service
    aws_zone: str = _AWS_ZONE


def propose(graph: SystemGraph, *, source: str, name: str = "proposed") -> str:
    """The YAML text of a baseline describing `graph` exactly."""
    draft = _Draft(graph=graph)
    _name_services(draft)
    _name_buckets(draft)
    draft.aws_zone = _free_zone_name(draft)
    lines = [
        f"# Drafted by `drift baseline propose` from {source}.",
        "# It describes today's system exactly, so checking the same input finds nothing.",
        "# Review every TIGHTEN note, remove what the design should not allow, then approve.",
        "apiVersion: design-drift/v1",
        "kind: Baseline",
        "metadata:",
        f"  name: {_q(name)}",
        '  version: "1"',
        f"cluster: {_q(graph.cluster)}",
    ]
    lines += _zones(draft)
    lines += _services(draft)
    lines += _flows(draft)
    lines += _permissions(draft)
    lines += _trust(draft)
    return "\n".join(lines) + "\n"


_PLAIN = re.compile(r"^[a-z][-a-z0-9./]*$")
_YAML_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})


def _q(text: str) -> str:
    """A YAML scalar for `text`: plain where YAML reads it back as the same string, else
    quoted (JSON strings are valid YAML)."""
    if _PLAIN.match(text) and text not in _YAML_WORDS:
        return text
    return json.dumps(text)


def _name_services(draft: _Draft) -> None:
    workloads = [n for n in draft.graph.nodes(NodeType.WORKLOAD) if isinstance(n, WorkloadNode)]
    counts: dict[str, int] = defaultdict(int)
    for w in workloads:
        counts[w.name] += 1
    taken: set[str] = set(KEYWORDS)  # a service may not be named like a flow keyword
    for w in sorted(workloads, key=lambda w: w.id):
        if _is_aws(w.id):
            draft.aws.append(w)
            base = _name_of(w.name)
            candidates = [base, f"{_name_of(w.kind)}-{base}"]
        else:
            draft.workloads.setdefault(w.namespace, []).append(w)
            candidates = [f"{w.namespace}-{w.name}", f"{w.namespace}-{w.kind.lower()}-{w.name}"]
        if counts[w.name] == 1 and not _is_aws(w.id):
            candidates.insert(0, w.name)
        name = next((c for c in candidates if c not in taken), None)
        suffix = 2
        while name is None or name in taken:
            name, suffix = f"{candidates[-1]}-{suffix}", suffix + 1
        taken.add(name)
        draft.names[w.id] = name


_NOT_NAME = re.compile(r"[^-a-z0-9.]+")


def _is_aws(node_id: str) -> bool:
    """AWS resources: workloads with `aws:` ids, buckets with ARN ids (drift.aws.graph)."""
    return node_id.startswith(("aws:", "arn:"))


def _name_of(text: str) -> str:
    """A service name (lower case, digits, `-` and `.`) made of an AWS name or id."""
    name = _NOT_NAME.sub("-", text.lower()).strip("-.")
    return name or "aws"


def _aws_accounts(draft: _Draft) -> list[str]:
    found = {
        parse.group(1)
        for node in draft.graph.nodes()
        if (parse := re.match(r"^(?:aws:)?arn:[^:]*:[^:]*:[^:]*:([0-9]{12}):", node.id))
    }
    return sorted(found)


def _aws_zone(draft: _Draft) -> list[str]:
    """One zone for the AWS resources, of the accounts the input names (`*`: the input names
    none, as resource policies alone do)."""
    if not draft.aws and not draft.buckets:
        return []
    accounts = ", ".join(json.dumps(a) for a in _aws_accounts(draft) or ["*"])
    return [f"  {draft.aws_zone}:", f"    accounts: [{accounts}]"]


def _free_zone_name(draft: _Draft) -> str:
    """`aws`, unless a namespace (a zone of the draft) is called that."""
    name, suffix = _AWS_ZONE, 2
    while name in draft.workloads:
        name, suffix = f"{_AWS_ZONE}-{suffix}", suffix + 1
    return name


def _zones(draft: _Draft) -> list[str]:
    lines = ["zones:", *_aws_zone(draft)]
    for namespace, members in sorted(draft.workloads.items()):
        deny = [
            d
            for d, attr in (("Ingress", "isolated_ingress"), ("Egress", "isolated_egress"))
            if all(getattr(w, attr) is True for w in members)
        ]
        lines += [f"  {_q(namespace)}:", f"    namespaces: [{_q(namespace)}]"]
        if len(deny) < 2:
            lines.append(
                "    # TIGHTEN: not every pod here is isolated by a NetworkPolicy in "
                "both directions; require defaultDeny once it is"
            )
        if deny:
            value = "true" if len(deny) == 2 else json.dumps(deny)
            lines += ["    require:", f"      defaultDeny: {value}"]
    return lines if len(lines) > 1 else ["zones: {}"]


def _services(draft: _Draft) -> list[str]:
    exposures = _exposures(draft.graph)
    lines = ["services:"]
    for workload_id, name in sorted(draft.names.items(), key=lambda item: item[1]):
        node = draft.graph.node(workload_id)
        assert isinstance(node, WorkloadNode)
        if _is_aws(node.id):
            lines += _aws_service(name, draft.aws_zone, node.id, exposures.get(workload_id))
        else:
            lines += _service(name, node, exposures.get(workload_id))
    for bucket, name in sorted(draft.buckets.items(), key=lambda item: item[1]):
        lines += _aws_service(name, draft.aws_zone, bucket, exposures.get(bucket))
    return lines if len(lines) > 1 else ["services: {}"]


def _name_buckets(draft: _Draft) -> None:
    """Published S3 buckets become services, so the design can allow their publication."""
    taken = set(draft.names.values()) | set(KEYWORDS)
    for edge in draft.graph.edges(EdgeType.EXPOSES):
        node = draft.graph.node(edge.target)
        if isinstance(node, ResourceNode) and _is_aws(node.id) and node.id not in draft.buckets:
            name, suffix = f"bucket-{_name_of(node.resource)}", 2
            while name in taken:
                name, suffix = f"bucket-{_name_of(node.resource)}-{suffix}", suffix + 1
            taken.add(name)
            draft.buckets[node.id] = name


def _aws_service(
    name: str, zone: str, node_id: str, exposure: tuple[ExposureScope, PortSet] | None
) -> list[str]:
    lines = [
        f"  {_q(name)}:",
        f"    zone: {zone}",
        f"    select: {{aws: [{json.dumps(node_id.removeprefix('aws:'))}]}}",
    ]
    if exposure is not None:
        lines += _publication(*exposure)
    return lines


def _service(
    name: str, w: WorkloadNode, exposure: tuple[ExposureScope, PortSet] | None
) -> list[str]:
    lines = [
        f"  {_q(name)}:",
        f"    zone: {_q(w.namespace)}",
        "    select:",
        f"      namespace: {_q(w.namespace)}",
        f"      workloads: [{_q(f'{w.kind}/{w.name}')}]",
    ]
    if w.service_account == "default":
        lines.append(
            "    # TIGHTEN: runs on the namespace's default ServiceAccount; give it its own"
        )
    lines.append(f"    identity: {_q(w.service_account)}")
    if not w.token_automounted:
        lines.append("    automountToken: false")
    if exposure is not None:
        lines += _publication(*exposure)
    return lines


def _publication(scope: ExposureScope, ports: PortSet) -> list[str]:
    lines = []
    if scope is ExposureScope.UNKNOWN:
        lines.append(
            "    # TIGHTEN: how widely it is published is not known from the input; "
            "public is assumed"
        )
    allowed = "public" if scope is ExposureScope.UNKNOWN else str(scope)
    lines += ["    public:", f"      scope: {allowed}", f"      ports: {_port_list(ports)}"]
    return lines


def _exposures(graph: SystemGraph) -> dict[str, tuple[ExposureScope, PortSet]]:
    found: dict[str, tuple[ExposureScope, PortSet]] = {}
    for edge in graph.edges(EdgeType.EXPOSES):
        assert isinstance(edge, ExposesEdge)
        scope, ports = found.get(edge.target, (ExposureScope.NODE, PortSet.empty()))
        found[edge.target] = (wider_scope(scope, edge.scope), ports | edge.ports)
    return found


def _port_list(ports: PortSet) -> str:
    """`[{port: 80}, {protocol: UDP, port: 53}]`: TCP, the default, goes unsaid."""
    entries = []
    for protocol, (lo, hi) in ports:
        fields = [] if protocol is Protocol.TCP else [f"protocol: {protocol}"]
        if (lo, hi) != (MIN_PORT, MAX_PORT):
            fields.append(f"port: {lo}")
            if hi != lo:
                fields.append(f"endPort: {hi}")
        entries.append("{" + ", ".join(fields) + "}")
    return "[" + ", ".join(entries) + "]"


# -- permissions and trust -------------------------------------------------------------------


def _identity_refs(draft: _Draft) -> dict[str, str]:
    """How the draft names each ServiceAccount: the service running as it alone, else
    `<namespace>/<name>`."""
    users: dict[str, set[str]] = defaultdict(set)
    for edge in draft.graph.edges(EdgeType.RUNS_AS):
        if edge.source in draft.names:
            users[edge.target].add(draft.names[edge.source])
    refs = {}
    for node in draft.graph.nodes(NodeType.IDENTITY):
        assert isinstance(node, IdentityNode)
        aws = _aws_ref(node)
        if aws is not None:
            refs[node.id] = aws
            continue
        if node.kind != "ServiceAccount":
            refs[node.id] = f"{node.kind.lower()}:{node.name}"
            continue
        services = users.get(node.id, set())
        refs[node.id] = (
            next(iter(services)) if len(services) == 1 else f"{node.namespace}/{node.name}"
        )
    return refs


# How the draft names AWS identities (drift.diff.identities reads them back).
_AWS_REF_PREFIX = {AWS_SERVICE: "service:", FEDERATED_PROVIDER: "federated:"}
_ANYWHERE = "*"  # `to: *`: what an identity with every permission of an account can become


def _aws_ref(node: IdentityNode) -> str | None:
    if node.kind in AWS_PRINCIPAL_KINDS:
        return node.id
    if node.kind in _AWS_REF_PREFIX:
        return _AWS_REF_PREFIX[node.kind] + node.id
    if node.kind == ANYONE:
        return "aws:*"
    if node.kind == AWS_ADMINISTRATOR:
        return _ANYWHERE
    return None


def _outside_design(ref: str) -> bool:
    """People and nodes (`user:`, `group:`, `node:`) are not judged, so not drafted."""
    return ref.partition(":")[0] in ("user", "group", "node")


def _permissions(draft: _Draft) -> list[str]:
    refs = _identity_refs(draft)
    rules: dict[str, list[list[str]]] = defaultdict(list)
    for edge in draft.graph.edges(EdgeType.CAN):
        assert isinstance(edge, CanEdge)
        ref = refs.get(edge.source)
        resource = draft.graph.node(edge.target)
        if ref is None or ref == _ANYWHERE or _outside_design(ref):
            continue
        if not isinstance(resource, ResourceNode):
            continue
        if _is_aws(resource.id):
            rules[ref].append(_aws_rule(resource, edge.actions))
        else:
            rules[ref].append(_permission_rule(resource, edge.actions))
    lines = ["permissions:"]
    for ref, entries in sorted(rules.items()):
        lines.append(f"  {_q(ref)}:")
        for entry in sorted(entries):
            lines += entry
    return lines if len(lines) > 1 else []


def _aws_rule(resource: ResourceNode, actions: frozenset[str]) -> list[str]:
    lines = []
    if resource.name.startswith("every "):
        lines.append(f"    # TIGHTEN: {resource.name} of every account, today's and tomorrow's")
    bucket = resource.id.startswith("arn:aws:s3:::") and not resource.name.startswith("every ")
    objects = json.dumps(f"{resource.id}/*" if bucket else resource.id)
    lines.append(f"    - actions: [{', '.join(json.dumps(a) for a in sorted(actions))}]")
    lines.append(f"      resources: [{objects}]")
    return lines


def _permission_rule(resource: ResourceNode, verbs: frozenset[str]) -> list[str]:
    def flow_list(items: list[str]) -> str:
        return "[" + ", ".join(json.dumps(i) for i in items) + "]"

    lines = []
    if "*" in verbs or resource.resource.split("/")[0] == "*" or resource.api_group == "*":
        lines.append("    # TIGHTEN: a wildcard grants everything that will ever exist too")
    if resource.non_resource:
        lines.append(f"    - nonResourceURLs: {flow_list([resource.resource])}")
    else:
        lines.append(f"    - apiGroups: {flow_list([resource.api_group])}")
        lines.append(f"      resources: {flow_list([resource.resource])}")
        if resource.resource_name is not None:
            lines.append(f"      resourceNames: {flow_list([resource.resource_name])}")
    lines.append(f"      verbs: {flow_list(sorted(verbs))}")
    if resource.namespace is None:
        lines.append("      clusterWide: true")
    else:
        lines.append(f"      namespaces: [{_q(resource.namespace)}]")
    return lines


def _trust(draft: _Draft) -> list[str]:
    refs = _identity_refs(draft)
    pairs: set[tuple[str, str]] = set()
    for edge in draft.graph.edges(EdgeType.ASSUMES):
        assert isinstance(edge, AssumesEdge)
        source, target = _trust_ref(draft, refs, edge.source), _trust_ref(draft, refs, edge.target)
        if source is None or target is None or source == target:
            continue
        if aws_managed_role(edge.target):
            continue  # AWS's own: not judged, not drafted
        if not _outside_design(source) and source != _ANYWHERE:
            pairs.add((source, target))
    lines = ["trust:"]
    for source, target in sorted(pairs):
        if target in ("node:*", "user:*", "group:*"):
            lines.append("  # TIGHTEN: becomes the credentials of any node, or anyone")
        if target == _ANYWHERE:
            lines.append("  # TIGHTEN: can give itself every permission of an AWS account")
        if source == "aws:*":
            lines.append("  # TIGHTEN: a trust policy lets anyone in")
        lines.append(f"  - {{from: {_q(source)}, to: {_q(target)}}}")
    return lines if len(lines) > 1 else []


def _trust_ref(draft: _Draft, refs: dict[str, str], node_id: str) -> str | None:
    if node_id in draft.names:
        return draft.names[node_id]
    return refs.get(node_id)


# -- flows ------------------------------------------------------------------------------------


def _flows(draft: _Draft) -> list[str]:
    by_pair: dict[tuple[str, str], PortSet] = {}
    for edge in draft.graph.edges(EdgeType.CONNECTS):
        assert isinstance(edge, ConnectsEdge)
        if edge.ports:
            key = (edge.source, edge.target)
            by_pair[key] = by_pair.get(key, PortSet.empty()) | edge.ports
    lines = ["flows:"]
    named: dict[tuple[str, str], PortSet] = {}
    for (source, target), ports in _merge_internet(draft, by_pair).items():
        for s in _endpoints(draft, source):
            for t in _endpoints(draft, target):
                named[(s, t)] = named.get((s, t), PortSet.empty()) | ports
    for (source, target), ports in sorted(named.items()):
        lines += [f"  - from: {source}", f"    to: {target}"]
        if ports == PortSet.every():
            lines.append("    # TIGHTEN: every port of every protocol")
        else:
            lines.append(f"    ports: {_port_list(ports)}")
    return lines if len(lines) > 1 else ["flows: []"]


_INTERNET = "internet"


def _merge_internet(
    draft: _Draft, by_pair: dict[tuple[str, str], PortSet]
) -> dict[tuple[str, str], PortSet]:
    """Where a workload reaches (or is reached from) every address cell on the same ports,
    one flow naming `internet` says so instead of one per cell."""
    cells = {n.id for n in draft.graph.nodes(NodeType.NETWORK)}
    merged = dict(by_pair)
    for outward in (True, False):
        per_workload: dict[str, dict[str, PortSet]] = defaultdict(dict)
        for (source, target), ports in by_pair.items():
            cell, other = (target, source) if outward else (source, target)
            if cell in cells:
                per_workload[other][cell] = ports
        for other, reached in per_workload.items():
            if set(reached) == cells and len(set(reached.values())) == 1:
                for cell in cells:
                    del merged[(other, cell) if outward else (cell, other)]
                key = (other, _INTERNET) if outward else (_INTERNET, other)
                merged[key] = next(iter(reached.values()))
    return merged


def _endpoints(draft: _Draft, node_id: str) -> Iterator[str]:
    """How the design names a live node: a service, other-namespaces, or address ranges."""
    if node_id == _INTERNET:
        yield _INTERNET
        return
    if node_id in draft.names:
        yield _q(draft.names[node_id])
        return
    node = draft.graph.node(node_id)
    if isinstance(node, UnlistedNode):
        yield "other-namespaces"
    elif isinstance(node, NetworkNode):
        yield from _address_endpoints(node)


def _address_endpoints(node: NetworkNode) -> Iterator[str]:
    """`{cidr, except}` ranges that cover exactly the cell's addresses, per IP version."""
    for version in (4, 6):
        spans = _spans([c for c in node.cidrs if ipaddress.ip_network(c).version == version])
        if not spans:
            continue
        outer = _covering(spans, version)
        holes = [
            str(net)
            for first, last in _gaps(
                spans, int(outer.network_address), int(outer.broadcast_address)
            )
            for net in _summarize(first, last, version)
        ]
        text = f"{{cidr: {_q(str(outer))}"
        yield text + (f", except: [{', '.join(_q(h) for h in holes)}]}}" if holes else "}")


def _spans(cidrs: list[str]) -> list[tuple[int, int]]:
    networks = [ipaddress.ip_network(c) for c in cidrs]
    return sorted((int(n.network_address), int(n.broadcast_address)) for n in networks)


def _covering(spans: list[tuple[int, int]], version: int) -> IPNetwork:
    """The smallest CIDR containing every span."""
    bits = 32 if version == 4 else 128
    first, last = spans[0][0], max(hi for _, hi in spans)
    host_bits = (first ^ last).bit_length()
    base = first >> host_bits << host_bits
    return ipaddress.ip_network(f"{_address(base, version)}/{bits - host_bits}")


def _gaps(spans: list[tuple[int, int]], first: int, last: int) -> Iterator[tuple[int, int]]:
    cursor = first
    for lo, hi in spans:
        if lo > cursor:
            yield cursor, lo - 1
        cursor = max(cursor, hi + 1)
    if cursor <= last:
        yield cursor, last


def _summarize(first: int, last: int, version: int) -> Iterator[IPNetwork]:
    start, end = _address(first, version), _address(last, version)
    yield from ipaddress.summarize_address_range(start, end)


def _address(value: int, version: int) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.IPv4Address(value) if version == 4 else ipaddress.IPv6Address(value)
