"""Deliveries: failed and dead ones with attempts and errors, retry one or all, and
channels disabled by their endpoint (410), re-enabled here."""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from .. import _actions as A
from .._api import RetryIn, body, json_out, page_params, paged
from .._context import ctx_of, render


def _back(request: Request, notice: str) -> RedirectResponse:
    status = request.query_params.get("status", "problem")
    return RedirectResponse(f"/deliveries?status={quote(status)}&notice={quote(notice)}", status_code=303)


async def page(request: Request) -> Response:
    ctx = ctx_of(request)
    limit, offset = page_params(request)
    status = request.query_params.get("status", "problem") or None
    with ctx.session() as s:
        rows = A.list_deliveries(s, status=None if status == "all" else status, limit=limit, offset=offset)
        channels = A.disabled_channels(s)
    return render(request, "deliveries.html", page=rows, channels=channels, status=status or "all",
                  statuses=("problem", "all", *A.DELIVERY_STATUSES), now=ctx.now(),
                  notice=request.query_params.get("notice"))


async def retry(request: Request) -> Response:
    ctx = ctx_of(request)
    form = await request.form()
    with ctx.session() as s:
        if form.get("id"):
            res = A.retry_deliveries(s, [int(str(form["id"]))], ctx.now())
        else:
            res = A.retry_all_failed(s, ctx.now())
    notice = f"{len(res.queued)} delivery(ies) queued for the next pass"
    if res.skipped:
        notice += "; " + "; ".join(res.skipped)
    return _back(request, notice)


async def enable(request: Request) -> Response:
    ctx = ctx_of(request)
    channel = request.path_params["name"]
    with ctx.session() as s:
        n = A.enable_channel(s, channel, ctx.now())
    return _back(request, f"channel {channel} enabled; {n} delivery(ies) queued")


# -- /api/v1 ----------------------------------------------------------------------------
async def api_list(request: Request) -> Response:
    ctx = ctx_of(request)
    limit, offset = page_params(request)
    with ctx.session() as s:
        return paged(request, A.list_deliveries(s, status=request.query_params.get("status") or None,
                                                channel=request.query_params.get("channel") or None,
                                                limit=limit, offset=offset))


async def api_retry(request: Request) -> Response:
    ctx = ctx_of(request)
    data = await body(request, RetryIn)
    with ctx.session() as s:
        res = (A.retry_deliveries(s, data.ids, ctx.now()) if data.ids
               else A.retry_all_failed(s, ctx.now()))
        return json_out(res)


async def api_channels(request: Request) -> Response:
    ctx = ctx_of(request)
    with ctx.session() as s:
        return json_out(A.disabled_channels(s))


async def api_enable(request: Request) -> Response:
    ctx = ctx_of(request)
    with ctx.session() as s:
        n = A.enable_channel(s, request.path_params["name"], ctx.now())
    return json_out({"channel": request.path_params["name"], "queued": n})


routes = [
    Route("/deliveries", page),
    Route("/deliveries/retry", retry, methods=["POST"]),
    Route("/channels/{name}/enable", enable, methods=["POST"]),
    Route("/api/v1/deliveries", api_list),
    Route("/api/v1/deliveries/retry", api_retry, methods=["POST"]),
    Route("/api/v1/channels/disabled", api_channels),
    Route("/api/v1/channels/{name}/enable", api_enable, methods=["POST"]),
]
