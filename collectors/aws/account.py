"""One account: its credentials, then IAM and S3 once, then each region.

If the account cannot be reached at all (the role cannot be assumed, no credentials, the
credentials reach another account than the settings name), every scope of the account gets
that outcome, so nothing of it reads as empty.
"""

from __future__ import annotations

import logging
from typing import Any

import boto3

from drift.collect import ScopeStatus
from drift.settings import AwsAccount, AwsSource

from . import ec2, eks, elbv2, functions, iam, rds, s3
from .credentials import Clients, account_clients, account_id
from .failures import FAILURES, classify
from .plain import Document
from .scopes import GLOBAL, Reader, ScopeLog, scope_name

log = logging.getLogger(__name__)

GLOBAL_ACTIONS = (*iam.ACTIONS, *s3.ACTIONS)
REGIONAL_ACTIONS = (*ec2.ACTIONS, *rds.ACTIONS, *elbv2.ACTIONS, *functions.ACTIONS, *eks.ACTIONS)
NETWORK_SECTIONS = (
    *ec2.SECTIONS,
    *rds.SECTIONS,
    *elbv2.SECTIONS,
    *functions.NETWORK_SECTIONS,
    *eks.SECTIONS,
)
POLICY_SECTIONS = functions.POLICY_SECTIONS


def all_scopes(account: str, regions: list[str]) -> list[str]:
    """Every scope one account has, in the order they are read."""
    names = [scope_name(account, GLOBAL, action) for action in GLOBAL_ACTIONS]
    for region in regions:
        names += [scope_name(account, region, action) for action in REGIONAL_ACTIONS]
    return names


def read_account(
    base: boto3.Session, account: AwsAccount, source: AwsSource, scopes: ScopeLog
) -> Document:
    document: Document = {"accountId": account.id or account.role_arn_account}
    if account.role_arn is not None:
        document["roleArn"] = account.role_arn
    first = source.regions[0]
    try:
        clients = account_clients(base, account, source)
        reached = account_id(clients, first)
    except FAILURES as error:
        status, detail = classify(error)
        _unreachable(scopes, account.label, source, status, f"credentials: {detail}")
        return document
    if account.id is not None and reached != account.id:
        detail = f"the credentials reach account {reached}, not {account.id}"
        _unreachable(scopes, account.label, source, ScopeStatus.FAILED, detail)
        return document
    document["accountId"] = reached
    _read_global(document, Reader(scopes, reached, GLOBAL), clients, first)
    enabled = _enabled_regions(clients, first, scopes)
    document["regions"] = {
        region: read_region(Reader(scopes, reached, region), clients, enabled)
        for region in source.regions
    }
    return document


def _unreachable(
    scopes: ScopeLog, label: str, source: AwsSource, status: ScopeStatus, detail: str
) -> None:
    log.error("aws:%s: %s; every scope of the account is unverifiable", label, detail)
    for name in all_scopes(label, source.regions):
        scopes.record(name, status, detail)


def _read_global(document: Document, reader: Reader, clients: Clients, region: str) -> None:
    details = iam.read_iam(reader, clients, region)
    if details is not None:
        document["iamAuthorizationDetails"] = details
    document["resourcePolicies"] = s3.read_s3(reader, clients, reader.account, region)


def _enabled_regions(clients: Clients, region: str, scopes: ScopeLog) -> set[str] | None:
    """The regions enabled for the account; None when that cannot be told (then every
    region is read, and a disabled one fails on its credentials)."""
    try:
        answer = clients.client("ec2", region).describe_regions(AllRegions=False)
    except FAILURES as error:
        _status, detail = classify(error)
        scopes.warnings.append(
            f"which regions are enabled is unknown (ec2:DescribeRegions: "
            f"{detail}); every configured region is read"
        )
        return None
    return {str(r["RegionName"]) for r in answer.get("Regions", [])}


def read_region(reader: Reader, clients: Clients, enabled: set[str] | None) -> Document:
    """The region's ec2-network and resource-policies documents."""
    if enabled is not None and reader.region not in enabled:
        detail = "the region is not enabled for this account"
        for action in REGIONAL_ACTIONS:
            reader.log.record(reader.scope(action), ScopeStatus.NOT_INSTALLED, detail)
        return {
            "ec2Network": {section: [] for section in NETWORK_SECTIONS},
            "resourcePolicies": {section: [] for section in POLICY_SECTIONS},
        }
    network: dict[str, Any] = {}
    network.update(ec2.read_ec2(reader, clients))
    network.update(rds.read_rds(reader, clients))
    network.update(elbv2.read_elbv2(reader, clients))
    function_network, policies = functions.read_lambda(reader, clients)
    network.update(function_network)
    network.update(eks.read_eks(reader, clients))
    return {"ec2Network": network, "resourcePolicies": policies}
