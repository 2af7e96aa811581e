"""Plugins found through entry points, so the core never imports them by name."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from drift.errors import PluginError

COLLECTORS_GROUP = "drift.collectors"
NOTIFIERS_GROUP = "drift.notifiers"


def registry(group: str, found: Iterable[EntryPoint] | None = None) -> dict[str, EntryPoint]:
    """Entry points of `group` by name; two plugins with one name are refused, naming both."""
    by_name: dict[str, EntryPoint] = {}
    for ep in entry_points(group=group) if found is None else found:
        other = by_name.get(ep.name)
        if other is not None and other.value != ep.value:
            raise PluginError(
                f"two {group} plugins are named {ep.name!r}: {other.value} and {ep.value}"
            )
        by_name[ep.name] = ep
    return by_name


def load_plugin(
    group: str, name: str, found: Iterable[EntryPoint] | None = None
) -> Callable[..., Any]:
    """The factory registered as `name` in `group` (among `found`, default: the installed)."""
    plugins = registry(group, found)
    if name not in plugins:
        known = ", ".join(sorted(plugins)) or "none"
        raise PluginError(f"no {group} plugin named {name!r} (installed: {known})")
    try:
        factory: Callable[..., Any] = plugins[name].load()
    except (ImportError, AttributeError) as exc:
        raise PluginError(f"{group} plugin {name!r} failed to load: {exc}") from exc
    return factory
