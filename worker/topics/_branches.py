"""The required AND-branches of a query, and where each one is hit in a story.

A query matches only when every required branch holds: for ``A AND (B OR C)`` the
branches are ``A`` and ``B OR C``; an expanded list (``@dprk``) is one branch, an OR of
its entries. NOT clauses and ``site:``/``lang:`` restrictions are not branches (they
find no words to weigh). A query that is not an AND at its top is a single branch.

The relevance stage judges each branch by where its hits fall (title, lead, body;
which paragraphs and sentences), so that a match is only as strong as its weakest
required part. Positions come from the same compiled matchers that decide the match,
so they agree with the highlights.

Paragraphs: the body's non-blank lines, numbered from 0 (paragraph 0 is the lead);
blank lines between paragraphs do not count. Title hits have ``paragraph = -1``.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from ._ast import And, Field, Lang, Node, Not, Or, Phrase, Site
from ._matcher import Matcher, compile_node
from ._model import Document
from ._parser import Query, parse_query
from ._text import BODY_OFFSET, PreparedDoc

_PARA_START_RE = re.compile(r"\n\s*(?=\S)")


@dataclass(frozen=True, slots=True)
class BranchHit:
    """One hit of a branch: a word, phrase or NEAR pair, located in the story."""

    text: str        # the words as written in the story
    zone: str        # "title", "lead" or "body"
    start: int       # character offsets into the title (zone "title") or the body
    end: int
    paragraph: int   # body paragraph index (0 = lead); -1 in the title
    sentence: int    # sentence index within the title or the body
    context: str = ""  # the sentence holding the hit (the title for a title hit)
    partial: bool = False  # a short mention of a name the branch gives in full


@dataclass(frozen=True, slots=True)
class BranchHits:
    """A required branch (its query text) and every place the story hits it."""

    clause: str
    hits: tuple[BranchHit, ...]


def required_branches(query: Query | Node) -> list[Node]:
    """The sub-queries that must all hold for ``query`` to match (see module doc)."""
    root = query.root if isinstance(query, Query) else query
    out: list[Node] = []
    _collect(root, None, out)
    return out


def _collect(node: Node, zone: str | None, out: list[Node]) -> None:
    if isinstance(node, And):
        for child in node.children:
            _collect(child, zone, out)
    elif isinstance(node, Field) and isinstance(node.child, And):
        # title:(A AND B) requires both, each in the title.
        for child in node.child.children:
            _collect(child, node.name, out)
    elif isinstance(node, (Not, Site, Lang)):
        return
    elif zone is not None:
        out.append(Field(zone, node, f"{zone}:{node.text}"))
    else:
        out.append(node)


@lru_cache(maxsize=4096)
def _compiled(node: Node) -> Matcher:
    # Nodes are frozen and hashable: a topic's branches compile once per process.
    return compile_node(node)


def paragraph_starts(body: str) -> list[int]:
    """Character offsets where the body's paragraphs (non-blank lines) start."""
    first = len(body) - len(body.lstrip())
    return [first] + [m.end() for m in _PARA_START_RE.finditer(body)]


