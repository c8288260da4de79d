"""``newsradar scan``: clean and match local pages against the configured topics (no
database, no network)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from worker.cli._common import ConfigOpt, err, load, out, reflow

app = typer.Typer()


SCAN_SUFFIXES = {".txt", ".html", ".htm", ".xhtml", ""}


def scan_files(paths: list[Path], recursive: bool) -> list[tuple[Path, str]]:
    """(file, name to show): a file in a directory argument is named relative to that
    directory (``a/page.html``, ``b/page.html``: four ``page.html`` stay apart; with
    several directory arguments, by its path), a file argument by its name (by its path
    when another argument has the same name)."""
    files: list[tuple[Path, str]] = []
    for p in paths:
        if p.is_dir():
            pattern = "**/*" if recursive else "*"
            found = sorted(f for f in p.glob(pattern) if f.is_file() and f.suffix.lower() in SCAN_SUFFIXES)
            # one directory: names relative to it; several: as found (dir/sub/page.html)
            files += [(f, f.relative_to(p).as_posix() if len(paths) == 1 else str(f)) for f in found]
        elif p.exists():
            # a file argument by its name, unless another argument has the same name
            same = sum(q.name == p.name for q in paths) > 1
            files.append((p, str(p) if same else p.name))
        else:
            err.print(f"[red]error:[/] {p}: no such file or directory")
            raise typer.Exit(2)
    return files


@app.command()
@reflow
def scan(
    paths: Annotated[list[Path], typer.Argument(help="Files or directories (HTML or plain text, detected).")],
    config: ConfigOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per file per line.")] = False,
    recursive: Annotated[bool, typer.Option("--recursive", "-r", help="Descend into sub-directories.")] = False,
) -> None:
    """Clean and match local pages against the configured topics (no database, no network).

    A directory is scanned one level deep (its .txt/.html files) unless --recursive.
    """
    from rich.markup import escape
    from rich.table import Table

    from worker.clean import clean_page
    from worker.pipeline.context import build_index
    from worker.pipeline.relevance import RelevanceCache, judge
    from worker.topics import Document

    cfg = load(config)
    index = build_index(cfg)
    cache = RelevanceCache()
    rows = []
    for f, shown in scan_files(paths, recursive):
        page = clean_page(f.read_bytes(), url=None)
        doc = Document(title=page.title or "", body=page.text, site=None, lang=page.language)
        # the pipeline's relevance step: what it would alert, and what it would hold back
        judged = judge(cfg, cache, doc, index.match(doc))

        def entry(j):
            m = j.match
            e = {"topic": m.topic_id, "score": round(m.score, 4), "highlights": m.highlights}
            if j.relevance is not None:
                e["relevance"] = j.relevance.to_dict()
            return e

        rec = {
            "path": str(f),
            "name": shown,
            "title": page.title,
            "published": page.to_dict()["published"],  # a bare date when the page gives no time
            "matches": [entry(j) for j in judged if j.alerts],
            "held_back": [entry(j) for j in judged if not j.alerts],
        }
        if page.status != "ok":
            rec["status"] = page.status
        rows.append(rec)
        if as_json:
            sys.stdout.write(json.dumps(rec, ensure_ascii=False) + "\n")
    if not rows:
        # --json too: an empty output must not look like "scanned, nothing matched"
        err.print("no pages to scan (.txt, .html, .htm, .xhtml or no suffix); a directory is "
                  "read one level deep unless --recursive", highlight=False, markup=False)
        return
    if as_json:
        return
    # 80 columns: whole file names, the date only (--json has the time), a topic a line
    table = Table(title=f"{len(rows)} file(s), {len(cfg.topics)} topic(s)")
    table.add_column("file", no_wrap=True)
    table.add_column("title", overflow="fold", ratio=1)
    table.add_column("date", no_wrap=True)
    table.add_column("topics (score)", no_wrap=True)
    for r in rows:
        topics = "\n".join(f"{m['topic']} ({m['score']:g})" for m in r["matches"]) or "-"
        if r["held_back"]:
            topics += "\n" + "\n".join(f"held back: {m['topic']}" for m in r["held_back"])
        title = r["title"] or (f"({r['status']})" if "status" in r else "")
        table.add_row(escape(r["name"]), escape(title),
                      (r["published"] or "")[:10], escape(topics))
    out.print(table)
