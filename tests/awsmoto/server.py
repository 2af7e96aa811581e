"""One moto server per test session on loopback, reset before each test.

Requests reach it through an HTTP proxy (HTTP_PROXY: moto itself, or the Pager in front of
it), because S3 Control puts the account id in the host name (`<account>.127.0.0.1`), which
no resolver knows; a proxy is handed the whole URL and needs no name lookup.
"""

from __future__ import annotations

import logging
import os
import urllib.request
from dataclasses import dataclass
from typing import Any

import pytest

ACCOUNT = "123456789012"  # moto's default account
REGION = "eu-west-1"


@dataclass(frozen=True)
class Moto:
    url: str

    def post(self, path: str, body: str = "") -> None:
        request = urllib.request.Request(
            self.url + path,
            data=body.encode(),
            method="POST",
            headers={"Content-Type": "text/plain"},
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=30) as answer:
            answer.read()

    def reset(self) -> None:
        """Every backend emptied, and requests no longer authenticated."""
        self.post("/moto-api/reset")
        self.post("/moto-api/reset-auth", "inf")

    def enforce_iam(self) -> None:
        """From the next request on, moto checks signatures and the caller's IAM policies."""
        self.post("/moto-api/reset-auth", "0")

    def client(self, service: str, region: str = REGION, **credentials: Any) -> Any:
        import boto3

        return boto3.client(service, endpoint_url=self.url, region_name=region, **credentials)


def start_moto() -> tuple[Any, Moto]:
    """A started ThreadedMotoServer and its address; skips without moto (fails under CI)."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"moto is required under CI: {exc}", pytrace=False)
        pytest.skip(f"moto[server] is not installed: {exc}")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return server, Moto(url=f"http://{host}:{port}")
