"""Label and field selectors as the API server parses them from `labelSelector` and
`fieldSelector`; a selector it cannot parse is a ValueError (the server answers 400)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Match = Callable[[Mapping[str, Any]], bool]

FIELDS = {"metadata.name": "name", "metadata.namespace": "namespace"}
_SET = re.compile(r"^(!?)\s*([\w./-]+)\s*(?:(notin|in)\s*\((.*)\))?$")
_EQUALITY = re.compile(r"^([\w./-]+)\s*(==|!=|=)\s*([\w./-]*)$")


def label_selector(text: str) -> Match:
    """`app=web,tier!=db,env in (a,b),!legacy` → a predicate over an object."""
    requirements = [_label_requirement(part.strip()) for part in _split(text) if part.strip()]

    def matches(obj: Mapping[str, Any]) -> bool:
        labels = obj.get("metadata", {}).get("labels") or {}
        return all(requirement(labels) for requirement in requirements)

    return matches


def field_selector(text: str) -> Match:
    """`metadata.name=x,metadata.namespace!=y`; other fields are refused, as for most kinds."""
    requirements = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        match = _EQUALITY.match(part)
        if match is None:
            raise ValueError(f"invalid field selector: {part!r}")
        field, op, value = match.groups()
        if field not in FIELDS:
            raise ValueError(f"field label not supported: {field}")
        requirements.append((FIELDS[field], op != "!=", value))

    def matches(obj: Mapping[str, Any]) -> bool:
        metadata = obj.get("metadata", {})
        return all((metadata.get(key, "") == value) is want for key, want, value in requirements)

    return matches


def _split(text: str) -> list[str]:
    """Split on the commas outside parentheses: `a in (x,y),b` → `a in (x,y)`, `b`."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    return [*parts, text[start:]]


def _label_requirement(part: str) -> Callable[[Mapping[str, str]], bool]:
    equality = _EQUALITY.match(part)
    if equality is not None:
        key, op, value = equality.groups()
        if op == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    match = _SET.match(part)
    if match is None:
        raise ValueError(f"unable to parse requirement: {part!r}")
    negated, key, op, values = match.groups()
    if op is None:
        return (lambda labels: key not in labels) if negated else (lambda labels: key in labels)
    if negated:
        raise ValueError(f"unable to parse requirement: {part!r}")
    allowed = {v.strip() for v in values.split(",")}
    if op == "in":
        return lambda labels: labels.get(key) in allowed
    return lambda labels: labels.get(key) not in allowed
