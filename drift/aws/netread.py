"""Reading raw fields of AWS documents without trusting their shape, and building ids.

Everything here is forgiving about shape: a field of the wrong type is "not there", and a
value that cannot be read (a `${…}` placeholder a Terraform rebuild keeps, a malformed CIDR)
is reported by the caller as undecided, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from drift.aws.traffic import ICMP, ICMPV6, TCP, UDP

_PROTOCOL_NAMES = {"tcp": TCP, "udp": UDP, "icmp": ICMP, "icmpv6": ICMPV6}
_REGION = re.compile(r"^([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d+)")


def mapping_of(raw: object) -> Mapping[str, Any]:
    return raw if isinstance(raw, Mapping) else {}


def mappings_of(raw: object) -> list[Mapping[str, Any]]:
    return [x for x in raw if isinstance(x, Mapping)] if isinstance(raw, list) else []


def text_of(raw: object) -> str | None:
    return raw if isinstance(raw, str) and raw else None


def int_of(raw: object) -> int | None:
    """An integer, or the digits of one (the rebuilt corpus writes some ports as strings)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and re.fullmatch(r"-?\d+", raw.strip()):
        return int(raw)
    return None


def is_placeholder(raw: object) -> bool:
    """A `${…}` reference a rebuild from Terraform could not resolve."""
    return isinstance(raw, str) and "${" in raw


def protocol_of(raw: object) -> int | str | None:
    """An IP protocol number, None for every protocol (`-1`), or the raw text when unreadable.
    EC2 writes tcp, udp, icmp and icmpv6 by name and other protocols by number."""
    if isinstance(raw, str) and raw.lower() in _PROTOCOL_NAMES:
        return _PROTOCOL_NAMES[raw.lower()]
    number = int_of(raw)
    if number == -1 or raw == "all":
        return None
    if number is not None and 0 <= number <= 255:
        return number
    return str(raw)


def name_tag(obj: Mapping[str, Any]) -> str | None:
    for tag in mappings_of(obj.get("Tags")):
        if tag.get("Key") == "Name":
            return text_of(tag.get("Value"))
    return None


def region_of_zone(zone: object) -> str | None:
    """`us-east-1a` -> `us-east-1`; Local Zones (`us-west-2-lax-1a`) belong to their parent."""
    text = text_of(zone)
    match = _REGION.match(text) if text else None
    return match.group(1) if match else None


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def aws_id(arn: str) -> str:
    """The node id of an AWS resource: `aws:<arn>`."""
    return f"aws:{arn}"


def ec2_id(kind: str, resource: str, region: str | None, account: str | None) -> str:
    """`aws:arn:<partition>:ec2:<region>:<account>:<kind>/<id>`; without region or account
    (the snapshot does not say), the stable fallback `aws:ec2:<kind>/<id>`."""
    if region and account:
        return aws_id(f"arn:{partition_of(region)}:ec2:{region}:{account}:{kind}/{resource}")
    return f"aws:ec2:{kind}/{resource}"
