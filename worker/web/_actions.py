"""Every data operation of the console and /api/v1, as plain functions.

Routes stay thin: they parse the request, call ONE function here, and render a template
or a JSON body, so a page and its API twin cannot disagree. Each function takes a
SQLAlchemy ``Session`` (the caller commits) plus plain arguments and returns plain
dataclasses (the API serialises those same dataclasses, and the OpenAPI document is
generated from them).

These functions belong with the pipeline (one module per table's lifecycle): after the
pipeline package lands they can move there, or point at its functions, one by one.
Existing functions are called where they exist: ``worker.pipeline.network_policy`` (the
runner's SSRF policy), ``worker.topics.backtest``/``parse_query``,
``worker.sources.fetch``/``discover_feeds``/``parse_feed``, ``worker.clean.explain_page``,
``worker.alerts.message.why_matched``; retrying a delivery and re-enabling a channel call
``worker.pipeline.deliveries.retry_delivery``/``enable_channel``, as ``newsradar alerts
retry``/``enable`` do; held-back matches are read by ``worker.pipeline.matches`` and
good/bad marks written by ``worker.pipeline.feedback.record_feedback``.

One kind of state change still happens here, in clearly named functions, until the
pipeline has it: the ``feeds`` table (``_feeds_table_add``/``_remove``/
``_set_enabled``/``_refresh``, for ``pipeline/feeds.py``). What the runner sees
of the console (``effective_config``, ``console_version``) is ``worker.pipeline.console``.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

import yaml
from pydantic import ValidationError
from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session

from worker.alerts import TopicFeed, entry_for
from worker.alerts.message import why_matched
from worker.config import Config, TopicConfig
from worker.errors import DeliveryError, FetchError, QueryError
from worker.pipeline import (
    console,
    deliveries,
    network_policy,  # the runner's SSRF policy, from the same config keys
)
from worker.pipeline import feeds as pipeline_feeds
from worker.pipeline.console import effective_config, topic_config
from worker.pipeline.messages import alert_message
from worker.redact import redact
from worker.sources import (
    FetchLimits,
    fetch,
)
from worker.store import (
    Alert,
    AlertFeedback,
    ApiToken,
    Article,
    ChannelState,
    ConsoleTopic,
    Delivery,
    DeliveryAttempt,
    Feed,
    Match,
    MutedStory,
    StoredArticle,
)
from worker.topics import Topic, backtest, parse_query

T = TypeVar("T")

FEEDBACK = ("good", "bad")
DELIVERY_STATUSES = ("pending", "sending", "sent", "failed", "dead", "held", "digested", "disabled")


# ---------------------------------------------------------------------------
# errors: one type, rendered as a problem detail (API) or a message on the page


class ActionError(Exception):
    """A request the console cannot carry out: ``status`` is the HTTP status, ``field``
    (and for queries ``column``, 1-based) say what is wrong."""

    def __init__(self, status: int, title: str, detail: str, *, field: str | None = None,
                 column: int | None = None) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail
        self.field, self.column = field, column


def _not_found(what: str, key: object) -> ActionError:
    return ActionError(404, "Not found", f"no {what} {key}")


def _invalid(detail: str, field: str, column: int | None = None) -> ActionError:
    return ActionError(422, "Invalid input", detail, field=field, column=column)


@dataclass
class Page(Generic[T]):
    """One page of a list: the same shape for every list of the console and API."""

    items: list[T]
    total: int
    limit: int
    offset: int


def _aware(d: datetime | None) -> datetime | None:
    return d if d is None or d.tzinfo else d.replace(tzinfo=UTC)


# ---------------------------------------------------------------------------
# configuration: what the YAML defines, plus what the console created


def export_config(config: Config, session: Session) -> str:
    """The whole set (config file + console) as one YAML document (``config export``)."""
    merged = effective_config(config, session)
    data = merged.model_dump(mode="json", exclude_defaults=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


# ---------------------------------------------------------------------------
# alerts inbox


@dataclass
class Outlet:
    article_id: int
    title: str
    url: str
    site: str | None
    feed: str | None


@dataclass
class RelevanceView:
    """A match's relevance (the ``matches.relevance`` JSON): whether the story is about
    the topic, the score against its bar, the parts it is made of, and the reason in words."""

    score: float
    min_relevance: float | None
    relevant: bool | None
    reason: str
    parts: dict[str, float | None]  # salience, similarity, model (None: not available)
    weakest: str | None = None


def relevance_view(raw: dict[str, Any] | None) -> RelevanceView | None:
    """The relevance JSON the pipeline stored on a match, as the console shows it."""
    if not raw:
        return None

    def num(v: Any) -> float | None:
        return None if v is None else float(v)

    parts = raw.get("parts") or {}
    return RelevanceView(
        score=float(raw.get("score") or 0.0), min_relevance=num(raw.get("min_relevance")),
        relevant=raw.get("relevant"), reason=str(raw.get("reason") or ""),
        parts={str(k): num(v) for k, v in parts.items()},
        weakest=str(raw["weakest"]) if raw.get("weakest") else None,
    )


@dataclass
class AlertRow:
    id: int
    topic_id: str
    topic_name: str
    kind: str
    created_at: datetime
    score: float
    article_id: int | None
    headline: str
    url: str | None
    highlights: list[str]
    why: list[str]
    outlets: list[Outlet]
    delivery_status: list[str]
    feedback: str | None
    story_id: int | None
    muted: bool
    relevance: RelevanceView | None = None  # None: relevance off for the topic (or a system alert)


def _feed_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {f.id: f.name or f.title or redact(f.url)
            for f in session.scalars(select(Feed).where(Feed.id.in_(wanted)))}


def _alert_query(*, topic: str | None = None, status: str | None = None, feedback: str | None = None,
                 since: datetime | None = None, until: datetime | None = None, muted: bool = False) -> Any:
    """The alerts that pass the inbox's filters (shared by the alert list and the inbox)."""
    if status is not None and status not in DELIVERY_STATUSES:
        raise _invalid(f"unknown status {status!r} (expected one of: {', '.join(DELIVERY_STATUSES)})", "status")
    if feedback is not None and feedback not in (*FEEDBACK, "none"):
        raise _invalid(f"unknown feedback {feedback!r} (expected good, bad or none)", "feedback")
    q = select(Alert)
    if topic:
        q = q.where(Alert.topic_id == topic)
    if since is not None:
        q = q.where(Alert.created_at >= since)
    if until is not None:
        q = q.where(Alert.created_at < until)
    if status:
        q = q.where(Alert.id.in_(select(Delivery.alert_id).where(Delivery.status == status)))
    fb = select(AlertFeedback.id).where(AlertFeedback.topic_id == Alert.topic_id,
                                        AlertFeedback.article_id == Alert.article_id)
    if feedback in FEEDBACK:
        q = q.where(fb.where(AlertFeedback.verdict == feedback).exists())
    elif feedback == "none":
        q = q.where(~fb.exists())
    is_muted = Alert.story_id.in_(select(MutedStory.story_id))
    return q.where(is_muted) if muted else q.where(or_(Alert.story_id.is_(None), ~is_muted))


