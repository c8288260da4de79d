"""Many topics against one story: presearch candidates, then evaluate only those.

Each topic is indexed under the words (``word → topic ids``) and prefixes
(``prefix → topic ids``) of which one must occur (see _presearch). A story is
tokenized once; its distinct words select the candidates, plus the topics that need
no word at all (``always``). Adding, replacing and removing a topic touches only that
topic's entries.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from worker.errors import QueryError

from ._ast import Node
from ._explain import build_match
from ._matcher import Matcher, compile_node
from ._model import Document, Match, Topic
from ._parser import parse_query
from ._presearch import Terms, required_clauses, required_terms
from ._text import PreparedDoc


def prepare(doc: Document) -> PreparedDoc:
    """Tokenize a story once for any number of topics."""
    return PreparedDoc(doc.title, doc.body, doc.site, doc.lang)


@dataclass(frozen=True)
class CompiledTopic:
    topic: Topic
    matcher: Matcher
    terms: Terms | None  # None: a candidate for every story
    # Words that must all occur (a str) or sets of which one must occur (a frozenset):
    # checked against the story's words before the full evaluation.
    checks: tuple[str | frozenset[str], ...] = ()


def compile_topic(
    topic: Topic,
    lists: Mapping[str, Sequence[str]] | None = None,
    *,
    _list_cache: dict[str, Node] | None = None,
) -> CompiledTopic:
    """Parse and compile one topic; QueryError names the topic."""
    try:
        if not isinstance(topic.min_score, (int, float)) or topic.min_score != topic.min_score:
            raise QueryError(f"min_score must be a number, not {topic.min_score!r}")
        q = parse_query(topic.query, lists, _list_cache=_list_cache)
    except QueryError as exc:
        raise exc.with_topic(topic.id) from None
    terms = required_terms(q.root)
    checks: dict[frozenset[str], None] = {}
    for clause in required_clauses(q.root):
        if terms is not None and clause == terms.words and not terms.prefixes:
            continue  # the index already guarantees this one
        checks.setdefault(clause)
    # Rarest-looking first, so that a failing candidate is dropped after one lookup.
    ordered = sorted(checks, key=lambda c: Terms(c, frozenset()).cost())
    return CompiledTopic(topic, compile_node(q.root), terms,
                         tuple(next(iter(c)) if len(c) == 1 else c for c in ordered))


def _passes(checks: tuple[str | frozenset[str], ...], vocab: dict[str, list[int]]) -> bool:
    for c in checks:
        if type(c) is str:
            if c not in vocab:
                return False
        else:
            for w in c:
                if w in vocab:
                    break
            else:
                return False
    return True


def evaluate(ct: CompiledTopic, d: PreparedDoc) -> Match | None:
    """One topic against one prepared story (the reference path)."""
    if not ct.matcher.hit(d):
        return None
    return build_match(ct.topic.id, ct.topic.query, ct.matcher, d, float(ct.topic.min_score))


def match_topic(topic: Topic, doc: Document, lists: Mapping[str, Sequence[str]] | None = None
                ) -> Match | None:
    """Evaluate one topic on one story, without an index."""
    return evaluate(compile_topic(topic, lists), prepare(doc))


class TopicIndex:
    """Tens of thousands of topics, each story evaluated only against its candidates."""

    def __init__(self, lists: Mapping[str, Sequence[str]] | None = None) -> None:
        self._lists = lists
        self._list_cache: dict[str, Node] = {}
        self._topics: dict[str, CompiledTopic] = {}
        self._by_word: dict[str, set[str]] = {}
        self._by_prefix: dict[str, set[str]] = {}
        self._prefix_lens: Counter[int] = Counter()
        self._always: set[str] = set()

    # -- maintenance ------------------------------------------------------------
    def add(self, topic: Topic) -> None:
        """Add a topic, or replace the one with the same id. Raises QueryError."""
        ct = compile_topic(topic, self._lists, _list_cache=self._list_cache)
        if topic.id in self._topics:
            self.remove(topic.id)
        self._topics[topic.id] = ct
        tid = topic.id
        if ct.terms is None:
            self._always.add(tid)
            return
        for w in ct.terms.words:
            self._by_word.setdefault(w, set()).add(tid)
        for p in ct.terms.prefixes:
            bucket = self._by_prefix.get(p)
            if bucket is None:
                bucket = self._by_prefix[p] = set()
                self._prefix_lens[len(p)] += 1
            bucket.add(tid)

    def remove(self, topic_id: str) -> None:
        """Forget a topic; unknown ids are ignored."""
        ct = self._topics.pop(topic_id, None)
        if ct is None:
            return
        if ct.terms is None:
            self._always.discard(topic_id)
            return
        for w in ct.terms.words:
            bucket = self._by_word.get(w)
            if bucket is not None:
                bucket.discard(topic_id)
                if not bucket:
                    del self._by_word[w]
        for p in ct.terms.prefixes:
            bucket = self._by_prefix.get(p)
            if bucket is not None:
                bucket.discard(topic_id)
                if not bucket:
                    del self._by_prefix[p]
                    self._prefix_lens[len(p)] -= 1
                    if not self._prefix_lens[len(p)]:
                        del self._prefix_lens[len(p)]

    def __len__(self) -> int:
        return len(self._topics)

    def __contains__(self, topic_id: object) -> bool:
        return topic_id in self._topics

    def topics(self) -> list[Topic]:
        return [ct.topic for ct in self._topics.values()]

    # -- matching ---------------------------------------------------------------
    def candidates(self, d: PreparedDoc) -> set[str]:
        """Ids of the topics that may match the prepared story."""
        out = set(self._always)
        by_word = self._by_word
        vocab = d.postings
        if len(vocab) < len(by_word):
            for w in vocab:
                s = by_word.get(w)
                if s is not None:
                    out |= s
        else:
            for w, s in by_word.items():
                if w in vocab:
                    out |= s
        if self._by_prefix:
            by_prefix = self._by_prefix
            lens = [n for n in self._prefix_lens if n > 0]
            if len(vocab) * len(lens) <= 4 * len(by_prefix):
                for w in vocab:
                    for n in lens:
                        if len(w) >= n:
                            s = by_prefix.get(w[:n])
                            if s is not None:
                                out |= s
            else:
                for p, s in by_prefix.items():
                    if d.prefix_words(p):
                        out |= s
        return out

    def match_prepared(self, d: PreparedDoc) -> list[Match]:
        out = []
        topics = self._topics
        vocab = d.postings
        for tid in self.candidates(d):
            ct = topics[tid]
            if ct.checks and not _passes(ct.checks, vocab):
                continue
            m = evaluate(ct, d)
            if m is not None:
                out.append(m)
        out.sort(key=lambda m: (-m.score, m.topic_id))
        return out

    def match(self, doc: Document) -> list[Match]:
        """Topics whose query matches and whose score >= min_score, best first."""
        return self.match_prepared(prepare(doc))
