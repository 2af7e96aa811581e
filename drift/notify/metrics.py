"""`drift_notifications_total{notifier,outcome}`: what became of each batch sent to a notifier.

One count per batch and notifier (not per HTTP request or attempt):
- `sent` — delivered, possibly after retries;
- `failed` — every attempt failed, or the notifier refused it for good (a 4xx answer);
- `dropped` — never attempted: the notifier's queue was full, or it was still queued when
  the process stopped and the flush timed out.

The counter is not registered anywhere by itself: the service registers `collector` in its
own `CollectorRegistry`. Low cardinality: one series per configured notifier and outcome,
each created at zero so a rate or an alert on it works from the start.
"""

from __future__ import annotations

import enum
import threading
from collections import Counter as Tally

from prometheus_client import Counter


class Outcome(enum.StrEnum):
    SENT = "sent"
    FAILED = "failed"
    DROPPED = "dropped"


class NotificationMetrics:
    def __init__(self) -> None:
        self.collector = Counter(
            "drift_notifications",
            "Notification batches per notifier by outcome (sent, failed, dropped).",
            labelnames=["notifier", "outcome"],
            registry=None,
        )
        self._lock = threading.Lock()
        self._tally: Tally[tuple[str, Outcome]] = Tally()

    def add_notifier(self, name: str) -> None:
        for outcome in Outcome:
            self.collector.labels(name, str(outcome))

    def count(self, name: str, outcome: Outcome, amount: int = 1) -> None:
        self.collector.labels(name, str(outcome)).inc(amount)
        with self._lock:
            self._tally[name, outcome] += amount

    def value(self, name: str, outcome: Outcome) -> int:
        """The count so far (for `drift run --once`'s summary, and tests)."""
        with self._lock:
            return self._tally[name, outcome]
