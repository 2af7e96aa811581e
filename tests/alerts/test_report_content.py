"""What the weekly report says about a known history: sections, rows, trend, attack path,
and that hostile text stays text."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest

from alerts.report import WeeklyReport
from alerts.report.compose import compose
from alerts.report.content import Report
from alerts.report.gather import gather
from drift.reporting import RenderedReport, ReportRequest
from drift.store.sql import SqlStore

from .history import HOSTILE_EVIDENCE, HOSTILE_TITLE, NOW

REQUEST = ReportRequest(
    now=NOW, since=NOW - timedelta(days=7), timezone="Europe/Berlin", targets=("prod",)
)


@pytest.fixture
def report(store: SqlStore) -> Report:
    return compose(gather(store, REQUEST))


@pytest.fixture
def rendered(store: SqlStore) -> RenderedReport:
    return WeeklyReport().build(store, REQUEST)


def fps(items: object) -> list[str]:
    return [i.fingerprint[0] for i in items]  # type: ignore[attr-defined]


def test_findings_land_in_the_section_their_lifecycle_says(report: Report) -> None:
    drifted = [
        (g.severity, z.zone, fps(z.items)) for g in report.drifted for z in g.zones
    ]  # blast radius (H) is drawn in its own section, not listed twice
    assert drifted == [
        ("critical", "payments", ["A"]),
        ("high", "shop", ["B", "J"]),
        ("medium", "shop", ["I"]),
    ]
    assert report.drifted_count == 5
    assert fps(report.blast) == ["H"]
    assert fps(report.resolved) == ["D"]
    assert fps(report.still_open) == ["C"]
    assert fps(report.unverifiable) == ["G"]
    assert [a.item.fingerprint[0] for a in report.accepted] == ["E", "F"]
    assert [a.item.fingerprint[0] for a in report.expiring] == ["E"]
    reopened = next(i for g in report.drifted for z in g.zones for i in z.items if i.reopened)
    assert reopened.fingerprint[0] == "J"


def test_findings_speak_the_design_words(report: Report) -> None:
    first = report.drifted[0].zones[0]
    assert first.description == "namespaces payments"
    item = first.items[0]
    assert item.subjects == ("pods of unlisted namespaces", "payment")
    assert item.clause == "baseline.yaml:59: flows (no flow allows this pair)"
    assert item.evidence[0].where == "np.yaml:40"
    assert item.kind_label == "flow beyond the design"


def test_accepted_risks_show_owner_reason_until_and_days_left(report: Report) -> None:
    expiring = report.expiring[0]
    assert (expiring.owner, expiring.reason, expiring.until) == (
        "ops-lead",
        "edge proxy swap",
        "3 Apr 2025",
    )
    assert expiring.days_left == 10
    assert not report.accepted[1].expiring


def test_the_attack_path_is_drawn_from_the_stored_steps(report: Report) -> None:
    path = report.blast[0].path
    assert path is not None
    assert [(n.name, n.role, n.note) for n in path.nodes] == [
        ("Pod shop/web-7d4f9", "workload", "zone shop"),
        ("ServiceAccount shop/web", "identity", "zone shop"),
        ("ServiceAccount payments/settlement", "identity", "zone payments"),
        ("payment", "crown jewel", "zone payments · Holds card tokens."),
    ]
    assert [s.relation for s in path.steps] == ["runs as", "can act as", "can connect to"]
    assert path.steps[1].evidence[0].where == "rbac.yaml:31"
    assert report.headline.startswith("An attacker can newly reach payment.")


def test_the_trend_counts_open_findings_per_week_by_severity(report: Report) -> None:
    weeks = report.trend.weeks
    assert [w.label for w in weeks] == [
        "3 Feb", "10 Feb", "17 Feb", "24 Feb", "3 Mar", "10 Mar", "17 Mar", "24 Mar",
    ]  # fmt: skip
    assert not weeks[0].monitored  # before the first run: no data, not zero
    shown = [{s: n for s, n in w.counts.items() if n} | {"accepted": w.accepted} for w in weeks[1:]]
    assert shown == [
        {"high": 1, "low": 1, "accepted": 0},  # J, K
        {"high": 2, "low": 1, "accepted": 0},  # D, J, K
        {"high": 2, "medium": 1, "accepted": 0},  # C, D, J (K resolved)
        {"high": 2, "medium": 2, "accepted": 0},  # C, D, F, J
        {"high": 2, "medium": 2, "accepted": 1},  # E accepted from day 15
        {"high": 3, "medium": 2, "accepted": 1},  # G appears
        {"critical": 2, "high": 3, "medium": 2, "accepted": 2},  # now: F accepted too
    ]
    assert report.trend.peak == 7
    widths = [sum(s.width for s in w.segments) for w in weeks]
    assert widths[-1] == report.trend.bar_width  # the peak fills the bar


def test_monitor_health_counts_the_periods_runs_and_names_what_was_not_collected(
    report: Report,
) -> None:
    (health,) = report.health
    assert (health.runs, health.ok, health.incomplete, health.failed) == (3, 1, 1, 1)
    assert health.design == "online-shop version 3"
    assert [(p.scope, p.status, p.runs) for p in health.problems] == [
        ("rbac.authorization.k8s.io/ClusterRole", "forbidden", 1),
        ("the whole collection", "failed", 1),
    ]
    assert "ClusterRole (forbidden)" in report.unverifiable[0].why_unverifiable
    (design,) = report.designs
    assert design.approved == "approved by architecture-board@example.com on 2 Feb 2025"
    assert design.crown_jewels == ("payment",)


def test_a_target_filter_keeps_other_targets_out(store: SqlStore) -> None:
    every = compose(gather(store, ReportRequest(now=NOW, since=REQUEST.since)))
    assert every.targets == ("prod", "staging")
    assert "S" in fps(i for g in every.drifted for z in g.zones for i in z.items)
    assert "S" not in fps(i for g in compose(gather(store, REQUEST)).drifted for z in g.zones
                          for i in z.items)  # fmt: skip


class Visible(HTMLParser):
    """The text a reader sees, and every tag and attribute used."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: set[str] = set()
        self.attributes: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.text.append(" ".join(data.split()))


