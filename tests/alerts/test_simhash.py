from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from worker.alerts import STORY_THRESHOLD, hamming, simhash, to_signed, to_unsigned

SEEDS = Path(__file__).resolve().parents[2] / "seeds" / "gold"


def _gold() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]


def test_same_story_on_other_outlets_is_near():
    texts = _gold()
    assert len(texts) >= 3
    base = texts[0]
    variant = ("Advertisement\nSEOUL (Reuters) - Here is what we know so far.\n" + base
               + "\n(Reporting by Hyonhee Shin; Editing by Ed Davies)\nSign up for our newsletter.")
    assert hamming(simhash(base), simhash(variant)) <= STORY_THRESHOLD


def test_different_stories_are_far():
    hashes = [simhash(t) for t in _gold()]
    for i, a in enumerate(hashes):
        for b in hashes[i + 1:]:
            assert hamming(a, b) > STORY_THRESHOLD


def test_too_short_has_no_fingerprint():
    assert simhash("Kim vows victory.") is None


@settings(max_examples=100)
@given(st.integers(0, 2**64 - 1))
def test_signed_roundtrip_fits_bigint(v):
    s = to_signed(v)
    assert -(2**63) <= s < 2**63
    assert to_unsigned(s) == v


@settings(max_examples=100)
@given(st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1))
def test_hamming_works_on_signed_values(a, b):
    assert hamming(to_signed(a), to_signed(b)) == hamming(a, b)
