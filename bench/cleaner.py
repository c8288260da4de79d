"""Cleaner quality and speed, side by side, in one run.

    .venv/bin/python bench/cleaner.py            # from the repository root

Prints precision, recall and F1 (the metric of ../shared/bench/extraction/README.md)
and pages per second (CPU time of this one process, so one core; extraction only, the
input already in memory; the text path's rate is the best of three timed passes, the
HTML extractors' one pass each) for:

  (a) the five seed pages, text path, against seeds/gold (title scored separately);
  (b) the benchmark's HTML pages: our HTML path 5-fold cross-validated (every page
      scored by a block model fitted without it) and with the packaged model (in-sample:
      it was fitted on these pages), next to trafilatura alone (favor_precision, no
      comments), readability-lxml and jusText; then the cost of our HTML path per page
      against trafilatura alone, timed page by page in alternation (so that load from
      other processes hits both alike), as a ratio;
  (c) the same pages' text dumps (text/), text path: 5-fold cross-validated (both line
      models and the span thresholds re-fitted by ``clean tune``'s fit on the other folds
      plus the seeds) and with the packaged parameters (in-sample where tuned on them).

The figures say where they are in-sample: the packaged parameters (worker/clean/
params.json) record which page sets ``newsradar clean tune`` used, the block model
(worker/clean/html_model.json) which pages ``python -m worker.clean.train_html`` used.

    .venv/bin/python bench/cleaner.py [--bench DIR] [--skip-others] [--no-cv]
    .venv/bin/python bench/cleaner.py --cost-against REV   # the cost ratio before/after
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from worker.clean import clean_page, clean_text, load_params  # noqa: E402
from worker.clean._score import PageScore, aggregate, score_page  # noqa: E402
from worker.clean._tune import in_tune_half  # noqa: E402

# the shared benchmark data: beside a checkout in /work/main, or one level further up
# from a worktree in /work/wt/NAME
_BENCH_PLACES = (ROOT.parent / "shared" / "bench" / "extraction",
                 ROOT.parent.parent / "shared" / "bench" / "extraction")
BENCH = next((p for p in _BENCH_PLACES if p.is_dir()), _BENCH_PLACES[0])
SEEDS = ROOT / "seeds"


def _read_bench() -> list[tuple[str, str, str, str]]:
    """(id, html, text dump, gold body) for every benchmark page."""
    pages = []
    for gold in sorted((BENCH / "gold").glob("*.txt")):
        pid = gold.stem
        html = gzip.decompress((BENCH / "html" / f"{pid}.html.gz").read_bytes()).decode(
            "utf-8", errors="replace")
        text = (BENCH / "text" / f"{pid}.txt").read_text(encoding="utf-8", errors="replace")
        pages.append((pid, html, text, gold.read_text(encoding="utf-8")))
    return pages


def _run(fn: Callable[[str], str], inputs: list[str], golds: list[str], repeat: int = 1
         ) -> tuple[list[PageScore], float]:
    """Scores of one pass, and pages per CPU second: the best of ``repeat`` timed passes
    after the scoring pass (which warms caches), so that other load skews less; with
    ``repeat=0`` the scoring pass itself is timed."""
    outs = [fn(x) for x in inputs]
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        for x in inputs:
            fn(x)
        best = min(best, time.process_time() - t0)
    if repeat == 0:  # time the scoring pass itself (slow extractors)
        t0 = time.process_time()
        outs = [fn(x) for x in inputs]
        best = time.process_time() - t0
    return [score_page(o, g) for o, g in zip(outs, golds)], len(inputs) / best if best else 0.0


def _trafilatura(html: str) -> str:
    import trafilatura

    return trafilatura.extract(html, favor_precision=True, include_comments=False) or ""


def _readability(html: str) -> str:
    from lxml import html as lxml_html
    from readability import Document

    try:
        summary = Document(html).summary(html_partial=True)
    except Exception:  # readability raises on pages it cannot parse: an empty result
        return ""
    root = lxml_html.fromstring(summary)
    return "\n".join(t.strip() for t in root.itertext() if t.strip())


def _justext(html: str) -> str:
    import justext

    try:
        paras = justext.justext(html.encode("utf-8"), justext.get_stoplist("English"))
    except Exception:  # jusText raises on empty documents
        return ""
    return "\n\n".join(p.text for p in paras if not p.is_boilerplate)


def _ours_html(html: str) -> str:
    return clean_page(html, content_type="text/html").text


def _ours_text(text: str) -> str:
    return clean_text(text).text


def _row(name: str, scores: list[PageScore], pps: float | None, note: str = "") -> str:
    p, r, f = aggregate(scores)
    rate = f"{pps:9.1f}" if pps is not None else f"{'-':>9s}"
    return f"  {name:<44s} {len(scores):>5d} {p:8.4f} {r:8.4f} {f:8.4f} {rate}  {note}".rstrip()


HEADER = f"  {'extractor':<44s} {'pages':>5s} {'P':>8s} {'R':>8s} {'F1':>8s} {'pages/s':>9s}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--skip-others", action="store_true",
                    help="Do not run trafilatura, readability-lxml and jusText.")
    ap.add_argument("--no-cv", action="store_true",
                    help="Skip the cross-validated figures (they refit the models, minutes).")
    ap.add_argument("--bench", type=Path, default=None,
                    help="The extraction benchmark directory (html/, text/, gold/).")
    ap.add_argument("--cost-against", metavar="REV", default=None,
                    help="Only the HTML path's cost: this checkout's and git revision REV's "
                         "cleaner and trafilatura alone, page by page in alternation.")
    args = ap.parse_args()
    global BENCH
    if args.bench is not None:
        BENCH = args.bench
    if args.cost_against:
        _cost_against(args.cost_against)
        return

    params = load_params()
    prov = params.provenance or {}
    tuned = prov.get("tuned_on") or []
    # the tune command records directories as given, relative to the repository root
    tuned_dirs = {(ROOT / s["dir"]).resolve(): s.get("half") for s in tuned
                  if isinstance(s, dict) and "dir" in s}
    seeds_in_sample = SEEDS.resolve() in tuned_dirs or not tuned
    # the tune command records directories as given (e.g. ../shared/bench/extraction from
    # a checkout beside shared/); any directory ending in bench/extraction is this benchmark
    bench_mode = next((h for d, h in tuned_dirs.items()
                       if d == BENCH.resolve() or d.parts[-2:] == ("bench", "extraction")),
                      "absent")
    print(f"parameters: worker/clean/params.json v{params.version}; "
          f"tuned by: {prov.get('command') or prov.get('source', 'unknown')}")

    # (a) seeds --------------------------------------------------------------------
    meta = json.loads((SEEDS / "gold" / "meta.json").read_text(encoding="utf-8"))
    ids = sorted(meta)
    texts = [(SEEDS / f"{i}.txt").read_text(encoding="utf-8") for i in ids]
    golds, titles = [], []
    for i in ids:
        head, _, body = (SEEDS / "gold" / f"{i}.txt").read_text(encoding="utf-8").partition("\n")
        golds.append(body.strip())
        titles.append(head.strip())
    stories = [clean_page(t) for t in texts]
    rounds = 40  # five short pages time too quickly to read once; best of 3 such runs
    dt = float("inf")
    for _ in range(3):
        t0 = time.process_time()
        for _ in range(rounds):
            for t in texts:
                clean_page(t)
        dt = min(dt, (time.process_time() - t0) / rounds)
    scores = [score_page(s.text, g) for s, g in zip(stories, golds)]
    print("\n(a) seed pages, text path, against seeds/gold"
          + ("  [IN-SAMPLE: the parameters were tuned on these pages]" if seeds_in_sample
             else ""))
    print(HEADER)
    print(_row("newsradar text path (body)", scores, len(texts) / dt))
    for i, s, sc in zip(ids, stories, scores):
        m = meta[i]
        ok = [s.title == m["title"], s.to_dict()["published"] == m["published"],
              s.author == m["author"]]
        print(f"    {i}  body F1 {sc.f1:.4f}  title {'ok' if ok[0] else 'WRONG'}  "
              f"date {'ok' if ok[1] else 'WRONG'}  author {'ok' if ok[2] else 'WRONG'}")
    n_title = sum(s.title == t for s, t in zip(stories, titles))
    print(f"    title exact match {n_title}/{len(ids)} (scored apart from the body)")

    if not BENCH.is_dir():
        print(f"\n(b), (c): benchmark data not found at {BENCH}")
        return
    bench = _read_bench()
    pids = [b[0] for b in bench]
    htmls = [b[1] for b in bench]
    dumps = [b[2] for b in bench]
    bgold = [b[3] for b in bench]

    # (b) HTML path ----------------------------------------------------------------
    from worker.clean import train_html
    from worker.clean._htmlmodel import load_block_model

    model = load_block_model()
    mprov = (model.provenance if model else {}) or {}
    print(f"\n(b) benchmark HTML pages ({len(bench)}), HTML path; block model "
          f"fitted by: {mprov.get('command', 'none packaged')} ({mprov.get('pages', 0)} pages)")
    print(HEADER)
    results: list[tuple[str, list[PageScore], float | None, str]] = []
    site_folds = _site_folds(pids)
    if not args.no_cv:
        rows = [train_html.page_rows(i, h, g) for i, h, g in zip(pids, htmls, bgold)]
        cv = train_html.cross_validate(rows)
        results.append(("newsradar HTML path, 5-fold cross-validated",
                        [cv[r.page_id] for r in rows], None,
                        "no page scored by a model that saw it"))
        cv = train_html.cross_validate(rows, site_folds)
        results.append(("  the same, folds by site",
                        [cv[r.page_id] for r in rows], None,
                        "no page scored by a model that saw its site"))
    sc, pps = _run(_ours_html, htmls, bgold, repeat=0)
    results.append(("newsradar HTML path, packaged model", sc, pps,
                    "IN-SAMPLE: the packaged model was fitted on these pages"))
    if not args.skip_others:
        for name, fn in (("trafilatura (favor_precision, no comments)", _trafilatura),
                         ("readability-lxml", _readability),
                         ("jusText (English stoplist)", _justext)):
            s2, p2 = _run(fn, htmls, bgold, repeat=0)
            results.append((name, s2, p2, ""))
    for name, s2, p2, note in results:
        print(_row(name, s2, p2, note))
    ours_t, traf_t = _cost(htmls)
    print(f"  cost per page: newsradar HTML path {ours_t * 1000:.1f} ms, trafilatura alone "
          f"{traf_t * 1000:.1f} ms; ratio {ours_t / traf_t:.3f} (target <= 1.1; each page "
          "timed in alternation, best of 3)")

    # (c) text dumps ----------------------------------------------------------------
    print(f"\n(c) benchmark text dumps ({len(bench)}), text path")
    print(HEADER)
    floor, _ = _run(lambda t: t, dumps, bgold, repeat=0)
    print(_row("whole dump, nothing removed (floor)", floor, None))
    sc, pps = _run(_ours_text, dumps, bgold, repeat=3)
    if not args.no_cv:
        cvs = _text_cv(pids, dumps, bgold)
        print(_row("newsradar text path, 5-fold cross-validated", cvs, None,
                   "re-tuned on the other folds + the seeds"))
        cvs = _text_cv(pids, dumps, bgold, site_folds)
        print(_row("  the same, folds by site", cvs, None,
                   "no page scored by parameters that saw its site"))
    if bench_mode == "absent":
        print(_row("newsradar text path, all pages", sc, pps,
                   "held out: params.json was not tuned on the benchmark"))
    elif bench_mode is None:  # tuned on every page of the benchmark (clean tune --seeds)
        print(_row("newsradar text path, packaged parameters", sc, pps,
                   "IN-SAMPLE: params.json was tuned on all these pages"))
    else:
        held = [s for s, i in zip(sc, pids) if not in_tune_half(i)]
        used = [s for s, i in zip(sc, pids) if in_tune_half(i)]
        print(_row("newsradar text path, held-out half", held, pps,
                   "held out from fitting (a few of its pages were read while writing rules)"))
        print(_row("newsradar text path, tuning half", used, pps,
                   "IN-SAMPLE (tuned with --half-of)"))
        print(_row("newsradar text path, all pages", sc, pps, "half in-sample"))


def _cost(htmls: list[str]) -> tuple[float, float]:
    """CPU seconds per page of our HTML path and of trafilatura alone: each page timed
    for both in alternation, best of three, so that a burst of load from other processes
    lands on both rather than on one."""
    ours = traf = 0.0
    for h in htmls:
        best_o = best_t = float("inf")
        for _ in range(3):
            t0 = time.process_time()
            _trafilatura(h)
            t1 = time.process_time()
            _ours_html(h)
            t2 = time.process_time()
            best_t, best_o = min(best_t, t1 - t0), min(best_o, t2 - t1)
        ours += best_o
        traf += best_t
    return ours / len(htmls), traf / len(htmls)


def _cost_against(rev: str) -> None:
    """The cost ratio before and after a change, in one run: ``worker/clean`` of git
    revision ``rev`` is unpacked into a temporary directory as the package ``baseclean``
    (the cleaner's modules import each other relatively), then every page is timed for
    trafilatura alone, that cleaner and this checkout's, in alternation, best of three."""
    import importlib
    import subprocess
    import tarfile
    import tempfile
    from io import BytesIO

    htmls = [b[1] for b in _read_bench()]
    tmp = Path(tempfile.mkdtemp(prefix="cleaner-base-"))
    tar = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "worker/clean"],
                         check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(tar)) as tf:
        tf.extractall(tmp, filter="data")
    (tmp / "worker" / "clean").rename(tmp / "baseclean")
    sys.path.insert(0, str(tmp))
    base = importlib.import_module("baseclean")
    fns = {"trafilatura": _trafilatura,
           rev: lambda h: base.clean_page(h, content_type="text/html"),
           "this checkout": _ours_html}
    for f in fns.values():
        f(htmls[0])
    total = dict.fromkeys(fns, 0.0)
    for h in htmls:
        best = dict.fromkeys(fns, float("inf"))
        for _ in range(3):
            for name, f in fns.items():
                t0 = time.process_time()
                f(h)
                best[name] = min(best[name], time.process_time() - t0)
        for name in fns:
            total[name] += best[name]
    n, traf = len(htmls), total["trafilatura"]
    print(f"cost per page over {n} pages (each page timed in alternation, best of 3):")
    for name, t in total.items():
        ratio = "" if name == "trafilatura" else f"  ratio {t / traf:.3f}"
        print(f"  {name:<20s} {t / n * 1000:6.1f} ms{ratio}")


