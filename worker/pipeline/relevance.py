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
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from worker.config import Config, TopicConfig
from worker.pipeline.states import MatchStatus
from worker.relevance import (
    DEFAULT_MIN_RELEVANCE,
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


@dataclass
class RelevanceCache:
    """Per-process cache of prepared topics (one per worker process, like the index)."""

    topics: dict[str, TopicRelevance] = field(default_factory=dict)

    def clear(self) -> None:
        self.topics.clear()


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


def stored_models(session: Session | None, topic_ids: Sequence[str]
                  ) -> dict[str, TopicRelevanceModel]:
    if session is None or not topic_ids:
        return {}
    rows = session.scalars(select(TopicRelevanceModel)
                           .where(TopicRelevanceModel.topic_id.in_(list(topic_ids))))
    return {r.topic_id: r for r in rows}


def topic_relevance(config: Config, cache: RelevanceCache, topic_id: str,
                    session: Session | None = None,
                    stored: TopicRelevanceModel | None = None,
                    *, use_stored: bool = True) -> TopicRelevance | None:
    """The topic's prepared relevance (None: unknown topic or ``relevance: off``)."""
    t = config.topic(topic_id)
    if t is None or not t.relevance:
        return None
    if use_stored and stored is None and session is not None:
        stored = stored_models(session, [topic_id]).get(topic_id)
    version = _config_version(t)
    if stored is not None:
        version += f"+{stored.fitted_at.isoformat()}"
    hit = cache.topics.get(topic_id)
    if hit is not None and hit.version == version:
        return hit
    model = TopicModel.from_dict(stored.model) if stored is not None and stored.model else None
    min_rel = t.min_relevance
    if stored is not None and t.min_relevance is None:
        min_rel = stored.min_relevance  # tuned, unless the config pins it
    profile = TopicProfile(
        description=t.description,
        examples=tuple(example_texts(config, session, t.examples)),
        counter_examples=tuple(example_texts(config, session, t.counter_examples)),
        min_relevance=min_rel,
        model=model,
    )
    branches = tuple(required_branches(parse_query(t.query, config.lists)))
    prepared = TopicRelevance(topic_id, version, branches, prepare_topic(profile))
    cache.topics[topic_id] = prepared
    return prepared


def story_for(doc: Document) -> PreparedStory:
    """The story as relevance sees it (same paragraphs as the gate), embedded once."""
    return prepare_story(Story.from_text(doc.title, doc.body))


def judge(config: Config, cache: RelevanceCache, doc: Document,
          matches: Sequence[TopicMatch], session: Session | None = None) -> list[Judged]:
    """Relevance for every topic the gate passed, in the gate's order. Topics with
    ``relevance: off`` (and unknown topics) get ``None``: alerted exactly as before."""
    # a round trip only for topics that use relevance (a relevance-off topic never reads it)
    gated = [m.topic_id for m in matches if (t := config.topic(m.topic_id)) is not None and t.relevance]
    stored = stored_models(session, gated)
    pstory: PreparedStory | None = None
    out: list[Judged] = []
    for m in matches:
        try:
            tr = topic_relevance(config, cache, m.topic_id, session, stored.get(m.topic_id),
                                 use_stored=False)
            if tr is None:
                out.append(Judged(m, None))
                continue
            if pstory is None:
                pstory = story_for(doc)
            evidence = cast(Sequence[Any], branch_hits(tr.branches, doc))  # BranchLike, read-only
            out.append(Judged(m, relevance(pstory, tr.prepared, evidence)))
        except Exception as exc:  # a relevance bug must never lose an alert: fail open
            log.exception("relevance for topic %s failed; alerting as the gate decided", m.topic_id)
            out.append(Judged(m, None, error=f"{type(exc).__name__}: {exc}"[:300]))
    return out
