"""The report by mail, to a real SMTP server on loopback: STARTTLS, AUTH LOGIN and PLAIN, a
multipart message (text and HTML) to the right people, and the password in no log."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner

from alerts.report import WeeklyReport
from drift.cli import main
from drift.errors import InputError
from drift.reporting import RenderedReport, ReportError, ReportRequest
from drift.settings import ReportSettings
from drift.store.sql import SqlStore

from .history import NOW
from .smtpserver import PASSWORD, USERNAME, Mailbox, smtp_server

TO = ["architects@example.com", "security@example.com"]
SENDER = "drift@example.com"


@pytest.fixture
def report(store: SqlStore) -> RenderedReport:
    request = ReportRequest(now=NOW, since=NOW - timedelta(days=7), timezone="Europe/Berlin")
    return WeeklyReport().build(store, request)


@pytest.fixture(params=["LOGIN", "PLAIN"])
def mailbox(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Mailbox]:
    other = {"LOGIN": "PLAIN", "PLAIN": "LOGIN"}[request.param]
    with smtp_server(tmp_path, exclude=[other]) as box:
        yield box


def settings(box: Mailbox, **smtp: object) -> ReportSettings:
    return ReportSettings.model_validate(
        {
            "to": TO,
            "from": SENDER,
            "smtp": {
                "host": "127.0.0.1",
                "port": box.port,
                "username": USERNAME,
                "caFile": str(box.ca_file),
                "timeoutSeconds": 10,
            }
            | smtp,
        }
    )


def password_forms() -> list[str]:
    plain = base64.b64encode(f"\0{USERNAME}\0{PASSWORD}".encode()).decode()
    return [PASSWORD, base64.b64encode(PASSWORD.encode()).decode(), plain]


def assert_no_password(text: str) -> None:
    for form in password_forms():
        assert form not in text


def test_the_report_arrives_multipart_to_every_recipient(
    mailbox: Mailbox,
    report: RenderedReport,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    sent = WeeklyReport().send(report, settings(mailbox), {"DRIFT_SMTP_PASSWORD": PASSWORD})
    assert sent == TO
    (received,) = mailbox.messages
    assert (received.mechanism,) == mailbox.offered  # AUTH LOGIN, then AUTH PLAIN
    assert mailbox.tls_seen == [True]  # STARTTLS before AUTH and DATA
    assert (received.mail_from, received.rcpt_tos) == (SENDER, TO)
    mail = message_from_bytes(received.content, policy=policy.default)
    assert isinstance(mail, EmailMessage)
    assert mail["Subject"] == report.subject
    assert mail["To"] == ", ".join(TO)
    assert mail.get_content_type() == "multipart/alternative"
    parts = {
        part.get_content_type(): part.get_content().replace("\r\n", "\n")
        for part in mail.iter_parts()
    }
    assert list(parts) == ["text/plain", "text/html"]
    assert parts["text/html"] == report.html
    assert parts["text/plain"] == report.text
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name != "mail.log")
    assert "mailed to architects@example.com, security@example.com" in logged
    assert_no_password(logged + "".join(capfd.readouterr()))


def test_a_refused_login_is_an_error_naming_the_server_never_the_password(
    tmp_path: Path, report: RenderedReport, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with smtp_server(tmp_path) as box:
        wrong = {"DRIFT_SMTP_PASSWORD": PASSWORD + "-wrong"}
        with pytest.raises(ReportError) as raised:
            WeeklyReport().send(report, settings(box), wrong)
        assert box.messages == []
    message = str(raised.value)
    assert message.startswith(f"mail server 127.0.0.1:{box.port} refused the login")
    assert "-wrong" not in message
    assert_no_password(message + "\n".join(r.getMessage() for r in caplog.records))


def test_a_server_whose_certificate_is_not_trusted_gets_nothing(
    tmp_path: Path, report: RenderedReport
) -> None:
    with smtp_server(tmp_path) as box:
        untrusted = settings(box, caFile=None)  # the system's CAs: the test CA is not one
        with pytest.raises(ReportError, match="CERTIFICATE_VERIFY_FAILED"):
            WeeklyReport().send(report, untrusted, {"DRIFT_SMTP_PASSWORD": PASSWORD})
        assert box.messages == []


def test_the_password_comes_from_the_environment_or_nowhere(
    tmp_path: Path, report: RenderedReport
) -> None:
    with smtp_server(tmp_path) as box:
        with pytest.raises(InputError, match=r"read from \$DRIFT_SMTP_PASSWORD, which is not set"):
            WeeklyReport().send(report, settings(box), {})
        assert box.messages == []


def test_drift_report_mail_sends_with_the_settings(
    mailbox: Mailbox,
    database: str,
    tmp_path: Path,
    declared_plugins: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = tmp_path / "drift.yaml"
    config.write_text(
        "targets: [{name: prod, baseline: b.yaml, manifests: [m]}]\n"
        "report:\n"
        "  timezone: Europe/Berlin\n"
        f"  to: [{', '.join(TO)}]\n"
        f"  from: {SENDER}\n"
        f"  smtp: {{host: 127.0.0.1, port: {mailbox.port}, username: {USERNAME}, "
        f"caFile: {mailbox.ca_file}, passwordEnv: REPORT_PW}}\n"
    )
    monkeypatch.setenv("REPORT_PW", PASSWORD)
    args = ["report", "--settings", str(config), "--database", database, "--mail"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("mailed 'Design drift, online-shop, ")
    assert result.stdout.rstrip().endswith(f"to {', '.join(TO)}")
    assert len(mailbox.messages) == 1
    assert_no_password(result.output)

    monkeypatch.setenv("REPORT_PW", "not-it")
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 3
    assert refused.stderr.count("\n") == 1 and "refused the login" in refused.stderr
