"""A loopback Kubernetes API server over HTTPS, for the official client and kubectl.

It answers what read-only clients ask: discovery, list (cluster-wide and per namespace, with
`limit`/`continue`, label and field selectors) and get, in the JSON shapes a real server
uses, Status errors included. Bearer-token auth; every write is forbidden. Tests inject
faults by path (`fail`, `expire_continue`) or resource (`deny`) and read what was asked of it
(`requests`, `counts`).
"""

from __future__ import annotations

import json
import logging
import shutil
import socket
import ssl
import tempfile
import threading
from collections import Counter, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import yaml

from . import resources as discovery
from .cluster import ContinueExpired, ContinueInvalid, FakeCluster, Page
from .replies import EXPIRED, Faults, Reply, fault, forbidden, not_found, status
from .resources import Resource
from .selectors import field_selector, label_selector
from .tls import make_certificates

log = logging.getLogger(__name__)

WRITE_VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}


@dataclass(frozen=True, kw_only=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    status: int


class FakeApiServer:
    """Serve a manifest folder (or nothing) on https://127.0.0.1:<free port>.

    Use as a context manager; `kubeconfig` is a generated file whose context `context`
    reaches the server with the right token and CA.
    """

    def __init__(
        self,
        folder: Path | str | None = None,
        *,
        token: str = "fake-token-8f3e",
        context: str = "fake",
        use_openssl: bool = False,
    ) -> None:
        self.cluster = FakeCluster()
        if folder is not None:
            self.cluster.load(folder)
        self.token, self.context = token, context
        self.faults = Faults()
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._folder = Path(tempfile.mkdtemp(prefix="fakeapi-"))
        self.kubeconfig = self._folder / "kubeconfig"  # written by start()
        self._httpd: _HttpsServer | None = None
        self._thread: threading.Thread | None = None
        self._use_openssl = use_openssl

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeApiServer:
        tls = make_certificates(self._folder, use_openssl=self._use_openssl)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tls.server_cert, tls.server_key)
        self._httpd = _HttpsServer(self, context)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        self.write_kubeconfig(self.kubeconfig)
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join()
        shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> FakeApiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._httpd is not None, "start the server first"
        return f"https://127.0.0.1:{self._httpd.server_address[1]}"

    def write_kubeconfig(
        self, path: Path, *, token: str | None = None, context: str | None = None
    ) -> Path:
        """A kubeconfig reaching this server; another token makes a client the server refuses."""
        name = context or self.context
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "fake",
                    "cluster": {
                        "server": self.url,
                        "certificate-authority": str(self._folder / "ca.crt"),
                    },
                }
            ],
            "users": [{"name": "monitor", "user": {"token": token or self.token}}],
            "contexts": [
                {
                    "name": name,
                    "context": {"cluster": "fake", "user": "monitor", "namespace": "default"},
                }
            ],
            "current-context": name,
        }
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        return path

    # --- test controls -----------------------------------------------------------------------

    def deny(self, group: str, plural: str) -> None:
        """Answer 403 Forbidden to every request for this resource."""
        with self._lock:
            self.faults.denied.add((group, plural))

    def fail(self, path: str, *statuses: int) -> None:
        """Answer the next requests for `path` with these statuses, in order."""
        with self._lock:
            self.faults.failures.setdefault(path, deque()).extend(statuses)

    def expire_continue(self, path: str, times: int = 1) -> None:
        """Answer 410 Expired to the next `times` requests for `path` that carry a continue."""
        with self._lock:
            self.faults.expire[path] += times

    def reset(self) -> None:
        """Forget faults and recorded requests (objects stay)."""
        with self._lock:
            self.faults = Faults()
            self.requests.clear()

    def counts(self, method: str = "GET") -> Counter[str]:
        """Requests per path (without the query)."""
        with self._lock:
            return Counter(r.path for r in self.requests if r.method == method)

    # --- answering -----------------------------------------------------------------------------

    def handle(self, method: str, target: str, authorization: str | None) -> Reply:
        url = urlsplit(target)
        path = url.path.rstrip("/") or "/"
        query = dict(parse_qsl(url.query))
        with self._lock:
            reply = self._route(method, path, query, authorization)
            self.requests.append(
                Request(method=method, path=path, query=query, status=reply.status)
            )
        return reply

    def _route(
        self, method: str, path: str, query: dict[str, str], authorization: str | None
    ) -> Reply:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or token.strip() != self.token:
            return status(401, "Unauthorized", "Unauthorized")
        failure = self.faults.take_failure(path)
        if failure is not None:
            return fault(failure)
        resources = self.cluster.resources()
        write = WRITE_VERBS.get(method)
        if write is not None:
            return self._api_path(path.strip("/").split("/"), query, resources, write)
        if path == "/api":
            return Reply(status=200, body=discovery.api_versions(self.url.removeprefix("https://")))
        if path == "/apis":
            return Reply(status=200, body=discovery.group_list(resources))
        if path == "/version":
            return Reply(
                status=200, body={"major": "1", "minor": "32", "gitVersion": "v1.32.0-fake"}
            )
        return self._api_path(path.strip("/").split("/"), query, resources)

    def _api_path(
        self, parts: list[str], query: dict[str, str], resources: list[Resource], write: str = ""
    ) -> Reply:
        """`/api/v1/...` and `/apis/<group>/<version>/...`; `write` is the verb of a write."""
        if parts[0] == "apis" and len(parts) == 2 and not write:
            group = discovery.api_group(resources, parts[1])
            return not_found() if group is None else Reply(status=200, body=group)
        if parts[0] == "api" and len(parts) >= 2:
            group, version, rest = "", parts[1], parts[2:]
        elif parts[0] == "apis" and len(parts) >= 3:
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            return not_found()
        if not rest and write:
            return status(405, "MethodNotAllowed", f"{write} is not allowed on discovery")
        if not rest:
            listing = discovery.resource_list(resources, f"{group}/{version}".lstrip("/"))
            return not_found() if listing is None else Reply(status=200, body=listing)
        return self._resource(group, version, rest, query, write)

    def _resource(
        self, group: str, version: str, rest: list[str], query: dict[str, str], write: str
    ) -> Reply:
        namespace = None
        if len(rest) >= 3 and rest[0] == "namespaces":
            namespace, rest = rest[1], rest[2:]
        if len(rest) > 2:
            return not_found()  # subresources are not served
        plural, name = rest[0], (rest[1] if len(rest) == 2 else None)
        resource = self.cluster.find(group, version, plural)
        if resource is None or (namespace is not None and not resource.namespaced):
            return not_found()
        verb = write or ("get" if name else "list")
        if verb == "list" and query.get("watch") in ("1", "true"):
            verb = "watch"
        if write or (group, plural) in self.faults.denied:
            return forbidden(verb, resource, namespace, name)
        if verb == "watch":
            return status(405, "MethodNotAllowed", "watch is not served by the fake API server")
        if name is not None:
            return self._get(resource, namespace, name)
        return self._list(resource, namespace, query)

    def _get(self, resource: Resource, namespace: str | None, name: str) -> Reply:
        found = self.cluster.get(resource, namespace, name)
        if found is None:
            message = f'{resource.qualified} "{name}" not found'
            details = {"name": name, "group": resource.group, "kind": resource.plural}
            return status(404, "NotFound", message, **details)
        return Reply(status=200, body=found)

    def _list(self, resource: Resource, namespace: str | None, query: dict[str, str]) -> Reply:
        try:
            labels = label_selector(query.get("labelSelector", ""))
            fields = field_selector(query.get("fieldSelector", ""))
            limit = int(query.get("limit") or 0)
        except ValueError as exc:
            return status(400, "BadRequest", str(exc))
        token = query.get("continue")
        try:
            if token and self.faults.take_expiry(resource.path(namespace)):
                raise ContinueExpired(token)
            page = (
                self.cluster.next_page(token, limit)
                if token
                else self.cluster.first_page(
                    resource, namespace, lambda o: labels(o) and fields(o), limit
                )
            )
        except ContinueExpired:
            return status(410, "Expired", EXPIRED)
        except ContinueInvalid as exc:
            return status(400, "BadRequest", str(exc))
        return Reply(status=200, body=_list_body(resource, page))


