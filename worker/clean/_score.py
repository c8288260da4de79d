"""The extraction metric of ``../shared/bench/extraction/README.md``.

Tokens are runs of ``\\w``; each text is a multiset of word 4-grams (1–3 tokens make one
short shingle). Per page TP/FP/FN over the multisets; precision is averaged over pages
with a non-empty prediction, recall over pages with a non-empty gold; F1 is the harmonic
mean of the two averages.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

_TOKEN = re.compile(r"\w+")


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    toks = _TOKEN.findall(text or "")
    if not toks:
        return Counter()
    if len(toks) < n:
        return Counter([tuple(toks)])
    return Counter(tuple(toks[i:i + n]) for i in range(len(toks) - n + 1))


@dataclass
class PageScore:
    tp: int
    fp: int
    fn: int
    pred_empty: bool
    gold_empty: bool

    @property
    def precision(self) -> float:
        if self.pred_empty and self.gold_empty:
            return 1.0
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        if self.pred_empty and self.gold_empty:
            return 1.0
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def score_page(pred: str, gold: str) -> PageScore:
    ps, gs = shingles(pred), shingles(gold)
    tp = sum((ps & gs).values())
    return PageScore(tp, sum(ps.values()) - tp, sum(gs.values()) - tp, not ps, not gs)


def aggregate(scores: list[PageScore]) -> tuple[float, float, float]:
    """(precision, recall, F1) as the benchmark computes them."""
    ps = [s.precision for s in scores if not s.pred_empty or s.gold_empty]
    rs = [s.recall for s in scores if not s.gold_empty or s.pred_empty]
    p = sum(ps) / len(ps) if ps else 0.0
    r = sum(rs) / len(rs) if rs else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f
