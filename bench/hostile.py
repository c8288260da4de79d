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

``--runners`` runs each case through the whole pipeline instead, in both runners: a local
HTTP server (in this process) serves the case (a page behind a one-item feed, a feed, or
a query's story behind a feed with the query as the topic), and a fresh child process
with its own SQLite database polls the feed and processes its articles:

* ``embedded``: ``run_once`` in the child's main thread (``newsradar run --once``);
* ``task``: the child polls, then forks a grandchild that calls
  ``pipeline.process_article`` for each article in its main thread, as a Celery prefork
  pool child does for the ``newsradar.process_article`` task (no broker involved).

The figures are the CPU seconds of polling + processing (the task row: of processing, in
the grandchild) and the peak RSS of that process; ``outcome`` is what the pipeline
recorded. ``run.article_cpu_seconds`` is the default 10 s.
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


def _pipeline_config(name: str, base: str) -> dict:
    import hostile  # noqa: PLC0415

    kind, make, _ = hostile.CASES[name]
    topics = [{"id": "any", "query": "the OR a OR word", "channels": []}]
    lists: dict = {}
    if kind == "query":
        query, _, _, lists = make()
        topics = [{"id": "q", "query": query, "channels": []}]
    feed = f"{base}/f/{name}" if kind == "feed" else f"{base}/wrap/{name}"
    return {"feeds": [{"url": feed, "name": name}], "topics": topics, "lists": lists,
            "network": {"allowlist": ["127.0.0.1/32"]}, "run": {"max_entries_per_poll": 100}}


def run_pipeline(name: str, runner: str, base: str, tmp: str) -> dict:
    """One case through the pipeline (in this fresh process); see ``--runners``."""
    import yaml  # noqa: PLC0415

    from worker.config import get_settings, parse_config  # noqa: PLC0415
    from worker.pipeline import build_context, process_article  # noqa: PLC0415
    from worker.pipeline.articles import due_articles  # noqa: PLC0415
    from worker.pipeline.feeds import due_feeds, poll_feed, sync_feeds  # noqa: PLC0415
    from worker.pipeline.runner import run_once  # noqa: PLC0415
    from worker.store import Article, Feed  # noqa: PLC0415

    cfg = parse_config(yaml.safe_dump(_pipeline_config(name, base)))
    settings = get_settings().model_copy(update={"database_url": f"sqlite:///{tmp}/{name}-{runner}.db"})
    ctx = build_context(cfg, settings)
    # the imports a long-running worker has already paid for
    from worker.clean import clean_page  # noqa: PLC0415

    clean_page(b"<html><body><p>warm</p></body></html>", content_type="text/html", url=base)
    if runner == "embedded":
        t0 = time.process_time()
        run_once(ctx)
        cpu = time.process_time() - t0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    else:
        sync_feeds(ctx)
        for feed_id in due_feeds(ctx):
            poll_feed(ctx, feed_id)
        ids = due_articles(ctx)
        ctx.engine.dispose()  # as a prefork child: no connection shared across the fork
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            t0 = time.process_time()
            statuses = [process_article(ctx, article_id).status for article_id in ids]
            cpu = time.process_time() - t0
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            os.write(write_fd, json.dumps([cpu, peak, statuses]).encode())
            os._exit(0)
        os.close(write_fd)
        with os.fdopen(read_fd) as inp:
            cpu, peak, _statuses = json.loads(inp.read() or "[null, null, []]")
        os.waitpid(pid, 0)
    with ctx.session() as s:
        feeds = [f"feed {f.status}" + (f" ({f.last_error_code})" if f.last_error_code else "")
                 for f in s.query(Feed)]
        counts: dict[str, int] = {}
        for a in s.query(Article):
            key = a.status + (f"/{a.error_code}" if a.error_code else "")
            counts[key] = counts.get(key, 0) + 1
    ctx.close()
    outcome = ", ".join(feeds + [f"{n} {k}" for k, n in sorted(counts.items())])
    return {"case": name, "runner": runner, "cpu_s": round(cpu, 3), "peak_mb": round(peak),
            "outcome": outcome}


def _serve_cases(server: object, names: list[str]) -> str:
    import html  # noqa: PLC0415

    import hostile  # noqa: PLC0415

    from tests.helpers.httpserver import Route  # noqa: PLC0415

    base = server.url("/").rstrip("/")  # type: ignore[attr-defined]
    for name in names:
        kind, make, _ = hostile.CASES[name]
        if kind == "query":
            _, title, body, _ = make()
            paras = "".join(f"<p>{html.escape(p)}</p>" for p in body.split("\n") if p.strip())
            content: bytes | str = (f"<html><head><title>{html.escape(title)}</title></head><body>"
                                    f"<article><h1>{html.escape(title)}</h1>{paras}</article>"
                                    "</body></html>")
            ctype = "text/html; charset=utf-8"
        else:
            content, ctype = make()
        path = "/f/" if kind == "feed" else "/p/"
        server.route(path + name, Route(body=content, content_type=ctype))  # type: ignore[attr-defined]
        server.route("/wrap/" + name, Route(  # type: ignore[attr-defined]
            body=f"<rss version='2.0'><channel><title>{name}</title><item><guid>{name}</guid>"
                 f"<link>{base}/p/{name}</link><title>{name}</title></item></channel></rss>",
            content_type="application/rss+xml"))
    return base


def _runners(names: list[str], timeout: float) -> None:
    import tempfile  # noqa: PLC0415

    sys.path.insert(0, str(ROOT))
    from tests.helpers.httpserver import LocalServer  # noqa: PLC0415

    print(f"{'case':28} {'runner':9} {'cpu s':>7} {'peak MB':>8}  outcome")
    with LocalServer() as server, tempfile.TemporaryDirectory() as tmp:
        base = _serve_cases(server, names)
        for name in names:
            for runner in ("embedded", "task"):
                try:
                    proc = subprocess.run(
                        [sys.executable, __file__, "--pipeline-one", name, "--runner", runner,
                         "--base", base, "--tmp", tmp],
                        capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                        env={**os.environ, "PYTHONPATH": str(ROOT)})
                except subprocess.TimeoutExpired:
                    print(f"{name:28} {runner:9} >{timeout:g} s wall: killed", flush=True)
                    continue
                if proc.returncode != 0:
                    last = (proc.stderr.strip().splitlines() or ["?"])[-1][:90]
                    print(f"{name:28} {runner:9} crashed: {last}", flush=True)
                    continue
                r = json.loads(proc.stdout.strip().splitlines()[-1])
                print(f"{name:28} {runner:9} {r['cpu_s']:7.2f} {r['peak_mb']:8d}  {r['outcome']}",
                      flush=True)


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
    ap.add_argument("--runners", action="store_true",
                    help="each case through the pipeline, embedded runner and task path")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--pipeline-one", help=argparse.SUPPRESS)
    ap.add_argument("--runner", help=argparse.SUPPRESS)
    ap.add_argument("--base", help=argparse.SUPPRESS)
    ap.add_argument("--tmp", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one)))
        return
    sys.path.insert(0, str(ROOT / "tests" / "data"))
    import hostile  # noqa: PLC0415

    if args.pipeline_one:
        print(json.dumps(run_pipeline(args.pipeline_one, args.runner, args.base, args.tmp)))
        return
    names = args.case or list(hostile.CASES)
    if args.runners:
        _runners(names, args.timeout)
        return
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
