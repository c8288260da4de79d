"""Who may use the console: one admin password, sessions, CSRF, API tokens, a proxy header.

    WebSettings            NEWSRADAR_WEB_* (password or password file, proxy header, networks)
    PasswordHash           the admin password, kept only as a scrypt hash in memory
    SessionStore           server-side sessions (id → CSRF token, expiry), in the database
    LoginThrottle          failed logins per client address, in a sliding window
    AuthMiddleware         every request authenticated, or 401 (API) / redirect to /login

Nothing answers without auth except ``/healthz``, ``/login`` and ``/static``. The API
takes HTTP Basic ``admin:PASSWORD``, ``Authorization: Bearer TOKEN`` (tokens stored
hashed, see ``_actions.create_token``), a session cookie (with the CSRF header for a
state change), or the trusted proxy's user header when the peer is in a listed network.
Every form posted with a session cookie must carry its CSRF token (403 otherwise).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from worker.store import ConsoleSession, session_scope

SESSION_COOKIE = "newsradar_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
PUBLIC_PATHS = ("/healthz", "/login")
# a feed reader cannot log in: these GETs also accept an API token as ?token=
TOKEN_IN_URL_PREFIX = "/feeds/topics/"
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


class WebSettings(BaseSettings):
    """Console settings from the environment (NEWSRADAR_WEB_*)."""

    model_config = SettingsConfigDict(env_prefix="NEWSRADAR_WEB_", extra="ignore")

    password: str | None = None
    password_file: Path | None = None
    # a header set by a reverse proxy that did the login (e.g. X-Remote-User), trusted only
    # when the peer address is in ``trusted_proxies`` (CIDRs, comma-separated)
    proxy_user_header: str | None = None
    trusted_proxies: str = ""
    session_hours: float = 12.0
    login_attempts: int = 5  # failures per address per window before 429
    login_window_s: float = 900.0

    def read_password(self) -> str | None:
        if self.password:
            return self.password
        if self.password_file:
            return self.password_file.read_text(encoding="utf-8").strip() or None
        return None

    def proxy_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(n.strip(), strict=False)
                for n in self.trusted_proxies.split(",") if n.strip()]

    def __repr__(self) -> str:  # the password never shows
        return f"WebSettings(password={'***' if self.password else None}, proxy_user_header={self.proxy_user_header!r})"


class PasswordHash:
    """scrypt(password, random salt); the plain password is not kept."""

    def __init__(self, password: str) -> None:
        self._salt = secrets.token_bytes(16)
        self._hash = self._derive(password)

    def _derive(self, password: str) -> bytes:
        return hashlib.scrypt(password.encode(), salt=self._salt, n=2**14, r=8, p=1, dklen=32)

    def verify(self, password: str) -> bool:
        return hmac.compare_digest(self._derive(password), self._hash)

    def __repr__(self) -> str:
        return "PasswordHash(***)"


@dataclass
class WebSession:
    csrf: str
    expires: float
    user: str | None = None  # None: a login form's pre-session


@dataclass
class SessionStore:
    """Sessions in the database (``console_sessions``): a console restart keeps its users
    logged in, and several console processes share the sessions (a logout in one ends the
    session in all). The id is a random token in the cookie; only its SHA-256 is stored.
    One indexed read per request that carries a session cookie."""

    ttl_s: float
    db: sessionmaker[Session]
    clock: Callable[[], float] = time.time
    sweep_every_s: float = 600.0  # expired rows are deleted at a login form at most this often
    _swept_at: float = 0.0

    @staticmethod
    def _key(sid: str) -> str:
        return hashlib.sha256(sid.encode()).hexdigest()

    def _at(self, t: float) -> datetime:
        return datetime.fromtimestamp(t, UTC)

    def new(self, user: str | None) -> tuple[str, WebSession]:
        now = self.clock()
        sid = secrets.token_urlsafe(32)
        s = WebSession(csrf=secrets.token_urlsafe(24), expires=now + self.ttl_s, user=user)
        with session_scope(self.db) as db:
            if now - self._swept_at >= self.sweep_every_s:
                self._swept_at = now
                db.execute(delete(ConsoleSession).where(ConsoleSession.expires_at < self._at(now)))
            db.add(ConsoleSession(id_hash=self._key(sid), csrf=s.csrf, user=user,
                                  expires_at=self._at(s.expires)))
        return sid, s

    def get(self, sid: str | None) -> WebSession | None:
        if not sid or len(sid) > 100:
            return None
        with self.db() as db:
            row = db.get(ConsoleSession, self._key(sid))
            if row is None:
                return None
            expires = row.expires_at.timestamp()
            if expires < self.clock():
                return None
            return WebSession(csrf=row.csrf, expires=expires, user=row.user)

    def drop(self, sid: str | None) -> None:
        if not sid:
            return
        with session_scope(self.db) as db:
            db.execute(delete(ConsoleSession).where(ConsoleSession.id_hash == self._key(sid)))


@dataclass
class LoginThrottle:
    """At most ``attempts`` failures per address in ``window_s``; then 429 until the
    oldest failure leaves the window (a correct password does not get through either)."""

    attempts: int
    window_s: float
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, deque[float]] = field(default_factory=dict)

    def retry_after(self, addr: str) -> float:
        q = self._failures.get(addr)
        if not q:
            return 0.0
        now = self.clock()
        while q and q[0] <= now - self.window_s:
            q.popleft()
        if len(q) < self.attempts:
            return 0.0
        return q[0] + self.window_s - now

    def failed(self, addr: str) -> None:
        self._failures.setdefault(addr, deque()).append(self.clock())

    def succeeded(self, addr: str) -> None:
        self._failures.pop(addr, None)


@dataclass
class Auth:
    """The console's auth state, built once by ``create_app``."""

    password: PasswordHash | None
    sessions: SessionStore
    throttle: LoginThrottle
    proxy_header: str | None = None
    proxy_networks: list[Any] = field(default_factory=list)
    check_token: Callable[[str], bool] = lambda token: False
    _basic_ok: set[str] = field(default_factory=set)  # digests of Basic headers already verified

    def verify_password(self, password: str) -> bool:
        return self.password is not None and self.password.verify(password)

    def basic(self, header_value: str, addr: str) -> bool | None:
        """True/False for a Basic header; None when throttled."""
        digest = hashlib.sha256(header_value.encode()).hexdigest()
        if digest in self._basic_ok:
            return True
        if self.throttle.retry_after(addr) > 0:
            return None
        try:
            user, _, password = base64.b64decode(header_value).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            user, password = "", ""
        if user == "admin" and self.verify_password(password):
            self._basic_ok.add(digest)
            return True
        self.throttle.failed(addr)
        return False

    def proxy_user(self, request: Request) -> str | None:
        if not self.proxy_header or not request.client:
            return None
        user = request.headers.get(self.proxy_header)
        if not user:
            return None
        try:
            peer = ipaddress.ip_address(request.client.host)
        except ValueError:
            return None
        return user if any(peer in n for n in self.proxy_networks) else None


