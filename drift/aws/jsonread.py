"""Reading AWS JSON with one-line problems naming the file and the JSON path.

JSON parsers give no line numbers for values, and a scanner that tracked them is not worth
its weight here: AWS output is machine-written, and the path (`RoleDetailList[3].
AssumeRolePolicyDocument.Statement[0].Effect`) names the place exactly. Problems are
collected, not raised, so a file reports all of them at once.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from drift.k8s.objects import format_path
from drift.validation import did_you_mean

JsonPath = tuple[str | int, ...]


@dataclass(kw_only=True)
class JsonReader:
    """Problems found in one file (`name`), each `name: path: message`."""

    name: str
    problems: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.problems)

    def problem(self, path: JsonPath, message: str) -> None:
        where = format_path(path)
        self.problems.append(
            f"{self.name}: {where}: {message}" if where else f"{self.name}: {message}"
        )

    def mapping(self, path: JsonPath, raw: Any) -> Mapping[str, Any] | None:
        if isinstance(raw, Mapping):
            return raw
        self.problem(path, "must be an object")
        return None

    def items(self, path: JsonPath, raw: Any) -> list[Any]:
        """A list, or nothing (with a problem); a missing list is empty."""
        if raw is None:
            return []
        if isinstance(raw, list):
            return raw
        self.problem(path, "must be a list")
        return []

    def text(self, path: JsonPath, raw: Any, *, required: bool = True) -> str | None:
        if isinstance(raw, str) and raw:
            return raw
        if raw is None and not required:
            return None
        self.problem(path, "required: a non-empty string" if raw is None else "must be a string")
        return None

    def strings(self, path: JsonPath, raw: Any) -> tuple[str, ...] | None:
        """A string or a list of strings (as IAM allows for Action, Resource, principals)."""
        if isinstance(raw, str):
            return (raw,)
        if isinstance(raw, list) and raw and all(isinstance(v, str) for v in raw):
            return tuple(raw)
        self.problem(path, "must be a string or a non-empty list of strings")
        return None

    def unknown_fields(self, path: JsonPath, raw: Mapping[str, Any], known: Iterable[str]) -> None:
        names = tuple(known)
        for key in raw:
            if key not in names:
                self.problem((*path, key), "unknown field" + did_you_mean(str(key), names))

    def document(self, path: JsonPath, raw: Any) -> Mapping[str, Any] | None:
        """A policy document: an object, or its JSON text, URL-encoded (as the IAM API returns
        it) or not."""
        if isinstance(raw, str):
            text = raw if raw.lstrip().startswith("{") else urllib.parse.unquote(raw)
            try:
                raw = json.loads(text)
            except ValueError as exc:
                self.problem(path, f"is not a JSON policy document: {exc}")
                return None
        return self.mapping(path, raw)
