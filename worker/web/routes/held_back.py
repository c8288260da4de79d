"""Held back: the matches the query passed and relevance held back (no alert sent), with
the score and the reason, and a good/bad mark that teaches the topic (``topics tune``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from .. import _actions as A
from .._api import FeedbackIn, body, json_out, page_params, paged
from .._context import ctx_of, render
from .alerts import _back_to


async def index(request: Request) -> Response:
    ctx = ctx_of(request)
    limit, offset = page_params(request)
    config, topic = ctx.config(), request.query_params.get("topic") or None
    page, topics = await ctx.run(lambda s: (
        A.list_held_back(s, config, topic=topic, limit=limit, offset=offset),
        A.list_topics(s, config, ctx.now())))
    older = None
    if page.offset + len(page.items) < page.total:
        older = str(request.url.include_query_params(offset=page.offset + page.limit).replace(scheme="", netloc=""))
    return render(request, "held_back.html", page=page, topics=topics, topic=topic, older=older)


async def feedback(request: Request) -> Response:
    ctx = ctx_of(request)
    form = await request.form()
    match_id, verdict, config = int(request.path_params["id"]), str(form.get("verdict") or ""), ctx.config()
    row = await ctx.run(lambda s: A.feedback_for_held_back(s, config, match_id, verdict, ctx.now()))
    if request.headers.get("hx-request"):
        return render(request, "_held_back_row.html", h=row)
    return RedirectResponse(_back_to(request), status_code=303)


# -- /api/v1 ----------------------------------------------------------------------------
async def api_list(request: Request) -> Response:
    ctx = ctx_of(request)
    limit, offset = page_params(request)
    config, topic = ctx.config(), request.query_params.get("topic") or None
    return paged(request, await ctx.run(lambda s: A.list_held_back(s, config, topic=topic, limit=limit,
                                                                   offset=offset)))


async def api_feedback(request: Request) -> Response:
    ctx = ctx_of(request)
    data = await body(request, FeedbackIn)
    match_id, config = int(request.path_params["id"]), ctx.config()
    return json_out(await ctx.run(lambda s: A.feedback_for_held_back(s, config, match_id, data.verdict,
                                                                     ctx.now())))


routes = [
    Route("/held-back", index),
    Route("/held-back/{id:int}/feedback", feedback, methods=["POST"]),
    Route("/api/v1/held-back", api_list),
    Route("/api/v1/held-back/{id:int}/feedback", api_feedback, methods=["POST"]),
]
