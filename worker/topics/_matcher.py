"""Compiled matchers: a query tree becomes a tree of small evaluators over a PreparedDoc.

Two paths: ``hit(doc)`` answers yes/no as cheaply as possible (early exits, no span
lists when not needed); ``explain(doc, out)`` runs only for matches and collects the
hits that make the match (for score, explanation and highlights).

A span is ``(start, end)``: inclusive word positions. NEAR/n holds when two disjoint
spans are at most n apart, measured from the end of the earlier to the start of the
later (adjacent words are 1 apart).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import deque
from dataclasses import dataclass, field
from itertools import pairwise

from ._ast import And, Field, Lang, Near, Node, Not, Or, Phrase, Site
from ._presearch import required_terms
from ._text import BODY_OFFSET, PreparedDoc

Span = tuple[int, int]


@dataclass
class Hit:
    clause: str
    marks: tuple[Span, ...]  # word spans to mark; empty for document-level clauses


@dataclass
class Explained:
    hits: list[Hit] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)


def _in_zone(pos: int, zone: str | None) -> bool:
    if zone is None:
        return True
    return (pos < BODY_OFFSET) == (zone == "title")


def _filter(positions: list[int], zone: str | None) -> list[int]:
    if zone is None or not positions:
        return positions
    if zone == "title":
        return positions[: bisect_left(positions, BODY_OFFSET)]
    return positions[bisect_left(positions, BODY_OFFSET):]


class Matcher:
    __slots__ = ("text",)
    positional = False

    def hit(self, d: PreparedDoc) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def spans(self, d: PreparedDoc) -> list[Span]:  # pragma: no cover - abstract
        raise NotImplementedError

    def explain(self, d: PreparedDoc, out: Explained, label: str = "") -> None:
        for s in self.spans(d):
            out.hits.append(Hit(label + self.text, (s,)))

    def collect(self, d: PreparedDoc, marks: set) -> None:
        """Add this clause's hits to ``marks`` (the scoring path: a span per word or
        phrase hit, a pair of spans per NEAR pair; the same as explain's marks)."""
        marks.update(self.spans(d))

    def zone_counts(self, d: PreparedDoc) -> tuple[int, int, int] | None:
        """(title, lead, body) hit counts straight from positions, for the simple
        clauses that cannot hit the same words twice; None: use collect()."""
        return None


def _counts(ps: list[int], lead_end: int) -> tuple[int, int, int]:
    t = bisect_left(ps, BODY_OFFSET)
    lead = bisect_left(ps, lead_end, t) - t
    return t, lead, len(ps) - t - lead


class _Term(Matcher):
    __slots__ = ("word",)
    positional = True

    def __init__(self, word: str, text: str) -> None:
        self.word, self.text = word, text

    def hit(self, d: PreparedDoc) -> bool:
        return self.word in d.postings

    def spans(self, d: PreparedDoc) -> list[Span]:
        return d.term_spans(self.word)

    def zone_counts(self, d: PreparedDoc) -> tuple[int, int, int] | None:
        return _counts(d.postings.get(self.word, []), d.lead_end)


class _ZonedTerm(_Term):
    __slots__ = ("zone",)

    def __init__(self, word: str, text: str, zone: str) -> None:
        super().__init__(word, text)
        self.zone = zone

    def hit(self, d: PreparedDoc) -> bool:
        ps = d.postings.get(self.word)
        if not ps:
            return False
        return ps[0] < BODY_OFFSET if self.zone == "title" else ps[-1] >= BODY_OFFSET

    def spans(self, d: PreparedDoc) -> list[Span]:
        return [(p, p) for p in _filter(d.postings.get(self.word, []), self.zone)]

    def zone_counts(self, d: PreparedDoc) -> tuple[int, int, int] | None:
        return _counts(_filter(d.postings.get(self.word, []), self.zone), d.lead_end)