def _site_folds(pids: list[str]) -> dict[str, int]:
    """Each page's fold by its site (the host of its URL in the benchmark's meta.json,
    without "www."), so that two pages of one outlet are never on both sides; pages
    without a URL fall back to a fold by id."""
    import hashlib
    from urllib.parse import urlparse

    from worker.clean.train_html import FOLDS, fold_of

    try:
        items = json.loads((BENCH / "meta.json").read_text(encoding="utf-8"))["items"]
        urls = {it["id"]: it["url"] for it in items}
    except (OSError, ValueError, KeyError, TypeError):
        urls = {}
    out: dict[str, int] = {}
    for i in pids:
        host = urlparse(urls[i]).netloc.lower().removeprefix("www.") if i in urls else ""
        out[i] = (hashlib.sha1(host.encode()).digest()[0] % FOLDS) if host else fold_of(i)
    return out


def _text_cv(pids: list[str], dumps: list[str], golds: list[str],
             folds: dict[str, int] | None = None) -> list[PageScore]:
    """The text path's parameters re-tuned (``clean tune``'s fit) on the seeds and four
    folds of the benchmark, each fifth scored by parameters that never saw it (folds by
    page id, or as ``folds`` gives)."""
    from worker.clean._params import Params  # noqa: F401  (the type tune returns)
    from worker.clean._textpath import TextCleaner
    from worker.clean._tune import GoldPage, tune_pages
    from worker.clean.train_html import FOLDS, fold_of

    seeds = _seed_pages()
    out: dict[str, PageScore] = {}
    fold = folds.__getitem__ if folds is not None else fold_of
    for k in range(FOLDS):
        train = [GoldPage(i, "bench", t, g, None)
                 for i, t, g in zip(pids, dumps, golds) if fold(i) != k]
        params = tune_pages(seeds + train)
        cleaner = TextCleaner(params)
        for i, t, g in zip(pids, dumps, golds):
            if fold(i) == k:
                out[i] = score_page(cleaner.clean(t).text, g)
    return [out[i] for i in pids]


def _seed_pages():
    from worker.clean._tune import load_pages

    return load_pages(SEEDS)

if __name__ == "__main__":
    main()
