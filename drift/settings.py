"""The settings file of `drift run` and `drift serve`, validated like baselines.

With no file, the settings are the bundled example: one target, the example shop's drifted
manifests judged against its baseline, stored in `./drift.db` (SQLite). Environment variables
override secrets so they never have to be written in the file: DRIFT_DATABASE_URL.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from drift.errors import InputError
from drift.validation import single_document, validate

DATABASE_ENV = "DRIFT_DATABASE_URL"
DEFAULT_DATABASE = "sqlite:///drift.db"
EXAMPLE = Path(__file__).resolve().parent / "examples" / "online-shop"

Name = Annotated[
    str, Field(min_length=1, max_length=63, pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
]


class SettingsError(InputError):
    """A settings file that cannot be read or is not valid."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class KubernetesSource(_Strict):
    """A live cluster, read through the official client with least privilege."""

    kubeconfig: str | None = Field(default=None, description="Path; absent: in-cluster.")
    context: str | None = None
    page_size: int = Field(default=500, ge=1, le=10_000, alias="pageSize")
    request_timeout: float = Field(default=30, gt=0, alias="requestTimeoutSeconds")


class Target(_Strict):
    """One system to watch: where to read it, and the design to judge it against."""

    name: Name
    baseline: str = Field(min_length=1, description="Path of the baseline file.")
    cluster: str = Field(default="default", min_length=1, description="Cluster name in ids.")
    manifests: list[str] | None = Field(default=None, min_length=1)
    kubernetes: KubernetesSource | None = None
    namespace: str = Field(default="default", description="For manifests that set none.")
    interval_seconds: int = Field(default=300, ge=1, alias="intervalSeconds")

    @model_validator(mode="after")
    def _one_source(self) -> Target:
        if (self.manifests is None) == (self.kubernetes is None):
            raise ValueError("a target reads exactly one of manifests or kubernetes")
        return self


class Http(_Strict):
    bind: str = "127.0.0.1"
    port: int = Field(default=9477, ge=0, le=65535)


class Settings(_Strict):
    database: str = DEFAULT_DATABASE
    http: Http = Field(default_factory=Http)
    log_format: Literal["text", "json"] = Field(default="text", alias="logFormat")
    targets: list[Target] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_targets(self) -> Settings:
        names = [t.name for t in self.targets]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"target names must be unique: {', '.join(duplicates)}")
        return self


def example_settings() -> Settings:
    return Settings(
        targets=[
            Target(
                name="example",
                baseline=str(EXAMPLE / "baseline.yaml"),
                manifests=[str(EXAMPLE / "drifted")],
            )
        ]
    )


def load_settings(path: str | None, environ: dict[str, str] | None = None) -> Settings:
    """The settings of `path` (or the example), with environment overrides applied."""
    env = os.environ if environ is None else environ
    if path is None:
        settings = example_settings()
    else:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise SettingsError([f"{path}: cannot read: {exc.strerror or exc}"]) from None
        document = single_document(data, path, "a settings", SettingsError)
        settings = validate(Settings, document, path, error=SettingsError)
    url = env.get(DATABASE_ENV)
    return settings.model_copy(update={"database": url}) if url else settings
