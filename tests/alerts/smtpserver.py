"""A real SMTP server on loopback (aiosmtpd) that demands STARTTLS, then AUTH, with a
certificate from a throwaway CA, and keeps what it received."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.fakeapi.tls import make_certificates

USERNAME = "drift-reports"
PASSWORD = "s3cret-Pa55word-for-smtp"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    mechanism: str


@dataclass
class Mailbox:
    port: int
    ca_file: Path
    offered: tuple[str, ...] = ("LOGIN", "PLAIN")
    messages: list[Received] = field(default_factory=list)
    mechanisms: list[str] = field(default_factory=list)
    tls_seen: list[bool] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        mechanism = self.mechanisms[-1] if self.mechanisms else ""
        self.tls_seen.append(session.ssl is not None)
        self.messages.append(
            Received(
                mail_from=str(envelope.mail_from),
                rcpt_tos=list(envelope.rcpt_tos),
                content=content,
                mechanism=mechanism,
            )
        )
        return "250 Message accepted for delivery"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        good = (
            isinstance(data, LoginPassword)
            and data.login == USERNAME.encode()
            and data.password == PASSWORD.encode()
        )
        if good:
            self.mechanisms.append(mechanism)
        return AuthResult(success=good, handled=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def smtp_server(folder: Path, *, exclude: Iterable[str] = ()) -> Iterator[Mailbox]:
    """A server on 127.0.0.1 requiring STARTTLS and AUTH (mechanisms but `exclude`)."""
    certs = make_certificates(folder)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certs.server_cert, certs.server_key)
    offered = tuple(m for m in ("LOGIN", "PLAIN") if m not in set(exclude))
    mailbox = Mailbox(port=free_port(), ca_file=certs.ca_cert, offered=offered)
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=mailbox.port,
        tls_context=context,
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        auth_exclude_mechanism=list(exclude),
        authenticator=mailbox.authenticate,
    )
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()
