"""`drift serve`: one scheduled job per target, and /metrics, /healthz, /readyz over HTTP.

APScheduler 3 runs each target every `intervalSeconds` (one instance at a time, missed runs
coalesced). The HTTP server answers Prometheus from the store at scrape time; /readyz turns
ready once every target has completed a first run. SIGTERM stops the scheduler (waiting for a
running cycle to finish, so nothing is half-written), drains the notifications (up to their
flush timeout), stops the server, and the process exits 0.
"""

from __future__ import annotations

import logging
import signal
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from drift.metrics import StoreCollector
from drift.monitor import Clock, run_target
from drift.notify.dispatch import Dispatcher
from drift.settings import Settings, Target
from drift.store.records import Store

log = logging.getLogger(__name__)


class Service:
    def __init__(
        self, settings: Settings, store: Store, clock: Clock, dispatcher: Dispatcher | None = None
    ) -> None:
        self.settings = settings
        self._store = store
        self._clock = clock
        self.dispatcher = dispatcher if dispatcher is not None else Dispatcher()
        self._done: set[str] = set()
        self._lock = threading.Lock()
        self.registry = CollectorRegistry()
        self.registry.register(StoreCollector(store, clock))
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
        self.scheduler.start()

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
