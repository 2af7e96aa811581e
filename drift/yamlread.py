"""Bytes of a manifest file → plain documents with the line of every field, within bounds.

Documents are composed with PyYAML (libyaml when present) and the node tree is then turned
into plain values here rather than by PyYAML's constructor, for three reasons:

- the walk records the 1-based line of every key and list item (`Document.lines`);
- it is bounded: alias expansion is counted so a "billion laughs" document stops with a
  problem, recursive aliases are refused, and nesting depth is capped;
- it accepts only the standard scalar tags, so `!!python/object` and friends are refused.

Timestamps and `!!binary` scalars stay the text they were written as, as Kubernetes' own
YAML-to-JSON reader keeps them. Problems come back as `ReadProblem` values, never exceptions.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import (
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import Reader, ReaderError

from drift.k8s.objects import FieldPath

try:
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader  # type: ignore[assignment]

log = logging.getLogger(__name__)

MAX_DEPTH = 200
"""Deepest nesting accepted. Real manifests stay under ~20; libyaml's composer recurses in C
and crashes the interpreter on very deep input, so depth is checked on the event stream first."""

EXPANSION_FACTOR = 100
MIN_EXPANSION = 100_000
"""A document may expand (through aliases) to EXPANSION_FACTOR times its distinct nodes, and
at least MIN_EXPANSION nodes, before it is refused as an alias bomb."""

_YAML_TAG = "tag:yaml.org,2002:"
_MAP_TAG = _YAML_TAG + "map"
_SEQ_TAG = _YAML_TAG + "seq"
_NULL_TAG = _YAML_TAG + "null"
_MERGE_TAG = _YAML_TAG + "merge"
_KEPT_AS_TEXT = frozenset({_YAML_TAG + "timestamp", _YAML_TAG + "binary"})
_SCALAR_TAGS = frozenset({_YAML_TAG + t for t in ("null", "bool", "int", "float", "str")})
_CONSTRUCTOR = SafeConstructor()


@dataclass(frozen=True, kw_only=True)
class Document:
    """One non-empty YAML document: its 0-based index in the file, the 1-based line of its
    first key (None when unknown), its value and the line of each field path in it."""

    index: int
    line: int | None
    value: Any
    lines: Mapping[FieldPath, int]


@dataclass(frozen=True, kw_only=True)
class ReadProblem:
    """Why (part of) a file could not be read; `document` is None when it concerns the file."""

    message: str
    line: int | None = None
    document: int | None = None


class _Refused(Exception):
    """Raised inside the walk; becomes a ReadProblem at the node's line."""

    def __init__(self, node: Node, message: str) -> None:
        super().__init__(message)
        self.line = node.start_mark.line + 1
        self.message = message


class _ScanFailed(Exception):
    """The event stream was refused: a syntax error (`cause`) or nesting too deep."""

    def __init__(self, problem: ReadProblem, cause: yaml.YAMLError | None = None) -> None:
        super().__init__(problem.message)
        self.problem = problem
        self.cause = cause


def read_documents(data: bytes, *, json_fallback: bool = False) -> Iterator[Document | ReadProblem]:
    """Every non-empty document of `data`, or the problems found reading it.

    A syntax error ends the file; a problem inside one document (bad tag, alias bomb) ends
    only that document. With `json_fallback`, text YAML cannot parse is tried as JSON.
    """
    try:
        text = data.decode("utf-8-sig")  # YAML allows a byte order mark; drop it
    except UnicodeDecodeError as exc:
        yield _not_utf8(exc)
        return
    fast = _read_shallow(text)
    if fast is not None:
        yield from fast
        return
    try:
        sizes = _scan(text)
    except _ScanFailed as exc:
        yield from (_json_document(text) if json_fallback and exc.cause else [exc.problem])
        return
    yield from _compose(text, sizes)


# A line that starts a new document ("---" or "...", alone or followed by white space). Such
# a line inside a collection is a syntax error, so a split here never joins two documents.
_INDENT = re.compile(r"^[ \t]+", re.MULTILINE)
# Anything that could be an alias (`*name`) outside one-line quoted text; false alarms only
# cost the careful path, and a miss is still bounded by the walk's node budget.
_ALIAS_LIKE = re.compile(r"(?:^|[\s\[{,:])\*[^\s\[\]{},]")
_QUOTED = re.compile(r"'[^'\n]*'|\"(?:[^\"\\\n]|\\.)*\"")


