"""Cleaner quality and speed, side by side, in one run.

    .venv/bin/python bench/cleaner.py            # from the repository root

Prints precision, recall and F1 (the metric of ../shared/bench/extraction/README.md)
and pages per second (CPU time of this one process, so one core; extraction only, the
input already in memory; the text path's rate is the best of three timed passes, the
HTML extractors' one pass each) for:

  (a) the five seed pages, text path, against seeds/gold (title scored separately);
  (b) the benchmark's HTML pages: our HTML path next to trafilatura alone
      (favor_precision, no comments), readability-lxml and jusText;
  (c) the same pages' text dumps (text/), text path.

The figures say where they are in-sample: the packaged parameters (worker/clean/
params.json) record which page sets ``newsradar clean tune`` used. A benchmark set
tuned with ``--half-of`` is reported on its held-out half and on its tuning half apart.
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

BENCH = ROOT.parent / "shared" / "bench" / "extraction"
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
    args = ap.parse_args()

    params = load_params()
    prov = params.provenance or {}
    tuned = prov.get("tuned_on") or []
    # the tune command records directories as given, relative to the repository root
    tuned_dirs = {(ROOT / s["dir"]).resolve(): s.get("half") for s in tuned
                  if isinstance(s, dict) and "dir" in s}
    seeds_in_sample = SEEDS.resolve() in tuned_dirs or not tuned
    bench_mode = tuned_dirs.get(BENCH.resolve(), "absent") if BENCH.resolve() in tuned_dirs \
        else "absent"
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
    print(f"\n(b) benchmark HTML pages ({len(bench)}), HTML path  [no fitted parameters; "
          "its line rules were written while reading error cases of the tuning half]")
    print(HEADER)
    results: list[tuple[str, list[PageScore], float]] = []
    sc, pps = _run(_ours_html, htmls, bgold, repeat=0)
    results.append(("newsradar HTML path", sc, pps))
    if not args.skip_others:
        for name, fn in (("trafilatura (favor_precision, no comments)", _trafilatura),
                         ("readability-lxml", _readability),
                         ("jusText (English stoplist)", _justext)):
            s2, p2 = _run(fn, htmls, bgold, repeat=0)
            results.append((name, s2, p2))
    for name, s2, p2 in results:
        print(_row(name, s2, p2))

    # (c) text dumps ----------------------------------------------------------------
    print(f"\n(c) benchmark text dumps ({len(bench)}), text path")
    print(HEADER)
    floor, _ = _run(lambda t: t, dumps, bgold, repeat=0)
    print(_row("whole dump, nothing removed (floor)", floor, None))
    sc, pps = _run(_ours_text, dumps, bgold, repeat=3)
    if bench_mode == "absent":
        print(_row("newsradar text path, all pages", sc, pps,
                   "held out: params.json was not tuned on the benchmark"))
    else:
        held = [s for s, i in zip(sc, pids) if not in_tune_half(i)]
        used = [s for s, i in zip(sc, pids) if in_tune_half(i)]
        print(_row("newsradar text path, held-out half", held, pps,
                   "held out from fitting (a few of its pages were read while writing rules)"))
        print(_row("newsradar text path, tuning half", used, pps,
                   "IN-SAMPLE (tuned with --half-of)"))
        print(_row("newsradar text path, all pages", sc, pps, "half in-sample"))


if __name__ == "__main__":
    main()
