"""/api/v1 plumbing: request models, list pagination, problem details, and the OpenAPI
document generated from the same models (request bodies) and ``_actions`` dataclasses
(responses) that the routes use.

Lists are JSON arrays, paginated the same way everywhere: ``?limit=`` (1–500, default
50) and ``?offset=``; the total is in ``X-Total-Count`` and the next page in a
``Link: <…>; rel="next"`` header."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse

from . import _actions as A
from ._actions import ActionError


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FeedIn(_In):
    url: str = Field(description="A feed URL, or a web page that links to its feed")
    name: str | None = None
    poll_interval: float = Field(900.0, ge=60)
    discover: bool = Field(True, description="Fetch the URL first (find a page's feed, refuse a broken one)")


class FeedEnabledIn(_In):
    enabled: bool


class FeedbackIn(_In):
    verdict: Literal["good", "bad"]


class TopicIn(_In):
    id: str
    name: str | None = None
    query: str
    min_score: float = 0.0
    channels: list[str] = Field(default_factory=list)
    enabled: bool = True
    mode: Literal["instant", "digest"] = "instant"
    max_per_hour: int | None = Field(None, ge=1)


class MuteIn(_In):
    muted: bool = True


class QueryIn(_In):
    query: str
    min_score: float = 0.0


class BacktestIn(QueryIn):
    days: int = Field(30, ge=1, le=366)


class RetryIn(_In):
    ids: list[int] | None = Field(None, description="Delivery ids; none: every failed and dead delivery")


class TokenIn(_In):
    name: str = Field(min_length=1, max_length=200)


class TokenOut(BaseModel):
    token: str = Field(description="Shown once; only its hash is stored")
    id: int
    name: str


class Problem(BaseModel):
    """RFC 9457 problem details (application/problem+json)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str = ""
    field: str | None = Field(None, description="The request field that is wrong")
    column: int | None = Field(None, description="1-based column in a query")


async def body(request: Request, model: type[Any]) -> Any:
    """The JSON body validated by ``model``; a 422 problem naming the field otherwise."""
    try:
        raw = await request.body()
        return model.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err.get("loc", ())) or None
        raise ActionError(422, "Invalid input", err["msg"].removeprefix("Value error, "), field=loc) from exc


def int_param(request: Request, name: str, default: int, lo: int, hi: int) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ActionError(422, "Invalid input", f"expected a whole number (got {raw!r})", field=name) from None
    if not lo <= value <= hi:
        raise ActionError(422, "Invalid input", f"must be between {lo} and {hi}", field=name)
    return value


def page_params(request: Request) -> tuple[int, int]:
    return int_param(request, "limit", 50, 1, 500), int_param(request, "offset", 0, 0, 10**9)


def dump(value: Any) -> Any:
    return TypeAdapter(type(value) if not isinstance(value, list) else list[Any]).dump_python(value, mode="json")


