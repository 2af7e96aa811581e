"""The weekly report as a `drift serve` job: scheduled on its crontab line in its time zone,
delivered when it runs, and a failure logged and counted, never raised."""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from alerts.report import WeeklyReport
from drift.reporting import RenderedReport, Reporter, ReportRequest
from drift.service import REPORT_JOB, Service
from drift.settings import Settings
from drift.store.records import Store
from drift.store.sql import SqlStore

from .history import NOW, ROOT
from .smtpserver import PASSWORD, free_port

BERLIN, UTC = ZoneInfo("Europe/Berlin"), ZoneInfo("UTC")
EXAMPLE = ROOT / "examples" / "online-shop"


def settings(database: str, **report: object) -> Settings:
    return Settings.model_validate(
        {
            "database": database,
            "targets": [
                {
                    "name": "prod",
                    "baseline": str(EXAMPLE / "baseline.yaml"),
                    "manifests": [str(EXAMPLE / "drifted")],
                }
            ],
            "report": {"schedule": "0 8 * * MON", "timezone": "Europe/Berlin"} | report,
        }
    )


def service(database: str, store: Store, **report: object) -> Service:
    return Service(
        settings(database, **report), store, lambda: NOW, reporter=WeeklyReport, environ={}
    )


@pytest.mark.parametrize(
    ("after", "fires"),
    [
        # Thursday before: the next Monday at 08:00 in Berlin, which is 07:00 UTC in winter…
        (datetime(2025, 3, 20, 12, tzinfo=BERLIN), datetime(2025, 3, 24, 7, tzinfo=UTC)),
        # … and 06:00 UTC once summer time began (Sunday 30 March 2025).
        (datetime(2025, 3, 27, 12, tzinfo=BERLIN), datetime(2025, 3, 31, 6, tzinfo=UTC)),
        # Monday 08:00 itself has fired: a week later.
        (datetime(2025, 3, 24, 8, 0, 1, tzinfo=BERLIN), datetime(2025, 3, 31, 6, tzinfo=UTC)),
    ],
)  # fmt: skip
def test_the_trigger_fires_on_the_crontab_line_in_the_time_zone(
    database: str, store: SqlStore, after: datetime, fires: datetime
) -> None:
    trigger = service(database, store, outDir="/tmp/r").report_trigger()
    assert trigger is not None
    assert trigger.get_next_fire_time(None, after) == fires


def next_monday_8_in_berlin(now: datetime) -> datetime:
    local = now.astimezone(BERLIN)
    day: date = local.date() + timedelta(days=(0 - local.weekday()) % 7)
    fire = datetime.combine(day, time(8), tzinfo=BERLIN)
    if fire <= local:
        fire = datetime.combine(day + timedelta(days=7), time(8), tzinfo=BERLIN)
    return fire


def test_serve_schedules_the_report_job(
    database: str, store: SqlStore, tmp_path: Path, declared_plugins: object
) -> None:
    running = Service(settings(database, outDir=str(tmp_path)), store, lambda: NOW)
    running.cycle = lambda target: None  # type: ignore[method-assign]  # the report alone
    before = datetime.now(BERLIN)
    running.start()
    try:
        job = running.scheduler.get_job(REPORT_JOB)
        assert job is not None
        assert job.next_run_time == next_monday_8_in_berlin(before)
        assert str(job.next_run_time.tzinfo) == "Europe/Berlin"
    finally:
        running.stop()


def test_the_job_writes_the_report_of_the_period_into_out_dir(
    database: str, store: SqlStore, tmp_path: Path
) -> None:
    job = service(database, store, outDir=str(tmp_path / "out"), since="2w")
    job.report()
    (written,) = (tmp_path / "out").iterdir()
    assert written.name == "drift-report-2025-03-24.html"
    assert "10 Mar to 24 Mar 2025" in written.read_text()  # since: 2w
    assert job.registry.get_sample_value("drift_reports_total", {"outcome": "sent"}) == 1


class Broken:
    def build(self, store: Store, request: ReportRequest) -> RenderedReport:
        raise RuntimeError("template exploded")

    def send(self, *args: object) -> list[str]:
        raise AssertionError("never reached")


def test_a_failed_report_is_logged_and_counted_never_raised(
    database: str, store: SqlStore, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> Reporter:
        return Broken()

    job = Service(settings(database, outDir="/tmp/r"), store, lambda: NOW, reporter=broken)
    job.report()
    assert job.registry.get_sample_value("drift_reports_total", {"outcome": "failed"}) == 1
    assert "weekly report failed" in caplog.text and "template exploded" in caplog.text


def test_an_unreachable_mail_server_is_counted_and_the_password_never_logged(
    database: str, store: SqlStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    port = free_port()  # nothing listens there
    smtp = {"host": "127.0.0.1", "port": port, "username": "drift", "timeoutSeconds": 5}
    job = Service(
        settings(database, to=["a@example.com"], **{"from": "d@example.com"}, smtp=smtp),
        store,
        lambda: NOW,
        reporter=WeeklyReport,
        environ={"DRIFT_SMTP_PASSWORD": PASSWORD},
    )
    job.report()
    job.report()
    assert job.registry.get_sample_value("drift_reports_total", {"outcome": "failed"}) == 2
    assert f"weekly report failed: mail server 127.0.0.1:{port}: " in caplog.text
    assert PASSWORD not in caplog.text