def _list_body(resource: Resource, page: Page) -> dict[str, Any]:
    metadata: dict[str, Any] = {"resourceVersion": str(page.revision)}
    if page.continue_token:
        metadata["continue"] = page.continue_token
        metadata["remainingItemCount"] = page.remaining
    return {
        "kind": f"{resource.kind}List",
        "apiVersion": resource.group_version,
        "metadata": metadata,
        "items": page.items,
    }


# --- HTTP plumbing ---------------------------------------------------------------------------


class _HttpsServer(ThreadingHTTPServer):
    """TLS is set up per connection in the handler's thread, so one slow client handshake
    cannot stall the others."""

    daemon_threads = True

    def __init__(self, api: FakeApiServer, context: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.api, self.context = api, context

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = self.socket.accept()
        wrapped = self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return wrapped, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("connection from %s ended with an error", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as API servers do
    disable_nagle_algorithm = True  # headers and body go out in two writes
    timeout = 10  # an idle kept-alive connection closes, ending its thread
    server: _HttpsServer

    def setup(self) -> None:
        super().setup()
        self.request.do_handshake()

    def do_GET(self) -> None:
        self._answer()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        reply = self.server.api.handle(self.command, self.path, self.headers.get("Authorization"))
        data = json.dumps(reply.body, separators=(",", ":")).encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache, private")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.client_address[0], format % args)
