"""The Starlette application: context, templates, error pages, and the route table."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from worker.config import Config, Settings, load_config
from worker.errors import ConfigError
from worker.store import make_engine, make_sessionmaker, session_scope, upgrade, utcnow

from . import _actions, _svg
from ._auth import (
    Auth,
    AuthMiddleware,
    LoginThrottle,
    PasswordHash,
    SessionStore,
    WebSettings,
    problem,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
HERE = Path(__file__).parent


@dataclass
class WebContext:
    """What every route needs, built once per app."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    auth: Auth
    templates: Environment
    clock: Callable[[], datetime] = utcnow
    _config: tuple[float, Config] | None = field(default=None, repr=False)

    def now(self) -> datetime:
        return self.clock()

    def config(self) -> Config:
        """The YAML config, re-read when the file changes (an empty one if absent)."""
        path = Path(self.settings.config)
        try:
            mtime = path.stat().st_mtime
        except OSError:
            return Config()
        if self._config is None or self._config[0] != mtime:
            self._config = (mtime, load_config(path))
        return self._config[1]

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(self.sessions) as s:
            yield s

    async def run(self, work: Callable[[Session], T]) -> T:
        """``work(session)`` in one transaction, on a worker thread: a slow backtest or a
        feed fetched for discovery never holds up the other requests (or /healthz).
        Routes whose work can take long (network, matching many articles) use this;
        quick reads and writes run in the route itself."""
        def in_session() -> T:
            with self.session() as s:
                return work(s)

        return await run_in_threadpool(in_session)


def ctx_of(request: Request) -> WebContext:
    return request.app.state.ctx  # type: ignore[no-any-return]


def render(request: Request, name: str, *, code: int = 200, **values: Any) -> HTMLResponse:
    ctx = ctx_of(request)
    s = request.scope.get("state", {}).get("session")
    values.setdefault("user", request.scope.get("state", {}).get("user"))
    values["csrf"] = s.csrf if s is not None else ""
    values["path"] = request.url.path
    values["request"] = request
    html = ctx.templates.get_template(name).render(**values)
    return HTMLResponse(html, status_code=code)


def _when(d: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return d.strftime(fmt) + "Z" if d else "–"


def _ago(d: datetime | None, now: datetime | None = None) -> str:
    if d is None:
        return "never"
    now = now or utcnow()
    secs = (now - d).total_seconds()
    future = secs < 0
    secs = abs(secs)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if secs >= size:
            span = f"{secs / size:.0f}{unit}"
            break
    else:
        span = f"{secs:.0f}s"
    return f"in {span}" if future else f"{span} ago"


def _marks(text: str) -> Markup:
    """A highlight snippet, escaped, with its «matched words» in <mark>."""
    html = str(escape(text))
    return Markup(html.replace("«", "<mark>").replace("»", "</mark>"))


def make_templates() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"),
                      autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    env.filters["when"] = _when
    env.filters["ago"] = _ago
    env.filters["marks"] = _marks
    env.globals["sparkline"] = _svg.sparkline
    env.globals["bar_chart"] = _svg.bar_chart
    return env


async def healthz(request: Request) -> Response:
    try:
        with ctx_of(request).engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any database failure is "not healthy"
        return JSONResponse({"status": "error", "database": str(exc)[:200]}, status_code=503)
    return JSONResponse({"status": "ok"})


async def _action_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, _actions.ActionError)
    if request.url.path.startswith("/api/"):
        return problem(exc.status, exc.title, exc.detail, field=exc.field, column=exc.column)
    return render(request, "error.html", code=exc.status, error=exc)


async def _config_error(request: Request, exc: Exception) -> Response:
    if request.url.path.startswith("/api/"):
        return problem(500, "Config error", str(exc))
    return render(request, "error.html", code=500,
                  error=_actions.ActionError(500, "The config file has errors", str(exc)))


async def _http_error(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 500)
    detail = getattr(exc, "detail", "") or ""
    if request.url.path.startswith("/api/"):
        return problem(status, {404: "Not found", 405: "Method not allowed"}.get(status, "Error"), detail)
    return render(request, "error.html", code=status,
                  error=_actions.ActionError(status, "Not found" if status == 404 else "Error", detail))


# No inline script or style, no other origin: htmx and the page's own files only.
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                               "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


class SecurityHeaders:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items() if k.encode() not in present]
                if scope["path"] != "/healthz" and not scope["path"].startswith("/static/"):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(settings: Settings, web: WebSettings | None = None, *,
               engine: Engine | None = None, clock: Callable[[], datetime] = utcnow,
               migrate: bool = True) -> Starlette:
    """The console and /api/v1 over ``settings.database_url`` and ``settings.config``."""
    from .routes import ROUTES  # noqa: PLC0415 - routes import this module

    web = web or WebSettings()
    engine = engine or make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    password = web.read_password()
    sessions = make_sessionmaker(engine)

    def check_token(token: str) -> bool:
        with session_scope(sessions) as s:
            return _actions.check_token(s, token, clock()) is not None

    auth = Auth(
        password=PasswordHash(password) if password else None,
        sessions=SessionStore(ttl_s=web.session_hours * 3600),
        throttle=LoginThrottle(web.login_attempts, web.login_window_s),
        proxy_header=web.proxy_user_header, proxy_networks=web.proxy_networks(),
        check_token=check_token,
    )
    del password
    ctx = WebContext(settings, engine, sessions, auth, make_templates(), clock)
    routes = [
        Route("/healthz", healthz),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        *ROUTES,
    ]
    app = Starlette(routes=routes, exception_handlers={
        _actions.ActionError: _action_error, ConfigError: _config_error, 404: _http_error,
        405: _http_error,
    })
    app.state.ctx = ctx
    app.add_middleware(AuthMiddleware, auth=auth)
    app.add_middleware(SecurityHeaders)  # outermost: on every answer, the 401s and redirects too
    return app
