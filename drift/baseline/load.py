"""Reading a baseline document: YAML with lines, the pydantic model, then cross-references.

Every problem in a file is reported at once, one line each, naming file, line and field,
with a suggestion where a name looks like a typo:
`baselines/prod.yaml:14: flows[3].to: unknown service 'paymnt' (did you mean 'payment'?)`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from drift.baseline.model import KEYWORDS, AddressEndpoint, Baseline, Endpoint, ZoneEndpoint
from drift.errors import BaselineError
from drift.k8s.objects import FieldPath, format_path
from drift.validation import did_you_mean, located, single_document, validate

MAX_BASELINE_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True, kw_only=True)
class LoadedBaseline:
    """A valid baseline with where it came from and its content hash (sha256 of the bytes)."""

    baseline: Baseline
    path: str
    sha256: str
    lines: Mapping[FieldPath, int]
    text: str = ""  # the document as written, for the store

    @property
    def version(self) -> str:
        return self.baseline.metadata.version

    def line_of(self, path: FieldPath) -> int | None:
        for length in range(len(path), -1, -1):
            line = self.lines.get(path[:length])
            if line is not None:
                return line
        return None

    def clause(self, path: FieldPath) -> str:
        """`file:line: field`, naming a clause of the design for a finding."""
        line = self.line_of(path)
        where = f"{self.path}:{line}" if line is not None else self.path
        return f"{where}: {format_path(path)}" if path else where


def load_baseline(path: str) -> LoadedBaseline:
    """Read and validate one baseline file; raise BaselineError listing every problem."""
    try:
        data = Path(path).read_bytes() if path != "-" else _read_stdin()
    except OSError as exc:
        raise BaselineError([f"{path}: cannot read: {exc.strerror or exc}"]) from None
    if len(data) > MAX_BASELINE_BYTES:
        raise BaselineError([f"{path}: larger than {MAX_BASELINE_BYTES} bytes"])
    return parse_baseline(data, path)


def _read_stdin() -> bytes:
    import sys

    return sys.stdin.buffer.read(MAX_BASELINE_BYTES + 1)


def parse_baseline(data: bytes, name: str) -> LoadedBaseline:
    document = single_document(data, name, "a baseline", BaselineError)
    baseline = validate(Baseline, document, name, error=BaselineError, union_help=_endpoint_help)
    problems = [located(name, document, path, message) for path, message in cross_check(baseline)]
    if problems:
        raise BaselineError(problems)
    return LoadedBaseline(
        baseline=baseline,
        path=name,
        sha256=hashlib.sha256(data).hexdigest(),
        lines=document.lines,
        text=data.decode("utf-8-sig", errors="replace"),
    )


_ENDPOINT_HELP = (
    "must be a service name, internet, cluster, other-namespaces, {zone: NAME} "
    "or {cidr: CIDR, except: [CIDR]}"
)


def _endpoint_help(path: FieldPath) -> str | None:
    """One line for a malformed flow endpoint, instead of one per union member."""
    is_endpoint = len(path) >= 3 and path[0] == "flows" and path[2] in ("from", "to")
    return _ENDPOINT_HELP if is_endpoint else None


# -- references between parts of the design ---------------------------------------------------


def cross_check(baseline: Baseline) -> list[tuple[FieldPath, str]]:
    """Problems no single field shows: names that point nowhere, services outside their zone."""
    problems: list[tuple[FieldPath, str]] = []
    problems.extend(
        (("services", name), f"{name!r} is a reserved word")
        for name in baseline.services
        if name in KEYWORDS
    )
    for name, service in baseline.services.items():
        path: FieldPath = ("services", name)
        zone = baseline.zones.get(service.zone)
        if zone is None:
            problems.append(
                (
                    (*path, "zone"),
                    "unknown zone "
                    + repr(service.zone)
                    + did_you_mean(service.zone, baseline.zones),
                )
            )
            continue
        namespace = service.select.namespace
        kubernetes = bool(service.select.labels or service.select.workloads)
        if kubernetes and namespace is None and len(zone.namespaces) != 1:
            problems.append(
                (
                    (*path, "select", "namespace"),
                    f"required: zone {service.zone!r} does not have exactly one namespace",
                )
            )
        elif namespace is not None and zone.namespaces and namespace not in zone.namespaces:
            problems.append(
                (
                    (*path, "select", "namespace"),
                    f"{namespace!r} is not a namespace of zone {service.zone!r}",
                )
            )
    for index, flow in enumerate(baseline.flows):
        for end, endpoint in (("from", flow.from_), ("to", flow.to)):
            problem = _endpoint_problem(baseline, endpoint)
            if problem:
                problems.append((("flows", index, end), problem))
    problems.extend(
        (("permissions", ref), problem)
        for ref in baseline.permissions
        if (problem := _identity_problem(baseline, ref))
    )
    for index, relation in enumerate(baseline.trust):
        for end, ref in (("from", relation.from_), ("to", relation.to)):
            problem = None if ref == "*" else _identity_problem(baseline, ref)
            if problem:
                problems.append((("trust", index, end), problem))
    return problems


def _identity_problem(baseline: Baseline, ref: str) -> str | None:
    """A plain name must be a service; `<namespace>/<serviceaccount>`, `user:`, `group:` and
    `node:` refs name identities outright."""
    if "/" in ref or ":" in ref or ref in baseline.services or ref[:1].isupper():
        return None  # ... or an AWS principal's unique id (AROA...), upper case
    return (
        f"unknown service {ref!r}{did_you_mean(ref, baseline.services)}; "
        "name a service, <namespace>/<serviceaccount>, user:NAME, group:NAME or node:NAME"
    )


def _endpoint_problem(baseline: Baseline, endpoint: Endpoint) -> str | None:
    if isinstance(endpoint, ZoneEndpoint):
        if endpoint.zone not in baseline.zones:
            return f"unknown zone {endpoint.zone!r}" + did_you_mean(endpoint.zone, baseline.zones)
        return None
    if isinstance(endpoint, AddressEndpoint):
        return None
    if endpoint in KEYWORDS or endpoint in baseline.services:
        return None
    return f"unknown service {endpoint!r}" + did_you_mean(endpoint, [*baseline.services, *KEYWORDS])
