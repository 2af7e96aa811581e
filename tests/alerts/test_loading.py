"""Notifiers are plugins: found through the `drift.notifiers` entry points pyproject.toml
declares, built from the settings with their secrets from the environment; `drift run
--once` pushes and flushes before it exits."""

from __future__ import annotations

from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from alerts.alertmanager import AlertmanagerNotifier
from alerts.webhook import WebhookNotifier
from drift.errors import PluginError
from drift.notify.loading import build_dispatcher
from drift.plugins import NOTIFIERS_GROUP
from drift.settings import Settings, SettingsError, Target
from tests.alerts.plugins import declared_notifiers
from tests.alerts.receiver import Receiver, receiving

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "online-shop"
TARGET = Target(name="shop", baseline="b.yaml", manifests=["m/"])


def configured(*notifiers: dict[str, Any]) -> Settings:
    return Settings.model_validate({"targets": [TARGET.model_dump()], "notifiers": notifiers})


def test_pyproject_declares_both_notifiers_and_each_builds_from_settings() -> None:
    found = {ep.name: ep.load() for ep in declared_notifiers()}
    assert set(found) == {"alertmanager", "webhook"}
    settings = configured(
        {"type": "alertmanager", "url": "http://am:pw@am.example:9093/prefix"},
        {"type": "webhook", "urlEnv": "HOOK", "signature": {"secretEnv": "KEY"}},
    )
    env = {"HOOK": "https://hooks.example/T0/B0/s3cret", "KEY": "k"}
    am = found["alertmanager"](settings.notifiers[0], env)
    hook = found["webhook"](settings.notifiers[1], env)
    assert isinstance(am, AlertmanagerNotifier) and isinstance(hook, WebhookNotifier)
    # What may be shown of them: scheme, host and port, never a path, user or secret.
    assert repr(am) == "AlertmanagerNotifier(http://am.example:9093)"
    assert repr(hook) == "WebhookNotifier(https://hooks.example)"
    dispatcher = build_dispatcher(settings, env, found=declared_notifiers())
    assert dispatcher.names == ["alertmanager", "webhook"]
    dispatcher.close(timeout=1)


def test_a_missing_plugin_or_secret_is_an_error_naming_it() -> None:
    settings = configured({"type": "webhook", "url": "http://x", "signature": {"secretEnv": "K"}})
    with pytest.raises(PluginError, match=r"no drift\.notifiers plugin named 'webhook'"):
        build_dispatcher(settings, {"K": "k"}, found=[])
    with pytest.raises(SettingsError, match="signature: environment variable K is not set"):
        build_dispatcher(settings, {}, found=declared_notifiers())


def test_factories_can_stand_in_for_the_entry_points() -> None:
    built: list[str] = []

    class Null:
        def send(self, batch: object) -> bool:
            return False

    def factory(settings: Any, environ: Any) -> Null:
        built.append(settings.label)
        return Null()

    settings = configured({"type": "webhook", "url": "http://x", "name": "one"})
    dispatcher = build_dispatcher(settings, {}, factories={"webhook": factory})
    assert built == ["one"] and dispatcher.names == ["one"]
    dispatcher.close(timeout=1)


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The installed entry points, plus the notifiers as pyproject.toml declares them (this
    checkout may be installed from before it declared them)."""
    import drift.plugins

    real = drift.plugins.entry_points

    def entry_points(*, group: str) -> list[EntryPoint]:
        if group == NOTIFIERS_GROUP:
            return declared_notifiers()
        return list(real(group=group))

    monkeypatch.setattr(drift.plugins, "entry_points", entry_points)


def test_drift_run_once_pushes_and_flushes_before_it_exits(
    tmp_path: Path, installed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    with receiving(Receiver()) as ok, receiving(Receiver(statuses=(500,))) as broken:
        config = tmp_path / "drift.yaml"
        config.write_text(
            f"database: sqlite:///{tmp_path / 'drift.db'}\n"
            "targets:\n"
            f"  - {{name: shop, baseline: {EXAMPLE / 'baseline.yaml'}, "
            f"manifests: [{EXAMPLE / 'drifted'}]}}\n"
            "notifiers:\n"
            "  - {type: webhook, urlEnv: HOOK_URL}\n"
            f"  - {{type: webhook, name: broken, url: '{broken.url}', "
            "retry: {attempts: 2, initialBackoffSeconds: 0.01}}\n"
        )
        monkeypatch.setenv("HOOK_URL", ok.url)
        monkeypatch.delenv("DRIFT_DATABASE_URL", raising=False)
        from drift.cli import main

        result = CliRunner().invoke(main, ["run", "--once", "--config", str(config)])
        assert result.exit_code == 0, result.output
        assert len(ok.received) == 1  # delivered before the command returned
        assert len(broken.received) == 2
    assert "warning: notifier broken: 1 failed, 0 dropped, 0 sent" in result.stderr
    assert "notifier webhook" not in result.stderr
    monkeypatch.delenv("HOOK_URL")
    missing = CliRunner().invoke(main, ["run", "--once", "--config", str(config)])
    assert missing.exit_code == 2
    assert "notifiers[0].urlEnv: environment variable HOOK_URL is not set" in missing.stderr