def json_out(value: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(dump(value), status_code=status)


def paged(request: Request, page: A.Page[Any]) -> JSONResponse:
    headers = {"X-Total-Count": str(page.total)}
    if page.offset + len(page.items) < page.total:
        nxt = request.url.include_query_params(offset=page.offset + page.limit, limit=page.limit)
        headers["Link"] = f'<{nxt}>; rel="next"'
    return JSONResponse(dump(page.items), headers=headers)


# ---------------------------------------------------------------------------
# the OpenAPI document


@dataclass
class Endpoint:
    method: str
    path: str
    summary: str
    response: Any = None  # a dataclass or model; list[...] for a paginated list
    body: type[BaseModel] | None = None
    query: list[tuple[str, str, str]] = field(default_factory=list)  # (name, type, description)
    status: int = 200


PAGING = [("limit", "integer", "page size, 1-500 (default 50)"), ("offset", "integer", "items to skip")]

ENDPOINTS = [
    Endpoint("get", "/api/v1/alerts", "Alerts, newest first, one per (topic, story)", list[A.AlertRow],
             query=[("topic", "string", "topic id"), ("status", "string", "a delivery status"),
                    ("feedback", "string", "good, bad or none"), ("since", "string", "YYYY-MM-DD"),
                    ("until", "string", "YYYY-MM-DD (exclusive)"),
                    ("muted", "boolean", "only muted stories (default: muted ones left out)"), *PAGING]),
    Endpoint("get", "/api/v1/stories", "The inbox: stories newest first, each with its alerts (same filters)",
             list[A.StoryRow], query=[("topic", "string", "topic id"), ("status", "string", "a delivery status"),
                                      ("feedback", "string", "good, bad or none"), *PAGING]),
    Endpoint("post", "/api/v1/alerts/{id}/feedback", "Mark an alert's article good or bad for its topic",
             A.FeedbackRow, FeedbackIn),
    Endpoint("post", "/api/v1/alerts/{id}/mute", "Mute (or unmute) an alert's story", A.AlertRow, MuteIn),
    Endpoint("get", "/api/v1/held-back", "Matches relevance held back (no alert sent), newest first",
             list[A.HeldBackRow], query=[("topic", "string", "topic id"), *PAGING]),
    Endpoint("post", "/api/v1/held-back/{id}/feedback",
             "Mark a held-back match good or bad for its topic (teaches the topic; sends nothing)",
             A.HeldBackRow, FeedbackIn),
    Endpoint("get", "/api/v1/articles/{id}", "An article: cleaned text, metadata, matches, errors", A.ArticleView),
    Endpoint("get", "/api/v1/articles/{id}/explain", "The cleaner's KEEP/DROP decision per line (page fetched again)",
             A.CleaningExplanation),
    Endpoint("get", "/api/v1/feeds", "Feeds and their health", list[A.FeedRow], query=PAGING),
    Endpoint("post", "/api/v1/feeds", "Add a feed (discovered from a page if needed)", A.FeedRow, FeedIn,
             status=201),
    Endpoint("delete", "/api/v1/feeds/{id}", "Remove a console feed", None, status=204),
    Endpoint("post", "/api/v1/feeds/{id}/enabled", "Enable or disable a console feed", A.FeedRow, FeedEnabledIn),
    Endpoint("post", "/api/v1/feeds/{id}/refresh", "Poll at the next pass, backoff cleared", A.FeedRow),
    Endpoint("get", "/api/v1/feeds.opml", "Every feed as OPML", None),
    Endpoint("get", "/api/v1/deliveries", "Deliveries, newest first", list[A.DeliveryRow],
             query=[("status", "string", "problem (failed, dead, disabled) or a status"),
                    ("channel", "string", "channel name"), *PAGING]),
    Endpoint("post", "/api/v1/deliveries/retry", "Retry deliveries (all failed and dead ones by default)",
             A.RetryResult, RetryIn),
    Endpoint("get", "/api/v1/channels/disabled", "Channels disabled by their endpoint (410)", list[A.ChannelRow]),
    Endpoint("post", "/api/v1/channels/{name}/enable", "Re-enable a channel and queue what it skipped", None),
    Endpoint("get", "/api/v1/topics", "Topics with their 30-day volume", list[A.TopicRow], query=PAGING),
    Endpoint("post", "/api/v1/topics", "Create a console topic", A.TopicRow, TopicIn, status=201),
    Endpoint("get", "/api/v1/topics/{id}", "One topic", A.TopicRow),
    Endpoint("put", "/api/v1/topics/{id}", "Update a console topic", A.TopicRow, TopicIn),
    Endpoint("delete", "/api/v1/topics/{id}", "Delete a console topic", None, status=204),
    Endpoint("post", "/api/v1/topics/preview", "Validate a query and match it against stored articles",
             A.PreviewResult, QueryIn),
    Endpoint("post", "/api/v1/topics/backtest", "Would-be alerts of a query over N days, per day",
             A.BacktestView, BacktestIn),
    Endpoint("get", "/api/v1/search", "Full-text search over stored articles, best first", A.SearchResult,
             query=[("q", "string", "words (all must occur); word* for a prefix"), *PAGING]),
    Endpoint("post", "/api/v1/tokens", "Create an API token (shown once)", TokenOut, TokenIn, status=201),
    Endpoint("get", "/api/v1/tokens", "API tokens (never the tokens themselves)", list[A.TokenRow]),
    Endpoint("delete", "/api/v1/tokens/{id}", "Revoke an API token", None, status=204),
    Endpoint("get", "/api/v1/config/export", "Config file plus console items as one YAML document", None),
]


def openapi() -> dict[str, Any]:
    adapters: list[tuple[Any, Any, TypeAdapter[Any]]] = []
    for i, ep in enumerate(ENDPOINTS):
        if ep.response is not None:
            adapters.append(((i, "out"), "serialization", TypeAdapter(ep.response)))
        if ep.body is not None:
            adapters.append(((i, "in"), "validation", TypeAdapter(ep.body)))
    adapters.append((("problem", "out"), "serialization", TypeAdapter(Problem)))
    schemas, defs = TypeAdapter.json_schemas(adapters, ref_template="#/components/schemas/{model}")
    paths: dict[str, dict[str, Any]] = {}
    problem_ref = {"content": {"application/problem+json": {"schema": schemas[(("problem", "out"), "serialization")]}}}
    for i, ep in enumerate(ENDPOINTS):
        op: dict[str, Any] = {"summary": ep.summary, "responses": {}}
        params = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                  for n in _path_params(ep.path)]
        params += [{"name": n, "in": "query", "required": n == "q", "description": d, "schema": {"type": t}}
                   for n, t, d in ep.query]
        if params:
            op["parameters"] = params
        if ep.body is not None:
            op["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": schemas[((i, "in"), "validation")]}}}
        ok: dict[str, Any] = {"description": "OK"}
        if ep.response is not None:
            ok["content"] = {"application/json": {"schema": schemas[((i, "out"), "serialization")]}}
        op["responses"][str(ep.status)] = ok
        op["responses"]["401"] = {"description": "Not authenticated", **problem_ref}
        op["responses"]["422"] = {"description": "Invalid input", **problem_ref}
        paths.setdefault(ep.path, {})[ep.method] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "newsradar", "version": "1",
                 "description": "The console's JSON API. Lists are arrays paginated with limit/offset "
                                "(X-Total-Count, Link rel=next); errors are RFC 9457 problem details."},
        "components": {"schemas": defs.get("$defs", {}),
                       "securitySchemes": {"basic": {"type": "http", "scheme": "basic"},
                                           "bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"basic": []}, {"bearer": []}],
        "paths": paths,
    }


def _path_params(path: str) -> list[str]:
    import re  # noqa: PLC0415

    return re.findall(r"{(\w+)}", path)
