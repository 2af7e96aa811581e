"""Reading a baseline document: YAML with lines, the pydantic model, then cross-references.

Every problem in a file is reported at once, one line each, naming file, line and field,
with a suggestion where a name looks like a typo:
`baselines/prod.yaml:14: flows[3].to: unknown service 'paymnt' (did you mean 'payment'?)`.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from drift.baseline.model import KEYWORDS, AddressEndpoint, Baseline, Endpoint, ZoneEndpoint
from drift.errors import BaselineError
from drift.k8s.objects import FieldPath, format_path
from drift.yamlread import Document, ReadProblem, read_documents

MAX_BASELINE_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True, kw_only=True)
class LoadedBaseline:
    """A valid baseline with where it came from and its content hash (sha256 of the bytes)."""

    baseline: Baseline
    path: str
    sha256: str
    lines: Mapping[FieldPath, int]

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
    document = _single_document(data, name)
    try:
        baseline = Baseline.model_validate(document.value)
    except ValidationError as exc:
        raise BaselineError(_pydantic_problems(exc, document, name)) from None
    problems = [_located(name, document, path, message) for path, message in cross_check(baseline)]
    if problems:
        raise BaselineError(problems)
    return LoadedBaseline(
        baseline=baseline,
        path=name,
        sha256=hashlib.sha256(data).hexdigest(),
        lines=document.lines,
    )


def _single_document(data: bytes, name: str) -> Document:
    documents = []
    for item in read_documents(data):
        if isinstance(item, ReadProblem):
            where = f"{name}:{item.line}" if item.line else name
            raise BaselineError([f"{where}: {item.message}"])
        documents.append(item)
    if len(documents) != 1:
        raise BaselineError(
            [f"{name}: a baseline file holds exactly one YAML document, found {len(documents)}"]
        )
    if not isinstance(documents[0].value, dict):
        raise BaselineError([f"{name}:{documents[0].line}: a baseline must be a mapping"])
    return documents[0]


def _located(name: str, document: Document, path: FieldPath, message: str) -> str:
    line = document.line  # the document's own line, where no part of the path is written
    for length in range(len(path), 0, -1):
        found = document.lines.get(path[:length])
        if found is not None:
            line = found
            break
    where = f"{name}:{line}" if line is not None else name
    return f"{where}: {format_path(path)}: {message}" if path else f"{where}: {message}"


# -- pydantic's errors, as one line per field -------------------------------------------------

_ENDPOINT_HELP = (
    "must be a service name, internet, cluster, other-namespaces, {zone: NAME} "
    "or {cidr: CIDR, except: [CIDR]}"
)


def _pydantic_problems(exc: ValidationError, document: Document, name: str) -> list[str]:
    by_path: dict[FieldPath, str] = {}
    for error in exc.errors():
        path, through_union = _input_path(error["loc"], document.value)
        if path in by_path:
            continue
        if through_union and _is_endpoint(path):
            by_path[path] = _ENDPOINT_HELP
        else:
            by_path[path] = _message(error, path)
    return [_located(name, document, path, message) for path, message in by_path.items()]


def _input_path(loc: Sequence[int | str], data: Any) -> tuple[FieldPath, bool]:
    """The path as written in the document, and whether pydantic went through a union (it
    adds member names such as `ZoneEndpoint` to `loc`; the path then stops at the union)."""
    path: list[str | int] = []
    cursor: Any = data
    for part in loc:
        if _has(cursor, part):
            cursor = cursor[part]
        elif isinstance(cursor, dict) and part in _FIELD_NAMES:
            path.append(part)  # a required field that is missing
            break
        else:
            return tuple(path), True
        path.append(part)
    return tuple(path), False


def _has(container: Any, part: int | str) -> bool:
    if isinstance(container, list):
        return isinstance(part, int) and part < len(container)
    return isinstance(container, dict) and part in container


def _is_endpoint(path: FieldPath) -> bool:
    return len(path) >= 3 and path[0] == "flows" and path[2] in ("from", "to")


def _message(error: Mapping[str, Any], path: FieldPath) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown field" + _did_you_mean(str(path[-1]), _FIELD_NAMES)
    if kind == "missing":
        return "required"
    return str(error["msg"]).removeprefix("Value error, ")


def _all_field_names() -> frozenset[str]:
    names: set[str] = set()

    def visit(schema: Any) -> None:
        if isinstance(schema, dict):
            names.update(schema.get("properties", {}))
            for value in schema.values():
                visit(value)
        elif isinstance(schema, list):
            for value in schema:
                visit(value)

    visit(Baseline.model_json_schema(by_alias=True))
    return frozenset(names)


_FIELD_NAMES = _all_field_names()


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


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
                    + _did_you_mean(service.zone, baseline.zones),
                )
            )
            continue
        namespace = service.select.namespace
        if namespace is None and len(zone.namespaces) != 1:
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
    return problems


def _endpoint_problem(baseline: Baseline, endpoint: Endpoint) -> str | None:
    if isinstance(endpoint, ZoneEndpoint):
        if endpoint.zone not in baseline.zones:
            return f"unknown zone {endpoint.zone!r}" + _did_you_mean(endpoint.zone, baseline.zones)
        return None
    if isinstance(endpoint, AddressEndpoint):
        return None
    if endpoint in KEYWORDS or endpoint in baseline.services:
        return None
    return f"unknown service {endpoint!r}" + _did_you_mean(
        endpoint, [*baseline.services, *KEYWORDS]
    )
