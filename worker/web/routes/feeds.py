"""Feeds: health at a glance, add (with discovery), remove, enable, refresh now, OPML."""

from __future__ import annotations

from urllib.parse import quote

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from .. import _actions as A
from .._api import FeedEnabledIn, FeedIn, body, json_out, page_params, paged
from .._context import ctx_of, render


def _back(notice: str = "", error: str = "") -> RedirectResponse:
    q = f"?notice={quote(notice)}" if notice else (f"?error={quote(error)}" if error else "")
    return RedirectResponse("/feeds" + q, status_code=303)


async def page(request: Request) -> Response:
    ctx = ctx_of(request)
    with ctx.session() as s:
        feeds = A.list_feeds(s, ctx.config(), limit=500)
    return render(request, "feeds.html", page=feeds, now=ctx.now(),
                  notice=request.query_params.get("notice"), error=request.query_params.get("error"))


async def add(request: Request) -> Response:
    ctx = ctx_of(request)
    form = await request.form()
    try:
        config, url, name = ctx.config(), str(form.get("url") or ""), str(form.get("name") or "") or None
        row = await ctx.run(lambda s: A.add_feed(s, config, url, name=name, now=ctx.now()))
    except A.ActionError as exc:
        return _back(error=exc.detail)
    return _back(notice=f"added {row.url}" + (f" ({row.title})" if row.title else ""))


async def action(request: Request) -> Response:
    ctx = ctx_of(request)
    feed_id, verb = int(request.path_params["id"]), request.path_params["verb"]
    try:
        with ctx.session() as s:
            config = ctx.config()
            if verb == "refresh":
                A.refresh_feed(s, config, feed_id, ctx.now())
                msg = f"feed {feed_id} will be polled at the next pass"
            elif verb in ("enable", "disable"):
                A.set_feed_enabled(s, config, feed_id, verb == "enable", ctx.now())
                msg = f"feed {feed_id} {verb}d"
            elif verb == "remove":
                A.remove_feed(s, config, feed_id)
                msg = f"feed {feed_id} removed"
            else:
                return Response(status_code=404)
    except A.ActionError as exc:
        return _back(error=exc.detail)
    return _back(notice=msg)


async def opml_import(request: Request) -> Response:
    ctx = ctx_of(request)
    form = await request.form()
    upload = form.get("file")
    data = await upload.read() if isinstance(upload, UploadFile) else str(upload or "").encode()
    try:
        with ctx.session() as s:
            res = A.import_opml(s, ctx.config(), data, ctx.now())
    except A.ActionError as exc:
        return _back(error=exc.detail)
    return _back(notice=f"{len(res.added)} feed(s) added, {len(res.skipped)} skipped")


async def opml_export(request: Request) -> Response:
    ctx = ctx_of(request)
    with ctx.session() as s:
        text = A.export_opml(s, ctx.config())
    return Response(text, media_type="text/x-opml; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="newsradar-feeds.opml"'})


# -- /api/v1 ----------------------------------------------------------------------------
async def api_list(request: Request) -> Response:
    ctx = ctx_of(request)
    limit, offset = page_params(request)
    with ctx.session() as s:
        return paged(request, A.list_feeds(s, ctx.config(), limit=limit, offset=offset))


async def api_add(request: Request) -> Response:
    ctx = ctx_of(request)
    data = await body(request, FeedIn)
    config = ctx.config()
    return json_out(await ctx.run(lambda s: A.add_feed(
        s, config, data.url, name=data.name, poll_interval=data.poll_interval, now=ctx.now(),
        discover=data.discover)), 201)


async def api_delete(request: Request) -> Response:
    ctx = ctx_of(request)
    with ctx.session() as s:
        A.remove_feed(s, ctx.config(), int(request.path_params["id"]))
    return Response(status_code=204)


async def api_enabled(request: Request) -> Response:
    ctx = ctx_of(request)
    data = await body(request, FeedEnabledIn)
    with ctx.session() as s:
        return json_out(A.set_feed_enabled(s, ctx.config(), int(request.path_params["id"]), data.enabled,
                                           ctx.now()))


async def api_refresh(request: Request) -> Response:
    ctx = ctx_of(request)
    with ctx.session() as s:
        return json_out(A.refresh_feed(s, ctx.config(), int(request.path_params["id"]), ctx.now()))


routes = [
    Route("/feeds", page),
    Route("/feeds", add, methods=["POST"]),
    Route("/feeds/opml", opml_import, methods=["POST"]),
    Route("/feeds.opml", opml_export),
    Route("/feeds/{id:int}/{verb}", action, methods=["POST"]),
    Route("/api/v1/feeds", api_list, methods=["GET"]),
    Route("/api/v1/feeds", api_add, methods=["POST"]),
    Route("/api/v1/feeds.opml", opml_export),
    Route("/api/v1/feeds/{id:int}", api_delete, methods=["DELETE"]),
    Route("/api/v1/feeds/{id:int}/enabled", api_enabled, methods=["POST"]),
    Route("/api/v1/feeds/{id:int}/refresh", api_refresh, methods=["POST"]),
]
