"""Presearch terms, in the spirit of Lucene Monitor's term-filtered presearcher.

From a query tree derive a set of words and prefixes of which at least one must occur
in any story the query matches. ``None`` means no such set exists (``NOT x``,
``site:…`` alone): the topic must be evaluated for every story.

For AND and NEAR one child is enough (every child must match), so we keep the child
whose set looks rarest: short words and stopwords are assumed frequent.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._ast import And, Field, Lang, Near, Node, Not, Or, Phrase, Site

# Words common enough in news text that indexing a topic by them is a poor choice.
_STOPWORDS = frozenset(
    """a about after all also an and are as at be been but by can could did do for from
    had has have he her his i if in into is it its last more most new no not of on one
    or our out over said say says she so than that the their them there they this to two
    up was we were what when which who will with would year years you""".split()
)


@dataclass(frozen=True)
class Terms:
    words: frozenset[str]
    prefixes: frozenset[str]

    def cost(self) -> float:
        c = 0.0
        for w in self.words:
            c += 50.0 if w in _STOPWORDS else 1.0 + 8.0 / len(w)
        for p in self.prefixes:
            c += 2.0 + 16.0 / len(p)
        return c


def _word_cost(word: str, prefix: bool) -> float:
    return Terms(frozenset() if prefix else frozenset([word]),
                 frozenset([word]) if prefix else frozenset()).cost()


def required_terms(node: Node) -> Terms | None:
    """Words/prefixes of which one must occur for ``node`` to match, or None."""
    if isinstance(node, Phrase):
        best = min(node.words, key=lambda w: _word_cost(w.text, w.prefix))
        if best.prefix:
            return Terms(frozenset(), frozenset([best.text]))
        return Terms(frozenset([best.text]), frozenset())
    if isinstance(node, Or):
        words: set[str] = set()
        prefixes: set[str] = set()
        for c in node.children:
            t = required_terms(c)
            if t is None:
                return None
            words |= t.words
            prefixes |= t.prefixes
        return Terms(frozenset(words), frozenset(prefixes))
    if isinstance(node, (And, Near)):
        kids = node.children if isinstance(node, And) else (node.left, node.right)
        options = [t for t in (required_terms(c) for c in kids) if t is not None]
        if not options:
            return None
        return min(options, key=Terms.cost)
    if isinstance(node, Field):
        return required_terms(node.child)
    if isinstance(node, (Not, Site, Lang)):
        return None
    raise TypeError(f"unknown node {node!r}")  # pragma: no cover


def required_clauses(node: Node) -> list[frozenset[str]]:
    """Word sets that must ALL be hit (each by one of its words) for ``node`` to match:
    a cheap check of a candidate before it is evaluated. Prefixes are left out."""
    if isinstance(node, Phrase):
        return [frozenset([w.text]) for w in node.words if not w.prefix]
    if isinstance(node, Or):
        words: set[str] = set()
        for c in node.children:
            t = required_terms(c)
            if t is None or t.prefixes:
                return []
            words |= t.words
        return [frozenset(words)]
    if isinstance(node, (And, Near)):
        kids = node.children if isinstance(node, And) else (node.left, node.right)
        out: list[frozenset[str]] = []
        for c in kids:
            out.extend(required_clauses(c))
        return out
    if isinstance(node, Field):
        return required_clauses(node.child)
    return []
