"""A real HTTP server on loopback that records what it is sent and answers as a test says."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Answers each POST with the next of `statuses` (the last one repeats); with `hang`,
    never answers (until the test ends)."""

    statuses: Sequence[int] = (200,)
    hang: bool = False
    received: list[Received] = field(default_factory=list)
    url: str = ""
    _arrived: threading.Condition = field(default_factory=threading.Condition)
    _release: threading.Event = field(default_factory=threading.Event)

    def wait_for(self, count: int, timeout: float = 10) -> list[Received]:
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.received) >= count, timeout):
                raise AssertionError(f"expected {count} requests, got {len(self.received)}")
            return list(self.received)

    def _record(self, item: Received) -> int:
        with self._arrived:
            self.received.append(item)
            self._arrived.notify_all()
            index = len(self.received) - 1
        return self.statuses[min(index, len(self.statuses) - 1)]


@contextmanager
def receiving(receiver: Receiver) -> Iterator[Receiver]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            status = receiver._record(Received(self.path, dict(self.headers.items()), body))
            if receiver.hang:
                receiver._release.wait(30)
                return
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield receiver
    finally:
        receiver._release.set()
        server.shutdown()
        server.server_close()