def problem(status: int, title: str, detail: str = "", *, headers: dict[str, str] | None = None,
            **extra: Any) -> JSONResponse:
    """An RFC 9457 problem detail."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, headers=headers, media_type="application/problem+json")


def client_addr(request: Request) -> str:
    return request.client.host if request.client else "?"


class AuthMiddleware:
    """Pure ASGI, so that it can read a form body (for its CSRF token) and hand the same
    bytes on to the route."""

    def __init__(self, app: ASGIApp, auth: Auth) -> None:
        self.app, self.auth = app, auth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        path = request.url.path
        # /feedback/<token>: a signed one-click link from an alert; the token is the
        # authorisation (it marks one alert good or bad, nothing else)
        if path in PUBLIC_PATHS or path.startswith(("/static/", "/feedback/")):
            await self.app(scope, receive, send)
            return
        # a feed reader gets a 401, not a redirect to a login page it cannot use
        api = path.startswith(("/api/", TOKEN_IN_URL_PREFIX))
        scope.setdefault("state", {})
        user, via = await self._identify(request, api)
        if isinstance(user, Response):
            await user(scope, receive, send)
            return
        if user is None:
            if api:
                resp: Response = problem(401, "Unauthorized", "log in: HTTP Basic admin:PASSWORD, "
                                         "a bearer token, or a session",
                                         headers={"WWW-Authenticate": 'Basic realm="newsradar"'})
            elif request.headers.get("hx-request"):
                resp = Response(status_code=401, headers={"HX-Redirect": "/login"})
            else:
                nxt = quote(path + (f"?{request.url.query}" if request.url.query else ""), safe="/?=&")
                resp = RedirectResponse(f"/login?next={nxt}", status_code=303)
            await resp(scope, receive, send)
            return
        body = b""
        if via == "session" and request.method in UNSAFE:
            body = await request.body()
            if not self._csrf_ok(request, body):
                resp = (problem(403, "Forbidden", "missing or wrong CSRF token") if api else
                        Response("403: missing or wrong CSRF token (reload the page and try again)",
                                 status_code=403, media_type="text/plain"))
                await resp(scope, receive, send)
                return

            sent = False

            async def replay() -> Message:
                nonlocal sent
                if not sent:
                    sent = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            receive = replay
        scope["state"]["user"] = user
        scope["state"]["auth_via"] = via
        await self.app(scope, receive, send)

    async def _identify(self, request: Request, api: bool) -> tuple[Any, str | None]:
        if request.url.path.startswith(TOKEN_IN_URL_PREFIX) and request.method == "GET":
            token = request.query_params.get("token")
            if token:
                return ("token", "token") if self.auth.check_token(token.strip()) else (None, None)
        authz = request.headers.get("authorization", "")
        scheme, _, value = authz.partition(" ")
        if api and scheme.lower() == "bearer" and value:
            return ("token", "token") if self.auth.check_token(value.strip()) else (None, None)
        if api and scheme.lower() == "basic" and value:
            ok = self.auth.basic(value.strip(), client_addr(request))
            if ok is None:
                retry = int(self.auth.throttle.retry_after(client_addr(request))) + 1
                return problem(429, "Too many failed logins", f"try again in {retry} s",
                               headers={"Retry-After": str(retry)}), None
            return ("admin", "basic") if ok else (None, None)
        proxied = self.auth.proxy_user(request)
        if proxied:
            return proxied, "proxy"
        s = self.auth.sessions.get(request.cookies.get(SESSION_COOKIE))
        if s is not None and s.user:
            request.scope["state"]["session"] = s
            return s.user, "session"
        return None, None

    def _csrf_ok(self, request: Request, body: bytes) -> bool:
        s: WebSession = request.scope["state"]["session"]
        token = request.headers.get(CSRF_HEADER)
        if token is None:
            ctype = request.headers.get("content-type", "")
            if ctype.startswith("application/x-www-form-urlencoded"):
                values = parse_qs(body.decode("latin-1")).get(CSRF_FIELD)
                token = values[0] if values else None
            elif ctype.startswith("multipart/form-data"):
                token = _multipart_field(body, ctype, CSRF_FIELD)
        return bool(token) and hmac.compare_digest(str(token), s.csrf)


def _multipart_field(body: bytes, ctype: str, name: str) -> str | None:
    """One small text field of a multipart body (the CSRF token of an upload form)."""
    marker = f'name="{name}"'.encode()
    i = body.find(marker)
    if i < 0:
        return None
    start = body.find(b"\r\n\r\n", i)
    end = body.find(b"\r\n", start + 4)
    if start < 0 or end < 0:
        return None
    return body[start + 4:end].decode("latin-1")
