"""The pytest fixtures of moto's server, for every test that reads AWS (tests/conftest.py
registers them): one server per session, emptied before each test that asks for it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .server import REGION, Moto, start_moto


@pytest.fixture(scope="session")
def moto_server() -> Iterator[Moto]:
    server, moto = start_moto()
    yield moto
    server.stop()


@pytest.fixture
def moto(moto_server: Moto, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Moto:
    """moto emptied, and an environment that reaches only it: dummy credentials, no AWS
    profile or instance metadata, and moto as the HTTP proxy (see awsmoto.server)."""
    moto_server.reset()
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("HTTP_PROXY", moto_server.url)
    monkeypatch.delenv("http_proxy", raising=False)
    return moto_server