class _Prefix(Matcher):
    __slots__ = ("prefix", "zone")
    positional = True

    def __init__(self, prefix: str, text: str, zone: str | None) -> None:
        self.prefix, self.text, self.zone = prefix, text, zone

    def hit(self, d: PreparedDoc) -> bool:
        return bool(_filter(d.prefix_positions(self.prefix), self.zone))

    def spans(self, d: PreparedDoc) -> list[Span]:
        return [(p, p) for p in _filter(d.prefix_positions(self.prefix), self.zone)]


class _Phrase(Matcher):
    __slots__ = ("n", "pairs", "words", "zone")
    positional = True

    def __init__(self, words: tuple[tuple[str, bool], ...], text: str, zone: str | None) -> None:
        self.words, self.text, self.zone, self.n = words, text, zone, len(words)
        # Adjacent pairs to test against the story's bigram set first (prefix words
        # excluded): for a two-word phrase that is the whole answer.
        self.pairs = tuple((a, b) for (a, pa), (b, pb) in pairwise(words)
                           if not pa and not pb)

    def _starts(self, d: PreparedDoc, first_only: bool) -> list[int]:
        postings = d.postings
        for w, is_prefix in self.words:
            if not is_prefix and w not in postings:
                return []
        w0, p0 = self.words[0]
        starts = _filter(d.prefix_positions(w0) if p0 else postings[w0], self.zone)
        if not starts:
            return []
        rest = [(i, d.prefix_set(w) if p else d.posset(w)) for i, (w, p) in enumerate(self.words)
                if i > 0]
        out = []
        for s in starts:
            for i, ps in rest:
                if s + i not in ps:
                    break
            else:
                out.append(s)
                if first_only:
                    break
        return out

    def hit(self, d: PreparedDoc) -> bool:
        pairs = self.pairs
        if pairs:
            bigrams = d.bigrams()
            for pair in pairs:
                if pair not in bigrams:
                    return False
            if self.n == 2 and self.zone is None:
                return True
        return bool(self._starts(d, True))

    def spans(self, d: PreparedDoc) -> list[Span]:
        k = self.n - 1
        return [(s, s + k) for s in self._starts(d, False)]


class _Or(Matcher):
    __slots__ = ("children", "label", "simple")

    def __init__(self, children: list[Matcher], text: str, label: str | None) -> None:
        self.children, self.text, self.label = children, text, label
        # Distinct plain words never hit the same position: counts simply add up.
        words = [c.word for c in children if type(c) is _Term]
        self.simple = len(words) == len(children) and len(set(words)) == len(words)

    def hit(self, d: PreparedDoc) -> bool:
        for c in self.children:
            if c.hit(d):
                return True
        return False

    def spans(self, d: PreparedDoc) -> list[Span]:
        if len(self.children) == 1:
            return self.children[0].spans(d)
        return sorted({s for c in self.children for s in c.spans(d)})

    def explain(self, d: PreparedDoc, out: Explained, label: str = "") -> None:
        inner = f"{label}{self.label}: " if self.label else label
        for c in self.children:
            if c.hit(d):
                c.explain(d, out, inner)

    def collect(self, d: PreparedDoc, marks: set) -> None:
        for c in self.children:
            if c.hit(d):
                c.collect(d, marks)

    def zone_counts(self, d: PreparedDoc) -> tuple[int, int, int] | None:
        if not self.simple:
            return None
        t = lead = body = 0
        postings, lead_end = d.postings, d.lead_end
        for c in self.children:
            ps = postings.get(c.word)  # type: ignore[attr-defined]
            if ps:
                a, b, e = _counts(ps, lead_end)
                t, lead, body = t + a, lead + b, body + e
        return t, lead, body


class _And(Matcher):
    __slots__ = ("children", "order")

    def __init__(self, children: list[Matcher], text: str, order: list[Matcher]) -> None:
        # ``order``: the children, likeliest to fail first (for hit); ``children`` keeps
        # the query's order for explanations.
        self.children, self.text, self.order = children, text, order

    def hit(self, d: PreparedDoc) -> bool:
        for c in self.order:
            if not c.hit(d):
                return False
        return True

    def explain(self, d: PreparedDoc, out: Explained, label: str = "") -> None:
        for c in self.children:
            c.explain(d, out, label)

    def collect(self, d: PreparedDoc, marks: set) -> None:
        for c in self.children:
            c.collect(d, marks)


