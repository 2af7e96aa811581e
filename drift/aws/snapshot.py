"""A snapshot of the AWS collector (docs/aws-snapshot-v1.schema.json) as the model's input.

`drift.aws.documents` reads a snapshot as it reads saved files (a snapshot may also be given
to `--aws-file`): each account's IAM authorization details and resource policies, each
region's network sections (`drift.aws.netdocs`), EKS clusters and Pod Identity associations
(`drift.aws.eks`), so a live collection and saved documents are read by the same code.

Only what was collected is in a snapshot: a section whose scope was forbidden or failed is
absent, and so is absent from the input; the scope outcomes say why (`drift.lifecycle`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drift.aws.documents import AwsInput, read_aws_documents


def read_snapshot(snapshot: Mapping[str, Any], *, source: str) -> AwsInput:
    """The input a snapshot holds; AwsInputError naming `source` and the path of each
    problem."""
    return read_aws_documents([(source, snapshot)])
