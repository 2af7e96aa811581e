"""The report by mail: multipart/alternative (plain text, then HTML) over SMTP with STARTTLS
and authentication (`smtplib`). The password comes only from the environment variable the
settings name, and is never logged or put in an error message."""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Mapping
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from drift.errors import InputError
from drift.reporting import RenderedReport, ReportError
from drift.settings import ReportSettings, Smtp

log = logging.getLogger(__name__)


def message(report: RenderedReport, settings: ReportSettings) -> EmailMessage:
    """The mail: the plain text first, the HTML as the preferred alternative."""
    sender = settings.from_ or ""
    mail = EmailMessage()
    mail["Subject"] = report.subject
    mail["From"] = sender
    mail["To"] = ", ".join(settings.to)
    mail["Date"] = format_datetime(datetime.now(UTC))
    mail["Message-ID"] = make_msgid("drift-report", domain=sender.rpartition("@")[2] or None)
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    mail.set_content(report.text)
    mail.add_alternative(report.html, subtype="html")
    return mail


def send(report: RenderedReport, settings: ReportSettings, environ: Mapping[str, str]) -> list[str]:
    """Mail `report` to `settings.to`; the recipients the server accepted."""
    smtp = settings.smtp
    if smtp is None or not settings.to or settings.from_ is None:
        raise InputError(["report: mailing needs smtp, to and from in the settings"])
    password = _password(smtp, environ)
    where = f"{smtp.host}:{smtp.port}"
    try:
        refused = _deliver(smtp, password, message(report, settings), settings)
    except smtplib.SMTPAuthenticationError as exc:
        raise ReportError(
            f"mail server {where} refused the login of {smtp.username!r}: {_reason(exc)}"
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise ReportError(f"mail server {where}: {_reason(exc)}") from None
    sent = [address for address in settings.to if address not in refused]
    log.info("report %r mailed to %s through %s", report.subject, ", ".join(sent), where)
    return sent


def _deliver(
    smtp: Smtp, password: str | None, mail: EmailMessage, settings: ReportSettings
) -> dict[str, tuple[int, bytes]]:
    with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout) as client:
        client.ehlo()
        if smtp.starttls:
            client.starttls(context=ssl.create_default_context(cafile=smtp.ca_file))
            client.ehlo()
        if smtp.username is not None and password is not None:
            client.login(smtp.username, password)
        return client.send_message(mail, from_addr=settings.from_, to_addrs=list(settings.to))


def _password(smtp: Smtp, environ: Mapping[str, str]) -> str | None:
    if smtp.username is None:
        return None
    password = environ.get(smtp.password_env)
    if not password:
        raise InputError(
            [f"report.smtp: the password of {smtp.username!r} is read from "
             f"${smtp.password_env}, which is not set"]
        )  # fmt: skip
    return password


def _reason(exc: BaseException) -> str:
    """The server's answer or the connection error, one line (never what we sent)."""
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else ""
        return f"{exc.smtp_code} {text}".strip().splitlines()[0]
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "every recipient refused: " + ", ".join(sorted(exc.recipients))
    return (str(exc) or type(exc).__name__).splitlines()[0]
