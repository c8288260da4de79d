"""Train the HTML path's block model, and measure it cross-validated.

    .venv/bin/python -m worker.clean.train_html ../shared/bench/extraction [--out FILE]

The directory holds ``html/<id>.html.gz`` and ``gold/<id>.txt`` (the extraction
benchmark's layout). Every block of every page is labelled story / not story by the
share of its word 4-grams in the gold body; two L2-penalised logistic models are fitted
(stage 1 on the block's own features, stage 2 adding its neighbours' stage-1 scores),
each block weighted by its length; the keep threshold is the one that scores best on
the training pages. Writes ``worker/clean/html_model.json`` unless ``--out`` is given,
and prints the 5-fold cross-validated figure (every page scored by a model fitted
without it) next to the in-sample one.

Training needs numpy (a dev dependency); the shipped model is read without it.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ._htmlmodel import (
    FEATURE_NAMES,
    STAGE1_NAMES,
    BlockModel,
    gold_labels,
    stage1_rows,
    stage2_extra,
)
from ._htmlpath import choose_blocks, filter_lines, page_parts
from ._score import PageScore, aggregate, score_page

L2 = 1.0
THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)
FOLDS = 5


@dataclass
class PageRows:
    page_id: str
    texts: list[str]
    rows1: list[list[float]]
    labels: list[float]
    weights: list[float]
    gold: str
    title: str | None
    traf_text: str = ""


def load_bench_pages(directory: Path) -> list[tuple[str, str, str]]:
    """(id, html, gold body) for every page with gold."""
    out = []
    for gold in sorted((directory / "gold").glob("*.txt")):
        html_path = directory / "html" / f"{gold.stem}.html.gz"
        if not html_path.is_file():
            continue
        html = gzip.decompress(html_path.read_bytes()).decode("utf-8", errors="replace")
        out.append((gold.stem, html, gold.read_text(encoding="utf-8")))
    return out


def page_rows(page_id: str, html: str, gold: str) -> PageRows:
    parts = page_parts(html)
    rows = stage1_rows(parts.blocks, parts.scores, parts.traf_text, parts.meta.title,
                       parts.traf_cov, parts.tokens)
    labels = gold_labels(parts.blocks, gold)
    weights = [max(0.2, min(len(b.text), 400) / 100.0) for b in parts.blocks]
    return PageRows(page_id, [b.text for b in parts.blocks], rows, labels, weights, gold,
                    parts.meta.title, parts.traf_text)


def fold_of(page_id: str) -> int:
    """A page's fold: stable, from a hash of its id."""
    return hashlib.sha1(page_id.encode("utf-8")).digest()[0] % FOLDS


def _fit(x, y, w, iters: int = 25):  # numpy arrays -> weights
    import numpy as np

    d = x.shape[1]
    beta = np.zeros(d)
    pen = np.full(d, L2)
    pen[0] = 0.0  # the bias is not penalised
    for _ in range(iters):
        z = np.clip(x @ beta, -30, 30)
        p = 1.0 / (1.0 + np.exp(-z))
        g = x.T @ (w * (p - y)) + pen * beta
        h = (x * (w * p * (1 - p))[:, None]).T @ x + np.diag(pen + 1e-9)
        step = np.linalg.solve(h, g)
        beta -= step
        if np.abs(step).max() < 1e-6:
            break
    return beta


def fit(pages: list[PageRows], provenance: dict | None = None) -> BlockModel:
    import numpy as np

    x1 = np.array([r for p in pages for r in p.rows1], dtype=float)
    y = np.array([v for p in pages for v in p.labels], dtype=float)
    w = np.array([v for p in pages for v in p.weights], dtype=float)
    w1 = _fit(x1, y, w)
    extra = []
    for p in pages:
        z1 = list(np.array(p.rows1, dtype=float) @ w1) if p.rows1 else []
        extra += stage2_extra(z1)
    x2 = np.hstack([x1, np.array(extra, dtype=float).reshape(len(x1), -1)])
    w2 = _fit(x2, y, w)
    model = BlockModel(list(map(float, w1)), list(map(float, w2)), 0.5, provenance or {})
    best = max(THRESHOLDS, key=lambda t: (_smooth(model, pages, t)))
    model.threshold = best
    return model


def _smooth(model: BlockModel, pages: list[PageRows], t: float) -> float:
    model.threshold = t
    return aggregate(score_pages(model, pages))[2]


def predict(model: BlockModel, page: PageRows) -> str:
    text = choose_blocks(page.texts, model.probabilities(page.rows1), model.threshold)
    if not text.strip():
        text = page.traf_text  # as extract_html does when the model keeps nothing
    return filter_lines(text, page.title, [])


def score_pages(model: BlockModel, pages: list[PageRows]) -> list[PageScore]:
    return [score_page(predict(model, p), p.gold) for p in pages]


def cross_validate(pages: list[PageRows], folds: dict[str, int] | None = None
                   ) -> dict[str, PageScore]:
    """Every page scored by the model fitted on the other folds (``folds``: page id ->
    fold, e.g. by site; by default ``fold_of`` the page id)."""
    out: dict[str, PageScore] = {}
    fold = folds.__getitem__ if folds is not None else fold_of
    for k in range(FOLDS):
        train = [p for p in pages if fold(p.page_id) != k]
        test = [p for p in pages if fold(p.page_id) == k]
        if not train or not test:
            continue
        model = fit(train)
        for p, s in zip(test, score_pages(model, test)):
            out[p.page_id] = s
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Train the HTML path's block model.")
    ap.add_argument("bench", type=Path, help="directory with html/ and gold/")
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("html_model.json"))
    args = ap.parse_args(argv)
    raw = load_bench_pages(args.bench)
    if not raw:
        sys.exit(f"{args.bench}: no pages with html/ and gold/")
    pages = [page_rows(i, h, g) for i, h, g in raw]
    cv = cross_validate(pages)
    cvp, cvr, cvf = aggregate([cv[p.page_id] for p in pages if p.page_id in cv])
    ids = hashlib.sha1("\n".join(sorted(p.page_id for p in pages)).encode()).hexdigest()[:16]
    model = fit(pages)
    insample = aggregate(score_pages(model, pages))
    model.provenance = {
        "command": f"python -m worker.clean.train_html {args.bench}",
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "pages": len(pages), "blocks": sum(len(p.rows1) for p in pages),
        "page_set_sha1": ids,
        "cv5_f1": round(cvf, 4), "in_sample_f1": round(insample[2], 4),
    }
    args.out.write_text(model.to_json(), encoding="utf-8")
    print(f"{len(pages)} pages, {model.provenance['blocks']} blocks; threshold {model.threshold}")
    print(f"5-fold CV  F1 {cvf:.4f} (P {cvp:.4f} R {cvr:.4f})")
    print(f"in-sample  F1 {insample[2]:.4f} (P {insample[0]:.4f} R {insample[1]:.4f})")
    print(f"wrote {args.out}")
    assert len(FEATURE_NAMES) == len(model.w2) and len(STAGE1_NAMES) == len(model.w1)


if __name__ == "__main__":
    main()