def list_alerts(session: Session, config: Config, *, limit: int = 50, offset: int = 0,
                **filters: Any) -> Page[AlertRow]:
    """Alerts newest first, one per (topic, story), each with every outlet that ran the
    story. Filters: ``topic``; ``status`` (alerts with a delivery in that status);
    ``feedback`` good, bad or none; ``since``/``until``; muted stories are left out
    (``muted=True``: only them)."""
    q = _alert_query(**filters)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    alerts = list(session.scalars(q.order_by(Alert.created_at.desc(), Alert.id.desc())
                                  .limit(limit).offset(offset)))
    return Page([_alert_row(session, config, a) for a in alerts], total, limit, offset)


@dataclass
class StoryRow:
    """One row of the inbox: a story (near-duplicates across outlets) and its alerts, one
    per topic it matched, best first."""

    key: str
    story_id: int | None
    headline: str
    url: str | None
    article_id: int | None
    created_at: datetime
    outlets: list[Outlet]
    muted: bool
    alerts: list[AlertRow]


def _story_key() -> Any:
    # alerts without a story (system alerts) are rows of their own
    return func.coalesce(Alert.story_id, -Alert.id)


def list_inbox(session: Session, config: Config, *, limit: int = 50, offset: int = 0,
               **filters: Any) -> Page[StoryRow]:
    """The inbox: stories newest first (by their latest alert), each with the alerts that
    pass the filters (same filters as ``list_alerts``)."""
    q = _alert_query(**filters)
    keyed = q.add_columns(_story_key().label("key")).subquery()
    groups = (select(keyed.c.key, func.max(keyed.c.created_at).label("latest"))
              .group_by(keyed.c.key))
    total = session.scalar(select(func.count()).select_from(groups.subquery())) or 0
    page = session.execute(groups.order_by(func.max(keyed.c.created_at).desc(), keyed.c.key.desc())
                           .limit(limit).offset(offset)).all()
    rows = []
    for key, _latest in page:
        alerts = list(session.scalars(q.where(_story_key() == key).order_by(Alert.score.desc(), Alert.id)))
        rows.append(_story_row(session, config, key, alerts))
    return Page(rows, total, limit, offset)


