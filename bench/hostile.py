"""Benchmark: CPU seconds and peak memory of each stage on each hostile input.

    .venv/bin/python bench/hostile.py [--case NAME ...] [--code DIR] [--before DIR]
                                      [--timeout 60]

Cases come from tests/data/hostile.py (pages -> clean_page, feeds -> parse_feed with the
per-poll cap of 100 entries, queries -> match_topic on the WHOLE story, no bounding of
the text, so the matcher's own cost shows, explanation and highlights built as the
pipeline stores them). Each case runs in its own process: the
figures are the child's CPU seconds for the stage call alone and the child's peak RSS
(imports and building the input included; "base" is the RSS just before the stage
call). ``--code DIR`` imports ``worker`` from another checkout; ``--before DIR`` measures that
checkout too and prints both side by side (the same inputs: the cases always come from
this checkout's tests/data/hostile.py). A case over ``--timeout`` seconds of wall time is killed and shown
as such. Target: every case <= 2 s CPU and <= 300 MB. Figures only; nothing asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_one(name: str) -> dict:
    sys.path.insert(0, str(ROOT / "tests" / "data"))
    import hostile  # noqa: PLC0415

    stage, make, _ = hostile.CASES[name]
    made = make()
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out: dict = {}
    if stage == "page":
        from worker.clean import clean_page

        data, ctype = made
        t0 = time.process_time()
        story = clean_page(data, content_type=ctype, url="https://hostile.example/page")
        cpu = time.process_time() - t0
        out = {"status": story.status, "chars": len(story.text or "")}
    elif stage == "feed":
        from worker.errors import FeedParseError
        from worker.sources import parse_feed

        data, ctype = made
        t0 = time.process_time()
        try:
            feed = parse_feed(data, url="https://hostile.example/feed", content_type=ctype,
                              max_entries=100)
            out = {"entries": len(feed.entries),
                   "longest_field": max((len(e.content or e.summary or "")
                                         for e in feed.entries), default=0)}
        except FeedParseError as exc:
            out = {"error": exc.code}
        cpu = time.process_time() - t0
    else:
        from worker.topics import Document, Topic, match_topic

        query, title, body, lists = made
        t0 = time.process_time()
        m = match_topic(Topic("t", "t", query), Document(title, body), lists)
        if m is not None:  # the pipeline stores both: build them as it does
            hits = len(m.explanation.get("hits", ())) + len(m.highlights)
        cpu = time.process_time() - t0
        out = {"matched": m is not None, "score": m.score if m else 0,
               "listed": hits if m else 0}
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"case": name, "cpu_s": round(cpu, 3), "peak_mb": round(peak), "base_mb": round(base),
            "result": out}


def _run(name: str, code: str, timeout: float) -> dict | str:
    """One case in a child process importing ``worker`` from ``code``: its figures, or
    why there are none."""
    env = dict(os.environ)
    env["PYTHONPATH"] = code + os.pathsep + env.get("PYTHONPATH", "")
    try:
        proc = subprocess.run([sys.executable, __file__, "--one", name], env=env,
                              capture_output=True, text=True, timeout=timeout, cwd=code)
    except subprocess.TimeoutExpired:
        return f">{timeout:g} s wall: killed"
    if proc.returncode != 0:
        return "crashed: " + (proc.stderr.strip().splitlines() or ["?"])[-1][:70]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--case", action="append", help="run only this case (repeatable)")
    ap.add_argument("--code", help="checkout whose worker/ package to measure")
    ap.add_argument("--before", help="also measure this checkout; print both side by side")
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one)))
        return
    sys.path.insert(0, str(ROOT / "tests" / "data"))
    import hostile  # noqa: PLC0415

    names = args.case or list(hostile.CASES)
    code = str(Path(args.code).resolve()) if args.code else str(ROOT)
    if args.before:
        before = str(Path(args.before).resolve())
        print(f"before: {before}\nafter:  {code}")
        print(f"{'case':28} {'cpu s':>9} {'peak MB':>8}   {'cpu s':>7} {'peak MB':>8}  after: result")
        print(f"{'':28} {'-- before --':>18}   {'-- after --':>16}")
        for name in names:
            b, a = _run(name, before, args.timeout), _run(name, code, args.timeout)
            bc = f"{b['cpu_s']:9.2f} {b['peak_mb']:8d}" if isinstance(b, dict) else f"{b[:18]:>18}"
            ac = f"{a['cpu_s']:7.2f} {a['peak_mb']:8d}" if isinstance(a, dict) else f"{a[:16]:>16}"
            res = json.dumps(a["result"]) if isinstance(a, dict) else ""
            print(f"{name:28} {bc}   {ac}  {res}", flush=True)
        return
    print(f"code: {code}")
    print(f"{'case':28} {'cpu s':>8} {'peak MB':>8} {'base MB':>8}  result")
    for name in names:
        r = _run(name, code, args.timeout)
        if not isinstance(r, dict):
            print(f"{name:28} {r}", flush=True)
            continue
        print(f"{name:28} {r['cpu_s']:8.2f} {r['peak_mb']:8d} {r['base_mb']:8d}  "
              f"{json.dumps(r['result'])}", flush=True)


if __name__ == "__main__":
    main()
