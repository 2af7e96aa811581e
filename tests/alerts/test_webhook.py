"""The webhook notifier against a real HTTP server on loopback: what it sends, how it signs,
how it retries, and that neither a failing nor a silent receiver holds a run up or leaks a
secret into the logs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from drift.monitor import run_once
from drift.notify.dispatch import Dispatcher
from drift.notify.loading import build_dispatcher
from drift.settings import Retry, Settings, Signature, Target, WebhookSettings
from drift.store.sql import SqlStore
from tests.alerts.plugins import declared_notifiers
from tests.alerts.receiver import Receiver, receiving

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "online-shop"
SCHEMA = json.loads((ROOT / "docs" / "notification-v1.schema.json").read_text())
TOKEN, SECRET = "Bearer t0k3n-value", "hmac-s3cret-value"
ENV = {"HOOK_TOKEN": TOKEN, "HOOK_SECRET": SECRET}


def now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    store = SqlStore(f"sqlite:///{tmp_path / 'drift.db'}")
    store.migrate()
    yield store
    store.close()


def settings(manifests: Path, url: str, **options: Any) -> Settings:
    target = Target(
        name="shop", baseline=str(EXAMPLE / "baseline.yaml"), manifests=[str(manifests)]
    )
    hook = WebhookSettings.model_validate(
        {
            "type": "webhook",
            "url": url,
            "headersFromEnv": {"Authorization": "HOOK_TOKEN"},
            "signature": Signature(secretEnv="HOOK_SECRET"),
            "retry": Retry(attempts=3, initialBackoffSeconds=0.01, maxBackoffSeconds=0.02),
            **options,
        }
    )
    return Settings(targets=[target], notifiers=[hook])


def dispatch(config: Settings) -> Dispatcher:
    return build_dispatcher(config, ENV, found=declared_notifiers())


def test_each_cycle_with_events_is_one_signed_post_in_the_documented_shape(
    tmp_path: Path, store: SqlStore
) -> None:
    live = tmp_path / "live"
    shutil.copytree(EXAMPLE / "drifted", live)
    with receiving(Receiver()) as hook:
        config = settings(live, hook.url + "/drift")
        dispatcher = dispatch(config)
        (first,) = run_once(config, store, now, dispatcher.submit)
        run_once(config, store, now, dispatcher.submit)  # nothing changed: nothing sent
        shutil.copy(EXAMPLE / "manifests" / "network-policies.yaml", live)
        run_once(config, store, now, dispatcher.submit)
        assert dispatcher.close(timeout=10)
    opened, fixed = hook.received
    for request in (opened, fixed):
        jsonschema.validate(request.json(), SCHEMA)
        assert request.path == "/drift"
        assert request.headers["Authorization"] == TOKEN
        assert request.headers["Content-Type"] == "application/json"
        expected = hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
        assert request.headers["X-Drift-Signature-256"] == f"sha256={expected}"
    assert opened.headers["X-Drift-Delivery"] == first.run.id
    body = opened.json()
    assert body["run"] == {"id": first.run.id, "outcome": "ok", "at": body["run"]["at"]}
    assert [e["event"] for e in body["events"]] == ["new"] * 6
    assert body["open"]["count"] == 6 and body["open"]["bySeverity"]["critical"] == 4
    fingerprints = {f.fingerprint for f in store.findings()}
    assert {e["finding"]["fingerprint"] for e in body["events"]} == fingerprints
    (resolved,) = fixed.json()["events"]
    assert resolved["event"] == "resolved" and resolved["finding"]["status"] == "resolved"
    assert resolved["finding"]["kind"] == "implicit-trust.flow"
    assert fixed.json()["open"]["count"] == 5
    assert dispatcher.summary() == {"webhook": {"sent": 2, "failed": 0, "dropped": 0}}


def test_two_failures_then_success_is_one_delivery_in_three_attempts(
    store: SqlStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with receiving(Receiver(statuses=(500, 503, 200))) as hook:
        config = settings(EXAMPLE / "drifted", hook.url + "/hook/path-s3cret?key=q-s3cret")
        dispatcher = dispatch(config)
        run_once(config, store, now, dispatcher.submit)
        assert dispatcher.close(timeout=10)
    assert len(hook.received) == 3
    assert len({r.body for r in hook.received}) == 1  # the same bytes on every attempt
    assert dispatcher.summary() == {"webhook": {"sent": 1, "failed": 0, "dropped": 0}}
    assert "answered 500" in caplog.text and "delivered (attempt 3)" in caplog.text
    assert_no_secrets(caplog.text)


def test_a_refusal_is_not_retried(store: SqlStore) -> None:
    with receiving(Receiver(statuses=(401,))) as hook:
        config = settings(EXAMPLE / "drifted", hook.url)
        dispatcher = dispatch(config)
        run_once(config, store, now, dispatcher.submit)
        assert dispatcher.close(timeout=10)
    assert len(hook.received) == 1
    assert dispatcher.summary()["webhook"]["failed"] == 1


def test_a_receiver_that_never_answers_holds_no_run_up_and_is_counted_failed(
    store: SqlStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with receiving(Receiver(hang=True)) as hook:
        url = hook.url.replace("http://", "http://drift:pa55w0rd-s3cret@") + "/h"
        config = settings(EXAMPLE / "drifted", url, timeoutSeconds=0.3)
        dispatcher = dispatch(config)
        started = time.monotonic()
        (cycle,) = run_once(config, store, now, dispatcher.submit)
        ran = time.monotonic() - started
        assert dispatcher.close(timeout=10)
        closed = time.monotonic() - started
    assert cycle.run.counts["new"] == 6
    assert ran < 5, "the run waited for the receiver"
    assert closed < ran + 3 * 0.3 + 2  # three attempts of 0.3 s, short backoffs
    assert len(hook.received) == 3
    assert dispatcher.summary() == {"webhook": {"sent": 0, "failed": 1, "dropped": 0}}
    assert "no answer within 0.3s" in caplog.text
    assert_no_secrets(caplog.text)


def test_redirects_are_not_followed(store: SqlStore) -> None:
    with receiving(Receiver(statuses=(307,))) as hook:
        config = settings(EXAMPLE / "drifted", hook.url)
        dispatcher = dispatch(config)
        run_once(config, store, now, dispatcher.submit)
        assert dispatcher.close(timeout=10)
    assert len(hook.received) == 1  # not re-sent, with its Authorization, elsewhere
    assert dispatcher.summary()["webhook"]["failed"] == 1


def assert_no_secrets(text: str) -> None:
    for secret in (TOKEN, "t0k3n", SECRET, "s3cret", "pa55w0rd"):
        assert secret not in text, secret


def test_userinfo_in_the_url_becomes_basic_authorization(store: SqlStore) -> None:
    with receiving(Receiver()) as hook:
        url = hook.url.replace("http://", "http://drift:pa%3Ass@")
        config = settings(EXAMPLE / "drifted", url, headersFromEnv={})
        dispatcher = dispatch(config)
        run_once(config, store, now, dispatcher.submit)
        assert dispatcher.close(timeout=10)
    (request,) = hook.received
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"drift:pa:ss").decode()
