"""The fast reading path (no aliases, shallow text) gives exactly what the careful one does."""

from __future__ import annotations

import pytest
from shared_corpus import corpus_path

from drift import yamlread


def careful(data: bytes) -> list[object]:
    text = data.decode("utf-8-sig")
    return list(yamlread._compose(text, yamlread._scan(text)))


def test_corpus_files_read_alike_on_both_paths() -> None:
    root = corpus_path("k8s")
    compared = 0
    for path in sorted(root.rglob("*.yaml")):
        data = path.read_bytes()
        fast = yamlread._read_shallow(data.decode("utf-8-sig"))
        if fast is None:
            continue
        assert fast == careful(data), path
        compared += 1
    assert compared >= 30  # nearly every corpus file is plain, shallow YAML


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("a: &x [1]\nb: *x\n", "an alias"),
        ("a: " + "[" * 300 + "]" * 300 + "\n", "deep flow nesting"),
        ('a: "one\n  two"\n', "a quoted scalar spanning lines"),
        ("a: [1,\n  2]\n", "a flow collection spanning lines"),
        ("a: it's\n", "a quote left open on its line"),
    ],
)
def test_text_the_cheap_bound_cannot_clear_takes_the_careful_path(text: str, why: str) -> None:
    assert yamlread._read_shallow(text) is None, why


def test_quoted_asterisks_are_not_taken_for_aliases() -> None:
    text = "schedule: '*/15 * * * *'\nhost: \"*.example.com\"\n"
    assert yamlread._read_shallow(text) == careful(text.encode())
