"""`newsradar sources ...`: look at a feed the way the poller would, without storing anything."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(help="Fetch and parse feeds as the poller would (nothing is stored).",
                  no_args_is_help=True)


@app.command("check")
def check(
    url: Annotated[str, typer.Argument(help="Feed URL (http or https).")],
    max_entries: Annotated[int, typer.Option("--max-entries", "-n", help="Entries to show.")] = 20,
    allow: Annotated[list[str] | None, typer.Option(
        "--allow", help="Allow this non-public CIDR or host name (repeatable).")] = None,
    allow_private: Annotated[bool, typer.Option(
        "--allow-private", help="Allow every non-public address (local testing only).")] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="Total deadline in seconds.")] = 60.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Fetch URL through the SSRF guard, parse it, and show entries and problems.

    Exit status 0 when entries were read, 1 with the error code and message otherwise.
    """
    from rich.table import Table

    from worker.errors import FeedParseError, FetchError
    from worker.redact import redact
    from worker.sources import FEED_ACCEPT, FetchLimits, NetworkPolicy, fetch, parse_feed
    from worker.terminal import escape_markup

    console = Console()
    policy = NetworkPolicy(allow_private=allow_private, allowlist=tuple(allow or ()))
    try:
        result = fetch(url, limits=FetchLimits(total_timeout=timeout), policy=policy,
                       accept=FEED_ACCEPT)
        feed = parse_feed(result.content, url=result.final_url,
                          content_type=result.content_type, max_entries=max_entries)
    except (FetchError, FeedParseError) as exc:
        stage = "fetch" if isinstance(exc, FetchError) else "parse"
        if as_json:
            typer.echo(json.dumps({"ok": False, "stage": stage, "code": exc.code,
                                   "message": redact(str(exc)), "permanent": exc.permanent,
                                   "retry_after": exc.retry_after}))
        else:
            console.print(f"[red]{stage} error[/red] [bold]{exc.code}[/bold]: "
                          f"{escape_markup(redact(str(exc)))}",
                          highlight=False, soft_wrap=True)
            if exc.code == "blocked_address":
                console.print("  for this command: --allow CIDR (e.g. --allow 127.0.0.1/32) "
                              "or --allow-private", highlight=False, markup=False)
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(_json_safe({
            "ok": True, "final_url": result.final_url, "format": feed.format,
            "title": feed.title, "site_url": feed.site_url, "problems": feed.problems,
            "etag": result.etag, "last_modified": result.last_modified,
            "entries": [
                {"guid": e.guid, "link": e.link, "title": e.title,
                 "published": e.published.isoformat() if e.published else None}
                for e in feed.entries
            ],
        }))
        return
    # the feed's text is the publisher's: never markup, never escape sequences
    console.print(f"[bold]{escape_markup(feed.title or '(untitled)')}[/bold] ({feed.format}) "
                  f"from {escape_markup(redact(result.final_url))}", highlight=False)
    table = Table("published (UTC)", "title", "link")
    for e in feed.entries:
        table.add_row(e.published.strftime("%Y-%m-%d %H:%M") if e.published else "-",
                      escape_markup(_cut(e.title or "", 80)), escape_markup(e.link or "-"))
    console.print(table)
    for problem in feed.problems:
        console.print(f"[yellow]problem:[/yellow] {escape_markup(problem)}", highlight=False)


def _json_safe(value: object) -> str:
    """JSON of the feed's fields that any stdout can print: a lone surrogate (which a
    JSON Feed may carry as an escape) becomes U+FFFD instead of failing to encode."""
    text = json.dumps(value, ensure_ascii=False)
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


@app.command("canonical")
def canonical(urls: Annotated[list[str], typer.Argument(help="URLs to canonicalise.")]) -> None:
    """Print the canonical form of each URL (the form articles are deduplicated by)."""
    from worker.urls import canonical_url

    for url in urls:
        typer.echo(canonical_url(url))
