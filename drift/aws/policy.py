"""IAM JSON policy documents: statements with their elements as written, validated.

A `Statement` knows where it is written (`StatementRef`: the policy's name or ARN, its version,
its index and Sid), so every answer can name it. Action sets are compiled once: literal
actions in a set (lower case), wildcard ones as regexes, plus the services they can match so
an evaluator only looks at statements of the request's service.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from drift.aws.conditions import ConditionTest, read_conditions
from drift.aws.jsonread import JsonPath, JsonReader
from drift.aws.patterns import any_glob_regex, has_wildcard
from drift.aws.variables import VARIABLES_VERSION

_SERVICE = re.compile(r"^([^:]*):")


class Effect(enum.StrEnum):
    ALLOW = "Allow"
    DENY = "Deny"


class PolicyKind(enum.Enum):
    """Where a document is used decides which elements it must, may and may not have."""

    IDENTITY = "identity"  # user, group, role, managed policy, permissions boundary
    RESOURCE = "resource"  # bucket policy, Lambda function policy...
    TRUST = "trust"  # a role's AssumeRolePolicyDocument
    SCP = "scp"  # an Organizations service control policy


@dataclass(frozen=True, kw_only=True, order=True)
class StatementRef:
    """Where a statement is written: `arn:aws:iam::1:policy/P v3 #0 (Sid "X")`."""

    policy: str
    version: str | None = None
    index: int = 0
    sid: str | None = None

    def __str__(self) -> str:
        text = self.policy if self.version is None else f"{self.policy} {self.version}"
        text += f" #{self.index}"
        return f"{text} (Sid {json.dumps(self.sid)})" if self.sid else text


@dataclass(frozen=True, kw_only=True)
class Principals:
    """A Principal or NotPrincipal element: `*` (anyone) or lists per kind, as written."""

    anyone: bool = False
    aws: tuple[str, ...] = ()
    service: tuple[str, ...] = ()
    federated: tuple[str, ...] = ()
    canonical_user: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ActionSet:
    """Action or NotAction entries, compiled: literal actions in a set (lower case); wildcard
    ones in one regex per service prefix (a policy such as ReadOnlyAccess holds thousands),
    and those whose prefix itself has a wildcard in one more."""

    written: tuple[str, ...]
    literals: frozenset[str]
    by_service: Mapping[str, tuple[str, ...]]  # wildcard entries by service prefix
    any_service: tuple[str, ...]  # wildcard entries whose prefix has a wildcard too
    services: frozenset[str] | None  # lower case prefixes it may match; None: any
    # Compiled on first use: most statements of the managed set never meet a request.
    _compiled: dict[str, re.Pattern[str] | None] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def of(cls, written: tuple[str, ...]) -> ActionSet:
        literals = frozenset(a.lower() for a in written if not has_wildcard(a))
        grouped: dict[str, list[str]] = {}
        wild_service: list[str] = []
        for action in written:
            if not has_wildcard(action):
                continue
            prefix = _SERVICE.match(action)
            if prefix is None or has_wildcard(prefix.group(1)):
                wild_service.append(action)
            else:
                grouped.setdefault(prefix.group(1).lower(), []).append(action)
        services = None if wild_service else {a.split(":", 1)[0].lower() for a in written}
        return cls(
            written=written,
            literals=literals,
            by_service={s: tuple(p) for s, p in grouped.items()},
            any_service=tuple(wild_service),
            services=None if services is None else frozenset(services),
        )

    def matches(self, action: str) -> bool:
        """`action` in lower case."""
        if action in self.literals:
            return True
        service = action.split(":", 1)[0]
        for key, globs in ((service, self.by_service.get(service)), ("", self.any_service)):
            if globs:
                pattern = self._compiled.get(key)
                if pattern is None:
                    pattern = self._compiled[key] = any_glob_regex(globs)
                if pattern.fullmatch(action):
                    return True
        return False


@dataclass(frozen=True, kw_only=True)
class Statement:
    ref: StatementRef
    effect: Effect
    actions: ActionSet
    not_action: bool = False
    resources: tuple[str, ...] | None = None  # None: not written (the attached resource)
    not_resource: bool = False
    principals: Principals | None = None
    not_principal: bool = False
    conditions: tuple[ConditionTest, ...] = ()
    variables: bool = True  # the document's Version reads ${...} as policy variables

    @property
    def services(self) -> frozenset[str] | None:
        """The services whose actions it can cover; None: any (NotAction, `*`, `s3*:...`)."""
        return None if self.not_action else self.actions.services

    def covers_action(self, action: str) -> bool:
        """`action` in lower case."""
        return self.actions.matches(action) != self.not_action

    @property
    def any_resource(self) -> bool:
        return not self.not_resource and (self.resources is None or "*" in self.resources)


@dataclass(frozen=True, kw_only=True)
class PolicyDocument:
    version: str | None
    statements: tuple[Statement, ...]


_STATEMENT_FIELDS = (
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
)
_DOCUMENT_FIELDS = ("Version", "Id", "Statement")
_PRINCIPAL_KINDS = {
    "AWS": "aws",
    "Service": "service",
    "Federated": "federated",
    "CanonicalUser": "canonical_user",
}


def read_policy(
    reader: JsonReader,
    path: JsonPath,
    raw: Any,
    *,
    kind: PolicyKind,
    policy: str,
    version: str | None = None,
) -> PolicyDocument | None:
    """One document (an object, or JSON text, URL-encoded or not, as IAM returns it); None,
    with problems, when it is not a valid policy of its kind."""
    document = reader.document(path, raw)
    if document is None:
        return None
    reader.unknown_fields(path, document, _DOCUMENT_FIELDS)
    language = document.get("Version")
    if language is not None and language not in (VARIABLES_VERSION, "2008-10-17"):
        reader.problem((*path, "Version"), "must be 2012-10-17 or 2008-10-17")
    raw_statements = document.get("Statement")
    if raw_statements is None:
        reader.problem((*path, "Statement"), "required")
        return None
    listed = raw_statements if isinstance(raw_statements, list) else [raw_statements]
    as_list = isinstance(raw_statements, list)
    statements = []
    for index, item in enumerate(listed):
        where = (*path, "Statement", index) if as_list else (*path, "Statement")
        ref = StatementRef(policy=policy, version=version, index=index)
        found = _statement(reader, where, item, kind, ref, language == VARIABLES_VERSION)
        if found is not None:
            statements.append(found)
    return PolicyDocument(version=language, statements=tuple(statements))


def _statement(
    reader: JsonReader,
    path: JsonPath,
    raw: Any,
    kind: PolicyKind,
    ref: StatementRef,
    variables: bool,
) -> Statement | None:
    if not isinstance(raw, Mapping):
        reader.problem(path, "a statement must be an object")
        return None
    before = reader.count
    reader.unknown_fields(path, raw, _STATEMENT_FIELDS)
    sid = raw.get("Sid")
    if sid is not None and not isinstance(sid, str):
        reader.problem((*path, "Sid"), "must be a string")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        reader.problem((*path, "Effect"), "must be Allow or Deny")
    actions, not_action = _pair(reader, path, raw, "Action", required=True)
    resources, not_resource = _pair(
        reader, path, raw, "Resource", required=kind is PolicyKind.IDENTITY
    )
    if kind is PolicyKind.TRUST and resources is not None:
        reader.problem(
            (*path, "Resource" if not not_resource else "NotResource"),
            "a trust policy has no Resource",
        )
    principals, not_principal = _principal(reader, path, raw, kind)
    conditions = read_conditions(reader, (*path, "Condition"), raw.get("Condition"))
    if reader.count > before:
        return None
    return Statement(
        ref=StatementRef(policy=ref.policy, version=ref.version, index=ref.index, sid=sid or None),
        effect=Effect(str(effect)),
        actions=ActionSet.of(actions or ()),
        not_action=not_action,
        resources=resources,
        not_resource=not_resource,
        principals=principals,
        not_principal=not_principal,
        conditions=conditions,
        variables=variables,
    )


def _pair(
    reader: JsonReader, path: JsonPath, raw: Mapping[str, Any], name: str, *, required: bool
) -> tuple[tuple[str, ...] | None, bool]:
    """Action/NotAction or Resource/NotResource: the strings written, and whether negated."""
    negated = f"Not{name}"
    if name in raw and negated in raw:
        reader.problem(path, f"has both {name} and {negated}")
        return None, False
    key = negated if negated in raw else name
    if key not in raw:
        if required:
            reader.problem(path, f"needs {name} or {negated}")
        return None, False
    values = reader.strings((*path, key), raw[key])
    if values is not None and name == "Action":
        for index, action in enumerate(values):
            if action != "*" and ":" not in action:
                reader.problem((*path, key, index), f"{action!r} is not service:action")
    return values, key == negated


def _principal(
    reader: JsonReader, path: JsonPath, raw: Mapping[str, Any], kind: PolicyKind
) -> tuple[Principals | None, bool]:
    key = "NotPrincipal" if "NotPrincipal" in raw else "Principal"
    if "Principal" in raw and "NotPrincipal" in raw:
        reader.problem(path, "has both Principal and NotPrincipal")
        return None, False
    if kind in (PolicyKind.IDENTITY, PolicyKind.SCP):
        if key in raw:
            reader.problem((*path, key), f"not allowed in {kind.value} policies")
        return None, False
    if key not in raw:
        reader.problem(path, f"needs Principal or NotPrincipal in a {kind.value} policy")
        return None, False
    return _principals(reader, (*path, key), raw[key]), key == "NotPrincipal"


def _principals(reader: JsonReader, path: JsonPath, raw: Any) -> Principals | None:
    if raw == "*":
        return Principals(anyone=True)
    if not isinstance(raw, Mapping):
        reader.problem(path, 'must be "*" or an object of AWS, Service, Federated, CanonicalUser')
        return None
    reader.unknown_fields(path, raw, tuple(_PRINCIPAL_KINDS))
    found: dict[str, tuple[str, ...]] = {}
    for name, attribute in _PRINCIPAL_KINDS.items():
        if name in raw:
            values = reader.strings((*path, name), raw[name])
            found[attribute] = values or ()
    anyone = "*" in found.get("aws", ())
    return Principals(anyone=anyone, **found)
