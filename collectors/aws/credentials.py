"""Clients for one account: boto3's default credential chain, or a role assumed in the
account (session name `design-drift`, with the ExternalId when one is set).

Every client has botocore's standard retry mode with the configured number of attempts,
bounded connect and read timeouts, and the endpoint URL when one is set (tests only).
Temporary credentials are passed to each client and never logged or written anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

from drift.settings import AwsAccount, AwsSource

SESSION_NAME = "design-drift"


def client_config(source: AwsSource) -> Config:
    return Config(
        retries={"mode": "standard", "total_max_attempts": source.max_attempts},
        connect_timeout=source.request_timeout,
        read_timeout=source.request_timeout,
        user_agent_extra="design-drift",
    )


@dataclass(frozen=True)
class Clients:
    """Makes the clients of one account, caching one per (service, region)."""

    session: boto3.Session
    config: Config
    endpoint_url: str | None
    credentials: dict[str, str] = field(default_factory=dict, repr=False)
    _made: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False)

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self._made:
            self._made[key] = self.session.client(
                service,
                region_name=region,
                endpoint_url=self.endpoint_url,
                config=self.config,
                **self.credentials,
            )
        return self._made[key]


def account_clients(base: boto3.Session, account: AwsAccount, source: AwsSource) -> Clients:
    """The clients of `account`: the base session's credentials, or the role's. Raises
    botocore's errors when the role cannot be assumed."""
    config, region = client_config(source), source.regions[0]
    own = Clients(session=base, config=config, endpoint_url=source.endpoint_url)
    if account.role_arn is None:
        return own
    params = {"RoleArn": account.role_arn, "RoleSessionName": SESSION_NAME}
    if account.external_id is not None:
        params["ExternalId"] = account.external_id
    answer = own.client("sts", region).assume_role(**params)["Credentials"]
    credentials = {
        "aws_access_key_id": answer["AccessKeyId"],
        "aws_secret_access_key": answer["SecretAccessKey"],
        "aws_session_token": answer["SessionToken"],
    }
    return Clients(
        session=base, config=config, endpoint_url=source.endpoint_url, credentials=credentials
    )


def account_id(clients: Clients, region: str) -> str:
    """The account the credentials reach (sts:GetCallerIdentity needs no permission)."""
    return str(clients.client("sts", region).get_caller_identity()["Account"])
