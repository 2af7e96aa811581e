"""A forward HTTP proxy on loopback in front of moto that serves list calls in pages.

moto answers `GetAccountAuthorizationDetails` and EC2's `Describe*` in one page whatever
the caller asks, so the collector's paging would never be exercised. This proxy forwards
each request to moto without the paging parameters, then cuts the whole answer into pages
of `page_size` items (across all lists of the answer, as IAM does) and adds the real
continuation elements: `IsTruncated` and `Marker` for IAM, `nextToken` for EC2. Actions in
`throttled` are answered with AWS's Throttling error instead; actions in `stuck` repeat
their first page and token forever, as a broken endpoint would. Every other request passes
through unchanged. It counts requests and pages per action.
"""

from __future__ import annotations

import http.client
import threading
import xml.etree.ElementTree as ET
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

IAM_LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
# action: (token parameter, page size parameter)
PAGING = {"GetAccountAuthorizationDetails": ("Marker", "MaxItems")}
EC2_PAGED = [
    "DescribeVpcs",
    "DescribeSubnets",
    "DescribeRouteTables",
    "DescribeInternetGateways",
    "DescribeNetworkAcls",
    "DescribeSecurityGroups",
    "DescribeNetworkInterfaces",
    "DescribeVpcPeeringConnections",
    "DescribeInstances",
]
PAGING |= dict.fromkeys(EC2_PAGED, ("NextToken", "MaxResults"))
THROTTLED = (
    b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
    b"<Message>Rate exceeded</Message></Error><RequestId>pager</RequestId></ErrorResponse>"
)
HOP_BY_HOP = {"connection", "proxy-connection", "keep-alive", "transfer-encoding", "content-length"}


class Pager:
    def __init__(
        self,
        upstream: str,
        *,
        page_size: int = 2,
        throttled: frozenset[str] = frozenset(),
        stuck: frozenset[str] = frozenset(),
    ):
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.page_size, self.throttled, self.stuck = page_size, throttled, stuck
        self.requests: Counter[str] = Counter()  # by action, every request
        self.pages: Counter[str] = Counter()  # by action, pages served by cutting
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> Pager:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        pager = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, headers, answer = pager.answer(self, body)
                self.send_response(status)
                for name, value in headers:
                    if name.lower() not in HOP_BY_HOP:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(answer)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _any

        return Handler

    def answer(
        self, request: BaseHTTPRequestHandler, body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        form = dict(parse_qsl(body.decode("latin-1"))) if b"Action=" in body else {}
        action = form.get("Action", "")
        self.requests[action] += 1
        if action in self.throttled:
            return 400, [("Content-Type", "text/xml")], THROTTLED
        if action not in PAGING:
            return self._forward(request, body)
        token, size = PAGING[action]
        offset = int(form.pop(token, "page-0").removeprefix("page-"))
        if action in self.stuck:  # a broken endpoint: the first page, again and again
            offset = 0
        page_size = int(form.pop(size, self.page_size))
        status, headers, whole = self._forward(request, urlencode(form).encode())
        if status != 200:
            return status, headers, whole
        self.pages[action] += 1
        following = offset if action in self.stuck else offset + page_size
        return status, headers, cut(whole, action, offset, page_size, following)

    def _forward(
        self, request: BaseHTTPRequestHandler, body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["Content-Length"] = str(len(body))
        connection = http.client.HTTPConnection(*self.upstream, timeout=60)
        try:
            connection.request(request.command, request.path, body=body, headers=headers)
            answer = connection.getresponse()
            return answer.status, answer.getheaders(), answer.read()
        finally:
            connection.close()


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def cut(xml: bytes, action: str, offset: int, size: int, following: int) -> bytes:
    """The page of `size` items from `offset` of a whole answer; where more follow, the
    continuation token says the next page starts at `following`."""
    root = ET.fromstring(xml)
    namespace = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    iam = action == "GetAccountAuthorizationDetails"
    holder = root[0] if iam else root
    lists = (
        [c for c in holder if _local(c.tag) in IAM_LISTS]
        if iam
        else [c for c in holder if _local(c.tag) not in ("requestId", "nextToken")]
    )
    items = [(parent, item) for parent in lists for item in list(parent)]
    keep = {id(item) for _, item in items[offset : offset + size]}
    for parent, item in items:
        if id(item) not in keep:
            parent.remove(item)
    more = offset + size < len(items)
    token = f"page-{following}"
    prefix = f"{{{namespace}}}" if namespace else ""
    if iam:
        for child in holder:
            if _local(child.tag) == "IsTruncated":
                child.text = "true" if more else "false"
        if more:
            ET.SubElement(holder, f"{prefix}Marker").text = token
    elif more:
        ET.SubElement(root, f"{prefix}nextToken").text = token
    return ET.tostring(
        root, encoding="utf-8", xml_declaration=True, default_namespace=namespace or None
    )
