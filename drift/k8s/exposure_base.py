"""What the exposure modules share: the exposures they find (defined here so that `Found` can
build them; `drift.k8s.exposure` re-exports them as its public API), the collector that merges
them, and helpers that read raw fields without trusting their shape."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from drift.k8s.inventory import Inventory
from drift.k8s.objects import SourceRef
from drift.k8s.services import Backend, Reach, Service, ServicePort, ServiceType
from drift.k8s.workloads import Workload
from drift.model import ExposureScope, wider_scope
from drift.ports import PortSet

PUBLIC, INTERNAL, NODE, UNKNOWN = (
    ExposureScope.PUBLIC,
    ExposureScope.INTERNAL,
    ExposureScope.NODE,
    ExposureScope.UNKNOWN,
)


@dataclass(frozen=True, kw_only=True)
class Exposure:
    """`workload`'s pods are published by `via` (one line naming the publishing objects) on
    `ports` (pod ports, after targetPort resolution), as widely as `scope`. `reasons` say
    what the input leaves undecided: why the scope is unknown, or a caveat on it."""

    workload: Workload
    via: str
    scope: ExposureScope
    ports: PortSet
    source: SourceRef
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class UnresolvedExposure:
    """Something is published (`via`, `scope`) but the input cannot say which pods serve it."""

    via: str
    scope: ExposureScope
    reason: str
    source: SourceRef


@dataclass(frozen=True, kw_only=True)
class Exposures:
    """Everything published. `resolved` holds one exposure per (workload, via), sorted by
    workload then via: several rules or ports reaching the same pods through the same
    objects are merged (ports united, widest scope). `unresolved` is sorted by via and reason.
    The graph folds `resolved` into one `exposes` edge per workload (`ExposesEdge`)."""

    resolved: tuple[Exposure, ...] = ()
    unresolved: tuple[UnresolvedExposure, ...] = ()


class Found:
    """Exposures as they are found, merged per (workload, via), with what finding needs."""

    def __init__(
        self, inventory: Inventory, services: dict[str, Service], problems: list[str]
    ) -> None:
        self.inventory = inventory
        self.services = services
        self.problems = problems
        self._resolved: dict[tuple[str, str, str, str], Exposure] = {}
        self._unresolved: set[UnresolvedExposure] = set()
        # Workloads by (namespace, label key, value), and by (namespace, key) for keys whose
        # value varies per pod: a Service's candidates are those carrying one of its pairs.
        self._by_label: dict[tuple[str, str, str | None], list[Workload]] = {}
        for w in inventory.workloads:
            for key, value in w.labels.items():
                self._by_label.setdefault((w.namespace, key, value), []).append(w)
            for key in w.varying_labels:
                self._by_label.setdefault((w.namespace, key, None), []).append(w)

    def candidates(self, service: Service) -> list[Workload]:
        """Workloads a Service's selector could pick: a superset, found without a scan."""
        found: list[Workload] | None = None
        for key, value in (service.selector or {}).items():
            pairs = self._by_label.get((service.namespace, key, value), [])
            pairs = pairs + self._by_label.get((service.namespace, key, None), [])
            if found is None or len(pairs) < len(found):
                found = pairs
        return found or []

    def add(self, new: Exposure) -> None:
        w = new.workload
        key = (w.namespace, w.kind, w.name, new.via)
        old = self._resolved.get(key)
        if old is not None:
            new = Exposure(
                workload=w,
                via=new.via,
                scope=wider_scope(old.scope, new.scope),
                ports=old.ports | new.ports,
                source=min(old.source, new.source, key=SourceRef.sort_key),
                reasons=tuple(sorted(set(old.reasons) | set(new.reasons))),
            )
        self._resolved[key] = new

    def unresolved(self, via: str, scope: ExposureScope, reason: str, source: SourceRef) -> None:
        self._unresolved.add(UnresolvedExposure(via=via, scope=scope, reason=reason, source=source))

    def snapshot(self) -> list[Exposure]:
        return list(self._resolved.values())

    def result(self) -> Exposures:
        return Exposures(
            resolved=tuple(v for _, v in sorted(self._resolved.items(), key=lambda kv: kv[0])),
            unresolved=tuple(
                sorted(
                    self._unresolved, key=lambda u: (u.via, u.reason, u.scope, u.source.sort_key())
                )
            ),
        )

    def through_service(
        self,
        via: str,
        reach: Reach,
        source: SourceRef,
        service_ref: tuple[str, str],
        pick: Callable[[Service], Iterable[ServicePort]],
    ) -> None:
        """Publish, as widely as `reach`, the pods a Service sends to on the ports `pick`s."""
        namespace, name = service_ref
        via = f"{via} -> Service {namespace}/{name}"
        service = self.services.get(f"{namespace}/{name}")
        reason = unresolvable(service, f"Service {namespace}/{name}")
        if reason is not None:
            self.unresolved(via, reach.scope, reason, source)
            return
        assert service is not None
        for backend in service.backends(self.candidates(service), pick(service)):
            self.add(backend_exposure(backend, via, reach, source))


def unresolvable(service: Service | None, ref: str) -> str | None:
    """Why the pods behind `service` (named `ref`) are not in the input; None when they are."""
    if service is None:
        return f"{ref} is not in the input"
    if service.type is ServiceType.EXTERNAL_NAME:
        return f"{ref} is an ExternalName for {service.external_name}, outside the input"
    if service.selector is None:
        return f"{ref} has no selector: its endpoints are managed by hand, not in the input"
    return None


def backend_exposure(backend: Backend, via: str, reach: Reach, source: SourceRef) -> Exposure:
    """The backend's pods published as widely as `reach`; unknown when it may not pick them."""
    return Exposure(
        workload=backend.workload,
        via=via,
        scope=UNKNOWN if backend.reasons else reach.scope,
        ports=backend.ports,
        source=source,
        reasons=tuple(sorted({*reach.reasons, *backend.reasons})),
    )


# --- reading raw fields without trusting their shape ----------------------------------------


def mapping_of(raw: object) -> Mapping[str, Any]:
    return raw if isinstance(raw, Mapping) else {}


def mappings_of(raw: object) -> list[Mapping[str, Any]]:
    """The mappings of a list field (anything else is not there)."""
    return [x for x in raw if isinstance(x, Mapping)] if isinstance(raw, list) else []


def strings_of(raw: object) -> list[str]:
    return [x for x in raw if isinstance(x, str)] if isinstance(raw, list) else []


def text_of(raw: object) -> str | None:
    return raw if isinstance(raw, str) and raw else None
