"""Istio security, pure: who is in the mesh, which mTLS mode each port receives, and which
callers the mesh's AuthorizationPolicies admit to each workload.

`build_mesh_model(inventory)` reads the PeerAuthentications and AuthorizationPolicies and
answers, per workload, `membership` (sidecar injection, `drift.k8s.istio_injection`),
`mtls` (per port, `drift.k8s.istio_mtls`) and, per caller and destination, `authz`.

Authorization on a sidecar (Istio's AuthorizationPolicy reference): CUSTOM first (an
external authorizer decides, so whatever would be admitted becomes unknown), then DENY (any
match denies), then ALLOW (when any ALLOW policy selects the workload the request must match
one; otherwise it is allowed). A policy in the root namespace selects in every namespace, any
other only in its own; without a selector it selects every workload there. Plaintext that
reaches a STRICT port is refused before authorization. A destination without a sidecar
enforces nothing. Policies with targetRef(s) (waypoints, gateways) and dry-run policies
select no sidecar, AUDIT policies decide nothing: they are reported in `notes`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from drift.errors import ManifestError
from drift.k8s.inventory import Inventory
from drift.k8s.istio_authz import (
    ALWAYS,
    NEVER,
    PERHAPS,
    TCP_ALL,
    Atom,
    Caller,
    Identity,
    RuleMatcher,
    Tri,
    TrustDomains,
    identity_atoms,
    identity_matches,
)
from drift.k8s.istio_injection import DATAPLANE_MODE_LABEL, Dataplane, Membership, membership
from drift.k8s.istio_mtls import Level, MtlsByPort, captured_ports, sidecar_mtls, uniform
from drift.k8s.istio_policies import (
    AUTHORIZATION_POLICY,
    DRY_RUN_ANNOTATION,
    PEER_AUTHENTICATION,
    Action,
    AuthorizationPolicy,
    PeerAuthentication,
    read_authorization_policies,
    read_peer_authentications,
)
from drift.k8s.labels import Selector, Truth
from drift.k8s.workloads import Workload
from drift.model import Evidence, MtlsMode
from drift.ports import PortSet

WorkloadKey = tuple[str, str, str]
_EVERY = PortSet.every()
_EMPTY = PortSet.empty()


@dataclass(frozen=True, kw_only=True)
class MeshOptions:
    """How the mesh was installed, where the objects cannot say."""

    root_namespace: str = "istio-system"
    inject_by_default: bool = False  # sidecarInjectorWebhook.enableNamespacesByDefault
    trust_domain: str = "cluster.local"
    trust_domain_aliases: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class AuthzAnswer:
    """Which ports the mesh admits from one caller to one workload. `admitted`, `denied` and
    `unknown` are disjoint and cover every port of every protocol; `reasons` say why ports
    are denied or unknown, `notes` what is reported without changing the answer."""

    admitted: PortSet
    denied: PortSet
    unknown: PortSet
    evidence: tuple[Evidence, ...] = ()
    reasons: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def within(self, ports: PortSet) -> AuthzAnswer:
        """The same answer restricted to `ports` (a connects edge's)."""
        return AuthzAnswer(
            admitted=self.admitted & ports,
            denied=self.denied & ports,
            unknown=self.unknown & ports,
            evidence=self.evidence,
            reasons=self.reasons,
            notes=self.notes,
        )


def build_mesh_model(inventory: Inventory, options: MeshOptions | None = None) -> MeshModel:
    """Read the inventory's Istio security objects; every problem is raised together."""
    problems: list[str] = []
    peers = read_peer_authentications(inventory.of_kind(PEER_AUTHENTICATION), problems)
    policies = read_authorization_policies(inventory.of_kind(AUTHORIZATION_POLICY), problems)
    model = MeshModel(
        inventory=inventory,
        peer_authentications=peers,
        authorization_policies=policies,
        options=options or MeshOptions(),
    )
    problems.extend(model.interception_problems())
    if problems:
        raise ManifestError(problems)
    return model


@dataclass(frozen=True, kw_only=True)
class _Destination:
    """What is computed once per destination workload."""

    membership: Membership
    mtls: MtlsByPort
    captured: PortSet  # the TCP ports its sidecar intercepts
    policies: tuple[tuple[AuthorizationPolicy, Truth], ...]  # selecting it, or maybe
    atoms: tuple[Atom, ...]  # the identity tests of those policies


class MeshModel:
    """The mesh's answers for the workloads of one inventory, computed on demand and cached
    (per workload, and per caller identity and destination)."""

    def __init__(
        self,
        *,
        inventory: Inventory,
        peer_authentications: Sequence[PeerAuthentication],
        authorization_policies: Sequence[AuthorizationPolicy],
        options: MeshOptions,
    ) -> None:
        self.inventory = inventory
        self.options = options
        self.trust = TrustDomains(local=options.trust_domain, aliases=options.trust_domain_aliases)
        self._peers = _by_namespace(peer_authentications)
        self._policies = _by_namespace(
            p for p in authorization_policies if not p.targets and not p.dry_run
        )
        self.notes: tuple[str, ...] = (
            *_policy_notes(authorization_policies),
            *_peer_notes(peer_authentications, options.root_namespace),
            *(
                f"namespace {ns.name} is in ambient mode, which is not modelled"
                for ns in inventory.namespaces.values()
                if ns.labels.get(DATAPLANE_MODE_LABEL) == "ambient"
            ),
        )
        self._memberships: dict[WorkloadKey, Membership] = {}
        self._destinations: dict[WorkloadKey, _Destination] = {}
        self._answers: dict[tuple[object, WorkloadKey], AuthzAnswer] = {}

    @property
    def present(self) -> bool:
        """Whether the input shows a mesh: an Istio policy, or a pod that may be meshed."""
        return bool(self._peers or self._policies or self.notes) or any(
            self.membership(w).dataplane is not Dataplane.NONE for w in self.inventory.workloads
        )

    def membership(self, workload: Workload) -> Membership:
        key = _key(workload)
        found = self._memberships.get(key)
        if found is None:
            namespace = self.inventory.namespaces.get(workload.namespace)
            found = membership(
                workload, namespace, inject_by_default=self.options.inject_by_default
            )
            self._memberships[key] = found
        return found

    def mtls(self, workload: Workload) -> MtlsByPort:
        """The mTLS mode `workload`'s pods receive, per port."""
        return self._destination(workload).mtls

    def authz(self, source: Workload | None, destination: Workload) -> AuthzAnswer:
        """What the mesh admits from `source` to `destination`, per port. `source` None is
        a caller outside the mesh (another cluster, the internet): plaintext, no identity.

        Answers are shared by the callers the destination's policies cannot tell apart:
        those with the same dataplane that pass the same identity tests."""
        target = self._destination(destination)
        key = (self._signature(source, target), _key(destination))
        answer = self._answers.get(key)
        if answer is None:
            answer = self._answer(source, target, destination)
            self._answers[key] = answer
        return answer

    def _signature(self, source: Workload | None, target: _Destination) -> object:
        meshed = Truth.NO if source is None else self.membership(source).meshed
        if source is None or meshed is Truth.NO:
            return Truth.NO  # plaintext carries no identity: every such caller is alike
        identity = _identity(source, self.options.trust_domain)
        return meshed, tuple(identity_matches(identity, atom, self.trust) for atom in target.atoms)

    def interception_problems(self) -> list[str]:
        """Malformed interception annotations on pods the mesh may inject (the injector
        refuses such pods)."""
        problems: list[str] = []
        for workload in self.inventory.workloads:
            if self.membership(workload).dataplane in (Dataplane.SIDECAR, Dataplane.UNKNOWN):
                captured_ports(workload, problems)
        return problems

    # -- per destination ----------------------------------------------------------------

    def _destination(self, workload: Workload) -> _Destination:
        key = _key(workload)
        found = self._destinations.get(key)
        if found is None:
            member = self.membership(workload)
            captured = captured_ports(workload, [])
            policies = self._selecting(workload)
            found = _Destination(
                membership=member,
                mtls=self._mtls(workload, member, captured),
                captured=captured,
                policies=policies,
                atoms=tuple(dict.fromkeys(a for p, _ in policies for a in identity_atoms(p))),
            )
            self._destinations[key] = found
        return found

    def _selecting(self, workload: Workload) -> tuple[tuple[AuthorizationPolicy, Truth], ...]:
        root = self.options.root_namespace
        candidates = list(self._policies.get(root, ()))
        if workload.namespace != root:
            candidates += self._policies.get(workload.namespace, ())
        selected = []
        for policy in candidates:
            truth = _selects(policy.selector, workload)
            if truth is not Truth.NO:
                selected.append((policy, truth))
        return tuple(selected)

    def _mtls(self, workload: Workload, member: Membership, captured: PortSet) -> MtlsByPort:
        levels = self._peer_levels(workload)
        if member.dataplane is Dataplane.NONE:
            notes = tuple(
                f"{p.ref} selects {_name(workload)}, which has no sidecar ({member.reason}):"
                " its pods only speak plaintext"
                for p, _ in levels[2]
            )
            return uniform(MtlsMode.DISABLED, notes=notes)
        if member.dataplane is Dataplane.AMBIENT:
            return uniform(MtlsMode.UNKNOWN, reasons=(f"{_name(workload)}: {member.reason}",))
        unmeshed = None
        if member.dataplane is Dataplane.UNKNOWN:
            unmeshed = f"whether {_name(workload)} has a sidecar is unknown: {member.reason}"
        return sidecar_mtls(levels, captured, maybe_unmeshed=unmeshed)

    def _peer_levels(self, workload: Workload) -> tuple[Level, Level, Level]:
        """The PeerAuthentications that may apply to `workload`, per level."""
        root = self.options.root_namespace
        mesh = [(p, Truth.YES) for p in self._peers.get(root, ()) if p.selector is None]
        if workload.namespace == root:
            return mesh, [], []  # Istio ignores selectors in the root namespace
        own = self._peers.get(workload.namespace, ())
        namespace = [(p, Truth.YES) for p in own if p.selector is None]
        selected = [
            (p, truth)
            for p in own
            if p.selector is not None and (truth := _selects(p.selector, workload)) is not Truth.NO
        ]
        return mesh, namespace, selected

    # -- authorization ------------------------------------------------------------------

    def _answer(
        self, source: Workload | None, target: _Destination, workload: Workload
    ) -> AuthzAnswer:
        member = target.membership
        evidence = tuple(Evidence(text=p.ref, source=p.source) for p, _ in target.policies)
        if member.dataplane is Dataplane.NONE:
            notes = tuple(
                f"{p.ref} selects {_name(workload)}, which has no sidecar: not enforced"
                for p, _ in target.policies
            )
            return AuthzAnswer(admitted=_EVERY, denied=_EMPTY, unknown=_EMPTY, notes=notes)
        if member.dataplane is Dataplane.AMBIENT:
            return AuthzAnswer(
                admitted=_EVERY - TCP_ALL,
                denied=_EMPTY,
                unknown=TCP_ALL,
                evidence=evidence,
                reasons=(f"{_name(workload)}: {member.reason}",),
            )
        answer = self._sidecar_answer(source, target, evidence)
        if (
            member.dataplane is Dataplane.UNKNOWN
            and not (answer.denied | answer.unknown).is_empty()
        ):
            # Without a sidecar, everything would be admitted.
            return AuthzAnswer(
                admitted=answer.admitted,
                denied=_EMPTY,
                unknown=answer.unknown | answer.denied,
                evidence=evidence,
                reasons=(*answer.reasons, f"{_name(workload)}: {member.reason}"),
                notes=answer.notes,
            )
        return answer

    def _sidecar_answer(
        self, source: Workload | None, target: _Destination, evidence: tuple[Evidence, ...]
    ) -> AuthzAnswer:
        mtls = target.mtls
        caller = self._caller(source, mtls)
        matcher = RuleMatcher(caller, self.trust)
        strict = _on(mtls.having(MtlsMode.STRICT))
        unsure = _on(mtls.having(MtlsMode.UNKNOWN))
        accepted = (~strict & ~unsure) | (strict & caller.tls) | (unsure & PERHAPS)
        verdicts = _Verdicts(matcher)
        for policy, applies in target.policies:
            verdicts.add(policy, applies)
        final = accepted & verdicts.allowed()
        captured = target.captured
        admitted = (final.yes & captured) | (_EVERY - captured)
        unknown = final.maybe & captured
        reasons = verdicts.denials(final, accepted, strict & ~caller.tls, captured)
        if not unknown.is_empty():
            if not caller.tls.maybe.is_empty():
                reasons.append("whether the caller has a sidecar, so speaks mTLS, is unknown")
            reasons += [*verdicts.undecided, *matcher.why, *mtls.reasons]
        return AuthzAnswer(
            admitted=admitted,
            denied=_EVERY - admitted - unknown,
            unknown=unknown,
            evidence=evidence,
            reasons=tuple(dict.fromkeys(reasons)),
            notes=tuple(verdicts.notes),
        )

    def _caller(self, source: Workload | None, destination_mtls: MtlsByPort) -> Caller:
        """Who calls, and on which destination ports the connection is mTLS: a sidecar
        originates mTLS to a sidecar port that accepts it (auto mTLS), plaintext otherwise."""
        if source is None:
            return Caller(identity=None, tls=NEVER)
        accepts = destination_mtls.having(MtlsMode.STRICT) | destination_mtls.having(
            MtlsMode.PERMISSIVE
        )
        unknown = destination_mtls.having(MtlsMode.UNKNOWN) & TCP_ALL
        meshed = self.membership(source).meshed
        if meshed is Truth.YES:
            tls = Tri(accepts & TCP_ALL, unknown)
        elif meshed is Truth.MAYBE:
            tls = Tri(_EMPTY, (accepts & TCP_ALL) | unknown)
        else:
            tls = NEVER
        return Caller(identity=_identity(source, self.options.trust_domain), tls=tls)


class _Verdicts:
    """The CUSTOM, DENY and ALLOW matches of the policies selecting one destination."""

    def __init__(self, matcher: RuleMatcher) -> None:
        self.matcher = matcher
        self.custom = self.deny = self.allow = self.allow_exists = NEVER
        self.denying: list[tuple[str, Tri]] = []
        self.allowing: list[str] = []
        self.undecided: list[str] = []  # why answers may be unknown, beyond rule fields
        self.notes: list[str] = []

    def add(self, policy: AuthorizationPolicy, selects: Truth) -> None:
        if policy.action is Action.AUDIT:
            self.notes.append(f"{policy.ref} applies: it audits, it neither admits nor denies")
            return
        applies = ALWAYS
        if selects is Truth.MAYBE:
            applies = PERHAPS
            self.undecided.append(f"whether {policy.ref} selects these pods is unknown")
        matched = applies & self.matcher.policy(policy)
        if policy.action is Action.CUSTOM:
            self.custom |= matched
            if not (matched.yes | matched.maybe).is_empty():
                self.undecided.append(f"{policy.ref}: provider {policy.provider} decides")
        elif policy.action is Action.DENY:
            self.deny |= matched
            self.denying.append((policy.ref, matched))
        else:
            self.allow |= matched
            self.allow_exists |= applies
            self.allowing.append(policy.ref)

    def allowed(self) -> Tri:
        """CUSTOM, then DENY, then ALLOW (allow when no ALLOW policy applies)."""
        return ~self.deny & (~self.allow_exists | self.allow) & (~self.custom | PERHAPS)

    def denials(self, final: Tri, accepted: Tri, refused: Tri, captured: PortSet) -> list[str]:
        """Why captured ports are denied: refused plaintext, a DENY match, no ALLOW match."""
        reasons = []
        plaintext = final.no & refused.yes & captured
        if not plaintext.is_empty():
            reasons.append(f"STRICT mTLS refuses plaintext on {plaintext.describe()}")
        for ref, matched in self.denying:
            denied = matched.yes & accepted.yes & captured
            if not denied.is_empty():
                reasons.append(f"{ref} denies {denied.describe()}")
        unmatched = (accepted & ~self.deny & self.allow_exists & ~self.allow).yes & captured
        if not unmatched.is_empty():
            refs = ", ".join(self.allowing)
            reasons.append(f"no ALLOW policy admits the caller on {unmatched.describe()} ({refs})")
        return reasons


def _on(ports: PortSet) -> Tri:
    """Yes on the TCP ports in `ports`, no elsewhere."""
    return Tri(ports & TCP_ALL, _EMPTY)


def _selects(selector: Selector | None, workload: Workload) -> Truth:
    return Truth.YES if selector is None else selector.matches(workload.label_view)


def _policy_notes(policies: Iterable[AuthorizationPolicy]) -> list[str]:
    notes = []
    for p in policies:
        if p.targets:
            targets = ", ".join(p.targets)
            notes.append(
                f"{p.ref} targets {targets}: waypoint and gateway policies are not modelled"
            )
        elif p.dry_run:
            notes.append(f"{p.ref} is a dry run ({DRY_RUN_ANNOTATION}): not enforced")
    return notes


def _peer_notes(peers: Iterable[PeerAuthentication], root: str) -> list[str]:
    return [
        f"{p.ref} has a selector in the root namespace {root}: Istio ignores it"
        for p in peers
        if p.namespace == root and p.selector is not None
    ]


def _identity(workload: Workload, trust_domain: str) -> Identity:
    return Identity(
        principal=f"{trust_domain}/ns/{workload.namespace}/sa/{workload.service_account}",
        namespace=workload.namespace,
        service_account=workload.service_account,
    )


def _name(workload: Workload) -> str:
    return f"{workload.kind} {workload.namespace}/{workload.name}"


def _key(workload: Workload) -> WorkloadKey:
    return (workload.namespace, workload.kind, workload.name)


_P = TypeVar("_P", PeerAuthentication, AuthorizationPolicy)


def _by_namespace(policies: Iterable[_P]) -> dict[str, list[_P]]:
    grouped: dict[str, list[_P]] = {}
    for policy in policies:
        grouped.setdefault(policy.namespace, []).append(policy)
    return grouped
