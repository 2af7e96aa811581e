"""Kubernetes manifests on disk (or stdin) → the plain objects the model reads.

Reading is I/O (`_expand_paths`, `_read_inputs`); everything after is a pure transform of
bytes into `KubeObject`s. Every problem in every file is collected and raised as one
`ManifestError`, each problem one line: `file:line: document N: field: message`.
"""

from __future__ import annotations

import logging
import math
import os
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, BinaryIO

from drift.collect import Collection, ReadOptions, ScopeOutcome, ScopeStatus
from drift.errors import ManifestError
from drift.k8s.kinds import canonical_group, is_cluster_scoped, is_modelled
from drift.k8s.objects import FieldPath, KubeObject, SourceRef, format_path
from drift.k8s.tokens import token_secret_stub
from drift.yamlread import Document, ReadProblem, read_documents

log = logging.getLogger(__name__)

STDIN = "-"
STDIN_NAME = "<stdin>"
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
_CHUNK = 1 << 20


class ManifestCollector:
    """The `manifests` collector plugin: files, directories (recursive) and `-` for stdin."""

    def __init__(self, paths: Sequence[str], *, stdin: BinaryIO | None = None) -> None:
        self._paths = tuple(paths)
        self._stdin = stdin

    def collect(self, options: ReadOptions) -> Collection:
        return load_manifests(self._paths, options, stdin=self._stdin)


def load_manifests(
    paths: Sequence[str], options: ReadOptions, stdin: BinaryIO | None = None
) -> Collection:
    """Read every manifest under `paths`; raise one ManifestError listing every problem."""
    if not paths:
        raise ManifestError(["no manifest paths given"])
    found = _Found()
    inputs = _expand_paths(paths, found.problems)
    contents = _read_inputs(inputs, options.max_input_bytes, stdin, found.problems)
    for name, data in contents:
        _parse_file(name, data, options, found)
    warnings: list[str] = []
    objects = _merge_duplicates(found.objects, found.problems, warnings)
    if found.problems:
        raise ManifestError(found.problems)
    log.info("read %d objects from %d files in %s", len(objects), len(contents), ", ".join(paths))
    return Collection(
        source=", ".join(paths),
        objects=tuple(objects),
        outcomes=_outcomes(paths, inputs),
        skipped_kinds=dict(sorted(found.skipped.items())),
        warnings=tuple(warnings),
    )


@dataclass(kw_only=True)
class _Found:
    """What parsing accumulates across files."""

    objects: list[KubeObject] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class _Input:
    given: str  # the path as the caller wrote it, which scopes the outcome
    name: str  # the file as sources name it
    stdin: bool = False


# --- I/O: which files, and their bytes ---------------------------------------------------


def _expand_paths(paths: Sequence[str], problems: list[str]) -> list[_Input]:
    inputs: list[_Input] = []
    for given in paths:
        if given == STDIN:
            inputs.append(_Input(given=given, name=STDIN_NAME, stdin=True))
        elif os.path.isdir(given):
            inputs.extend(_Input(given=given, name=name) for name in _walk(given, problems))
        elif os.path.exists(given):
            inputs.append(_Input(given=given, name=given))
        else:
            problems.append(f"{given}: no such file or directory")
    return inputs


def _walk(root: str, problems: list[str]) -> list[str]:
    """Manifest files under `root`, sorted by path components so the result never depends
    on the order the filesystem lists them in. Only regular files: a FIFO must not hang us."""

    def unreadable(exc: OSError) -> None:
        problems.append(f"{exc.filename}: cannot list: {exc.strerror}")

    found: list[str] = []
    for folder, _dirs, files in os.walk(root, onerror=unreadable):
        names = (os.path.join(folder, f) for f in files if f.lower().endswith(MANIFEST_SUFFIXES))
        found.extend(name for name in names if os.path.isfile(name))
    if not found:
        log.warning("no %s files under %s", "/".join(MANIFEST_SUFFIXES), root)
    return sorted(found, key=lambda name: os.path.relpath(name, root).split(os.sep))


def _read_inputs(
    inputs: Iterable[_Input], limit: int, stdin: BinaryIO | None, problems: list[str]
) -> list[tuple[str, bytes]]:
    """The bytes of each input, refusing to read past `limit` bytes in total."""
    contents: list[tuple[str, bytes]] = []
    remaining = limit
    for source in inputs:
        try:
            data = _read_one(source, remaining, stdin)
        except OSError as exc:
            problems.append(f"{source.name}: cannot read: {exc.strerror or exc}")
            continue
        if data is None or len(data) > remaining:
            problems.append(f"{source.name}: input exceeds the limit of {limit} bytes in total")
            break
        remaining -= len(data)
        contents.append((source.name, data))
    return contents


def _read_one(source: _Input, remaining: int, stdin: BinaryIO | None) -> bytes | None:
    """At most `remaining + 1` bytes; None when the file's size already says it is too big."""
    if source.stdin:
        return _read_bounded(stdin or sys.stdin.buffer, remaining)
    if os.stat(source.name).st_size > remaining:
        return None
    with open(source.name, "rb") as stream:
        return _read_bounded(stream, remaining)


