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
from dataclasses import dataclass, replace
from operator import attrgetter

from worker.budget import checkpoint
from worker.errors import QueryError

from ._ast import Node
from ._explain import build_match
from ._matcher import Matcher, compile_node
from ._model import Document, Topic, TopicMatch
from ._parser import parse_query
from ._presearch import (
    Terms,
    WordProb,
    length_prob,
    query_words,
    required_clauses,
    required_terms,
)
from ._text import PreparedDoc


def prepare(doc: Document) -> PreparedDoc:
    """Tokenize a story once for any number of topics."""
    return PreparedDoc(doc.title, doc.body, doc.site, doc.lang)


@dataclass(frozen=True, slots=True)
class CompiledTopic:
    topic: Topic
    matcher: Matcher
    terms: Terms | None  # None: a candidate for every story
    # Words that must all occur (a str) or sets of which one must occur (a frozenset):
    # checked against the story's words before the full evaluation.
    checks: tuple[str | frozenset[str], ...] = ()
    root: Node | None = None  # the query tree, to choose presearch terms again


def compile_topic(
    topic: Topic,
    lists: Mapping[str, Sequence[str]] | None = None,
    *,
    _list_cache: dict[str, Node] | None = None,
    prob: WordProb = length_prob,
) -> CompiledTopic:
    """Parse and compile one topic; QueryError names the topic."""
    try:
        if not isinstance(topic.min_score, (int, float)) or topic.min_score != topic.min_score:
            raise QueryError(f"min_score must be a number, not {topic.min_score!r}")
        q = parse_query(topic.query, lists, _list_cache=_list_cache)
    except QueryError as exc:
        raise exc.with_topic(topic.id) from None
    terms = required_terms(q.root, prob)
    # Rarest-looking first, so that a failing candidate is dropped after one lookup.
    clauses = sorted(dict.fromkeys(required_clauses(q.root)),
                     key=lambda c: Terms(tuple(c)).cost(prob))
    checks = tuple(next(iter(c)) if len(c) == 1 else c for c in clauses)
    return CompiledTopic(topic, compile_node(q.root), terms, checks, q.root)


_by_id = attrgetter("topic_id")
_by_score = attrgetter("score")


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


def evaluate(ct: CompiledTopic, d: PreparedDoc) -> TopicMatch | None:
    """One topic against one prepared story (the reference path)."""
    if not ct.matcher.hit(d):
        return None
    return build_match(ct.topic.id, ct.topic.query, ct.matcher, d, float(ct.topic.min_score))


def match_topic(topic: Topic, doc: Document, lists: Mapping[str, Sequence[str]] | None = None
                ) -> TopicMatch | None:
    """Evaluate one topic on one story, without an index."""
    return evaluate(compile_topic(topic, lists), prepare(doc))


