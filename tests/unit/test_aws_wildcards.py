"""Our wildcard action matching against an independent implementation: policyuniverse
expands a pattern over its own list of every IAM action; we match the same list."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drift.aws.patterns import action_matches, arn_matches

expander = pytest.importorskip("policyuniverse.expander_minimizer")
from policyuniverse import all_permissions  # noqa: E402

ACTIONS = sorted(all_permissions)


@st.composite
def patterns(draw: st.DrawFn) -> str:
    """A real action, with some stretches turned into `*`, some letters into `?`, and its
    case changed here and there; always with one `*` (policyuniverse takes a pattern without
    one as a literal action)."""
    text = list(draw(st.sampled_from(ACTIONS)))
    for _ in range(draw(st.integers(0, 3))):
        index = draw(st.integers(0, len(text) - 1))
        text[index] = "?"
    start = draw(st.integers(0, len(text)))
    end = draw(st.integers(start, min(len(text), start + 12)))
    text[start:end] = ["*"]
    flips = draw(st.lists(st.integers(0, len(text) - 1), max_size=4))
    for index in flips:
        text[index] = text[index].upper()
    return "".join(text)


def ours(pattern: str) -> set[str]:
    return {a for a in ACTIONS if action_matches(pattern, a)}


def policy(element: str, pattern: str) -> dict[str, object]:
    return {"Statement": [{"Effect": "Allow", element: [pattern], "Resource": "*"}]}


@settings(max_examples=150, deadline=None)
@given(patterns())
def test_action_wildcards_expand_as_policyuniverse_expands_them(pattern: str) -> None:
    [statement] = expander.expand_policy(policy("Action", pattern))["Statement"]
    assert ours(pattern) == set(statement["Action"])


@settings(max_examples=40, deadline=None)
@given(patterns())
def test_not_action_covers_every_other_action_as_policyuniverse_inverts(pattern: str) -> None:
    [statement] = expander.expand_policy(policy("NotAction", pattern))["Statement"]
    assert set(ACTIONS) - ours(pattern) == set(statement["Action"])


def test_a_star_covers_every_action_and_a_literal_only_itself() -> None:
    assert ours("*") == set(ACTIONS)
    assert ours("IAM:PassRole") == {"iam:passrole"}


@given(st.text(alphabet="ab/:*?", max_size=12), st.text(alphabet="ab/:", max_size=12))
def test_an_arn_pattern_without_colons_in_its_wildcards_is_a_plain_glob(
    pattern: str, value: str
) -> None:
    """Where the pattern and value have the same six segments, segment-wise matching is the
    segments' own globs: the property ties the two readings together."""
    import fnmatch

    full_pattern = f"arn:aws:s3:::{pattern.replace(':', '')}"
    full_value = f"arn:aws:s3:::{value}"
    expected = fnmatch.fnmatchcase(full_value, full_pattern.replace("[", "[[]"))
    assert arn_matches(full_pattern, full_value) is expected
