"""``make demo``: the main job, offline. A local web site serves the five seed pages
behind an RSS feed (tests/seedsite.py); a starter config from ``newsradar init`` is
pointed at it (the site's host:port allowlisted); one ``newsradar run --once`` polls,
cleans, matches and alerts; ``newsradar alerts list`` shows what it produced.

    .venv/bin/python scripts/demo.py [--keep DIR]

Everything happens in a temporary directory (or DIR with --keep, to look around
afterwards: `cd DIR && newsradar status`); nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml

from tests.helpers.httpserver import LocalServer, Route
from tests.seedsite import page_html, rss, seed_pages


def newsradar(*args: str, cwd: Path) -> int:
    exe = Path(sys.executable).parent / "newsradar"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "worker.cli"]
    print(f"\n$ newsradar {' '.join(args)}", flush=True)
    env = {k: v for k, v in os.environ.items() if k not in ("NEWSRADAR_DATABASE_URL", "NEWSRADAR_CONFIG")}
    return subprocess.run([*cmd, *args], cwd=cwd, env=env, check=False).returncode


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--keep", type=Path, help="Work in DIR and keep it.")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="newsradar-demo-") as tmp, LocalServer() as srv:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        items = []
        for p in seed_pages():
            url = srv.route(f"/news/{p.key}.html", Route(body=page_html(p), content_type="text/html"))
            items.append((p.key, url, p.title))
        feed = srv.route("/feed.xml", Route(body=rss(items), content_type="application/rss+xml"))
        print(f"a local news site with {len(items)} stories: {feed}")
        if newsradar("init", str(work), "--force", cwd=work) != 0:
            return 1
        cfg_path = work / "newsradar.yaml"
        cfg = yaml.safe_load(cfg_path.read_text(encoding="utf-8"))
        cfg["feeds"] = [{"url": feed, "name": "Seed News (local)"}]
        cfg["network"] = {"allowlist": [feed.split("//", 1)[1].split("/", 1)[0]]}  # its host:port only
        cfg_path.write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True), encoding="utf-8")
        print("(the starter config, with feeds: the local site, and network.allowlist: its host:port)")
        for step in (["run", "--once"], ["alerts", "list"], ["status"]):
            if newsradar(*step, cwd=work) != 0:
                return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
