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