def branch_hits(branches: Sequence[Node], doc: Document | PreparedDoc, *,
                short_names: bool = True) -> list[BranchHits]:
    """For each branch, its hits in ``doc`` in story order (empty when it is not hit).

    With ``short_names``, a branch that names someone or something in full
    ("Kim Jong Un", "Red Sea") also counts the capitalised mentions of a word of that
    name elsewhere ("Kim"), marked ``partial``: stories give a name in full once."""
    d = doc if isinstance(doc, PreparedDoc) else PreparedDoc(doc.title, doc.body, doc.site,
                                                             doc.lang)
    paras = paragraph_starts(d.body)
    sents = {"title": d.sentence_starts("title"), "body": d.sentence_starts("body")}
    contexts: dict[tuple[str, int], str] = {}  # one string per sentence, shared by its hits
    out = []
    for node in branches:
        m = _compiled(node)
        hits: list[BranchHit] = []
        if m.hit(d):
            marks: set = set()
            m.collect(d, marks)
            for mark in sorted(marks):
                first, last = (mark[0], mark[1]) if type(mark[0]) is tuple else (mark, mark)
                start_pos, end_pos = first[0], max(first[1], last[1])
                field, cs, ce = d.char_span(start_pos, end_pos)
                text = d.title if field == "title" else d.body
                para = -1 if start_pos < BODY_OFFSET else bisect_right(paras, cs) - 1
                si = bisect_right(sents[field], cs) - 1
                hits.append(BranchHit(
                    text=" ".join(text[cs:ce].split()),
                    zone=d.zone(start_pos),
                    start=cs,
                    end=ce,
                    paragraph=max(para, -1 if field == "title" else 0),
                    sentence=si,
                    context=_context(contexts, sents, field, text, si),
                ))
        if hits and short_names:
            hits.extend(_short_name_hits(node, d, hits, paras, sents, contexts))
            hits.sort(key=lambda h: (h.zone != "title", h.start))
        out.append(BranchHits(node.text, tuple(hits)))
    return out


def _context(cache: dict[tuple[str, int], str], sents: dict[str, list[int]], field: str,
             text: str, si: int) -> str:
    """Sentence ``si`` of ``field``, whitespace collapsed: built once per sentence (a
    30,000-character sentence with 6,000 hits was 1.5 s and 180 MB built per hit)."""
    key = (field, si)
    found = cache.get(key)
    if found is None:
        st = sents[field]
        s_end = st[si + 1] if si + 1 < len(st) else len(text)
        found = cache[key] = " ".join(text[st[si]:s_end].split())
    return found


def _name_words(node: Node) -> set[str]:
    """Words of the capitalised multi-word names in ``node`` ("Kim Jong Un" → kim,
    jong, un): a story names someone in full once, then by part of the name."""
    out: set[str] = set()
    if isinstance(node, Phrase):
        raw = node.text.strip('"“”')
        parts = raw.split()
        if len(node.words) > 1 and len(parts) == len(node.words) and all(
                p[:1].isupper() for p in parts):
            out.update(w.text for w in node.words if len(w.text) >= 3 and not w.prefix)
    elif isinstance(node, (Or, And)):
        for c in node.children:
            out |= _name_words(c)
    elif isinstance(node, Field):
        out |= _name_words(node.child)
    return out


def _short_name_hits(node: Node, d: PreparedDoc, hits: list[BranchHit], paras: list[int],
                     sents: dict[str, list[int]], contexts: dict[tuple[str, int], str]
                     ) -> list[BranchHit]:
    """Capitalised mentions of a word of a full name the branch already hit."""
    words = _name_words(node)
    taken = {(h.zone == "title", h.start) for h in hits}
    covered = [(h.zone == "title", h.start, h.end) for h in hits]
    out = []
    for w in words:
        for pos in d.postings.get(w, ()):
            field, cs, ce = d.char_span(pos, pos)
            in_title = field == "title"
            text = d.title if in_title else d.body
            if not text[cs:cs + 1].isupper() or (in_title, cs) in taken:
                continue
            if any(t == in_title and s <= cs < e for t, s, e in covered):
                continue
            taken.add((in_title, cs))
            si = bisect_right(sents[field], cs) - 1
            out.append(BranchHit(
                text=text[cs:ce], zone=d.zone(pos), start=cs, end=ce,
                paragraph=-1 if in_title else max(bisect_right(paras, cs) - 1, 0),
                sentence=si, context=_context(contexts, sents, field, text, si), partial=True))
    return out


def query_branch_hits(query: str | Query, doc: Document,
                      lists: Mapping[str, Sequence[str]] | None = None) -> list[BranchHits]:
    """Parse (when given text), take the required branches and locate their hits."""
    q = parse_query(query, lists) if isinstance(query, str) else query
    return branch_hits(required_branches(q), doc)
