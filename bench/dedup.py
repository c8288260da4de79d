"""SimHash threshold for "same story": Hamming distances of same-story vs different-story pairs.

Same-story pairs are real gold article texts (../shared/bench/extraction/gold/*.txt and
seeds/gold/*.txt) against edited copies of themselves, the way one agency story shows
up on several outlets: a different intro sentence, a trailing agency line, site
boilerplate, the last paragraph cut, a few words changed, and all of these together.
Different-story pairs are every pair of distinct gold texts (many share a subject: the
seed pages are all about Korea). Prints the distance distributions and the chosen
threshold: the largest distance with no different-story pair at or under it, halved
towards the same-story side for margin.

    .venv/bin/python bench/dedup.py [--scale]   (--scale: lookup time at 1,000 vs 100,000 stored)
"""

from __future__ import annotations

import random
import statistics
import sys
from collections import Counter
from itertools import combinations
from pathlib import Path

from worker.alerts._simhash import MIN_TOKENS, STORY_THRESHOLD, hamming, simhash, tokens
from worker.store import band_keys

ROOT = Path(__file__).resolve().parent.parent
# ../shared from the repository root; a worktree under /work/wt/ looks one level further up.
_SHARED = next((p for p in (ROOT.parent / "shared", ROOT.parent.parent / "shared") if p.is_dir()),
               ROOT.parent / "shared")
GOLD_DIRS = [_SHARED / "bench" / "extraction" / "gold", ROOT / "seeds" / "gold"]

INTROS = [
    "SEOUL (Reuters) - Officials said on Tuesday that the situation was being closely watched.",
    "By Staff Writers, with wire services.",
    "This story has been updated with new information.",
    "Here is what we know so far about the latest developments.",
]
AGENCY = [
    "(Reporting by Hyonhee Shin; Editing by Ed Davies)",
    "Copyright 2025 The Associated Press. All rights reserved. This material may not be published.",
    "AFP contributed to this report.",
]
BOILER_TOP = ["Advertisement", "Skip to main content", "Share this article"]
BOILER_END = [
    "Sign up for our morning newsletter to get the top stories in your inbox.",
    "Read more: the stories you may have missed this week.",
    "Follow us on Facebook and X for the latest updates.",
]


def load_texts() -> list[tuple[str, str]]:
    out = []
    for d in GOLD_DIRS:
        if not d.is_dir():
            print(f"(missing {d})", file=sys.stderr)
            continue
        for p in sorted(d.glob("*.txt")):
            text = p.read_text(encoding="utf-8", errors="replace")
            if len(tokens(text)) >= MIN_TOKENS:
                out.append((p.name, text))
    return out


def _paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n") if p.strip()]


