"""`drift serve`: one scheduled job per target, the weekly report, and /metrics, /healthz,
/readyz over HTTP.

APScheduler 3 runs each target every `intervalSeconds` (one instance at a time, missed runs
coalesced), and, when the settings have a `report:` section, the report on its crontab line in
its time zone (a failed report is logged and counted in `drift_reports_total`, never raised).
The HTTP server answers Prometheus from the store at scrape time; /readyz turns ready once
every target has completed a first run. SIGTERM stops the scheduler (waiting for a running
cycle to finish, so nothing is half-written), drains the notifications (up to their flush
timeout), stops the server, and the process exits 0.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest

from drift.errors import DriftError
from drift.metrics import StoreCollector
from drift.monitor import Clock, run_target
from drift.notify.dispatch import Dispatcher
from drift.reporting import Reporter, ReportRequest, deliver, load_reporter
from drift.settings import Settings, Target, cron_trigger
from drift.store.records import Store

log = logging.getLogger(__name__)


REPORT_JOB = "weekly-report"


class Service:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        clock: Clock,
        *,
        reporter: Callable[[], Reporter] = load_reporter,
        environ: Mapping[str, str] | None = None,
        dispatcher: Dispatcher | None = None,
    ) -> None:
        self.settings = settings
        self._store = store
        self._clock = clock
        self._load_reporter = reporter
        self._reporter: Reporter | None = None
        self._environ = os.environ if environ is None else environ
        self.dispatcher = dispatcher if dispatcher is not None else Dispatcher()
        self._done: set[str] = set()
        self._lock = threading.Lock()
        self.registry = CollectorRegistry()
        self.registry.register(StoreCollector(store, clock, settings.targets))
        self.reports = Counter(
            "drift_reports",
            "Weekly reports made by drift serve, by outcome: sent (delivered) or failed.",
            ["outcome"],
            registry=self.registry,
        )
        self.scheduler = BackgroundScheduler(timezone="UTC")
        self.stopped = threading.Event()
        self.registry.register(self.dispatcher.metrics.collector)  # drift_notifications_total

    @property
    def ready(self) -> bool:
        with self._lock:
            return self._done >= {t.name for t in self.settings.targets}

    def cycle(self, target: Target) -> None:
        """One job run: a whole cycle of `target`, unless another monitor holds it."""
        store = self._store
        try:
            with store.target_lock(target.name) as held:
                if held:
                    cycle = run_target(target, store, self._clock, self.dispatcher.submit)
                    log.info("target %s: run %s %s", target.name, cycle.run.id, cycle.run.outcome)
                else:
                    log.info("target %s is run by another monitor; skipped", target.name)
        except Exception:  # a job must never kill the scheduler; the next interval retries
            log.exception("target %s: cycle failed", target.name)
        with self._lock:
            self._done.add(target.name)

    def start(self) -> None:
        for target in self.settings.targets:
            self.scheduler.add_job(
                self.cycle,
                "interval",
                args=[target],
                id=target.name,
                seconds=target.interval_seconds,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=target.interval_seconds,
                next_run_time=self._clock(),
            )
        trigger = self.report_trigger()
        if trigger is not None:
            self._reporter = self._load_reporter()  # a missing plugin fails at start, loudly
            self.scheduler.add_job(
                self.report,
                trigger,
                id=REPORT_JOB,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=3600,
            )
            for outcome in ("sent", "failed"):
                self.reports.labels(outcome)
        self.scheduler.start()

    def report_trigger(self) -> CronTrigger | None:
        """The weekly report's trigger: the settings' crontab line in their time zone."""
        report = self.settings.report
        return cron_trigger(report.schedule, report.timezone) if report is not None else None

    def report(self) -> None:
        """One report job: build the report of the period, mail it and/or write it. A failure
        is logged and counted; it never reaches the scheduler."""
        settings = self.settings.report
        assert settings is not None
        try:
            reporter = self._reporter or self._load_reporter()
            at = self._clock()
            request = ReportRequest(now=at, since=at - settings.period, timezone=settings.timezone)
            rendered = reporter.build(self._store, request)
            went = deliver(reporter, rendered, settings, self._environ)
        except DriftError as exc:
            self.reports.labels("failed").inc()
            log.error("weekly report failed: %s", exc)
            return
        except Exception:  # a job must never kill the scheduler; next week tries again
            self.reports.labels("failed").inc()
            log.exception("weekly report failed")
            return
        self.reports.labels("sent").inc()
        log.info("weekly report %r delivered: %s", rendered.subject, ", ".join(went))

    def stop(self) -> None:
        self.scheduler.shutdown(wait=True)
        self.dispatcher.close()
        self.stopped.set()


def serve(service: Service, bind: str, port: int) -> int:
    """Run until SIGTERM or SIGINT; the exit code."""
    server = ThreadingHTTPServer((bind, port), _handler(service))
    log.info("listening on http://%s:%d", bind, server.server_address[1])
    service.start()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        threading.Thread(target=_shutdown, args=(service, server), daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.serve_forever()
    service.stopped.wait()
    server.server_close()
    return 0


def _shutdown(service: Service, server: ThreadingHTTPServer) -> None:
    log.info("stopping")
    service.stop()
    server.shutdown()


def _handler(service: Service) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/metrics":
                self._reply(200, generate_latest(service.registry), CONTENT_TYPE_LATEST)
            elif self.path == "/healthz":
                alive = service.scheduler.running
                self._reply(200 if alive else 503, b"ok\n" if alive else b"stopped\n")
            elif self.path == "/readyz":
                ready = service.ready
                self._reply(200 if ready else 503, b"ready\n" if ready else b"not ready\n")
            else:
                self._reply(404, b"not found\n")

        def _reply(self, status: int, body: bytes, kind: str = "text/plain") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            log.debug("http: %s", format % args)

    return Handler
