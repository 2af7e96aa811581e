"""Notifications: what a committed cycle tells the outside world, and how it gets there.

- `drift.notify.events` (pure): the `Batch` of one cycle — its events (new, reopened,
  resolved, accepted, acceptance-expired) and the findings open at its end.
- `drift.notify.history` reads what the store held before the cycle, which the events need.
- `drift.notify.dispatch`: the `Notifier` protocol, and the `Dispatcher` that delivers batches
  on background threads (bounded queues, retries with backoff) without ever blocking a run.
- `drift.notify.metrics`: `drift_notifications_total{notifier,outcome}`.
- `drift.notify.loading`: notifiers built from the settings through the `drift.notifiers`
  entry points (the Alertmanager and webhook notifiers live in `alerts/`).

See docs/notifications.md.
"""
