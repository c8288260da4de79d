"""Articles: stored from a feed's entries, then processed one by one: fetch the page,
clean it (a ``CleanPage``), match every topic, and record the result, its matches, its
story and its alerts (the outbox) in one transaction. The only module that changes an
article row's state and the only one that writes the matches table.

Each call claims its row first, so the same work done twice (a retry, a duplicate
message, a second worker) is harmless. No call raises for bad input: a broken page is
recorded on its article and everything else goes on.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from worker.clean import CleanPage, clean_page
from worker.errors import (
    BudgetExceeded,
    ErrorCode,
    FetchError,
    NewsradarError,
    as_newsradar_error,
    error_code,
    short_message,
)
from worker.pipeline import outbox, stories
from worker.pipeline import relevance as relevance_step
from worker.pipeline._common import INFRA_ERRORS, fetch_via, storable
from worker.pipeline.budget import ArticleBudget
from worker.pipeline.context import Context
from worker.pipeline.states import ArticleStatus, DeliveryStatus, move, sources_of
from worker.retry import RetryPolicy, should_retry
from worker.sources import PAGE_ACCEPT, PAGE_TYPES, entry_key
from worker.store import Alert, Article, Delivery, Match
from worker.store.rows import claim, claim_columns, insert_or_skip
from worker.topics import Document, TopicMatch, bounded_document, note_bounded
from worker.urls import canonical_url, host_of

log = logging.getLogger(__name__)

# A page that keeps failing transiently: backoff from 2 minutes, with jitter, capped at
# 2 hours, given up after 5 attempts (then matched on the feed entry's text if any).
ARTICLE_RETRY = RetryPolicy(base=120.0, cap=7200.0, max_attempts=5)

_A = ArticleStatus


# ---------------------------------------------------------------------------
# new articles, from a feed's entries


@dataclass
class StoredEntries:
    article_ids: list[int] = field(default_factory=list)
    hosts: dict[int, str] = field(default_factory=dict)  # article id -> its page's host
    problems: list[str] = field(default_factory=list)
    capped: bool = False  # more new entries than the cap: the rest come next poll


def store_entries(
    ctx: Context, feed_id: int, entries: Sequence[Any], cap: int, now: datetime,
    older: Callable[[], Sequence[Any]] | None = None, *, session: Session | None = None,
) -> StoredEntries:
    """Insert a feed's new entries (newest first) as ``new`` articles; the unique keys
    skip the ones already stored. At most ``cap`` are taken. ``older``: the entries that
    follow ``entries`` (a large feed parsed newest part first), parsed only when fewer
    than ``cap`` of ``entries`` were new. In ``session`` (the poll's transaction) or a
    transaction of its own."""
    if session is None:
        with ctx.session() as s:
            return store_entries(ctx, feed_id, entries, cap, now, older, session=s)
    out = StoredEntries()
    skipped_links = _store_new(session, feed_id, entries, cap, now, out)
    if older is not None and not out.capped:
        if len(out.article_ids) >= cap:
            out.capped = True  # the older entries come next poll
        else:
            skipped_links += _store_new(session, feed_id, older(), cap, now, out)
    if skipped_links:
        out.problems.append(f"{skipped_links} item(s) without a link were skipped")
    if out.capped:
        out.problems.append(
            f"more than {cap} new items: the first {cap} (newest) were taken, the rest come next poll"
        )
    return out


def _store_new(s: Session, feed_id: int, entries: Sequence[Any], cap: int, now: datetime,
               out: StoredEntries) -> int:
    """``store_entries`` for one run of entries, into ``out`` (``out.capped`` when new ones
    were left over); returns the number without a link."""
    linked = [e for e in entries if e.link]  # newest first
    skipped_links = len(entries) - len(linked)
    # One read for every GUID the entries carry, one multi-row INSERT for the new
    # ones (two round trips per poll, not two per entry); the unique keys decide.
    guids = list({storable(e.guid)[:2048] for e in linked})
    stored_links: dict[str, str] = {
        guid: url for guid, url in s.execute(
            select(Article.guid, Article.url).where(Article.feed_id == feed_id, Article.guid.in_(guids)))
    } if guids else {}
    rows: list[dict[str, Any]] = []
    for entry in linked:
        link = storable(entry.link)
        title, author = storable(entry.title), storable(entry.author)
        guid = storable(entry.guid)[:2048]
        seen = stored_links.get(guid)
        if seen is not None:
            # a GUID reused for another story: keyed on GUID + link (the unique key
            # (feed_id, guid) still decides; the same story again is skipped by it)
            key = entry_key(guid, link, seen)[:2048]
            if key == guid:
                continue  # stored already
            guid = key
        else:
            stored_links[guid] = link  # a later entry of this feed under the same GUID
        rows.append({
            "feed_id": feed_id,
            "guid": guid,
            "url": link[:2048],
            "canonical_url": canonical_url(link)[:2048],
            "title": (title or None) and title[:1000],
            "published_at": entry.published,
            "entry_summary": storable(entry.content or entry.summary),
            "author": (author or None) and author[:300],
            "site": host_of(link),
            "status": _A.NEW.value,
            "attempts": 0,
            "created_at": now,
        })
    while rows and len(out.article_ids) < cap:
        # the newest first, at most the cap; rows another key already holds are skipped
        # by the INSERT, so the next ones are tried until the cap is reached
        batch, rows = rows[:cap - len(out.article_ids)], rows[cap - len(out.article_ids):]
        for article_id, site in s.execute(
            insert_or_skip(s, Article).values(batch).on_conflict_do_nothing()
            .returning(Article.id, Article.site)
        ):
            out.article_ids.append(article_id)
            if site:
                out.hosts[article_id] = site
    out.capped = bool(rows)
    return skipped_links


# ---------------------------------------------------------------------------
# processing


def due_articles(ctx: Context, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Articles waiting to be processed: new, due for a retry, or left 'processing' by a
    worker that died (its claim expired)."""
    now = now or ctx.now()
    with ctx.session() as s:
        return list(
            s.scalars(
                select(Article.id)
                .where(
                    or_(
                        and_(
                            Article.status.in_((_A.NEW, _A.RETRY)),
                            or_(Article.next_attempt_at.is_(None), Article.next_attempt_at <= now),
                        ),
                        Article.status == _A.PROCESSING,
                    ),
                    or_(Article.claimed_until.is_(None), Article.claimed_until < now),
                )
                .order_by(Article.id)
                .limit(limit)
            )
        )


@dataclass
class ProcessResult:
    article_id: int
    status: str  # an ArticleStatus, or "missing" / "claimed" when nothing was done
    delivery_ids: list[int] = field(default_factory=list)
    matched_topics: list[str] = field(default_factory=list)  # alerted (relevant) topics
    held_back_topics: list[str] = field(default_factory=list)  # gated, held back by relevance
    error: str | None = None
    retry_after: float | None = None


def process_article(ctx: Context, article_id: int) -> ProcessResult:
    """Fetch an article's page, clean it, match every topic and write the alerts and
    their deliveries (the outbox) in one transaction.

    Idempotent: an article already done returns its pending deliveries; one claimed
    by another worker is skipped. A transient fetch failure leaves the article in
    ``retry`` with ``next_attempt_at``; a permanent one falls back to the feed entry's
    own text or marks the article ``failed`` with the error."""
    now = ctx.now()
    # One round trip on the common path: the claim moves the row to 'processing', counts
    # the attempt and hands back what processing needs, in a statement that commits
    # itself (states.py: a claim is one of the bulk UPDATEs that name their move); the
    # commit does not wait for the WAL flush (lost in a database crash, the article is
    # simply processed again).
    claimed = claim_columns(
        ctx.engine, Article, article_id, now, ctx.claim_lease,
        or_(Article.status == _A.NEW,
            and_(Article.status == _A.PROCESSING, Article.attempts < ARTICLE_RETRY.max_attempts),
            and_(Article.status == _A.RETRY,
                 or_(Article.next_attempt_at.is_(None), Article.next_attempt_at <= now))),
        columns=[Article.url, Article.attempts, Article.site, Article.entry_summary, Article.title,
                 Article.author, Article.published_at],
        values={"status": _A.PROCESSING.value, "attempts": Article.attempts + 1},
        lazy_commit=True,
    )
    if claimed is None:
        return _not_claimed(ctx, article_id, now)
    fields: tuple[Any, ...] = tuple(claimed)
    url, attempts, site, fallback_text, fallback_title, author, published_at = fields[:7]
    stored = _Stored(title=fallback_title, author=author, published_at=published_at, site=site)

    # clean + match run under the article's CPU budget (worker/pipeline/budget.py); no
    # database transaction is open inside a budget.stage block
    budget = ArticleBudget(article_id, ctx.config.run.article_cpu_seconds)
    error: NewsradarError | None = None
    page: CleanPage | None
    try:
        fetched = fetch_via(ctx, url, accept=PAGE_ACCEPT, content_types=PAGE_TYPES)
        with budget.stage("clean"):
            page = clean_page(
                fetched.content,
                content_type=fetched.content_type,
                url=fetched.final_url,
                fallback_text=fallback_text,
                fallback_title=fallback_title,
            )
    except BudgetExceeded as exc:
        return _article_failed(ctx, article_id, now, exc, None)
    except FetchError as exc:
        if exc.code == ErrorCode.RATE_LIMITED and exc.status_code is None and exc.retry_after is not None:
            # our own politeness gate: the host is busy, the page was not asked. Try again
            # when the host's next slot opens, without spending one of the article's attempts.
            return _article_retry(ctx, article_id, exc, timedelta(seconds=exc.retry_after), refund=True)
        delay = should_retry(exc, attempts, policy=ARTICLE_RETRY)
        if delay is not None:
            return _article_retry(ctx, article_id, exc, timedelta(seconds=delay))
        error = exc
        page = None
        if fallback_text:
            try:
                with budget.stage("clean"):
                    page = clean_page(fallback_text.encode("utf-8"), content_type="text/html",
                                      url=url, fallback_title=fallback_title)
            except BudgetExceeded as budget_exc:
                return _article_failed(ctx, article_id, now, budget_exc, None)
            except Exception:  # the page error stays the one recorded
                log.exception("process_article %s: cannot clean the feed entry's text", url)
    except Exception as exc:  # never let one page stop the run
        log.exception("process_article %s: unexpected error", url)
        error = as_newsradar_error(exc)
        page = None

    if page is None or not (page.text or "").strip():
        return _article_failed(ctx, article_id, now, error, page)
    try:
        with budget.stage("match"):
            gate_doc, topic_matches = _match(ctx, page, fallback_title, site)
        # the relevance step, on the same bounded story the gate read, outside any
        # transaction: preparing a topic may read the database (once per topic version),
        # scoring is CPU only and runs under what is left of the article's budget
        prepared = relevance_step.prepare_topics(
            ctx.config, ctx.relevance, [m.topic_id for m in topic_matches],
            # the tuned models: this process's copy, re-read at most every 30 s
            stored=ctx.relevance.stored(open_session=ctx.session), open_session=ctx.session)
        with budget.stage("relevance"):
            judged = relevance_step.score(gate_doc, topic_matches, prepared)
    except BudgetExceeded as exc:
        return _article_failed(ctx, article_id, now, exc, None)
    except INFRA_ERRORS:
        # preparing a topic reads the database: a dropped connection is the database's
        # failure, not the page's; the task retries, the claim expires for the sweep
        raise
    except Exception as exc:  # a bug matching must not stop the run nor loop
        log.exception("process_article %s: cannot match the page", url)
        return _article_failed(ctx, article_id, now, as_newsradar_error(exc), None)
    try:
        return _store_result(ctx, article_id, stored, page, error, now, judged)
    except INFRA_ERRORS:
        raise  # the database itself: the task retries, the claim expires for the sweep
    except Exception as exc:  # a bug matching or storing must not stop the run nor loop
        log.exception("process_article %s: cannot match or store the page", url)
        return _article_failed(ctx, article_id, now, as_newsradar_error(exc), None)


def _not_claimed(ctx: Context, article_id: int, now: datetime) -> ProcessResult:
    """Why the claim failed, and what follows: done or failed already (hand on its
    deliveries), a retry not yet due, another worker's claim, or attempts spent."""
    with ctx.session() as s:
        art = s.get(Article, article_id)
        if art is None:
            return ProcessResult(article_id, "missing", error="no such article")
        if art.status in (_A.DONE, _A.FAILED):
            return ProcessResult(article_id, art.status, pending_deliveries(s, article_id))
        if art.status == _A.RETRY and art.next_attempt_at is not None and art.next_attempt_at > now:
            # a duplicate message: the page is not asked again before its retry time
            return ProcessResult(article_id, _A.RETRY, error=art.error,
                                 retry_after=(art.next_attempt_at - now).total_seconds())
        if art.status == _A.PROCESSING and claim(s, Article, article_id, now, ctx.claim_lease,
                                                  Article.status == _A.PROCESSING):
            # Still 'processing' with its claim expired and its attempts spent: each
            # earlier attempt ended with its worker (a hard time limit, memory). Give up
            # instead of looping.
            move(art, _A.FAILED)
            art.error = (f"gave up after {art.attempts} attempts: the worker processing it "
                         "stopped each time (time limit or crash)")
            art.error_code = ErrorCode.CRASHED.value
            art.claimed_until = None
            return ProcessResult(article_id, _A.FAILED, error=art.error)
        return ProcessResult(article_id, "claimed")


def _match(ctx: Context, page: CleanPage, title: str | None, site: str | None
           ) -> tuple[Document, list[TopicMatch]]:
    """The bounded story (the title, the lead and the body's first part:
    ``bounded_document``) and every topic matched on it; each match's explanation says
    when the body was cut."""
    bounded = bounded_document(_document(page, title, site))
    return bounded.document, [note_bounded(m, bounded.note) for m in ctx.index.match(bounded.document)]


def _document(page: CleanPage, title: str | None, site: str | None) -> Document:
    return Document(title=(page.title or title or "")[:1000], body=page.text, site=site,
                   lang=page.language)


def _article_failed(
    ctx: Context, article_id: int, now: datetime, error: NewsradarError | None,
    page: CleanPage | None,
) -> ProcessResult:
    with ctx.session() as s:
        art = s.get(Article, article_id)
        assert art is not None
        move(art, _A.FAILED)
        art.fetched_at = now
        art.error = short_message(error) if error else f"no story text ({page.status if page else 'none'})"
        art.error_code = (error_code(error) if error else ErrorCode.NO_BODY).value
        art.claimed_until = None
    return ProcessResult(article_id, _A.FAILED, error=short_message(error) if error else "no story text")


@dataclass(frozen=True)
class _Stored:
    """What the claim read of the article that its result keeps or falls back on."""

    title: str | None
    author: str | None
    published_at: datetime | None
    site: str | None


def _store_result(
    ctx: Context, article_id: int, stored: _Stored, page: CleanPage, error: NewsradarError | None,
    now: datetime, judged: Sequence[relevance_step.Judged],
) -> ProcessResult:
    """The article's cleaned page, its story, its matches (as relevance judged them:
    held-back ones are recorded, never alerted) and the outbox: one transaction, one
    durable commit, written without reading back what it writes.

    A worker whose claim expired while it was slow may get here with another: the
    article's UPDATE is conditional (only from a state that may move to ``done``), so
    the second to come finds the row done and rolls back its whole result (its story
    choice included) instead of putting the article in a second story."""
    title = (page.title or stored.title or "")[:1000] or None
    author = page.author or stored.author
    values: dict[str, Any] = {
        "title": title,
        "text": page.text,
        "published_at": stored.published_at or page.published,
        "author": author[:300] if author else None,
        "language": page.language,
        "description": page.description,
        "content_hash": hashlib.sha256(page.text.encode("utf-8")).hexdigest(),
        "fetched_at": now,
        "error": None,
        "error_code": None,
        "status": _A.DONE.value,
        "claimed_until": None,
    }
    if error is not None:  # the page from the feed entry: keep the page error visible
        values["error"] = f"page unavailable, matched the feed entry's text: {short_message(error)}"
        values["error_code"] = error_code(error).value
    with ctx.session() as s:
        fp = stories.fingerprint(page.text)  # CPU, before the bucket locks are taken
        t0 = time.perf_counter()
        story_id, signed = stories.choose_story(s, article_id, page.text, now, fp=fp)
        done = s.execute(
            update(Article)
            .where(Article.id == article_id, Article.status.in_(sources_of(_A.DONE) - {_A.DONE}))
            .values(story_id=story_id, simhash=signed, **values)
            .returning(Article.id)
            .execution_options(synchronize_session=False)
        ).first()
        if done is None:  # another worker finished it (or moved it on) meanwhile
            s.rollback()
            art = s.get(Article, article_id)
            status = art.status if art is not None else "missing"
            return ProcessResult(article_id, status, delivery_ids=pending_deliveries(s, article_id))
        delivery_ids: list[int] = []
        match_ids: dict[str, int] = {}
        if judged:
            rows = s.execute(
                insert_or_skip(s, Match)
                .values([{
                    "article_id": article_id, "topic_id": j.match.topic_id, "score": j.match.score,
                    "explanation": j.match.explanation, "highlights": j.match.highlights,
                    "created_at": now, "status": j.status.value, "relevance": j.relevance_dict(),
                } for j in judged])
                .on_conflict_do_nothing()
                .returning(Match.id, Match.topic_id)
            ).all()
            match_ids = {topic_id: match_id for match_id, topic_id in rows}
        alerted = [j for j in judged if j.alerts]
        if alerted:
            delivery_ids = outbox.create_alerts(
                ctx, s, article_id, story_id,
                [(j.match.topic_id, j.match.score, match_ids.get(j.match.topic_id)) for j in alerted], now)
    # the story's bucket locks are held from the choice to the commit
    stories.ChoiceTimer.total_s += time.perf_counter() - t0
    stories.ChoiceTimer.count += 1
    return ProcessResult(
        article_id,
        _A.DONE,
        delivery_ids=delivery_ids,
        matched_topics=[j.match.topic_id for j in alerted],
        held_back_topics=[j.match.topic_id for j in judged if not j.alerts],
    )


def _article_retry(
    ctx: Context, article_id: int, exc: FetchError, delay: timedelta, *, refund: bool = False
) -> ProcessResult:
    now = ctx.now()
    with ctx.session() as s:
        art = s.get(Article, article_id)
        assert art is not None
        move(art, _A.RETRY)
        if refund:
            art.attempts = max(0, art.attempts - 1)
        art.error = short_message(exc)
        art.error_code = error_code(exc).value
        art.next_attempt_at = now + delay
        art.claimed_until = None
    return ProcessResult(article_id, _A.RETRY, error=short_message(exc), retry_after=delay.total_seconds())


def pending_deliveries(session: Session, article_id: int) -> list[int]:
    """The article's deliveries still to send (a duplicate message hands them on)."""
    return list(
        session.scalars(
            select(Delivery.id)
            .join(Alert, Alert.id == Delivery.alert_id)
            .where(Alert.article_id == article_id,
                   Delivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.FAILED)))
        )
    )


