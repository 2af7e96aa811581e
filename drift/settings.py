"""The settings file of `drift run` and `drift serve`, validated like baselines.

With no file, the settings are the bundled example: one target, the example shop's drifted
manifests judged against its baseline, stored in `./drift.db` (SQLite). Environment variables
override secrets so they never have to be written in the file: DRIFT_DATABASE_URL.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from drift.errors import InputError
from drift.k8s.objects import FieldPath
from drift.periods import parse_period
from drift.validation import located, single_document, validate

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


# -- AWS (docs/aws-collector.md) ---------------------------------------------------------------

_ACCOUNT_ID = r"^[0-9]{12}$"
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::([0-9]{12}):role/[\w+=,.@/-]{1,512}$")
_EKS_CLUSTER = re.compile(
    r"^(arn:aws[a-z-]*:eks:[a-z]{2}(-[a-z]+)+-[0-9]{1,2}:[0-9]{12}:cluster/)?"
    r"[0-9A-Za-z][A-Za-z0-9_-]{0,99}$"
)
Region = Annotated[str, Field(pattern=r"^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$", max_length=32)]


class AwsAccount(_Strict):
    """One account to read: with the default credentials (no roleArn), or through a role
    assumed in it (session name `design-drift`). `id` guards against reading the wrong
    account: the collection fails unless the credentials reach it."""

    id: str | None = Field(default=None, pattern=_ACCOUNT_ID)
    role_arn: str | None = Field(default=None, alias="roleArn")
    external_id: str | None = Field(
        default=None, alias="externalId", min_length=2, max_length=1224, pattern=r"^[\w+=,.@:/-]+$"
    )

    @field_validator("role_arn")
    @classmethod
    def _role(cls, value: str | None) -> str | None:
        if value is not None and not _ROLE_ARN.match(value):
            raise ValueError("not an IAM role ARN (arn:aws:iam::<12 digits>:role/<name>)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> AwsAccount:
        if self.external_id is not None and self.role_arn is None:
            raise ValueError("externalId is sent when assuming a role: it needs roleArn")
        in_arn = self.role_arn_account
        if self.id is not None and in_arn is not None and in_arn != self.id:
            raise ValueError(f"roleArn is a role of account {in_arn}, not of id {self.id}")
        return self

    @property
    def role_arn_account(self) -> str | None:
        match = None if self.role_arn is None else _ROLE_ARN.match(self.role_arn)
        return None if match is None else match.group(1)

    @property
    def label(self) -> str:
        """The account as far as the settings know it: its id, else the default account."""
        return self.id or self.role_arn_account or "default"


class AwsSource(_Strict):
    """AWS accounts read with boto3, read only: IAM and S3 once per account, the regional
    services in each region. `endpointUrl` sends every call to one endpoint: for tests
    against a local emulator (moto), never for a real account."""

    accounts: list[AwsAccount] = Field(default_factory=lambda: [AwsAccount()], min_length=1)
    regions: list[Region] = Field(min_length=1)
    endpoint_url: str | None = Field(default=None, alias="endpointUrl")
    max_attempts: int = Field(default=5, ge=1, le=20, alias="maxAttempts")
    request_timeout: float = Field(default=30, gt=0, le=600, alias="requestTimeoutSeconds")
    eks_cluster: str | None = Field(
        default=None,
        alias="eksCluster",
        description="The EKS cluster the target's manifests or kubernetes are: a name or a "
        "cluster ARN. Default: the target's `cluster`.",
    )

    @field_validator("eks_cluster")
    @classmethod
    def _eks_cluster(cls, value: str | None) -> str | None:
        if value is not None and not _EKS_CLUSTER.match(value):
            raise ValueError(
                "not an EKS cluster name or ARN (arn:aws:eks:<region>:<account>:cluster/<name>)"
            )
        return value

    @field_validator("endpoint_url")
    @classmethod
    def _endpoint(cls, url: str | None) -> str | None:
        problem = None if url is None else http_url_problem(url)
        if problem:
            raise ValueError(problem)
        return url

    @model_validator(mode="after")
    def _unique(self) -> AwsSource:
        regions = [r for r in self.regions if self.regions.count(r) > 1]
        labels = [a.role_arn or a.label for a in self.accounts]
        accounts = [a for a in labels if labels.count(a) > 1]
        if regions or accounts:
            twice = ", ".join(sorted(set(regions + accounts)))
            raise ValueError(f"regions and accounts are listed once each: {twice}")
        return self


# -- end of AWS --------------------------------------------------------------------------------


class Target(_Strict):
    """One system to watch: where to read it, and the design to judge it against. A cluster
    (`manifests` or `kubernetes`), AWS accounts (`aws`), or a cluster and the accounts its
    workloads act in, joined into one model."""

    name: Name
    baseline: str = Field(min_length=1, description="Path of the baseline file.")
    cluster: str = Field(default="default", min_length=1, description="Cluster name in ids.")
    manifests: list[str] | None = Field(default=None, min_length=1)
    kubernetes: KubernetesSource | None = None
    aws: AwsSource | None = None
    namespace: str = Field(default="default", description="For manifests that set none.")
    interval_seconds: int = Field(default=300, ge=1, alias="intervalSeconds")

    @model_validator(mode="after")
    def _sources(self) -> Target:
        """One model per target: a cluster (manifests or kubernetes), AWS accounts, or both
        joined, so the bridge from ServiceAccounts to IAM roles is seen."""
        clusters = [s for s in (self.manifests, self.kubernetes) if s is not None]
        if len(clusters) > 1:
            raise ValueError(
                "a target reads one cluster: manifests or kubernetes, not both "
                "(aws may join either)"
            )
        if not clusters and self.aws is None:
            raise ValueError(
                "a target reads manifests, kubernetes or aws, or aws with one of the other two"
            )
        if not clusters and self.aws is not None and self.aws.eks_cluster is not None:
            raise ValueError(
                "aws.eksCluster names the EKS cluster that manifests or kubernetes read: "
                "it needs one of them"
            )
        return self


class Http(_Strict):
    bind: str = "127.0.0.1"
    port: int = Field(default=9477, ge=0, le=65535)


# -- the weekly report (`report:`; docs/report.md) ------------------------------------------

_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+$")


def _mail_address(value: str) -> str:
    if len(value) > 254 or not _ADDRESS.match(value):
        raise ValueError(f"{value!r} is not a mail address (name@domain)")
    return value


MailAddress = Annotated[str, AfterValidator(_mail_address)]


class Smtp(_Strict):
    """The mail server the report is sent through. The password is never in the file: it is
    read from the environment variable `passwordEnv` when a report is sent."""

    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    username: str | None = Field(default=None, min_length=1)
    password_env: str = Field(
        default="DRIFT_SMTP_PASSWORD", alias="passwordEnv", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$"
    )
    ca_file: str | None = Field(
        default=None, alias="caFile", description="CA bundle for the server; default: system's."
    )
    timeout: float = Field(default=30, gt=0, alias="timeoutSeconds")

    @model_validator(mode="after")
    def _no_password_in_clear(self) -> Smtp:
        if self.username is not None and not self.starttls:
            raise ValueError("a username needs starttls: true (the password would go in clear)")
        return self


class ReportSettings(_Strict):
    """When the weekly report is made (`drift serve`), what period it covers, and where it
    goes: by mail through `smtp` to `to`, and/or into the folder `outDir`."""

    schedule: str = Field(default="0 8 * * MON", description="Cron: minute hour day month dow.")
    timezone: str = Field(default="UTC", description="IANA zone of the schedule and the dates.")
    since: str = Field(default="7d", description="The period covered, e.g. 7d.")
    to: list[MailAddress] = Field(default_factory=list)
    from_: MailAddress | None = Field(default=None, alias="from")
    smtp: Smtp | None = None
    out_dir: str | None = Field(default=None, alias="outDir", min_length=1)

    @field_validator("schedule")
    @classmethod
    def _crontab(cls, value: str) -> str:
        cron_trigger(value, "UTC")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        zone_info(value)
        return value

    @field_validator("since")
    @classmethod
    def _period(cls, value: str) -> str:
        parse_period(value)
        return value

    @model_validator(mode="after")
    def _deliverable(self) -> ReportSettings:
        if self.smtp is not None and (not self.to or self.from_ is None):
            raise ValueError("smtp needs `to` (one address or more) and `from`")
        if self.smtp is None and self.out_dir is None:
            raise ValueError("a report goes somewhere: give smtp (with to and from) or outDir")
        return self

    @property
    def period(self) -> timedelta:
        return parse_period(self.since)

    @property
    def zone(self) -> ZoneInfo:
        return zone_info(self.timezone)


def zone_info(name: str) -> ZoneInfo:
    """The IANA time zone `name`; ValueError naming it otherwise."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r} (an IANA name such as Europe/Berlin)"
        ) from None


