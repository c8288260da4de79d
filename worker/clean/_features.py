"""One pass of cheap per-line features for the text path's line classifier.

Every feature is general (punctuation, length, function-word density, capitalisation,
repetition, neighbours), none names an outlet. ``FEATURE_NAMES`` fixes the order that
the tuned weights in ``params.json`` follow.
"""

from __future__ import annotations

import math
import re

# Function words of the languages news pages are most often written in; the ratio of
# them in a line separates running prose from headlines, menus and labels.
STOPWORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for from
further had has have having he her here hers him his how i if in into is it its itself just
me more most my no nor not now of off on once only or other our out over own same she should
so some such than that the their them then there these they this those through to too under
until up very was we were what when where which while who whom why will with would you your
said says told after while since however although though who whose
de la le les des du un une et est en au aux pour par sur dans qui que pas plus ne se ce il
elle ils sont été avec son sa ses leur cette mais ou comme
el los las del y en que por con para una es al lo como más pero sus le ha sobre entre
o os as um uma do da dos das no na nos nas em com não se por para mais foi ao à é
der die das und ist nicht ein eine zu den von mit sich des auf für im dem auch es an als
wie bei nach aus wird er sie wir noch
il di che e la per un non sono della del le gli una si con da al alla nel ha
yang dan di ke dari ini itu untuk dengan pada adalah dalam tidak akan juga atau oleh ada
een het van en de dat is op te zijn niet met voor
""".split())

FEATURE_NAMES = (
    "bias", "log_len", "words", "ends_sentence", "stop_ratio", "title_ratio", "punct_density",
    "digit_ratio", "bullet", "short", "repeated", "upper_ratio", "multi_sentence",
    "prev_sentence", "next_sentence", "ctx_len", "position", "separators", "ctx_headline",
    "truncated", "ctx_bullet",
)

_WORD = re.compile(r"[\w'’]+")
_SENT_END = re.compile(r"[.!?。！？…:]['\"”’»)\]]*$|[.!?]\s*\(\w[^()]{0,40}\)$")
_INNER_SENT = re.compile(r"[a-z0-9%)\"”’][.!?]['\"”’]?\s+['\"“‘]?[A-Z]")
_PUNCT = re.compile(r"[,;.:]")
_NUMBER = re.compile(r"\b\d")
_CAPWORD = re.compile(r"\b[A-ZÀ-ÖØ-ÞĀ-Ž]")
_UPPERWORD = re.compile(r"\b[A-ZÀ-ÖØ-Þ]{2,}\b")
_SEPS = re.compile(r"\s[|•·/]\s|\s[-–—]\s")
_BULLET_START = frozenset("*+•·▪►▸◦‣⁃>»-")
_END_CHARS = frozenset(".!?。！？…:'\"”’»)]")
_DIGIT = re.compile(r"\d")
_TOKEN_PUNCT = "\"'“”‘’.,:;!?()[]{}«»|/•·*+-–—"
BULLET = re.compile(r"^(?:[*+•·▪►▸◦‣⁃>»-]|\d{1,2}[.)])\s+")


class LineInfo:
    """Raw facts about one stripped, non-blank line (computed once, reused by rules,
    features and metadata)."""

    __slots__ = ("text", "norm", "n_chars", "n_words", "ends_sentence", "stop_ratio",
                 "title_ratio", "punct_density", "digit_ratio", "bullet", "upper_ratio",
                 "multi_sentence", "separators", "count")

    def __init__(self, text: str) -> None:
        # Every line of every page comes through here, so the facts come from one plain
        # split and a loop over the tokens (cheaper in CPython than a regex pass each).
        c0 = text[0]
        bullet = BULLET.match(text) if (c0 in _BULLET_START or c0.isdigit()) else None
        body = text[bullet.end():] if bullet else text
        self.text = body
        self.norm = body.lower()
        self.bullet = 1.0 if bullet else 0.0
        n = self.n_chars = len(body)
        self.ends_sentence = 1.0 if body[-1] in _END_CHARS and _SENT_END.search(body) else 0.0
        nw = na = caps = upper = stop = 0
        for w in body.split():
            t = w.strip(_TOKEN_PUNCT)
            if not t:
                continue
            nw += 1
            c = t[0]
            if c.isdigit():
                continue
            na += 1
            if c.isupper():
                caps += 1
                if len(t) > 1 and t.isupper():
                    upper += 1
                if t.lower() in STOPWORDS:
                    stop += 1
            elif t in STOPWORDS:
                stop += 1
        if nw <= 3 and n >= 12:
            # Chinese and Japanese put no spaces between words: a long line of few
            # "words" is counted in characters instead (about two to a word)
            cjk = sum(1 for c in body if "\u3040" <= c <= "\u30ff" or "\u4e00" <= c <= "\u9fff")
            if cjk >= n // 2:
                nw = na = max(nw, cjk // 2)
        self.n_words = nw
        d = na or 1
        self.stop_ratio = stop / d
        self.title_ratio = caps / d
        self.upper_ratio = upper / d
        self.digit_ratio = (nw - na) / nw if nw else (1.0 if _DIGIT.search(body) else 0.0)
        self.punct_density = min(1.0, sum(map(body.count, ",;.:")) / nw) if nw else 0.0
        if n >= 24:
            self.multi_sentence = 1.0 if _INNER_SENT.search(body) else 0.0
            self.separators = min(3, len(_SEPS.findall(body))) / 3
        else:
            self.multi_sentence = 0.0
            self.separators = min(3, len(_SEPS.findall(body))) / 3 if nw > 2 else 0.0
        self.count = 1


def feature_rows(infos: list[LineInfo]) -> list[list[float]]:
    """Feature vectors (in ``FEATURE_NAMES`` order) for a page's non-blank lines."""
    n = len(infos)
    rows: list[list[float]] = []
    loglens = [math.log1p(i.n_chars) / 7.0 for i in infos]
    sent = [i.ends_sentence * (1.0 if i.n_words >= 8 else 0.5) for i in infos]
    # headline-like: a teaser title or menu entry (title-cased, no full stop, 3+ words)
    head = [1.0 if (not i.ends_sentence and i.n_words >= 3 and i.title_ratio >= 0.5) else 0.0
            for i in infos]
    bul = [i.bullet for i in infos]
    # running sums give each line the share of headline-like / bulleted neighbours (±4)
    cum_h = [0.0]
    cum_b = [0.0]
    for h, b in zip(head, bul):
        cum_h.append(cum_h[-1] + h)
        cum_b.append(cum_b[-1] + b)
    for k, info in enumerate(infos):
        prev_s = sent[k - 1] if k > 0 else 0.0
        next_s = sent[k + 1] if k + 1 < n else 0.0
        lo, hi = max(0, k - 2), min(n, k + 3)
        ctx = sum(loglens[lo:hi]) / (hi - lo)
        wlo, whi = max(0, k - 4), min(n, k + 5)
        others = (whi - wlo - 1) or 1
        ctx_h = (cum_h[whi] - cum_h[wlo] - head[k]) / others
        ctx_b = (cum_b[whi] - cum_b[wlo] - bul[k]) / others
        rows.append([
            1.0,
            loglens[k],
            min(info.n_words, 60) / 60.0,
            info.ends_sentence,
            info.stop_ratio,
            info.title_ratio,
            info.punct_density,
            info.digit_ratio,
            info.bullet,
            1.0 if info.n_words <= 3 else 0.0,
            1.0 if info.count > 1 else 0.0,
            info.upper_ratio,
            info.multi_sentence,
            prev_s,
            next_s,
            ctx,
            k / n if n else 0.0,
            info.separators,
            ctx_h,
            1.0 if info.text.endswith(("...", "…")) else 0.0,
            ctx_b,
        ])
    return rows


