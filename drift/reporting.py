"""The weekly drift report as the core sees it (docs/report.md).

The report itself (templates, diagrams, mail) lives in `alerts/report` and is reached only
through the `drift.reports` entry point `weekly`, so the core never imports it. The core asks
for a report of a period (`ReportRequest`), gets it rendered (`RenderedReport`: subject, HTML
and plain text), and delivers it: into a file or a folder itself, or by mail through the
plugin. `drift report` and the `drift serve` job both go through `deliver`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Protocol

from drift.errors import DriftError
from drift.plugins import REPORTS_GROUP, load_plugin
from drift.settings import ReportSettings
from drift.store.records import Store

log = logging.getLogger(__name__)

REPORT_PLUGIN = "weekly"


class ReportError(DriftError):
    """A report could not be delivered (the mail server refused it, or could not be
    reached); the message names the server, never a password."""


@dataclass(frozen=True, kw_only=True)
class ReportRequest:
    """The report of what happened from `since` to `now`, dates shown in `timezone`."""

    now: datetime
    since: datetime
    timezone: str = "UTC"
    targets: tuple[str, ...] = ()  # empty: every target in the store


@dataclass(frozen=True, kw_only=True)
class RenderedReport:
    subject: str
    html: str
    text: str  # the plain-text alternative of the mail
    day: date  # the period's last day in the report's time zone
    summary: str  # one line for a person or a log: what the report says, in numbers

    @property
    def filename(self) -> str:
        return f"drift-report-{self.day.isoformat()}.html"


class Reporter(Protocol):
    def build(self, store: Store, request: ReportRequest) -> RenderedReport:
        """Read the store and render the report of the request's period."""

    def send(
        self, report: RenderedReport, settings: ReportSettings, environ: Mapping[str, str]
    ) -> list[str]:
        """Mail `report` through `settings.smtp` to `settings.to` (the password from
        `environ`); the recipients. Raises ReportError when the server refuses it."""


def load_reporter(found: Iterable[EntryPoint] | None = None) -> Reporter:
    """The installed report plugin (`found`: the entry points to choose from, for tests)."""
    reporter: Reporter = load_plugin(REPORTS_GROUP, REPORT_PLUGIN, found)()
    return reporter


def write_report(report: RenderedReport, path: Path) -> Path:
    """Write the HTML to `path`, whole or not at all (a reader never sees half a report)."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(report.html, encoding="utf-8")
    os.replace(partial, path)
    return path


def write_into(report: RenderedReport, folder: Path) -> Path:
    """Write the HTML into `folder` as `drift-report-<date>.html` (the folder is made)."""
    folder.mkdir(parents=True, exist_ok=True)
    return write_report(report, folder / report.filename)


def deliver(
    reporter: Reporter,
    report: RenderedReport,
    settings: ReportSettings,
    environ: Mapping[str, str],
) -> list[str]:
    """What the scheduled job does with a report: mail it when the settings have `smtp`,
    write it into `outDir` when they have one. Where it went, one entry per destination."""
    went = []
    if settings.out_dir is not None:
        went.append(str(write_into(report, Path(settings.out_dir))))
    if settings.smtp is not None:
        went.extend(reporter.send(report, settings, environ))
    return went
