"""What a newer version of a design allows that an older one did not (`drift baseline diff`).

An architect approving a new version wants its widenings, not a text diff: flows that allow
more (new pairs, more ports), services published more widely, zones that stopped requiring
default-deny, identities that changed, crown jewels demoted, tokens newly mounted.
"""

from __future__ import annotations

from collections.abc import Iterator

from drift.baseline.model import AddressEndpoint, Baseline, Endpoint, Publication, ZoneEndpoint
from drift.diff.flows import ranges_ports
from drift.model import ExposureScope, wider_scope
from drift.ports import PortSet


def widenings(older: Baseline, newer: Baseline) -> list[str]:
    """One line per thing `newer` allows that `older` did not, in the document's order."""
    return [*_flows(older, newer), *_services(older, newer), *_zones(older, newer)]


def endpoint_text(endpoint: Endpoint) -> str:
    if isinstance(endpoint, ZoneEndpoint):
        return f"zone {endpoint.zone}"
    if isinstance(endpoint, AddressEndpoint):
        excepts = f" except {', '.join(endpoint.except_)}" if endpoint.except_ else ""
        return f"{endpoint.cidr}{excepts}"
    return endpoint


def _allowed(baseline: Baseline) -> dict[tuple[str, str], PortSet]:
    allowed: dict[tuple[str, str], PortSet] = {}
    for flow in baseline.flows:
        key = (endpoint_text(flow.from_), endpoint_text(flow.to))
        allowed[key] = allowed.get(key, PortSet.empty()) | ranges_ports(flow.ports)
    return allowed


def _flows(older: Baseline, newer: Baseline) -> Iterator[str]:
    before = _allowed(older)
    for (source, target), ports in _allowed(newer).items():
        extra = ports - before.get((source, target), PortSet.empty())
        if not extra:
            continue
        if (source, target) in before:
            yield (
                f"flow {source} -> {target}: now also {extra.describe()} "
                f"(was {before[(source, target)].describe()})"
            )
        else:
            yield f"flow {source} -> {target}: new, {extra.describe()}"


def _services(older: Baseline, newer: Baseline) -> Iterator[str]:
    for name, service in newer.services.items():
        was = older.services.get(name)
        if was is None:
            yield f"service {name}: new, in zone {service.zone}"
            continue
        if service.identity != was.identity:
            yield f"service {name}: identity {was.identity} -> {service.identity}"
        if was.crown_jewel and not service.crown_jewel:
            yield f"service {name}: no longer a crown jewel"
        if was.automount_token is False and service.automount_token is not False:
            yield f"service {name}: may now mount a Kubernetes API token"
        published = _publication(was.public, service.public)
        if published:
            yield f"service {name}: {published}"


def _publication(was: Publication | None, now: Publication | None) -> str | None:
    if now is None:
        return None
    if was is None:
        return f"may now be published ({now.scope})"
    scope_was, scope_now = ExposureScope(was.scope), ExposureScope(now.scope)
    if wider_scope(scope_was, scope_now) != scope_was:
        return f"may be published {scope_now} (was {scope_was})"
    extra = ranges_ports(now.ports) - ranges_ports(was.ports)
    return f"may be published on {extra.describe()} too" if extra else None


def _zones(older: Baseline, newer: Baseline) -> Iterator[str]:
    for name, zone in newer.zones.items():
        was = older.zones.get(name)
        if was is None:
            continue
        dropped = was.require.default_deny_directions() - zone.require.default_deny_directions()
        if dropped:
            yield f"zone {name}: no longer requires default-deny for {', '.join(sorted(dropped))}"
