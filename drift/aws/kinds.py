"""The kinds of identity node AWS puts in the graph (`drift.aws.graph`, `drift.aws.escalation`),
and which roles only AWS may change — one vocabulary for the builders, the diff and `propose`."""

from __future__ import annotations

IAM_USER = "IAMUser"
IAM_ROLE = "IAMRole"
AWS_ACCOUNT = "AWSAccount"  # principals of an account a trust policy names
AWS_PRINCIPAL = "AWSPrincipal"  # an outside ARN or unique id a trust policy names
AWS_SERVICE = "AWSService"
FEDERATED_PROVIDER = "FederatedProvider"
ANYONE = "Anyone"  # a trust policy's Principal `*`, the node `ANYONE_ID`
ANYONE_ID = "aws:*"
AWS_ADMINISTRATOR = "AWSAdministrator"  # every permission of an account (aws-admin:<account>)

IAM_PRINCIPAL_KINDS = frozenset({IAM_USER, IAM_ROLE})
# Named by ARN (or unique id) in a design.
AWS_PRINCIPAL_KINDS = IAM_PRINCIPAL_KINDS | {AWS_ACCOUNT, AWS_PRINCIPAL}
AWS_IDENTITY_KINDS = AWS_PRINCIPAL_KINDS | {AWS_SERVICE, FEDERATED_PROVIDER, ANYONE}

# Paths of roles only AWS may change: service-linked roles, and IAM Identity Center's.
_AWS_MANAGED_PATHS = ("/aws-service-role/", "/aws-reserved/")


def aws_managed_path(path: str) -> bool:
    return path.startswith(_AWS_MANAGED_PATHS)


def aws_managed_role(arn: str) -> bool:
    """Whether a role ARN (its path is in it) names a role only AWS may change."""
    _, marker, rest = arn.partition(":role/")
    return bool(marker) and aws_managed_path("/" + rest)