def line_logits(infos: list[LineInfo], w: list[float]) -> list[float]:
    """``w · row`` for every line, the same numbers as ``feature_rows`` gives, computed
    without building the rows (this is the text path's per-line hot loop)."""
    (w_bias, w_len, w_words, w_end, w_stop, w_title, w_punct, w_digit, w_bullet, w_short,
     w_rep, w_upper, w_multi, w_prev, w_next, w_ctx, w_pos, w_sep, w_ctx_h, w_trunc,
     w_ctx_b) = w
    n = len(infos)
    if not n:
        return []
    log1p = math.log1p
    loglens = [log1p(i.n_chars) / 7.0 for i in infos]
    sent = [i.ends_sentence * (1.0 if i.n_words >= 8 else 0.5) for i in infos]
    head = [1.0 if (not i.ends_sentence and i.n_words >= 3 and i.title_ratio >= 0.5) else 0.0
            for i in infos]
    cum_l = [0.0]
    cum_h = [0.0]
    cum_b = [0.0]
    for ll, h, i in zip(loglens, head, infos):
        cum_l.append(cum_l[-1] + ll)
        cum_h.append(cum_h[-1] + h)
        cum_b.append(cum_b[-1] + i.bullet)
    out: list[float] = []
    for k, info in enumerate(infos):
        lo = k - 2 if k > 2 else 0
        hi = k + 3 if k + 3 < n else n
        wlo = k - 4 if k > 4 else 0
        whi = k + 5 if k + 5 < n else n
        others = (whi - wlo - 1) or 1
        nw = info.n_words
        z = (w_bias + w_len * loglens[k] + w_words * (nw if nw < 60 else 60) / 60.0
             + w_end * info.ends_sentence + w_stop * info.stop_ratio
             + w_title * info.title_ratio + w_punct * info.punct_density
             + w_digit * info.digit_ratio + w_bullet * info.bullet
             + w_upper * info.upper_ratio + w_multi * info.multi_sentence
             + w_sep * info.separators
             + w_ctx * (cum_l[hi] - cum_l[lo]) / (hi - lo)
             + w_pos * k / n
             + w_ctx_h * (cum_h[whi] - cum_h[wlo] - head[k]) / others
             + w_ctx_b * (cum_b[whi] - cum_b[wlo] - info.bullet) / others)
        if nw <= 3:
            z += w_short
        if info.count > 1:
            z += w_rep
        if k > 0:
            z += w_prev * sent[k - 1]
        if k + 1 < n:
            z += w_next * sent[k + 1]
        if info.text.endswith(("...", "…")):
            z += w_trunc
        out.append(z)
    return out