def visible(html: str) -> Visible:
    parser = Visible()
    parser.feed(html)
    return parser


def test_the_html_has_every_section_in_order(rendered: RenderedReport) -> None:
    text = " ".join(visible(rendered.html).text)
    sections = [
        "Blast radius widened (1)",
        "Drifted from the approved design (5)",
        "Open drift over 8 weeks",
        "Resolved (1)",
        "Accepted risks (2)",
        "Still open from before (1)",
        "Unverifiable (1)",
        "Monitor health and the design judged",
    ]
    positions = [text.find(s) for s in sections]
    assert -1 not in positions, [s for s, p in zip(sections, positions, strict=True) if p < 0]
    assert positions == sorted(positions)
    for words in [
        "Zone payments",
        "baseline.yaml:59: flows (no flow allows this pair)",
        "ops-lead",
        "edge proxy swap",
        "1 accepted risk expires within 14 days.",
        "ServiceAccount payments/settlement",
        "can act as",
        "re-opened",
        "online-shop version 3",
        "not monitored yet",
    ]:
        assert words in text, words


def test_hostile_text_is_escaped_never_markup(rendered: RenderedReport) -> None:
    html = rendered.html
    assert "<script" not in html
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in html
    assert "<img" not in html and "<b>bold</b>" not in html
    seen = visible(html)
    assert HOSTILE_TITLE in " ".join(seen.text)
    assert HOSTILE_EVIDENCE in " ".join(seen.text)
    assert "onerror" not in seen.attributes


def test_the_html_is_fit_for_mail_clients(rendered: RenderedReport) -> None:
    seen = visible(rendered.html)
    assert not seen.tags & {"script", "style", "link", "svg", "img", "iframe", "object"}
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", rendered.html)
    assert "table" in seen.tags and "bgcolor" in seen.attributes
    assert 'width="720"' in rendered.html


def test_the_plain_text_part_says_the_same(rendered: RenderedReport) -> None:
    text = rendered.text
    assert HOSTILE_TITLE in text  # plain text is not markup: shown as written
    assert "[identity] ServiceAccount shop/web (zone shop)" in text
    assert "|  can act as: RoleBinding payments/impersonators" in text
    assert "24 Mar     7" in text
    assert "ACCEPTED RISKS (2, 1 expiring within 14 days)" in text


def test_subject_and_file_name(rendered: RenderedReport) -> None:
    assert rendered.subject == (
        "Design drift, online-shop, 17 Mar to 24 Mar 2025: "
        "5 new findings (2 critical, 2 high, 1 medium), 1 resolved"
    )
    assert rendered.filename == "drift-report-2025-03-24.html"