# libyaml's composer recurses in C once per nesting level and crashes the interpreter tens of
# thousands of levels deep. Text whose nesting is provably below this bound is composed
# directly; the walk that follows still refuses anything deeper than MAX_DEPTH.
SAFE_COMPOSE_DEPTH = 1_000

_COMMENT = re.compile(r"(?:^|[ \t])#.*$", re.MULTILINE)
_NOT_BRACKET = re.compile(r"[^\[\]{}\n]+")
_SEQUENCE_PREFIX = re.compile(r"^[ \t]*((?:[-?][ \t]+)+)", re.MULTILINE)


def _read_shallow(text: str) -> list[Document | ReadProblem] | None:
    """The documents of `text` composed directly, when the text alone proves there are no
    aliases and no nesting near SAFE_COMPOSE_DEPTH; None when it does not (take the careful
    path, which checks depth on the event stream before composing). Skipping that extra
    parse halves the reading time of ordinary manifests and baselines."""
    bare = _COMMENT.sub("", _QUOTED.sub("q", text))
    if _ALIAS_LIKE.search(bare):
        return None
    bound = _nesting_bound(bare)
    if bound is None or bound > SAFE_COMPOSE_DEPTH:
        return None
    documents = list(_compose(text, None, budget=max(MIN_EXPANSION, len(text))))
    if any(isinstance(d, ReadProblem) for d in documents):
        return None  # let the careful path word the problem (and try JSON)
    return documents


