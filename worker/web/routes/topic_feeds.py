"""A feed of alerts per topic (Atom and JSON Feed), so that any feed reader becomes an alert
client: ``/feeds/topics/{topic_id}.atom`` and ``.json``. The documents are the feedfile
channel's (``worker.alerts.atom_feed``/``json_feed``). A feed reader cannot log in, so
besides a session these accept an API token in the URL (``?token=``, see ``_auth``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from worker.alerts import atom_feed, json_feed

from .. import _actions as A
from .._context import ctx_of

FEED_LIMIT = 50


async def topic_feed(request: Request) -> Response:
    ctx = ctx_of(request)
    topic_id = request.path_params["topic_id"]
    kind = request.path_params["kind"]
    if kind not in ("atom", "json"):
        return Response("not found", status_code=404, media_type="text/plain")
    home = str(request.url_for("topic_editor", id=topic_id))
    # the feed's own address without the token: readers show and share it
    self_url = str(request.url.remove_query_params("token"))
    config = ctx.config()
    feed = await ctx.run(lambda s: A.topic_feed(s, config, topic_id, ctx.now(), limit=FEED_LIMIT,
                                                home_url=home, feed_url=self_url))
    if kind == "atom":
        return Response(atom_feed(feed), media_type="application/atom+xml; charset=utf-8")
    return Response(json_feed(feed), media_type="application/feed+json; charset=utf-8")


routes = [Route("/feeds/topics/{topic_id}.{kind}", topic_feed, methods=["GET"])]
