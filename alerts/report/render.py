"""The report as HTML (for a browser and a mail client) and as plain text, from Jinja2
templates in `templates/`, HTML autoescaped: a finding's title is data, never markup."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

import jinja2

from alerts.report.content import Report
from alerts.report.words import SEVERITIES, SEVERITY_COLOURS
from drift.reporting import RenderedReport


@cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("alerts.report", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(report: Report, now: datetime) -> RenderedReport:
    env = environment()
    context = {
        "r": report,
        "severities": SEVERITIES,
        "colours": SEVERITY_COLOURS,
        "multi": len(report.targets) > 1,
    }
    return RenderedReport(
        subject=report.subject,
        html=env.get_template("report.html.j2").render(context),
        text=env.get_template("report.txt.j2").render(context),
        day=now.astimezone(ZoneInfo(report.timezone)).date(),
        summary=report.summary,
    )
