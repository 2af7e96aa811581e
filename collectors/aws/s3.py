"""S3, once per account: every bucket with what decides who can reach it, as the corpus's
`resource-policies.json` `S3BucketPolicies` entries (Bucket, Policy as a JSON object,
PublicAccessBlockConfiguration) extended with Region, CreationDate, Acl (Owner and Grants,
as GetBucketAcl answers) and PolicyStatus (IsPublic, as AWS judges the policy); plus the
account's public access block (`S3AccountPublicAccessBlock`, from S3 Control).

A key left out of a bucket's entry means the bucket has none of it (no policy, no public
access block), as in the corpus; a policy or block that could not be read fails its scope,
and then the whole `S3BucketPolicies` section is left out. `S3AccountPublicAccessBlock` is
null when the account has none.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from .credentials import Clients
from .failures import error_code
from .paging import listed
from .plain import Document, to_plain
from .scopes import Read, Reader

LIST_BUCKETS = "s3:ListAllMyBuckets"
LOCATION = "s3:GetBucketLocation"
POLICY = "s3:GetBucketPolicy"
POLICY_STATUS = "s3:GetBucketPolicyStatus"
ACL = "s3:GetBucketAcl"
BUCKET_BLOCK = "s3:GetBucketPublicAccessBlock"
ACCOUNT_BLOCK = "s3:GetAccountPublicAccessBlock"
ACTIONS = (LIST_BUCKETS, LOCATION, POLICY, POLICY_STATUS, ACL, BUCKET_BLOCK, ACCOUNT_BLOCK)
SECTIONS = ("S3BucketPolicies", "S3AccountPublicAccessBlock")
NO_POLICY = "NoSuchBucketPolicy"
NO_BLOCK = "NoSuchPublicAccessBlockConfiguration"
US_EAST_1 = "us-east-1"


def read_s3(reader: Reader, clients: Clients, account: str, region: str) -> Document:
    sections: Document = {}
    buckets = _buckets(reader, clients, region)
    if buckets is not None:
        sections["S3BucketPolicies"] = buckets
    block = reader.read(
        ACCOUNT_BLOCK,
        lambda: _account_block(clients, account, region),
        empty={"S3AccountPublicAccessBlock": None},
    )
    sections.update(block or {})
    return sections


def _account_block(clients: Clients, account: str, region: str) -> Read[Document]:
    control = clients.client("s3control", region)
    try:
        answer = control.get_public_access_block(AccountId=account)
    except ClientError as error:
        if error_code(error) == NO_BLOCK:
            return Read({"S3AccountPublicAccessBlock": None}, "none set")
        raise
    block = to_plain(answer["PublicAccessBlockConfiguration"])
    return Read({"S3AccountPublicAccessBlock": block}, "set")


def _buckets(reader: Reader, clients: Clients, region: str) -> list[Document] | None:
    s3 = clients.client("s3", region)
    listing: list[Any] | None = reader.read(
        LIST_BUCKETS, lambda: listed(s3, "list_buckets", "Buckets"), empty=[]
    )
    if listing is None:
        for action in ACTIONS[1:-1]:
            reader.skip(action, LIST_BUCKETS)
        return None
    entries = [_entry(b) for b in listing]
    ok = _located(reader, s3, entries)
    for action, read in _READS.items():
        found = reader.read_each(action, entries, _per_bucket(clients, region, read), _bucket)
        ok = ok and found is not None
        for entry, value in found or []:
            entry.update(value)
    return entries if ok else None


def _per_bucket(
    clients: Clients, region: str, read: Callable[[Any, Document], Document]
) -> Callable[[Document], Document]:
    """`read` of a bucket through a client of the bucket's region (no redirects)."""
    return lambda entry: read(clients.client("s3", entry.get("Region") or region), entry)


def _bucket(entry: Document) -> str:
    return str(entry["Bucket"])


def _entry(bucket: Document) -> Document:
    entry = {"Bucket": bucket["Name"], "CreationDate": bucket.get("CreationDate")}
    if bucket.get("BucketRegion"):
        entry["Region"] = bucket["BucketRegion"]
    return entry


def _located(reader: Reader, s3: Any, entries: list[Document]) -> bool:
    """Each bucket's region, where ListBuckets did not say it."""
    found = reader.read_each(
        LOCATION,
        [e for e in entries if "Region" not in e],
        lambda e: s3.get_bucket_location(Bucket=e["Bucket"]).get("LocationConstraint"),
        _bucket,
    )
    for entry, constraint in found or []:
        entry["Region"] = _region(constraint)
    return found is not None


def _region(constraint: str | None) -> str:
    """GetBucketLocation's answer as a region: none is us-east-1, and `EU` eu-west-1."""
    return {None: US_EAST_1, "": US_EAST_1, "EU": "eu-west-1"}.get(constraint, constraint or "")


def _policy(s3: Any, entry: Document) -> Document:
    answer = _or_none(lambda: s3.get_bucket_policy(Bucket=entry["Bucket"]), NO_POLICY)
    return {} if answer is None else {"Policy": json.loads(answer["Policy"])}


def _policy_status(s3: Any, entry: Document) -> Document:
    answer = _or_none(lambda: s3.get_bucket_policy_status(Bucket=entry["Bucket"]), NO_POLICY)
    return {} if answer is None else {"PolicyStatus": to_plain(answer["PolicyStatus"])}


def _acl(s3: Any, entry: Document) -> Document:
    answer = to_plain(s3.get_bucket_acl(Bucket=entry["Bucket"]))
    return {"Acl": {"Owner": answer.get("Owner"), "Grants": answer.get("Grants", [])}}


def _bucket_block(s3: Any, entry: Document) -> Document:
    answer = _or_none(lambda: s3.get_public_access_block(Bucket=entry["Bucket"]), NO_BLOCK)
    if answer is None:
        return {}
    return {"PublicAccessBlockConfiguration": to_plain(answer["PublicAccessBlockConfiguration"])}


def _or_none(call: Callable[[], Any], none: str) -> Any:
    """`call`'s answer; None when the answer is the error saying there is none."""
    try:
        return call()
    except ClientError as error:
        if error_code(error) == none:
            return None
        raise


_READS: dict[str, Callable[[Any, Document], Document]] = {
    POLICY: _policy,
    POLICY_STATUS: _policy_status,
    ACL: _acl,
    BUCKET_BLOCK: _bucket_block,
}
