"""Untrusted YAML documents validated by a pydantic model, every problem at once, one line
each with file, line and field, and a suggestion where a name looks like a typo.

Used for baselines and for the settings file; the model decides what is valid, this module
only says where and how a document is not.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from drift.errors import InputError
from drift.k8s.objects import FieldPath, format_path
from drift.yamlread import Document, ReadProblem, read_documents

M = TypeVar("M", bound=BaseModel)

# For a path inside a union (pydantic tries each member), one message saying what the field
# may be; None to report pydantic's own message.
UnionHelp = Callable[[FieldPath], str | None]


def single_document(
    data: bytes, name: str, what: str, error: type[InputError] = InputError
) -> Document:
    """The one YAML mapping of a file (`what` names it in messages: "a baseline")."""
    documents = []
    for item in read_documents(data):
        if isinstance(item, ReadProblem):
            where = f"{name}:{item.line}" if item.line else name
            raise error([f"{where}: {item.message}"])
        documents.append(item)
    if len(documents) != 1:
        raise error(
            [f"{name}: {what} file holds exactly one YAML document, found {len(documents)}"]
        )
    if not isinstance(documents[0].value, dict):
        raise error([f"{name}:{documents[0].line}: {what} must be a mapping"])
    return documents[0]


def validate(
    model: type[M],
    document: Document,
    name: str,
    *,
    error: type[InputError] = InputError,
    union_help: UnionHelp | None = None,
) -> M:
    try:
        return model.model_validate(document.value)
    except ValidationError as exc:
        raise error(pydantic_problems(exc, document, name, field_names(model), union_help)) from (
            None
        )


def located(name: str, document: Document, path: FieldPath, message: str) -> str:
    line = document.line  # the document's own line, where no part of the path is written
    for length in range(len(path), 0, -1):
        found = document.lines.get(path[:length])
        if found is not None:
            line = found
            break
    where = f"{name}:{line}" if line is not None else name
    return f"{where}: {format_path(path)}: {message}" if path else f"{where}: {message}"


def pydantic_problems(
    exc: ValidationError,
    document: Document,
    name: str,
    fields: frozenset[str],
    union_help: UnionHelp | None = None,
) -> list[str]:
    by_path: dict[FieldPath, str] = {}
    for error in exc.errors():
        path, through_union = _input_path(error["loc"], document.value, fields)
        if path in by_path:
            continue
        helped = union_help(path) if through_union and union_help else None
        by_path[path] = helped or _message(error, path, fields)
    return [located(name, document, path, message) for path, message in by_path.items()]


def _input_path(
    loc: Sequence[int | str], data: Any, fields: frozenset[str]
) -> tuple[FieldPath, bool]:
    """The path as written in the document, and whether pydantic went through a union (it
    adds member names such as `ZoneEndpoint` to `loc`; the path then stops at the union)."""
    path: list[str | int] = []
    cursor: Any = data
    for part in loc:
        if _has(cursor, part):
            cursor = cursor[part]
        elif _is_tag(cursor, part):
            continue  # a tagged union's member, named by the tag the document wrote
        elif isinstance(cursor, dict) and part in fields:
            path.append(part)  # a required field that is missing
            break
        else:
            return tuple(path), True
        path.append(part)
    return tuple(path), False


# Tags of unions discriminated by a function (not by a field the document writes).
CALLABLE_TAGS = frozenset({"rbac-rule", "iam-rule"})


def _is_tag(container: Any, part: int | str) -> bool:
    """Whether pydantic put a discriminator's value in `loc` (`notifiers.0.webhook.url` for
    `{type: webhook}`), which is no key of the document."""
    if not isinstance(container, dict) or not isinstance(part, str):
        return False
    return part in container.values() or part in CALLABLE_TAGS


def _has(container: Any, part: int | str) -> bool:
    if isinstance(container, list):
        return isinstance(part, int) and part < len(container)
    return isinstance(container, dict) and part in container


# Patterns with words for a person: `Field(pattern=explained(P, "what it must be"))`.
_PATTERN_HELP: dict[str, str] = {}


def explained(pattern: str, meaning: str) -> str:
    """Register what a field pattern means, so a mismatch says that instead of the regex."""
    _PATTERN_HELP[pattern] = meaning
    return pattern


def _message(error: Mapping[str, Any], path: FieldPath, fields: frozenset[str]) -> str:
    kind = error["type"]
    if kind == "string_pattern_mismatch":
        meaning = _PATTERN_HELP.get(str((error.get("ctx") or {}).get("pattern")))
        if meaning is not None:
            return f"{error.get('input')!r} is not {meaning}"
    if kind == "extra_forbidden":
        return "unknown field" + did_you_mean(str(path[-1]), fields)
    if kind == "missing":
        return "required"
    return str(error["msg"]).removeprefix("Value error, ")


def field_names(model: type[BaseModel]) -> frozenset[str]:
    """Every field name (by alias) anywhere in the model, for suggestions."""
    names: set[str] = set()

    def visit(schema: Any) -> None:
        if isinstance(schema, dict):
            names.update(schema.get("properties", {}))
            for value in schema.values():
                visit(value)
        elif isinstance(schema, list):
            for value in schema:
                visit(value)

    visit(model.model_json_schema(by_alias=True))
    return frozenset(names)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