class TopicIndex:
    """Tens of thousands of topics, each story evaluated only against its candidates.

    The index learns which words are frequent: for every word its topics use, it counts
    the stories that contained it, and after ``learn_after`` stories (then 4x, 16x, …
    as many) it re-chooses each topic's presearch words by measured frequency instead
    of word length. Not thread-safe: one index per worker process."""

    def __init__(self, lists: Mapping[str, Sequence[str]] | None = None, *,
                 learn_after: int | None = 64) -> None:
        self._lists = lists
        self._list_cache: dict[str, Node] = {}
        self._topics: dict[str, CompiledTopic] = {}
        self._by_word: dict[str, set[str]] = {}
        self._by_prefix: dict[str, set[str]] = {}
        self._prefix_lens: Counter[int] = Counter()
        self._always: set[str] = set()
        # word statistics (only for the words the topics use)
        self._word_refs: Counter[str] = Counter()
        self._df: dict[str, int] = {}
        self._seen = 0
        self._learned = False
        self._next_learn = learn_after

    # -- maintenance ------------------------------------------------------------
    def add(self, topic: Topic) -> None:
        """Add a topic, or replace the one with the same id. Raises QueryError."""
        ct = compile_topic(topic, self._lists, _list_cache=self._list_cache,
                           prob=self._prob if self._learned else length_prob)
        if topic.id in self._topics:
            self.remove(topic.id)
        self._topics[topic.id] = ct
        assert ct.root is not None
        self._word_refs.update(query_words(ct.root, set()))
        self._index(topic.id, ct.terms)

    def remove(self, topic_id: str) -> None:
        """Forget a topic; unknown ids are ignored."""
        ct = self._topics.pop(topic_id, None)
        if ct is None:
            return
        self._unindex(topic_id, ct.terms)
        assert ct.root is not None
        refs = self._word_refs
        for w in query_words(ct.root, set()):
            refs[w] -= 1
            if refs[w] <= 0:
                del refs[w]
                self._df.pop(w, None)

    def _index(self, tid: str, terms: Terms | None) -> None:
        if terms is None:
            self._always.add(tid)
            return
        for w in terms.words:
            self._by_word.setdefault(w, set()).add(tid)
        for p in terms.prefixes:
            bucket = self._by_prefix.get(p)
            if bucket is None:
                bucket = self._by_prefix[p] = set()
                self._prefix_lens[len(p)] += 1
            bucket.add(tid)

    def _unindex(self, tid: str, terms: Terms | None) -> None:
        if terms is None:
            self._always.discard(tid)
            return
        for w in terms.words:
            bucket = self._by_word.get(w)
            if bucket is not None:
                bucket.discard(tid)
                if not bucket:
                    del self._by_word[w]
        for p in terms.prefixes:
            bucket = self._by_prefix.get(p)
            if bucket is not None:
                bucket.discard(tid)
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

    # -- learning word frequencies ---------------------------------------------------
    def _prob(self, word: str) -> float:
        return (self._df.get(word, 0) + 0.5) / (self._seen + 1)

    def _learn(self, d: PreparedDoc) -> None:
        refs, df, vocab = self._word_refs, self._df, d.postings
        if len(vocab) <= len(refs):
            for w in vocab:
                if w in refs:
                    df[w] = df.get(w, 0) + 1
        else:
            for w in refs:
                if w in vocab:
                    df[w] = df.get(w, 0) + 1
        self._seen += 1
        if self._next_learn is not None and self._seen >= self._next_learn:
            self._next_learn *= 4
            self.rechoose_terms()

    def rechoose_terms(self) -> int:
        """Choose every topic's presearch words again with the measured frequencies;
        returns how many topics moved. Runs by itself as stories are matched."""
        self._learned = True
        moved = 0
        for tid, ct in self._topics.items():
            assert ct.root is not None
            terms = required_terms(ct.root, self._prob)
            if terms != ct.terms:
                self._unindex(tid, ct.terms)
                self._index(tid, terms)
                self._topics[tid] = replace(ct, terms=terms)
                moved += 1
        return moved

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

    def match_prepared(self, d: PreparedDoc, *, learn: bool = True) -> list[TopicMatch]:
        out = []
        topics = self._topics
        vocab = d.postings
        for tid in self.candidates(d):
            checkpoint()  # between topics: where a budget off the main thread stops
            ct = topics[tid]
            if ct.checks and not _passes(ct.checks, vocab):
                continue
            if not ct.matcher.hit(d):
                continue
            t = ct.topic
            m = build_match(tid, t.query, ct.matcher, d, float(t.min_score))
            if m is not None:
                out.append(m)
        # best first, ties by id (two stable C-level sorts instead of a key lambda)
        out.sort(key=_by_id)
        out.sort(key=_by_score, reverse=True)
        if learn:
            self._learn(d)
        return out

    def match(self, doc: Document) -> list[TopicMatch]:
        """Topics whose query matches and whose score >= min_score, best first."""
        return self.match_prepared(prepare(doc))
