"""The relevance step: for every topic the gate (``TopicIndex``) passed, is the story
ABOUT the topic? Used by ``process_article``, ``newsradar scan``, ``topics test`` and
``topics backtest`` alike, so that they all decide the same way.

Per topic, the prepared state (required branches, the embedded description and
examples, the tuned threshold and model) is built once and cached by topic id and a
version (the topic's config and the stored model's fit time). The embedding model is
loaded on first use in each process (``worker.relevance.load_embedder`` caches it), so
``newsradar --help`` never pays for it and each Celery prefork child loads its own.

Reads only: the tuned model is written by ``pipeline/tuning.py``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from worker.config import Config, TopicConfig
from worker.errors import BudgetExceeded
from worker.pipeline.states import MatchStatus
from worker.relevance import (
    DEFAULT_MIN_RELEVANCE,
    FEATURES_VERSION,
    PreparedStory,
    PreparedTopic,
    Relevance,
    Story,
    TopicModel,
    TopicProfile,
    prepare_story,
    prepare_topic,
    relevance,
)
from worker.store import Article, TopicRelevanceModel
from worker.store.rows import DB_ERRORS
from worker.topics import Document, TopicMatch, branch_hits, parse_query, required_branches

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TopicRelevance:
    """A topic's relevance state, prepared once per topic version."""

    topic_id: str
    version: str
    branches: tuple[Any, ...]
    prepared: PreparedTopic

    @property
    def min_relevance(self) -> float:
        m = self.prepared.profile.min_relevance
        return DEFAULT_MIN_RELEVANCE if m is None else m


@dataclass
class Judged:
    """One gated topic and what relevance said (``relevance`` None: relevance off)."""

    match: TopicMatch
    relevance: Relevance | None
    error: str | None = None  # relevance failed for this topic: alerted (fail open)

    @property
    def status(self) -> MatchStatus:
        if self.relevance is None or self.relevance.relevant:
            return MatchStatus.ALERTED
        return MatchStatus.HELD_BACK

    @property
    def alerts(self) -> bool:
        return self.status == MatchStatus.ALERTED

    def relevance_dict(self) -> dict[str, Any] | None:
        if self.error is not None:
            return {"relevant": True, "error": self.error,
                    "reason": f"relevance could not be computed ({self.error}): alerted"}
        return self.relevance.to_dict() if self.relevance is not None else None


@dataclass(frozen=True)
class StoredModel:
    """A topic's tuned threshold and model as read from ``topic_relevance_models`` (a plain
    copy: it outlives the session that read it)."""

    topic_id: str
    min_relevance: float
    model: dict[str, Any] | None
    fitted_at: str
    features_version: int = 1  # fits stored before the version was recorded were 1

    @classmethod
    def of(cls, row: TopicRelevanceModel) -> StoredModel:
        version = int((row.report or {}).get("features_version", 1))
        return cls(row.topic_id, float(row.min_relevance), row.model, row.fitted_at.isoformat(),
                   version)

    @property
    def current(self) -> bool:
        """Fitted on the features this code computes (else it is not used)."""
        return self.features_version == FEATURES_VERSION


# How long a worker process keeps its copy of the tuned models before reading them again:
# a `topics tune` reaches every running worker within this many seconds, and an article
# costs no round trip for them.
MODELS_REFRESH_S = 30.0

OpenSession = Callable[[], AbstractContextManager[Session]]


@dataclass
class RelevanceCache:
    """Per-process cache (one per worker process, like the index): prepared topics, and a
    copy of the tuned models re-read at most every ``MODELS_REFRESH_S`` seconds."""

    topics: dict[str, TopicRelevance] = field(default_factory=dict)
    models: dict[str, StoredModel] | None = None
    models_read_at: float = 0.0

    def clear(self) -> None:
        self.topics.clear()
        self.models = None

    def stored(self, session: Session | None = None, *, open_session: OpenSession | None = None,
               now: float | None = None) -> dict[str, StoredModel]:
        """Every tuned model, from this process's copy while it is fresh: one small read
        every ``MODELS_REFRESH_S`` s (only tuned topics have a row), through ``session``
        or a short one from ``open_session``."""
        now = time.monotonic() if now is None else now
        if self.models is not None and now - self.models_read_at < MODELS_REFRESH_S:
            return self.models
        if session is not None:
            self.models = _read_models(session)
        elif open_session is not None:
            with open_session() as s:
                self.models = _read_models(s)
        else:
            return self.models or {}
        self.models_read_at = now
        return self.models


