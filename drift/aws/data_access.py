"""Who may read (or write) the data stores besides S3 that attackers go for: Secrets Manager
secrets, SSM parameters, KMS keys and DynamoDB tables, as `can` edges (S3 is
`drift.aws.graph`'s).

For each store kind, the nodes are: every resource of that kind (`arn:aws:secretsmanager:*:*:
secret:*`), and each ARN or ARN pattern of that kind an Allow statement or a resource policy
names. A node's question asks about a resource only the statements covering all of it match:
its wildcards stand for `#` (in no real name, account or region), which `*` and `?` in a
statement match and letters do not — so `secret:prod-*` is asked for `secret:prod-#any#` and
`arn:aws:secretsmanager:*:*:secret:*` for `arn:aws:secretsmanager:#any#:#any#:secret:#any#`.
Only `allow` makes an edge; a conditional answer is left out (the network of conditions is
not drawn), as for buckets. Nodes are kept only when someone holds them.
"""

from __future__ import annotations

from dataclasses import dataclass

from drift.aws.documents import AwsInput
from drift.aws.grants import Grants, add_grants, identity_documents
from drift.aws.iam import Evaluator
from drift.aws.patterns import has_wildcard
from drift.aws.policy import Effect
from drift.model import ResourceNode, SystemGraph


@dataclass(frozen=True, kw_only=True)
class StoreKind:
    service: str  # the ARN's service, and the resource node's api_group
    resource: str  # the ARN's resource part up to the name: `secret:`, `parameter/`
    label: str  # `Secrets Manager secret`
    actions: tuple[str, ...]

    @property
    def every(self) -> str:
        return f"arn:aws:{self.service}:*:*:{self.resource}*"

    def holds(self, arn: str) -> bool:
        parts = arn.split(":", 5)
        return (
            len(parts) == 6
            and parts[0] == "arn"
            and parts[2] == self.service
            and parts[5].startswith(self.resource)
        )


STORES = (
    StoreKind(
        service="secretsmanager",
        resource="secret:",
        label="Secrets Manager secret",
        actions=("secretsmanager:GetSecretValue",),
    ),
    StoreKind(
        service="ssm",
        resource="parameter/",
        label="SSM parameter",
        actions=("ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"),
    ),
    StoreKind(service="kms", resource="key/", label="KMS key", actions=("kms:Decrypt",)),
    StoreKind(
        service="dynamodb",
        resource="table/",
        label="DynamoDB table",
        actions=("dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:PutItem"),
    ),
)


def add_data_access(graph: SystemGraph, evaluator: Evaluator) -> None:
    principals = sorted([*evaluator.data.users, *evaluator.data.roles])
    finder = Grants(evaluator)
    for store in STORES:
        implied: dict[str, frozenset[str]] = {}
        for resource in [store.every, *sorted(_named(evaluator.data, store) - {store.every})]:
            request = resource.replace("*", "#any#").replace("?", "#")
            pattern = resource != store.every and has_wildcard(resource)
            edges = list(
                finder.of(principals, store.actions, request, implied=implied if pattern else None)
            )
            if resource == store.every:
                implied = {principal: frozenset(allowed) for principal, allowed, _ in edges}
            if not edges:
                continue
            graph.add_node(store_node(store, resource))
            add_grants(graph, resource, edges)


def store_node(store: StoreKind, resource: str) -> ResourceNode:
    name = resource.split(":", 5)[5].removeprefix(store.resource)
    if resource == store.every:
        text = f"every {store.label}"
    elif has_wildcard(resource):
        text = f"{store.label}s matching {resource}"
    else:
        text = f"{store.label} {name}"
    return ResourceNode(id=resource, name=text, api_group=store.service, resource=name)


def _named(data: AwsInput, store: StoreKind) -> set[str]:
    """The ARNs and patterns of the kind that resource policies govern or that the Allow
    statements of the granting identity policies name."""
    found = {p.resource for p in data.resource_policies.values() if store.holds(p.resource)}
    for document in identity_documents(data):
        for statement in document.statements:
            if statement.effect is Effect.ALLOW and not statement.not_resource:
                resources = statement.resources or ()
                found.update(r for r in resources if store.holds(r) and "$" not in r)
    return found
