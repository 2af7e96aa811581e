"""Whether a resource-policy statement grants access to the public, as Amazon S3 defines it
("The meaning of 'public'", S3 User Guide; IAM Access Analyzer judges Lambda alike).

A statement that allows a principal that is not fixed (`"*"`, `{"AWS": "*"}`, a wildcard in
an ARN, any `Federated` principal, or `NotPrincipal`) is public, unless a condition limits it
to fixed values (no wildcard, no policy variable) of one of these keys: `aws:SourceIp` (CIDRs
no broader than /8 for IPv4 and /32 for IPv6), `aws:SourceArn`, `aws:SourceVpc`,
`aws:SourceVpce`, `aws:SourceOwner`, `aws:SourceAccount`,
`s3:x-amz-server-side-encryption-aws-kms-key-id`, `aws:userid` (so not `AROLEID:*`),
`s3:DataAccessPointArn` (its access-point name may be `*` when the account is fixed),
`s3:DataAccessPointAccount`, and the principal keys `aws:PrincipalOrgID`,
`aws:PrincipalAccount`, `aws:PrincipalArn`. Such a statement is *conditional*: shown with its
conditions, never counted public. A limiting condition only limits with a positive operator
(StringEquals[IgnoreCase], StringLike, ArnEquals, ArnLike, IpAddress; also under
ForAnyValue), never with `...IfExists` or ForAllValues (both hold when the key is absent).
A `${…}` value that is not a policy variable (no `:` inside, as a Terraform rebuild leaves
it) cannot be read: the statement is then *unknown*.
"""

from __future__ import annotations

import enum
import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from drift.aws.netread import mapping_of, text_of


class Grant(enum.StrEnum):
    PUBLIC = "public"
    CONDITIONAL = "conditional"
    UNKNOWN = "unknown"
    FIXED = "fixed"  # to fixed principals only: not public


@dataclass(frozen=True, kw_only=True)
class Judged:
    """One Allow statement: how public, for which actions, limited by which conditions (or,
    when unknown, why)."""

    grant: Grant
    label: str  # `statement 0 (Sid PublicRead)`
    actions: tuple[str, ...]
    conditions: tuple[str, ...] = ()
    reason: str = ""


_LIMITING = {
    k.lower()
    for k in (
        "aws:SourceIp",
        "aws:SourceArn",
        "aws:SourceVpc",
        "aws:SourceVpce",
        "aws:SourceOwner",
        "aws:SourceAccount",
        "s3:x-amz-server-side-encryption-aws-kms-key-id",
        "aws:userid",
        "s3:DataAccessPointArn",
        "s3:DataAccessPointAccount",
        "aws:PrincipalOrgID",
        "aws:PrincipalAccount",
        "aws:PrincipalArn",
    )
}
_POSITIVE = {"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike"}
_PLACEHOLDER = re.compile(r"\$\{[^}:]*\}")
_VARIABLE = re.compile(r"\$\{[^}]*:[^}]*\}|\$\{[*?$]\}")
_ACCESS_POINTS = re.compile(r"^arn:[^:*?]+:s3:[^:*?]+:\d{12}:accesspoint/\*$")


def statements(policy: object) -> list[Mapping[str, Any]]:
    """A policy's statements; the policy may be a document or its JSON text (as
    GetBucketPolicy and Lambda GetPolicy return it)."""
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except ValueError:
            return []
    raw = mapping_of(policy).get("Statement")
    items = raw if isinstance(raw, list) else [raw]
    return [s for s in items if isinstance(s, Mapping)]


def judge(statement: Mapping[str, Any], index: int) -> Judged | None:
    """How public one statement is; None for a Deny (it grants nothing)."""
    if statement.get("Effect") != "Allow":
        return None
    sid = text_of(statement.get("Sid"))
    label = f"statement {index}" + (f" (Sid {sid})" if sid else "")
    actions = tuple(_strings(statement.get("Action"))) or tuple(
        f"NotAction {a}" for a in _strings(statement.get("NotAction"))
    )
    if not _public_principal(statement):
        return Judged(grant=Grant.FIXED, label=label, actions=actions)
    conditions = mapping_of(statement.get("Condition"))
    texts = tuple(_describe(op, key, values) for op, key, values in _conditions(conditions))
    limited, unknown = False, []
    for op, key, values in _conditions(conditions):
        verdict = _limits(op, key, values)
        limited = limited or verdict is True
        if verdict is None:
            unknown.append(_describe(op, key, values))
    if limited:
        return Judged(grant=Grant.CONDITIONAL, label=label, actions=actions, conditions=texts)
    if unknown:
        why = f"a condition value cannot be read: {'; '.join(unknown)}"
        return Judged(
            grant=Grant.UNKNOWN, label=label, actions=actions, conditions=texts, reason=why
        )
    return Judged(grant=Grant.PUBLIC, label=label, actions=actions, conditions=texts)


def _strings(raw: object) -> list[str]:
    items = raw if isinstance(raw, list) else [raw]
    return [x for x in items if isinstance(x, str)]


def _public_principal(statement: Mapping[str, Any]) -> bool:
    if "NotPrincipal" in statement:
        return True  # an Allow for everyone but the principals named
    principal = statement.get("Principal")
    if principal == "*":
        return True
    for kind, raw in mapping_of(principal).items():
        values = _strings(raw)
        if kind == "Federated" and values:
            return True
        if any("*" in v or "?" in v or _VARIABLE.search(v) for v in values):
            return True
    return False


def _conditions(block: Mapping[str, Any]) -> Iterable[tuple[str, str, list[str]]]:
    for operator, pairs in block.items():
        for key, raw in mapping_of(pairs).items():
            yield (
                str(operator),
                str(key),
                [str(v) for v in (raw if isinstance(raw, list) else [raw])],
            )


def _describe(operator: str, key: str, values: list[str]) -> str:
    return f"{operator} {key} {', '.join(values)}"


def _limits(operator: str, key: str, values: list[str]) -> bool | None:
    """Whether one condition limits a statement to fixed values of a limiting key; None when
    a value cannot be read."""
    qualifier, _, base = operator.rpartition(":")
    base = base.lower()
    if key.lower() not in _LIMITING or base.endswith("ifexists"):
        return False
    if qualifier.lower() == "forallvalues" or not values:
        return False
    if any(_PLACEHOLDER.search(v) for v in values):
        return None
    if any(_VARIABLE.search(v) for v in values):
        return False
    if key.lower() == "aws:sourceip":
        return base == "ipaddress" and all(_narrow(v) for v in values)
    if base not in _POSITIVE:
        return False
    return all(_fixed(key, v) for v in values)


def _fixed(key: str, value: str) -> bool:
    if key.lower() == "s3:dataaccesspointarn" and _ACCESS_POINTS.match(value):
        return True
    return "*" not in value and "?" not in value


def _narrow(value: str) -> bool:
    """A CIDR no broader than /8 (IPv4) or /32 (IPv6)."""
    try:
        network = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return False
    return network.prefixlen >= (8 if network.version == 4 else 32)
