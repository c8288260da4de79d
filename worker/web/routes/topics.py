"""Topics: list with a 30-day sparkline; an editor with live validation, a live preview
against stored articles (htmx, as you type) and a backtest over N days with a chart."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from .. import _actions as A
from .._api import BacktestIn, QueryIn, TopicIn, body, json_out, page_params
from .._context import ctx_of, render


def _float(value: object, default: float = 0.0) -> float:
    try:
        return float(str(value))
    except ValueError:
        return default


async def index(request: Request) -> Response:
    ctx = ctx_of(request)
    with ctx.session() as s:
        topics = A.list_topics(s, ctx.config(), ctx.now())
    return render(request, "topics.html", topics=topics, now=ctx.now(),
                  notice=request.query_params.get("notice"))


async def editor(request: Request) -> Response:
    ctx = ctx_of(request)
    topic_id = request.path_params.get("id")
    config = ctx.config()
    if topic_id is None:
        q = request.query_params  # "save as topic" from search comes with a query
        topic = {"id": "", "name": "", "query": q.get("query", ""), "min_score": 0.0, "channels": [],
                 "enabled": True, "mode": "instant", "max_per_hour": None, "origin": "new"}
    else:
        with ctx.session() as s:
            topic = A.get_topic(s, config, topic_id, ctx.now()).__dict__
    return render(request, "topic_edit.html", t=topic, channels=sorted(config.channels),
                  notice=request.query_params.get("notice"), error=None)


@dataclass
class TopicForm:
    """The topic editor's form, typed (and shown again as it was sent when it has an error)."""

    id: str
    name: str
    query: str
    min_score: float
    channels: list[str]
    enabled: bool
    mode: str
    max_per_hour: int | None


async def save(request: Request) -> Response:
    ctx = ctx_of(request)
    form = await request.form()
    config = ctx.config()
    create = form.get("save_as") == "create"
    max_per_hour = str(form.get("max_per_hour") or "")
    topic = TopicForm(
        id=str(form.get("id") or "").strip(), name=str(form.get("name") or "").strip(),
        query=str(form.get("query") or ""), min_score=_float(form.get("min_score")),
        channels=[str(c) for c in form.getlist("channels")], enabled=form.get("enabled") == "on",
        mode=str(form.get("mode") or "instant"),
        max_per_hour=int(max_per_hour) if max_per_hour.isdigit() else None,
    )
    try:
        with ctx.session() as s:
            A.save_topic(s, config, topic_id=topic.id, query=topic.query, name=topic.name,
                         min_score=topic.min_score, channels=topic.channels, enabled=topic.enabled,
                         mode=topic.mode, max_per_hour=topic.max_per_hour, now=ctx.now(), create=create)
    except A.ActionError as exc:
        values = {**asdict(topic), "origin": "new" if create else "console"}
        return render(request, "topic_edit.html", code=exc.status, t=values,
                      channels=sorted(config.channels), error=exc, notice=None)
    return RedirectResponse(f"/topics/{quote(topic.id)}?notice=saved", status_code=303)


async def delete(request: Request) -> Response:
    ctx = ctx_of(request)
    with ctx.session() as s:
        A.delete_topic(s, ctx.config(), request.path_params["id"])
    return RedirectResponse("/topics?notice=" + quote(f"topic {request.path_params['id']} deleted"),
                            status_code=303)


async def preview(request: Request) -> Response:
    ctx = ctx_of(request)
    form = await request.form()
    query = str(form.get("query") or "")
    config, min_score = ctx.config(), _float(form.get("min_score"))
    result = await ctx.run(lambda s: A.preview_query(s, config, query, min_score=min_score))
    return render(request, "_preview.html", r=result, query=query)


async def backtest(request: Request) -> Response:
    ctx = ctx_of(request)
    form = await request.form()
    query = str(form.get("query") or "")
    try:
        days = int(str(form.get("days") or 30))
        config, min_score = ctx.config(), _float(form.get("min_score"))
        view = await ctx.run(lambda s: A.backtest_query(s, config, query, min_score=min_score, days=days,
                                                        now=ctx.now()))
    except (A.ActionError, ValueError) as exc:
        return render(request, "_backtest.html", view=None, error=getattr(exc, "detail", str(exc)))
    return render(request, "_backtest.html", view=view, error=None)


# -- /api/v1 ----------------------------------------------------------------------------
async def api_list(request: Request) -> Response:
    ctx = ctx_of(request)
    limit, offset = page_params(request)
    with ctx.session() as s:
        rows = A.list_topics(s, ctx.config(), ctx.now())
    return _paged_list(request, rows, limit, offset)


def _paged_list(request: Request, rows: list, limit: int, offset: int) -> Response:
    from .._api import paged  # noqa: PLC0415

    return paged(request, A.Page(rows[offset:offset + limit], len(rows), limit, offset))


async def api_get(request: Request) -> Response:
    ctx = ctx_of(request)
    with ctx.session() as s:
        return json_out(A.get_topic(s, ctx.config(), request.path_params["id"], ctx.now()))


async def _api_save(request: Request, create: bool) -> Response:
    ctx = ctx_of(request)
    data = await body(request, TopicIn)
    if not create and data.id != request.path_params["id"]:
        raise A.ActionError(422, "Invalid input", "the id in the body differs from the URL's", field="id")
    config = ctx.config()
    with ctx.session() as s:
        A.save_topic(s, config, topic_id=data.id, query=data.query, name=data.name, min_score=data.min_score,
                     channels=data.channels, enabled=data.enabled, mode=data.mode,
                     max_per_hour=data.max_per_hour, now=ctx.now(), create=create)
        return json_out(A.get_topic(s, config, data.id, ctx.now()), 201 if create else 200)


async def api_create(request: Request) -> Response:
    return await _api_save(request, True)


async def api_update(request: Request) -> Response:
    return await _api_save(request, False)


async def api_delete(request: Request) -> Response:
    ctx = ctx_of(request)
    with ctx.session() as s:
        A.delete_topic(s, ctx.config(), request.path_params["id"])
    return Response(status_code=204)


async def api_preview(request: Request) -> Response:
    ctx = ctx_of(request)
    data = await body(request, QueryIn)
    config = ctx.config()
    return json_out(await ctx.run(lambda s: A.preview_query(s, config, data.query, min_score=data.min_score)))


async def api_backtest(request: Request) -> Response:
    ctx = ctx_of(request)
    data = await body(request, BacktestIn)
    config = ctx.config()
    return json_out(await ctx.run(lambda s: A.backtest_query(s, config, data.query, min_score=data.min_score,
                                                             days=data.days, now=ctx.now())))


routes = [
    Route("/topics", index),
    Route("/topics", save, methods=["POST"]),
    Route("/topics/new", editor),
    Route("/topics/preview", preview, methods=["POST"]),
    Route("/topics/backtest", backtest, methods=["POST"]),
    Route("/topics/{id}", editor, name="topic_editor"),
    Route("/topics/{id}/delete", delete, methods=["POST"]),
    Route("/api/v1/topics", api_list, methods=["GET"]),
    Route("/api/v1/topics", api_create, methods=["POST"]),
    Route("/api/v1/topics/preview", api_preview, methods=["POST"]),
    Route("/api/v1/topics/backtest", api_backtest, methods=["POST"]),
    Route("/api/v1/topics/{id}", api_get, methods=["GET"]),
    Route("/api/v1/topics/{id}", api_update, methods=["PUT"]),
    Route("/api/v1/topics/{id}", api_delete, methods=["DELETE"]),
]