def get_story_row(session: Session, config: Config, alert_id: int) -> StoryRow:
    """The inbox row of an alert's story, with all its alerts (after a mark or a mute)."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise _not_found("alert", alert_id)
    key = alert.story_id if alert.story_id is not None else -alert.id
    alerts = list(session.scalars(select(Alert).where(_story_key() == key)
                                  .order_by(Alert.score.desc(), Alert.id)))
    return _story_row(session, config, key, alerts)


def _story_row(session: Session, config: Config, key: int, alerts: list[Alert]) -> StoryRow:
    rows = [_alert_row(session, config, a) for a in alerts]
    first = rows[0]
    return StoryRow(
        key=f"s{key}" if key >= 0 else f"a{-key}", story_id=first.story_id, headline=first.headline,
        url=first.url, article_id=first.article_id, created_at=max(r.created_at for r in rows),
        outlets=first.outlets, muted=first.muted, alerts=rows,
    )


def get_alert(session: Session, config: Config, alert_id: int) -> AlertRow:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise _not_found("alert", alert_id)
    return _alert_row(session, config, alert)


def _alert_row(session: Session, config: Config, a: Alert) -> AlertRow:
    article = session.get(Article, a.article_id) if a.article_id else None
    match = session.get(Match, a.match_id) if a.match_id else None
    if article is not None and a.story_id is not None:
        members = list(session.scalars(select(Article).where(Article.story_id == a.story_id)
                                       .order_by(Article.id)))
    else:
        members = [article] if article is not None else []
    names = _feed_names(session, [m.feed_id for m in members])
    verdict = None
    if a.article_id is not None:
        verdict = session.scalar(select(AlertFeedback.verdict).where(
            AlertFeedback.topic_id == a.topic_id, AlertFeedback.article_id == a.article_id))
    topic = config.topic(a.topic_id)
    statuses = sorted({d.status for d in session.scalars(select(Delivery).where(Delivery.alert_id == a.id))})
    headline = (article.title or article.url) if article else f"{a.kind} alert"
    return AlertRow(
        id=a.id, topic_id=a.topic_id, topic_name=topic.display_name if topic else a.topic_id,
        kind=a.kind, created_at=_aware(a.created_at), score=a.score,  # type: ignore[arg-type]
        article_id=a.article_id, headline=headline, url=article.url if article else None,
        highlights=list(match.highlights or []) if match else [],
        why=why_matched(match.explanation or {}) if match else [],
        outlets=[Outlet(m.id, m.title or m.url, m.url, m.site, names.get(m.feed_id or -1)) for m in members],
        delivery_status=statuses, feedback=verdict, story_id=a.story_id,
        muted=a.story_id is not None and session.get(MutedStory, a.story_id) is not None,
        relevance=relevance_view(match.relevance if match else None),
    )


@dataclass
class FeedbackRow:
    topic_id: str
    article_id: int
    verdict: str
    at: datetime


def set_feedback(session: Session, topic_id: str, article_id: int, verdict: str,
                 now: datetime) -> FeedbackRow:
    """Mark (topic, article) good or bad; a second mark replaces the first. The mark
    is written by the pipeline's one feedback module (worker/pipeline/feedback.py)."""
    from worker.pipeline.feedback import record_feedback

    if verdict not in FEEDBACK:
        raise _invalid(f"expected good or bad (got {verdict!r})", "verdict")
    if session.get(Article, article_id) is None:
        raise _not_found("article", article_id)
    fb = record_feedback(session, topic_id, article_id, verdict, source="console", now=now)
    return FeedbackRow(fb.topic_id, fb.article_id, fb.label, fb.at)


def feedback_for_alert(session: Session, alert_id: int, verdict: str, now: datetime) -> FeedbackRow:
    alert = session.get(Alert, alert_id)
    if alert is None or alert.article_id is None:
        raise _not_found("article alert", alert_id)
    return set_feedback(session, alert.topic_id, alert.article_id, verdict, now)


@dataclass
class HeldBackRow:
    """A match the query passed and relevance held back (no alert was sent), with the
    relevance that decided it and the user's mark, if any."""

    match_id: int
    topic_id: str
    topic_name: str
    article_id: int
    headline: str
    url: str
    site: str | None
    published_at: datetime | None
    created_at: datetime
    score: float  # the query's score
    relevance: RelevanceView | None
    feedback: str | None  # good | bad


def list_held_back(session: Session, config: Config, *, topic: str | None = None, limit: int = 50,
                   offset: int = 0) -> Page[HeldBackRow]:
    """Held-back matches newest first (of one topic when ``topic`` is given), read by the
    pipeline's ``worker.pipeline.matches``."""
    from worker.pipeline.matches import count_held_back
    from worker.pipeline.matches import list_held_back as held_back

    rows = []
    for h in held_back(session, topic_id=topic or None, limit=limit, offset=offset):
        t = config.topic(h.topic_id)
        rows.append(HeldBackRow(
            match_id=h.match_id, topic_id=h.topic_id, topic_name=t.display_name if t else h.topic_id,
            article_id=h.article_id, headline=h.title or h.url, url=h.url, site=h.site,
            published_at=_aware(h.published), created_at=_aware(h.created_at),  # type: ignore[arg-type]
            score=h.score, relevance=relevance_view(h.relevance), feedback=h.feedback))
    return Page(rows, count_held_back(session, topic_id=topic or None), limit, offset)


def feedback_for_held_back(session: Session, config: Config, match_id: int, verdict: str,
                           now: datetime) -> HeldBackRow:
    """Mark a held-back match good (relevance was wrong to hold it back) or bad; the mark
    teaches the topic (``topics tune``), it does not send the alert now."""
    from worker.pipeline.states import MatchStatus

    match = session.get(Match, match_id)
    if match is None or match.status != MatchStatus.HELD_BACK.value:
        raise _not_found("held-back match", match_id)
    set_feedback(session, match.topic_id, match.article_id, verdict, now)
    article = session.get(Article, match.article_id)
    assert article is not None  # set_feedback checked it
    t = config.topic(match.topic_id)
    return HeldBackRow(
        match_id=match.id, topic_id=match.topic_id, topic_name=t.display_name if t else match.topic_id,
        article_id=article.id, headline=article.title or article.url, url=article.url, site=article.site,
        published_at=_aware(article.published_at), created_at=_aware(match.created_at),  # type: ignore[arg-type]
        score=match.score, relevance=relevance_view(match.relevance), feedback=verdict)


