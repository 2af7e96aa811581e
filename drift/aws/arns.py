"""ARNs of the principals IAM evaluates, and of the resources it is asked about."""

from __future__ import annotations

import re
from dataclasses import dataclass

ACCOUNT_ID = re.compile(r"^\d{12}$")
_ROOT = re.compile(r"^arn:(aws[a-z-]*):iam::(\d{12}):root$")
_SESSION = re.compile(r"^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role/([^/]+)/(.+)$")


@dataclass(frozen=True, kw_only=True)
class Arn:
    """The six parts of an ARN; `resource` keeps any colons and slashes it has."""

    partition: str
    service: str
    region: str
    account: str
    resource: str

    @property
    def resource_type(self) -> str:
        """`user` of `user/path/name`, `function` of `function:name`."""
        return re.split(r"[/:]", self.resource, maxsplit=1)[0]


def parse_arn(text: str) -> Arn | None:
    """The parts of `text`, or None when it is not `arn:partition:service:region:account:res`."""
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[1] or not parts[2]:
        return None
    return Arn(
        partition=parts[1],
        service=parts[2],
        region=parts[3],
        account=parts[4],
        resource=parts[5],
    )


def account_of(text: str) -> str | None:
    """The account an ARN names, or None (S3 ARNs, AWS-managed policies name none)."""
    arn = parse_arn(text)
    if arn is None or not ACCOUNT_ID.match(arn.account):
        return None
    return arn.account


def root_account(text: str) -> str | None:
    """The account of `arn:aws:iam::ACCOUNT:root` or of a bare 12-digit account id."""
    if ACCOUNT_ID.match(text):
        return text
    found = _ROOT.match(text)
    return found.group(2) if found else None


def session_role(text: str) -> tuple[str, str, str] | None:
    """(account, role name, session name) of an `assumed-role` session ARN."""
    found = _SESSION.match(text)
    return (found.group(2), found.group(3), found.group(4)) if found else None


def is_valid_resource(text: str) -> bool:
    """What `drift can` accepts as a resource: `*` or an ARN."""
    return text == "*" or parse_arn(text) is not None
