"""Score, explanation and highlight snippets for a story that matched a query.

Score (documented in docs/topics.md): every hit of a positive clause counts by where
it starts — 3 in the title, 2 in the lead (the body's first paragraph, at most 60
words), 1 later in the body. A hit is one occurrence of a term, phrase or wildcard, or
one disjoint pair found by NEAR/ONEAR; the same words found by two clauses count once.
``site:`` and ``lang:`` and satisfied ``NOT`` clauses count 0.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import Any

from ._matcher import Hit, Matcher, explain
from ._model import TopicMatch
from ._text import BODY_OFFSET, PreparedDoc

WEIGHTS = {"title": 3.0, "lead": 2.0, "body": 1.0}
FORMULA = "score = 3 x title hits + 2 x lead hits + 1 x later body hits"
MAX_HIGHLIGHTS = 3
MAX_LISTED_HITS = 20
_SNIPPET_MAX = 320
_WS_RE = re.compile(r"\s+")


def _dedupe(hits: list[Hit]) -> list[Hit]:
    seen: set[tuple] = set()
    out = []
    for h in hits:
        key = h.marks or ("doc", h.clause)
        if key in seen:
            continue
        seen.add(key)
        out.append(h)
    return out


def _mark(text: str, start: int, end: int, ranges: list[tuple[int, int]]) -> str:
    """text[start:end] with each char range wrapped in «…», whitespace collapsed."""
    ranges = sorted((max(s, start), min(e, end)) for s, e in ranges if s < end and e > start)
    merged: list[list[int]] = []
    for s, e in ranges:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    if merged and (merged[0][0] - start > _SNIPPET_MAX // 2 or end - start > _SNIPPET_MAX):
        # Long sentence: keep a window around the marks.
        lo = max(start, merged[0][0] - _SNIPPET_MAX // 3)
        hi = min(end, max(merged[-1][1] + _SNIPPET_MAX // 3, lo + _SNIPPET_MAX))
        if lo > start:
            sp = text.find(" ", lo, merged[0][0])
            lo = sp + 1 if sp != -1 else lo
        if hi < end:
            sp = text.rfind(" ", merged[-1][1], hi)
            hi = sp if sp != -1 else hi
        head, tail = ("… " if lo > start else ""), (" …" if hi < end else "")
        start, end = lo, hi
    else:
        head = tail = ""
    parts, cur = [], start
    for s, e in merged:
        if s < cur or e > end:
            continue
        parts.append(text[cur:s])
        parts.append("«" + text[s:e] + "»")
        cur = e
    parts.append(text[cur:end])
    return head + _WS_RE.sub(" ", "".join(parts)).strip() + tail


def highlights(d: PreparedDoc, hits: list[Hit], limit: int = MAX_HIGHLIGHTS) -> list[str]:
    """Up to ``limit`` snippets: the sentence(s) around the best hits, hit words marked."""
    texts = {"title": d.title, "body": d.body}
    starts = {"title": d.sentence_starts("title"), "body": d.sentence_starts("body")}
    # Character ranges of every mark, per field, to mark all hits inside a snippet.
    ranges: dict[str, list[tuple[int, int]]] = {"title": [], "body": []}
    located = []
    for h in hits:
        if not h.marks:
            continue
        spans = [d.char_span(s, e) for s, e in h.marks]
        for f, cs, ce in spans:
            ranges[f].append((cs, ce))
        f0, c0, _ = spans[0]
        f1, _, c1 = spans[-1]
        if f0 != f1:  # pragma: no cover - spans never straddle title and body
            continue
        located.append((-WEIGHTS[d.zone(h.marks[0][0])], h.marks[0][0], f0, c0, c1))
    located.sort()
    chosen: list[tuple[str, int, int]] = []
    for _, _, f, c0, c1 in located:
        st = starts[f]
        i0 = bisect_right(st, c0) - 1
        i1 = bisect_right(st, max(c1 - 1, c0)) - 1
        s_start = st[i0]
        s_end = st[i1 + 1] if i1 + 1 < len(st) else len(texts[f])
        if any(cf == f and s_start < ce and cs < s_end for cf, cs, ce in chosen):
            continue
        chosen.append((f, s_start, s_end))
        if len(chosen) >= limit:
            break
    return [_mark(texts[f], s, e, ranges[f]) for f, s, e in chosen]


def _explanation(query_text: str, d: PreparedDoc, hits: list[Hit], absent: list[str],
                 counts: dict[str, int], score: float, min_score: float) -> dict:
    by_clause: dict[str, dict] = {}
    for h in hits:
        entry = by_clause.setdefault(h.clause, {"clause": h.clause, "hits": 0, "where": []})
        entry["hits"] += 1
        if h.marks and len(entry["where"]) < MAX_LISTED_HITS:
            words = []
            for s, e in h.marks:
                f, cs, ce = d.char_span(s, e)
                words.append({"text": (d.title if f == "title" else d.body)[cs:ce],
                              "start": cs, "end": ce})
            zone = d.zone(h.marks[0][0])
            entry["where"].append({
                "field": "title" if h.marks[0][0] < BODY_OFFSET else "body",
                "zone": zone,
                "weight": WEIGHTS[zone],
                "words": words,
            })
    return {
        "query": query_text,
        "matched": list(by_clause.values()),
        "absent": absent,
        "score": {"formula": FORMULA, "title_hits": counts["title"],
                  "lead_hits": counts["lead"], "body_hits": counts["body"],
                  "total": score, "min_score": min_score},
    }


class _LazyMatch(TopicMatch):
    """A TopicMatch whose explanation and highlights are built on first read.

    Scoring needs only the hit positions; the explanation dict and the snippets cost more
    than the whole match when many topics fire, and a caller may drop a match (dedup, rate
    limits) without ever reading them. Reading, comparing, copying or pickling the
    match builds them, so it behaves as a plain TopicMatch."""

    def __init__(self, topic_id: str, score: float, pending: tuple) -> None:
        # Deliberately not calling the dataclass __init__: the two lazy fields stay unset;
        # ``pending`` holds what building them needs (query, matcher, story, counts, …).
        self.topic_id = topic_id
        self.score = score
        self._pending: tuple | None = pending

    def __getattr__(self, name: str) -> Any:
        pending = self.__dict__.get("_pending")
        if name in ("explanation", "highlights") and pending is not None:
            query_text, matcher, d, counts, min_score = pending
            ex = explain(matcher, d)
            hits = _dedupe(ex.hits)
            self.explanation = _explanation(query_text, d, hits, ex.absent, counts,
                                            self.score, min_score)
            self.highlights = highlights(d, hits)
            self._pending = None
            return self.__dict__[name]
        raise AttributeError(name)

    def _astuple(self) -> tuple:
        return (self.topic_id, self.score, self.explanation, self.highlights)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TopicMatch):
            return NotImplemented
        return self._astuple() == (other.topic_id, other.score, other.explanation,
                                   other.highlights)

    __hash__ = None  # type: ignore[assignment]  # mutable, like TopicMatch

    def __repr__(self) -> str:
        return "TopicMatch(topic_id={!r}, score={!r}, explanation={!r}, highlights={!r})".format(
            *self._astuple())

    def __reduce__(self) -> tuple:
        return (TopicMatch, (self.topic_id, self.score, self.explanation, self.highlights))


def score_counts(matcher: Matcher, d: PreparedDoc) -> dict[str, int]:
    """Hits per zone for a story the matcher accepted (the fast scoring path)."""
    t, lead, body = _zone_counts(matcher, d)
    return {"title": t, "lead": lead, "body": body}


def _zone_counts(matcher: Matcher, d: PreparedDoc) -> tuple[int, int, int]:
    quick = matcher.zone_counts(d)
    if quick is not None:
        return quick
    marks: set = set()
    matcher.collect(d, marks)
    title = lead = body = 0
    lead_end = d.lead_end
    for m in marks:
        p = m[0]
        if type(p) is tuple:  # a NEAR pair: the earlier span starts it
            p = p[0]
        if p < BODY_OFFSET:
            title += 1
        elif p < lead_end:
            lead += 1
        else:
            body += 1
    return title, lead, body


def build_match(topic_id: str, query_text: str, matcher: Matcher, d: PreparedDoc,
                min_score: float) -> TopicMatch | None:
    """The TopicMatch for a story the matcher accepted, or None when below ``min_score``."""
    t, lead, body = _zone_counts(matcher, d)
    score = round(3.0 * t + 2.0 * lead + 1.0 * body, 4)
    if score < min_score:
        return None
    counts = {"title": t, "lead": lead, "body": body}
    return _LazyMatch(topic_id, score, (query_text, matcher, d, counts, min_score))