def mute_story(session: Session, config: Config, alert_id: int, muted: bool, now: datetime) -> AlertRow:
    """Mute (or unmute) the story of an alert: its alerts, for every topic, leave the inbox."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise _not_found("alert", alert_id)
    if alert.story_id is None:
        raise ActionError(409, "No story", f"alert {alert_id} has no story to mute")
    row = session.get(MutedStory, alert.story_id)
    if muted and row is None:
        session.add(MutedStory(story_id=alert.story_id, at=now))
    elif not muted and row is not None:
        session.delete(row)
    session.flush()
    return _alert_row(session, config, alert)


# ---------------------------------------------------------------------------
# article view


@dataclass
class ArticleMatch:
    topic_id: str
    score: float
    highlights: list[str]
    why: list[str]
    status: str = "alerted"  # alerted | held_back (relevance held it back)
    relevance: RelevanceView | None = None


@dataclass
class ArticleView:
    id: int
    url: str
    canonical_url: str
    title: str | None
    feed: str | None
    site: str | None
    author: str | None
    language: str | None
    published_at: datetime | None
    fetched_at: datetime | None
    status: str
    error: str | None
    error_code: str | None
    attempts: int
    story_id: int | None
    text: str | None
    matches: list[ArticleMatch]


def get_article(session: Session, article_id: int) -> ArticleView:
    a = session.get(Article, article_id)
    if a is None:
        raise _not_found("article", article_id)
    feed = session.get(Feed, a.feed_id) if a.feed_id else None
    matches = [ArticleMatch(m.topic_id, m.score, list(m.highlights or []), why_matched(m.explanation or {}),
                            str(m.status), relevance_view(m.relevance))
               for m in session.scalars(select(Match).where(Match.article_id == a.id).order_by(Match.score.desc()))]
    return ArticleView(
        id=a.id, url=a.url, canonical_url=a.canonical_url, title=a.title,
        feed=(feed.name or feed.title or redact(feed.url)) if feed else None, site=a.site, author=a.author,
        language=a.language, published_at=_aware(a.published_at), fetched_at=_aware(a.fetched_at),
        status=a.status, error=a.error, error_code=a.error_code, attempts=a.attempts,
        story_id=a.story_id, text=a.text, matches=matches,
    )


@dataclass
class ExplainLine:
    line_no: int
    text: str
    verdict: str  # KEEP | DROP | BLANK
    reason: str


@dataclass
class CleaningExplanation:
    article_id: int
    url: str
    error: str | None
    kept: int
    dropped: int
    lines: list[ExplainLine]


def explain_cleaning(session: Session, config: Config, article_id: int, *,
                     timeout: float = 20.0) -> CleaningExplanation:
    """The cleaner's decision for every line of the article's page (as ``newsradar clean
    --explain``). The page is not stored, so it is fetched again, through the SSRF guard."""
    from worker.clean import explain_page  # noqa: PLC0415
    from worker.sources import PAGE_ACCEPT  # noqa: PLC0415

    a = session.get(Article, article_id)
    if a is None:
        raise _not_found("article", article_id)
    try:
        res = fetch(a.url, limits=FetchLimits(total_timeout=timeout), policy=network_policy(config),
                    accept=PAGE_ACCEPT)
    except FetchError as exc:
        return CleaningExplanation(a.id, a.url, f"[{exc.code}] {exc}", 0, 0, [])
    lines = [ExplainLine(d.line_no, d.text, d.verdict, d.reason)
             for d in explain_page(res.content, content_type=res.content_type) if d.verdict != "BLANK"]
    kept = sum(x.verdict == "KEEP" for x in lines)
    return CleaningExplanation(a.id, a.url, None, kept, len(lines) - kept, lines)


# ---------------------------------------------------------------------------
# feeds


@dataclass
class FeedRow:
    id: int
    url: str
    name: str | None
    title: str | None
    origin: str  # config | console | removed (no longer configured)
    enabled: bool
    status: str
    health: str  # ok | new | warn | error | off: the colour on the page
    last_success_at: datetime | None
    last_polled_at: datetime | None
    next_poll_at: datetime | None
    consecutive_errors: int
    last_error: str | None
    last_error_code: str | None
    articles: int
    polls: int = 0  # successful polls (200 or 304)
    not_modified_share: float | None = None  # the share of them answered 304 (None: no poll yet)


def _health(f: Feed) -> str:
    if not f.enabled or f.status == "disabled":
        return "off"
    if f.status in ("error", "gone"):
        return "error" if f.consecutive_errors >= 3 or f.status == "gone" else "warn"
    if f.status == "new":
        return "new"
    return "warn" if f.last_problems else "ok"


def _feed_row(session: Session, config: Config, f: Feed, counts: dict[int, int] | None = None) -> FeedRow:
    origin = console.origin(session, config, f.url)
    n = counts.get(f.id, 0) if counts is not None else session.scalar(
        select(func.count()).select_from(Article).where(Article.feed_id == f.id)) or 0
    return FeedRow(
        # a feed URL may carry credentials (https://user:password@host/feed): the page,
        # the API and the notices show it redacted; the OPML and config exports keep it
        id=f.id, url=redact(f.url), name=f.name, title=f.title, origin=origin, enabled=f.enabled,
        status=f.status, health=_health(f), last_success_at=_aware(f.last_success_at),
        last_polled_at=_aware(f.last_polled_at), next_poll_at=_aware(f.next_poll_at),
        consecutive_errors=f.consecutive_errors, last_error=f.last_error,
        last_error_code=f.last_error_code, articles=n, polls=f.polls or 0,
        not_modified_share=(f.polls_not_modified or 0) / f.polls if f.polls else None,
    )


def list_feeds(session: Session, config: Config, *, limit: int = 100, offset: int = 0) -> Page[FeedRow]:
    total = session.scalar(select(func.count()).select_from(Feed)) or 0
    feeds = list(session.scalars(select(Feed).order_by(Feed.id).limit(limit).offset(offset)))
    counts = {feed_id: n for feed_id, n in session.execute(
        select(Article.feed_id, func.count()).where(Article.feed_id.in_([f.id for f in feeds]))
        .group_by(Article.feed_id)) if feed_id is not None}
    return Page([_feed_row(session, config, f, counts) for f in feeds], total, limit, offset)


DiscoveredFeed = console.DiscoveredFeed
ImportResult = console.ImportResult
_ERROR_STATUS = {"invalid": 422, "conflict": 409, "not_found": 404}


@contextmanager
def _feed_change() -> Iterator[None]:
    """The pipeline's refusal as the console's problem detail."""
    try:
        yield
    except console.FeedChangeError as exc:
        raise ActionError(_ERROR_STATUS[exc.kind], exc.title, exc.detail, field=exc.field) from exc


def discover_feed(config: Config, url: str, *, timeout: float = 20.0) -> DiscoveredFeed:
    with _feed_change():
        return console.discover_feed(config, url, timeout=timeout)


def add_feed(session: Session, config: Config, url: str, *, name: str | None = None,
             poll_interval: float = 900.0, now: datetime, discover: bool = True) -> FeedRow:
    """Add a console feed (``worker.pipeline.console.add_feed``)."""
    with _feed_change():
        feed = console.add_feed(session, config, url, name=name, poll_interval=poll_interval,
                                now=now, discover=discover)
    return _feed_row(session, config, feed)


def remove_feed(session: Session, config: Config, feed_id: int) -> None:
    """Remove a console feed: marked removed; its articles and alerts stay."""
    with _feed_change():
        console.remove_feed(session, config, feed_id)


def set_feed_enabled(session: Session, config: Config, feed_id: int, enabled: bool,
                     now: datetime) -> FeedRow:
    with _feed_change():
        feed = console.set_feed_enabled(session, config, feed_id, enabled, now)
    return _feed_row(session, config, feed)


def refresh_feed(session: Session, config: Config, feed_id: int, now: datetime) -> FeedRow:
    """Poll at the next pass, backoff cleared (``worker.pipeline.feeds.refresh_feed``)."""
    try:
        feed = pipeline_feeds.refresh_feed(session, feed_id, now)
    except pipeline_feeds.FeedNotFound as exc:
        raise _not_found("feed", feed_id) from exc
    return _feed_row(session, config, feed)


def export_opml(session: Session, config: Config) -> str:
    return console.export_opml(session, config)


def import_opml(session: Session, config: Config, text: str | bytes, now: datetime) -> ImportResult:
    with _feed_change():
        return console.import_opml(session, config, text, now)


# ---------------------------------------------------------------------------
# deliveries


@dataclass
class AttemptRow:
    at: datetime
    ok: bool
    status_code: int | None
    error: str | None


@dataclass
class DeliveryRow:
    id: int
    alert_id: int
    topic_id: str
    channel: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    sent_at: datetime | None
    last_error: str | None
    last_error_code: str | None
    headline: str
    attempt_log: list[AttemptRow]


@dataclass
class ChannelRow:
    channel: str
    disabled_reason: str | None
    disabled_at: datetime | None


def list_deliveries(session: Session, *, status: str | None = None, channel: str | None = None,
                    limit: int = 50, offset: int = 0) -> Page[DeliveryRow]:
    """Deliveries newest first; ``status`` one of DELIVERY_STATUSES or ``problem``
    (failed, dead or disabled)."""
    q = select(Delivery, Alert).join(Alert, Alert.id == Delivery.alert_id)
    if status == "problem":
        q = q.where(Delivery.status.in_(("failed", "dead", "disabled")))
    elif status is not None:
        if status not in DELIVERY_STATUSES:
            raise _invalid(f"unknown status {status!r} (expected problem or one of: "
                           f"{', '.join(DELIVERY_STATUSES)})", "status")
        q = q.where(Delivery.status == status)
    if channel:
        q = q.where(Delivery.channel == channel)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = session.execute(q.order_by(Delivery.id.desc()).limit(limit).offset(offset)).all()
    out = []
    for d, a in rows:
        article = session.get(Article, a.article_id) if a.article_id else None
        headline = (article.title or article.url) if article else f"{a.kind} alert"
        log = [AttemptRow(_aware(x.at), x.ok, x.status_code, x.error)  # type: ignore[arg-type]
               for x in session.scalars(select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == d.id)
                                        .order_by(DeliveryAttempt.id))]
        out.append(DeliveryRow(d.id, a.id, a.topic_id, d.channel, d.status, d.attempts,
                               _aware(d.next_attempt_at), _aware(d.sent_at), d.last_error,
                               d.last_error_code, headline, log))
    return Page(out, total, limit, offset)


def disabled_channels(session: Session) -> list[ChannelRow]:
    return [ChannelRow(c.channel, c.disabled_reason, _aware(c.disabled_at))
            for c in session.scalars(select(ChannelState).where(ChannelState.disabled.is_(True))
                                     .order_by(ChannelState.channel))]


@dataclass
class RetryResult:
    queued: list[int] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def retry_deliveries(session: Session, delivery_ids: Iterable[int], now: datetime) -> RetryResult:
    """Queue deliveries for another try now (the runner or the service sends them), through
    ``pipeline.deliveries.retry_delivery`` (the rules of ``newsradar alerts retry``: sent
    ones and disabled channels are skipped)."""
    result = RetryResult()
    for did in delivery_ids:
        outcome = deliveries.retry_delivery(session, did, now)
        if outcome.why_not == "missing":
            raise _not_found("delivery", did)
        if outcome.queued:
            result.queued.append(did)
        elif outcome.why_not == "sent":
            result.skipped.append(f"delivery {did} was already sent")
        else:
            result.skipped.append(f"delivery {did}: channel {outcome.channel} is disabled "
                                  f"({outcome.disabled_reason}); enable it first")
    session.flush()
    return result


def retry_all_failed(session: Session, now: datetime) -> RetryResult:
    """Retry every failed and dead delivery."""
    ids = list(session.scalars(select(Delivery.id).where(Delivery.status.in_(("failed", "dead")))
                               .order_by(Delivery.id)))
    return retry_deliveries(session, ids, now)


def enable_channel(session: Session, channel: str, now: datetime, *, resend: bool = True) -> int:
    """Re-enable a channel disabled by a 410 through ``pipeline.deliveries.enable_channel``
    (as ``newsradar alerts enable``); with ``resend`` the deliveries it skipped are queued.
    Returns how many."""
    n = deliveries.enable_channel(session, channel, now, resend=resend)
    if n is None:
        raise ActionError(409, "Not disabled", f"channel {channel} is not disabled", field="channel")
    session.flush()
    return n


# ---------------------------------------------------------------------------
# a feed of alerts per topic (issue 16): the documents of the feedfile channel, from the rows


def topic_feed(session: Session, config: Config, topic_id: str, now: datetime, *,
               limit: int = 50, home_url: str | None = None, feed_url: str | None = None) -> TopicFeed:
    """The newest ``limit`` alerts of a topic as a ``TopicFeed`` (``worker.alerts.atom_feed``
    / ``json_feed`` write it), each entry the message a channel would get; muted stories
    left out, as in the inbox."""
    topic = config.topic(topic_id) or _console_topic_config(session, topic_id)
    known = topic is not None or session.scalar(
        select(Alert.id).where(Alert.topic_id == topic_id).limit(1)) is not None
    if not known:
        raise _not_found("topic", topic_id)
    alerts = session.scalars(
        select(Alert).where(Alert.topic_id == topic_id, Alert.kind == "article",
                            or_(Alert.story_id.is_(None),
                                Alert.story_id.not_in(select(MutedStory.story_id))))
        .order_by(Alert.created_at.desc(), Alert.id.desc()).limit(limit))
    entries = []
    for a in alerts:
        try:
            entries.append(entry_for(alert_message(session, config, a, "feed", 0), now=now))
        except DeliveryError:  # its article is gone
            continue
    title = f"newsradar: {topic.display_name if topic else topic_id}"
    return TopicFeed(topic_id=topic_id, title=title, entries=entries, home_url=home_url,
                     feed_url=feed_url)


def _console_topic_config(session: Session, topic_id: str) -> TopicConfig | None:
    t = session.get(ConsoleTopic, topic_id)
    return topic_config(t) if t is not None else None


# ---------------------------------------------------------------------------
# topics


@dataclass
class TopicRow:
    id: str
    name: str
    query: str
    min_score: float
    channels: list[str]
    enabled: bool
    mode: str  # instant | digest
    max_per_hour: int | None
    origin: str  # config | console
    volume: list[int]  # alerts per day, oldest first (the sparkline)
    last_alert_at: datetime | None
    alerts_30d: int
    held_back: int = 0  # matches relevance held back (the held-back page, filtered by topic)


def _all_topics(session: Session, config: Config) -> list[tuple[TopicConfig, str]]:
    ids = {t.id for t in config.topics}
    return [(t, "config") for t in config.topics] + [
        (topic_config(t), "console")
        for t in session.scalars(select(ConsoleTopic).order_by(ConsoleTopic.id)) if t.id not in ids
    ]


def list_topics(session: Session, config: Config, now: datetime, *, days: int = 30) -> list[TopicRow]:
    since = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    per: dict[str, Counter[str]] = {}
    for topic_id, created in session.execute(select(Alert.topic_id, Alert.created_at)
                                             .where(Alert.created_at >= since)):
        per.setdefault(topic_id, Counter())[_aware(created).strftime("%Y-%m-%d")] += 1  # type: ignore[union-attr]
    last = dict(session.execute(select(Alert.topic_id, func.max(Alert.created_at)).group_by(Alert.topic_id)).all())
    day_keys = [(since + timedelta(days=i)).strftime("%Y-%m-%d") for i in range(days)]
    from worker.pipeline.matches import count_held_back

    rows = []
    for t, origin in _all_topics(session, config):
        counts = per.get(t.id, Counter())
        volume = [counts.get(k, 0) for k in day_keys]
        rows.append(TopicRow(t.id, t.display_name, t.query, t.min_score, list(t.channels), t.enabled,
                             t.mode, t.max_per_hour, origin, volume, _aware(last.get(t.id)), sum(volume),
                             count_held_back(session, topic_id=t.id)))
    return rows


def get_topic(session: Session, config: Config, topic_id: str, now: datetime) -> TopicRow:
    for row in list_topics(session, config, now):
        if row.id == topic_id:
            return row
    raise _not_found("topic", topic_id)


@dataclass
class QueryProblem:
    message: str
    column: int | None


def validate_query(config: Config, query: str) -> QueryProblem | None:
    """None when ``query`` parses; else the problem and its 1-based column."""
    if not query.strip():
        return QueryProblem("empty query", 1)
    try:
        parse_query(query, {k: list(v) for k, v in config.lists.items()})
    except QueryError as exc:
        return QueryProblem(exc.reason, exc.column)
    return None


def _recent_articles(session: Session, since: datetime | None, limit: int | None) -> Iterator[StoredArticle]:
    """Processed articles, newest first, streamed (a long backtest does not fill memory)."""
    q = select(Article).where(Article.status == "done", Article.text.is_not(None))
    if since is not None:
        q = q.where(or_(Article.published_at >= since,
                        Article.published_at.is_(None) & (Article.created_at >= since)))
    q = q.order_by(Article.id.desc())
    if limit:
        q = q.limit(limit)
    for a in session.scalars(q.execution_options(yield_per=200)):
        yield StoredArticle(id=a.id, url=a.url, title=a.title or "", text=a.text or "",
                            published=_aware(a.published_at), site=a.site, lang=a.language)


@dataclass
class Hit:
    article_id: int | None
    url: str | None
    title: str
    published: datetime | None
    score: float
    highlights: list[str]


@dataclass
class PreviewResult:
    problem: QueryProblem | None
    scanned: int
    hits: list[Hit]


def _run(config: Config, query: str, min_score: float, articles: Iterable[StoredArticle],
         since: datetime | None = None) -> Any:
    by_url: dict[str, int] = {}

    def noted() -> Iterator[StoredArticle]:  # article ids by URL, for links to the article view
        for a in articles:
            by_url[a.url] = a.id
            yield a

    result = backtest(Topic("preview", "preview", query, float(min_score)), noted(),
                      {k: list(v) for k, v in config.lists.items()}, since=since)
    hits = [Hit(by_url.get(h.url or ""), h.url, h.title, _aware(h.published), h.score, list(h.highlights))
            for h in result.hits]
    hits.sort(key=lambda h: (-h.score, h.title))
    return result, hits


def preview_query(session: Session, config: Config, query: str, *, min_score: float = 0.0,
                  scan: int = 500, limit: int = 20) -> PreviewResult:
    """What ``query`` matches among the newest ``scan`` stored articles (the live
    preview of the editor)."""
    problem = validate_query(config, query)
    if problem is not None:
        return PreviewResult(problem, 0, [])
    articles = _recent_articles(session, None, scan)
    result, hits = _run(config, query, min_score, articles)
    return PreviewResult(None, result.scanned, hits[:limit])


@dataclass
class BacktestDay:
    day: str
    alerts: int


@dataclass
class HeldBackHit:
    """A would-be match relevance would hold back (no alert), with its score and reason."""

    hit: Hit
    relevance: float
    reason: str


@dataclass
class BacktestView:
    query: str
    days: int
    scanned: int
    alerts: int
    per_day: list[BacktestDay]
    hits: list[Hit]
    held_back: list[HeldBackHit] = field(default_factory=list)
    held_back_count: int = 0


def backtest_query(session: Session, config: Config, query: str, *, min_score: float = 0.0,
                   days: int = 30, now: datetime, limit: int = 20) -> BacktestView:
    """The alerts ``query`` would have raised over the last ``days`` days, per day
    (every day present, zeros included, for the chart)."""
    if not 1 <= days <= 366:
        raise _invalid("days must be between 1 and 366", "days")
    problem = validate_query(config, query)
    if problem is not None:
        raise _invalid(problem.message, "query", problem.column)
    since = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    result, hits = _run(config, query, min_score, _recent_articles(session, since, None), since)
    hits, held = _relevance_split(session, config, query, min_score, hits)
    per_day = [BacktestDay((since + timedelta(days=i)).strftime("%Y-%m-%d"), 0) for i in range(days)]
    index = {d.day: d for d in per_day}
    for h in hits:  # the chart counts what would have alerted, as the pipeline decides
        day = h.published.strftime("%Y-%m-%d") if h.published else None
        if day in index:
            index[day].alerts += 1
    return BacktestView(query, days, result.scanned, len(hits), per_day, hits[:limit],
                        held[:limit], len(held))


def _relevance_split(session: Session, config: Config, query: str, min_score: float,
                     hits: list[Hit]) -> tuple[list[Hit], list[HeldBackHit]]:
    """The hits relevance lets through and the ones it would hold back, judged as the
    pipeline judges a topic with this query and no description (salience from the
    query alone: what a console topic gets)."""
    from worker.pipeline.relevance import split_hits
    from worker.topics import Document

    cfg = config.model_copy(update={"topics": [TopicConfig(id="preview", query=query,
                                                           min_score=min_score)]})

    def story(h: Hit) -> Document | None:
        art = session.get(Article, h.article_id) if h.article_id is not None else None
        if art is None or not art.text:
            return None
        return Document(title=art.title or h.title, body=art.text)

    kept, held = split_hits(cfg, "preview", hits, story)
    return kept, [HeldBackHit(h, round(rel.score, 3), rel.reason) for h, rel in held]


def save_topic(session: Session, config: Config, *, topic_id: str, query: str,
               name: str | None = None, min_score: float = 0.0, channels: list[str] | None = None,
               enabled: bool = True, mode: str = "instant", max_per_hour: int | None = None,
               now: datetime, create: bool) -> TopicConfig:
    """Create (``create``) or update a console topic, with the config's validation."""
    if config.topic(topic_id) is not None:
        raise ActionError(409, "Defined in config",
                          f"topic {topic_id} is defined in config: change it in the YAML file", field="id")
    try:
        tc = TopicConfig(id=topic_id, name=name or None, query=query, min_score=min_score,
                         channels=channels or [], enabled=enabled, mode=mode,
                         max_per_hour=max_per_hour)
    except ValueError as exc:
        errors = exc.errors() if isinstance(exc, ValidationError) else []
        loc = str(errors[0]["loc"][0]) if errors else "id"
        msg = errors[0]["msg"].removeprefix("Value error, ") if errors else str(exc)
        raise _invalid(msg, loc) from exc
    problem = validate_query(config, query)
    if problem is not None:
        raise _invalid(problem.message, "query", problem.column)
    for ch in tc.channels:
        if ch not in config.channels:
            known = ", ".join(sorted(config.channels)) or "none defined"
            raise _invalid(f"unknown channel {ch!r} (channels: {known})", "channels")
    row = session.get(ConsoleTopic, topic_id)
    if create and row is not None:
        raise ActionError(409, "Already exists", f"topic {topic_id} already exists", field="id")
    if not create and row is None:
        raise _not_found("topic", topic_id)
    if row is None:
        row = ConsoleTopic(id=topic_id, created_at=now)
        session.add(row)
    row.name, row.query, row.min_score = tc.name, tc.query, tc.min_score
    row.channels, row.enabled, row.updated_at = list(tc.channels), tc.enabled, now
    row.mode, row.max_per_hour = tc.mode, tc.max_per_hour
    session.flush()
    return tc


