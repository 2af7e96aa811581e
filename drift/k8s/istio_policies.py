"""Istio's PeerAuthentication and AuthorizationPolicy objects, read into a typed model.

Validated as Istio's admission webhook and CRD schema would: what they refuse is a problem
(one line, naming the field). Fields the schema does not know are pruned by the API server,
so they are ignored here too. `security.istio.io/v1` and `v1beta1` share one schema.
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from drift.k8s.kinds import GroupKind
from drift.k8s.labels import Selector, parse_labels, selector_from_labels
from drift.k8s.objects import FieldPath, KubeObject, SourceRef

ISTIO_SECURITY = "security.istio.io"
PEER_AUTHENTICATION: GroupKind = (ISTIO_SECURITY, "PeerAuthentication")
AUTHORIZATION_POLICY: GroupKind = (ISTIO_SECURITY, "AuthorizationPolicy")
DRY_RUN_ANNOTATION = "istio.io/dry-run"


class PeerMode(enum.StrEnum):
    UNSET = "UNSET"  # inherit from the parent level
    DISABLE = "DISABLE"
    PERMISSIVE = "PERMISSIVE"
    STRICT = "STRICT"


@dataclass(frozen=True, kw_only=True)
class PeerAuthentication:
    """`selector` None: namespace-wide, or mesh-wide in the root namespace (an empty
    `matchLabels` counts as none, as in Istio). `port_modes` is keyed by the pod's port."""

    namespace: str
    name: str
    selector: Selector | None
    mode: PeerMode
    port_modes: Mapping[int, PeerMode]
    source: SourceRef

    @property
    def ref(self) -> str:
        return f"PeerAuthentication {self.namespace}/{self.name}"


class Action(enum.StrEnum):
    ALLOW = "ALLOW"
    DENY = "DENY"
    AUDIT = "AUDIT"
    CUSTOM = "CUSTOM"


# The fields of a rule's `from.source` and `to.operation`, by what they read.
PEER_FIELDS = frozenset(
    {
        "principals",
        "notPrincipals",
        "namespaces",
        "notNamespaces",
        "serviceAccounts",
        "notServiceAccounts",
        "trustDomains",
        "notTrustDomains",
    }
)
ADDRESS_FIELDS = frozenset({"ipBlocks", "notIpBlocks", "remoteIpBlocks", "notRemoteIpBlocks"})
REQUEST_SOURCE_FIELDS = frozenset({"requestPrincipals", "notRequestPrincipals"})
SOURCE_FIELDS = PEER_FIELDS | ADDRESS_FIELDS | REQUEST_SOURCE_FIELDS
PORT_FIELDS = frozenset({"ports", "notPorts"})
HTTP_FIELDS = frozenset({"hosts", "notHosts", "methods", "notMethods", "paths", "notPaths"})
OPERATION_FIELDS = PORT_FIELDS | HTTP_FIELDS

# `when` keys (Istio's "Authorization Policy Conditions"), exact or as a prefix.
CONDITION_KEYS = frozenset(
    {
        "source.ip",
        "remote.ip",
        "source.namespace",
        "source.serviceAccount",
        "source.principal",
        "request.auth.principal",
        "request.auth.audiences",
        "request.auth.presenter",
        "destination.ip",
        "destination.port",
        "connection.sni",
    }
)
CONDITION_PREFIXES = (
    "request.headers[",
    "request.experimental.inline.headers[",
    "request.auth.claims[",
    "experimental.envoy.filters.",
)

Fields = Mapping[str, tuple[str, ...]]


@dataclass(frozen=True, kw_only=True)
class Condition:
    key: str
    values: tuple[str, ...] = ()
    not_values: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class AuthzRule:
    """`sources` / `operations` None: any. Within a rule, from, to and when are ANDed."""

    index: int
    sources: tuple[Fields, ...] | None
    operations: tuple[Fields, ...] | None
    conditions: tuple[Condition, ...]


