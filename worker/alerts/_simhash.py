"""Near-duplicate detection: 64-bit SimHash of an article's cleaned text.

The same agency story on several outlets differs by an intro line, a byline, a trailing
"(Reporting by ...)" line and each site's boilerplate; word-trigram shingles make those
local edits move only a few bits, while different stories land about 32 bits apart.
``STORY_THRESHOLD`` (bits) was chosen on real pairs by ``bench/dedup.py`` (numbers in
docs/alerts.md). Texts shorter than ``MIN_TOKENS`` words get no fingerprint: a
two-line teaser would cluster with anything on the same subject.

The database stores SIGNED 64-bit integers (BigInteger): ``to_signed`` / ``to_unsigned``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

__all__ = [
    "MIN_TOKENS",
    "STORY_THRESHOLD",
    "hamming",
    "is_near_duplicate",
    "simhash",
    "to_signed",
    "to_unsigned",
    "tokens",
]

BITS = 64
_MASK = (1 << BITS) - 1
SHINGLE = 3
MIN_TOKENS = 40
# Hamming distance (bits) at or under which two texts are the same story.
STORY_THRESHOLD = 12

_WORD = re.compile(r"\w+", re.UNICODE)


def tokens(text: str) -> list[str]:
    """Lower-cased words, accents and curly quotes folded, digits kept."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    if not folded.isascii():  # ASCII has no combining marks: skip a pass per character
        folded = "".join(c for c in folded if not unicodedata.combining(c))
    return _WORD.findall(folded)


def _features(words: list[str]) -> Iterable[bytes]:
    if len(words) < SHINGLE:
        yield from (w.encode() for w in words)
        return
    for i in range(len(words) - SHINGLE + 1):
        yield " ".join(words[i : i + SHINGLE]).encode()


def simhash(text: str) -> int | None:
    """Unsigned 64-bit SimHash of ``text``, or None when it is too short to compare."""
    words = tokens(text)
    if len(words) < MIN_TOKENS:
        return None
    import numpy as np  # noqa: PLC0415 - only the pipeline's story step needs it

    features = set(_features(words))  # a repeated line counts once
    digests = b"".join(hashlib.blake2b(f, digest_size=8).digest() for f in features)
    hashes = np.frombuffer(digests, dtype=">u8").astype(np.uint64)
    # Bit b is set when more features have it set than not (each votes +1 or -1): the
    # same as a loop over 64 bits per feature in Python, which was 0.7 s on 100,000
    # distinct lines.
    value = 0
    for bit in range(BITS):
        ones = int(np.count_nonzero((hashes >> np.uint64(bit)) & np.uint64(1)))
        if 2 * ones > len(features):
            value |= 1 << bit
    return value


def hamming(a: int, b: int) -> int:
    return ((a ^ b) & _MASK).bit_count()


def is_near_duplicate(a: int | None, b: int | None, threshold: int = STORY_THRESHOLD) -> bool:
    return a is not None and b is not None and hamming(a, b) <= threshold


def to_signed(value: int) -> int:
    """Unsigned 64-bit -> signed (for a BigInteger column)."""
    value &= _MASK
    return value - (1 << BITS) if value >= 1 << (BITS - 1) else value


def to_unsigned(value: int) -> int:
    return value & _MASK
