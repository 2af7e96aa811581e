"""Matching one caller against AuthorizationPolicy rules, three-valued and per port.

A match is a `Tri`: the TCP ports on which it holds (`yes`), those on which the input does
not decide (`maybe`), and by complement those on which it fails. Istio's rule semantics
(AuthorizationPolicy reference): a rule matches when one of its `from` sources, one of its
`to` operations and all its `when` conditions match; fields within a source or operation
are ANDed, values within a field ORed; absent parts match anything.

What a connection decides: the port, and the caller's mTLS identity. Identity fields
(principals, namespaces, serviceAccounts, trustDomains and the `source.*` identity keys)
read the peer certificate: they only match over mTLS, so a plaintext caller never matches
`principals` and always matches `notPrincipals` (Envoy negates a failed match; Istio's
bulletin ISTIO-SECURITY-2021-004 describes the same for `notNamespaces`). Everything
else (HTTP methods, paths, hosts, JWT principals, headers, addresses, SNI) is not decided at
the connection level: it makes the match unknown, never yes and never no.
"""

from __future__ import annotations

from collections.abc import Iterable
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

    # Most operands are the constants below: those cases skip the port set algebra.

    def __and__(self, other: Tri) -> Tri:
        if self is ALWAYS or other is NEVER or self is other:
            return other
        if other is ALWAYS or self is NEVER:
            return self
        yes = self.yes & other.yes
        return Tri(yes, ((self.yes | self.maybe) & (other.yes | other.maybe)) - yes)

    def __or__(self, other: Tri) -> Tri:
        if self is NEVER or other is ALWAYS or self is other:
            return other
        if other is NEVER or self is ALWAYS:
            return self
        yes = self.yes | other.yes
        return Tri(yes, (self.maybe | other.maybe) - yes)

    def __invert__(self) -> Tri:
        if self is ALWAYS:
            return NEVER
        if self is NEVER:
            return ALWAYS
        if self is PERHAPS:
            return PERHAPS
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
class Identity:
    """Who a workload's pods are in the mesh: `principal` is
    `<trust domain>/ns/<namespace>/sa/<service account>`."""

    principal: str
    namespace: str
    service_account: str


@dataclass(frozen=True, kw_only=True)
class Caller:
    """Who opens the connection (`identity` None: a caller outside the cluster), and `tls`:
    the destination ports on which the connection is mTLS, so carries that identity."""

    identity: Identity | None
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


# Identity fields and `source.*` condition keys, by the attribute of the peer they read.
_IDENTITY_KINDS = {
    "principals": "principal",
    "principal": "principal",
    "namespaces": "namespace",
    "namespace": "namespace",
    "serviceAccounts": "serviceAccount",
    "serviceAccount": "serviceAccount",
    "trustDomains": "trustDomain",
}

# (kind, values, the policy's namespace): one identity test a caller passes or fails.
Atom = tuple[str, tuple[str, ...], str]


def identity_matches(identity: Identity | None, atom: Atom, trust: TrustDomains) -> bool:
    """Whether the peer certificate of `identity` matches one of the atom's values."""
    if identity is None:
        return False
    kind, values, namespace = atom
    if kind == "principal":
        return any(trust.principal_matches(v, identity.principal) for v in values)
    if kind == "namespace":
        return any(value_matches(v, identity.namespace) for v in values)
    if kind == "serviceAccount":
        account = f"{identity.namespace}/{identity.service_account}"
        return any(account == (v if "/" in v else f"{namespace}/{v}") for v in values)
    return any(value_matches(v, trust.local) for v in values)


def identity_atoms(policy: AuthorizationPolicy) -> Iterable[Atom]:
    """Every identity test in `policy`: all a caller's answer depends on, beyond its
    dataplane, so callers that pass the same ones get the same answer."""
    for rule in policy.rules:
        for fields in rule.sources or ():
            for name, values in fields.items():
                kind = _IDENTITY_KINDS.get(_positive(name))
                if kind is not None:
                    yield kind, values, policy.namespace
        for condition in rule.conditions:
            kind = _condition_kind(condition.key)
            if kind is not None:
                for values in (condition.values, condition.not_values):
                    if values:
                        yield kind, values, policy.namespace


def _positive(name: str) -> str:
    return name[3].lower() + name[4:] if name.startswith("not") else name


def _condition_kind(key: str) -> str | None:
    return _IDENTITY_KINDS.get(key.removeprefix("source.")) if key.startswith("source.") else None


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
        base = _positive(name)
        if name in HTTP_FIELDS or name in REQUEST_SOURCE_FIELDS:
            return self._undecided(f"{where}: {name} reads the HTTP request")
        if name in ADDRESS_FIELDS:
            return self._undecided(f"{where}: {name} reads addresses, which are not modelled")
        if base == "ports":
            ports = _ports(values)
            return Tri(TCP_ALL - ports if negated else ports, _EMPTY)
        kind = _IDENTITY_KINDS.get(base)
        if kind is None:  # a field this version does not know: never silently allow
            return self._undecided(f"{where}: {name} is not modelled")
        return self._identity((kind, values, policy.namespace), negated)

    def _identity(self, atom: Atom, negated: bool) -> Tri:
        """Identity comes from the peer certificate: only mTLS connections carry one."""
        matched = identity_matches(self.caller.identity, atom, self.trust)
        carried = self.caller.tls & decided(matched)
        return ~carried if negated else carried

    def _condition(self, policy: AuthorizationPolicy, where: str, condition: Condition) -> Tri:
        key = condition.key
        kind = _condition_kind(key)
        result = ALWAYS
        for values, negated in ((condition.values, False), (condition.not_values, True)):
            if not values:
                continue
            if key == "destination.port":
                ports = _ports(values)
                result &= Tri(TCP_ALL - ports if negated else ports, _EMPTY)
            elif kind is not None:
                result &= self._identity((kind, values, policy.namespace), negated)
            else:
                return self._undecided(f"{where}: when {key} is not decided by a connection")
        return result

    def _undecided(self, why: str) -> Tri:
        if why not in self.why:
            self.why.append(why)
        return PERHAPS


def _ports(values: Iterable[str]) -> PortSet:
    numbers = [p for v in values if (p := parse_port(v)) is not None and p >= 1]
    return PortSet({Protocol.TCP: [(p, p) for p in numbers]})