class _Not(Matcher):
    __slots__ = ("child",)

    def __init__(self, child: Matcher, text: str) -> None:
        self.child, self.text = child, text

    def hit(self, d: PreparedDoc) -> bool:
        return not self.child.hit(d)

    def explain(self, d: PreparedDoc, out: Explained, label: str = "") -> None:
        out.absent.append(label + self.text)

    def collect(self, d: PreparedDoc, marks: set) -> None:
        pass


class _Near(Matcher):
    """``left NEAR/n right`` in time linear in the spans (n log n with the sorts).

    Every span of each side is paired only with its nearest disjoint partner on each
    side (the one right after it and the one right before it), so a NEAR yields at most
    two pairs per span instead of every pair inside the window: that keeps the spans a
    chain such as ``a NEAR/100 b NEAR/100 c`` hands upwards linear in the story, where
    all pairs grew as (window x occurrences) per level. ``hit`` is exact (if any partner
    is within n, the nearest is); the spans are a NEAR's tightest matches.
    """

    __slots__ = ("dist", "left", "ordered", "right")
    positional = True

    def __init__(self, left: Matcher, right: Matcher, dist: int, ordered: bool,
                 text: str) -> None:
        self.left, self.right, self.dist, self.ordered, self.text = left, right, dist, ordered, text

    def _sides(self, d: PreparedDoc) -> tuple[list[Span], list[Span]] | None:
        if not (self.left.hit(d) and self.right.hit(d)):
            return None
        a_spans = self.left.spans(d)
        b_spans = self.right.spans(d)
        if not a_spans or not b_spans:
            return None
        return a_spans, b_spans

    def _pairs(self, d: PreparedDoc, first_only: bool) -> list[tuple[Span, Span]]:
        sides = self._sides(d)
        if sides is None:
            return []
        a_spans, b_spans = sides
        n, ordered = self.dist, self.ordered
        out: list[tuple[Span, Span]] = []
        # a, then the nearest b after it (and, unordered, before it)
        for a, b in _nearest(a_spans, b_spans, n, after=True):
            out.append((a, b))
            if first_only:
                return out
        # b, then the nearest a before it (and, unordered, after it)
        for b, a in _nearest(b_spans, a_spans, n, after=False):
            out.append((a, b))
        if not ordered:
            for a, b in _nearest(a_spans, b_spans, n, after=False):
                out.append((a, b))
                if first_only:
                    return out
            for b, a in _nearest(b_spans, a_spans, n, after=True):
                out.append((a, b))
        return list(dict.fromkeys(out))

    def hit(self, d: PreparedDoc) -> bool:
        return bool(self._pairs(d, True))

    def spans(self, d: PreparedDoc) -> list[Span]:
        return sorted({(min(a[0], b[0]), max(a[1], b[1])) for a, b in self._pairs(d, False)})

    def explain(self, d: PreparedDoc, out: Explained, label: str = "") -> None:
        for marks in self._disjoint_pairs(d):
            out.hits.append(Hit(label + self.text, marks))

    def collect(self, d: PreparedDoc, marks: set) -> None:
        marks.update(self._disjoint_pairs(d))

    def _disjoint_pairs(self, d: PreparedDoc) -> list[tuple[Span, Span]]:
        # A NEAR counts its disjoint pairs (each occurrence used once), not every
        # combination. Sweeping by the later span and pairing it with the earliest free
        # partner still in reach finds the largest such set for window constraints like
        # this one; the free partners wait in a queue by start, so the sweep is linear.
        sides = self._sides(d)
        if sides is None:
            return []
        a_spans, b_spans = sides
        n, ordered = self.dist, self.ordered
        events = sorted([(s, 0) for s in a_spans] + [(s, 1) for s in b_spans])
        free: tuple[deque[Span], deque[Span]] = (deque(), deque())
        out: list[tuple[Span, Span]] = []
        for x, kind in events:
            xs = x[0]
            if not (ordered and kind == 0):
                q = free[1 - kind]
                while q and xs - q[0][1] > n:  # out of reach for x and every later span
                    q.popleft()
                for i in range(min(len(q), _SCAN)):
                    y = q[i]
                    if y[1] < xs and xs - y[1] <= n:
                        del q[i]
                        out.append((y, x))
                        break
                else:
                    free[kind].append(x)
                    continue
                continue
            free[kind].append(x)
        return out