# -- stage 2: the page around a line ---------------------------------------------------
# A line's stage-1 score says what the line looks like; stage 2 weighs it with what the
# page around it looks like, learnt from pages with gold rather than written per outlet:
# the neighbours' scores (a sentence inside a run of story or inside a teaser list), how
# much of the neighbourhood is rule-matched furniture, runs of short lines and of lines
# without a sentence end (menus, link lists, tag clouds), where the line sits against the
# page's densest run of prose (before it, in it, after it, and how far), and how it
# compares with that run: its length, its function-word density and its indentation
# (page dumps indent each container; comments and sidebars sit at another depth than
# the story).
CONTEXT_NAMES = (
    "c_bias", "c_z1", "c_prev_p", "c_next_p", "c_win3_p", "c_win8_p", "c_rule_win",
    "c_short_win", "c_noend_win", "c_in_core", "c_before_core", "c_after_core",
    "c_rel_len", "c_rel_stop", "c_indent_off", "c_indent_deeper", "c_rule_prev", "c_rule_next",
    "c_indent_run", "c_core_indent_run", "c_flat", "c_z1_core", "c_z1_after", "c_head_core",
)


def best_span(values: list[float]) -> tuple[int, int]:
    """Maximum-sum contiguous stretch (inclusive bounds); (0, -1) when nothing is positive."""
    best, best_lo, best_hi = 0.0, 0, -1
    cur, lo = 0.0, 0
    for i, v in enumerate(values):
        if cur <= 0:
            cur, lo = v, i
        else:
            cur += v
        if cur > best:
            best, best_lo, best_hi = cur, lo, i
    return best_lo, best_hi


def sigmoid(z: float) -> float:
    """The logistic function, saturated beyond |z| > 30."""
    if z < -30:
        return 0.0
    if z > 30:
        return 1.0
    return 1.0 / (1.0 + math.exp(-z))


