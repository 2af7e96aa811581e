"""What S3 bucket policies and bucket ACLs publish to the internet.

Input: one mapping shaped like the corpus's `resource-policies.json`, boto3 shapes inside:

- `S3BucketPolicies`: one entry per bucket read: `Bucket`; `Policy` (GetBucketPolicy's
  document or its JSON text; absent or null: the bucket has no policy); its ACL as `Acl`
  (GetBucketAcl's response) or `Grants`, or a `CannedACL` (absent: not collected); its
  public-access block as `PublicAccessBlockConfiguration` or `BucketPublicAccessBlock`
  (GetPublicAccessBlock's configuration; null: none set; absent: not collected); optionally
  `OwnershipControls` (`BucketOwnerEnforced` turns ACLs off).
- `AccountPublicAccessBlock`: the account's configuration (s3control GetPublicAccessBlock's
  response or the configuration itself; null: none set; absent: not collected).

As S3 documents its public-access block: a public policy (`drift.aws.publicness`) is public
unless `RestrictPublicBuckets` (the bucket's or the account's) limits it to AWS services and
the owner's account; a public ACL (a grant to AllUsers or AuthenticatedUsers) is public unless
`IgnorePublicAcls`. `BlockPublicPolicy` and `BlockPublicAcls` only refuse new public policies
and ACLs: they change nothing already in place. A statement limited by conditions is
`internal`, with its conditions. What cannot be read is unknown.

Ids: `aws:arn:aws:s3:::<bucket>`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from drift.aws.netread import mapping_of, mappings_of, text_of
from drift.aws.netresults import Exposure
from drift.aws.publicness import Grant, Judged, judge, statements
from drift.model import Evidence, ExposureScope
from drift.ports import PortSet

_PUBLIC_GROUPS = {
    "http://acs.amazonaws.com/groups/global/AllUsers": "AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers": "AuthenticatedUsers",
}
_PUBLIC_CANNED = {
    "public-read": "AllUsers",
    "public-read-write": "AllUsers",
    "authenticated-read": "AuthenticatedUsers",
}
_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


@dataclass(frozen=True)
class _Part:
    """One way a bucket is public: `scope` after the public-access block, and why."""

    scope: ExposureScope | None  # None: not public after all
    evidence: tuple[Evidence, ...] = ()
    reasons: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()


# --- buckets -------------------------------------------------------------------------------


def bucket_exposures(doc: Mapping[str, Any]) -> tuple[Exposure, ...]:
    """Every bucket in `doc` that is public, may be, or is public only conditionally or
    within its account, by bucket name."""
    found = (bucket_exposure(doc, name) for name in sorted(_buckets(doc)))
    return tuple(e for e in found if e is not None)


def bucket_exposure(doc: Mapping[str, Any], bucket: str) -> Exposure | None:
    """How widely one bucket is published; unknown for a bucket `doc` does not describe;
    None when nothing publishes it."""
    entry = _buckets(doc).get(bucket)
    if entry is None:
        why = f"the policy, ACL and public-access block of bucket {bucket} are not in the input"
        return _bucket(bucket, [_Part(ExposureScope.UNKNOWN, reasons=(why,))])
    block = _block(entry, doc)
    parts = [*_policy_parts(bucket, entry, block), _acl_part(bucket, entry, block)]
    return _bucket(bucket, [p for p in parts if p.scope is not None])


def _buckets(doc: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {
        name: e
        for e in mappings_of(doc.get("S3BucketPolicies"))
        if (name := text_of(e.get("Bucket")))
    }


def _bucket(bucket: str, parts: list[_Part]) -> Exposure | None:
    if not parts:
        return None
    order = [ExposureScope.PUBLIC, ExposureScope.UNKNOWN, ExposureScope.INTERNAL]
    scope = next(s for s in order if any(p.scope is s for p in parts))
    return Exposure(
        target_id=f"aws:arn:aws:s3:::{bucket}",
        kind="s3-bucket",
        name=f"bucket {bucket}",
        scope=scope,
        ports=PortSet.empty(),
        unknown=PortSet.empty(),
        actions=_union(p.actions for p in parts),
        conditions=_union(p.conditions for p in parts),
        evidence=tuple(sorted(set(_flat(p.evidence for p in parts)))),
        reasons=_union(p.reasons for p in parts),
    )


def _union(groups: Iterable[Iterable[str]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(x for g in groups for x in g))


def _flat(groups: Iterable[Iterable[Evidence]]) -> list[Evidence]:
    return [x for g in groups for x in g]


# --- the public-access block ---------------------------------------------------------------

Block = dict[str, tuple[bool | None, str]]  # flag -> (in effect?, where)


def _block(entry: Mapping[str, Any], doc: Mapping[str, Any]) -> Block:
    """Each flag in effect for the bucket: on when the bucket or the account turns it on,
    unknown when one is off and the other was not collected."""
    bucket = _configuration(entry, ("PublicAccessBlockConfiguration", "BucketPublicAccessBlock"))
    account = _configuration(doc, ("AccountPublicAccessBlock",))
    out: Block = {}
    for flag in _FLAGS:
        values = {"bucket": _flag(bucket, flag), "account": _flag(account, flag)}
        on = [where for where, v in values.items() if v is True]
        if on:
            out[flag] = (True, " and ".join(on))
        elif None in values.values():
            missing = [where for where, v in values.items() if v is None]
            out[flag] = (None, " and ".join(missing))
        else:
            out[flag] = (False, "")
    return out


def _configuration(holder: Mapping[str, Any], keys: tuple[str, ...]) -> Mapping[str, Any] | None:
    """The configuration (None: not collected; empty: none set)."""
    for key in keys:
        if key in holder:
            raw = holder[key]
            if raw is None:
                return {}
            inner = mapping_of(raw)
            return mapping_of(inner.get("PublicAccessBlockConfiguration")) or inner
    return None


def _flag(config: Mapping[str, Any] | None, flag: str) -> bool | None:
    if config is None:
        return None
    return config.get(flag) is True


# --- bucket policy -------------------------------------------------------------------------


def _policy_parts(bucket: str, entry: Mapping[str, Any], block: Block) -> list[_Part]:
    judged = [
        j for i, s in enumerate(statements(entry.get("Policy"))) if (j := judge(s, i)) is not None
    ]
    public = [j for j in judged if j.grant is Grant.PUBLIC]
    parts = [_public_policy(bucket, j, block) for j in public]
    for j in judged:
        evidence = (_statement_evidence(bucket, j),)
        if j.grant is Grant.UNKNOWN:
            parts.append(
                _Part(ExposureScope.UNKNOWN, evidence, (j.reason,), j.actions, j.conditions)
            )
        elif j.grant is Grant.CONDITIONAL and public:
            parts.append(_public_policy(bucket, j, block))  # the policy is public: restricted too
        elif j.grant is Grant.CONDITIONAL:
            parts.append(_Part(ExposureScope.INTERNAL, evidence, (), j.actions, j.conditions))
    return parts


def _statement_evidence(bucket: str, judged: Judged) -> Evidence:
    text = f"bucket policy of {bucket} {judged.label} allows {', '.join(judged.actions)}"
    if not judged.conditions:
        return Evidence(text=f"{text} to the public")
    if judged.grant is Grant.PUBLIC:
        text += " to the public (conditions that do not limit who: "
        return Evidence(text=f"{text}{'; '.join(judged.conditions)})")
    return Evidence(text=f"{text} to the public if {'; '.join(judged.conditions)}")


def _public_policy(bucket: str, judged: Judged, block: Block) -> _Part:
    """A statement of a public policy, after RestrictPublicBuckets."""
    evidence = _statement_evidence(bucket, judged)
    restrict, where = block["RestrictPublicBuckets"]
    if restrict is True:
        text = (
            f"RestrictPublicBuckets ({where}) limits the public policy of {bucket} "
            "to AWS services and its account"
        )
        return _Part(ExposureScope.INTERNAL, (evidence, Evidence(text=text)), (), judged.actions)
    if restrict is None:
        why = (
            f"the public-access block of the {where} is not in the input: "
            f"RestrictPublicBuckets would limit the public policy of {bucket}"
        )
        return _Part(ExposureScope.UNKNOWN, (evidence,), (why,), judged.actions, judged.conditions)
    return _Part(ExposureScope.PUBLIC, (evidence,), (), judged.actions, judged.conditions)


# --- bucket ACL ----------------------------------------------------------------------------


def _acl_part(bucket: str, entry: Mapping[str, Any], block: Block) -> _Part:
    ignore, where = block["IgnorePublicAcls"]
    if ignore is True or _acls_disabled(entry):
        return _Part(None)
    grants = _public_grants(entry)
    if grants is None:
        why = f"the ACL of bucket {bucket} is not in the input"
        if ignore is None:
            why += f", nor the public-access block of the {where}"
        return _Part(ExposureScope.UNKNOWN, reasons=(why,))
    if not grants:
        return _Part(None)
    evidence = tuple(Evidence(text=f"ACL of bucket {bucket} grants {g}") for g in grants)
    if ignore is None:
        why = (
            f"the public-access block of the {where} is not in the input: "
            f"IgnorePublicAcls would ignore the public ACL of {bucket}"
        )
        return _Part(ExposureScope.UNKNOWN, evidence, (why,))
    return _Part(ExposureScope.PUBLIC, evidence, (), tuple(f"ACL {g}" for g in grants))


def _public_grants(entry: Mapping[str, Any]) -> list[str] | None:
    """The ACL's grants to public groups, as `<permission> to <group>`; None when the ACL
    was not collected."""
    acl = entry.get("Acl")
    grants = mapping_of(acl).get("Grants") if acl is not None else entry.get("Grants")
    if isinstance(grants, list):
        return [
            f"{g.get('Permission')} to {_PUBLIC_GROUPS[uri]}"
            for g in mappings_of(grants)
            if (uri := mapping_of(g.get("Grantee")).get("URI")) in _PUBLIC_GROUPS
        ]
    canned = text_of(entry.get("CannedACL"))
    if canned is None:
        return None
    group = _PUBLIC_CANNED.get(canned)
    return [f"{canned} to {group}"] if group else []


def _acls_disabled(entry: Mapping[str, Any]) -> bool:
    rules = mappings_of(mapping_of(entry.get("OwnershipControls")).get("Rules"))
    return any(r.get("ObjectOwnership") == "BucketOwnerEnforced" for r in rules)
