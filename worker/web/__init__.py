"""The console and /api/v1: server-rendered pages (Jinja2 + htmx), no front-end build.

    serve(host, port, settings)     run the console (uvicorn); ``newsradar web`` calls it
    create_app(settings, web)       the ASGI app (tests run it in-process)
    WebSettings                     NEWSRADAR_WEB_* (password, password file, proxy header)

Every data operation is in ``_actions`` (plain functions over a Session); the routes in
``routes/`` only parse, call one of them and render. Auth: ``_auth``. See docs/web.md.
"""

from __future__ import annotations

from ._app import create_app
from ._auth import WebSettings
from ._serve import WebConfigError, serve

__all__ = ["WebConfigError", "WebSettings", "create_app", "serve"]
