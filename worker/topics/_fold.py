"""Text folding and tokenization, the same on the query side and the story side.

A token is a run of letters, digits and combining marks. Apostrophes inside a word are
kept by the tokenizer so that a possessive ``'s`` can be dropped (``Kim’s`` → ``kim``)
and other elisions joined (``don't`` → ``dont``). Everything else (spaces, hyphens,
dashes, dots, quotes) separates tokens, so ``Russia-North Korea`` gives ``russia``,
``north``, ``korea`` and a query term ``anti-US`` becomes the phrase ``"anti us"``.

Each token is folded: NFKD, Latin/Greek/Cyrillic diacritics removed (other scripts keep
their marks, which are letters there), case folded, NFC.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from ._marks import MARKS

_APOSTROPHES = "'\u2019\u2018\u02bc\uff07\u2032`"
_WORD = f"(?:[^\\W_]|[{MARKS}])+"
# A word, optionally glued to more words by apostrophes (possessives, elisions).
TOKEN_RE = re.compile(f"{_WORD}(?:[{_APOSTROPHES}]{_WORD})*")
_WORD_RE = re.compile(_WORD)
_APOS_SPLIT_RE = re.compile(f"[{_APOSTROPHES}]")
_DIACRITICS_RE = re.compile("[\u0300-\u036f]")

_cache: dict[str, tuple[str, ...]] = {}
_CACHE_MAX = 200_000


def _fold_uncached(raw: str) -> tuple[str, ...]:
    parts = _APOS_SPLIT_RE.split(raw)
    if len(parts) > 1:
        # Possessive 's dropped (Kim's → Kim); other elisions joined (don't → dont).
        if parts[-1] in ("s", "S"):
            parts = parts[:-1]
        raw = "".join(parts)
    text = unicodedata.normalize("NFKD", raw.casefold())
    text = unicodedata.normalize("NFC", _DIACRITICS_RE.sub("", text))
    # Compatibility forms can fold into several words (e.g. ½ → 1⁄2).
    return tuple(_WORD_RE.findall(text))


def fold_token(raw: str) -> tuple[str, ...]:
    """Fold one raw token (a TOKEN_RE match) into zero or more folded words."""
    hit = _cache.get(raw)
    if hit is None:
        if len(_cache) >= _CACHE_MAX:
            _cache.clear()
        hit = _cache[raw] = _fold_uncached(raw)
    return hit


def iter_tokens(text: str) -> Iterator[tuple[str, int, int]]:
    """Yield (folded word, start, end) with character offsets into ``text``."""
    cache = _cache
    for m in TOKEN_RE.finditer(text):
        raw = m.group()
        folded = cache.get(raw)
        if folded is None:
            folded = fold_token(raw)
        if len(folded) == 1:
            yield folded[0], m.start(), m.end()
        else:
            for word in folded:
                yield word, m.start(), m.end()


def fold_words(text: str) -> list[str]:
    """All folded words of ``text`` in order (the same words as iter_tokens, faster)."""
    cache = _cache
    out: list[str] = []
    for raw in TOKEN_RE.findall(text):
        folded = cache.get(raw)
        if folded is None:
            folded = fold_token(raw)
        if len(folded) == 1:
            out.append(folded[0])
        else:
            out.extend(folded)
    return out
