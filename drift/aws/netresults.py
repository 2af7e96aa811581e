"""What the AWS semantics answer: an exposure to the internet (`drift.aws.network` for
endpoints, `drift.aws.public_access` for buckets and function URLs), and what one source may
open to one target."""

from __future__ import annotations

from dataclasses import dataclass

from drift.aws.traffic import Verdict
from drift.model import Evidence, ExposureScope
from drift.ports import PortSet


@dataclass(frozen=True, kw_only=True)
class Exposure:
    """`target_id` is reached from the internet (`scope` public), may be (`unknown`), or is
    published only so far (`internal`: an internal load balancer; a bucket or function whose
    public grant is limited by `conditions` or blocked by its public-access block). For a
    network endpoint, `ports` are certain and `unknown` undecided (see `reasons`), and
    `sources` are the client ranges that reach it (`0.0.0.0/0`, `::/0`: every internet
    address); for a bucket or function, `actions` are what the public grant allows."""

    target_id: str
    kind: str
    name: str
    scope: ExposureScope
    ports: PortSet
    unknown: PortSet
    protocols: frozenset[int] = frozenset()
    unknown_protocols: frozenset[int] = frozenset()
    sources: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Reach:
    """What `source` (an endpoint id, or address ranges) may open to `target`; for a range,
    `sources` is the part of it that reaches; `via` names a peering connection crossed."""

    source: str
    target: str
    ports: PortSet
    unknown: PortSet
    protocols: frozenset[int] = frozenset()
    unknown_protocols: frozenset[int] = frozenset()
    sources: tuple[str, ...] = ()
    via: str = ""
    evidence: tuple[Evidence, ...] = ()
    reasons: tuple[str, ...] = ()


def as_reach(
    source: str, target: str, verdict: Verdict, sources: tuple[str, ...] = (), via: str = ""
) -> Reach:
    return Reach(
        source=source,
        target=target,
        ports=verdict.yes.ports,
        unknown=verdict.maybe.ports,
        protocols=verdict.yes.protocols,
        unknown_protocols=verdict.maybe.protocols,
        sources=sources if verdict.possible else (),
        via=via,
        evidence=tuple(e for e, _ in verdict.evidence),
        reasons=tuple(r for r, _ in verdict.reasons),
    )
