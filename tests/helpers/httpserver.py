"""A real local HTTP(S) server for tests: routes with status, headers, delays, drip, gzip,
redirects and dynamic handlers, bound to 127.0.0.1 only.

    from tests.helpers.httpserver import LocalServer, Route

    with LocalServer() as srv:
        srv.route("/feed.xml", Route(body=b"<rss>...</rss>", content_type="application/rss+xml"))
        srv.route("/old", Route.redirect("/feed.xml", status=301))
        srv.route("/slow", Route(body=b"x" * 100, drip=0.2))      # one byte every 0.2 s
        srv.route("/bomb", Route(body=huge, gzip=True))            # gzip-encoded on the wire
        srv.route("/dyn", Route(handler=lambda req: Reply(body=req.path.encode())))
        fetch(srv.url("/feed.xml"), policy=NetworkPolicy(allowlist=("127.0.0.1/32",)))
        srv.requests  # every request seen: method, path, headers

Or as a pytest fixture: ``local_server`` (see tests/helpers/fixtures.py); ``https=True``
serves TLS with a throwaway self-signed certificate made by the ``openssl`` command.
"""

from __future__ import annotations

import gzip as gzip_module
import shutil
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

__all__ = ["LocalServer", "Reply", "RequestInfo", "Route", "self_signed_cert"]


@dataclass
class RequestInfo:
    method: str
    path: str  # includes the query string
    headers: dict[str, str]  # lower-case names
    body: bytes = b""


@dataclass
class Reply:
    """What a dynamic handler returns."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Route:
    status: int = 200
    body: bytes | str = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before anything is sent
    drip: float | None = None  # seconds between single bytes of the body
    drip_headers: bool = False  # drip the status line and headers too
    gzip: bool = False  # gzip the body and say so (Content-Encoding: gzip)
    raw_body: bool = False  # send body bytes exactly (e.g. a pre-compressed bomb)
    content_length: bool = True  # send Content-Length (else close-delimited)
    handler: Callable[[RequestInfo], Reply] | None = None
    not_modified_etag: str | None = None  # 304 when If-None-Match equals this

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Route:
        return cls(status=status, headers={"Location": location})

    @classmethod
    def file(cls, path: str | Path, content_type: str | None = None, **kw: Any) -> Route:
        return cls(body=Path(path).read_bytes(), content_type=content_type, **kw)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that hang up or fail TLS on purpose are the point of many tests


class LocalServer:
    """An HTTP server in a background thread on a loopback address (127.0.0.1 unless
    ``host`` names another of 127.0.0.0/8) and a free port."""

    def __init__(self, *, https: bool = False, host: str = "127.0.0.1") -> None:
        if not host.startswith("127."):
            raise ValueError(f"LocalServer binds loopback addresses only, not {host!r}")
        self.host = host
        self.routes: dict[str, Route] = {}
        self.requests: list[RequestInfo] = []
        self._lock = threading.Lock()
        self._server = _Server((host, 0), self._handler_class())
        self.port = self._server.server_address[1]
        self.scheme = "https" if https else "http"
        self._certdir: str | None = None
        self.cert_path: str | None = None
        if https:
            self._certdir = tempfile.mkdtemp(prefix="newsradar-cert-")
            cert, key = self_signed_cert(Path(self._certdir))
            self.cert_path = cert  # trust it with ssl.create_default_context(cafile=...)
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert, key)
            self._server.socket = ctx.wrap_socket(self._server.socket, server_side=True)
        # A short poll interval: shutdown() waits up to one interval (0.5 s by default).
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,),
                                        daemon=True)

    # -- lifecycle --
    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._certdir:
            shutil.rmtree(self._certdir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- configuration --
    def route(self, path: str, route: Route) -> str:
        """Serve ``route`` at ``path`` (exact match, query included if given); returns its URL."""
        self.routes[path] = route
        return self.url(path)

    def url(self, path: str = "/") -> str:
        return f"{self.scheme}://{self.host}:{self.port}{path}"

    def hits(self, path: str) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.path == path)

    def _lookup(self, path: str) -> Route | None:
        return self.routes.get(path) or self.routes.get(path.split("?", 1)[0])

    # -- serving --
    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_HEAD(self) -> None:
                self._serve(head=True)

            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def _serve(self, head: bool = False) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body_in = self.rfile.read(length) if length else b""
                info = RequestInfo(
                    method=self.command,
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body_in,
                )
                with server._lock:
                    server.requests.append(info)
                route = server._lookup(self.path)
                try:
                    if route is None:
                        self._send(Route(status=404, body=b"not found"), info, head)
                    else:
                        self._send(route, info, head)
                except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
                    self.close_connection = True

            def _send(self, route: Route, info: RequestInfo, head: bool) -> None:
                if route.delay:
                    time.sleep(route.delay)
                status, headers = route.status, dict(route.headers)
                body = route.body.encode("utf-8") if isinstance(route.body, str) else route.body
                if route.handler is not None:
                    reply = route.handler(info)
                    status, body = reply.status, reply.body
                    headers.update(reply.headers)
                if route.not_modified_etag and info.headers.get("if-none-match") == \
                        route.not_modified_etag:
                    status, body = 304, b""
                if route.content_type and status != 304:
                    headers.setdefault("Content-Type", route.content_type)
                if route.not_modified_etag:
                    headers.setdefault("ETag", route.not_modified_etag)
                if route.gzip and not route.raw_body and status != 304:
                    body = gzip_module.compress(body)
                    headers["Content-Encoding"] = "gzip"
                if route.content_length and status != 304:
                    headers["Content-Length"] = str(len(body))
                if not route.content_length:
                    headers["Connection"] = "close"
                    self.close_connection = True
                head_lines = [f"HTTP/1.1 {status} {self.responses.get(status, ('X',))[0]}\r\n"]
                head_lines += [f"{k}: {v}\r\n" for k, v in headers.items()]
                head_lines.append("\r\n")
                raw_head = "".join(head_lines).encode("latin-1")
                if head or status == 304:
                    body = b""
                if route.drip_headers and route.drip:
                    self._drip(raw_head, route.drip)
                elif route.drip:
                    self.wfile.write(raw_head)
                    self.wfile.flush()
                else:
                    # One write: separate small writes meet Nagle + delayed ACK (~40 ms).
                    self.wfile.write(raw_head + body)
                    self.wfile.flush()
                    return
                if body:
                    self._drip(body, route.drip)

            def _drip(self, data: bytes, interval: float) -> None:
                for i in range(len(data)):
                    self.wfile.write(data[i:i + 1])
                    self.wfile.flush()
                    time.sleep(interval)

        return Handler


_CERT_LOCK = threading.Lock()


def self_signed_cert(directory: Path) -> tuple[str, str]:
    """A throwaway self-signed certificate for 127.0.0.1/localhost (needs ``openssl``)."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    with _CERT_LOCK:
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
             "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
             "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True, timeout=60,
        )
    return str(cert), str(key)


def gzip_bomb(decompressed_size: int) -> bytes:
    """Gzip bytes that inflate to ``decompressed_size`` zero bytes (about 1000:1)."""
    import zlib

    comp = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    chunk = b"\0" * (1024 * 1024)
    out = []
    left = decompressed_size
    while left > 0:
        out.append(comp.compress(chunk[: min(left, len(chunk))]))
        left -= len(chunk)
    out.append(comp.flush())
    return b"".join(out)
