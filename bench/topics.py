"""Benchmark: many watch topics against cleaned stories, index vs one-by-one.

    .venv/bin/python bench/topics.py [--sizes 100,1000,10000,100000] [--stories 600]
                                     [--mix broad,selective]

Stories come from the extraction benchmark's gold article bodies
(../shared/bench/extraction/gold/*.txt, 111 articles): each article whole, each article's
first and second half, and paragraphs of two different articles put together, until
there are enough. A story's title is its first sentence (at most 14 words).

Topics are generated from the stories' own vocabulary (document frequencies of folded
words): single words, OR-groups, AND of a frequent and a rarer word, phrases taken from
real bigrams, NEAR/ONEAR of words seen close together, NOT, prefixes and title: — with
frequent (top 300), middling (next 2,700) and rare words mixed, so that the presearcher is
measured honestly. A frequent word never makes a topic alone (single words and OR-groups
use middling or rare words); it appears next to others in AND, NEAR, phrases and NOT.
This "broad" mix is the headline. A second, "selective" mix shapes every topic like the
example ones (two conditions that must both hold: AND, NEAR with an OR-group, a phrase
and a word, a prefix with an exclusion); it matches far fewer stories, which is where
the index's advantage over one-by-one evaluation shows.

Printed per size: the index's median and p95 milliseconds per story (tokenizing
included), the mean number of candidate topics per story, the index's memory
(tracemalloc), and the one-by-one median (the story tokenized once, then every topic
evaluated) on a sample of the stories, with the ratio. Figures only; nothing asserted.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import re
import statistics
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from worker.topics import Document, Topic, TopicIndex, match_topic, prepare
from worker.topics._fold import fold_words
from worker.topics._index import compile_topic, evaluate
from worker.topics._presearch import _STOPWORDS as STOPWORDS

GOLD = REPO.parent / "shared" / "bench" / "extraction" / "gold"
_SENT_RE = re.compile(r"(?<=[.!?])\s+")
_STOP = STOPWORDS


# -- stories --------------------------------------------------------------------------
def _story(paragraphs: list[str]) -> Document:
    first = _SENT_RE.split(paragraphs[0].strip(), maxsplit=1)[0]
    title = " ".join(first.split()[:14])
    return Document(title, "\n\n".join(paragraphs))


def load_stories(n: int, seed: int = 7) -> tuple[list[Document], str]:
    files = sorted(GOLD.glob("*.txt"))
    if not files:
        sys.exit(f"no benchmark pages in {GOLD}")
    articles = []
    for f in files:
        paras = [p.strip() for p in f.read_text(encoding="utf-8").split("\n\n") if p.strip()]
        if paras:
            articles.append(paras)
    rng = random.Random(seed)
    stories = [_story(p) for p in articles]
    made = {"whole": len(stories), "halves": 0, "mixed": 0}
    for p in articles:
        if len(p) >= 4:
            h = len(p) // 2
            stories += [_story(p[:h]), _story(p[h:])]
            made["halves"] += 2
    while len(stories) < n:
        a, b = rng.sample(articles, 2)
        paras = a[: rng.randint(1, max(1, len(a) // 2))] + b[: rng.randint(1, max(1, len(b) // 2))]
        stories.append(_story(paras))
        made["mixed"] += 1
    rng.shuffle(stories)
    stories = stories[:n]
    how = (f"{len(stories)} stories from {len(articles)} gold articles "
           f"({made['whole']} whole, {made['halves']} halves, {made['mixed']} mixed from "
           f"paragraphs of two articles; title = first sentence)")
    return stories, how


# -- topics ---------------------------------------------------------------------------
class TopicMaker:
    def __init__(self, stories: list[Document], seed: int = 11) -> None:
        self.rng = random.Random(seed)
        df: Counter[str] = Counter()
        self.tokens: list[list[str]] = []
        for s in stories:
            toks = fold_words(s.title + "\n" + s.body)
            self.tokens.append(toks)
            df.update(set(toks))
        ranked = [w for w, _ in df.most_common() if w not in _STOP and len(w) > 2
                  and not w.isdigit()]
        self.frequent = ranked[:300]
        self.middle = ranked[300:3000]
        self.rare = ranked[3000:] or ranked[-500:]
        self.stop = sorted(_STOP)

    def word(self) -> str:
        r = self.rng.random()
        pool = self.frequent if r < 0.3 else self.middle if r < 0.7 else self.rare
        return self.rng.choice(pool)

    def rarer(self) -> str:
        """A middling or rare word: what a topic made of one word or an OR-group uses
        (a topic that is just "back" or "grow" is not a watch topic)."""
        if self.rng.random() < 0.4:
            return self.rng.choice(self.middle[len(self.middle) // 2:])
        return self.rng.choice(self.rare)

    def _window(self, span: int) -> list[str]:
        toks = self.rng.choice(self.tokens)
        i = self.rng.randrange(max(1, len(toks) - span))
        return toks[i : i + span]

    def bigram(self) -> str:
        for _ in range(20):
            a, b = (self._window(2) + ["x", "y"])[:2]
            if not (a in _STOP and b in _STOP):
                return f'"{a} {b}"'
        return f'"{self.word()} {self.word()}"'

    def near_pair(self) -> tuple[str, str, int]:
        for _ in range(20):
            w = self._window(12)
            content = [t for t in w if t not in _STOP and len(t) > 2]
            if len(content) >= 2:
                a, b = self.rng.sample(content, 2)
                return a, b, self.rng.choice([3, 5, 8, 10, 15])
        return self.word(), self.word(), 5

    def make(self) -> str:
        rng = self.rng
        k = rng.random()
        w = self.word
        r = self.rarer
        if k < 0.14:
            return r()
        if k < 0.28:
            return "(" + " OR ".join(r() for _ in range(rng.randint(2, 4))) + ")"
        if k < 0.42:
            return f"{rng.choice(self.frequent)} AND {rng.choice(self.middle + self.rare)}"
        if k < 0.56:
            return self.bigram() + (f" {w()}" if rng.random() < 0.3 else "")
        if k < 0.72:
            a, b, n = self.near_pair()
            op = "ONEAR" if rng.random() < 0.25 else "NEAR"
            if rng.random() < 0.3:
                a = f"({a} OR {w()})"
            return f"{a} {op}/{n} {b}"
        if k < 0.84:
            return f"({r()} OR {r()}) -{w()}" if rng.random() < 0.5 else f"{r()} AND NOT {w()}"
        if k < 0.94:
            base = rng.choice(self.middle + self.rare)
            pfx = base[: max(3, min(len(base) - 1, rng.randint(4, 6)))]
            return f"{pfx}* AND {w()}" if rng.random() < 0.5 else f"{pfx}*"
        return f"title:{w()}" if rng.random() < 0.5 else f"title:({w()} OR {w()}) {w()}"

    def make_selective(self) -> str:
        """Topics shaped like the example ones: two conditions that must both hold."""
        rng, w, r = self.rng, self.word, self.rarer
        k = rng.random()
        if k < 0.3:
            return f"{r()} AND {w()}"
        if k < 0.5:
            return f"{self.bigram()} AND {w()}"
        if k < 0.7:
            a, b, n = self.near_pair()
            return f"({a} OR {r()}) NEAR/{n} {b}"
        if k < 0.85:
            return f"({r()} OR {r()}) AND ({w()} OR {w()})"
        base = rng.choice(self.middle + self.rare)
        return f"{base[: max(3, min(len(base) - 1, 5))]}* AND {w()} -{w()}"

    def topics(self, n: int, mix: str = "broad") -> list[Topic]:
        make = self.make if mix == "broad" else self.make_selective
        return [Topic(f"g{i}", f"generated {i}", make(),
                      self.rng.choice([0.0, 0.0, 1.0, 2.0])) for i in range(n)]


# -- measuring ------------------------------------------------------------------------
def _pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def run(sizes: list[int], n_stories: int, oneby_budget: int, mixes: list[str]) -> None:
    stories, how = load_stories(n_stories)
    print(how)
    maker = TopicMaker(stories)
    print(f"vocabulary: {len(maker.frequent)} frequent, {len(maker.middle)} middling, "
          f"{len(maker.rare)} rare words (by document frequency)")
    for mix in mixes:
        run_mix(stories, maker, mix, sizes, oneby_budget)
    print("""
