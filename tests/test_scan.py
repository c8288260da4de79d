"""`newsradar scan seeds/` with the example config reports exactly the seed topics."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.seedsite import EXPECTED_TOPICS, META, ROOT


def scan(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "worker.cli", "scan", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)


def test_scan_json_on_seeds_reports_exactly_the_expected_topics() -> None:
    res = scan("seeds/", "--json", "--config", "config/newsradar.yaml")
    assert res.returncode == 0, res.stderr
    records = [json.loads(line) for line in res.stdout.splitlines()]
    by_key = {Path(r["path"]).stem: r for r in records}
    # one line per seed page; the gold/ sub-directory is not scanned without --recursive
    assert set(by_key) == set(EXPECTED_TOPICS)
    for key, topics in EXPECTED_TOPICS.items():
        rec = by_key[key]
        assert set(rec) >= {"path", "title", "published", "matches"}
        assert {m["topic"] for m in rec["matches"]} == topics, key
        assert rec["title"] == META[key]["title"]
        assert rec["published"] == META[key]["published"]  # a bare date where the page gives no time
        for m in rec["matches"]:
            assert m["score"] > 0
            assert 1 <= len(m["highlights"]) <= 3
            assert all(isinstance(h, str) and h for h in m["highlights"])


def test_scan_table_and_missing_path() -> None:
    res = scan("seeds/000_906bbe40c4e300f6.txt")
    assert res.returncode == 0, res.stderr
    assert "armistice" in res.stdout and "russia-ties" in res.stdout
    missing = scan("no/such/file.html")
    assert missing.returncode == 2
    assert "no/such/file.html: no such file or directory" in missing.stderr
