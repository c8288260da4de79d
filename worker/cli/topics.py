"""``newsradar topics …``: check the configured topics, try a query on local files, and
backtest a topic on the stored articles. Mounted by ``worker.cli.app`` as the ``topics``
group. The topic language is imported inside the commands, so ``--help`` stays fast."""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from worker.cli._common import config_path, missing_config_hint

if TYPE_CHECKING:
    from worker.errors import ConfigError
    from worker.topics import Document, Topic

app = typer.Typer(help="Watch topics: check queries, try them on files, backtest them.",
                  no_args_is_help=True)
_out = Console()

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "-c",
                 help="Config file (default: $NEWSRADAR_CONFIG, else ./newsradar.yaml, else "
                      "config/newsradar.yaml; `newsradar init` writes one).",
                 dir_okay=False),
]


# -- configuration ------------------------------------------------------------------
def _load(path: Path | None) -> tuple[dict[str, list[str]], list[Topic]]:
    """(lists, enabled topics) from the config (default: the configured path)."""
    from worker.config import load_config
    from worker.topics import Topic

    cfg = load_config(config_path(path))
    lists = {k: list(v) for k, v in cfg.lists.items()}
    topics = [Topic(t.id, t.display_name, t.query, float(t.min_score)) for t in cfg.topics if t.enabled]
    return lists, topics


def _indented(text: str) -> str:
    """A highlight line indented by four, wrapped lines too (not back to column 0)."""
    return textwrap.fill(text, width=max(40, _out.width - 1), initial_indent="    ",
                         subsequent_indent="    ", break_long_words=False, break_on_hyphens=False)


def _fail_config(exc: ConfigError, config: Path | None = None) -> None:
    typer.echo(str(exc), err=True)
    hint = missing_config_hint(exc, config)
    if hint:
        typer.echo(hint, err=True)
    raise typer.Exit(2)  # a config error exits 2 from every command


# -- check ----------------------------------------------------------------------------
@app.command()
def check(config: ConfigOpt = None) -> None:
    """Validate the whole config: the same as `newsradar config check` (kept as an alias)."""
    from worker.cli.config import check as config_check

    config_check(config)


# -- test -------------------------------------------------------------------------------
def _read_story(path: Path) -> Document:
    """Clean a local file to its story (worker.clean when available, else plain text
    with the first non-empty line as the title)."""
    from worker.topics import Document

    data = path.read_bytes()
    try:
        from worker.clean import clean_page
    except ImportError:
        clean_page = None  # type: ignore[assignment]
    if clean_page is not None:
        page = clean_page(data)
        return Document(page.title or "", page.text or "",
                        lang=getattr(page, "language", None))
    text = data.decode("utf-8", errors="replace")
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip():
            return Document(line.strip(), "\n".join(lines[i + 1:]).strip())
    return Document("", "")


# the same pages `newsradar scan` reads from a directory
_SUFFIXES = (".txt", ".html", ".htm", ".xhtml", "")


def _files(paths: list[Path]) -> list[tuple[Path, str]]:
    """(file, name to show): relative to its directory argument, as ``scan`` names them."""
    out: list[tuple[Path, str]] = []
    for p in paths:
        if p.is_dir():
            out.extend((f, f.relative_to(p).as_posix() if len(paths) == 1 else str(f)) for f in sorted(
                f for f in p.iterdir() if f.is_file() and f.suffix.lower() in _SUFFIXES))
        else:
            same = sum(q.name == p.name for q in paths) > 1
            out.append((p, str(p) if same else p.name))
    return out