@dataclass(frozen=True, kw_only=True)
class AuthorizationPolicy:
    """`selector` None: every workload of the namespace (of the mesh, in the root namespace).
    `targets` names `targetRef(s)` (waypoints, gateways): such a policy selects no sidecar."""

    namespace: str
    name: str
    selector: Selector | None
    targets: tuple[str, ...]
    action: Action
    provider: str | None
    rules: tuple[AuthzRule, ...]
    dry_run: bool
    source: SourceRef

    @property
    def ref(self) -> str:
        return f"AuthorizationPolicy {self.namespace}/{self.name} ({self.action})"


def read_peer_authentications(
    objects: Iterable[KubeObject], problems: list[str]
) -> list[PeerAuthentication]:
    return [p for obj in objects if (p := read_peer_authentication(obj, problems)) is not None]


def read_peer_authentication(obj: KubeObject, problems: list[str]) -> PeerAuthentication | None:
    before = len(problems)
    spec = _spec(obj, problems)
    selector = _selector(obj, problems)
    mode = _mode(obj, ("spec", "mtls"), spec.get("mtls"), problems)
    port_modes = _port_modes(obj, spec.get("portLevelMtls"), problems)
    if port_modes and selector is None:
        problems.append(
            obj.problem(
                ("spec", "portLevelMtls"),
                "a mesh- or namespace-wide PeerAuthentication cannot set port-level mTLS",
            )
        )
    if len(problems) > before:
        return None
    assert obj.namespace is not None
    return PeerAuthentication(
        namespace=obj.namespace,
        name=obj.name,
        selector=selector,
        mode=mode,
        port_modes=port_modes,
        source=obj.source,
    )


def _spec(obj: KubeObject, problems: list[str]) -> Mapping[str, Any]:
    spec = obj.get(("spec",))
    if spec is None:
        return {}
    if not isinstance(spec, Mapping):
        problems.append(obj.problem(("spec",), "must be a mapping"))
        return {}
    return spec


def _selector(obj: KubeObject, problems: list[str]) -> Selector | None:
    """An Istio workload selector (`matchLabels` only); empty or absent: None."""
    path: FieldPath = ("spec", "selector")
    raw = obj.get(path)
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        problems.append(obj.problem(path, "must be a mapping with matchLabels"))
        return None
    labels = parse_labels(obj, (*path, "matchLabels"), problems)
    return selector_from_labels(labels) if labels else None


def _mode(obj: KubeObject, path: FieldPath, raw: Any, problems: list[str]) -> PeerMode:
    if raw is None:
        return PeerMode.UNSET
    if not isinstance(raw, Mapping):
        problems.append(obj.problem(path, "must be a mapping with a mode"))
        return PeerMode.UNSET
    value = raw.get("mode")
    if value is None:
        return PeerMode.UNSET
    try:
        return PeerMode(value)
    except ValueError:
        expected = ", ".join(PeerMode)
        problems.append(obj.problem((*path, "mode"), f"{value!r} is not one of {expected}"))
        return PeerMode.UNSET


def _port_modes(obj: KubeObject, raw: Any, problems: list[str]) -> dict[int, PeerMode]:
    path: FieldPath = ("spec", "portLevelMtls")
    if raw is None:
        return {}
    if not isinstance(raw, Mapping) or not raw:
        problems.append(obj.problem(path, "must be a non-empty mapping of ports to mTLS modes"))
        return {}
    modes: dict[int, PeerMode] = {}
    for key, value in raw.items():
        port = parse_port(key)
        if port is None or port < 1:
            problems.append(obj.problem((*path, str(key)), "port must be in range 1..65535"))
            continue
        modes[port] = _mode(obj, (*path, str(key)), value, problems)
    return modes


