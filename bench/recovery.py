"""How long the service takes to finish a SIGKILLed worker's work: figures, never asserts.

    .venv/bin/python bench/recovery.py [--rounds 3] [--feeds 5] [--pages 8]
                                       [--lease 8] [--tick 5] [--visibility 300]

Each round: a private redis-server, a fresh PostgreSQL database, a local site whose
pages answer after 0.3 s (so tasks are surely in flight), one ``celery worker`` (prefork,
2 processes) and one beat. Once pages are being processed, the whole worker and its
pool are SIGKILLed and a new worker is started. Printed per round: the rows the dead
worker held (claims alive at the kill), the seconds from the new worker's "ready." to
the last article done / alert sent (the recovery), and from the kill to that moment.
Defaults are the service's own (lease 8 s, tick 5 s, visibility timeout 300 s): before
leases, the work came back only with the visibility timeout (~300 s).
Needs redis-server and PostgreSQL (NEWSRADAR_TEST_PG, default postgres@127.0.0.1).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.helpers.servers import PrivateRedis, TempDatabase  # noqa: E402 - after the sys.path line
from tests.service._harness import (  # noqa: E402
    NewsSite,
    jsonl_urls,
    kill_worker_and_recover,
    read_outcome,
    service_env,
    start_beat,
    start_worker,
    write_config,
)


def one_round(tmp: Path, args: argparse.Namespace) -> dict[str, object]:
    from worker.store import make_engine, upgrade

    with NewsSite(args.feeds, args.pages, page_delay=0.3) as site, \
            PrivateRedis(tmp / "redis") as redis_server, TempDatabase() as db:
        engine = make_engine(db.url)
        upgrade(engine)
        engine.dispose()
        jsonl = tmp / "alerts.jsonl"
        cfg = write_config(tmp / "newsradar.yaml", site.corpus, jsonl=jsonl)
        env = service_env(db.url, redis_server.url, cfg, NEWSRADAR_VISIBILITY_TIMEOUT=args.visibility,
                          NEWSRADAR_TICK_INTERVAL=args.tick, NEWSRADAR_CLAIM_LEASE=args.lease,
                          NEWSRADAR_LOG_LEVEL="WARNING")
        first = start_worker(env, tmp, "w1")
        beat = start_beat(env, tmp)
        second = None
        try:
            rec, second = kill_worker_and_recover(db.url, site, env, tmp, first, [beat], settle=600)
        finally:
            beat.stop()
            if second:
                second.stop()
            first.stop()
        sent = jsonl_urls(jsonl)
        out = read_outcome(db.url)
        return {
            "in_flight_at_kill": rec.in_flight,
            "recovery_s": rec.seconds,
            "kill_to_done_s": rec.finished_at - rec.killed_at,
            "worker_start_s": rec.restarted_at - rec.killed_at,
            "articles_done": out.articles.get("done", 0), "articles": len(site.corpus.pages),
            "alerts_expected": len(site.corpus.positive_urls), "alerts_sent": len(sent),
            "sent_twice": sum(1 for n in Counter(sent).values() if n > 1),
        }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--feeds", type=int, default=5)
    ap.add_argument("--pages", type=int, default=8)
    ap.add_argument("--lease", type=float, default=8.0, help="NEWSRADAR_CLAIM_LEASE (s)")
    ap.add_argument("--tick", type=float, default=5.0, help="NEWSRADAR_TICK_INTERVAL (s)")
    ap.add_argument("--visibility", type=float, default=300.0, help="NEWSRADAR_VISIBILITY_TIMEOUT (s)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rounds = []
    for i in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="newsradar-recovery-") as d:
            r = one_round(Path(d), args)
        rounds.append(r)
        if not args.json:
            print(f"round {i + 1}: held at the kill {r['in_flight_at_kill']}; new worker ready "
                  f"{r['worker_start_s']:.1f} s after the kill; recovery (ready -> last delivery) "
                  f"{r['recovery_s']:.1f} s; kill -> last delivery {r['kill_to_done_s']:.1f} s; "
                  f"{r['articles_done']}/{r['articles']} done, {r['alerts_sent']}/{r['alerts_expected']} "
                  f"alerts, {r['sent_twice']} sent twice")
    rec = [float(r["recovery_s"]) for r in rounds]  # type: ignore[arg-type]
    summary = {"lease_s": args.lease, "tick_s": args.tick, "visibility_timeout_s": args.visibility,
               "recovery_s": rec, "recovery_max_s": max(rec), "recovery_median_s": statistics.median(rec),
               "rounds": rounds}
    if args.json:
        print(json.dumps(summary, indent=1))
        return
    print(f"\nlease {args.lease:g} s, tick {args.tick:g} s, visibility timeout {args.visibility:g} s: "
          f"recovery median {statistics.median(rec):.1f} s, max {max(rec):.1f} s over {len(rec)} round(s) "
          "(before leases: the visibility timeout, ~300 s)")


if __name__ == "__main__":
    main()
