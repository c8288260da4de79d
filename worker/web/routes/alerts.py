"""The alerts inbox (the home page), good/bad feedback, and the article view."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from .. import _actions as A
from .._api import FeedbackIn, MuteIn, body, json_out, page_params, paged
from .._context import ctx_of, render


def _date(request: Request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return datetime.strptime(raw, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise A.ActionError(422, "Invalid input", f"expected a date like 2026-07-27 (got {raw!r})",
                            field=name) from None


def _filters(request: Request) -> dict:
    q = request.query_params
    return {"topic": q.get("topic") or None, "status": q.get("status") or None,
            "feedback": q.get("feedback") or None, "since": _date(request, "since"),
            "until": _date(request, "until"), "muted": q.get("muted") in ("1", "true", "on")}


def _back_to(request: Request) -> str:
    """The page the form was on (path and query only: never another site)."""
    ref = urlsplit(request.headers.get("referer") or "/")
    if ref.netloc and ref.netloc != request.url.netloc:
        return "/"
    return (ref.path or "/") + (f"?{ref.query}" if ref.query else "")


async def inbox(request: Request) -> Response:
    ctx = ctx_of(request)
    limit, offset = page_params(request)
    config, filters = ctx.config(), _filters(request)
    page, topics = await ctx.run(lambda s: (
        A.list_inbox(s, config, **filters, limit=limit, offset=offset), A.list_topics(s, config, ctx.now())))
    older = None
    if page.offset + len(page.items) < page.total:
        older = str(request.url.include_query_params(offset=page.offset + page.limit).replace(scheme="", netloc=""))
    return render(request, "alerts.html", page=page, topics=topics, q=request.query_params,
                  statuses=A.DELIVERY_STATUSES, older=older)


async def feedback(request: Request) -> Response:
    ctx = ctx_of(request)
    form = await request.form()
    alert_id = int(request.path_params["id"])
    config, verdict = ctx.config(), str(form.get("verdict") or "")

    def work(s: Session) -> A.StoryRow:
        A.feedback_for_alert(s, alert_id, verdict, ctx.now())
        return A.get_story_row(s, config, alert_id)

    row = await ctx.run(work)
    if request.headers.get("hx-request"):
        return render(request, "_story_row.html", story=row)
    return RedirectResponse(_back_to(request), status_code=303)


async def mute(request: Request) -> Response:
    ctx = ctx_of(request)
    form = await request.form()
    alert_id = int(request.path_params["id"])
    config, muted = ctx.config(), form.get("muted") != "0"
    def work(s: Session) -> A.StoryRow:
        A.mute_story(s, config, alert_id, muted, ctx.now())
        return A.get_story_row(s, config, alert_id)

    row = await ctx.run(work)
    if request.headers.get("hx-request"):
        return render(request, "_story_row.html", story=row)
    return RedirectResponse(_back_to(request), status_code=303)


_LINK_PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>newsradar feedback</title></head><body style="font-family: sans-serif">
<p>{text}</p>{form}</body></html>"""


async def feedback_link(request: Request) -> Response:
    """A signed one-click link from an alert (email, webhook ``feedback_url``). GET shows
    a button (mail scanners open links; only a POST records), POST records the mark."""
    from html import escape

    from worker.pipeline.feedback import record_alert_feedback, verify_feedback_token

    ctx = ctx_of(request)
    token = request.path_params["token"]
    secret = ctx.settings.feedback_secret
    parsed = verify_feedback_token(secret, token) if secret else None
    if parsed is None:
        return HTMLResponse(_LINK_PAGE.format(text="This feedback link is not valid.", form=""),
                            status_code=404)
    alert_id, label = parsed
    if request.method == "POST":
        await ctx.run(lambda s: record_alert_feedback(s, alert_id, label, source="link",
                                                      now=ctx.now()))
        return HTMLResponse(_LINK_PAGE.format(
            text=f"Thank you: alert {alert_id} is marked {escape(label)}.", form=""))
    form = (f'<form method="post" action="/feedback/{escape(token)}">'
            f'<button type="submit">Mark alert {alert_id} {escape(label)}</button></form>')
    return HTMLResponse(_LINK_PAGE.format(text=f"Mark alert {alert_id} as {escape(label)}?",
                                          form=form))


async def article(request: Request) -> Response:
    ctx = ctx_of(request)
    article_id = int(request.path_params["id"])
    view = await ctx.run(lambda s: A.get_article(s, article_id))
    return render(request, "article.html", a=view)


async def explain(request: Request) -> Response:
    ctx = ctx_of(request)
    config, article_id = ctx.config(), int(request.path_params["id"])
    view = await ctx.run(lambda s: A.explain_cleaning(s, config, article_id))
    return render(request, "_explain.html", x=view)


# -- /api/v1 ----------------------------------------------------------------------------
async def api_alerts(request: Request) -> Response:
    ctx = ctx_of(request)
    limit, offset = page_params(request)
    config, filters = ctx.config(), _filters(request)
    return paged(request, await ctx.run(lambda s: A.list_alerts(s, config, **filters, limit=limit, offset=offset)))


async def api_stories(request: Request) -> Response:
    ctx = ctx_of(request)
    limit, offset = page_params(request)
    config, filters = ctx.config(), _filters(request)
    return paged(request, await ctx.run(lambda s: A.list_inbox(s, config, **filters, limit=limit, offset=offset)))


async def api_feedback(request: Request) -> Response:
    ctx = ctx_of(request)
    data = await body(request, FeedbackIn)
    alert_id = int(request.path_params["id"])
    return json_out(await ctx.run(lambda s: A.feedback_for_alert(s, alert_id, data.verdict, ctx.now())))


async def api_explain(request: Request) -> Response:
    ctx = ctx_of(request)
    config, article_id = ctx.config(), int(request.path_params["id"])
    return json_out(await ctx.run(lambda s: A.explain_cleaning(s, config, article_id)))


async def api_mute(request: Request) -> Response:
    ctx = ctx_of(request)
    data = await body(request, MuteIn)
    config, alert_id = ctx.config(), int(request.path_params["id"])
    return json_out(await ctx.run(lambda s: A.mute_story(s, config, alert_id, data.muted, ctx.now())))


async def api_article(request: Request) -> Response:
    ctx = ctx_of(request)
    article_id = int(request.path_params["id"])
    return json_out(await ctx.run(lambda s: A.get_article(s, article_id)))


routes = [
    Route("/", inbox),
    Route("/alerts/{id:int}/feedback", feedback, methods=["POST"]),
    Route("/alerts/{id:int}/mute", mute, methods=["POST"]),
    Route("/feedback/{token}", feedback_link, methods=["GET", "POST"]),
    Route("/articles/{id:int}", article),
    Route("/articles/{id:int}/explain", explain),
    Route("/api/v1/alerts", api_alerts),
    Route("/api/v1/stories", api_stories),
    Route("/api/v1/alerts/{id:int}/feedback", api_feedback, methods=["POST"]),
    Route("/api/v1/alerts/{id:int}/mute", api_mute, methods=["POST"]),
    Route("/api/v1/articles/{id:int}", api_article),
    Route("/api/v1/articles/{id:int}/explain", api_explain),
]