def context_rows(infos: list[LineInfo], z1: list[float], ruled: list[bool],
                 indents: list[int]) -> list[list[float]]:
    """Stage-2 rows (``CONTEXT_NAMES`` order) for a page's non-blank lines: ``z1`` their
    stage-1 logits, ``ruled`` whether a rule already marked them, ``indents`` their
    leading whitespace in the dump (a dump without any indentation gets neutral
    indentation features and ``c_flat``)."""
    n = len(infos)
    if not n:
        return []
    p = [0.0 if r else sigmoid(z) for z, r in zip(z1, ruled)]
    short = [1.0 if i.n_words <= 5 else 0.0 for i in infos]
    noend = [0.0 if i.ends_sentence else 1.0 for i in infos]
    rl = [1.0 if r else 0.0 for r in ruled]

    def cums(xs: list[float]) -> list[float]:
        out = [0.0]
        for x in xs:
            out.append(out[-1] + x)
        return out

    cp, cs, cn, cr = cums(p), cums(short), cums(noend), cums(rl)
    # the page's densest run of prose: a maximum-sum stretch of (p - 1/2) x length
    blo, bhi = best_span([(pk - 0.5) * (min(inf.n_chars, 400) / 100.0) if not ruled[k] else -0.1
                          for k, (pk, inf) in enumerate(zip(p, infos))])
    core = [k for k in range(blo, bhi + 1) if p[k] >= 0.5 and not ruled[k]]
    if core:
        lens = sorted(infos[k].n_chars for k in core)
        med_len = float(lens[len(lens) // 2]) or 1.0
        stop = sum(infos[k].stop_ratio for k in core) / len(core)
        ind: dict[int, int] = {}
        for k in core:
            ind[indents[k]] = ind.get(indents[k], 0) + infos[k].n_chars
        mode = max(ind, key=ind.__getitem__)
    else:
        med_len, stop, mode = 100.0, 0.3, indents[0]
    flat = min(indents) == max(indents)
    zc = [(z if -10.0 < z < 10.0 else (10.0 if z > 0 else -10.0)) / 5.0 for z in z1]
    rows: list[list[float]] = []
    for k, inf in enumerate(infos):
        lo3 = k - 3 if k > 3 else 0
        hi3 = k + 4 if k + 4 < n else n
        lo8 = k - 8 if k > 8 else 0
        hi8 = k + 9 if k + 9 < n else n
        lo4 = k - 4 if k > 4 else 0
        hi4 = k + 5 if k + 5 < n else n
        o3 = (hi3 - lo3 - 1) or 1
        o8 = (hi8 - lo8 - 1) or 1
        o4 = (hi4 - lo4 - 1) or 1
        before = math.log1p(blo - k) / 5.0 if k < blo else 0.0
        after = math.log1p(k - bhi) / 5.0 if bhi >= 0 and k > bhi else 0.0
        if flat:  # a dump without indentation says nothing by it
            off, ik, same = 0, mode, 0.0
        else:
            off = abs(indents[k] - mode)
            ik = indents[k]
            same = sum(1 for j in range(lo4, hi4) if j != k and indents[j] == ik) / o4
        rows.append([
            1.0,
            zc[k],
            p[k - 1] if k > 0 else 0.0,
            p[k + 1] if k + 1 < n else 0.0,
            (cp[hi3] - cp[lo3] - p[k]) / o3,
            (cp[hi8] - cp[lo8] - p[k]) / o8,
            (cr[hi3] - cr[lo3] - rl[k]) / o3,
            (cs[hi4] - cs[lo4] - short[k]) / o4,
            (cn[hi4] - cn[lo4] - noend[k]) / o4,
            1.0 if blo <= k <= bhi else 0.0,
            before,
            after,
            min(2.0, inf.n_chars / med_len) / 2.0,
            inf.stop_ratio - stop,
            min(off, 12) / 12.0,
            1.0 if ik > mode else 0.0,
            rl[k - 1] if k > 0 else 0.0,
            rl[k + 1] if k + 1 < n else 0.0,
            same,
            same if off == 0 else 0.0,
            1.0 if flat else 0.0,
            zc[k] if blo <= k <= bhi else 0.0,
            zc[k] * after,
            # a headline-shaped line (no sentence end, 4+ words) among the story's lines
            1.0 if (blo <= k <= bhi and not inf.ends_sentence and inf.n_words >= 4) else 0.0,
        ])
    return rows
