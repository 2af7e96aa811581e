"""Delivering batches without ever blocking a run: one worker thread and bounded queue per
notifier, retries with exponential backoff and jitter, and a count of every outcome.

`Dispatcher.submit` only queues (a full queue drops its oldest batch: the newest one carries
the whole open set, so it is worth more to Alertmanager). Each notifier has its own worker,
so one that hangs never delays another. `close` waits for the queues to empty, up to a
timeout, then stops: what is still queued is counted `dropped`, and a retry waiting for its
backoff gives up at once.

Retries are a small loop rather than a library: it has to wait on an event that `close`
sets (so a shutdown never sits out a 60-second backoff), count outcomes, and honour
Retry-After; that is fifteen lines here and would be as many of configuration elsewhere.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from drift.errors import DriftError
from drift.notify.events import Batch
from drift.notify.metrics import NotificationMetrics, Outcome

log = logging.getLogger(__name__)


class NotifyError(DriftError):
    """A delivery that failed. Its message is logged: it must hold no secret and no URL
    credential. `retryable`: whether trying again may help (a timeout, a 5xx or 429 answer,
    not a 4xx); `retry_after`: seconds the receiver asked to wait, if it did."""

    def __init__(
        self, message: str, *, retryable: bool = True, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class Notifier(Protocol):
    def send(self, batch: Batch) -> bool:
        """Deliver one batch, or raise `NotifyError`; False when it had nothing to send (not
        counted). Called on the notifier's own worker thread; the dispatcher retries. Each
        request must have a timeout."""


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    attempts: int = 5  # in all, the first one too
    initial_backoff: float = 1.0  # seconds before the second attempt (before jitter)
    max_backoff: float = 60.0

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.initial_backoff < 0 or self.max_backoff < 0:
            raise ValueError(f"a retry policy needs attempts >= 1 and backoffs >= 0: {self}")

    def backoff(self, attempt: int, jitter: float) -> float:
        """Seconds to wait after failed attempt `attempt` (1-based): doubling from
        `initial_backoff` up to `max_backoff`, then half of it fixed and half random
        (`jitter` in [0, 1)), so many monitors failing together do not retry together."""
        ceiling = min(self.max_backoff, self.initial_backoff * 2.0 ** (attempt - 1))
        return ceiling / 2 + ceiling / 2 * jitter


@dataclass(frozen=True, kw_only=True)
class Channel:
    """One notifier with its delivery policy; `name` labels its logs and metrics."""

    name: str
    notifier: Notifier
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    queue_size: int = 100
    flush_timeout: float = 30.0  # how long `close` waits for this queue by default


class Dispatcher:
    def __init__(
        self,
        channels: Sequence[Channel] = (),
        *,
        metrics: NotificationMetrics | None = None,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.metrics = metrics or NotificationMetrics()
        names = [c.name for c in channels]
        if len(set(names)) != len(names):
            raise ValueError(f"notifier names must be unique: {names}")
        self._workers = [_Worker(c, self.metrics, jitter) for c in channels]

    @property
    def names(self) -> list[str]:
        return [w.channel.name for w in self._workers]

    def submit(self, batch: Batch) -> None:
        """Queue `batch` for every notifier; returns at once."""
        for worker in self._workers:
            worker.put(batch)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every queue is empty and no delivery is under way; False on timeout."""
        deadline = self._deadline(timeout)
        idle = [w.wait_idle(deadline) for w in self._workers]  # every one, no short cut
        return all(idle)

    def close(self, timeout: float | None = None) -> bool:
        """Flush (by default up to the longest `flush_timeout`), then stop the workers; what
        is left is dropped. True when everything queued was attempted."""
        deadline = self._deadline(timeout)
        closed = [w.close(deadline) for w in self._workers]  # every one, no short cut
        return all(closed)

    def summary(self) -> dict[str, dict[str, int]]:
        """Per notifier, the batches sent, failed and dropped so far."""
        return {name: {str(o): self.metrics.value(name, o) for o in Outcome} for name in self.names}

    def _deadline(self, timeout: float | None) -> float:
        if timeout is None:
            timeout = max((w.channel.flush_timeout for w in self._workers), default=0.0)
        return time.monotonic() + timeout


