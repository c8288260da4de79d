"""``newsradar clean tune``: derive the text path's parameters from pages with gold.

1. Every line of every page dump is labelled story / not story by how much of it
   (word 4-grams) is in the gold body.
2. A logistic model over the line features (``_features.FEATURE_NAMES``) is fitted by
   Newton's method with an L2 penalty, each line weighted by its length (long lines
   carry the score).
3. The span parameters (threshold, costs of non-story lines) are chosen by grid search
   on the benchmark F1 over the same pages, taking the setting whose neighbourhood on
   the grid scores best (a flat optimum rather than a lucky spike).

Page sets come in two layouts: ``DIR/*.txt`` + ``DIR/gold/*.txt`` whose gold is the
headline, a blank line, then the body (the seeds' layout), or ``DIR/text/*.txt`` +
``DIR/gold/*.txt`` whose gold is the body alone (the extraction benchmark's layout).
A set given with ``--half-of`` contributes only the pages whose id hashes to the tuning
half (``in_tune_half``); the other half stays out for measuring.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from ._features import CONTEXT_NAMES, FEATURE_NAMES, LineInfo, feature_rows, line_logits
from ._params import DEFAULT_WEIGHTS, FORMAT_VERSION, Params
from ._score import aggregate, score_page, shingles
from ._textpath import TextCleaner, _Line

L2 = 1.0
# The span parameters searched: where the span is drawn and where a line in it is kept.
# The costs of non-story lines stay at the defaults below: on the flat pages of the
# seeds' outlets (no indentation, few lines) a cheap section-ender or caption lets the
# story be cut short at a photo caption or share row, which the benchmark's pages,
# tuned on alone, do not show.
GRID_STEPS: tuple[dict[str, tuple[float, ...]], ...] = (
    {"threshold": (0.2, 0.25, 0.35),
     "keep_threshold": (0.4, 0.45, 0.5)},
)
COSTS = {"neg_scale": 1.0, "drop_pen": 0.3, "end_pen": 2.0}
GRID = {k: v for step in GRID_STEPS for k, v in step.items()}
# the product wants precision first (an alert about a page's sidebar is worse than a
# missed sentence): among the settings whose precision on the tuning pages reaches this,
# the best F1 wins (any setting, if none does).
PRECISION_FLOOR = 0.95


class TuneError(Exception):
    """Bad tuning input: names the directory or file."""


@dataclass
class GoldPage:
    page_id: str
    source: str
    text: str
    body: str
    title: str | None


def in_tune_half(page_id: str) -> bool:
    """The stable split of a half-used page set: True for the tuning half."""
    return hashlib.sha1(page_id.encode("utf-8")).digest()[0] % 2 == 0


def load_pages(directory: Path, half: bool = False) -> list[GoldPage]:
    """The pages with gold in one directory (see the module docstring for layouts)."""
    gold_dir = directory / "gold"
    if not gold_dir.is_dir():
        raise TuneError(f"{directory}: no gold/ directory (expected DIR/gold/<page>.txt)")
    bench_layout = (directory / "text").is_dir()
    text_dir = directory / "text" if bench_layout else directory
    pages: list[GoldPage] = []
    for path in sorted(text_dir.glob("*.txt")):
        gold_path = gold_dir / path.name
        if not gold_path.is_file():
            continue
        if half and not in_tune_half(path.stem):
            continue
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
            gold = gold_path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise TuneError(f"{path}: cannot read ({exc.strerror})") from exc
        title: str | None = None
        if not bench_layout:
            head, _, rest = gold.partition("\n")
            title, gold = head.strip() or None, rest
        pages.append(GoldPage(path.stem, str(directory), text, gold.strip(), title))
    if not pages:
        raise TuneError(f"{directory}: no page with a gold file found")
    return pages


def _label(info: LineInfo, gold: Counter[tuple[str, ...]], page: GoldPage) -> tuple[float, float]:
    """A line's label (1: most of its shingles are in the gold body) and its weight
    (longer lines weigh more, up to 4x; the page's own weight)."""
    sh = shingles(info.text)
    total = sum(sh.values())
    inside = sum((sh & gold).values())
    y = 1.0 if total and inside / total >= 0.5 else 0.0
    return y, max(0.2, min(info.n_chars, 400) / 100.0) * _page_weight(page)


def _rows(pages: list[GoldPage], cleaner: TextCleaner,
          rows_of: Callable[[TextCleaner, list[_Line]], list[list[float]]]
          ) -> tuple[list[list[float]], list[float], list[float]]:
    """Feature rows (``rows_of(cleaner, lines)``) of the lines no rule decides (rules
    decide the others; the model never sees them), with their labels and weights."""
    xs: list[list[float]] = []
    ys: list[float] = []
    ws: list[float] = []
    for page in pages:
        gold = shingles(page.body)
        lines = cleaner._lines(page.text, [])
        if not lines:
            continue
        cleaner._score(lines)
        for ln, row in zip(lines, rows_of(cleaner, lines)):
            if ln.rule is not None:
                continue
            xs.append(row)
            y, w = _label(ln.info, gold, page)
            ys.append(y)
            ws.append(w)
    return xs, ys, ws


def _labelled_rows(pages: list[GoldPage], cleaner: TextCleaner
                   ) -> tuple[list[list[float]], list[float], list[float]]:
    """Stage-1 rows (the line features)."""
    return _rows(pages, cleaner, lambda _c, lines: feature_rows([ln.info for ln in lines]))


def _context_rows(cleaner: TextCleaner, lines: list[_Line]) -> list[list[float]]:
    z = line_logits([ln.info for ln in lines], cleaner._w)
    z = cleaner.restage(lines, z, cleaner._stages)
    return cleaner.context(lines, z)


def _stage2_rows(pages: list[GoldPage], cleaner: TextCleaner
                 ) -> tuple[list[list[float]], list[float], list[float]]:
    """Stage-2 rows (the page context, ``CONTEXT_NAMES``) of the lines no rule decides,
    with the stage-1 logits of ``cleaner``'s weights; labels and weights as stage 1's."""
    return _rows(pages, cleaner, _context_rows)


def fit_weights(pages: list[GoldPage]) -> Params:
    """Both stages' weights fitted on ``pages`` (span parameters left at their defaults):
    stage 1 on the line features, then stage 2 on the page context with stage 1's
    logits."""
    weights = _fit_stage1(pages)
    # stage 2 learns how far to trust stage 1 from stage-1 scores of pages stage 1 did
    # not see (cross-fitted in CROSS_FIT parts), as it will meet them on new pages
    x2: list[list[float]] = []
    y2: list[float] = []
    w2: list[float] = []
    parts = [[p for p in pages if _part(p) == k] for k in range(CROSS_FIT)]
    for k, held in enumerate(parts):
        rest = [p for j, part in enumerate(parts) if j != k for p in part]
        if not held:
            continue
        w1 = _fit_stage1(rest) if rest else weights
        xa, ya, wa = _stage2_rows(held, TextCleaner(Params(weights=w1)))
        x2 += xa
        y2 += ya
        w2 += wa
    beta2 = fit_logistic(x2, y2, w2)
    return Params(weights=weights,
                  weights2={n: round(b, 4) for n, b in zip(CONTEXT_NAMES, beta2)})


CROSS_FIT = 3
# pages in the seeds' layout (gold with its headline: the outlets this install was
# tuned for) weigh more than a benchmark page each; they must clean to their gold
SEED_WEIGHT = 1.0


def _page_weight(page: GoldPage) -> float:
    return SEED_WEIGHT if page.title is not None else 1.0


def _part(page: GoldPage) -> int:
    return hashlib.sha1(f"{page.source}/{page.page_id}".encode()).digest()[1] % CROSS_FIT


def _fit_stage1(pages: list[GoldPage]) -> dict[str, float]:
    xs, ys, ws = _labelled_rows(pages, TextCleaner(Params(weights=dict(DEFAULT_WEIGHTS))))
    if not xs or not any(ys) or all(ys):
        raise TuneError("the gold gives no story/non-story contrast to fit on")
    beta = fit_logistic(xs, ys, ws)
    return {n: round(b, 4) for n, b in zip(FEATURE_NAMES, beta)}


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (the systems are 18 x 18)."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        piv = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[piv] = m[piv], m[c]
        if abs(m[c][c]) < 1e-12:
            continue
        for r in range(c + 1, n):
            f = m[r][c] / m[c][c]
            if f:
                for k in range(c, n + 1):
                    m[r][k] -= f * m[c][k]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        s = m[r][n] - sum(m[r][k] * x[k] for k in range(r + 1, n))
        x[r] = s / m[r][r] if abs(m[r][r]) > 1e-12 else 0.0
    return x


def fit_logistic(xs: list[list[float]], ys: list[float], ws: list[float],
                 iters: int = 12) -> list[float]:
    """Weighted L2-penalised logistic regression by Newton's method (no bias penalty).
    With numpy installed (the dev extras) the same iterations run vectorised."""
    import importlib.util

    if importlib.util.find_spec("numpy") is not None:
        import numpy as np

        return _fit_logistic_np(np, xs, ys, ws, iters)
    d = len(xs[0])
    beta = [0.0] * d
    for _ in range(iters):
        grad = [0.0] * d
        hess = [[0.0] * d for _ in range(d)]
        for x, y, w in zip(xs, ys, ws):
            z = sum(a * b for a, b in zip(beta, x))
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
            g = w * (p - y)
            h = w * p * (1 - p)
            for i in range(d):
                xi = x[i]
                if xi == 0.0:
                    continue
                grad[i] += g * xi
                hi = h * xi
                row = hess[i]
                for j in range(i, d):
                    row[j] += hi * x[j]
        for i in range(d):
            for j in range(i):
                hess[i][j] = hess[j][i]
            if i > 0:  # leave the bias unpenalised
                grad[i] += L2 * beta[i]
                hess[i][i] += L2
            hess[i][i] += 1e-9
        step = _solve(hess, grad)
        beta = [b - s for b, s in zip(beta, step)]
        if max(abs(s) for s in step) < 1e-6:
            break
    return beta


def _fit_logistic_np(np, xs, ys, ws, iters: int) -> list[float]:  # noqa: ANN001
    x = np.asarray(xs, dtype=float)
    y = np.asarray(ys, dtype=float)
    w = np.asarray(ws, dtype=float)
    d = x.shape[1]
    beta = np.zeros(d)
    pen = np.full(d, L2)
    pen[0] = 0.0  # leave the bias unpenalised
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ beta, -30.0, 30.0)))
        grad = x.T @ (w * (p - y)) + pen * beta
        hess = (x * (w * p * (1 - p))[:, None]).T @ x + np.diag(pen + 1e-9)
        step = np.linalg.solve(hess, grad)
        beta = beta - step
        if np.abs(step).max() < 1e-6:
            break
    return [float(b) for b in beta]


