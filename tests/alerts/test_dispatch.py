"""Delivering batches: background workers, bounded queues, retries, and every outcome counted."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from drift.notify.dispatch import Channel, Dispatcher, NotifyError, RetryPolicy
from drift.notify.events import Batch
from drift.settings import Settings, Target
from drift.store.records import RunOutcome
from drift.store.sql import SqlStore

FAST = RetryPolicy(attempts=3, initial_backoff=0.01, max_backoff=0.02)
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "online-shop"


def batch(run_id: str = "r1") -> Batch:
    return Batch(
        target="shop",
        cluster="c",
        run_id=run_id,
        outcome=RunOutcome.OK,
        at=datetime(2026, 11, 1, tzinfo=UTC),
        interval_seconds=60,
    )


class Scripted:
    """Fails with the given errors in turn, then delivers; records each attempt."""

    def __init__(self, *errors: NotifyError, block: threading.Event | None = None) -> None:
        self.errors = list(errors)
        self.block = block
        self.attempts: list[str] = []
        self.delivered: list[str] = []

    def send(self, batch: Batch) -> bool:
        self.attempts.append(batch.run_id)
        if self.block is not None:
            self.block.wait(10)
        if self.errors:
            raise self.errors.pop(0)
        self.delivered.append(batch.run_id)
        return True


def until(condition: Callable[[], object], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition never met"
        time.sleep(0.01)


def dispatcher(*channels: Channel) -> Dispatcher:
    return Dispatcher(list(channels), jitter=lambda: 0.5)


def test_a_retryable_failure_is_retried_until_delivered() -> None:
    notifier = Scripted(NotifyError("503"), NotifyError("timed out"))
    d = dispatcher(Channel(name="n", notifier=notifier, retry=FAST))
    d.submit(batch())
    assert d.close(timeout=5)
    assert notifier.attempts == ["r1"] * 3 and notifier.delivered == ["r1"]
    assert d.summary() == {"n": {"sent": 1, "failed": 0, "dropped": 0}}


def test_a_refusal_is_not_retried_and_attempts_are_capped() -> None:
    refused = Scripted(NotifyError("400", retryable=False))
    failing = Scripted(*[NotifyError("503")] * 5)
    d = dispatcher(
        Channel(name="refused", notifier=refused, retry=FAST),
        Channel(name="failing", notifier=failing, retry=FAST),
    )
    d.submit(batch())
    assert d.close(timeout=5)
    assert len(refused.attempts) == 1 and len(failing.attempts) == 3
    assert d.summary()["refused"]["failed"] == 1 and d.summary()["failing"]["failed"] == 1


def test_backoff_doubles_up_to_its_cap_with_jitter() -> None:
    policy = RetryPolicy(attempts=10, initial_backoff=1, max_backoff=10)
    assert [policy.backoff(n, 1.0) for n in (1, 2, 3, 4, 5)] == [1, 2, 4, 8, 10]
    assert [policy.backoff(n, 0.0) for n in (1, 2, 5)] == [0.5, 1, 5]


def test_retry_after_is_honoured_up_to_the_cap() -> None:
    notifier = Scripted(NotifyError("429", retry_after=0.3))
    d = dispatcher(Channel(name="n", notifier=notifier, retry=RetryPolicy(max_backoff=0.2)))
    started = time.monotonic()
    d.submit(batch())
    assert d.close(timeout=5)
    assert 0.2 <= time.monotonic() - started < 2


def test_submit_never_waits_and_a_full_queue_drops_its_oldest_batch() -> None:
    gate = threading.Event()
    notifier = Scripted(block=gate)
    d = dispatcher(Channel(name="n", notifier=notifier, queue_size=2))
    started = time.monotonic()
    d.submit(batch("r1"))
    until(lambda: notifier.attempts)  # r1 is under way, the queue empty
    for run in ("r2", "r3", "r4"):  # r2 falls out for r4
        d.submit(batch(run))
    assert time.monotonic() - started < 1
    gate.set()
    assert d.close(timeout=5)
    assert notifier.delivered == ["r1", "r3", "r4"]
    assert d.summary() == {"n": {"sent": 3, "failed": 0, "dropped": 1}}


def test_a_hung_notifier_delays_no_other_and_close_gives_up_at_its_timeout() -> None:
    gate = threading.Event()
    hung, quick = Scripted(block=gate), Scripted()
    d = dispatcher(Channel(name="hung", notifier=hung), Channel(name="quick", notifier=quick))
    d.submit(batch("r1"))
    d.submit(batch("r2"))
    until(lambda: hung.attempts)
    started = time.monotonic()
    assert not d.close(timeout=0.5)
    assert 0.4 < time.monotonic() - started < 2
    assert quick.delivered == ["r1", "r2"]
    assert d.summary()["hung"] == {"sent": 0, "failed": 0, "dropped": 1}  # r2 never tried
    d.submit(batch("r3"))  # after close: dropped, counted
    assert d.summary()["quick"]["dropped"] == 1
    gate.set()


def test_close_cuts_a_backoff_short() -> None:
    notifier = Scripted(*[NotifyError("503")] * 3)
    policy = RetryPolicy(attempts=3, initial_backoff=60, max_backoff=60)
    d = dispatcher(Channel(name="n", notifier=notifier, retry=policy))
    d.submit(batch())
    until(lambda: notifier.attempts)  # the first attempt failed; a minute to wait
    started = time.monotonic()
    d.close(timeout=0.2)
    assert time.monotonic() - started < 2
    until(lambda: d.summary()["n"]["failed"])
    assert d.summary()["n"] == {"sent": 0, "failed": 1, "dropped": 0}


def test_a_notifier_bug_fails_its_batch_and_its_worker_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Broken:
        calls = 0

        def send(self, batch: Batch) -> bool:
            Broken.calls += 1
            if Broken.calls == 1:
                raise ValueError("Invalid header value b'Bearer s3cret'")
            return True

    d = dispatcher(Channel(name="n", notifier=Broken()))
    d.submit(batch("r1"))
    d.submit(batch("r2"))
    assert d.close(timeout=5)
    assert d.summary()["n"] == {"sent": 1, "failed": 1, "dropped": 0}
    assert "ValueError" in caplog.text and "s3cret" not in caplog.text


def test_the_counter_is_exported_at_zero_for_every_notifier_and_outcome() -> None:
    d = dispatcher(Channel(name="am", notifier=Scripted()))
    registry = CollectorRegistry()
    registry.register(d.metrics.collector)
    d.submit(batch())
    assert d.close(timeout=5)
    text = generate_latest(registry).decode()
    assert 'drift_notifications_total{notifier="am",outcome="sent"} 1.0' in text
    assert 'drift_notifications_total{notifier="am",outcome="failed"} 0.0' in text
    assert 'drift_notifications_total{notifier="am",outcome="dropped"} 0.0' in text


def test_the_service_exports_the_counter_and_drains_when_it_stops(tmp_path: Path) -> None:
    from drift.service import Service

    gate = threading.Event()
    notifier = Scripted(block=gate)
    target = Target(
        name="shop", baseline=str(EXAMPLE / "baseline.yaml"), manifests=[str(EXAMPLE / "drifted")]
    )
    store = SqlStore(f"sqlite:///{tmp_path / 'drift.db'}")
    store.migrate()
    try:
        service = Service(
            Settings(targets=[target]),
            store,
            lambda: datetime.now(UTC),
            dispatcher=dispatcher(Channel(name="hook", notifier=notifier)),
        )
        service.start()  # the first cycle runs at once
        until(lambda: notifier.attempts and service.ready, timeout=20)
        assert not notifier.delivered  # queued: the cycle did not wait
        threading.Timer(0.3, gate.set).start()
        service.stop()  # what SIGTERM does: waits for the delivery under way
        assert len(notifier.delivered) == 1
        text = generate_latest(service.registry).decode()
        assert 'drift_notifications_total{notifier="hook",outcome="sent"} 1.0' in text
    finally:
        store.close()
