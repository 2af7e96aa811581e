"""`drift report`: the weekly drift report, into a file, a folder, or by mail (docs/report.md)."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

import click

from drift.commands.common import handle_errors
from drift.commands.monitor import now, opened_store
from drift.errors import InputError
from drift.periods import PERIOD_HELP, parse_period
from drift.reporting import (
    ReportRequest,
    deliver,
    load_reporter,
    write_into,
    write_report,
)
from drift.settings import ReportSettings, Settings, load_settings, zone_info
from drift.store.records import Store


@click.command("report")
@click.option(
    "--config",
    "--settings",
    "config_path",
    metavar="FILE",
    help="Settings file (report: section for mail). Default: the bundled example.",
)
@click.option("--database", metavar="URL", help="Store to read; overrides the settings.")
@click.option("--since", metavar="PERIOD", help=f"Period covered, {PERIOD_HELP}. Default: 7d.")
@click.option("--target", "targets", multiple=True, metavar="NAME", help="Only this target.")
@click.option("--out", metavar="FILE", help="Write the HTML report to FILE.")
@click.option("--out-dir", metavar="DIR", help="Write DIR/drift-report-<date>.html.")
@click.option("--mail", is_flag=True, help="Send it with the settings' report.smtp.")
@handle_errors
def report_command(
    config_path: str | None,
    database: str | None,
    since: str | None,
    targets: tuple[str, ...],
    out: str | None,
    out_dir: str | None,
    mail: bool,
) -> None:
    """The drift report of a period for architects: HTML with diagrams and a trend chart."""
    if sum(bool(x) for x in (out, out_dir, mail)) != 1:
        raise InputError(["give one of --out FILE, --out-dir DIR or --mail"])
    settings = _settings(config_path, database)
    report_settings = settings.report
    period = _period(since, report_settings)
    if mail and (report_settings is None or report_settings.smtp is None):
        raise InputError(["--mail: the settings have no report.smtp (see docs/report.md)"])
    reporter = load_reporter()
    with opened_store(settings) as store:
        request = _request(store, settings, period, targets)
        rendered = reporter.build(store, request)
    if mail:
        assert report_settings is not None
        sent = deliver(reporter, rendered, _mail_only(report_settings), os.environ)
        click.echo(f"mailed {rendered.subject!r} to {', '.join(sent)}")
        return
    path = write_report(rendered, Path(out)) if out else write_into(rendered, Path(str(out_dir)))
    click.echo(f"wrote {path}: {rendered.summary}")


def _settings(config_path: str | None, database: str | None) -> Settings:
    settings = load_settings(config_path)
    return settings.model_copy(update={"database": database}) if database else settings


def _period(since: str | None, settings: ReportSettings | None) -> timedelta:
    if since is None:
        return settings.period if settings is not None else timedelta(days=7)
    try:
        return parse_period(since)
    except ValueError as exc:
        raise InputError([f"--since: {exc}"]) from None


def _request(
    store: Store, settings: Settings, period: timedelta, targets: tuple[str, ...]
) -> ReportRequest:
    known = {t.name for t in settings.targets} | {f.target for f in store.findings()}
    unknown = sorted(t for t in set(targets) - known if not store.runs(target=t, limit=1))
    if unknown:
        raise InputError(
            [
                f"--target: no target named {t!r} (known: {', '.join(sorted(known))})"
                for t in unknown
            ]
        )
    at: datetime = now()
    timezone = settings.report.timezone if settings.report is not None else "UTC"
    zone_info(timezone)
    return ReportRequest(now=at, since=at - period, timezone=timezone, targets=tuple(targets))


def _mail_only(settings: ReportSettings) -> ReportSettings:
    """The settings with their folder left out: --mail only mails."""
    return settings.model_copy(update={"out_dir": None})
