"""The mTLS mode a sidecar receives on each port, from the PeerAuthentications that apply.

Istio (pilot's ComposePeerAuthentication): the mesh level (root namespace, no selector), then
the namespace level (no selector), then the workload level (a selector in the workload's own
namespace; Istio ignores selectors in the root namespace) each replace the mode unless
UNSET; `portLevelMtls` of the workload-level policy overrides per pod port (UNSET there
inherits the workload's mode); with nothing set the mode is PERMISSIVE. Several policies at
one level: Istio takes the oldest. Manifests carry no creation time, so every candidate is
tried and the ports on which they disagree are unknown.

Interception: sidecars capture inbound TCP only, on `includeInboundPorts` (default every
port) minus `excludeInboundPorts`, the status port (15020 unless annotated) and Envoy's own
15021 and 15090. Ports not captured are plaintext: DISABLED.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import reduce

from drift.k8s.istio_authz import TCP_ALL
from drift.k8s.istio_policies import PeerAuthentication, PeerMode, parse_port
from drift.k8s.labels import Truth
from drift.k8s.workloads import Workload
from drift.model import Evidence, MtlsMode
from drift.ports import PortSet, Protocol

INCLUDE_INBOUND = "traffic.sidecar.istio.io/includeInboundPorts"
EXCLUDE_INBOUND = "traffic.sidecar.istio.io/excludeInboundPorts"
STATUS_PORT = "status.sidecar.istio.io/port"
_PROXY_PORTS = PortSet({Protocol.TCP: [(15021, 15021), (15090, 15090)]})
_DEFAULT_STATUS_PORT = "15020"
_MAX_COMBINATIONS = 256
_WEAKEST_FIRST = (MtlsMode.DISABLED, MtlsMode.PERMISSIVE, MtlsMode.STRICT)
_MODES = {
    PeerMode.STRICT: MtlsMode.STRICT,
    PeerMode.PERMISSIVE: MtlsMode.PERMISSIVE,
    PeerMode.DISABLE: MtlsMode.DISABLED,
}
_EMPTY = PortSet.empty()
_EVERY = PortSet.every()

Partition = Mapping[MtlsMode, PortSet]  # disjoint, covering every port of every protocol
Level = Sequence[tuple[PeerAuthentication, Truth]]  # the policies of a level that may apply
LEVEL_NAMES = ("mesh", "namespace", "workload")


@dataclass(frozen=True, kw_only=True)
class MtlsByPort:
    """The mTLS mode a workload's pods receive, for every (protocol, port).

    `default` is the mode of the TCP ports no policy or annotation names; `ports` maps each
    mode to its ports (disjoint, covering all). `reasons` say why anything is unknown;
    `notes` what is reported without changing the answer.
    """

    default: MtlsMode
    ports: Partition
    evidence: tuple[Evidence, ...] = ()
    reasons: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def mode(self, port: int, protocol: Protocol = Protocol.TCP) -> MtlsMode:
        for mode, ports in self.ports.items():
            if (protocol, port) in ports:
                return mode
        raise ValueError(f"{protocol} {port} is not a port")

    def having(self, mode: MtlsMode) -> PortSet:
        return self.ports.get(mode, _EMPTY)

    def over(self, ports: PortSet) -> MtlsMode:
        """One mode for a set of ports (an edge's): unknown if any is, else the weakest."""
        present = [m for m, p in self.ports.items() if not (p & ports).is_empty()]
        if not present:
            return self.default
        if MtlsMode.UNKNOWN in present:
            return MtlsMode.UNKNOWN
        return min(present, key=_WEAKEST_FIRST.index)


def uniform(
    tcp: MtlsMode,
    *,
    evidence: tuple[Evidence, ...] = (),
    reasons: tuple[str, ...] = (),
    notes: tuple[str, ...] = (),
) -> MtlsByPort:
    """Every TCP port in one mode; UDP and SCTP, never captured, plaintext."""
    return MtlsByPort(
        default=tcp, ports=_uniform_partition(tcp), evidence=evidence, reasons=reasons, notes=notes
    )


def _uniform_partition(tcp: MtlsMode) -> Partition:
    if tcp is MtlsMode.DISABLED:
        return {tcp: _EVERY}
    return {tcp: TCP_ALL, MtlsMode.DISABLED: _EVERY - TCP_ALL}


def sidecar_mtls(
    levels: tuple[Level, Level, Level], captured: PortSet, *, maybe_unmeshed: str | None = None
) -> MtlsByPort:
    """The mode per port of a sidecar the `levels` (mesh, namespace, workload) apply to.
    `maybe_unmeshed`: why the pods may have no sidecar at all (then they are plaintext)."""
    why: list[str] = []
    evidence = tuple(
        Evidence(text=f"{p.ref} ({p.mode})", source=p.source) for level in levels for p, _ in level
    )
    options = [
        _level_options(level, name, why) for level, name in zip(levels, LEVEL_NAMES, strict=True)
    ]
    combinations = list(itertools.islice(itertools.product(*options), _MAX_COMBINATIONS + 1))
    if len(combinations) > _MAX_COMBINATIONS:
        why.append("too many PeerAuthentications apply at once to resolve")
        return uniform(MtlsMode.UNKNOWN, evidence=evidence, reasons=tuple(why))
    partitions: list[Partition] = []
    defaults: set[MtlsMode] = set()
    for mesh, namespace, workload in combinations:
        default, overrides = _compose(mesh, namespace, workload)
        defaults.add(default)
        partitions.append(_partition(default, overrides, captured))
    if maybe_unmeshed is not None:
        partitions.append(_uniform_partition(MtlsMode.DISABLED))
        defaults.add(MtlsMode.DISABLED)
        why.append(maybe_unmeshed)
    merged = reduce(_merge, partitions)
    return MtlsByPort(
        default=defaults.pop() if len(defaults) == 1 else MtlsMode.UNKNOWN,
        ports=merged,
        evidence=evidence,
        reasons=tuple(why) if MtlsMode.UNKNOWN in merged else (),
    )


def _settings(policy: PeerAuthentication) -> tuple[PeerMode, tuple[tuple[int, PeerMode], ...]]:
    return policy.mode, tuple(sorted(policy.port_modes.items()))


def _level_options(level: Level, name: str, why: list[str]) -> list[PeerAuthentication | None]:
    """The policies this level may resolve to (one per distinct setting; None: no policy)."""
    distinct: dict[object, PeerAuthentication] = {}
    for policy, _ in level:
        distinct.setdefault(_settings(policy), policy)
    sure = {_settings(p) for p, truth in level if truth is Truth.YES}
    if len(sure) > 1:
        refs = ", ".join(p.ref for p, truth in level if truth is Truth.YES)
        why.append(
            f"{refs} apply at the {name} level and disagree: Istio uses the oldest, "
            "which manifests do not record"
        )
    for policy, truth in level:
        if truth is Truth.MAYBE:
            why.append(f"whether {policy.ref} selects these pods is unknown ({policy.selector})")
    options: list[PeerAuthentication | None] = list(distinct.values())
    return options if sure else [None, *options]


def _compose(
    mesh: PeerAuthentication | None,
    namespace: PeerAuthentication | None,
    workload: PeerAuthentication | None,
) -> tuple[MtlsMode, dict[int, MtlsMode]]:
    mode = MtlsMode.PERMISSIVE
    for policy in (mesh, namespace, workload):
        if policy is not None and policy.mode is not PeerMode.UNSET:
            mode = _MODES[policy.mode]
    if workload is None:
        return mode, {}
    return mode, {
        port: mode if peer is PeerMode.UNSET else _MODES[peer]
        for port, peer in workload.port_modes.items()
    }


def _partition(
    default: MtlsMode, overrides: Mapping[int, MtlsMode], captured: PortSet
) -> Partition:
    named = _tcp(overrides)
    modes: dict[MtlsMode, PortSet] = {default: TCP_ALL - named}
    for port, mode in overrides.items():
        modes[mode] = modes.get(mode, _EMPTY) | PortSet.of(Protocol.TCP, port)
    out = {mode: ports & captured for mode, ports in modes.items()}
    out[MtlsMode.DISABLED] = out.get(MtlsMode.DISABLED, _EMPTY) | (_EVERY - captured)
    return {mode: ports for mode, ports in out.items() if ports}


def _merge(a: Partition, b: Partition) -> Partition:
    """Where two partitions agree, their mode; elsewhere UNKNOWN."""
    out: dict[MtlsMode, PortSet] = {}
    for mode_a, ports_a in a.items():
        for mode_b, ports_b in b.items():
            both = ports_a & ports_b
            if both:
                mode = mode_a if mode_a is mode_b else MtlsMode.UNKNOWN
                out[mode] = out.get(mode, _EMPTY) | both
    return out


def _tcp(ports: Iterable[int]) -> PortSet:
    return PortSet({Protocol.TCP: [(p, p) for p in ports]})


def captured_ports(workload: Workload, problems: list[str]) -> PortSet:
    """The TCP ports a sidecar in `workload`'s pods intercepts inbound."""
    notes = workload.annotations
    include = notes.get(INCLUDE_INBOUND, "*").strip()
    captured = TCP_ALL if include == "*" else _port_list(workload, INCLUDE_INBOUND, problems)
    excluded = _port_list(workload, EXCLUDE_INBOUND, problems)
    status = _port_list(workload, STATUS_PORT, problems, default=_DEFAULT_STATUS_PORT)
    return captured - excluded - status - _PROXY_PORTS


def _port_list(
    workload: Workload, annotation: str, problems: list[str], default: str = ""
) -> PortSet:
    raw = workload.annotations.get(annotation, default)
    ports = [parse_port(part.strip()) for part in raw.split(",") if part.strip()]
    if any(p is None for p in ports):
        problems.append(
            f"{workload.source}: {workload.kind} {workload.namespace}/{workload.name}: "
            f"annotation {annotation}: {raw!r} is not a comma-separated list of ports"
        )
        return _EMPTY
    return _tcp(p for p in ports if p)
