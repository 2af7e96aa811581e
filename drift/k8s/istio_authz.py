"""Matching one caller against AuthorizationPolicy rules, three-valued and per port.

A match is a `Tri`: the TCP ports on which it holds (`yes`), those on which the input does
not decide (`maybe`), and by complement those on which it fails. Istio's rule semantics
(AuthorizationPolicy reference): a rule matches when one of its `from` sources, one of its
`to` operations and all its `when` conditions match; fields within a source or operation
are ANDed, values within a field ORed; absent parts match anything.

What a connection decides: the port, and the caller's mTLS identity. Identity fields
(principals, namespaces, serviceAccounts, trustDomains and the `source.*` identity keys)
read the peer certificate: they only match over mTLS, so a plaintext caller never matches
`principals` and always matches `notPrincipals` (Envoy negates a failed match). Everything
else (HTTP methods, paths, hosts, JWT principals, headers, addresses, SNI) is not decided at
the connection level: it makes the match unknown, never yes and never no.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from drift.k8s.istio_policies import (
    ADDRESS_FIELDS,
    HTTP_FIELDS,
    REQUEST_SOURCE_FIELDS,
    AuthorizationPolicy,
    AuthzRule,
    Condition,
    Fields,
    parse_port,
)
from drift.ports import PortSet, Protocol

TCP_ALL = PortSet.every([Protocol.TCP])
_EMPTY = PortSet.empty()
LOCAL_TRUST_DOMAIN = "cluster.local"  # in a policy, Istio reads it as the mesh's own


@dataclass(frozen=True, slots=True)
class Tri:
    """A three-valued answer per TCP port; `yes` and `maybe` are disjoint."""

    yes: PortSet
    maybe: PortSet

    @property
    def no(self) -> PortSet:
        return TCP_ALL - self.yes - self.maybe

    def __and__(self, other: Tri) -> Tri:
        yes = self.yes & other.yes
        return Tri(yes, ((self.yes | self.maybe) & (other.yes | other.maybe)) - yes)

    def __or__(self, other: Tri) -> Tri:
        yes = self.yes | other.yes
        return Tri(yes, (self.maybe | other.maybe) - yes)

    def __invert__(self) -> Tri:
        return Tri(self.no, self.maybe)


ALWAYS = Tri(TCP_ALL, _EMPTY)
NEVER = Tri(_EMPTY, _EMPTY)
PERHAPS = Tri(_EMPTY, TCP_ALL)


def decided(answer: bool) -> Tri:
    return ALWAYS if answer else NEVER


def any_of(tris: Iterable[Tri]) -> Tri:
    result = NEVER
    for tri in tris:
        result |= tri
    return result


@dataclass(frozen=True, kw_only=True)
class Caller:
    """Who opens the connection. `principal` is `<trust domain>/ns/<ns>/sa/<sa>` for a
    workload, None for a caller outside the cluster; `tls`: the destination ports on which
    the connection is mTLS (so carries that identity)."""

    principal: str | None
    namespace: str | None
    service_account: str | None
    trust_domain: str
    tls: Tri


@dataclass(frozen=True, kw_only=True)
class TrustDomains:
    local: str = LOCAL_TRUST_DOMAIN
    aliases: tuple[str, ...] = ()

    def principal_matches(self, pattern: str, principal: str) -> bool:
        """Istio rewrites a policy principal whose trust domain is the mesh's, an alias or
        `cluster.local` into one per trust domain of the mesh; others match as written."""
        candidates = [pattern]
        domain, slash, rest = pattern.partition("/")
        bundle = (self.local, *self.aliases)
        if slash and domain != "*" and (domain in bundle or domain == LOCAL_TRUST_DOMAIN):
            candidates += [f"{d}/{rest}" for d in bundle]
        return any(value_matches(c, principal) for c in candidates)


def value_matches(pattern: str, value: str) -> bool:
    """Istio's string match: `*` (present), `*suffix`, `prefix*`, else exact."""
    if pattern == "*":
        return value != ""
    if pattern.startswith("*"):
        return value.endswith(pattern[1:])
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    return value == pattern


