"""Condition operators, in three values, as IAM documents them."""

from __future__ import annotations

import pytest

from drift.aws.conditions import ConditionTest, evaluate
from drift.aws.variables import KeyValue, Missing


def check(operator: str, key: str, values: list[str], context: dict[str, KeyValue]) -> bool | None:
    lowered = {k.lower(): v for k, v in context.items()}
    test = ConditionTest(operator=operator, key=key, values=tuple(values))
    return evaluate(test, lambda k: lowered.get(k.lower(), Missing.UNKNOWN), variables=True)


@pytest.mark.parametrize(
    ("operator", "values", "value", "expected"),
    [
        ("StringEquals", ["a", "b"], "b", True),
        ("StringEquals", ["a"], "A", False),
        ("StringEquals", ["a*"], "abc", False),  # no wildcards in StringEquals
        ("StringNotEquals", ["a", "b"], "c", True),
        ("StringNotEquals", ["a", "b"], "a", False),
        ("StringEqualsIgnoreCase", ["ABC"], "abc", True),
        ("StringLike", ["a*c", "x?"], "abbbc", True),
        ("StringLike", ["x?"], "xyz", False),
        ("StringNotLike", ["a*"], "ba", True),
        ("NumericLessThan", ["10"], "9.5", True),
        ("NumericGreaterThanEquals", ["10"], "9", False),
        ("NumericEquals", ["10"], "ten", False),
        ("DateGreaterThan", ["2020-01-01T00:00:00Z"], "2021-06-01T00:00:00Z", True),
        ("DateLessThan", ["2020-01-01T00:00:00Z"], "1577836799", True),
        ("Bool", ["true"], "TRUE", True),
        ("IpAddress", ["10.0.0.0/8"], "10.2.3.4", True),
        ("NotIpAddress", ["10.0.0.0/8", "192.0.2.0/24"], "192.0.2.7", False),
        ("IpAddress", ["2001:db8::/32"], "10.0.0.1", False),
        ("ArnLike", ["arn:aws:s3:::b-*"], "arn:aws:s3:::b-1", True),
        ("ArnNotEquals", ["arn:aws:iam::*:role/x"], "arn:aws:iam::1:role/x", False),
        ("BinaryEquals", ["QmluYXJ5"], "QmluYXJ5", True),
    ],
)
def test_operators(operator: str, values: list[str], value: str, expected: bool) -> None:
    assert check(operator, "k", values, {"k": (value,)}) is expected


def test_a_key_the_question_does_not_set_is_undecided() -> None:
    assert check("StringEquals", "aws:SourceVpc", ["vpc-1"], {}) is None
    assert check("NotIpAddress", "aws:SourceIp", ["10.0.0.0/8"], {}) is None


def test_an_absent_key_fails_positive_operators_and_passes_negated_and_if_exists() -> None:
    absent: dict[str, KeyValue] = {"k": Missing.ABSENT}
    assert check("StringEquals", "k", ["a"], absent) is False
    assert check("StringNotEquals", "k", ["a"], absent) is True
    assert check("StringEqualsIfExists", "k", ["a"], absent) is True
    assert check("Null", "k", ["true"], absent) is True
    assert check("Null", "k", ["false"], {"k": ("x",)}) is True


def test_key_names_ignore_case_values_do_not() -> None:
    assert check("StringEquals", "AWS:UserName", ["alice"], {"aws:username": ("alice",)}) is True
    assert check("StringEquals", "aws:username", ["Alice"], {"aws:username": ("alice",)}) is False


def test_set_operators_on_multivalued_keys() -> None:
    tags: dict[str, KeyValue] = {"aws:TagKeys": ("env", "team")}
    assert check("ForAllValues:StringEquals", "aws:TagKeys", ["env", "team", "x"], tags) is True
    assert check("ForAllValues:StringEquals", "aws:TagKeys", ["env"], tags) is False
    assert check("ForAnyValue:StringEquals", "aws:TagKeys", ["team"], tags) is True
    assert check("ForAnyValue:StringEquals", "aws:TagKeys", ["x"], tags) is False
    none: dict[str, KeyValue] = {"aws:TagKeys": Missing.ABSENT}
    assert check("ForAllValues:StringEquals", "aws:TagKeys", ["x"], none) is True
    assert check("ForAnyValue:StringEquals", "aws:TagKeys", ["x"], none) is False


def test_variables_in_string_values() -> None:
    context: dict[str, KeyValue] = {"aws:username": ("alice",), "s3:prefix": ("alice/x",)}
    assert check("StringLike", "s3:prefix", ["${aws:username}/*"], context) is True
    assert check("StringEquals", "s3:prefix", ["${aws:username}/*"], context) is False
    unknown: dict[str, KeyValue] = {"s3:prefix": ("alice/x",)}
    assert check("StringLike", "s3:prefix", ["${aws:userid}/*"], unknown) is None
    assert check("StringLike", "s3:prefix", ["bob/${aws:userid}"], unknown) is False
    default: dict[str, KeyValue] = {"aws:userid": Missing.ABSENT, "k": ("anonymous",)}
    assert check("StringEquals", "k", ["${aws:userid, 'anonymous'}"], default) is True
    assert check("StringEquals", "k", ["${*}"], {"k": ("*",)}) is True
    assert check("StringEquals", "k", ["${*}"], {"k": ("x",)}) is False


def test_an_operator_we_do_not_know_is_never_guessed() -> None:
    assert check("StringSoundsLike", "k", ["a"], {"k": ("a",)}) is None