def _nesting_bound(bare: str) -> int | None:
    """An upper bound on nesting depth, from text without comments and one-line quoted
    scalars; None when the text is not simple enough to bound this way.

    Block levels each need more indentation (a sequence may share its key's, hence twice)
    or a compact indicator at the start of the line (`- - x`, `- key: v`). Flow levels need
    brackets: when a quote is left (a scalar spanning lines, an apostrophe) or a line's
    brackets do not balance on that line, the text is not bounded here at all.
    """
    if "'" in bare or '"' in bare:
        return None
    flow = 0
    for line in set(_NOT_BRACKET.sub("", bare).split("\n")):
        if len(line) // 2 > SAFE_COMPOSE_DEPTH:
            return None  # too deep to take this path; and reducing it would be slow
        reduced = line
        while True:
            shorter = reduced.replace("[]", "").replace("{}", "")
            if shorter == reduced:
                break
            reduced = shorter
        if reduced:
            return None
        flow = max(flow, len(line) // 2)
    indent = max((len(m) for m in _INDENT.findall(bare)), default=0)
    compact = max((len(m) for m in _SEQUENCE_PREFIX.findall(bare)), default=0)
    return 2 * (indent + 1) + compact + 2 + flow


def _not_utf8(exc: UnicodeDecodeError) -> ReadProblem:
    """Offsets count in `exc.object`, which lacks any byte order mark."""
    line = exc.object.count(b"\n", 0, exc.start) + 1
    return ReadProblem(line=line, message=f"not UTF-8 (byte {exc.object[exc.start]:#04x})")


def _scan(text: str) -> list[int]:
    """Distinct node count of each document, checking nesting depth on the event stream
    (iterative, so safe on any input) before anything recursive sees it."""
    sizes: list[int] = []
    try:
        _count_nodes(yaml.parse(text, Loader=SafeLoader), sizes)
    except yaml.YAMLError as exc:
        problem = _syntax_problem(exc, text, max(len(sizes) - 1, 0))
        raise _ScanFailed(problem, exc) from None
    return sizes


def _count_nodes(events: Iterator[yaml.Event], sizes: list[int]) -> None:
    depth = 0
    for event in events:
        if isinstance(event, DocumentStartEvent):
            sizes.append(0)
        elif isinstance(event, MappingStartEvent | SequenceStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                line = _mark_line(event.start_mark)
                message = f"nesting deeper than {MAX_DEPTH} levels"
                raise _ScanFailed(ReadProblem(line=line, document=len(sizes) - 1, message=message))
        elif isinstance(event, MappingEndEvent | SequenceEndEvent):
            depth -= 1
        if isinstance(event, ScalarEvent | MappingStartEvent | SequenceStartEvent):
            sizes[-1] += 1


def _compose(
    text: str, sizes: list[int] | None, budget: int = MIN_EXPANSION
) -> Iterator[Document | ReadProblem]:
    """Documents of `text`; `sizes` (distinct nodes per document) set each one's alias
    budget. Without sizes, `budget` applies: text without aliases has fewer nodes than
    characters, so its length is a budget such text never reaches."""
    index = -1
    try:
        for index, node in enumerate(yaml.compose_all(text, Loader=SafeLoader)):
            if node is not None and node.tag != _NULL_TAG:
                limit = (
                    budget
                    if sizes is None
                    else (max(MIN_EXPANSION, EXPANSION_FACTOR * sizes[index]))
                )
                yield _document(node, index, limit)
    except yaml.YAMLError as exc:  # the composer's own checks, e.g. an undefined alias
        yield _syntax_problem(exc, text, index + 1)


def _document(node: Node, index: int, limit: int) -> Document | ReadProblem:
    walk = _Walk(limit=limit)
    try:
        value = walk.build(node, (), 0)
    except _Refused as exc:
        return ReadProblem(line=exc.line, document=index, message=exc.message)
    return Document(index=index, line=_first_line(node), value=value, lines=walk.lines)


def _first_line(node: Node) -> int:
    """The line of a mapping's first key, else of the node itself (1-based)."""
    if isinstance(node, MappingNode) and node.value:
        node = node.value[0][0]
    return int(node.start_mark.line) + 1


class _Walk:
    """Turns one document's node tree into plain values, recording lines and a budget."""

    def __init__(self, *, limit: int) -> None:
        self.limit = limit
        self.count = 0
        self.lines: dict[FieldPath, int] = {}
        self._open: set[int] = set()

    def build(self, node: Node, path: FieldPath | None, depth: int) -> Any:
        """`path` is None for merged-in content, whose lines belong to its anchor."""
        self._enter(node, depth)
        try:
            if isinstance(node, MappingNode):
                return self._mapping(node, path, depth)
            if isinstance(node, SequenceNode):
                return self._sequence(node, path, depth)
            return _scalar(node)
        finally:
            self._open.discard(id(node))

    def _enter(self, node: Node, depth: int) -> None:
        self.count += 1
        if self.count > self.limit:
            raise _Refused(node, f"aliases expand to more than {self.limit} nodes (alias bomb?)")
        if depth > MAX_DEPTH:
            raise _Refused(node, f"nesting deeper than {MAX_DEPTH} levels after alias expansion")
        if id(node) in self._open:
            raise _Refused(node, "recursive alias (a node that contains itself)")
        self._open.add(id(node))

    def _sequence(self, node: SequenceNode, path: FieldPath | None, depth: int) -> list[Any]:
        _require_tag(node, _SEQ_TAG)
        items = []
        for index, child in enumerate(node.value):
            child_path = None if path is None else (*path, index)
            self._record(child_path, child)
            items.append(self.build(child, child_path, depth + 1))
        return items

    def _mapping(self, node: MappingNode, path: FieldPath | None, depth: int) -> dict[Any, Any]:
        _require_tag(node, _MAP_TAG)
        result: dict[Any, Any] = {}
        merged: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                self._merge(merged, value_node, depth)
                continue
            key = _key(key_node)
            if key in result:
                raise _Refused(key_node, f"duplicate key {key!r} in one mapping")
            child_path = None if path is None else (*path, str(key))
            self._record(child_path, key_node)
            result[key] = self.build(value_node, child_path, depth + 1)
        return result | {k: v for k, v in merged.items() if k not in result}

    def _merge(self, merged: dict[Any, Any], node: Node, depth: int) -> None:
        """YAML merge keys (`<<: *base`), as Kubernetes' reader honours them: keys written
        in the mapping win, then earlier merged mappings over later ones."""
        sources = node.value if isinstance(node, SequenceNode) else [node]
        for source in sources:
            if not isinstance(source, MappingNode):
                raise _Refused(source, "a merge key (<<) takes a mapping or a list of mappings")
            for key, value in self.build(source, None, depth + 1).items():
                merged.setdefault(key, value)

    def _record(self, path: FieldPath | None, node: Node) -> None:
        if path is not None:
            self.lines[path] = node.start_mark.line + 1


def _key(node: Node) -> Any:
    """Mapping keys must be scalars; non-string ones (`8080:`) stay as PyYAML types them."""
    if not isinstance(node, ScalarNode):
        raise _Refused(node, "a mapping key must be a scalar")
    return _scalar(node)


def _scalar(node: Node) -> Any:
    if node.tag in _KEPT_AS_TEXT:
        return node.value
    if node.tag not in _SCALAR_TAGS:
        raise _Refused(node, f"unsupported YAML tag {_short_tag(node.tag)}")
    try:
        return _CONSTRUCTOR.yaml_constructors[node.tag](_CONSTRUCTOR, node)
    except ValueError:  # an integer longer than Python's digit limit
        raise _Refused(node, f"{_short_tag(node.tag)} value too long to read") from None


def _require_tag(node: Node, tag: str) -> None:
    if node.tag != tag:
        raise _Refused(node, f"unsupported YAML tag {_short_tag(node.tag)}")


def _short_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_YAML_TAG) if tag.startswith(_YAML_TAG) else tag


def _syntax_problem(exc: yaml.YAMLError, text: str, document: int) -> ReadProblem:
    """One line from a PyYAML error: its line and what went wrong, without the dump."""
    if isinstance(exc, yaml.MarkedYAMLError):
        line = _mark_line(exc.problem_mark or exc.context_mark)
        return ReadProblem(line=line, document=document, message=f"bad YAML: {_explain(exc)}")
    if isinstance(exc, ReaderError):
        return _bad_character(text)
    return ReadProblem(document=document, message="bad YAML: " + " ".join(str(exc).split()))


def _bad_character(text: str) -> ReadProblem:
    """Found again here: libyaml reports a byte offset, not a line, and checks characters a
    buffer ahead of the parser, so which document holds the character is not known."""
    found = Reader.NON_PRINTABLE.search(text)
    if found is None:  # pragma: no cover - the reader refused something else
        return ReadProblem(message="bad YAML: unreadable characters")
    line = text.count("\n", 0, found.start()) + 1
    return ReadProblem(line=line, message=f"bad YAML: character {found.group()!r} is not allowed")


def _explain(exc: yaml.MarkedYAMLError) -> str:
    """`problem (while context at line N)`: the context's line often names the real culprit,
    as when a key lacks its colon and the parser only notices lines later."""
    what = exc.problem or "syntax error"
    context_line = _mark_line(exc.context_mark)
    if exc.context and context_line is not None:
        return f"{what} ({exc.context} at line {context_line})"
    return f"{what} ({exc.context})" if exc.context else what


def _mark_line(mark: Any) -> int | None:
    return None if mark is None else int(mark.line) + 1


def _json_document(text: str) -> list[Document | ReadProblem]:
    """A JSON file YAML could not read (say, tab-indented): one document, no field lines."""
    try:
        value = json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        return [ReadProblem(line=exc.lineno, message=f"bad JSON: {exc.msg}")]
    except (ValueError, RecursionError) as exc:
        return [ReadProblem(message=f"bad JSON: {exc}")]
    if _depth(value) > MAX_DEPTH:
        return [ReadProblem(document=0, message=f"nesting deeper than {MAX_DEPTH} levels")]
    log.debug("read as JSON after YAML refused it; field lines unknown")
    return [Document(index=0, line=None, value=value, lines={})]


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r} in one object")
        result[key] = value
    return result


def _depth(value: Any) -> int:
    """Nesting depth of plain JSON values, without recursion."""
    deepest = 0
    stack = [(value, 0)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        )
        stack.extend((child, level + 1) for child in children)
    return deepest
