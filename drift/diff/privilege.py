"""`privilege.widened`: an identity may do more than the design's `permissions` say.

Judged identities: every designed service's identity (and the accounts its workloads really
run as, against the service's rules), every identity the `permissions` section lists, and
every ServiceAccount granted anything cluster-wide by a binding of the cluster's users (a
cluster-wide grant is a design decision wherever the account lives; the bindings Kubernetes
makes for its own controllers are named `system:...` and left out). An identity the section
does not list may do nothing: what the design does not grant is drift.
A live grant is within the design when every verb, API group, resource and object name it
grants, where it grants them, is in one designed rule; `*` is only covered by `*`. Critical
when the identity can also become an identity the design does not trust it with (see
`drift.diff.trust`): the extra privilege is an escalation.

AWS: every IAM user and role is judged (service-linked roles, which AWS itself defines, are
not) against the `actions`/`resources` rules listed for it, on the data it may reach (the
`can` edges of `drift.aws.graph` and `drift.aws.data_access`: S3 objects, secrets, SSM
parameters, KMS keys, DynamoDB tables). A grant is within the design when one rule's action
pattern matches the action and one of its resource patterns covers the resource as IAM would
(`arn:aws:s3:::data/*` a bucket's objects, `arn:aws:secretsmanager:*:*:secret:prod-*`). A
grant on every resource of a kind is covered only by a pattern for all of them. What else a
principal may do (IAM itself, compute) counts through the escalations it allows
(`implicit-trust.trust-relation`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from drift.aws.kinds import IAM_PRINCIPAL_KINDS, aws_managed_role
from drift.aws.patterns import action_matches, arn_matches
from drift.baseline.load import LoadedBaseline
from drift.baseline.model import AwsPermissionRule, PermissionRule
from drift.diff.design import DesignMap
from drift.diff.identities import display_identity, identity_ids, ref_namespace, runs_as
from drift.diff.wording import MAX_LISTED, distinct_evidence, first_source, listed
from drift.findings import Finding, FindingKind, Severity
from drift.model import CanEdge, EdgeType, IdentityNode, NodeType, ResourceNode


@dataclass(frozen=True, kw_only=True)
class _Designed:
    """One designed rule with the namespace it applies in when it names none."""

    rule: PermissionRule | AwsPermissionRule
    home: str | None
    ref: str


def privilege_findings(
    design: DesignMap, loaded: LoadedBaseline, escalating: frozenset[str]
) -> list[Finding]:
    """`escalating`: identities with an assumes edge the design does not trust."""
    judged = _judged(design)
    findings = []
    for identity_id, designed in sorted(judged.items()):
        extra = _extra_grants(design, identity_id, designed)
        if extra:
            findings.append(_finding(design, loaded, identity_id, designed, extra, escalating))
    return findings


def _judged(design: DesignMap) -> dict[str, list[_Designed]]:
    permissions = design.baseline.permissions
    judged: dict[str, list[_Designed]] = defaultdict(list)
    for service in design.baseline.services:
        designed = identity_ids(design, service)
        for identity_id in designed:
            judged.setdefault(identity_id, [])  # judged: no permission unless listed below
        # The accounts its workloads really run as answer to the service's design too.
        home = ref_namespace(design, service)
        own = [_Designed(rule=r, home=home, ref=service) for r in permissions.get(service, [])]
        for workload in design.members.get(service, ()):
            account = runs_as(design, workload.id)
            if account not in designed:
                judged.setdefault(account, []).extend(own)
    for identity_id in _cluster_wide_grantees(design):
        judged.setdefault(identity_id, [])
    for identity_id in _aws_principals(design):
        judged.setdefault(identity_id, [])
    for ref, rules in permissions.items():
        home = ref_namespace(design, ref)
        for identity_id in identity_ids(design, ref):
            judged[identity_id].extend(_Designed(rule=r, home=home, ref=ref) for r in rules)
    return judged


def _aws_principals(design: DesignMap) -> list[str]:
    return [
        node.id
        for node in design.graph.nodes(NodeType.IDENTITY)
        if isinstance(node, IdentityNode)
        and node.kind in IAM_PRINCIPAL_KINDS
        and not aws_managed_role(node.id)
    ]


def _cluster_wide_grantees(design: DesignMap) -> set[str]:
    found = set()
    for edge in design.graph.edges(EdgeType.CAN):
        assert isinstance(edge, CanEdge)
        source = design.graph.node(edge.source)
        if not isinstance(source, IdentityNode) or source.kind != "ServiceAccount":
            continue
        resource = design.graph.node(edge.target)
        if isinstance(resource, ResourceNode) and resource.namespace is None:
            bindings = [e.text for e in edge.evidence if e.text.startswith("ClusterRoleBinding ")]
            if any(not b.startswith("ClusterRoleBinding system:") for b in bindings):
                found.add(edge.source)
    return found


def _extra_grants(
    design: DesignMap, identity_id: str, designed: list[_Designed]
) -> list[tuple[ResourceNode, frozenset[str], CanEdge]]:
    if not design.graph.has_node(identity_id):
        return []
    extra = []
    for _source, target, key, data in design.graph.networkx.out_edges(
        identity_id, keys=True, data=True
    ):
        if key != EdgeType.CAN:
            continue
        edge: CanEdge = data["edge"]
        resource = design.graph.node(target)
        assert isinstance(resource, ResourceNode)
        verbs = frozenset(
            v for v in edge.actions if not any(_covers(d, resource, v) for d in designed)
        )
        if verbs:
            extra.append((resource, verbs, edge))
    return sorted(extra, key=lambda item: item[0].id)


def _covers(designed: _Designed, resource: ResourceNode, verb: str) -> bool:
    rule = designed.rule
    aws_resource = resource.id.startswith("arn:")
    if isinstance(rule, AwsPermissionRule):
        return aws_resource and _aws_covers(rule, resource.id, verb)
    if aws_resource:
        return False
    if "*" not in rule.verbs and verb not in rule.verbs:
        return False
    if resource.non_resource:
        return rule.cluster_wide and any(
            _url_covers(pattern, resource.resource) for pattern in rule.non_resource_urls
        )
    if "*" not in rule.api_groups and resource.api_group not in rule.api_groups:
        return False
    if not _resource_covers(rule.resources, resource.resource):
        return False
    if rule.resource_names and resource.resource_name not in rule.resource_names:
        return False
    if rule.cluster_wide:
        return True
    if resource.namespace is None:
        return False
    return resource.namespace in (rule.namespaces or ([designed.home] if designed.home else []))


def _aws_covers(rule: AwsPermissionRule, resource: str, action: str) -> bool:
    """Whether the rule covers `action` on all of `resource`: an ARN or ARN pattern as the
    graph holds it (a pattern's `*` is matched as a character, so only a rule's wildcard
    covers it); for a bucket, every object in it."""
    target = f"{resource}/*" if resource.startswith("arn:aws:s3:::") else resource
    return any(action_matches(a, action) for a in rule.actions) and any(
        arn_matches(r, target) for r in rule.resources
    )


def _resource_covers(designed: list[str], resource: str) -> bool:
    """RBAC's own matching: `*` is everything, `*/sub` a subresource of any resource."""
    if "*" in designed or resource in designed:
        return True
    _, slash, subresource = resource.partition("/")
    return bool(slash) and f"*/{subresource}" in designed


