"""What every route needs: the ``WebContext`` (settings, database, auth, templates,
clock), ``ctx_of(request)`` and ``render(request, template, ...)``. The routes import this
module, and ``_app`` imports the routes, so there is no cycle."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse

from worker.config import Config, Settings, load_config
from worker.store import session_scope, utcnow

from . import _svg
from ._auth import Auth

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
    ctx: WebContext = request.app.state.ctx
    return ctx


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