_SCAN = 64  # free partners looked at per span (overlapping ones are skipped, not dropped)


def _nearest(xs: list[Span], ys: list[Span], n: int, *, after: bool):
    """(x, y) for each x and its nearest disjoint y after it (``after``) or before it,
    when within ``n`` words. ``xs`` and ``ys`` are sorted by start."""
    if after:
        y_starts = [s for s, _ in ys]
        for x in xs:
            i = bisect_right(y_starts, x[1])
            if i < len(ys) and ys[i][0] - x[1] <= n:
                yield x, ys[i]
    else:
        by_end = sorted(ys, key=lambda y: (y[1], y[0]))
        y_ends = [e for _, e in by_end]
        for x in xs:
            i = bisect_left(y_ends, x[0]) - 1
            if i >= 0 and x[0] - by_end[i][1] <= n:
                yield x, by_end[i]


class _Site(Matcher):
    __slots__ = ("domain",)

    def __init__(self, domain: str, text: str) -> None:
        self.domain, self.text = domain, text

    def hit(self, d: PreparedDoc) -> bool:
        s = d.site
        return s is not None and (s == self.domain or s.endswith("." + self.domain))

    def explain(self, d: PreparedDoc, out: Explained, label: str = "") -> None:
        out.hits.append(Hit(label + self.text, ()))

    def collect(self, d: PreparedDoc, marks: set) -> None:
        pass  # document-level: weight 0


class _Lang(Matcher):
    __slots__ = ("code",)

    def __init__(self, code: str, text: str) -> None:
        self.code, self.text = code, text

    def hit(self, d: PreparedDoc) -> bool:
        return d.lang == self.code

    def explain(self, d: PreparedDoc, out: Explained, label: str = "") -> None:
        out.hits.append(Hit(label + self.text, ()))

    def collect(self, d: PreparedDoc, marks: set) -> None:
        pass  # document-level: weight 0


def compile_node(node: Node, zone: str | None = None) -> Matcher:
    """Build the evaluator for ``node``; ``zone`` is the enclosing title:/body: field."""
    if isinstance(node, Phrase):
        if len(node.words) == 1:
            w = node.words[0]
            if w.prefix:
                return _Prefix(w.text, node.text, zone)
            return _Term(w.text, node.text) if zone is None else _ZonedTerm(w.text, node.text, zone)
        return _Phrase(tuple((w.text, w.prefix) for w in node.words), node.text, zone)
    if isinstance(node, Or):
        return _Or([compile_node(c, zone) for c in node.children], node.text, node.label)
    if isinstance(node, And):
        kids = [compile_node(c, zone) for c in node.children]
        ranks = [_rarity(c) for c in node.children]
        order = [k for _, _, k in sorted(zip(ranks, range(len(kids)), kids))]
        return _And(kids, node.text, order)
    if isinstance(node, Not):
        return _Not(compile_node(node.child, zone), node.text)
    if isinstance(node, Near):
        return _Near(compile_node(node.left, zone), compile_node(node.right, zone),
                     node.distance, node.ordered, node.text)
    if isinstance(node, Field):
        return compile_node(node.child, node.name)
    if isinstance(node, Site):
        return _Site(node.domain, node.text)
    if isinstance(node, Lang):
        return _Lang(node.code, node.text)
    raise TypeError(f"unknown node {node!r}")  # pragma: no cover


def _rarity(node: Node) -> float:
    """How likely a clause is to hold, roughly: cheap, selective clauses go first."""
    if isinstance(node, (Site, Lang)):
        return -1.0
    if isinstance(node, Not):
        return 1e6
    terms = required_terms(node)
    return 1e5 if terms is None else terms.cost()


def explain(m: Matcher, d: PreparedDoc) -> Explained:
    out = Explained()
    m.explain(d, out)
    return out