columns: build s = adding all topics; mem MB = the index (tracemalloc, a separate build);
median / p95 = wall ms per story of TopicIndex.match (tokenizing included) over all
stories; cpu med = the same in process CPU time (less sensitive to other load on the
machine); cands = mean candidate topics per story; matches = mean matches per story;
1by1 = median wall ms per story evaluating every compiled topic on the story tokenized
once (n = stories sampled); ratio = 1by1 / index median on those same stories (same
matches checked); ref ratio = match_topic() per topic (compiles and tokenizes on each
call; 300 topics x 5 stories, scaled to the size) / index median. Before timing, the
index matches 300 of the stories (warm-up), from which it learns word frequencies and
re-chooses its presearch words (after 64 and 256 stories). The index's objects
are moved out of the garbage collector's sight after the build (gc.freeze(), as a
worker should do after loading its topics). Explanations and highlights are built when
read (lazily), so they are not in these times; reading them costs about 0.05 ms a
match.""")


def run_mix(stories: list[Document], maker: TopicMaker, mix: str, sizes: list[int],
            oneby_budget: int) -> None:
    all_topics = maker.topics(max(sizes), mix)
    print()
    print(f"== topic mix: {mix}")
    print("sample topics: " + " | ".join(t.query for t in all_topics[:8]))
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print()
    print(f"{'topics':>7} {'build s':>7} {'mem MB':>6} {'median':>7} {'p95':>7} {'cpu med':>7} "
          f"{'cands':>6} {'matches':>7} {'1by1':>7} {'n':>4} {'ratio':>6} {'ref ratio':>9}")
    for n in sizes:
        topics = all_topics[:n]
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        index = TopicIndex()
        for t in topics:
            index.add(t)
        mem = (tracemalloc.get_traced_memory()[0] - before) / 1e6
        tracemalloc.stop()
        del index
        gc.unfreeze()
        gc.collect()
        t0 = time.perf_counter()
        index = TopicIndex()
        for t in topics:
            index.add(t)
        build = time.perf_counter() - t0
        gc.collect()
        gc.freeze()
        # Warm-up: the folding cache, and the index learning word frequencies (it
        # re-chooses presearch words after 64 and 256 stories).
        for s in stories[:300]:
            index.match(s)
        times, cpu, cands, nmatch = [], [], [], 0
        for s in stories:
            c0, t0 = time.process_time(), time.perf_counter()
            got = index.match(s)
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            nmatch += len(got)
        for s in stories:
            cands.append(len(index.candidates(prepare(s))))
        # Strong one-by-one on a sample: the story tokenized once, every compiled topic
        # evaluated; the index timed on the same stories, and the same matches checked.
        compiled = [compile_topic(t) for t in topics]
        sample = stories[: max(10, min(len(stories), oneby_budget // n))]
        one, idx_sample = [], []
        for s in sample:
            t0 = time.perf_counter()
            d = prepare(s)
            ref = [m for m in (evaluate(ct, d) for ct in compiled) if m is not None]
            one.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            got = index.match(s)
            idx_sample.append((time.perf_counter() - t0) * 1000)
            assert sorted(m.topic_id for m in got) == sorted(m.topic_id for m in ref)
        ratio = statistics.median(one) / statistics.median(idx_sample)
        # The reference API, match_topic(topic, story) per topic (query compiled and story
        # tokenized on every call), timed on 300 topics x 5 stories, scaled to n topics.
        few = topics[:300]
        t0 = time.perf_counter()
        for s in stories[:5]:
            for t in few:
                match_topic(t, s)
        ref_ms = (time.perf_counter() - t0) * 1000 / 5 * (n / len(few))
        ref_ratio = ref_ms / statistics.median(times)
        print(f"{n:>7} {build:>7.2f} {mem:>6.1f} {statistics.median(times):>7.2f} "
              f"{_pct(times, 95):>7.2f} {statistics.median(cpu):>7.2f} "
              f"{statistics.mean(cands):>6.0f} {nmatch / len(stories):>7.1f} "
              f"{statistics.median(one):>7.2f} {len(sample):>4} {ratio:>5.1f}x {ref_ratio:>8.0f}x")
        del index, compiled
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100,1000,10000,100000")
    ap.add_argument("--stories", type=int, default=600)
    ap.add_argument("--oneby-budget", type=int, default=2_000_000,
                    help="topic evaluations for the one-by-one sample (stories = budget/size)")
    ap.add_argument("--mix", default="broad,selective",
                    help="topic mixes to run: broad (the headline), selective (two conditions)")
    args = ap.parse_args()
    run([int(x) for x in args.sizes.split(",")], args.stories, args.oneby_budget,
        args.mix.split(","))


if __name__ == "__main__":
    main()
