"""The Starlette application: error pages, security headers, auth, and the route table
(the per-request context and templates are in ``_context``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from worker.config import Settings
from worker.errors import ConfigError
from worker.store import make_engine, make_sessionmaker, session_scope, upgrade, utcnow

from . import _actions
from ._auth import (
    Auth,
    AuthMiddleware,
    LoginThrottle,
    PasswordHash,
    SessionStore,
    WebSettings,
    problem,
)
from ._context import HERE, WebContext, ctx_of, make_templates, render
from .routes import ROUTES

log = logging.getLogger(__name__)


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
        sessions=SessionStore(ttl_s=web.session_hours * 3600, db=sessions),
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
