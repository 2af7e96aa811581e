"""The weekly drift report for architects (docs/report.md): the `drift.reports` plugin
`weekly`, reached by the core only through its entry point.

gather (read the store) → compose (pure: sections in the design's words, the trend, the
attack-path diagrams) → render (Jinja2: HTML for mail and browsers, and plain text) → mail.
"""

from __future__ import annotations

from collections.abc import Mapping

from alerts.report.compose import compose
from alerts.report.gather import gather
from alerts.report.mail import send
from alerts.report.render import render
from drift.reporting import RenderedReport, ReportRequest
from drift.settings import ReportSettings
from drift.store.records import Store


class WeeklyReport:
    """The `drift.reports` plugin `weekly` (a `drift.reporting.Reporter`)."""

    def build(self, store: Store, request: ReportRequest) -> RenderedReport:
        return render(compose(gather(store, request)), request.now)

    def send(
        self, report: RenderedReport, settings: ReportSettings, environ: Mapping[str, str]
    ) -> list[str]:
        return send(report, settings, environ)


__all__ = ["WeeklyReport"]