@app.command("test")
def test_query(
    query: Annotated[str, typer.Argument(help="The query, e.g. '@dprk NEAR/10 @russia', or a configured "
                                               "topic's id (its query and min_score).")],
    paths: Annotated[list[Path], typer.Argument(
        help="Files or directories (their .txt/.html pages, one level deep).", exists=True)],
    config: ConfigOpt = None,
    min_score: Annotated[float | None, typer.Option(
        help="Relevance threshold to apply (default: the topic's min_score for a topic id, else 0).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per file.")] = False,
    explain: Annotated[bool, typer.Option("--explain", help="Also list the matched clauses "
                                          "and the score's parts.")] = False,
    topic: Annotated[str | None, typer.Option(
        "--topic", help="Judge relevance with this topic's description, examples and "
        "min_relevance (default: salience from the query alone).")] = None,
    use_relevance: Annotated[bool, typer.Option(
        "--relevance/--no-relevance", help="Judge relevance on what the query matches.")] = True,
) -> None:
    """Show which files a query matches, with score and highlights (lists from the config),
    and whether relevance would alert or hold each one back."""
    from worker.errors import ConfigError, QueryError
    from worker.topics import Topic, TopicIndex

    lists: dict[str, list[str]] = {}
    configured: list[Topic] = []
    rel_config = None
    try:
        lists, configured = _load(config)
    except ConfigError as exc:
        if config is not None:
            _fail_config(exc)
    saved = next((t for t in configured if t.id == query.strip()), None)
    if saved is not None:  # a configured topic by id: its query, and its min_score unless given
        topic = topic or saved.id
        query = saved.query
        if min_score is None:
            min_score = saved.min_score
        if not as_json:
            _out.print(f"topic {saved.id}: {query}  (min_score {min_score:g})", highlight=False, markup=False)
    try:
        rel_config = _query_config(config, query, topic)
    except ConfigError as exc:
        if config is not None:
            _fail_config(exc)
    if topic is not None and rel_config is None:
        typer.echo(f"unknown topic '{topic}'", err=True)
        raise typer.Exit(2)
    if rel_config is None:  # no config file: salience from the query alone
        from worker.config import Config, TopicConfig

        rel_config = Config(topics=[TopicConfig(id="query", query=query)])
    index = TopicIndex(lists)
    try:
        index.add(Topic("query", "query", query, min_score or 0.0))
    except QueryError as exc:
        typer.echo(exc.reason + (f" at column {exc.column}" if exc.column else ""), err=True)
        if exc.column:
            typer.echo("  " + query, err=True)
            typer.echo("  " + " " * (exc.column - 1) + "^", err=True)
        if exc.reason.startswith("unknown list"):
            known = ", ".join("@" + k for k in sorted(lists)) or "none"
            typer.echo(f"lists in the config ({config or 'the default config'}): {known}", err=True)
        raise typer.Exit(2) from exc
    if not _files(paths):
        typer.echo("no pages to try (.txt, .html, .htm, .xhtml or no suffix; a directory is "
                   "read one level deep)", err=True)
        raise typer.Exit(1)
    hits = held = 0
    judge_cfg = rel_config if use_relevance else None
    cache = None
    if judge_cfg is not None:
        from worker.pipeline.relevance import RelevanceCache, judge

        cache = RelevanceCache()
    for f, shown in _files(paths):
        try:
            doc = _read_story(f)
        except OSError as exc:
            typer.echo(f"{f}: cannot read: {exc}", err=True)
            continue
        matches = index.match(doc)
        m = matches[0] if matches else None
        rel = None
        if m is not None and judge_cfg is not None and cache is not None:
            m.topic_id = judge_cfg.topics[0].id
            rel = judge(judge_cfg, cache, doc, [m])[0].relevance
        hits += m is not None and (rel is None or rel.relevant)
        held += rel is not None and not rel.relevant
        if as_json:
            sys.stdout.write(json.dumps({"path": str(f), "name": shown, "title": doc.title,
                                         "match": m.to_dict() if m else None,
                                         "relevance": rel.to_dict() if rel else None},
                                        ensure_ascii=False) + "\n")
            continue
        if m is None:
            _out.print(f"[dim]{escape(shown)}: no match[/dim]", highlight=False)
            continue
        _out.print(f"[bold green]{escape(shown)}[/bold green]: score {m.score:g}  "
                   f"{escape(doc.title)}", highlight=False)
        if rel is not None:
            verdict = "alert" if rel.relevant else "HELD BACK"
            _out.print(_indented(f"relevance {rel.score:.2f}, {verdict}; why: {rel.reason}"),
                       highlight=False, markup=False, soft_wrap=True)
        for h in m.highlights:
            _out.print(_indented(h), highlight=False, markup=False, soft_wrap=True)
        if explain:
            sc = m.explanation["score"]
            _out.print(f"    score {sc['total']:g} = 3 x {sc['title_hits']} title + "
                       f"2 x {sc['lead_hits']} lead + 1 x {sc['body_hits']} body hits",
                       highlight=False, markup=False)
            for c in m.explanation["matched"]:
                _out.print(f"    matched {c['clause']}: {c['hits']} hit(s)",
                           highlight=False, markup=False)
            for a in m.explanation["absent"]:
                _out.print(f"    absent  {a}", highlight=False, markup=False)
    if not as_json:
        _out.print(f"{hits} of {len(_files(paths))} file(s) matched"
                   + (f", {held} more held back by relevance" if held else ""), highlight=False)


def _query_config(path: Path | None, query: str, topic: str | None):
    """A config holding one topic: ``query`` with ``topic``'s relevance settings (or the
    defaults: salience from the query alone). None when ``topic`` is unknown."""
    from worker.config import TopicConfig, load_config

    cfg = load_config(config_path(path))
    if topic is not None:
        saved = cfg.topic(topic)
        if saved is None:
            return None
        tc = saved.model_copy(update={"query": query, "relevance": True})
    else:
        tc = TopicConfig(id="query", query=query)
    return cfg.model_copy(update={"topics": [tc]})