def evaluate(params: Params, pages: list[GoldPage]) -> tuple[float, float, float]:
    cleaner = TextCleaner(params)
    scores = [score_page(cleaner.clean(p.text).text, p.body) for p in pages]
    return aggregate(scores)


def tune_pages(pages: list[GoldPage]) -> Params:
    """The fitted parameters for a list of pages (no provenance): what the bench's
    cross-validation refits on each fold."""
    return _fit_pages(pages)[0]


def _fit_pages(pages: list[GoldPage]) -> tuple[Params, dict]:
    base = Params(weights=dict(DEFAULT_WEIGHTS))
    fitted = fit_weights(pages)
    weights = fitted.weights
    xs = _labelled_rows(pages, TextCleaner(base))[0]
    before = evaluate(base, pages)
    best = replace(fitted, **COSTS)
    for step in GRID_STEPS:
        best = _grid_step(best, step, pages)
    after = evaluate(best, pages)
    return best, {"before": before, "after": after, "xs": xs, "weights": weights}


def _grid_step(start: Params, grid: dict[str, tuple[float, ...]], pages: list[GoldPage]
               ) -> Params:
    """The best setting of ``grid``'s parameters, the others as in ``start``. Pages in the
    seeds' layout must clean to their gold (F1 1.0) where any setting lets them; then
    the precision floor; then the best F1 of the setting and its grid neighbours (a flat
    optimum carries over to new pages, a spike between two poor settings is noise)."""
    keys = list(grid)
    seeds = [k for k, p in enumerate(pages) if p.title is not None]
    res: dict[tuple[int, ...], tuple[float, float, bool]] = {}
    for idx in itertools.product(*(range(len(grid[k])) for k in keys)):
        cand = replace(start, **{k: grid[k][i] for k, i in zip(keys, idx)})
        cleaner = TextCleaner(cand)
        scores = [score_page(cleaner.clean(p.text).text, p.body) for p in pages]
        prec, _, f1 = aggregate(scores)
        res[idx] = (f1, prec, all(scores[k].f1 >= 1.0 - 1e-9 for k in seeds))
    pool = [i for i in res if res[i][2]] or list(res)
    pool = [i for i in pool if res[i][1] >= PRECISION_FLOOR] or pool
    best_idx, best_smooth = pool[0], -1.0
    for idx in pool:
        near = [res[j][0] for j in res if all(abs(a - b) <= 1 for a, b in zip(idx, j))]
        smooth = (res[idx][0] + sum(near) / len(near)) / 2
        if smooth > best_smooth + 1e-9:
            best_idx, best_smooth = idx, smooth
    return replace(start, **{k: grid[k][i] for k, i in zip(keys, best_idx)})