def _url_covers(pattern: str, url: str) -> bool:
    if pattern == url:
        return True
    return pattern.endswith("*") and url.rstrip("*").startswith(pattern[:-1])


def _finding(
    design: DesignMap,
    loaded: LoadedBaseline,
    identity_id: str,
    designed: list[_Designed],
    extra: list[tuple[ResourceNode, frozenset[str], CanEdge]],
    escalating: frozenset[str],
) -> Finding:
    who = display_identity(design, identity_id)
    grants = [f"{','.join(sorted(verbs))} {r.name}" for r, verbs, _ in extra]
    detail = listed(grants, sep="; ", before_more="; ")
    evidence = distinct_evidence(e for _, _, edge in extra for e in edge.evidence)
    critical = identity_id in escalating
    refs = sorted({d.ref for d in designed})
    clause = loaded.clause(("permissions", refs[0]) if refs else ("permissions",))
    return Finding(
        kind=FindingKind.PRIVILEGE_WIDENED,
        severity=Severity.CRITICAL if critical else Severity.HIGH,
        cluster=design.graph.cluster,
        subjects=(identity_id,),
        title=f"{who} may do more than the design allows"
        + (", and can escalate with it" if critical else ""),
        detail=detail,
        evidence=evidence[:MAX_LISTED],
        clause=clause,
        baseline_version=loaded.version,
        location=first_source(evidence),
    )