def cron_trigger(expression: str, timezone: str) -> CronTrigger:
    """The APScheduler trigger of a crontab line in `timezone`; ValueError saying why not."""
    try:
        return CronTrigger.from_crontab(expression, timezone=zone_info(timezone))
    except ValueError as exc:
        raise ValueError(f"schedule {expression!r} is not a crontab line: {exc}") from None


# -- notifiers (docs/notifications.md) ----------------------------------------------------
# Secrets are never written here: header values, the signing secret and (optionally) the URL
# are named by environment variable and read when the notifiers are built.

EnvName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=128)]
HeaderName = Annotated[str, Field(pattern=r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$", max_length=128)]
# The labels every alert carries (docs/notifications.md); `labels:` adds others.
ALERT_LABELS = ("alertname", "kind", "severity", "target", "cluster", "zone", "fingerprint")
LabelName = Annotated[str, Field(pattern=r"^[a-zA-Z_][a-zA-Z0-9_]*$", max_length=128)]


def http_url_problem(url: str) -> str | None:
    """Why `url` is not an http(s) URL with a host, or None. Never repeats the URL, which may
    carry a credential."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return "not a valid URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http:// or https:// URL with a host"
    return None


class Retry(_Strict):
    """Exponential backoff with jitter between attempts of one delivery."""

    attempts: int = Field(default=5, ge=1, le=20, description="Attempts in all, the first too.")
    initial_backoff: float = Field(default=1.0, gt=0, le=300, alias="initialBackoffSeconds")
    max_backoff: float = Field(default=60.0, gt=0, le=3600, alias="maxBackoffSeconds")


class _Notifier(_Strict):
    type: Literal["alertmanager", "webhook"]
    name: Name | None = Field(default=None, description="Default: the type. Unique.")
    url: str | None = Field(  # not in repr: a URL may carry a credential
        default=None, repr=False, description="Or urlEnv: the URL from the environment."
    )
    url_env: EnvName | None = Field(default=None, alias="urlEnv")
    headers_from_env: dict[HeaderName, EnvName] = Field(
        default_factory=dict, alias="headersFromEnv", description="Header name: variable name."
    )
    timeout: float = Field(default=10, gt=0, le=300, alias="timeoutSeconds")
    retry: Retry = Field(default_factory=Retry)
    queue_size: int = Field(default=100, ge=1, le=10_000, alias="queueSize")
    flush_timeout: float = Field(default=30, ge=0, le=600, alias="flushTimeoutSeconds")

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        problem = None if url is None else http_url_problem(url)
        if problem:
            raise ValueError(problem)
        return url

    @model_validator(mode="after")
    def _one_url(self) -> _Notifier:
        if (self.url is None) == (self.url_env is None):
            raise ValueError("a notifier takes exactly one of url or urlEnv")
        return self

    @property
    def label(self) -> str:
        """The name in logs and in drift_notifications_total{notifier}."""
        return self.name or self.type

    def environment(self) -> Iterator[tuple[FieldPath, str]]:
        """Every environment variable this notifier reads, with the field naming it."""
        if self.url_env is not None:
            yield ("urlEnv",), self.url_env
        for header, variable in self.headers_from_env.items():
            yield ("headersFromEnv", header), variable


class AlertmanagerSettings(_Notifier):
    """Pushes every open finding to Alertmanager's v2 API each cycle."""

    type: Literal["alertmanager"]
    alertname: str = Field(default="DesignDrift", min_length=1)
    resolve_after_intervals: int = Field(default=3, ge=2, le=100, alias="resolveAfterIntervals")
    generator_url: str | None = Field(
        default=None, alias="generatorURL", description="May hold {target} and {fingerprint}."
    )
    labels: dict[LabelName, str] = Field(default_factory=dict, description="Added to each alert.")
    alerts_per_request: int = Field(default=500, ge=1, le=10_000, alias="alertsPerRequest")

    @field_validator("generator_url")
    @classmethod
    def _generator_url(cls, url: str | None) -> str | None:
        filled = None if url is None else url.replace("{target}", "t").replace("{fingerprint}", "f")
        problem = None if filled is None else http_url_problem(filled)
        if problem:
            raise ValueError(problem)
        return url

    @field_validator("labels")
    @classmethod
    def _own_labels(cls, labels: dict[str, str]) -> dict[str, str]:
        taken = sorted(set(labels) & set(ALERT_LABELS))
        if taken:
            raise ValueError(f"set by drift itself, not here: {', '.join(taken)}")
        return labels


class Signature(_Strict):
    secret_env: EnvName = Field(alias="secretEnv")
    header: HeaderName = "X-Drift-Signature-256"


class WebhookSettings(_Notifier):
    """Posts the events of each cycle as one JSON document (docs/notification-v1.schema.json)."""

    type: Literal["webhook"]
    signature: Signature | None = None

    def environment(self) -> Iterator[tuple[FieldPath, str]]:
        yield from super().environment()
        if self.signature is not None:
            yield ("signature", "secretEnv"), self.signature.secret_env


NotifierSettings = Annotated[AlertmanagerSettings | WebhookSettings, Field(discriminator="type")]

# -- end of notifiers ------------------------------------------------------------------------


class Settings(_Strict):
    database: str = DEFAULT_DATABASE
    http: Http = Field(default_factory=Http)
    log_format: Literal["text", "json"] = Field(default="text", alias="logFormat")
    targets: list[Target] = Field(min_length=1)
    report: ReportSettings | None = None
    notifiers: list[NotifierSettings] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_targets(self) -> Settings:
        names = [t.name for t in self.targets]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"target names must be unique: {', '.join(duplicates)}")
        return self

    @model_validator(mode="after")
    def _unique_notifiers(self) -> Settings:
        names = [n.label for n in self.notifiers]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            listed = ", ".join(duplicates)
            raise ValueError(f"notifier names must be unique (name defaults to the type): {listed}")
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


def load_settings(
    path: str | None, environ: Mapping[str, str] | None = None, *, notifying: bool = False
) -> Settings:
    """The settings of `path` (or the example), with environment overrides applied.

    `notifying` (commands that notify: run, serve) also checks that every environment
    variable a notifier names is set, and that a URL read from one is an http(s) URL.
    """
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
        problems = notifier_environment_problems(settings, env) if notifying else []
        if problems:
            raise SettingsError([located(path, document, where, what) for where, what in problems])
    url = env.get(DATABASE_ENV)
    return settings.model_copy(update={"database": url}) if url else settings


def notifier_environment_problems(
    settings: Settings, environ: Mapping[str, str]
) -> list[tuple[FieldPath, str]]:
    """(field path, message) for each variable a notifier names that is unset or empty; the
    messages name the variable, never a value."""
    problems: list[tuple[FieldPath, str]] = []
    for index, notifier in enumerate(settings.notifiers):
        for field_path, variable in notifier.environment():
            where: FieldPath = ("notifiers", index, *field_path)
            value = environ.get(variable, "")
            if not value:
                problems.append((where, f"environment variable {variable} is not set"))
            elif field_path == ("urlEnv",) and (problem := http_url_problem(value)):
                problems.append((where, f"${variable}: {problem}"))
    return problems
