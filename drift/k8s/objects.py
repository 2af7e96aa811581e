"""The plain Kubernetes objects collectors hand to the core, with where each came from."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from drift.k8s.kinds import canonical_group

FieldPath = tuple[str | int, ...]


@dataclass(frozen=True, kw_only=True)
class SourceRef:
    """Where an object was read: a file (or `<stdin>`, or an API URL) and its position.

    `line` is 1-based and present whenever the reader knows it; `document` is the 0-based
    index of the YAML document in the file and `item` the index inside a `List` kind.
    """

    file: str
    document: int = 0
    line: int | None = None
    item: int | None = None

    def sort_key(self) -> tuple[str, int, int, int]:
        """Where sources sort: by file, then position (unknown lines and items first)."""
        item = -1 if self.item is None else self.item
        return (self.file, self.document, self.line or 0, item)

    def __str__(self) -> str:
        where = (
            f"{self.file}:{self.line}"
            if self.line is not None
            else (f"{self.file}#document {self.document}")
        )
        return where if self.item is None else f"{where} (items[{self.item}])"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"file": self.file, "document": self.document}
        if self.line is not None:
            out["line"] = self.line
        if self.item is not None:
            out["item"] = self.item
        return out


_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_./-]+$")


def format_path(path: FieldPath) -> str:
    """`("spec", "ports", 0, "port")` → `spec.ports[0].port`; a key with other characters
    (a newline, a space) is quoted, so every message stays on one line."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not _PLAIN_KEY.match(part):
            text += f"[{part!r}]"
        else:
            text += f".{part}" if text else part
    return text


@dataclass(frozen=True, kw_only=True, eq=False)
class KubeObject:
    """One Kubernetes object as it was written (camelCase mapping), plus its identity.

    `namespace` is the effective namespace (the reader applies the default namespace to
    namespaced kinds that set none); `None` for cluster-scoped kinds. `field_lines` maps
    field paths to 1-based lines where the reader knows them, for error messages.
    """

    api_version: str
    kind: str
    name: str
    namespace: str | None
    body: Mapping[str, Any]
    source: SourceRef
    field_lines: Mapping[FieldPath, int] = field(default_factory=dict, repr=False)

    @property
    def group(self) -> str:
        """The API group: `apps` for `apps/v1`, empty for the core `v1` (old aliases mapped)."""
        return canonical_group(self.api_version.rpartition("/")[0], self.kind)

    @property
    def key(self) -> tuple[str, str, str, str]:
        """What makes two objects the same object: group, kind, namespace and name."""
        return (self.group, self.kind, self.namespace or "", self.name)

    @property
    def display_name(self) -> str:
        return (
            f"{self.kind} {self.namespace}/{self.name}"
            if self.namespace
            else (f"{self.kind} {self.name}")
        )

    def line_of(self, path: FieldPath) -> int | None:
        """The line of `path`, or of its nearest ancestor whose line is known."""
        for length in range(len(path), -1, -1):
            line = self.field_lines.get(path[:length])
            if line is not None:
                return line
        return self.source.line

    def problem(self, path: FieldPath, message: str) -> str:
        """One line naming file, line, object and field: the shape of every input error."""
        line = self.line_of(path)
        where = str(self.source) if line is None else f"{self.source.file}:{line}"
        field_text = f": {format_path(path)}" if path else ""
        return f"{where}: {self.display_name}{field_text}: {message}"

    def get(self, path: Sequence[str | int]) -> Any:
        """The value at `path` in the body, or None where any step is absent."""
        value: Any = self.body
        for part in path:
            if isinstance(part, int):
                if not isinstance(value, list) or part >= len(value):
                    return None
            elif not isinstance(value, Mapping):
                return None
            value = value[part] if isinstance(part, int) else value.get(part)
            if value is None:
                return None
        return value