def _read_models(session: Session) -> dict[str, StoredModel]:
    return {r.topic_id: StoredModel.of(r) for r in session.scalars(select(TopicRelevanceModel))}


def _config_version(t: TopicConfig) -> str:
    raw = json.dumps([t.query, t.description, [str(e) for e in t.examples],
                      [str(e) for e in t.counter_examples], t.min_relevance], sort_keys=True)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]


def example_texts(config: Config, session: Session | None, entries: Sequence[str | int]
                   ) -> list[str]:
    """Example stories: files (relative to the config file) or stored article ids."""
    texts: list[str] = []
    for e in entries:
        if isinstance(e, int) or str(e).strip().isdigit():
            if session is None:
                continue  # no database (scan): article examples are not available
            art = session.get(Article, int(e))
            if art is not None and (art.text or art.title):
                texts.append(f"{art.title or ''}\n{art.text or ''}")
            continue
        try:
            raw = config.example_path(str(e)).read_bytes()
        except OSError as exc:
            log.warning("topic example %s: %s", e, exc)
            continue
        texts.append(_file_text(raw))
    return texts


def _file_text(raw: bytes) -> str:
    """An example file's story text: HTML is cleaned like a page, text is taken as is."""
    head = raw[:2048].lstrip().lower()
    if head.startswith((b"<!doctype", b"<html", b"<")):
        from worker.clean import clean_page  # only for HTML examples

        page = clean_page(raw, url=None)
        return f"{page.title or ''}\n{page.text}"
    return raw.decode("utf-8", "replace")


def stored_models(session: Session | None, topic_ids: Sequence[str]) -> dict[str, StoredModel]:
    """The tuned models of these topics, read now."""
    if session is None or not topic_ids:
        return {}
    rows = session.scalars(select(TopicRelevanceModel)
                           .where(TopicRelevanceModel.topic_id.in_(list(topic_ids))))
    return {r.topic_id: StoredModel.of(r) for r in rows}


def topic_relevance(config: Config, cache: RelevanceCache, topic_id: str,
                    session: Session | None = None,
                    stored: StoredModel | None = None,
                    *, use_stored: bool = True,
                    open_session: OpenSession | None = None) -> TopicRelevance | None:
    """The topic's prepared relevance (None: unknown topic or ``relevance: off``).

    The database is read only for what is not prepared yet: example articles given by
    id, through ``session`` or, when preparing, a short one from ``open_session``."""
    t = config.topic(topic_id)
    if t is None or not t.relevance:
        return None
    if use_stored and stored is None and session is not None:
        stored = stored_models(session, [topic_id]).get(topic_id)
    if stored is not None and not stored.current:
        _warn_stale(stored)
        stored = None  # its threshold and model were fitted on other scores
    version = _config_version(t)
    if stored is not None:
        version += f"+{stored.fitted_at}"
    hit = cache.topics.get(topic_id)
    if hit is not None and hit.version == version:
        return hit
    model = TopicModel.from_dict(stored.model) if stored is not None and stored.model else None
    min_rel = t.min_relevance
    if stored is not None and t.min_relevance is None:
        min_rel = stored.min_relevance  # tuned, unless the config pins it
    if session is None and open_session is not None and _article_ids(t):
        with open_session() as s:
            examples = example_texts(config, s, t.examples)
            counter = example_texts(config, s, t.counter_examples)
    else:
        examples = example_texts(config, session, t.examples)
        counter = example_texts(config, session, t.counter_examples)
    profile = TopicProfile(
        description=t.description,
        examples=tuple(examples),
        counter_examples=tuple(counter),
        min_relevance=min_rel,
        model=model,
    )
    branches = tuple(required_branches(parse_query(t.query, config.lists)))
    prepared = TopicRelevance(topic_id, version, branches, prepare_topic(profile))
    cache.topics[topic_id] = prepared
    return prepared


_warned: set[tuple[str, str]] = set()


def _warn_stale(stored: StoredModel) -> None:
    if (stored.topic_id, stored.fitted_at) not in _warned:
        _warned.add((stored.topic_id, stored.fitted_at))
        log.warning("topic %s: its tuned relevance (fitted %s) predates the current relevance "
                    "features (version %s, fitted under %s) and is not used; run `newsradar "
                    "topics tune %s` again", stored.topic_id, stored.fitted_at,
                    FEATURES_VERSION, stored.features_version, stored.topic_id)


