"""A check result for a person at a terminal: what drifted, why, and where to fix it.

Layout: a header (what was checked, against which baseline), the findings grouped by kind,
the unknowns (not findings), the notes, and a one-line summary. Flow findings are grouped per
destination and per service pair, so one misconfigured policy reads as one cause, not as a
wall of ports.

Order (the output depends only on the result, never on the order findings arrive in):
- kinds by the highest severity among their findings, then kind id;
- flows by destination (highest severity, then subjects[1]), inside a destination by source
  (highest severity, then subjects[0]), inside a pair in the JSON order (by protocol);
- other findings in the JSON order (severity, kind, subjects, protocol);
- unknowns by subjects, detail, reasons; evidence and notes as the check gives them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby

from drift.findings import CheckResult, Evidence, Finding, FindingKind, Severity, Unknown
from drift.output.json_format import (
    SEVERITIES_HIGH_FIRST,
    ordered_findings,
    ordered_unknowns,
    severity_counts,
)
from drift.output.sarif import KIND_TEXT

_SEVERITY_COLOUR = {
    Severity.CRITICAL: "1;97;41",  # bold white on red
    Severity.HIGH: "1;31",  # bold red
    Severity.MEDIUM: "33",  # yellow
    Severity.LOW: "36",  # cyan
    Severity.INFO: "2",  # dim
}
_LABEL_WIDTH = max(len(s) for s in Severity) + 2
_INDENT = "  "
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


@dataclass(frozen=True)
class _Style:
    colour: bool

    def paint(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.colour else text

    def bold(self, text: str) -> str:
        return self.paint(text, "1")

    def label(self, severity: Severity) -> str:
        """`HIGH` padded to a column; the padding stays outside the colour codes."""
        text = str(severity).upper()
        return self.paint(text, _SEVERITY_COLOUR[severity]) + " " * (_LABEL_WIDTH - len(text))

    def count(self, n: int, severity: Severity) -> str:
        return self.paint(f"{n} {severity}", _SEVERITY_COLOUR[severity])


def render_text(result: CheckResult, *, colour: bool) -> str:
    """The report as terminal text; ANSI colour codes only when `colour`."""
    style = _Style(colour)
    sections = [
        _header(result),
        *_kind_sections(result.findings, style),
        _unknowns_section(result.unknowns, style),
        _notes_section(result.notes, style),
        [_summary(result, style)],
    ]
    return "\n\n".join("\n".join(s) for s in sections if s) + "\n"


# --- header and summary ---------------------------------------------------------------


def _header(result: CheckResult) -> list[str]:
    checked = f"checked:  {result.source} (cluster {result.cluster})"
    baseline = (
        f"baseline: {result.baseline_name} version {result.baseline_version}"
        f" ({result.baseline_path})"
    )
    return ["design-drift check", *_indented(_INDENT, [checked, baseline])]


def summary_line(result: CheckResult, *, colour: bool = False) -> str:
    """`3 findings: 1 high, 2 medium; 2 unknown`, or `no drift from the approved design`."""
    return _summary(result, _Style(colour))


def _summary(result: CheckResult, style: _Style) -> str:
    counts = severity_counts(result.findings)
    total = len(result.findings)
    if total:
        parts = [style.count(counts[s], s) for s in SEVERITIES_HIGH_FIRST if counts[s]]
        line = f"{total} finding{'s' if total != 1 else ''}: {', '.join(parts)}"
    else:
        line = "no drift from the approved design"
    return f"{line}; {len(result.unknowns)} unknown" if result.unknowns else line


# --- findings ---------------------------------------------------------------------------


def _kind_sections(findings: Sequence[Finding], style: _Style) -> list[list[str]]:
    by_kind: dict[FindingKind, list[Finding]] = {}
    for finding in ordered_findings(findings):
        by_kind.setdefault(finding.kind, []).append(finding)
    kinds = sorted(by_kind, key=lambda k: (-_highest(by_kind[k]).rank, str(k)))
    return [_kind_section(k, by_kind[k], style) for k in kinds]


def _kind_section(kind: FindingKind, findings: list[Finding], style: _Style) -> list[str]:
    heading = style.bold(f"{kind} ({len(findings)})") + f" - {KIND_TEXT[kind].short}"
    if kind is not FindingKind.FLOW:
        return [heading, *_flat(findings, style)]
    pairs = [f for f in findings if len(f.subjects) >= 2]
    rest = [f for f in findings if len(f.subjects) < 2]
    return [heading, *_flows(pairs, style), *_flat(rest, style)]


def _flat(findings: Iterable[Finding], style: _Style) -> list[str]:
    lines: list[str] = []
    for finding in findings:
        body = [finding.title]
        if finding.subjects:
            body.append(f"subjects: {', '.join(finding.subjects)}")
        body += _path(finding)
        body += _details([finding], shared=())
        lines += _block(_INDENT, style.label(finding.severity), body)
    return lines


def _path(finding: Finding) -> list[str]:
    """The attack path, a step a line: `path: 1. a assumes b (how)`."""
    lines = []
    for number, step in enumerate(finding.path, 1):
        how = f" ({step.evidence[0].text})" if step.evidence else ""
        prefix = "path: " if number == 1 else "      "
        lines.append(f"{prefix}{number}. {step.source} {step.relation} {step.target}{how}")
    return lines


def _flows(findings: list[Finding], style: _Style) -> list[str]:
    """Per destination, its shared root cause; per source, one block for the pair."""
    lines: list[str] = []
    for target, group in _grouped(findings, lambda f: f.subjects[1]):
        pairs = _grouped(group, lambda f: f.subjects[0])
        shared = _shared_evidence(group) if len(pairs) > 1 else ()
        lines += _indented(_INDENT, [f"to {target}"])
        lines += _indented(_INDENT * 2, [f"root cause: {_evidence(e)}" for e in shared])
        for source, pair in pairs:
            ports = _pair_ports(pair)
            head = f"{source} -> {target}" + (f"  {ports}" if ports else "")
            lines += _block(_INDENT * 2, style.label(_highest(pair)), [head, *_body(pair, shared)])
    return lines


def _grouped(
    findings: Iterable[Finding], key: Callable[[Finding], str]
) -> list[tuple[str, list[Finding]]]:
    """Findings grouped by `key`: highest severity first, then the key; order kept inside."""
    ordered = sorted(findings, key=key)
    groups = [(k, ordered_findings(g)) for k, g in groupby(ordered, key=key)]
    return sorted(groups, key=lambda kg: (-_highest(kg[1]).rank, kg[0]))


def _shared_evidence(findings: Sequence[Finding]) -> tuple[Evidence, ...]:
    """Evidence every finding in `findings` gives: the cause they have in common."""
    first, *others = findings
    return tuple(e for e in first.evidence if all(e in f.evidence for f in others))


def _pair_ports(pair: Sequence[Finding]) -> str:
    """The extra ports in `PortSet.describe` words (`TCP 8080-8081; UDP all ports`), the
    vocabulary of finding titles. A pair is one finding; should it be several, each part is
    marked with its severity when they differ."""
    mixed = len({f.severity for f in pair}) > 1
    parts: list[str] = []
    for finding in pair:
        text = finding.ports.describe() if finding.ports else str(finding.protocol or "")
        if text and mixed:
            text += f" ({finding.severity})"
        if text and text not in parts:
            parts.append(text)
    return "; ".join(parts)


def _body(findings: Sequence[Finding], shared: Sequence[Evidence]) -> list[str]:
    """Titles, then details, evidence (less what is shared), clauses and fix locations."""
    return _unique(f.title for f in findings) + _details(findings, shared)


def _details(findings: Sequence[Finding], shared: Sequence[Evidence]) -> list[str]:
    evidence = [e for f in findings for e in f.evidence if e not in shared]
    return [
        *_unique(f.detail for f in findings),
        *_unique(f"evidence: {_evidence(e)}" for e in evidence),
        *_unique(f"baseline: {f.clause}" for f in findings if f.clause),
        *_unique(f"fix at: {f.location}" for f in findings if f.location),
    ]


def _evidence(evidence: Evidence) -> str:
    return f"{evidence.text} ({evidence.source})" if evidence.source else evidence.text


def _highest(findings: Iterable[Finding]) -> Severity:
    return max((f.severity for f in findings), key=lambda s: s.rank)


# --- unknowns and notes -----------------------------------------------------------------


def _unknowns_section(unknowns: Sequence[Unknown], style: _Style) -> list[str]:
    if not unknowns:
        return []
    lines = [style.bold("Unknown (not findings)")]
    for unknown in ordered_unknowns(unknowns):
        body = [unknown.detail, *(f"because: {r}" for r in unknown.reasons)]
        if unknown.location is not None:
            body.append(f"at: {unknown.location}")
        if unknown.subjects:
            lines += _indented(_INDENT, [", ".join(unknown.subjects)])
        lines += _indented(_INDENT * 2, _unique(body))
    return lines


def _notes_section(notes: Sequence[str], style: _Style) -> list[str]:
    if not notes:
        return []
    return [style.bold("Notes"), *_indented(_INDENT, [f"- {n}" for n in notes])]


# --- layout helpers ---------------------------------------------------------------------


def _block(indent: str, lead: str, body: Sequence[str]) -> list[str]:
    """`lead` then the first body line on one line; the rest under the first body line."""
    first, *rest = _indented("", body) or [""]
    head = f"{indent}{lead}{first}".rstrip()
    return [head, *_indented(indent + " " * _visible_len(lead), rest)]


def _indented(indent: str, lines: Iterable[str]) -> list[str]:
    """Each line (and each line inside a multi-line text) under `indent`, made safe to print.

    Every text that comes from the inputs passes through here."""
    return [
        f"{indent}{_printable(part)}".rstrip()
        for line in lines
        for part in line.splitlines() or [""]
    ]


def _printable(text: str) -> str:
    """Control characters (an escape sequence in a file name, say) and bidirectional
    overrides shown as `\\x1b`-style escapes, so input text cannot drive the terminal."""
    return "".join(_escaped(c) if _is_control(c) else c for c in text)


def _is_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc" or char in _BIDI_CONTROLS


def _escaped(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def _visible_len(text: str) -> int:
    """Length without ANSI colour codes."""
    return len(_ANSI.sub("", text))


def _unique(items: Iterable[str]) -> list[str]:
    return [item for item in dict.fromkeys(items) if item]
