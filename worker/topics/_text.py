"""A story tokenized once for matching: folded word positions, zones and offsets.

Title words get positions 0, 1, …; body words start at ``BODY_OFFSET`` so that no phrase
or NEAR can straddle the title and the body. The lead is the body's first paragraph
(text up to the first line break), at most ``LEAD_MAX_WORDS`` words.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from heapq import merge
from itertools import pairwise

from ._fold import fold_words, iter_tokens

BODY_OFFSET = 1 << 20
LEAD_MAX_WORDS = 60
_PARA_BREAK_RE = re.compile(r"\S[^\n]*\n")
_SENT_END_RE = re.compile(r"[.!?\u2026]+[\"'\u201d\u2019)\]]*\s+|\n\s*")


def norm_host(site: str | None) -> str | None:
    if not site:
        return None
    host = site.strip().lower()
    host = re.sub(r"^[a-z][a-z0-9+.\-]*://", "", host).split("/", 1)[0]
    host = host.rsplit("@", 1)[-1].split(":", 1)[0].strip(".")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        pass
    return host or None


def norm_lang(lang: str | None) -> str | None:
    if not lang:
        return None
    return lang.strip().lower().replace("_", "-").split("-")[0] or None


class PreparedDoc:
    """Everything the matchers read; built once per story."""

    __slots__ = (
        "_bigrams",
        "_offsets",
        "_prefix",
        "_sentences",
        "_sets",
        "_spans",
        "_vocab",
        "_words",
        "body",
        "lang",
        "lead_end",
        "postings",
        "site",
        "title",
    )

    def __init__(self, title: str, body: str, site: str | None = None,
                 lang: str | None = None) -> None:
        self.title = title or ""
        self.body = body or ""
        self.site = norm_host(site)
        self.lang = norm_lang(lang)
        postings: dict[str, list[int]] = {}
        get = postings.get
        title_words = fold_words(self.title)
        body_words = fold_words(self.body)
        for pos, word in enumerate(title_words):
            lst = get(word)
            if lst is None:
                postings[word] = [pos]
            else:
                lst.append(pos)
        for pos, word in enumerate(body_words, BODY_OFFSET):
            lst = get(word)
            if lst is None:
                postings[word] = [pos]
            else:
                lst.append(pos)
        m = _PARA_BREAK_RE.search(self.body)
        lead_words = len(fold_words(self.body[: m.end()])) if m else LEAD_MAX_WORDS
        self.lead_end = BODY_OFFSET + min(lead_words, LEAD_MAX_WORDS)
        self.postings = postings
        self._sets: dict[str, set[int]] = {}
        self._prefix: dict[str, list[int]] = {}
        self._vocab: list[str] | None = None
        self._sentences: dict[str, list[int]] = {}
        self._offsets: dict[str, list[tuple[int, int]]] = {}
        self._words = (title_words, body_words)
        self._bigrams: set[tuple[str, str]] | None = None
        self._spans: dict[str, list[tuple[int, int]]] = {}

    # -- lookups used by the matchers ------------------------------------------
    def posset(self, word: str) -> set[int]:
        s = self._sets.get(word)
        if s is None:
            s = self._sets[word] = set(self.postings.get(word, ()))
        return s

    def bigrams(self) -> set[tuple[str, str]]:
        """Adjacent word pairs (title and body apart): a two-word phrase is one lookup."""
        got = self._bigrams
        if got is None:
            tw, bw = self._words
            got = self._bigrams = set(pairwise(tw))
            got.update(pairwise(bw))
        return got

    def term_spans(self, word: str) -> list[tuple[int, int]]:
        got = self._spans.get(word)
        if got is None:
            got = self._spans[word] = [(p, p) for p in self.postings.get(word, ())]
        return got

    def prefix_words(self, prefix: str) -> list[str]:
        vocab = self._vocab
        if vocab is None:
            vocab = self._vocab = sorted(self.postings)
        out = []
        i = bisect_left(vocab, prefix)
        while i < len(vocab) and vocab[i].startswith(prefix):
            out.append(vocab[i])
            i += 1
        return out

    def prefix_positions(self, prefix: str) -> list[int]:
        got = self._prefix.get(prefix)
        if got is None:
            words = self.prefix_words(prefix)
            if not words:
                got = []
            elif len(words) == 1:
                got = self.postings[words[0]]
            else:
                got = list(merge(*(self.postings[w] for w in words)))
            self._prefix[prefix] = got
        return got

    def prefix_set(self, prefix: str) -> set[int]:
        key = prefix + "*"
        s = self._sets.get(key)
        if s is None:
            s = self._sets[key] = set(self.prefix_positions(prefix))
        return s

    # -- positions → text -------------------------------------------------------
    def sentence_starts(self, field: str) -> list[int]:
        """Character offsets where the sentences of ``field`` start (computed once)."""
        got = self._sentences.get(field)
        if got is None:
            text = self.title if field == "title" else self.body
            got = self._sentences[field] = [0] + [m.end() for m in _SENT_END_RE.finditer(text)]
        return got

    def zone(self, pos: int) -> str:
        if pos < BODY_OFFSET:
            return "title"
        return "lead" if pos < self.lead_end else "body"

    def offsets(self, field: str) -> list[tuple[int, int]]:
        """Character range of each word of ``field`` (computed when first needed)."""
        got = self._offsets.get(field)
        if got is None:
            text = self.title if field == "title" else self.body
            got = self._offsets[field] = [(s, e) for _, s, e in iter_tokens(text)]
        return got

    def char_span(self, start: int, end: int) -> tuple[str, int, int]:
        """Field name and character range of word positions start..end (inclusive)."""
        if start < BODY_OFFSET:
            offs = self.offsets("title")
            return "title", offs[start][0], offs[end][1]
        offs = self.offsets("body")
        return "body", offs[start - BODY_OFFSET][0], offs[end - BODY_OFFSET][1]