def variants(text: str, rng: random.Random) -> dict[str, str]:
    paras = _paragraphs(text)
    first, rest = paras[0], paras[1:]
    # a different intro: replace the first sentence of the first paragraph
    cut = first.find(". ")
    new_first = rng.choice(INTROS) + (" " + first[cut + 2 :] if cut > 0 else "")
    v: dict[str, str] = {}
    v["intro"] = "\n".join([new_first, *rest])
    v["agency_line"] = "\n".join([*paras, rng.choice(AGENCY)])
    v["boilerplate"] = "\n".join([rng.choice(BOILER_TOP), *paras, *rng.sample(BOILER_END, 2)])
    v["last_para_cut"] = "\n".join(paras[:-1]) if len(paras) > 3 else "\n".join(paras)
    words = text.split(" ")
    for _ in range(max(1, len(words) // 100)):  # ~1 % of words changed (style edits)
        i = rng.randrange(len(words))
        words[i] = rng.choice(["said", "says", "told", "the", "a", "reported"])
    v["word_edits"] = " ".join(words)
    body = rest[:-1] if len(rest) > 3 else rest
    v["all_together"] = "\n".join(
        [rng.choice(BOILER_TOP), new_first, *body, rng.choice(AGENCY), rng.choice(BOILER_END)]
    )
    return v


def describe(name: str, dists: list[int]) -> None:
    q = statistics.quantiles(dists, n=20) if len(dists) > 1 else dists * 19
    print(f"{name:>28}: n={len(dists):5d} min={min(dists):2d} p5={q[0]:5.1f} median={statistics.median(dists):5.1f} "
          f"p95={q[18]:5.1f} max={max(dists):2d}")


def histogram(same: list[int], diff: list[int]) -> None:
    cs, cd = Counter(same), Counter(diff)
    print("\n distance | same-story | different-story")
    for d in range(max(max(same), min(diff)) + 3):
        if cs[d] or cd[d] or d <= 16:
            print(f"   {d:6d} | {cs[d]:10d} | {cd[d]:6d}")


def main() -> None:
    rng = random.Random(20251122)
    texts = load_texts()
    print(f"{len(texts)} gold texts of at least {MIN_TOKENS} words")
    hashes = {name: simhash(text) for name, text in texts}
    same_by_kind: dict[str, list[int]] = {}
    same_pairs: list[tuple[int, int]] = []
    for name, text in texts:
        base = hashes[name]
        vs = variants(text, rng)
        vh = {k: simhash(t) for k, t in vs.items()}
        for kind, h in vh.items():
            if h is not None and base is not None:
                same_by_kind.setdefault(kind, []).append(hamming(base, h))
                same_pairs.append((base, h))
        # two outlets' copies against each other (intro vs agency line + boilerplate)
        if vh["intro"] is not None and vh["all_together"] is not None:
            same_by_kind.setdefault("copy_vs_copy", []).append(hamming(vh["intro"], vh["all_together"]))
            same_pairs.append((vh["intro"], vh["all_together"]))
    diff = [hamming(hashes[a], hashes[b]) for (a, _), (b, _) in combinations(texts, 2)]
    same = [d for ds in same_by_kind.values() for d in ds]

    print("\nHamming distance (bits of 64), same story (original vs edited copy):")
    for kind, ds in same_by_kind.items():
        describe(kind, ds)
    describe("all same-story", same)
    print("\nDifferent stories (every pair of distinct gold texts):")
    describe("different-story", diff)
    histogram(same, diff)

    closest_diff = min(diff)
    print(f"\nclosest different-story pair: {closest_diff} bits")
    for t in sorted({8, 10, 12, 14, 16, STORY_THRESHOLD}):
        recall = sum(d <= t for d in same) / len(same)
        fp = sum(d <= t for d in diff)
        print(f"threshold {t:2d}: same-story recall {recall:6.1%}, different-story pairs merged {fp}/{len(diff)}")
    # Unrelated texts are ~Binomial(64, 1/2) bits apart: the chance that one unrelated
    # pair falls under the threshold, times the candidates compared in the story window.
    from math import comb
    tail = sum(comb(64, k) for k in range(STORY_THRESHOLD + 1)) / 2**64
    print(f"unrelated pair under {STORY_THRESHOLD} bits by chance: {tail:.1e}; "
          f"against 5000 recent articles: {tail * 5000:.1e} false merges per article")
    print(f"\nchosen STORY_THRESHOLD = {STORY_THRESHOLD} (worker/alerts/_simhash.py)")

    # The indexed lookup (LSH buckets) against the exact scan it replaces: of the
    # same-story pairs the exact scan finds (within the threshold), how many share a bucket.
    pairs = [p for p in same_pairs if hamming(*p) <= STORY_THRESHOLD]
    found = sum(bool(set(band_keys(a)) & set(band_keys(b))) for a, b in pairs)
    print(f"\nLSH lookup recall vs exact scan: {found}/{len(pairs)} = {found / len(pairs):.1%} "
          f"({len(band_keys(0))} buckets per fingerprint)")
    by_d = Counter(hamming(a, b) for a, b in pairs)
    miss = Counter(hamming(a, b) for a, b in pairs if not set(band_keys(a)) & set(band_keys(b)))
    print("  missed by distance: " + ", ".join(f"{d} bits {miss[d]}/{by_d[d]}" for d in sorted(miss)))
    diff_shared = sum(bool(set(band_keys(hashes[a])) & set(band_keys(hashes[b])))
                      for (a, _), (b, _) in combinations(texts, 2))
    print(f"  different-story pairs sharing a bucket (verified by distance, then dropped): "
          f"{diff_shared}/{len(diff)}")
    if "--scale" in sys.argv:
        lookup_scale()


def lookup_scale() -> None:
    """Lookup time with 1,000 vs 100,000 stored fingerprints (a database from
    NEWSRADAR_BENCH_PG, e.g. postgresql+psycopg://postgres@127.0.0.1/bench, else SQLite)."""
    import os
    import tempfile
    import time

    from sqlalchemy import insert, select

    from worker.alerts import to_signed
    from worker.store import StoryBand, make_engine, upgrade

    url = os.environ.get("NEWSRADAR_BENCH_PG") or f"sqlite:///{tempfile.mkdtemp()}/dedup.db"
    engine = make_engine(url)
    upgrade(engine)
    rng = random.Random(5)
    probes = [rng.getrandbits(64) for _ in range(300)]
    stored = 0
    print(f"\nnear-duplicate lookup ({engine.dialect.name}), {len(probes)} probes each:")
    base = None
    for target in (1_000, 100_000):
        with engine.begin() as conn:
            while stored < target:
                n = min(5_000, target - stored)
                rows = []
                for i in range(n):
                    fp = rng.getrandbits(64)
                    rows += [{"bucket": k, "article_id": stored + i + 1, "story_id": stored + i + 1,
                              "simhash": to_signed(fp)} for k in band_keys(fp)]
                conn.execute(insert(StoryBand), rows)
                stored += n
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                conn.exec_driver_sql("ANALYZE story_bands")
            for fp in probes[:30]:  # warm
                conn.execute(select(StoryBand.story_id).where(StoryBand.bucket.in_(band_keys(fp)))).all()
            t0 = time.perf_counter()
            cands = 0
            for fp in probes:
                cands += len(conn.execute(select(StoryBand.article_id, StoryBand.story_id, StoryBand.simhash)
                                          .where(StoryBand.bucket.in_(sorted(band_keys(fp))))).all())
            ms = (time.perf_counter() - t0) * 1000 / len(probes)
        base = base or ms
        print(f"  {target:7,d} stored: {ms:.3f} ms per lookup, {cands / len(probes):.2f} candidates "
              f"({ms / base:.2f}x the 1,000 figure)")
    engine.dispose()


if __name__ == "__main__":
    main()
