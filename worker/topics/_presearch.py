"""Presearch terms, in the spirit of Lucene Monitor's term-filtered presearcher.

From a query tree derive a set of words and prefixes of which at least one must occur
in any story the query matches. ``None`` means no such set exists (``NOT x``,
``site:…`` alone): the topic must be evaluated for every story.

For AND and NEAR one child is enough (every child must match), so we keep the child
whose set looks rarest. Rarity is a probability per word: guessed from its length at
first (short words and stopwords are frequent), then measured — TopicIndex counts, for
the words its topics use, how many stories contained them, and re-chooses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ._ast import And, Field, Lang, Near, Node, Not, Or, Phrase, Site

# Words common enough in news text that indexing a topic by them is a poor choice.
_STOPWORDS = frozenset(
    """a about after all also an and are as at be been but by can could did do for from
    had has have he her his i if in into is it its last more most new no not of on one
    or our out over said say says she so than that the their them there they this to two
    up was we were what when which who will with would year years you""".split()  # noqa: SIM905
)


WordProb = Callable[[str], float]


def length_prob(word: str) -> float:
    """Probability that a story contains ``word``, guessed from the word alone: stopwords
    are everywhere, short words common, long words rare."""
    if word in _STOPWORDS:
        return 0.9
    return min(0.5, 2.0 / (len(word) * len(word)))


def _prefix_prob(prefix: str) -> float:
    # A prefix stands for several words; no statistics are kept for prefixes.
    return min(0.95, 3.0 * length_prob(prefix))


@dataclass(frozen=True, slots=True)
class Terms:
    """Sorted tuples (small: a topic usually has one or a few)."""

    words: tuple[str, ...]
    prefixes: tuple[str, ...] = ()

    def cost(self, prob: WordProb = length_prob) -> float:
        """Expected share of stories that would make the topic a candidate (summed)."""
        return sum(prob(w) for w in self.words) + sum(_prefix_prob(p) for p in self.prefixes)


def required_terms(node: Node, prob: WordProb = length_prob) -> Terms | None:
    """Words/prefixes of which one must occur for ``node`` to match, or None. Where there
    is a choice (a phrase's words, AND/NEAR children) the set with the lowest ``prob``
    cost is kept."""
    if isinstance(node, Phrase):
        best = min(node.words, key=lambda w: _prefix_prob(w.text) if w.prefix else prob(w.text))
        if best.prefix:
            return Terms((), (best.text,))
        return Terms((best.text,))
    if isinstance(node, Or):
        words: set[str] = set()
        prefixes: set[str] = set()
        for c in node.children:
            t = required_terms(c, prob)
            if t is None:
                return None
            words.update(t.words)
            prefixes.update(t.prefixes)
        return Terms(tuple(sorted(words)), tuple(sorted(prefixes)))
    if isinstance(node, (And, Near)):
        kids = node.children if isinstance(node, And) else (node.left, node.right)
        options = [t for t in (required_terms(c, prob) for c in kids) if t is not None]
        if not options:
            return None
        return min(options, key=lambda t: t.cost(prob))
    if isinstance(node, Field):
        return required_terms(node.child, prob)
    if isinstance(node, (Not, Site, Lang)):
        return None
    raise TypeError(f"unknown node {node!r}")  # pragma: no cover


def query_words(node: Node, out: set[str]) -> set[str]:
    """Every (non-prefix) word of the query: the words worth counting in stories."""
    if isinstance(node, Phrase):
        out.update(w.text for w in node.words if not w.prefix)
    elif isinstance(node, (And, Or)):
        for c in node.children:
            query_words(c, out)
    elif isinstance(node, Near):
        query_words(node.left, out)
        query_words(node.right, out)
    elif isinstance(node, (Not, Field)):
        query_words(node.child, out)
    return out


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
            words.update(t.words)
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