def parse_port(raw: Any) -> int | None:
    """A port as Istio parses one (an unsigned number up to 65535), or None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if 0 <= raw <= 65535 else None
    if isinstance(raw, str) and raw.isascii() and raw.isdigit() and int(raw) <= 65535:
        return int(raw)
    return None


def read_authorization_policies(
    objects: Iterable[KubeObject], problems: list[str]
) -> list[AuthorizationPolicy]:
    return [p for obj in objects if (p := read_authorization_policy(obj, problems)) is not None]


def read_authorization_policy(obj: KubeObject, problems: list[str]) -> AuthorizationPolicy | None:
    before = len(problems)
    spec = _spec(obj, problems)
    selector = _selector(obj, problems)
    targets = _targets(obj, spec, problems)
    if targets and "selector" in spec:
        problems.append(obj.problem(("spec", "selector"), "cannot be set with targetRef(s)"))
    action = _action(obj, spec.get("action"), problems)
    provider = _provider(obj, spec, action, problems)
    raw_rules = spec.get("rules")
    if not raw_rules and action in (Action.DENY, Action.CUSTOM):
        problems.append(
            obj.problem(("spec", "rules"), f"a {action} policy without rules never matches")
        )
    rules = _rules(obj, raw_rules, problems)
    if len(problems) > before:
        return None
    assert obj.namespace is not None
    notes = obj.get(("metadata", "annotations"))
    dry_run = isinstance(notes, Mapping) and str(notes.get(DRY_RUN_ANNOTATION)).lower() == "true"
    return AuthorizationPolicy(
        namespace=obj.namespace,
        name=obj.name,
        selector=selector,
        targets=targets,
        action=action,
        provider=provider,
        rules=rules,
        dry_run=dry_run,
        source=obj.source,
    )


def _targets(obj: KubeObject, spec: Mapping[str, Any], problems: list[str]) -> tuple[str, ...]:
    refs: list[Any] = []
    if spec.get("targetRef") is not None:
        refs.append(spec["targetRef"])
    many = spec.get("targetRefs")
    if many is not None:
        if not isinstance(many, list):
            problems.append(obj.problem(("spec", "targetRefs"), "must be a list"))
        else:
            refs.extend(many)
    if spec.get("targetRef") is not None and many:
        problems.append(obj.problem(("spec", "targetRef"), "cannot be set with targetRefs"))
    return tuple(_describe_target(ref) for ref in refs)


def _describe_target(ref: Any) -> str:
    if not isinstance(ref, Mapping):
        return str(ref)
    group = ref.get("group") or "core"
    return f"{group}/{ref.get('kind')} {ref.get('name')}"


def _action(obj: KubeObject, raw: Any, problems: list[str]) -> Action:
    if raw is None:
        return Action.ALLOW
    try:
        return Action(raw)
    except ValueError:
        expected = ", ".join(Action)
        problems.append(obj.problem(("spec", "action"), f"{raw!r} is not one of {expected}"))
        return Action.ALLOW


def _provider(
    obj: KubeObject, spec: Mapping[str, Any], action: Action, problems: list[str]
) -> str | None:
    raw = spec.get("provider")
    name = raw.get("name") if isinstance(raw, Mapping) else None
    if raw is not None and action is not Action.CUSTOM:
        problems.append(obj.problem(("spec", "provider"), f"must not be set with {action}"))
    if action is Action.CUSTOM and spec.get("rules") and not name:
        problems.append(obj.problem(("spec", "provider", "name"), "required for CUSTOM"))
    return str(name) if name else None


def _rules(obj: KubeObject, raw: Any, problems: list[str]) -> tuple[AuthzRule, ...]:
    path: FieldPath = ("spec", "rules")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.append(obj.problem(path, "must be a list"))
        return ()
    rules = []
    for index, entry in enumerate(raw):
        if entry is None:
            entry = {}  # `- {}`, however it was written: the rule that matches everything
        if not isinstance(entry, Mapping):
            problems.append(obj.problem((*path, index), "must be a mapping"))
            continue
        rules.append(_rule(obj, (*path, index), index, entry, problems))
    return tuple(rules)


def _rule(
    obj: KubeObject, path: FieldPath, index: int, raw: Mapping[str, Any], problems: list[str]
) -> AuthzRule:
    sources = _matches(obj, (*path, "from"), raw.get("from"), "source", SOURCE_FIELDS, problems)
    operations = _matches(
        obj, (*path, "to"), raw.get("to"), "operation", OPERATION_FIELDS, problems
    )
    return AuthzRule(
        index=index,
        sources=sources,
        operations=operations,
        conditions=_conditions(obj, (*path, "when"), raw.get("when"), problems),
    )


def _matches(
    obj: KubeObject,
    path: FieldPath,
    raw: Any,
    inner: str,
    known: frozenset[str],
    problems: list[str],
) -> tuple[Fields, ...] | None:
    """`from` (each a `source`) or `to` (each an `operation`): None when absent."""
    if raw is None:
        return None
    if not isinstance(raw, list) or not raw:
        problems.append(obj.problem(path, "must be a non-empty list"))
        return None
    out = []
    for index, entry in enumerate(raw):
        where = (*path, index, inner)
        body = entry.get(inner) if isinstance(entry, Mapping) else None
        if not isinstance(body, Mapping):
            problems.append(obj.problem(where, "required (a mapping)"))
            continue
        fields = _fields(obj, where, body, known, problems)
        if not fields:
            problems.append(obj.problem(where, "must not be empty"))
        out.append(fields)
    return tuple(out)


def _fields(
    obj: KubeObject,
    path: FieldPath,
    body: Mapping[str, Any],
    known: frozenset[str],
    problems: list[str],
) -> dict[str, tuple[str, ...]]:
    fields: dict[str, tuple[str, ...]] = {}
    for name in sorted(known & set(body)):
        values = _strings(obj, (*path, name), body[name], problems)
        if values:
            fields[name] = values
            _check_values(obj, (*path, name), name, values, problems)
    has_accounts = any(f in fields for f in ("serviceAccounts", "notServiceAccounts"))
    peers = ("principals", "notPrincipals", "namespaces", "notNamespaces")
    if has_accounts and any(f in fields for f in peers):
        problems.append(
            obj.problem(path, "serviceAccounts cannot be set with principals or namespaces")
        )
    return fields


def _strings(obj: KubeObject, path: FieldPath, raw: Any, problems: list[str]) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(v, str) and v for v in raw):
        problems.append(obj.problem(path, "must be a list of non-empty strings"))
        return ()
    return tuple(raw)


def _check_values(
    obj: KubeObject, path: FieldPath, name: str, values: tuple[str, ...], problems: list[str]
) -> None:
    for index, value in enumerate(values):
        problem = _value_problem(name, value)
        if problem:
            problems.append(obj.problem((*path, index), problem))


def _value_problem(name: str, value: str) -> str | None:
    if name in PORT_FIELDS or name == "destination.port":
        return None if parse_port(value) is not None else f"{value!r} is not a port number"
    if name in ADDRESS_FIELDS or name in ("source.ip", "remote.ip", "destination.ip"):
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            return f"{value!r} is not an IP address or CIDR range"
        return None
    if name in ("serviceAccounts", "notServiceAccounts", "source.serviceAccount"):
        ns, slash, account = value.partition("/")
        if "*" in value or "/" in account or (slash and not (ns and account)):
            return f"{value!r} is not 'serviceAccount' or 'namespace/serviceAccount'"
    return None


def _conditions(
    obj: KubeObject, path: FieldPath, raw: Any, problems: list[str]
) -> tuple[Condition, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.append(obj.problem(path, "must be a list"))
        return ()
    conditions = []
    for index, entry in enumerate(raw):
        where = (*path, index)
        if not isinstance(entry, Mapping):
            problems.append(obj.problem(where, "must be a mapping with key and values"))
            continue
        condition = _condition(obj, where, entry, problems)
        if condition is not None:
            conditions.append(condition)
    return tuple(conditions)


def _condition(
    obj: KubeObject, path: FieldPath, raw: Mapping[str, Any], problems: list[str]
) -> Condition | None:
    key = raw.get("key")
    if not isinstance(key, str) or not key:
        problems.append(obj.problem((*path, "key"), "required"))
        return None
    if key not in CONDITION_KEYS and not key.startswith(CONDITION_PREFIXES):
        problems.append(obj.problem((*path, "key"), f"unknown attribute {key!r}"))
        return None
    values = _strings(obj, (*path, "values"), raw.get("values"), problems)
    not_values = _strings(obj, (*path, "notValues"), raw.get("notValues"), problems)
    if not values and not not_values:
        problems.append(obj.problem(path, "at least one of values or notValues is required"))
        return None
    _check_values(obj, (*path, "values"), key, values, problems)
    _check_values(obj, (*path, "notValues"), key, not_values, problems)
    return Condition(key=key, values=values, not_values=not_values)
