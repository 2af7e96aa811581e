"""Baseline format v1: the secure design an architect approves, as a pydantic model.

Only untrusted text comes through pydantic (DESIGN: the baseline YAML); the diff reads the
frozen models directly. Every field is camelCase in YAML. New optional sections may be added
within v1; old documents keep loading unchanged (`permissions`, `trust`, a zone's
`require.mtls` and a flow's `mtls`/`authz` were added for identity and privilege).
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from drift.validation import explained

API_VERSION = "design-drift/v1"

_NAME_PATTERN = r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"
Name = Annotated[
    str,
    Field(
        min_length=1,
        max_length=253,
        pattern=explained(_NAME_PATTERN, "a name (lower-case letters, digits, '-' and '.')"),
    ),
]
WorkloadRef = Annotated[
    str,
    Field(
        pattern=explained(r"^[A-Za-z]+/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", "a workload as Kind/name")
    ),
]
Protocol = Literal["TCP", "UDP", "SCTP"]
Scope = Literal["public", "internal", "node"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Approval(_Strict):
    """Who approved this version, when, and why. Present in the document for GitOps, where a
    reviewed merge is the approval."""

    by: str = Field(min_length=1)
    at: str = Field(min_length=1, description="When, as an ISO 8601 date or timestamp.")
    note: str = ""


class Metadata(_Strict):
    name: Name
    version: str = Field(min_length=1, description="This revision of the design, e.g. '3'.")
    description: str = ""
    approval: Approval | None = None


class ZoneRequirements(_Strict):
    default_deny: bool | list[Literal["Ingress", "Egress"]] = Field(
        default=False,
        alias="defaultDeny",
        description="Every pod of the zone is isolated by a NetworkPolicy: true for both "
        "directions, or the directions required.",
    )
    mtls: Literal["strict"] | None = Field(
        default=None,
        description="strict: every workload of the zone accepts only mutual TLS (a service "
        "mesh in STRICT mode), so no flow into the zone is unauthenticated.",
    )

    def default_deny_directions(self) -> frozenset[str]:
        if self.default_deny is True:
            return frozenset({"Ingress", "Egress"})
        return frozenset(self.default_deny or ())


AccountId = Annotated[
    str,
    Field(pattern=explained(r"^([0-9]{12}|\*)$", "an AWS account id (12 digits) or * (any)")),
]


class Zone(_Strict):
    """A trust boundary: a set of namespaces, by name or by their labels."""

    namespaces: list[Name] = Field(default_factory=list)
    namespace_labels: dict[str, str] = Field(default_factory=dict, alias="namespaceLabels")
    accounts: list[AccountId] = Field(
        default_factory=list,
        description="AWS accounts whose resources (instances, databases, load balancers, "
        "functions, buckets) sit in this zone.",
    )
    require: ZoneRequirements = Field(default_factory=ZoneRequirements)
    description: str = ""

    @model_validator(mode="after")
    def _some_namespaces(self) -> Zone:
        if not self.namespaces and not self.namespace_labels and not self.accounts:
            raise ValueError("a zone needs namespaces, namespaceLabels or accounts")
        return self


# An AWS resource by ARN, `*` and `?` as in IAM (`arn:aws:ec2:*:111111111111:instance/i-0abc`,
# `arn:aws:s3:::payments-*`).
ArnPattern = Annotated[
    str,
    Field(
        pattern=explained(
            r"^arn:[^:]*:[^:]*:[^:]*:[^:]*:.+$|^[a-z0-9]+:[a-z-]+/.+$|^\*$",
            "an AWS resource's ARN (`*` and `?` as in IAM), `<service>:<type>/<id>` for "
            "one whose account or region the input does not give, or *",
        )
    ),
]


class Selection(_Strict):
    """Which live workloads are this service: pods with these labels in the namespace, and/or
    workloads named `Kind/name`, and/or AWS resources (instances, databases, load balancers,
    functions, buckets) by ARN."""

    namespace: Name | None = Field(
        default=None, description="Defaults to the zone's namespace when it has exactly one."
    )
    labels: dict[str, str] = Field(default_factory=dict)
    workloads: list[WorkloadRef] = Field(default_factory=list)
    aws: list[ArnPattern] = Field(
        default_factory=list, description="AWS resources by ARN; `*` and `?` as in IAM."
    )

    @model_validator(mode="after")
    def _selects_something(self) -> Selection:
        if not self.labels and not self.workloads and not self.aws:
            raise ValueError("select needs labels, workloads or aws")
        return self


class PortRange(_Strict):
    protocol: Protocol = "TCP"
    port: int | None = Field(default=None, ge=1, le=65535, description="Absent: every port.")
    end_port: int | None = Field(default=None, alias="endPort", ge=1, le=65535)

    @model_validator(mode="after")
    def _range(self) -> PortRange:
        if self.end_port is not None and (self.port is None or self.end_port < self.port):
            raise ValueError("endPort needs a port and must not be below it")
        return self


class Publication(_Strict):
    """How a service may be published past the cluster."""

    scope: Scope = "public"
    ports: list[PortRange] | None = Field(
        default=None, description="Pod ports that may be published; absent: any."
    )


class Service(_Strict):
    zone: Name
    select: Selection
    identity: Name | None = Field(
        default=None, description="Its one ServiceAccount (in its namespace)."
    )
    automount_token: bool | None = Field(
        default=None,
        alias="automountToken",
        description="false: the service needs no Kubernetes API token mounted.",
    )
    public: Publication | None = None
    crown_jewel: bool = Field(default=False, alias="crownJewel")
    description: str = ""


class ZoneEndpoint(_Strict):
    zone: Name


class AddressEndpoint(_Strict):
    cidr: str
    except_: list[str] = Field(default_factory=list, alias="except")

    @field_validator("cidr")
    @classmethod
    def _cidr(cls, value: str) -> str:
        return str(ipaddress.ip_network(value, strict=False))

    @field_validator("except_")
    @classmethod
    def _excepts(cls, values: list[str]) -> list[str]:
        return [str(ipaddress.ip_network(v, strict=False)) for v in values]


# A service name, a keyword, any pod of a zone, or an address range.
Endpoint = Name | ZoneEndpoint | AddressEndpoint


class Flow(_Strict):
    from_: Endpoint = Field(alias="from")
    to: Endpoint
    ports: list[PortRange] | None = Field(default=None, description="Absent: every port.")
    mtls: bool = Field(
        default=False,
        description="true: the destination must accept only mutual TLS on these ports.",
    )
    authz: bool = Field(
        default=False,
        description="true: the destination's mesh authorization must admit this flow by the "
        "source's identity, and refuse the workloads no such flow names.",
    )
    description: str = ""


# An identity: a designed service (its one ServiceAccount), `<namespace>/<serviceaccount>`, or
# one the cluster knows by name: `user:<name>`, `group:<name>`, `node:<name>` (`node:*`: the
# credentials of any node, which privileged pods and `nodes/proxy` lead to; `user:*` and
# `group:*` likewise stand for every user or group). Names may hold spaces (LDAP groups).
# AWS: a principal's ARN (`arn:aws:iam::111111111111:role/api`, `*` and `?` as in IAM, an
# account as `arn:aws:iam::222222222222:root`), `service:<principal>` (`service:ec2.amazonaws.com`),
# `federated:<provider>` (an OIDC/SAML provider ARN or `cognito-identity.amazonaws.com`), `aws:*`
# (anyone: a trust policy with Principal `*`).
IdentityRef = Annotated[
    str,
    Field(
        pattern=explained(
            r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?(/[a-z0-9]([-a-z0-9.]*[a-z0-9])?)?"
            r"|(user|group|node|federated):.+|service:[a-z0-9-]+(\.[a-z0-9-]+)+"
            r"|arn:[^:]*:[^:]*:[^:]*:[^:]*:.+|A[A-Z]{2}A[A-Z0-9]{12,}|aws:\*)$",
            "an identity: a service, <namespace>/<serviceaccount>, user:, group: or node:<name>, "
            "an AWS principal's ARN, service:<principal>.amazonaws.com, federated:<provider>, "
            "a principal's unique id (AROA...) or aws:*",
        )
    ),
]


class PermissionRule(_Strict):
    """What an identity may do, in RBAC's words. A live rule is within the design when every
    verb, API group, resource and object name it grants, where it grants them, is here."""

    api_groups: list[str] = Field(default_factory=lambda: [""], alias="apiGroups")
    resources: list[str] = Field(default_factory=list)
    verbs: list[str] = Field(min_length=1)
    resource_names: list[str] = Field(default_factory=list, alias="resourceNames")
    non_resource_urls: list[str] = Field(default_factory=list, alias="nonResourceURLs")
    namespaces: list[Name] | None = Field(
        default=None,
        description="Where it applies; absent: the identity's own namespace.",
    )
    cluster_wide: bool = Field(
        default=False,
        alias="clusterWide",
        description="true: in every namespace and on cluster-scoped resources (a "
        "ClusterRoleBinding).",
    )

    @model_validator(mode="after")
    def _what(self) -> PermissionRule:
        if not self.resources and not self.non_resource_urls:
            raise ValueError("a permission needs resources or nonResourceURLs")
        if self.non_resource_urls and not self.cluster_wide:
            raise ValueError("nonResourceURLs are granted cluster-wide only: set clusterWide")
        return self


class AwsPermissionRule(_Strict):
    """What an AWS principal may do, in IAM's words: actions (`s3:GetObject`, `s3:Get*`) on
    resources (ARNs, `*` and `?` as in IAM). A live grant is within the design when one rule
    names an action pattern and a resource pattern that contain it."""

    actions: list[str] = Field(min_length=1)
    resources: list[str] = Field(default_factory=lambda: ["*"])
    description: str = ""

    @field_validator("actions")
    @classmethod
    def _actions(cls, values: list[str]) -> list[str]:
        for value in values:
            if value != "*" and ":" not in value:
                raise ValueError(f"{value!r} is not an IAM action (service:Action, or *)")
        return values


RBAC_RULE, IAM_RULE = "rbac-rule", "iam-rule"  # tags pydantic puts in error locations


def _rule_kind(value: Any) -> str:
    """AWS rules name `actions`, Kubernetes rules `verbs`."""
    if isinstance(value, dict):
        return IAM_RULE if "actions" in value else RBAC_RULE
    return IAM_RULE if isinstance(value, AwsPermissionRule) else RBAC_RULE


AnyPermissionRule = Annotated[
    Annotated[PermissionRule, Tag(RBAC_RULE)] | Annotated[AwsPermissionRule, Tag(IAM_RULE)],
    Discriminator(_rule_kind),
]


class TrustRelation(_Strict):
    """`from` may become `to`: assume its identity, or run code in its pods."""

    from_: IdentityRef = Field(alias="from")
    to: IdentityRef | Literal["*"] = Field(description="An identity, a service, or * (any).")
    description: str = ""


class Baseline(_Strict):
    api_version: Literal["design-drift/v1"] = Field(alias="apiVersion")
    kind: Literal["Baseline"]
    metadata: Metadata
    cluster: str = "default"
    zones: dict[Name, Zone] = Field(default_factory=dict)
    services: dict[Name, Service] = Field(default_factory=dict)
    flows: list[Flow] = Field(default_factory=list)
    permissions: dict[IdentityRef, list[AnyPermissionRule]] = Field(
        default_factory=dict,
        description="Per identity (a service, or <namespace>/<serviceaccount>): everything it "
        "may do. Listed identities, and every service's identity once any is listed, are "
        "judged; an empty list means no permissions at all.",
    )
    trust: list[TrustRelation] = Field(
        default_factory=list,
        description="Which identities may become which: everything else is implicit trust.",
    )


KEYWORDS: tuple[str, ...] = ("internet", "cluster", "other-namespaces")


def baseline_schema() -> dict[str, Any]:
    """The JSON Schema of baseline documents, for editors (baselines/schema.json)."""
    schema = Baseline.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://design-drift.invalid/schemas/baseline-v1.json"
    schema["title"] = "design-drift baseline (apiVersion design-drift/v1)"
    return schema