def delete_topic(session: Session, config: Config, topic_id: str) -> None:
    if config.topic(topic_id) is not None:
        raise ActionError(409, "Defined in config", f"topic {topic_id} is defined in config")
    row = session.get(ConsoleTopic, topic_id)
    if row is None:
        raise _not_found("topic", topic_id)
    session.delete(row)
    session.flush()


# ---------------------------------------------------------------------------
# search


@dataclass
class SearchHit:
    article_id: int
    title: str
    url: str
    published: datetime | None
    snippet: str  # matched words in «…»


@dataclass
class SearchResult:
    q: str
    topic_query: str  # the same search in the topic language ("save as topic")
    total: int
    hits: list[SearchHit]


_TERM = re.compile(r"[^\W_]+\*?", re.UNICODE)
# the expression migration 0002 indexes (GIN), character for character
PG_DOCUMENT = "to_tsvector('simple', left(coalesce(title, '') || ' ' || coalesce(text, ''), 200000))"


def search_terms(q: str) -> list[str]:
    """Words (``word*`` for a prefix) of a search; every one must be in the article."""
    return _TERM.findall(q)[:20]


def search_articles(session: Session, q: str, *, limit: int = 50, offset: int = 0) -> SearchResult:
    """Full-text search over stored articles (title and cleaned text), best first: SQLite
    FTS5 (``articles_fts``) or PostgreSQL's text search on the GIN-indexed document
    (migration 0002). Every word must occur; ``word*`` is a prefix."""
    terms = search_terms(q)
    if not terms:
        raise _invalid("give at least one word to search for", "q")
    topic_query = " AND ".join(terms)
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        match = " ".join(f'"{t.rstrip("*")}"' + ("*" if t.endswith("*") else "") for t in terms)
        total = session.execute(text("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH :m"),
                                {"m": match}).scalar() or 0
        rows = session.execute(text(
            "SELECT rowid, snippet(articles_fts, 1, '«', '»', '…', 24) FROM articles_fts "
            "WHERE articles_fts MATCH :m ORDER BY bm25(articles_fts, 5.0, 1.0) LIMIT :l OFFSET :o"),
            {"m": match, "l": limit, "o": offset}).all()
    else:
        tsq = " & ".join(t.rstrip("*").lower() + (":*" if t.endswith("*") else "") for t in terms)
        where = f"{PG_DOCUMENT} @@ to_tsquery('simple', :q)"
        total = session.execute(text(f"SELECT count(*) FROM articles WHERE {where}"), {"q": tsq}).scalar() or 0
        rows = session.execute(text(
            f"SELECT id, ts_headline('simple', coalesce(text, ''), to_tsquery('simple', :q), "
            f"'StartSel=«, StopSel=», MaxWords=30, MinWords=10') FROM articles WHERE {where} "
            f"ORDER BY ts_rank({PG_DOCUMENT}, to_tsquery('simple', :q)) DESC, id DESC LIMIT :l OFFSET :o"),
            {"q": tsq, "l": limit, "o": offset}).all()
    hits = []
    for article_id, snippet in rows:
        a = session.get(Article, article_id)
        if a is not None:
            hits.append(SearchHit(a.id, a.title or a.url, a.url, _aware(a.published_at), snippet or ""))
    return SearchResult(q, topic_query, total, hits)


# ---------------------------------------------------------------------------
# API tokens


@dataclass
class TokenRow:
    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, name: str, now: datetime) -> tuple[str, TokenRow]:
    """A new API token: returned once, stored only as its SHA-256."""
    token = "nr_" + secrets.token_urlsafe(32)
    row = ApiToken(name=name, token_hash=_token_hash(token), created_at=now)
    session.add(row)
    session.flush()
    return token, TokenRow(row.id, row.name, now, None)


def check_token(session: Session, token: str, now: datetime) -> TokenRow | None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    if row is None:
        return None
    row.last_used_at = now
    return TokenRow(row.id, row.name, _aware(row.created_at), now)  # type: ignore[arg-type]


def list_tokens(session: Session) -> list[TokenRow]:
    return [TokenRow(t.id, t.name, _aware(t.created_at), _aware(t.last_used_at))  # type: ignore[arg-type]
            for t in session.scalars(select(ApiToken).order_by(ApiToken.id))]


def revoke_token(session: Session, token_id: int) -> None:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise _not_found("token", token_id)
    session.delete(row)
    session.flush()
