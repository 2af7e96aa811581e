"""Wildcard matching as IAM does it.

- Actions (`service:Action`): `*` any run of characters, `?` one character, compared without
  regard to case (`S3:getobject` is `s3:GetObject`).
- ARNs (the `Resource` element, the Arn* condition operators): case-sensitive, and a wildcard
  stays inside its segment, the parts separated by the first five colons (partition, service,
  region, account); the sixth part, the resource, is matched whole and may hold colons. A
  pattern with fewer segments matches its last segment against the rest of the ARN. `*` alone
  matches anything.
- Strings (StringLike): case-sensitive globbing over the whole value.
"""

from __future__ import annotations

import functools
import re

ARN_PARTS = 6


@functools.lru_cache(maxsize=65536)
def glob_regex(pattern: str, ignore_case: bool = False, escaped: bool = False) -> re.Pattern[str]:
    """A compiled regex for one glob (`*`, `?`; everything else literal), matched whole.

    `escaped`: a backslash makes the next character literal (how `drift.aws.variables` writes
    a policy variable's value, or `${*}`, into a pattern)."""
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile(glob_source(pattern, escaped), flags)


def any_glob_regex(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One case-insensitive regex matching any of `patterns` whole (action globs)."""
    source = "|".join(f"(?:{glob_source(p)})" for p in patterns)
    return re.compile(source, re.IGNORECASE | re.DOTALL)


def glob_source(pattern: str, escaped: bool = False) -> str:
    """The regex source of one glob."""
    parts = []
    chars = iter(pattern)
    for char in chars:
        if escaped and char == "\\":
            parts.append(re.escape(next(chars, "\\")))
        elif char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return "".join(parts)


def has_wildcard(text: str) -> bool:
    return "*" in text or "?" in text


def glob_matches(pattern: str, value: str, *, escaped: bool = False) -> bool:
    """StringLike: case-sensitive glob over the whole value."""
    if not escaped and not has_wildcard(pattern):
        return pattern == value
    return glob_regex(pattern, False, escaped).fullmatch(value) is not None


def action_matches(pattern: str, action: str) -> bool:
    """Whether an Action/NotAction entry covers `action` (any case on either side)."""
    if pattern == "*":
        return True
    if not has_wildcard(pattern):
        return pattern.lower() == action.lower()
    return glob_regex(pattern, True).fullmatch(action) is not None


@functools.lru_cache(maxsize=65536)
def _arn_segments(pattern: str, escaped: bool) -> tuple[re.Pattern[str] | str, ...]:
    return tuple(
        glob_regex(part, False, escaped) if escaped or has_wildcard(part) else part
        for part in pattern.split(":", ARN_PARTS - 1)
    )


def arn_matches(pattern: str, arn: str, *, escaped: bool = False) -> bool:
    """Whether a Resource entry (or Arn* condition value) covers `arn`, segment by segment."""
    if pattern == "*" or (pattern == arn and not escaped):
        return True
    segments = _arn_segments(pattern, escaped)
    values = arn.split(":", len(segments) - 1)
    if len(values) < len(segments):
        return False
    return all(_segment_matches(s, v) for s, v in zip(segments, values, strict=True))


def _segment_matches(segment: re.Pattern[str] | str, value: str) -> bool:
    if isinstance(segment, str):
        return segment == value
    return segment.fullmatch(value) is not None