# -- backtest ---------------------------------------------------------------------------
@app.command("backtest")
def backtest_cmd(
    topic: Annotated[str, typer.Argument(help="Topic id (from the config, or a new one with --query).")],
    days: Annotated[int, typer.Option(help="Look back this many days.", min=1)] = 30,
    query: Annotated[str | None, typer.Option(help="Try this query instead of the saved one.")] = None,
    min_score: Annotated[float | None, typer.Option(help="Override the topic's min_score.")] = None,
    limit: Annotated[int, typer.Option(help="Show at most this many alerts.")] = 50,
    config: ConfigOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    database_url: Annotated[str | None, typer.Option(
        "--database-url",
        help="Database URL (default: $NEWSRADAR_DATABASE_URL or sqlite:///var/newsradar.db).",
    )] = None,
    show_held_back: Annotated[bool, typer.Option(
        "--held-back", help="List what relevance would hold back (instead of the alerts).")] = False,
    use_relevance: Annotated[bool, typer.Option(
        "--relevance/--no-relevance", help="Judge relevance (as the pipeline does).")] = True,
) -> None:
    """Run a topic over the stored articles: the alerts it would have sent, per day, and
    how many matches relevance would hold back.

    Articles count by their published date; for a feed's older stories widen --days.
    """
    from worker.errors import ConfigError, QueryError
    from worker.topics import Topic
    from worker.topics import backtest as run_backtest

    try:
        lists, topics = _load(config)
    except ConfigError as exc:
        _fail_config(exc, config)
        return
    saved = next((t for t in topics if t.id == topic), None)
    if saved is None and query is None:
        typer.echo(f"unknown topic '{topic}' (give --query to try a new one)", err=True)
        raise typer.Exit(2)
    t = Topic(topic, saved.name if saved else topic, query or saved.query,  # type: ignore[union-attr]
              min_score if min_score is not None else (saved.min_score if saved else 0.0))
    from worker.cli._common import settings
    from worker.store import iter_articles
    since = datetime.now(UTC) - timedelta(days=days)
    db_url = settings(database_url, config).database_url
    texts: dict[str | None, tuple[str, str]] = {}
    story_of: dict[str, int] = {}

    def articles() -> Iterator[Any]:
        for art in iter_articles(since=since, database_url=db_url):
            # the hits' stories, for relevance (keyed by URL, like the hits), and their
            # story ids, so that copies of one story count once
            texts[art.url] = (art.title or "", art.text or "")
            story_of[art.url] = art.story_id if art.story_id is not None else -art.id
            yield art

    try:
        result = run_backtest(t, articles(), lists, since=since)
    except QueryError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    # one alert per (topic, story), as the pipeline sends them: the copies of a story
    # (the same wire story on three sites) count once, by their best-scoring article
    matched = len(result.hits)
    best: dict[int, Any] = {}
    for h in result.hits:
        key = story_of.get(h.url or "", id(h))
        if key not in best or h.score > best[key].score:
            best[key] = h
    if len(best) < matched:
        from collections import Counter

        from worker.topics._backtest import _day

        result.hits = list(best.values())
        result.per_day = dict(sorted(Counter(_day(h.published) for h in result.hits).items()))
    held_back = _backtest_relevance(config, t, result, texts, db_url) if use_relevance else []
    if as_json:
        d = result.to_dict()
        d["held_back"] = len(held_back)
        d["held_back_hits"] = [{"url": h.url, "title": h.title, "score": h.score,
                                "relevance": rel} for h, rel in held_back]
        sys.stdout.write(json.dumps(d, ensure_ascii=False) + "\n")
        return
    merged = f" ({matched} matching article(s), copies of one story merged)" if matched > len(result.hits) else ""
    _out.print(f"topic {escape(t.id)}: {len(result.hits)} alert(s) in {result.scanned} "
               f"article(s) of the last {days} day(s){merged}"
               + (f"; {len(held_back)} more held back by relevance" if held_back else ""),
               highlight=False)
    if show_held_back:
        for h, rel in held_back[:limit]:
            when = h.published.strftime("%Y-%m-%d %H:%M") if h.published else "?"
            _out.print(f"[yellow]held back[/yellow] {rel['score']:.2f} {when} {escape(h.title)}  "
                       f"[dim]{escape(h.url or '')}[/dim]", highlight=False)
            _out.print(_indented(f"why: {rel['reason']}"), highlight=False, markup=False,
                       soft_wrap=True)
        return
    if not result.scanned:
        _out.print(f"no stored articles published in the last {days} day(s); "
                   "try a larger --days, or `newsradar run` first", highlight=False, markup=False)
        return
    if not result.hits:
        return
    from rich.table import Table

    table = Table()
    table.add_column("day")
    table.add_column("alerts", justify="right")
    for day, n in result.per_day.items():
        table.add_row(day, str(n))
    _out.print(table)
    for h in sorted(result.hits, key=lambda h: -h.score)[:limit]:
        when = h.published.strftime("%Y-%m-%d %H:%M") if h.published else "?"
        _out.print(f"[bold]{h.score:g}[/bold] {when} {escape(h.title)}  [dim]{escape(h.url or '')}[/dim]",
                   highlight=False)
        for s in h.highlights:
            _out.print(_indented(s), highlight=False, markup=False, soft_wrap=True)


