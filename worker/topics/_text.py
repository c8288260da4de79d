"""A story tokenized once for matching: folded word positions, zones and offsets.

Title words get positions 0, 1, …; body words start at ``BODY_OFFSET`` so that no phrase
or NEAR can straddle the title and the body. The lead is the body's first paragraph
(text up to the first line break), at most ``LEAD_MAX_WORDS`` words.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from heapq import merge

from ._fold import iter_tokens

BODY_OFFSET = 1 << 20
LEAD_MAX_WORDS = 60
_PARA_BREAK_RE = re.compile(r"\S[^\n]*\n")


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
        "title", "body", "site", "lang", "postings", "title_offsets", "body_offsets",
        "lead_end", "_sets", "_prefix", "_vocab",
    )

    def __init__(self, title: str, body: str, site: str | None = None,
                 lang: str | None = None) -> None:
        self.title = title or ""
        self.body = body or ""
        self.site = norm_host(site)
        self.lang = norm_lang(lang)
        postings: dict[str, list[int]] = {}
        self.title_offsets: list[tuple[int, int]] = []
        self.body_offsets: list[tuple[int, int]] = []
        pos = 0
        for word, s, e in iter_tokens(self.title):
            lst = postings.get(word)
            if lst is None:
                postings[word] = [pos]
            else:
                lst.append(pos)
            self.title_offsets.append((s, e))
            pos += 1
        m = _PARA_BREAK_RE.search(self.body)
        lead_chars = m.end() if m else len(self.body)
        lead_words = 0
        pos = BODY_OFFSET
        for word, s, e in iter_tokens(self.body):
            lst = postings.get(word)
            if lst is None:
                postings[word] = [pos]
            else:
                lst.append(pos)
            self.body_offsets.append((s, e))
            if s < lead_chars and lead_words < LEAD_MAX_WORDS:
                lead_words += 1
            pos += 1
        self.lead_end = BODY_OFFSET + lead_words
        self.postings = postings
        self._sets: dict[str, set[int]] = {}
        self._prefix: dict[str, list[int]] = {}
        self._vocab: list[str] | None = None

    # -- lookups used by the matchers ------------------------------------------
    def posset(self, word: str) -> set[int]:
        s = self._sets.get(word)
        if s is None:
            s = self._sets[word] = set(self.postings.get(word, ()))
        return s

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
    def zone(self, pos: int) -> str:
        if pos < BODY_OFFSET:
            return "title"
        return "lead" if pos < self.lead_end else "body"

    def char_span(self, start: int, end: int) -> tuple[str, int, int]:
        """Field name and character range of word positions start..end (inclusive)."""
        if start < BODY_OFFSET:
            offs = self.title_offsets
            return "title", offs[start][0], offs[min(end, len(offs) - 1)][1]
        offs = self.body_offsets
        return "body", offs[start - BODY_OFFSET][0], offs[end - BODY_OFFSET][1]
