"""AWS compute and what the internet reaches, in the graph (pure), from the network documents
`--aws-file` read (`AwsInput.network`, see `drift.aws.netdocs`).

Nodes: EC2 instances, RDS instances, Elastic Load Balancing (v2) load balancers and Lambda
functions become workloads (kinds `EC2Instance`, `DBInstance`, `LoadBalancer`,
`LambdaFunction`), with the ids `drift.aws.network` gives endpoints (`aws:<arn>`), namespace
"" (AWS has none: the account is in the id), the `Name` tag (else the resource's own id or
name) as name and the tags as labels. A standalone network interface (one no listed
instance owns) is a workload (`NetworkInterface`) only when the internet reaches it: the
others are an ECS task's, an EKS pod's, a detached spare... which the model places elsewhere
or not at all.

Edges:
- `exposes` from the internet for each exposure `drift.aws.network.internet_exposures`,
  `drift.aws.public_access.bucket_exposures` and
  `drift.aws.function_urls.function_url_exposures` answer: its scope as they judge it (an
  internal load balancer is `internal`, as the Kubernetes side counts internal load
  balancers), its ports certain or undecided, and in `via` one line on what reaches what,
  each object letting it through, and each reason the input leaves something undecided
  (`undecided: ...`). Several exposures of one target (two documents, an alias's URL) are
  one edge: the widest scope, the ports united. A bucket is the resource node
  `drift.aws.graph` names it by (`arn:aws:s3:::<name>`), made here if IAM named it nowhere.
- `runs_as` from an instance to the role its instance profile holds: the profile is matched
  to a role's `InstanceProfileList` by ARN, else by name within the same account; a profile
  no role in the input lists is a note. From a Lambda function (collector snapshots list
  them) to its execution role, when the role is in the input.

Not here: `connects` between AWS endpoints (`drift.aws.network.reach` answers pairs, the
graph does not hold them yet), ECS, Glue and other compute the documents do not describe.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from drift.aws.arns import account_of
from drift.aws.bucket_nodes import bucket_node
from drift.aws.documents import AwsInput
from drift.aws.function_urls import function_url_exposures
from drift.aws.netendpoints import Endpoint
from drift.aws.netread import mapping_of, mappings_of, text_of
from drift.aws.netresults import Exposure
from drift.aws.network import internet_exposures, read_network
from drift.aws.public_access import bucket_exposures
from drift.aws.traffic import Traffic
from drift.ids import INTERNET_ID
from drift.model import (
    Evidence,
    ExposesEdge,
    ExposureScope,
    Node,
    RunsAsEdge,
    SystemGraph,
    WorkloadNode,
    ZoneNode,
    wider_scope,
)
from drift.ports import PortSet

_KINDS = {
    "instance": "EC2Instance",
    "network-interface": "NetworkInterface",
    "db-instance": "DBInstance",
    "load-balancer": "LoadBalancer",
}
LAMBDA_FUNCTION = "LambdaFunction"
_TAG_KEYS = ("Tags", "TagSet", "TagList")  # EC2 instances, network interfaces, RDS


def add_network(graph: SystemGraph, data: AwsInput) -> None:
    """Add the AWS workloads, their exposures and roles of `data.network` to `graph`."""
    if not data.network:
        return
    if not graph.has_node(INTERNET_ID):
        graph.add_node(ZoneNode(id=INTERNET_ID, name=INTERNET_ID, kind="Internet"))
    exposures: list[tuple[str, Exposure]] = []
    for document in data.network:
        if document.ec2 is not None:
            exposures += _add_ec2(graph, data, document.name, document.ec2)
    for document in data.network:  # after every function node, which URLs attach to
        if document.public is not None:
            exposures += _public(graph, document.public)
    _add_exposes(graph, exposures)


# --- workloads -------------------------------------------------------------------------------


def _add_ec2(
    graph: SystemGraph, data: AwsInput, where: str, ec2: Mapping[str, Any]
) -> list[tuple[str, Exposure]]:
    network = read_network(ec2)
    graph.notes.extend(f"{where}: {p}" for p in network.problems)
    exposures = {e.target_id: e for e in internet_exposures(network)}
    raw = _raw_objects(ec2)
    for endpoint in sorted(network.endpoints.values(), key=lambda e: e.id):
        if endpoint.kind == "network-interface" and endpoint.id not in exposures:
            continue
        obj = raw.get((endpoint.kind, _resource_id(endpoint)), {})
        node = _workload(endpoint.id, _KINDS[endpoint.kind], _resource_id(endpoint, obj), obj)
        if _add(graph, node, where) and endpoint.kind == "instance":
            _instance_role(graph, data, node, obj, where)
    for function in mappings_of(ec2.get("LambdaFunctions")):
        _add_function(graph, data, function, where)
    return [(target, exposure) for target, exposure in sorted(exposures.items())]


def _raw_objects(doc: Mapping[str, Any]) -> dict[tuple[str, str], Mapping[str, Any]]:
    """The snapshot's objects by (endpoint kind, the id `_resource_id` finds in ids)."""
    out: dict[tuple[str, str], Mapping[str, Any]] = {}
    for obj in mappings_of(doc.get("Instances")):
        out[("instance", text_of(obj.get("InstanceId")) or "i-?")] = obj
    for obj in mappings_of(doc.get("NetworkInterfaces")):
        out[("network-interface", text_of(obj.get("NetworkInterfaceId")) or "eni-?")] = obj
    for obj in mappings_of(doc.get("DBInstances")):
        out[("db-instance", text_of(obj.get("DBInstanceIdentifier")) or "?")] = obj
    for obj in mappings_of(doc.get("LoadBalancers")):
        arn = text_of(obj.get("LoadBalancerArn")) or f"elb:{obj.get('LoadBalancerName')}"
        out[("load-balancer", f"aws:{arn}")] = obj
    return out