@dataclass
class PruneResult:
    """Rows the retention policy changed (or, dry run, would change)."""

    texts_removed: int = 0
    articles_removed: int = 0


def prune_articles(ctx: Context, *, dry_run: bool = False, batch: int | None = None) -> PruneResult:
    """Apply ``config.retention``: clear the page text of articles stored longer than
    ``text_after``, then delete finished articles stored longer than ``article_after``
    that no alert points to (their matches go with them; stories and their bucket rows
    stay). At most ``batch`` rows of each per call, so the periodic work stays short;
    a dry run counts everything that would go."""
    ret = ctx.config.retention
    size = batch or ret.batch
    now = ctx.now()
    result = PruneResult()
    with ctx.session() as s:
        if ret.text_after is not None:
            cutoff = now - timedelta(seconds=ret.text_after)
            old_text = and_(Article.created_at < cutoff,
                            or_(Article.text.is_not(None), Article.entry_summary.is_not(None),
                                Article.description.is_not(None)))
            if dry_run:
                result.texts_removed = s.scalar(select(func.count(Article.id)).where(old_text)) or 0
            else:
                ids = list(s.scalars(select(Article.id).where(old_text).limit(size)))
                if ids:
                    s.execute(update(Article).where(Article.id.in_(ids))
                              .values(text=None, entry_summary=None, description=None))
                result.texts_removed = len(ids)
        if ret.article_after is not None:
            cutoff = now - timedelta(seconds=ret.article_after)
            removable = and_(Article.created_at < cutoff,
                             Article.status.in_((_A.DONE, _A.FAILED)),
                             ~select(Alert.id).where(Alert.article_id == Article.id).exists())
            if dry_run:
                result.articles_removed = s.scalar(select(func.count(Article.id)).where(removable)) or 0
            else:
                ids = list(s.scalars(select(Article.id).where(removable).limit(size)))
                if ids:
                    s.execute(delete(Match).where(Match.article_id.in_(ids)))
                    s.execute(delete(Article).where(Article.id.in_(ids)))
                result.articles_removed = len(ids)
        if dry_run:
            s.rollback()
    return result
