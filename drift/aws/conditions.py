"""The Condition element, evaluated in three values: true, false, or None when the request
does not decide it (a key the question leaves open). A condition is never assumed true.

Meaning, as IAM's: the operators of one block, and the keys under each, must all hold (AND);
the values listed for one key are alternatives (OR), and a negated operator (StringNotEquals,
NotIpAddress...) holds when the key matches none of them. A key the request does not carry
makes a positive operator false and a negated one true, `...IfExists` true, `Null` tells
presence. `ForAnyValue:` holds when some value of a multivalued key matches, `ForAllValues:`
when every value does (and when there is none). Key names ignore case, values do not (but
`...IgnoreCase`). Policy variables are read in String and Arn operators only.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import ipaddress
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from drift.aws.patterns import arn_matches, glob_matches
from drift.aws.variables import Lookup, Missing, has_variables, substitute

if TYPE_CHECKING:
    from drift.aws.jsonread import JsonPath, JsonReader

Truth = bool | None  # None: the inputs do not decide it

# operator (lower case) → (value kind, negated)
_OPERATORS: dict[str, tuple[str, bool]] = {
    "stringequals": ("string", False),
    "stringnotequals": ("string", True),
    "stringequalsignorecase": ("istring", False),
    "stringnotequalsignorecase": ("istring", True),
    "stringlike": ("like", False),
    "stringnotlike": ("like", True),
    "numericequals": ("numeric=", False),
    "numericnotequals": ("numeric=", True),
    "numericlessthan": ("numeric<", False),
    "numericlessthanequals": ("numeric<=", False),
    "numericgreaterthan": ("numeric>", False),
    "numericgreaterthanequals": ("numeric>=", False),
    "dateequals": ("date=", False),
    "datenotequals": ("date=", True),
    "datelessthan": ("date<", False),
    "datelessthanequals": ("date<=", False),
    "dategreaterthan": ("date>", False),
    "dategreaterthanequals": ("date>=", False),
    "bool": ("bool", False),
    "binaryequals": ("binary", False),
    "ipaddress": ("ip", False),
    "notipaddress": ("ip", True),
    "arnequals": ("arn", False),
    "arnlike": ("arn", False),
    "arnnotequals": ("arn", True),
    "arnnotlike": ("arn", True),
    "null": ("null", False),
}
_VARIABLE_KINDS = frozenset({"string", "istring", "like", "arn"})
_QUALIFIERS = ("forallvalues", "foranyvalue")


@dataclass(frozen=True, kw_only=True)
class ConditionTest:
    """One operator on one key with its values, as written (`StringLike`, `aws:userid`)."""

    operator: str
    key: str
    values: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.operator} {self.key} {json.dumps(list(self.values))}"

    @property
    def parts(self) -> tuple[str | None, str, bool]:
        """(set qualifier, operator without it and IfExists, IfExists), in lower case."""
        name = self.operator.lower()
        qualifier = None
        for prefix in _QUALIFIERS:
            if name.startswith(prefix + ":"):
                qualifier, name = prefix, name[len(prefix) + 1 :]
        if_exists = name.endswith("ifexists") and name != "ifexists"
        return qualifier, name.removesuffix("ifexists") if if_exists else name, if_exists

    @property
    def known_operator(self) -> bool:
        qualifier, name, if_exists = self.parts
        return name in _OPERATORS and not (name == "null" and (if_exists or qualifier))


def read_conditions(reader: JsonReader, path: JsonPath, raw: Any) -> tuple[ConditionTest, ...]:
    if raw is None:
        return ()
    block = reader.mapping(path, raw)
    if block is None:
        return ()
    tests = []
    for operator, keys in block.items():
        entries = reader.mapping((*path, operator), keys)
        for key, value in (entries or {}).items():
            values = _values(reader, (*path, operator, key), value)
            if values is not None:
                tests.append(ConditionTest(operator=operator, key=key, values=values))
    return tuple(tests)


def _values(reader: JsonReader, path: JsonPath, raw: Any) -> tuple[str, ...] | None:
    items = raw if isinstance(raw, list) else [raw]
    values = []
    for item in items:
        if isinstance(item, bool):
            values.append("true" if item else "false")
        elif isinstance(item, (str, int, float)):
            values.append(str(item))
        else:
            reader.problem(path, "a condition value must be a string, number or boolean")
            return None
    return tuple(values)


def evaluate(test: ConditionTest, lookup: Lookup, *, variables: bool) -> Truth:
    """Whether `test` holds for the request `lookup` describes (None: undecided)."""
    qualifier, name, if_exists = test.parts
    if not test.known_operator:
        return None  # an operator we do not model: never guessed
    kind, negated = _OPERATORS[name]
    value = lookup(test.key)
    if kind == "null":
        return _null(test.values, value)
    if value is Missing.UNKNOWN:
        return None
    if value is Missing.ABSENT or (not value and qualifier is None):
        if if_exists or qualifier == "forallvalues":
            return True
        return qualifier != "foranyvalue" and negated
    patterns = _patterns(test.values, kind, lookup if variables else None)
    if patterns is None:
        return False  # a variable with no value: the statement is invalid
    matches = [_any_pattern(kind, patterns, v) for v in value]
    if negated:
        matches = [_not(m) for m in matches]
    if qualifier == "forallvalues":
        return all_of(matches)
    if qualifier is None and negated:
        return all_of(matches)  # the key equals none of the values
    return any_of(matches)


def _null(values: tuple[str, ...], value: tuple[str, ...] | Missing) -> Truth:
    if value is Missing.UNKNOWN:
        return None
    absent = value is Missing.ABSENT
    return any(v.lower() == ("true" if absent else "false") for v in values)


Pattern = tuple[str, bool, bool]  # (value, escaped, uncertain)


def _patterns(values: tuple[str, ...], kind: str, lookup: Lookup | None) -> list[Pattern] | None:
    found: list[Pattern] = []
    for value in values:
        if lookup is None or kind not in _VARIABLE_KINDS or not has_variables(value):
            found.append((value, False, False))
            continue
        substituted = substitute(value, lookup, wildcards=kind in ("like", "arn"))
        if substituted is None:
            return None
        found.append((substituted[0], True, substituted[1]))
    return found


def _any_pattern(kind: str, patterns: list[Pattern], value: str) -> Truth:
    results: list[Truth] = []
    for pattern, escaped, uncertain in patterns:
        matched = _MATCHERS[kind](pattern, value, escaped or uncertain)
        results.append(None if matched and uncertain else matched)
    return any_of(results)


def _string(pattern: str, value: str, escaped: bool) -> bool:
    return glob_matches(pattern, value, escaped=True) if escaped else pattern == value


def _istring(pattern: str, value: str, escaped: bool) -> bool:
    return _string(pattern.casefold(), value.casefold(), escaped)


def _like(pattern: str, value: str, escaped: bool) -> bool:
    return glob_matches(pattern, value, escaped=escaped)


def _arn(pattern: str, value: str, escaped: bool) -> bool:
    return arn_matches(pattern, value, escaped=escaped)


def _bool(pattern: str, value: str, _escaped: bool) -> bool:
    return pattern.lower() == value.lower()


def _binary(pattern: str, value: str, _escaped: bool) -> bool:
    try:
        return base64.b64decode(pattern, validate=True) == base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return pattern == value


def _ip(pattern: str, value: str, _escaped: bool) -> bool:
    try:
        network = ipaddress.ip_network(pattern, strict=False)
        address = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return address.version == network.version and address.subnet_of(network)  # type: ignore[arg-type]


def _compare(parse: Callable[[str], float | None], op: str) -> Callable[[str, str, bool], bool]:
    def compare(pattern: str, value: str, _escaped: bool) -> bool:
        left, right = parse(value), parse(pattern)
        if left is None or right is None:
            return False
        return {
            "=": left == right,
            "<": left < right,
            "<=": left <= right,
            ">": left > right,
            ">=": left >= right,
        }[op]

    return compare


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _date(text: str) -> float | None:
    """ISO 8601 (a date, or a time with or without zone: UTC when none) or epoch seconds."""
    number = _number(text)
    if number is not None:
        return number
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.timestamp()


_MATCHERS: Mapping[str, Callable[[str, str, bool], bool]] = {
    "string": _string,
    "istring": _istring,
    "like": _like,
    "arn": _arn,
    "bool": _bool,
    "binary": _binary,
    "ip": _ip,
    **{f"numeric{op}": _compare(_number, op) for op in ("=", "<", "<=", ">", ">=")},
    **{f"date{op}": _compare(_date, op) for op in ("=", "<", "<=", ">", ">=")},
}


def _not(value: Truth) -> Truth:
    return None if value is None else not value


def all_of(values: Iterable[Truth]) -> Truth:
    """Three-valued AND: false if any is false, else undecided if any is, else true."""
    result: Truth = True
    for value in values:
        if value is False:
            return False
        if value is None:
            result = None
    return result


def any_of(values: Iterable[Truth]) -> Truth:
    """Three-valued OR: true if any is true, else undecided if any is, else false."""
    result: Truth = False
    for value in values:
        if value is True:
            return True
        if value is None:
            result = None
    return result
