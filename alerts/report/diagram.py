"""An attack path as boxes and arrows, in the design's words (pure).

A blast-radius finding keeps its path as steps `{source, relation, target, evidence}`; the
diagram is its chain of nodes (each once) with the relation and the responsible objects on
each arrow. The HTML draws it with table cells (mail clients strip SVG and block images).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from alerts.report.content import AttackPath, Evidence, Node, Step
from alerts.report.words import relation_label, source_words, subject_kind, subject_name
from drift.baseline.model import Baseline

# role: (fill, border)
ROLE_COLOURS = {
    "workload": ("#eff6ff", "#2563eb"),
    "service": ("#eff6ff", "#2563eb"),
    "identity": ("#f5f3ff", "#7c3aed"),
    "crown jewel": ("#fef2f2", "#b91c1c"),
    "network": ("#fff7ed", "#ea580c"),
    "internet": ("#fff7ed", "#ea580c"),
    "resource": ("#f9fafb", "#6b7280"),
}


def evidence_of(items: Sequence[Mapping[str, Any]]) -> tuple[Evidence, ...]:
    return tuple(
        Evidence(text=str(e.get("text", "")), where=source_words(e.get("source"))) for e in items
    )


def attack_path(
    steps: Sequence[Mapping[str, Any]], baseline: Baseline | None, *, ends_at_jewel: bool
) -> AttackPath | None:
    """The diagram of `steps`; None when there are none. `ends_at_jewel`: the last node is a
    crown jewel even where the design does not say so (a blast-radius finding's target)."""
    if not steps:
        return None
    ids = [str(steps[0].get("source", "?")), *(str(s.get("target", "?")) for s in steps)]
    nodes = [node(i, baseline) for i in ids]
    if ends_at_jewel and nodes[-1].role != "crown jewel":
        nodes[-1] = _with_role(nodes[-1], "crown jewel")
    arrows = tuple(
        Step(
            relation=relation_label(str(s.get("relation", ""))),
            evidence=evidence_of(s.get("evidence") or ()),
        )
        for s in steps
    )
    return AttackPath(nodes=tuple(nodes), steps=arrows)


def node(subject: str, baseline: Baseline | None) -> Node:
    role = subject_kind(subject)
    note = _zone_of(subject, baseline)
    if role == "service" and baseline is not None:
        service = baseline.services.get(subject.removeprefix("service:"))
        if service is not None:
            role = "crown jewel" if service.crown_jewel else "service"
            note = " · ".join(x for x in (f"zone {service.zone}", service.description) if x)
    fill, border = ROLE_COLOURS.get(role, ROLE_COLOURS["resource"])
    return Node(name=subject_name(subject), role=role, note=note, fill=fill, border=border)


def _with_role(old: Node, role: str) -> Node:
    fill, border = ROLE_COLOURS[role]
    return Node(name=old.name, role=role, note=old.note, fill=fill, border=border)


def _zone_of(subject: str, baseline: Baseline | None) -> str:
    """`zone shop` for an object in a namespace the design puts in zone shop."""
    parts = subject.split("/")
    if baseline is None or not subject.startswith("k8s:") or len(parts) < 4:
        return ""
    namespace = parts[1]
    for name, zone in baseline.zones.items():
        if namespace in zone.namespaces:
            return f"zone {name}"
    return f"namespace {namespace}"
