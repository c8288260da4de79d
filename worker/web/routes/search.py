"""Search over stored articles, in the topic query language, with "save as topic"."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import _actions as A
from .._api import json_out
from .._app import ctx_of, render


async def page(request: Request) -> Response:
    ctx = ctx_of(request)
    q = request.query_params.get("q", "")
    result = None
    if q.strip():
        with ctx.session() as s:
            result = A.search_articles(s, ctx.config(), q)
    return render(request, "search.html", q=q, r=result)


async def api_search(request: Request) -> Response:
    ctx = ctx_of(request)
    q = request.query_params.get("q", "")
    if not q.strip():
        raise A.ActionError(422, "Invalid input", "give a query in q", field="q")
    with ctx.session() as s:
        result = A.search_articles(s, ctx.config(), q)
    if result.problem is not None:
        raise A.ActionError(422, "Invalid query", result.problem.message, field="q", column=result.problem.column)
    return json_out(result)


routes = [Route("/search", page), Route("/api/v1/search", api_search)]
