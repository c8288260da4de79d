"""``newsradar clean FILE [--json] [--explain]`` and ``newsradar clean tune``.

Mounted by ``worker.cli.app`` as the ``clean`` group. ``clean FILE`` and ``clean tune``
share the group: a first argument
that is not a subcommand is read as the FILE of the ``file`` command (listed in
``clean --help`` so that its options can be found).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup


class _CleanGroup(TyperGroup):
    """Routes ``clean FILE ...`` to the ``file`` command, ``clean tune`` to tune."""

    # ctx: a click Context (typer vendors click as typer._click from 0.16 on)
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["file", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_CleanGroup, no_args_is_help=True, add_completion=False,
    help="Clean a page down to its story: `clean FILE [--json] [--explain]` "
         "(see `clean file --help`), or fit the text path: `clean tune`.")


@app.command("file")
def clean_command(
    file: Path = typer.Argument(..., help="An HTML page or a plain-text page dump."),
    as_json: bool = typer.Option(False, "--json", help="Print the story as JSON."),
    explain: bool = typer.Option(False, "--explain",
                                 help="Print every input line with KEEP or DROP and why."),
    content_type: str | None = typer.Option(
        None, "--content-type", help="Treat the file as this type (e.g. text/html)."),
) -> None:
    """Print the cleaned story of FILE (`clean FILE` for short)."""
    from worker.clean import clean_page, explain_page

    try:
        data = file.read_bytes()
    except OSError as exc:
        typer.echo(f"error: cannot read {file}: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from exc
    if explain:
        shown = [d for d in explain_page(data, content_type=content_type) if d.verdict != "BLANK"]
        shown = _as_cleaned(shown, data, content_type)
        # the reason column as wide as its longest entry (at most 34), to leave the text room
        w = min(34, max((len(d.reason) for d in shown), default=0))
        for d in shown:
            typer.echo(f"{d.line_no:5d} {d.verdict:4s} {d.reason:{w}.{w}s} | {d.text.strip()}")
        return
    page = clean_page(data, content_type=content_type)
    if as_json:
        out: dict[str, Any] = page.to_dict()
        out.pop("dropped", None)
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    if page.status != "ok":
        typer.echo(f"[{page.status}] {file}", err=True)
    head = []
    if page.title:
        head.append(page.title)
    meta = " | ".join(x for x in (
        page.author, page.to_dict()["published"], page.site_name) if x)
    if meta:
        head.append(meta)
    typer.echo("\n".join(head + ([""] if head else []) + [page.text]))


@app.command("tune")
def tune_command(
    seeds: list[Path] = typer.Option(
        [Path("seeds")], "--seeds",
        help="A directory of pages with gold (DIR/*.txt + DIR/gold/*.txt, gold = headline, "
             "blank line, body; or DIR/text/*.txt + DIR/gold/*.txt, gold = body). Repeatable."),
    half_of: list[Path] = typer.Option(
        [], "--half-of",
        help="A page set of which only the tuning half is used (a stable hash of each page "
             "id decides); the other half stays held out for measuring. Repeatable."),
    out: Path | None = typer.Option(
        None, "--out", help="Where to write the parameters (default: the packaged params.json)."),
) -> None:
    """Fit the text path's parameters on pages with gold and store them (versioned JSON)."""
    from worker.clean._params import PARAMS_PATH
    from worker.clean._tune import TuneError, tune

    try:
        params, report = tune(seeds, half_of)
    except TuneError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    target = out or PARAMS_PATH
    target.write_text(params.to_json(), encoding="utf-8")
    typer.echo(report)
    typer.echo(f"wrote {target}")


def _as_cleaned(decisions: list[Any], data: bytes, content_type: str | None) -> list[Any]:
    """An HTML page is cleaned by the HTML path (the extractor), whose result the text
    path's line verdicts need not agree with: mark each visible line by what `clean`
    actually printed, KEEP when the line is in its output, DROP when it is not, with the
    text path's reason where the two agree and the HTML path's say where they differ."""
    from dataclasses import replace

    from worker.clean import clean_page
    from worker.clean._decode import decode, looks_like_html

    dec = decode(data, content_type)
    if dec.status != "ok" or not looks_like_html(dec.text, content_type):
        return decisions  # plain text: the text path is what clean does

    def norm(text: str) -> str:
        return " ".join(text.split()).casefold()

    page = clean_page(data, content_type=content_type)
    output = norm(page.text)
    paragraphs = {norm(p) for p in page.text.splitlines() if p.strip()}
    title = norm(page.title or "")
    out = []
    for d in decisions:
        line = norm(d.text)
        kept = bool(line) and (line in paragraphs or (len(line) > 40 and line in output))
        if line and line == title:
            verdict, reason = "DROP", "title (printed above the text)"
        elif kept:
            verdict, reason = "KEEP", d.reason if d.verdict == "KEEP" else "html path: in the extracted story"
        else:
            verdict, reason = "DROP", d.reason if d.verdict == "DROP" else "html path: not in the extracted story"
        out.append(replace(d, verdict=verdict, reason=reason))
    return out
