"""The resource tags an escalation step asks for, and the questions that set them (pure):
an Allow statement granting a request on a user or role only when it carries some tags
(`aws:ResourceTag/<key>`, `iam:ResourceTag/<key>` equal to, or like, a value) names a set
of tags; whoever may `iam:TagUser` / `iam:TagRole` the resource with them (asked with
`aws:RequestTag/<key>` and `aws:TagKeys`) can make the request allowed. Used by
`drift.aws.escalation_probe`."""

from __future__ import annotations

from drift.aws.conditions import ConditionTest
from drift.aws.policy import Statement
from drift.aws.statements import RESOURCE_TAG_PREFIXES

TAGGING = frozenset({"iam:taguser", "iam:tagrole"})  # lower case, as action keys
# Operators a tag's value can be chosen to satisfy (with or without IfExists).
_EQUALS = frozenset({"stringequals", "stringequalsignorecase", "stringlike"})
Tags = tuple[tuple[str, str], ...]  # (key as the condition writes it, value), sorted


def retagged(tags: Tags) -> tuple[tuple[str, str], ...]:
    """The context keys of a request on the resource once it carries `tags`."""
    return tuple(
        (f"{prefix}{k}", v) for k, v in tags for prefix in ("aws:ResourceTag/", "iam:ResourceTag/")
    )


def tag_request(tags: Tags) -> tuple[tuple[str, str], ...]:
    """The context keys of the request setting `tags` (`aws:TagKeys` given once per key)."""
    return (
        *((f"aws:RequestTag/{k}", v) for k, v in tags),
        *(("aws:TagKeys", k) for k, _ in tags),
    )


def reads_tags_in_values(statement: Statement) -> bool:
    """Whether a condition value reads a resource tag through a policy variable."""
    return statement.variables and any(
        "resourcetag/" in v.lower() for t in statement.conditions for v in t.values
    )


def tags_asked(statement: Statement) -> Tags:
    """The resource tags, with values, that make the statement's resource-tag conditions
    hold; () when it has none, or one no single value is chosen for (a negated operator, a
    set qualifier, a variable, two values asked of one key)."""
    found: dict[str, tuple[str, str]] = {}
    for test in statement.conditions:
        name = test.key.lower()
        if not name.startswith(RESOURCE_TAG_PREFIXES):
            continue
        value = _tag_value(test)
        tag = test.key.partition("/")[2]
        kept = found.get(tag.lower())
        if value is None or (kept is not None and kept[1] != value):
            return ()
        found[tag.lower()] = (tag, value)
    return tuple(sorted(found.values()))


def _tag_value(test: ConditionTest) -> str | None:
    qualifier, name, _ = test.parts
    if qualifier is not None or name not in _EQUALS:
        return None
    for value in test.values:
        if "${" in value:
            continue
        if name == "stringlike":
            return value.replace("*", "x").replace("?", "x")
        return value
    return None


def merged_tags(sets: list[Tags]) -> Tags | None:
    """Every set's tags at once; None when two ask one key for different values."""
    found: dict[str, tuple[str, str]] = {}
    for tags in sets:
        for tag, value in tags:
            kept = found.setdefault(tag.lower(), (tag, value))
            if kept[1] != value:
                return None
    return tuple(sorted(found.values()))
