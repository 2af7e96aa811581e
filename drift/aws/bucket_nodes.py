"""How S3 buckets are nodes of the graph: one per bucket ARN, per bucket-name pattern a
policy grants (`arn:aws:s3:::pay*`), and `arn:aws:s3:::*` for every bucket."""

from __future__ import annotations

from drift.aws.patterns import has_wildcard
from drift.model import ResourceNode

EVERY_BUCKET = "arn:aws:s3:::*"
# What `can` edges to buckets say a principal may do with their objects.
BUCKET_ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject")


def bucket_node(bucket: str) -> ResourceNode:
    """The node of a bucket ARN, a bucket-name pattern or every bucket."""
    name = bucket.removeprefix("arn:aws:s3:::")
    if bucket == EVERY_BUCKET:
        text = "every S3 bucket"
    elif has_wildcard(name):
        text = f"S3 buckets matching {name}"
    else:
        text = f"S3 bucket {name}"
    return ResourceNode(id=bucket, name=text, api_group="s3", resource=name)