def tune(seed_dirs: list[Path], half_dirs: list[Path]) -> tuple[Params, str]:
    """Fit parameters on the given page sets; returns them and a printable report."""
    pages: list[GoldPage] = []
    sources: list[dict[str, object]] = []
    for d in seed_dirs:
        got = load_pages(Path(d))
        pages += got
        sources.append({"dir": str(d), "pages": len(got), "half": None})
    for d in half_dirs:
        got = load_pages(Path(d), half=True)
        pages += got
        sources.append({"dir": str(d), "pages": len(got), "half": "tune (in_tune_half)"})
    if not pages:
        raise TuneError("no pages to tune on")
    best, info = _fit_pages(pages)
    before, after, xs, weights, keys = (info["before"], info["after"], info["xs"],
                                        info["weights"], list(GRID) + list(COSTS))
    ids = hashlib.sha1("\n".join(sorted(f"{p.source}/{p.page_id}" for p in pages))
                       .encode()).hexdigest()[:16]
    best = replace(best, version=FORMAT_VERSION, provenance={
        "tuned_on": sources,
        "pages": len(pages),
        "page_set_sha1": ids,
        "lines": len(xs),
        "in_sample_f1": round(after[2], 4),
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": "newsradar clean tune " + " ".join(
            [f"--seeds {d}" for d in seed_dirs] + [f"--half-of {d}" for d in half_dirs]),
    })
    report = "\n".join([
        f"tuned on {len(pages)} pages ({len(xs)} lines) from: "
        + ", ".join(f"{s['dir']} ({s['pages']}{', tuning half' if s['half'] else ''})"
                    for s in sources),
        f"in-sample F1 before {before[2]:.4f} (P {before[0]:.4f} R {before[1]:.4f}), "
        f"after {after[2]:.4f} (P {after[0]:.4f} R {after[1]:.4f})",
        "span: " + ", ".join(f"{k}={getattr(best, k)}" for k in keys),
        "weights: " + ", ".join(f"{k}={v:+.2f}" for k, v in weights.items()),
        "stage 2 (page context): " + ", ".join(f"{k}={v:+.2f}" for k, v in best.weights2.items()),
    ])
    return best, report
