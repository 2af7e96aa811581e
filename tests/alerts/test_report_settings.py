"""The `report:` section of the settings: validated up front, every problem with its line."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from drift.settings import SettingsError, load_settings

TARGETS = "targets: [{name: a, baseline: b.yaml, manifests: [m]}]\n"


def problems(tmp_path: Path, report: str) -> list[str]:
    path = tmp_path / "drift.yaml"
    path.write_text(TARGETS + "report:\n" + report)
    with pytest.raises(SettingsError) as raised:
        load_settings(str(path))
    return [p.removeprefix(f"{path}:") for p in raised.value.problems]


def test_a_full_report_section_reads_with_its_defaults(tmp_path: Path) -> None:
    path = tmp_path / "drift.yaml"
    path.write_text(
        TARGETS + "report:\n  to: [a@example.com]\n  from: d@example.com\n"
        "  smtp: {host: smtp.example.com, username: drift}\n"
    )
    report = load_settings(str(path)).report
    assert report is not None and report.smtp is not None
    assert (report.schedule, report.timezone, report.period) == ("0 8 * * MON", "UTC", timedelta(7))
    assert (report.smtp.port, report.smtp.starttls) == (587, True)
    assert report.smtp.password_env == "DRIFT_SMTP_PASSWORD"


def test_every_problem_is_reported_at_once_with_its_line(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        "  schedule: '0 8 * * MOX'\n"
        "  timezone: Europe/Berln\n"
        "  since: 7x\n"
        "  to: [nobody]\n"
        "  smtp: {host: h, starttls: false, username: u}\n",
    )
    assert found == [
        "3: report.schedule: schedule '0 8 * * MOX' is not a crontab line: "
        'Invalid weekday name "MOX"',
        "4: report.timezone: unknown time zone 'Europe/Berln' (an IANA name such as Europe/Berlin)",
        "5: report.since: '7x' is not a period such as 36h, 7d or 2w",
        "6: report.to[0]: 'nobody' is not a mail address (name@domain)",
        "7: report.smtp: a username needs starttls: true (the password would go in clear)",
    ]


@pytest.mark.parametrize(
    ("section", "problem"),
    [
        ("  since: 7d\n", "a report goes somewhere: give smtp (with to and from) or outDir"),
        ("  smtp: {host: h}\n", "smtp needs `to` (one address or more) and `from`"),
        ("  outDir: /r\n  password: x\n", "report.password: unknown field"),
    ],
)
def test_a_report_must_go_somewhere_and_never_holds_a_password(
    tmp_path: Path, section: str, problem: str
) -> None:
    assert any(problem in p for p in problems(tmp_path, section))