class RuleMatcher:
    """Matches one caller against the rules of policies; `why` collects, once each, what
    left a match undecided."""

    def __init__(self, caller: Caller, trust: TrustDomains) -> None:
        self.caller = caller
        self.trust = trust
        self.why: list[str] = []

    def policy(self, policy: AuthorizationPolicy) -> Tri:
        """Where some rule of `policy` matches (a policy without rules matches nothing)."""
        return any_of(self.rule(policy, rule) for rule in policy.rules)

    def rule(self, policy: AuthorizationPolicy, rule: AuthzRule) -> Tri:
        where = f"{policy.ref} rules[{rule.index}]"
        result = ALWAYS
        if rule.sources is not None:
            result &= any_of(self._fields(policy, where, s) for s in rule.sources)
        if rule.operations is not None:
            result &= any_of(self._fields(policy, where, o) for o in rule.operations)
        for condition in rule.conditions:
            result &= self._condition(policy, where, condition)
        return result

    def _fields(self, policy: AuthorizationPolicy, where: str, fields: Fields) -> Tri:
        result = ALWAYS
        for name, values in fields.items():
            result &= self._field(policy, where, name, values)
        return result

    def _field(
        self, policy: AuthorizationPolicy, where: str, name: str, values: tuple[str, ...]
    ) -> Tri:
        negated = name.startswith("not")
        base = name[3].lower() + name[4:] if negated else name
        if name in HTTP_FIELDS or name in REQUEST_SOURCE_FIELDS:
            return self._undecided(f"{where}: {name} reads the HTTP request")
        if name in ADDRESS_FIELDS:
            return self._undecided(f"{where}: {name} reads addresses, which are not modelled")
        if base == "ports":
            ports = _ports(values)
            return Tri(TCP_ALL - ports if negated else ports, _EMPTY)
        match = self._identity_match(policy, base)
        if match is None:  # a field this version does not know: never silently allow
            return self._undecided(f"{where}: {name} is not modelled")
        return self._identity(any(match(v) for v in values), negated)

    def _identity_match(
        self, policy: AuthorizationPolicy, field: str
    ) -> Callable[[str], bool] | None:
        caller = self.caller
        if field in ("principals", "principal"):
            principal = caller.principal
            return lambda v: principal is not None and self.trust.principal_matches(v, principal)
        if field in ("namespaces", "namespace"):
            namespace = caller.namespace
            return lambda v: namespace is not None and value_matches(v, namespace)
        if field in ("serviceAccounts", "serviceAccount"):
            account = f"{caller.namespace}/{caller.service_account}"
            return lambda v: caller.principal is not None and account == _account(v, policy)
        if field == "trustDomains":
            return lambda v: caller.principal is not None and value_matches(v, caller.trust_domain)
        return None

    def _identity(self, matched: bool, negated: bool) -> Tri:
        """Identity comes from the peer certificate: only mTLS connections carry one."""
        carried = self.caller.tls & decided(matched)
        return ~carried if negated else carried

    def _condition(self, policy: AuthorizationPolicy, where: str, condition: Condition) -> Tri:
        key = condition.key
        result = ALWAYS
        for values, negated in ((condition.values, False), (condition.not_values, True)):
            if not values:
                continue
            if key == "destination.port":
                ports = _ports(values)
                result &= Tri(TCP_ALL - ports if negated else ports, _EMPTY)
                continue
            field = key.removeprefix("source.") if key.startswith("source.") else ""
            match = self._identity_match(policy, field) if field != "ip" else None
            if match is None:
                return self._undecided(f"{where}: when {key} is not decided by a connection")
            result &= self._identity(any(match(v) for v in values), negated)
        return result

    def _undecided(self, why: str) -> Tri:
        if why not in self.why:
            self.why.append(why)
        return PERHAPS


def _ports(values: Iterable[str]) -> PortSet:
    numbers = [p for v in values if (p := parse_port(v)) is not None and p >= 1]
    return PortSet({Protocol.TCP: [(p, p) for p in numbers]})


def _account(value: str, policy: AuthorizationPolicy) -> str:
    """`namespace/serviceAccount`, or a bare name in the policy's namespace."""
    return value if "/" in value else f"{policy.namespace}/{value}"
