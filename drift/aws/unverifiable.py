"""Which findings an AWS scope that was not collected leaves unverifiable (pure).

An AWS scope is one IAM action in one account and region, `aws:<account>/<region>/<action>`
(`global` for IAM and S3; docs/aws-collector.md). A finding depends on one that was not
collected when:

- its kind is judged from what the scope's service feeds into the model (the table in
  `drift.lifecycle`): a ServiceAccount's step to a role, say, vanishes with the role's trust
  policy (IAM) or with the association behind it (EKS), whatever the finding's subjects;
- or one of its subjects is an AWS id of the scope's account: for an IAM principal, the scopes
  of the IAM model (IAM, S3 and Lambda resource policies, EKS); for any other AWS id, every
  scope of the account. An id that names no account (an S3 bucket, `aws:*`) depends on the
  scopes of every account, and a scope whose account is not known (the credentials never
  reached it) on every AWS subject.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from drift.aws.arns import ACCOUNT_ID, parse_arn

# The services whose reads make the IAM model of an account: principals and their policies,
# the resource policies that grant to them, and the bridge from the cluster.
IAM_MODEL = frozenset({"iam", "s3", "lambda", "eks"})
_SCOPE = re.compile(r"^aws:([^/]+)/([^/]+)/([A-Za-z0-9-]+:[A-Za-z0-9]+)$")


@dataclass(frozen=True, kw_only=True, order=True)
class AwsScope:
    account: str  # 12 digits, or a label when the account was never reached (`default`)
    region: str  # or `global`
    action: str  # the IAM action, `iam:GetAccountAuthorizationDetails`

    @property
    def service(self) -> str:
        return self.action.split(":", 1)[0].lower()

    def __str__(self) -> str:
        return f"aws:{self.account}/{self.region}/{self.action}"


def aws_scope(name: str) -> AwsScope | None:
    """The parts of an AWS scope name; None for anything else."""
    match = _SCOPE.match(name)
    if match is None:
        return None
    return AwsScope(account=match.group(1), region=match.group(2), action=match.group(3))


def depends_on(scope: AwsScope, services: frozenset[str] | None, subjects: Iterable[str]) -> bool:
    """Whether a finding judged from `services`' data (None: every service) with these
    subjects depends on `scope`."""
    if services is None or scope.service in services:
        return True
    return any(_subject_depends(subject, scope) for subject in subjects)


def _subject_depends(subject: str, scope: AwsScope) -> bool:
    text = subject.removeprefix("aws:")
    arn = parse_arn(text)
    if arn is None:
        return subject.startswith("aws:")  # an AWS id without an ARN (`aws:*`): any scope
    both_known = ACCOUNT_ID.match(scope.account) and ACCOUNT_ID.match(arn.account)
    if both_known and arn.account != scope.account:
        return False
    return arn.service not in ("iam", "sts") or scope.service in IAM_MODEL
