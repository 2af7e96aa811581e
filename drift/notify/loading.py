"""Notifiers built from the settings through the `drift.notifiers` entry points.

A notifier plugin is a factory `(settings, environ) -> Notifier`, registered under its `type`
(`alertmanager`, `webhook`: see pyproject.toml). It reads its secrets from `environ` when it
is built, once, so they live in memory only.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from importlib.metadata import EntryPoint

from drift.notify.dispatch import Channel, Dispatcher, Notifier, RetryPolicy
from drift.notify.metrics import NotificationMetrics
from drift.plugins import NOTIFIERS_GROUP, load_plugin
from drift.settings import NotifierSettings, Settings

Factory = Callable[[NotifierSettings, Mapping[str, str]], Notifier]


def build_dispatcher(
    settings: Settings,
    environ: Mapping[str, str] | None = None,
    *,
    factories: Mapping[str, Factory] | None = None,
    found: Iterable[EntryPoint] | None = None,
    metrics: NotificationMetrics | None = None,
) -> Dispatcher:
    """A dispatcher for every notifier of `settings` (none: one that sends nothing).

    `factories` by type replaces the entry points; `found` replaces the installed ones.
    """
    env = os.environ if environ is None else environ
    entries = list(found) if found is not None else None
    channels = []
    for notifier in settings.notifiers:
        factory = (
            factories[notifier.type]
            if factories is not None
            else load_plugin(NOTIFIERS_GROUP, notifier.type, entries)
        )
        channels.append(channel(notifier, factory(notifier, env)))
    return Dispatcher(channels, metrics=metrics)


def channel(settings: NotifierSettings, notifier: Notifier) -> Channel:
    retry = settings.retry
    return Channel(
        name=settings.label,
        notifier=notifier,
        retry=RetryPolicy(
            attempts=retry.attempts,
            initial_backoff=retry.initial_backoff,
            max_backoff=retry.max_backoff,
        ),
        queue_size=settings.queue_size,
        flush_timeout=settings.flush_timeout,
    )