def _resource_id(endpoint: Endpoint, obj: Mapping[str, Any] | None = None) -> str:
    """The resource's own id or name, from the endpoint ids `drift.aws.network` documents
    (`.../instance/<id>`, `...:db:<identifier>` or `.../db/<identifier>`); a load balancer
    is known by its whole id, and named by its LoadBalancerName when `obj` is given."""
    if endpoint.kind == "load-balancer":
        name = text_of(mapping_of(obj).get("LoadBalancerName")) if obj is not None else None
        return name or endpoint.id
    if endpoint.kind == "db-instance":
        return re.split(r":db:|:db/", endpoint.id)[-1]
    return endpoint.id.rsplit("/", 1)[-1]


def _workload(node_id: str, kind: str, resource: str, obj: Mapping[str, Any]) -> WorkloadNode:
    tags = _tags(obj)
    return WorkloadNode(
        id=node_id,
        kind=kind,
        namespace="",
        name=tags.get("Name") or resource,
        service_account="",
        labels=tags,
    )


def _tags(obj: Mapping[str, Any]) -> dict[str, str]:
    for key in _TAG_KEYS:
        if isinstance(obj.get(key), list):
            return {
                tag["Key"]: value if isinstance(value := tag.get("Value"), str) else ""
                for tag in mappings_of(obj[key])
                if isinstance(tag.get("Key"), str)
            }
    return {}


def _add(graph: SystemGraph, node: Node, where: str) -> bool:
    """Add `node` unless its id is taken (the same resource in two documents): then False,
    with a note if the two differ."""
    if graph.has_node(node.id):
        if graph.node(node.id) != node:
            graph.notes.append(f"{where}: {node.id} read twice, differently: the first kept")
        return False
    graph.add_node(node)
    return True


def _add_function(
    graph: SystemGraph, data: AwsInput, function: Mapping[str, Any], where: str
) -> None:
    arn = text_of(function.get("FunctionArn"))
    if arn is None:
        graph.notes.append(f"{where}: a Lambda function without FunctionArn is left out")
        return
    name = text_of(function.get("FunctionName")) or arn.rsplit(":", 1)[-1]
    node = _workload(f"aws:{arn}", LAMBDA_FUNCTION, name, function)
    if not _add(graph, node, where):
        return
    role = text_of(function.get("Role"))
    if role is not None and role in data.roles:
        graph.add_edge(RunsAsEdge(source=node.id, target=role))
    elif role is not None:
        graph.notes.append(
            f"{where}: Lambda function {name} runs as {role}, which is not in the IAM input"
        )


# --- roles -----------------------------------------------------------------------------------


def _instance_role(
    graph: SystemGraph, data: AwsInput, node: WorkloadNode, obj: Mapping[str, Any], where: str
) -> None:
    profile = mapping_of(obj.get("IamInstanceProfile"))
    if not profile:
        return
    arn = text_of(profile.get("Arn"))
    if arn is None:
        graph.notes.append(f"{where}: {node.id}: its instance profile names no ARN")
        return
    roles = _roles_of_profile(data, arn)
    if not roles:
        graph.notes.append(
            f"{where}: instance {node.name} has instance profile {arn}, whose role is not "
            "in the IAM input"
        )
    if len(roles) > 1:  # AWS allows one role per profile; the input says otherwise
        graph.notes.append(f"{where}: instance profile {arn} is listed on {len(roles)} roles")
    for role in roles:
        graph.add_edge(RunsAsEdge(source=node.id, target=role))


