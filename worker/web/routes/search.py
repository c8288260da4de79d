"""Search over stored articles (SQLite FTS5 / PostgreSQL full-text), with "save as topic"."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import _actions as A
from .._api import json_out, page_params
from .._context import ctx_of, render


async def page(request: Request) -> Response:
    ctx = ctx_of(request)
    q = request.query_params.get("q", "")
    result, error = None, None
    if q.strip():
        try:
            result = await ctx.run(lambda s: A.search_articles(s, q))
        except A.ActionError as exc:
            error = exc.detail
    return render(request, "search.html", q=q, r=result, error=error)


async def api_search(request: Request) -> Response:
    ctx = ctx_of(request)
    limit, offset = page_params(request)
    q = request.query_params.get("q", "")
    return json_out(await ctx.run(lambda s: A.search_articles(s, q, limit=limit, offset=offset)))


routes = [Route("/search", page), Route("/api/v1/search", api_search)]