class _Worker:
    def __init__(
        self, channel: Channel, metrics: NotificationMetrics, jitter: Callable[[], float]
    ) -> None:
        self.channel = channel
        self._metrics = metrics
        self._jitter = jitter
        self._cond = threading.Condition()
        self._queue: deque[Batch] = deque()
        self._busy = False
        self._closed = False
        self._stopping = threading.Event()
        metrics.add_notifier(channel.name)
        self._thread = threading.Thread(
            target=self._run, name=f"notify-{channel.name}", daemon=True
        )
        self._thread.start()

    def put(self, batch: Batch) -> None:
        name = self.channel.name
        with self._cond:
            if self._closed:
                log.warning("notifier %s: stopped; run %s not sent", name, batch.run_id)
                self._metrics.count(name, Outcome.DROPPED)
                return
            if len(self._queue) >= self.channel.queue_size:
                oldest = self._queue.popleft()
                log.warning(
                    "notifier %s: queue full (%d batches); run %s of %s dropped",
                    name,
                    self.channel.queue_size,
                    oldest.run_id,
                    oldest.target,
                )
                self._metrics.count(name, Outcome.DROPPED)
            self._queue.append(batch)
            self._cond.notify_all()

    def wait_idle(self, deadline: float) -> bool:
        with self._cond:
            return self._cond.wait_for(
                lambda: not self._queue and not self._busy,
                timeout=max(0.0, deadline - time.monotonic()),
            )

    def close(self, deadline: float) -> bool:
        idle = self.wait_idle(deadline)
        with self._cond:
            self._closed = True
            left = len(self._queue)
            self._queue.clear()
            self._cond.notify_all()
        self._stopping.set()
        if left:
            log.warning(
                "notifier %s: stopping; %d queued batch(es) dropped", self.channel.name, left
            )
            self._metrics.count(self.channel.name, Outcome.DROPPED, left)
        self._thread.join(timeout=max(0.0, deadline - time.monotonic()))
        return idle

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: bool(self._queue) or self._closed)
                if not self._queue:
                    return
                batch = self._queue.popleft()
                self._busy = True
            outcome = self._deliver(batch)
            if outcome is not None:
                self._metrics.count(self.channel.name, outcome)
            with self._cond:
                self._busy = False
                self._cond.notify_all()

    def _deliver(self, batch: Batch) -> Outcome | None:
        """Attempts until sent, refused, out of attempts or stopping; None: nothing to send."""
        for attempt in range(1, self.channel.retry.attempts + 1):
            try:
                sent = self.channel.notifier.send(batch)
            except NotifyError as exc:
                if self._gives_up(batch, attempt, exc):
                    return Outcome.FAILED
                continue
            except Exception as exc:  # a notifier's bug must not kill its worker
                # The type only: a message may quote a header value.
                name = self.channel.name
                log.error("notifier %s: run %s: %s", name, batch.run_id, type(exc).__name__)
                return Outcome.FAILED
            if not sent:
                return None
            log.info(
                "notifier %s: run %s of %s delivered (attempt %d)",
                self.channel.name, batch.run_id, batch.target, attempt,
            )  # fmt: skip
            return Outcome.SENT
        return Outcome.FAILED  # attempts >= 1: not reached

    def _gives_up(self, batch: Batch, attempt: int, exc: NotifyError) -> bool:
        """Log failed attempt `attempt`; True when there is to be no other, else False once
        its backoff is over."""
        name, policy = self.channel.name, self.channel.retry
        if not exc.retryable or attempt == policy.attempts or self._stopping.is_set():
            log.error(
                "notifier %s: run %s of %s not delivered (attempt %d of %d): %s",
                name, batch.run_id, batch.target, attempt, policy.attempts, exc,
            )  # fmt: skip
            return True
        delay = max(
            policy.backoff(attempt, self._jitter()),
            min(exc.retry_after or 0.0, policy.max_backoff),
        )
        log.warning(
            "notifier %s: run %s: attempt %d of %d failed: %s; retrying in %.2fs",
            name, batch.run_id, attempt, policy.attempts, exc, delay,
        )  # fmt: skip
        if self._stopping.wait(delay):
            log.error("notifier %s: run %s: stopped before retrying", name, batch.run_id)
            return True
        return False
