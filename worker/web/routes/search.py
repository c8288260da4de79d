"""Search over stored articles (SQLite FTS5 / PostgreSQL full-text), with "save as topic"."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import _actions as A
from .._api import json_out, page_params
from .._app import ctx_of, render


async def page(request: Request) -> Response:
    ctx = ctx_of(request)
    q = request.query_params.get("q", "")
    result, error = None, None
    if q.strip():
        try:
            with ctx.session() as s:
                result = A.search_articles(s, q)
        except A.ActionError as exc:
            error = exc.detail
    return render(request, "search.html", q=q, r=result, error=error)


async def api_search(request: Request) -> Response:
    ctx = ctx_of(request)
    limit, offset = page_params(request)
    with ctx.session() as s:
        return json_out(A.search_articles(s, request.query_params.get("q", ""), limit=limit, offset=offset))


routes = [Route("/search", page), Route("/api/v1/search", api_search)]
