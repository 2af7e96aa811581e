"""Labels and label selectors, with three-valued matching.

Matching answers YES, NO or MAYBE. MAYBE is how "the input does not decide" enters the model:
a namespace whose labels are not in the input, or a label whose value differs from pod to pod
(StatefulSet's `statefulset.kubernetes.io/pod-name`) or is made up at run time
(`pod-template-hash`).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from drift.k8s.objects import FieldPath, KubeObject

_NAME = r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_NAME_RE = re.compile(rf"^{_NAME}$")
_DNS_SUBDOMAIN_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


def label_key_problem(key: object) -> str | None:
    """Why `key` is not a valid label key, or None when it is."""
    if not isinstance(key, str):
        return f"label key {key!r} is not a string"
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or not _DNS_SUBDOMAIN_RE.match(prefix)):
        return f"label key {key!r} has an invalid prefix"
    if not name or len(name) > 63 or not _NAME_RE.match(name):
        return f"label key {key!r} is not a valid label name"
    return None


def label_value_problem(value: object) -> str | None:
    """Why `value` is not a valid label value, or None when it is."""
    if not isinstance(value, str):
        return f"label value {value!r} is not a string"
    if value and (len(value) > 63 or not _NAME_RE.match(value)):
        return f"label value {value!r} is not valid"
    return None


class Truth(enum.Enum):
    """Three-valued answer: the inputs decide (YES / NO) or they do not (MAYBE)."""

    NO = 0
    MAYBE = 1
    YES = 2

    def __and__(self, other: Truth) -> Truth:
        return self if self.value <= other.value else other

    def __or__(self, other: Truth) -> Truth:
        return self if self.value >= other.value else other

    def __invert__(self) -> Truth:
        return Truth(2 - self.value)


@dataclass(frozen=True, kw_only=True)
class LabelView:
    """What is known of one object's labels.

    `known` labels have a known value on every pod of the class; `varying` keys are present
    with values that are not known or differ per pod; when `complete` is False, any other
    key may or may not be present (a namespace that is not in the input).
    """

    known: Mapping[str, str]
    varying: frozenset[str] = frozenset()
    patterns: Mapping[str, str] = field(default_factory=dict)  # shape of varying values
    complete: bool = True

    def could_be(self, key: str, value: str) -> bool:
        """Whether a varying label could take `value` (its shape allows it)."""
        pattern = self.patterns.get(key)
        return pattern is None or re.fullmatch(pattern, value) is not None


class Operator(enum.StrEnum):
    IN = "In"
    NOT_IN = "NotIn"
    EXISTS = "Exists"
    DOES_NOT_EXIST = "DoesNotExist"


@dataclass(frozen=True, kw_only=True, order=True)
class Requirement:
    key: str
    operator: Operator
    values: frozenset[str] = frozenset()

    def matches(self, labels: LabelView) -> Truth:
        if self.key in labels.known:
            return _decided(self._matches_value(labels.known[self.key]))
        if self.key in labels.varying:
            if self.operator in (Operator.EXISTS, Operator.DOES_NOT_EXIST):
                return _decided(self.operator is Operator.EXISTS)
            if not any(labels.could_be(self.key, v) for v in self.values):
                return _decided(self.operator is Operator.NOT_IN)
            return Truth.MAYBE
        if not labels.complete:
            return Truth.MAYBE
        # Absent label: NotIn and DoesNotExist match, In and Exists do not.
        return _decided(self.operator in (Operator.NOT_IN, Operator.DOES_NOT_EXIST))

    def _matches_value(self, value: str) -> bool:
        if self.operator is Operator.IN:
            return value in self.values
        if self.operator is Operator.NOT_IN:
            return value not in self.values
        return self.operator is Operator.EXISTS


def _decided(answer: bool) -> Truth:
    return Truth.YES if answer else Truth.NO


@dataclass(frozen=True, kw_only=True)
class Selector:
    """A label selector: the AND of its requirements. Empty selects everything."""

    requirements: tuple[Requirement, ...] = field(default=())

    def matches(self, labels: LabelView) -> Truth:
        result = Truth.YES
        for requirement in self.requirements:
            result &= requirement.matches(labels)
            if result is Truth.NO:
                break
        return result

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(r.key for r in self.requirements)

    def __str__(self) -> str:
        if not self.requirements:
            return "{}"
        parts = []
        for r in self.requirements:
            if r.operator is Operator.IN and len(r.values) == 1:
                parts.append(f"{r.key}={next(iter(r.values))}")
            elif r.operator in (Operator.IN, Operator.NOT_IN):
                parts.append(f"{r.key} {r.operator.value.lower()} ({','.join(sorted(r.values))})")
            else:
                parts.append(r.key if r.operator is Operator.EXISTS else f"!{r.key}")
        return ",".join(parts)


def selector_from_labels(labels: Mapping[str, str]) -> Selector:
    """The equality selector older APIs write as a plain map (ReplicationController, Service)."""
    return Selector(
        requirements=tuple(
            sorted(
                Requirement(key=k, operator=Operator.IN, values=frozenset([v]))
                for k, v in labels.items()
            )
        )
    )


def parse_labels(obj: KubeObject, path: FieldPath, problems: list[str]) -> dict[str, str]:
    """Labels at `path` (absent = none), validated; problems are appended, never raised."""
    raw = obj.get(path)
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        problems.append(obj.problem(path, "must be a mapping of label keys to values"))
        return {}
    labels: dict[str, str] = {}
    for key, value in raw.items():
        problem = label_key_problem(key) or label_value_problem(value)
        if problem:
            problems.append(obj.problem((*path, str(key)), problem))
        else:
            labels[key] = value
    return labels


def parse_selector(obj: KubeObject, path: FieldPath, problems: list[str]) -> Selector | None:
    """The selector at `path`; None when absent or invalid (with problems appended)."""
    raw = obj.get(path)
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        problems.append(obj.problem(path, "a label selector must be a mapping"))
        return None
    before = len(problems)
    requirements = list(
        selector_from_labels(parse_labels(obj, (*path, "matchLabels"), problems)).requirements
    )
    requirements.extend(_parse_expressions(obj, (*path, "matchExpressions"), problems))
    unknown = sorted(set(raw) - {"matchLabels", "matchExpressions"})
    if unknown:
        problems.append(obj.problem((*path, unknown[0]), "unknown field in a label selector"))
    if len(problems) > before:
        return None
    return Selector(requirements=tuple(sorted(set(requirements))))


def _parse_expressions(
    obj: KubeObject, path: FieldPath, problems: list[str]
) -> Iterable[Requirement]:
    raw = obj.get(path)
    if raw is None:
        return
    if not isinstance(raw, list):
        problems.append(obj.problem(path, "must be a list"))
        return
    for index, expression in enumerate(raw):
        requirement = _parse_expression(obj, (*path, index), expression, problems)
        if requirement is not None:
            yield requirement


def _parse_expression(
    obj: KubeObject, path: FieldPath, raw: Any, problems: list[str]
) -> Requirement | None:
    if not isinstance(raw, Mapping):
        problems.append(obj.problem(path, "must be a mapping with key, operator and values"))
        return None
    key, operator, values = raw.get("key"), raw.get("operator"), raw.get("values") or []
    problem = label_key_problem(key)
    if problem:
        problems.append(obj.problem((*path, "key"), problem))
        return None
    try:
        op = Operator(str(operator))
    except ValueError:
        problems.append(
            obj.problem(
                (*path, "operator"),
                f"unknown operator {operator!r} (expected In, NotIn, Exists or DoesNotExist)",
            )
        )
        return None
    if not isinstance(values, list):
        problems.append(obj.problem((*path, "values"), "must be a list"))
        return None
    needs_values = op in (Operator.IN, Operator.NOT_IN)
    if needs_values and not values:
        problems.append(obj.problem((*path, "values"), f"must be non-empty for {op.value}"))
        return None
    if not needs_values and values:
        problems.append(obj.problem((*path, "values"), f"must be empty for {op.value}"))
        return None
    for i, value in enumerate(values):
        problem = label_value_problem(value)
        if problem:
            problems.append(obj.problem((*path, "values", i), problem))
            return None
    return Requirement(key=str(key), operator=op, values=frozenset(values))
