"""The HTML path's block model: which of a page's text blocks are the story.

Each block (``_blocks.page_blocks``) gets one feature row: its text (the text path's
line features), its place in the DOM (tags and class names around it, link density, the
readability-style container score) and whether trafilatura kept it (the share of its
word 4-grams in trafilatura's output, and its neighbours'). A logistic model scores the
rows; a second one adds the neighbours' scores, so a block inside a run of story blocks
is kept and an island of prose in a sidebar is not. The weights are a small JSON file in
the package (``html_model.json``), written by ``python -m worker.clean.train_html``.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from operator import mul
from pathlib import Path
from typing import Any

from ._blocks import (
    F_ARTICLE,
    F_ASIDE,
    F_BAD,
    F_CAPTION,
    F_FIG,
    F_FOOTER,
    F_GOOD,
    F_HEAD,
    F_HEADER,
    F_LI,
    F_MAIN,
    F_NAV,
    F_QUOTE,
    F_TABLE,
    F_TIME,
    Block,
)
from ._features import LineInfo, feature_rows
from ._rules import line_rule

MODEL_PATH = Path(__file__).with_name("html_model.json")
_TOKEN = re.compile(r"\w+")

_TEXT_NAMES = ("bias", "log_len", "words", "ends_sentence", "stop_ratio", "title_ratio",
               "punct_density", "digit_ratio", "bullet", "short", "repeated", "upper_ratio",
               "multi_sentence", "prev_sentence", "next_sentence", "ctx_len", "position",
               "separators", "ctx_headline", "truncated", "ctx_bullet")
_DOM_NAMES = ("link_density", "all_link", "tag_p", "tag_h", "tag_li", "tag_div", "tag_td",
              "tag_caption", "tag_quote", "in_nav", "in_aside", "in_footer", "in_header",
              "in_article", "in_main", "bad_class", "bad_class2", "good_class", "caption_class",
              "in_figure", "in_li", "in_table", "in_quote", "in_heading", "in_time", "depth",
              "in_top", "in_top_parent", "container_share", "rule_hit", "title_match")
_TRAF_NAMES = ("seen_before", "traf_cov", "traf_prev", "traf_next", "traf_win", "traf_span", "traf_empty",
               "cov_x_len")
STAGE1_NAMES = _TEXT_NAMES + _DOM_NAMES + _TRAF_NAMES
STAGE2_NAMES = ("z_prev", "z_next", "z_win", "z_win_wide")
FEATURE_NAMES = STAGE1_NAMES + STAGE2_NAMES

# the rule a block's line matches; memoised, as selection asks again for dropped blocks
rule_of = lru_cache(maxsize=4096)(line_rule)

_HEADS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_RULES = frozenset({"also_read", "byline", "date", "caption", "credit", "ai_disclaimer",
                    "advert", "subscribe", "share", "copyright", "contact", "link_row",
                    "comments", "promo", "list_label", "cookies", "breadcrumb"})


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _grams(toks: list[str]) -> set[tuple[str, ...]]:
    if len(toks) < 4:
        return {tuple(toks)} if toks else set()
    return {tuple(toks[i:i + 4]) for i in range(len(toks) - 3)}


def coverage(blocks: list[Block], other: str, btoks: list[list[str]] | None = None
             ) -> list[float]:
    """Per block, the share of its word 4-grams found in ``other`` (an extractor's text),
    each 4-gram of ``other`` taken once, in page order (so a repeat of a kept paragraph
    is not covered again); a block of 1–3 words counts as found when its words occur in
    that order."""
    otoks = tokens(other)
    left = Counter(zip(otoks, otoks[1:], otoks[2:], otoks[3:]))
    joined = " " + " ".join(otoks) + " "
    out: list[float] = []
    for k, b in enumerate(blocks):
        bt = btoks[k] if btoks is not None else tokens(b.text)
        if len(bt) < 4:
            out.append(1.0 if bt and (" " + " ".join(bt) + " ") in joined else 0.0)
            continue
        g = list(zip(bt, bt[1:], bt[2:], bt[3:]))
        hit = sum(1 for x in g if left[x] > 0)
        share = hit / len(g)
        if share >= 0.5:
            for x in g:
                if left[x] > 0:
                    left[x] -= 1
        out.append(share)
    return out


def seen_before(btoks: list[list[str]]) -> list[float]:
    """Per block, the share of its word 4-grams that an earlier block already had: a
    teaser or a repeat of the story further down the page."""
    seen: set[tuple[str, ...]] = set()
    out: list[float] = []
    for bt in btoks:
        g = set(zip(bt, bt[1:], bt[2:], bt[3:])) if len(bt) >= 4 else \
            ({tuple(bt)} if bt else set())
        out.append(len(g & seen) / len(g) if g else 0.0)
        seen |= g
    return out


def gold_labels(blocks: list[Block], gold: str) -> list[float]:
    """1.0 for a block whose 4-grams are mostly in the gold body, each gold 4-gram taken
    once (the metric counts a repeated paragraph as noise)."""
    return [1.0 if c >= 0.5 else 0.0 for c in coverage(blocks, gold)]


def stage1_rows(blocks: list[Block], scores: dict[int, float], traf_text: str,
                title: str | None, cov: list[float] | None = None,
                btoks: list[list[str]] | None = None,
                infos: list[LineInfo] | None = None) -> list[list[float]]:
    n = len(blocks)
    if not n:
        return []
    if infos is None:
        infos = [LineInfo(b.text) for b in blocks]
    seen: dict[str, int] = {}
    for i in infos:
        seen[i.norm] = seen.get(i.norm, 0) + 1
    for i in infos:
        i.count = seen[i.norm]
    text_rows = feature_rows(infos)
    if btoks is None:
        btoks = [tokens(b.text) for b in blocks]
    if cov is None:
        cov = coverage(blocks, traf_text, btoks)
    kept = [k for k, c in enumerate(cov) if c >= 0.5]
    lo, hi = (kept[0], kept[-1]) if kept else (n, -1)
    top = max(scores, key=scores.__getitem__) if scores else None
    top_score = scores.get(top, 0.0) if top is not None else 0.0
    total_chars = sum(len(b.text) for b in blocks) or 1
    # the story container's share of the page's text: how much to trust in_top
    top_chars = sum(len(b.text) for b in blocks if top is not None and top in b.anc)
    share = top_chars / total_chars
    tnorm = " ".join(title.lower().split()) if title else None
    half_top = 0.5 * top_score
    traf_empty = 1.0 if not kept else 0.0
    before = seen_before(btoks)
    rows: list[list[float]] = []
    for k, (b, info, tr) in enumerate(zip(blocks, infos, text_rows)):
        nch = len(b.text) or 1
        ld = min(1.0, b.link_chars / nch)
        f = [1.0 if v else 0.0 for v in b.flags]
        tag = b.tag
        anc = b.anc
        in_top = 1.0 if top is not None and top in anc else 0.0
        in_top_parent = 0.0
        if top is not None:
            for a in anc[-6:]:
                if scores.get(a, 0.0) >= half_top:
                    in_top_parent = 1.0
                    break
        rule = rule_of(info.text) if info.n_words < 30 else None
        wlo, whi = max(0, k - 3), min(n, k + 4)
        dom = [
            ld, 1.0 if ld > 0.9 else 0.0,
            1.0 if tag == "p" else 0.0, 1.0 if tag in _HEADS else 0.0,
            1.0 if tag == "li" else 0.0, 1.0 if tag == "div" else 0.0,
            1.0 if tag in ("td", "th", "tr") else 0.0,
            1.0 if tag in ("figcaption", "figure", "caption") else 0.0,
            1.0 if tag == "blockquote" else 0.0,
            f[F_NAV], f[F_ASIDE], f[F_FOOTER], f[F_HEADER], f[F_ARTICLE], f[F_MAIN], f[F_BAD],
            1.0 if b.flags[F_BAD] >= 2 else 0.0, f[F_GOOD], f[F_CAPTION],
            f[F_FIG], f[F_LI], f[F_TABLE], f[F_QUOTE], f[F_HEAD], f[F_TIME],
            (b.depth if b.depth < 40 else 40) / 40.0,
            in_top, in_top_parent, share * in_top,
            1.0 if rule in _RULES else 0.0,
            1.0 if tnorm and info.norm == tnorm else 0.0,
        ]
        c = cov[k]
        trf = [
            before[k], c, cov[k - 1] if k > 0 else 0.0, cov[k + 1] if k + 1 < n else 0.0,
            sum(cov[wlo:whi]) / (whi - wlo), 1.0 if lo <= k <= hi else 0.0, traf_empty,
            c * tr[1],
        ]
        rows.append(tr + dom + trf)
    return rows


def _dot(w: list[float], x: list[float]) -> float:
    return sum(map(mul, w, x))


def stage2_extra(z1: list[float]) -> list[list[float]]:
    """The neighbours' stage-1 scores (squashed to 0..1) for each block."""
    n = len(z1)
    p = [1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z)))) for z in z1]
    cum = [0.0]
    for v in p:
        cum.append(cum[-1] + v)
    out: list[list[float]] = []
    for k in range(n):
        lo, hi = max(0, k - 2), min(n, k + 3)
        wlo, whi = max(0, k - 6), min(n, k + 7)
        others = (hi - lo - 1) or 1
        wothers = (whi - wlo - 1) or 1
        out.append([
            p[k - 1] if k > 0 else 0.0, p[k + 1] if k + 1 < n else 0.0,
            (cum[hi] - cum[lo] - p[k]) / others, (cum[whi] - cum[wlo] - p[k]) / wothers,
        ])
    return out


