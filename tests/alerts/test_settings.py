"""The `notifiers:` section of the settings: validated like the rest, secrets only named."""

from __future__ import annotations

from pathlib import Path

import pytest

from drift.settings import (
    AlertmanagerSettings,
    SettingsError,
    WebhookSettings,
    load_settings,
)

HEAD = """\
targets:
  - {name: shop, baseline: b.yaml, manifests: [m/]}
notifiers:
"""

GOOD = (
    HEAD
    + """\
  - type: alertmanager
    url: http://alertmanager:9093
    labels: {team: platform}
  - type: webhook
    name: tickets
    urlEnv: TICKETS_URL
    headersFromEnv: {Authorization: TICKETS_TOKEN}
    signature: {secretEnv: TICKETS_SECRET}
    retry: {attempts: 3, initialBackoffSeconds: 0.5}
    timeoutSeconds: 5
"""
)

ENV = {
    "TICKETS_URL": "https://user:pw@tickets.example/hook/s3cret",
    "TICKETS_TOKEN": "Bearer t0ken",
    "TICKETS_SECRET": "hmac-key",
}


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "drift.yaml"
    path.write_text(text)
    return str(path)


def problems(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> tuple[str, ...]:
    path = write(tmp_path, text)
    with pytest.raises(SettingsError) as caught:
        load_settings(path, environ=environ or {}, notifying=environ is not None)
    return caught.value.problems


def test_a_valid_section_loads_with_defaults_and_names(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, GOOD), environ=ENV, notifying=True)
    am, hook = settings.notifiers
    assert isinstance(am, AlertmanagerSettings) and isinstance(hook, WebhookSettings)
    assert (am.label, hook.label) == ("alertmanager", "tickets")
    assert am.resolve_after_intervals == 3 and am.alertname == "DesignDrift"
    assert hook.retry.attempts == 3 and hook.retry.max_backoff == 60
    assert hook.signature is not None and hook.signature.header == "X-Drift-Signature-256"
    assert "alertmanager:9093" not in repr(am)  # a URL may carry a credential
    assert load_settings(None, environ={}).notifiers == []


def test_every_problem_is_one_line_with_file_line_and_field(tmp_path: Path) -> None:
    bad = (
        HEAD
        + """\
  - type: webhook
    url: ftp://x
    signatur: {secretEnv: S}
  - type: alertmanager
    labels: {severity: low}
  - type: pagerduty
    url: http://x
"""
    )
    name = f"{tmp_path}/drift.yaml"
    assert problems(tmp_path, bad) == (
        f"{name}:5: notifiers[0].url: must be an http:// or https:// URL with a host",
        f"{name}:6: notifiers[0].signatur: unknown field (did you mean 'signature'?)",
        f"{name}:8: notifiers[1].labels: set by drift itself, not here: severity",
        f"{name}:9: notifiers[2]: Input tag 'pagerduty' found using 'type' does not match any "
        "of the expected tags: 'alertmanager', 'webhook'",
    )


def test_a_notifier_needs_one_url_and_a_unique_name(tmp_path: Path) -> None:
    both = HEAD + "  - {type: webhook, url: 'http://a', urlEnv: A}\n"
    assert problems(tmp_path, both)[0].endswith(
        ":4: notifiers[0]: a notifier takes exactly one of url or urlEnv"
    )
    twice = HEAD + "  - {type: webhook, url: 'http://a'}\n  - {type: webhook, url: 'http://b'}\n"
    assert (
        "notifier names must be unique (name defaults to the type): webhook"
        in problems(tmp_path, twice)[0]
    )


def test_commands_that_notify_need_every_named_variable_and_never_show_a_value(
    tmp_path: Path,
) -> None:
    missing = {k: v for k, v in ENV.items() if k != "TICKETS_TOKEN"}
    missing["TICKETS_URL"] = "tickets.example/hook/s3cret"
    found = problems(tmp_path, GOOD, missing)
    name = f"{tmp_path}/drift.yaml"
    assert found == (
        f"{name}:9: notifiers[1].urlEnv: $TICKETS_URL: must be an http:// or https:// URL "
        "with a host",
        f"{name}:10: notifiers[1].headersFromEnv.Authorization: environment variable "
        "TICKETS_TOKEN is not set",
    )
    assert not any("s3cret" in p for p in found)
    # Commands that do not notify (findings, accept, runs) do not need the secrets.
    assert len(load_settings(write(tmp_path, GOOD), environ={}).notifiers) == 2