def _roles_of_profile(data: AwsInput, profile: str) -> list[str]:
    by_arn = [arn for arn, role in sorted(data.roles.items()) if profile in role.instance_profiles]
    if by_arn:
        return by_arn
    account, name = account_of(profile), _profile_name(profile)
    return [
        arn
        for arn, role in sorted(data.roles.items())
        if any(
            account_of(p) == account and _profile_name(p) == name for p in role.instance_profiles
        )
    ]


def _profile_name(arn: str) -> str:
    """`arn:aws:iam::<account>:instance-profile/<path>/<name>` -> `<name>`."""
    return arn.rsplit("/", 1)[-1]


# --- buckets and function URLs ---------------------------------------------------------------


def _public(graph: SystemGraph, doc: Mapping[str, Any]) -> list[tuple[str, Exposure]]:
    found = [(_bucket_node(graph, e), e) for e in bucket_exposures(doc)]
    found += [(_function_node(graph, e), e) for e in function_url_exposures(doc)]
    return found


def _bucket_node(graph: SystemGraph, exposure: Exposure) -> str:
    """The bucket's resource node, named as `drift.aws.graph` names it."""
    bucket = exposure.target_id.removeprefix("aws:")
    if not graph.has_node(bucket):
        graph.add_node(bucket_node(bucket))
    return bucket


def _function_node(graph: SystemGraph, exposure: Exposure) -> str:
    """The function a URL belongs to: its node by ARN (an alias's URL: the function's), else
    the one function of that name, else a node made from what the URL says."""
    target = exposure.target_id
    match = re.fullmatch(r"aws:(arn:[^:]+:lambda:[^:]*:[^:]*:function:([^:]+))(:.*)?", target)
    name = match.group(2) if match else target.rsplit("/", 1)[-1]
    unqualified = f"aws:{match.group(1)}" if match else target
    if graph.has_node(unqualified):
        return unqualified
    named = [n.id for n in _functions(graph) if n.name == name]
    if not match and len(named) == 1:
        return named[0]
    graph.add_node(_workload(unqualified, LAMBDA_FUNCTION, name, {}))
    return unqualified


def _functions(graph: SystemGraph) -> Iterator[WorkloadNode]:
    for node in graph.nodes():
        if isinstance(node, WorkloadNode) and node.kind == LAMBDA_FUNCTION:
            yield node


# --- exposes edges ---------------------------------------------------------------------------


def _add_exposes(graph: SystemGraph, found: Iterable[tuple[str, Exposure]]) -> None:
    by_target: dict[str, list[Exposure]] = defaultdict(list)
    for target, exposure in found:
        by_target[target].append(exposure)
    for target, exposures in sorted(by_target.items()):
        scope, ports = ExposureScope.NODE, PortSet.empty()
        for exposure in exposures:
            scope = wider_scope(scope, exposure.scope)
            ports = ports | exposure.ports | exposure.unknown
        via = tuple(dict.fromkeys(line for e in exposures for line in _via(e)))
        graph.add_edge(
            ExposesEdge(source=INTERNET_ID, target=target, via=via, scope=scope, ports=ports)
        )


def _via(exposure: Exposure) -> list[Evidence]:
    """What reaches the target (network endpoints), each object that lets it through, and
    each reason something is undecided."""
    lines = []
    if exposure.kind in _KINDS and exposure.scope is not ExposureScope.INTERNAL:
        sources = f" from {', '.join(exposure.sources)}" if exposure.sources else ""
        certain = Traffic(exposure.ports, exposure.protocols)
        undecided = Traffic(exposure.unknown, exposure.unknown_protocols)
        if certain:
            lines.append(f"{exposure.name} is reached{sources} on {certain.describe()}")
        if undecided:
            lines.append(
                f"{exposure.name} may be reached{sources} on {undecided.describe()} (undecided)"
            )
    found = [Evidence(text=line) for line in lines]
    found += exposure.evidence
    found += [Evidence(text=f"undecided: {reason}") for reason in exposure.reasons]
    return found or [Evidence(text=f"{exposure.name} is published ({exposure.scope})")]