def _backtest_relevance(config: Path | None, t: Topic, result, texts, database_url: str):
    """Split the backtest's hits into would-be alerts (left in ``result``) and the ones
    relevance would hold back (returned with their relevance), as the pipeline would:
    with the topic's tuned threshold and model when `topics tune` stored one."""
    from worker.config import load_config
    from worker.pipeline.relevance import split_hits
    from worker.store import make_engine, make_sessionmaker, session_scope
    from worker.topics import Document

    tc = load_config(config_path(config)).topic(t.id)
    if tc is not None and not tc.relevance:
        return []  # relevance: off: every hit is an alert, as before
    cfg = _query_config(config, t.query, t.id if tc is not None else None)
    tid = cfg.topics[0].id

    def story(h):
        title, body = texts.get(h.url, (h.title, ""))
        return Document(title, body)

    engine = make_engine(database_url)
    try:
        with session_scope(make_sessionmaker(engine)) as s:
            kept, held = split_hits(cfg, tid, result.hits, story, s)
    finally:
        engine.dispose()
    if held:
        per_day: dict[str, int] = {}
        for h in kept:
            day = h.published.strftime("%Y-%m-%d") if h.published else "unknown"
            per_day[day] = per_day.get(day, 0) + 1
        result.hits = kept
        result.per_day = dict(sorted(per_day.items()))
    return [(h, rel.to_dict()) for h, rel in held]


# -- relevance: held back, tune ---------------------------------------------------------
DbUrlOpt = Annotated[str | None, typer.Option(
    "--database-url", envvar="NEWSRADAR_DATABASE_URL",
    help="Database URL (default: $NEWSRADAR_DATABASE_URL or sqlite:///var/newsradar.db).")]


@app.command("held-back")
def held_back_cmd(
    topic: Annotated[str | None, typer.Argument(help="Topic id (default: every topic).")] = None,
    limit: Annotated[int, typer.Option(help="Newest N.")] = 50,
    offset: Annotated[int, typer.Option(help="Skip the newest N first.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of text.")] = False,
    database_url: DbUrlOpt = None,
) -> None:
    """Matches of a topic that relevance held back (no alert sent); mark one good with
    `newsradar alerts feedback --article ID --topic T good`."""
    from worker.cli.alerts import print_held_back

    print_held_back(topic, limit, offset, as_json, database_url)


@app.command("tune")
def tune_cmd(
    topic: Annotated[str, typer.Argument(help="Topic id.")],
    config: ConfigOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the fit, store nothing.")] = False,
    database_url: DbUrlOpt = None,
) -> None:
    """Fit the topic's relevance threshold (and its model, with 4+ labels of both kinds)
    from its examples and feedback; print precision/recall before and after
    (cross-validated) and store the fit, which the pipeline uses from then on."""
    from worker.config import get_settings, load_config
    from worker.errors import ConfigError
    from worker.pipeline.tuning import TuneError, tune_topic
    from worker.store import make_engine, make_sessionmaker, session_scope, upgrade

    try:
        cfg = load_config(config)
    except ConfigError as exc:
        _fail_config(exc, config)
        return
    engine = make_engine(database_url or get_settings().database_url)
    upgrade(engine)
    try:
        with session_scope(make_sessionmaker(engine)) as s:
            rep = tune_topic(s, cfg, topic, store=not dry_run)
    except TuneError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    r = rep.result
    lines = [
        f"topic {topic}: {r.n_labels} label(s) ({rep.n_feedback} feedback, "
        f"{rep.n_examples} example(s)), {r.folds}-fold cross-validation",
        f"  before: precision {r.before.precision:.3f}  recall {r.before.recall:.3f}  "
        f"F1 {r.before.f1:.3f}",
        f"  after:  precision {r.after.precision:.3f}  recall {r.after.recall:.3f}  "
        f"F1 {r.after.f1:.3f}  (cross-validated)",
        f"  min_relevance {r.min_relevance:.3f}; model: "
        + (f"fitted on {r.model.n_labels} labels" if r.model is not None
           else "none (needs 4+ labels, some good and some bad)"),
        "  stored: the pipeline uses it within 30 s (each worker re-reads tuned models that often)" if rep.stored else "  (dry run: not stored)",
    ]
    typer.echo("\n".join(lines))
