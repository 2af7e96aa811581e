"""Policy variables (`${aws:username}`) and what a request knows of each context key.

A key's value in a request is one of: known values (a tuple; one for single-valued keys),
`Missing.ABSENT` (the request does not carry it: `aws:username` of a role session) or
`Missing.UNKNOWN` (the question does not say: the caller's IP address).

Variables are only read in documents whose `Version` is `2012-10-17`; older documents keep
`${...}` as literal text. A variable whose key is absent and has no default (`${aws:userid,
'anonymous'}`) makes its statement invalid: it applies to nothing. An unknown one is replaced
by `*`, so a pattern that cannot match even then is decided (no match), and one that could
is undecided. `${*}`, `${?}` and `${$}` are the literal characters.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable

VARIABLES_VERSION = "2012-10-17"
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_DEFAULT = re.compile(r"^\s*([^,]+?)\s*,\s*'([^']*)'\s*$")
_LITERALS = {"*": "*", "?": "?", "$": "$"}


class Missing(enum.Enum):
    ABSENT = "absent"
    UNKNOWN = "unknown"


KeyValue = tuple[str, ...] | Missing
Lookup = Callable[[str], KeyValue]  # a context key (any case) → its value in the request


def has_variables(text: str) -> bool:
    return "${" in text


def escape(text: str) -> str:
    """`text` as literal characters of an escaped pattern (see `drift.aws.patterns`)."""
    return re.sub(r"([\\*?])", r"\\\1", text)


def substitute(text: str, lookup: Lookup, *, wildcards: bool = True) -> tuple[str, bool] | None:
    """`text` as an escaped glob with its variables replaced, and whether any was unknown
    (replaced by `*`); None when a variable is absent without a default. `wildcards`: whether
    `*` and `?` written around the variables are wildcards (StringLike, Resource) or literal
    (StringEquals)."""
    outside = _escape_outside if wildcards else escape
    out: list[str] = []
    unknown = False
    position = 0
    for found in _VARIABLE.finditer(text):
        out.append(outside(text[position : found.start()]))
        position = found.end()
        value = _resolve(found.group(1), lookup)
        if value is None:
            return None
        if isinstance(value, Missing):
            out.append("*")
            unknown = True
        else:
            out.append(escape(value))
    out.append(outside(text[position:]))
    return "".join(out), unknown


def _escape_outside(text: str) -> str:
    """Text written around variables: wildcards stay wildcards, backslashes are literal."""
    return text.replace("\\", "\\\\")


def _resolve(inside: str, lookup: Lookup) -> str | Missing | None:
    """The value of `${inside}`: a string, UNKNOWN, or None (absent, no default)."""
    if inside in _LITERALS:
        return _LITERALS[inside]
    name, default = inside.strip(), None
    with_default = _DEFAULT.match(inside)
    if with_default:
        name, default = with_default.group(1), with_default.group(2)
    value = lookup(name)
    if value is Missing.UNKNOWN:
        return value
    if isinstance(value, Missing) or not value:
        return default  # None: the statement is invalid
    return value[0] if len(value) == 1 else Missing.UNKNOWN