@dataclass
class BlockModel:
    w1: list[float]
    w2: list[float]
    threshold: float = 0.5
    provenance: dict[str, Any] = field(default_factory=dict)

    def probabilities(self, rows1: list[list[float]]) -> list[float]:
        z1 = [_dot(self.w1, r) for r in rows1]
        out: list[float] = []
        for r, extra in zip(rows1, stage2_extra(z1)):
            z = _dot(self.w2, r + extra)
            out.append(1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z)))))
        return out

    def to_json(self) -> str:
        return json.dumps({
            "version": 1, "threshold": self.threshold, "provenance": self.provenance,
            "stage1": {n: round(w, 5) for n, w in zip(STAGE1_NAMES, self.w1)},
            "stage2": {n: round(w, 5) for n, w in zip(FEATURE_NAMES, self.w2)},
        }, indent=1) + "\n"

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BlockModel:
        s1, s2 = d.get("stage1", {}), d.get("stage2", {})
        return cls([float(s1.get(n, 0.0)) for n in STAGE1_NAMES],
                   [float(s2.get(n, 0.0)) for n in FEATURE_NAMES],
                   float(d.get("threshold", 0.5)), d.get("provenance", {}))


@lru_cache(maxsize=1)
def load_block_model() -> BlockModel | None:
    """The packaged model, or None when the file is missing (the HTML path then keeps
    trafilatura's text as it is)."""
    try:
        return BlockModel.from_dict(json.loads(MODEL_PATH.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None