def story_for(doc: Document) -> PreparedStory:
    """The story as relevance sees it (same paragraphs as the gate), embedded once."""
    return prepare_story(Story.from_text(doc.title, doc.body))


def _article_ids(t: TopicConfig) -> bool:
    return any(isinstance(e, int) or str(e).strip().isdigit()
               for e in (*t.examples, *t.counter_examples))


Prepared = dict[str, TopicRelevance | None | Exception]


def prepare_topics(config: Config, cache: RelevanceCache, topic_ids: Iterable[str],
                   session: Session | None = None, *,
                   stored: dict[str, StoredModel] | None = None,
                   open_session: OpenSession | None = None) -> Prepared:
    """Each topic's prepared relevance (phase 1 of ``judge``: the part that may read the
    database). ``stored``: the tuned models (default: read through ``session`` now).
    A topic that cannot be prepared maps to its exception (``score`` fails open)."""
    ids = list(dict.fromkeys(topic_ids))
    if stored is None:
        # a round trip only for topics that use relevance (a relevance-off topic never reads it)
        stored = stored_models(session, [i for i in ids if (t := config.topic(i)) is not None
                                         and t.relevance])
    out: Prepared = {}
    for tid in ids:
        try:
            out[tid] = topic_relevance(config, cache, tid, session, stored.get(tid),
                                       use_stored=False, open_session=open_session)
        except DB_ERRORS:
            raise  # the database's failure, not the topic's: the caller's task retries
        except Exception as exc:  # a relevance bug must never lose an alert: fail open
            log.exception("relevance for topic %s: cannot prepare it", tid)
            out[tid] = exc
    return out


def score(doc: Document, matches: Sequence[TopicMatch], prepared: Prepared) -> list[Judged]:
    """Phase 2 of ``judge``: pure CPU, no database (the pipeline runs it under the
    article's CPU budget). Topics with ``relevance: off`` (and unknown topics) get
    ``None``: alerted exactly as before. ``BudgetExceeded`` passes through."""
    pstory: PreparedStory | None = None
    out: list[Judged] = []
    for m in matches:
        tr = prepared.get(m.topic_id)
        if isinstance(tr, Exception):
            out.append(Judged(m, None, error=f"{type(tr).__name__}: {tr}"[:300]))
            continue
        if tr is None:
            out.append(Judged(m, None))
            continue
        try:
            if pstory is None:
                pstory = story_for(doc)
            evidence = cast(Sequence[Any], branch_hits(tr.branches, doc))  # BranchLike, read-only
            out.append(Judged(m, relevance(pstory, tr.prepared, evidence)))
        except BudgetExceeded:
            raise
        except Exception as exc:  # a relevance bug must never lose an alert: fail open
            log.exception("relevance for topic %s failed; alerting as the gate decided", m.topic_id)
            out.append(Judged(m, None, error=f"{type(exc).__name__}: {exc}"[:300]))
    return out


def judge(config: Config, cache: RelevanceCache, doc: Document,
          matches: Sequence[TopicMatch], session: Session | None = None) -> list[Judged]:
    """Relevance for every topic the gate passed, in the gate's order: ``prepare_topics``
    (with the tuned models read through ``session``, when given) then ``score``."""
    return score(doc, matches,
                 prepare_topics(config, cache, [m.topic_id for m in matches], session))


def split_hits(config: Config, topic_id: str, hits: Iterable[Any],
               story: Callable[[Any], Document | None], session: Session | None = None
               ) -> tuple[list[Any], list[tuple[Any, Relevance]]]:
    """A backtest's hits split as the pipeline would decide them: (would alert, held
    back with its relevance). ``story(hit)`` gives the hit's story (None: not stored, so
    it is kept, as the gate decided); ``hit.score`` is the gate's score. With a session,
    the topic's tuned threshold and model are used, as in the pipeline."""
    cache = RelevanceCache()
    prepared = prepare_topics(config, cache, [topic_id], session)
    kept: list[Any] = []
    held: list[tuple[Any, Relevance]] = []
    for h in hits:
        doc = story(h)
        if doc is None:
            kept.append(h)
            continue
        [j] = score(doc, [TopicMatch(topic_id, h.score)], prepared)
        if j.relevance is not None and not j.relevance.relevant:
            held.append((h, j.relevance))
        else:
            kept.append(h)
    return kept, held