def _read_bounded(stream: BinaryIO, remaining: int) -> bytes:
    chunks: list[bytes] = []
    wanted = remaining + 1
    while wanted > 0:
        chunk = stream.read(min(wanted, _CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        wanted -= len(chunk)
    return b"".join(chunks)


def _outcomes(paths: Sequence[str], inputs: Iterable[_Input]) -> tuple[ScopeOutcome, ...]:
    """One outcome per path given: each was read in full, or we would have raised."""
    files = Counter(source.given for source in inputs)
    return tuple(
        ScopeOutcome(scope=given, status=ScopeStatus.OK, detail=f"{files[given]} files read")
        for given in dict.fromkeys(paths)
    )


# --- pure: bytes → objects ------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class _Entry:
    """One object-to-be: a document, or one item of a `List` document."""

    value: Any
    source: SourceRef
    lines: Mapping[FieldPath, int]

    @property
    def label(self) -> str:
        item = "" if self.source.item is None else f" items[{self.source.item}]"
        return f"document {self.source.document}{item}"

    def problem(self, path: FieldPath, message: str) -> str:
        """`file:line: document N: field: message`, at the nearest line known for `path`."""
        line = next(
            (self.lines[path[:n]] for n in range(len(path), 0, -1) if path[:n] in self.lines),
            self.source.line,
        )
        if line is None:  # JSON read without lines: the document stands for the place
            where = f"{self.source.file}#{self.label}"
        else:
            where = f"{self.source.file}:{line}: {self.label}"
        field_text = f" {format_path(path)}:" if path else ""
        return f"{where}:{field_text} {message}"


def _parse_file(name: str, data: bytes, options: ReadOptions, found: _Found) -> None:
    json_fallback = name.lower().endswith(".json")
    count = len(found.objects)
    for document in read_documents(data, json_fallback=json_fallback):
        if isinstance(document, ReadProblem):
            found.problems.append(_read_problem(name, document))
            continue
        for entry in _entries(name, document, found.problems):
            _add_object(entry, options, found)
    log.debug("%s: %d objects kept", name, len(found.objects) - count)


def _read_problem(name: str, problem: ReadProblem) -> str:
    where = name if problem.line is None else f"{name}:{problem.line}"
    doc = "" if problem.document is None else f" document {problem.document}:"
    return f"{where}:{doc} {problem.message}"


def _entries(name: str, document: Document, problems: list[str]) -> list[_Entry]:
    """The document itself, or each item when it is a `List` kind (`RoleList`, `List`)."""
    source = SourceRef(file=name, document=document.index, line=document.line)
    whole = _Entry(value=document.value, source=source, lines=document.lines)
    if not _is_list(document.value):
        return [whole]
    items = document.value["items"]
    if items is None:
        return []
    if not isinstance(items, list):
        problems.append(whole.problem(("items",), "must be a list"))
        return []
    by_item = _lines_by_item(document.lines)
    return [_item_entry(source, index, item, by_item[index]) for index, item in enumerate(items)]


def _is_list(value: Any) -> bool:
    kind = value.get("kind") if isinstance(value, dict) else None
    return isinstance(kind, str) and kind.endswith("List") and "items" in value


def _lines_by_item(lines: Mapping[FieldPath, int]) -> defaultdict[int, dict[FieldPath, int]]:
    """The document's field lines under `items[i]`, re-rooted at each item."""
    by_item: defaultdict[int, dict[FieldPath, int]] = defaultdict(dict)
    for path, line in lines.items():
        if len(path) >= 2 and path[0] == "items" and isinstance(path[1], int):
            by_item[path[1]][path[2:]] = line
    return by_item


def _item_entry(source: SourceRef, index: int, item: Any, lines: dict[FieldPath, int]) -> _Entry:
    line = lines.get(_first_key(item), lines.get(())) if lines else source.line
    item_source = SourceRef(file=source.file, document=source.document, line=line, item=index)
    return _Entry(value=item, source=item_source, lines=lines)


def _first_key(item: Any) -> FieldPath:
    first = next(iter(item), None) if isinstance(item, dict) and item else None
    return () if first is None else (str(first),)


def _add_object(entry: _Entry, options: ReadOptions, found: _Found) -> None:
    problems = _identity_problems(entry)
    if problems:
        found.problems.extend(problems)
        return
    body: dict[str, Any] = entry.value
    api_version, kind = body["apiVersion"], body["kind"]
    group = canonical_group(api_version.rpartition("/")[0], kind)
    lines = entry.lines
    if not is_modelled(group, kind):
        stub = token_secret_stub(group, kind, body)
        if stub is None:
            found.skipped[f"{group}/{kind}" if group else kind] += 1
            return
        # A ServiceAccount token Secret: kept for who can read it, without its data.
        body, lines = stub, {p: n for p, n in lines.items() if not p or p[0] in stub}
    found.objects.append(
        KubeObject(
            api_version=api_version,
            kind=kind,
            name=body["metadata"]["name"],
            namespace=_namespace(group, kind, body["metadata"], options),
            body=body,
            source=entry.source,
            field_lines=lines,
        )
    )


def _namespace(
    group: str, kind: str, metadata: Mapping[str, Any], options: ReadOptions
) -> str | None:
    """As the API server does: cluster-scoped kinds ignore a namespace; namespaced kinds
    without one get the default namespace."""
    if is_cluster_scoped(group, kind):
        return None
    return metadata.get("namespace") or options.default_namespace


def _identity_problems(entry: _Entry) -> list[str]:
    """What keeps `entry` from being an object we can name: all of it, in field order."""
    if not isinstance(entry.value, dict):
        found = _type_name(entry.value)
        return [entry.problem((), f"expected a mapping (a Kubernetes object), found {found}")]
    problems = [
        entry.problem((key,), message)
        for key in ("apiVersion", "kind")
        if (message := _string_problem(entry.value.get(key))) is not None
    ]
    metadata = entry.value.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        return [*problems, entry.problem(("metadata",), "must be a mapping")]
    metadata = metadata or {}
    name_problem = _string_problem(metadata.get("name"))
    if name_problem is not None:
        problems.append(entry.problem(("metadata", "name"), name_problem))
    namespace = metadata.get("namespace")
    if namespace is not None and not isinstance(namespace, str):
        problems.append(entry.problem(("metadata", "namespace"), "must be a string"))
    return problems


def _string_problem(value: Any) -> str | None:
    if value is None or value == "":
        return "required"
    return None if isinstance(value, str) else f"must be a string, not {_type_name(value)}"


def _type_name(value: Any) -> str:
    names = {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}
    return names.get(type(value), "null" if value is None else f"a {type(value).__name__}")


# --- pure: one object per key ---------------------------------------------------------------


def _merge_duplicates(
    objects: Iterable[KubeObject], problems: list[str], warnings: list[str]
) -> list[KubeObject]:
    """One object per key, sorted by key. Identical copies merge into the one whose source
    sorts first (so input order never matters). Copies that differ only by annotations that
    do not contradict each other merge with the union of their annotations, with a warning;
    so do copies written at two versions of one API group (`v1` and `v1beta1`: the API server
    serves one object at both). Any other difference is a problem naming both places."""
    by_key: defaultdict[tuple[str, str, str, str], list[KubeObject]] = defaultdict(list)
    for obj in objects:
        by_key[obj.key].append(obj)
    kept: list[KubeObject] = []
    for key in sorted(by_key):
        first, *others = sorted(by_key[key], key=_source_order)
        for other in others:
            if _same(_as_applied(first), _as_applied(other)):
                continue
            if _same(_unversioned(first), _unversioned(other)):
                warnings.append(
                    f"{first.source}: {first.display_name} is also defined at {other.source} "
                    f"as {other.api_version}; the same object at another version, kept once"
                )
                continue
            merged = _merge_annotations(first, other)
            if merged is None:
                problems.append(
                    f"{first.source}: {first.display_name} is also defined differently at "
                    f"{other.source}"
                )
                continue
            warnings.append(
                f"{first.source}: {first.display_name} is also defined at {other.source} "
                "with other annotations; merged them"
            )
            first = merged
        kept.append(first)
    return kept


def _merge_annotations(a: KubeObject, b: KubeObject) -> KubeObject | None:
    """`a` with the annotations of both, when annotations are all that differ and no
    annotation has two values; None otherwise."""
    notes_a = a.body["metadata"].get("annotations") or {}
    notes_b = b.body["metadata"].get("annotations") or {}
    if not isinstance(notes_a, dict) or not isinstance(notes_b, dict):
        return None
    if any(k in notes_a and not _same(notes_a[k], v) for k, v in notes_b.items()):
        return None
    union = {**notes_a, **notes_b}
    merged_a = _with_annotations(_as_applied(a), union)
    if not _same(merged_a, _with_annotations(_as_applied(b), union)):
        return None
    return replace(a, body=_with_annotations(dict(a.body), union))


def _with_annotations(body: dict[str, Any], annotations: dict[str, Any]) -> dict[str, Any]:
    return {**body, "metadata": {**body["metadata"], "annotations": annotations}}


def _source_order(obj: KubeObject) -> tuple[str, int, int, int]:
    return obj.source.sort_key()


def _as_applied(obj: KubeObject) -> dict[str, Any]:
    """The body with its effective namespace, so `namespace: default` written out equals
    the default applied to a manifest that sets none."""
    metadata = {k: v for k, v in obj.body["metadata"].items() if k != "namespace"}
    if obj.namespace is not None:
        metadata["namespace"] = obj.namespace
    return {**obj.body, "metadata": metadata}


def _unversioned(obj: KubeObject) -> dict[str, Any]:
    """The applied body without its apiVersion (the key already holds the group)."""
    return {k: v for k, v in _as_applied(obj).items() if k != "apiVersion"}


def _same(a: Any, b: Any) -> bool:
    """Equality that also compares types: `true` is not `1`, `1.0` is not `1`."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b) or (isinstance(a, float) and math.isnan(a) and math.isnan(b))
