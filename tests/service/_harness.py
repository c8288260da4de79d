"""Harness for the service tests and bench/pipeline.py: a local news site built from
the seed texts and hand-made negatives, an alert sink, the config, and real
``celery worker`` / ``celery beat`` processes.

Pages: each *positive* page carries one or two sentences about the Korean War armistice
taken from the seeds' gold text, among sentences that are unique to the page; each
*negative* page is made only of hand-written sentences about other things. The test
topic (``armistice OR "Korean War"``) therefore matches exactly the positive pages,
and each page is a story of its own (the unique sentences keep near-duplicate
detection from merging them).
"""

from __future__ import annotations

import html
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any, Self

from tests.helpers.httpserver import LocalServer, Reply, RequestInfo, Route

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "seeds" / "gold"
TOPIC_WORDS = re.compile(r"armistice|korean war", re.IGNORECASE)

# ---------------------------------------------------------------------------
# corpus


def _sentences(text: str) -> list[str]:
    out = []
    for para in text.split("\n"):
        for s in re.split(r"(?<=[.!?”\"])\s+(?=[A-Z“\"])", para.strip()):
            s = s.strip()
            if 40 <= len(s) <= 400:
                out.append(s)
    return out


def _seed_sentences() -> tuple[list[str], list[str]]:
    """(sentences about the armistice, sentences that are not)."""
    positive, neutral = [], []
    for p in sorted(GOLD.glob("*.txt")):
        for s in _sentences(p.read_text(encoding="utf-8").split("\n", 2)[-1]):
            (positive if TOPIC_WORDS.search(s) else neutral).append(s)
    return positive, neutral


_PLACES = ["Lisbon", "Oslo", "Nairobi", "Lima", "Hanoi", "Quebec", "Tbilisi", "Perth", "Porto",
           "Dakar", "Riga", "Cusco", "Bergen", "Malmo", "Ghent", "Turku", "Mombasa", "Arequipa"]
_SUBJECTS = ["the city council", "a local bakery", "the regional orchestra", "a cycling club",
             "the harbour authority", "a group of beekeepers", "the public library",
             "a football academy", "the botanical garden", "a ferry operator", "the wine cooperative"]
_VERBS = ["announced", "postponed", "celebrated", "reviewed", "expanded", "opened", "renovated",
          "questioned", "funded", "rescheduled", "documented"]
_OBJECTS = ["a new timetable", "its autumn programme", "the repair of an old bridge",
            "a tasting festival", "plans for a rooftop garden", "a recycling scheme",
            "a children's reading week", "the spring marathon", "a river clean-up",
            "a jazz weekend", "longer opening hours", "a rowing regatta"]
_EXTRAS = ["after weeks of heavy rain", "despite a tight budget", "with help from volunteers",
           "to the delight of residents", "for the first time in a decade",
           "following a public consultation", "ahead of the tourist season"]


def _vocabulary() -> list[str]:
    words: set[str] = set()
    for p in sorted(GOLD.glob("*.txt")):
        words.update(w.lower() for w in re.findall(r"[A-Za-z]{4,}", p.read_text(encoding="utf-8")))
    return sorted(words - {"armistice", "korean", "korea", "war", "wars"})


_VOCAB = _vocabulary()


def _unique_paragraph(rng: random.Random, n: int, words: int = 80) -> str:
    """A paragraph of page-specific wording, so that no two pages are near-duplicates."""
    picked = rng.sample(_VOCAB, k=min(words, len(_VOCAB)))
    sentences = [" ".join(picked[i : i + 10]).capitalize() + "." for i in range(0, len(picked), 10)]
    return f"Dispatch {n}: " + " ".join(sentences)


def _made_up_sentence(rng: random.Random, n: int) -> str:
    """A hand-made negative: unique (a number and random choices), never on topic."""
    return (
        f"In {rng.choice(_PLACES)}, {rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} "
        f"{rng.choice(_OBJECTS)} {rng.choice(_EXTRAS)}, item {n} of the "
        f"{rng.randint(2, 9999)} local notes filed on day {rng.randint(1, 365)}."
    )


@dataclass
class Page:
    path: str
    title: str
    paragraphs: list[str]
    positive: bool
    published: datetime

    def html(self) -> bytes:
        body = "\n".join(f"<p>{html.escape(p)}</p>" for p in self.paragraphs)
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(self.title)}</title></head>\n<body>\n"
            '<nav><a href="/">Home</a> | <a href="/world">World</a></nav>\n'
            f"<article><h1>{html.escape(self.title)}</h1>\n{body}\n</article>\n"
            "<footer>Copyright The Test Gazette</footer>\n</body></html>\n"
        ).encode()


    def inside(self, shell: bytes) -> bytes:
        """This page's story inside a real news page (``shell``): the real page's head,
        navigation, scripts and text stay (the cleaner's real work), with this story's
        title and paragraphs just before the real page's first paragraph."""
        body = "\n".join(f"<p>{html.escape(p)}</p>" for p in self.paragraphs)
        story = (f"<h1>{html.escape(self.title)}</h1>\n{body}\n").encode()
        # first in the real page's own main text (its first <p>'s parent), else first in <body>
        at = re.search(rb"<p[\s>]", shell, re.IGNORECASE) or re.search(rb"<body[^>]*>", shell, re.IGNORECASE)
        cut = (at.start() if at.group(0).lower().startswith(b"<p") else at.end()) if at else 0
        return shell[:cut] + story + shell[cut:]


def real_page_shells(directory: Path) -> list[bytes]:
    """The benchmark's real pages (``*.html.gz`` or ``*.html``), read in place, never copied."""
    import gzip

    shells = []
    for f in sorted(directory.iterdir()):
        if f.name.endswith(".html.gz"):
            shells.append(gzip.decompress(f.read_bytes()))
        elif f.name.endswith(".html"):
            shells.append(f.read_bytes())
    if not shells:
        raise FileNotFoundError(f"no .html or .html.gz pages in {directory}")
    return shells


@dataclass
class Corpus:
    base_url: str
    feeds: dict[str, list[Page]]  # feed path -> its pages, newest first
    # feed path -> the base URL of the host serving the feed and its pages (default base_url)
    hosts: dict[str, str] = field(default_factory=dict)

    def base_of(self, feed_path: str) -> str:
        return self.hosts.get(feed_path, self.base_url)

    @property
    def pages(self) -> list[Page]:
        return [p for ps in self.feeds.values() for p in ps]

    @property
    def positive_urls(self) -> set[str]:
        return {self.base_of(f) + p.path for f, ps in self.feeds.items() for p in ps if p.positive}

    @property
    def feed_urls(self) -> list[str]:
        return [self.base_of(f) + f for f in self.feeds]

    def rss(self, feed_path: str, visible: int | None = None) -> bytes:
        """The feed; with ``visible``, only its oldest ``visible`` pages (published so far)."""
        items = []
        base = self.base_of(feed_path)
        pages = self.feeds[feed_path]
        if visible is not None:
            pages = pages[len(pages) - max(0, min(visible, len(pages))):]
        for p in pages:
            url = base + p.path
            items.append(
                "<item>"
                f"<title>{html.escape(p.title)}</title><link>{html.escape(url)}</link>"
                f"<guid isPermaLink=\"true\">{html.escape(url)}</guid>"
                f"<pubDate>{format_datetime(p.published)}</pubDate>"
                f"<description>{html.escape(p.paragraphs[0][:200])}</description>"
                "</item>"
            )
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
            f"<title>Test Gazette {feed_path}</title><link>{base}/</link>"
            "<description>test feed</description>" + "".join(items) + "</channel></rss>\n"
        ).encode("utf-8")


def build_corpus(base_url: str, n_feeds: int, pages_per_feed: int, *, positive_every: int = 2,
                 seed: int = 7) -> Corpus:
    """``n_feeds`` feeds of ``pages_per_feed`` pages; every ``positive_every``-th page is positive."""
    rng = random.Random(seed)
    positive, neutral = _seed_sentences()
    assert positive, "the seed gold texts have no armistice sentences"
    now = datetime.now(UTC).replace(microsecond=0)
    feeds: dict[str, list[Page]] = {}
    n = 0
    for f in range(n_feeds):
        pages = []
        for _ in range(pages_per_feed):
            n += 1
            is_pos = n % positive_every == 0
            paras = [_made_up_sentence(rng, n) + " " + _made_up_sentence(rng, n), _unique_paragraph(rng, n)]
            if is_pos:
                paras.insert(1, rng.choice(positive))
                paras.append(rng.choice(neutral))
                title = f"Report {n}: veterans and officials look back"
            else:
                title = f"Report {n}: {rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}"
            pages.append(Page(f"/news/{f}/{n}.html", title, paras, is_pos, now - timedelta(minutes=n)))
        feeds[f"/feeds/{f}.xml"] = pages
    return Corpus(base_url, feeds)


# ---------------------------------------------------------------------------
# the site and the alert sink


class NewsSite:
    """The corpus served by a LocalServer, with a per-feed log of request times and an
    optional webhook sink at /hook."""

    def __init__(self, n_feeds: int, pages_per_feed: int, *, page_delay: float = 0.0,
                 real_pages: Path | None = None, hosts: int = 1, **kw: Any) -> None:
        self.server = LocalServer()
        self.corpus = build_corpus(self.server.url("").rstrip("/"), n_feeds, pages_per_feed, **kw)
        # hosts > 1: feed i and its pages on host 127.0.0.(2 + i % hosts), each address a
        # server of its own sharing this one's routes (a mixed-host load for politeness)
        self.extra: list[LocalServer] = []
        if hosts > 1:
            self.extra = [LocalServer(host=f"127.0.0.{2 + k}") for k in range(hosts)]
            for srv in self.extra:
                srv.routes = self.server.routes
            for i, path in enumerate(self.corpus.feeds):
                self.corpus.hosts[path] = self.extra[i % hosts].url("").rstrip("/")
        self.feed_hits: dict[str, list[float]] = defaultdict(list)
        self._lock = threading.Lock()
        self._reveal: tuple[float, float] | None = None  # (start, pages per feed per second)
        for path in self.corpus.feeds:
            self.server.route(path, Route(handler=self._feed_handler(path), content_type="application/rss+xml"))
        shells = real_page_shells(real_pages) if real_pages is not None else []
        for i, page in enumerate(self.corpus.pages):
            body = page.html() if not shells else page.inside(shells[i % len(shells)])
            self.server.route(page.path, Route(body=body, content_type="text/html; charset=utf-8",
                                               delay=page_delay))
        self.sink: WebhookSink | None = None

    def _feed_handler(self, path: str) -> Callable[[RequestInfo], Reply]:
        body = self.corpus.rss(path)

        def handle(_: RequestInfo) -> Reply:
            with self._lock:
                self.feed_hits[path].append(time.monotonic())
                reveal = self._reveal
            if reveal is not None:  # a steady arrival: pages appear one by one over time
                started, per_feed_s = reveal
                visible = int((time.monotonic() - started) * per_feed_s) + 1
                return Reply(200, self.corpus.rss(path, visible), {"Content-Type": "application/rss+xml"})
            return Reply(200, body, {"Content-Type": "application/rss+xml"})

        return handle

    def reveal_steadily(self, articles_per_s: float) -> None:
        """From now on each feed publishes its pages one by one (oldest first), so that the
        whole site publishes ``articles_per_s`` new pages a second."""
        with self._lock:
            self._reveal = (time.monotonic(), articles_per_s / max(1, len(self.corpus.feeds)))

    def add_sink(self, sink: WebhookSink) -> str:
        self.sink = sink
        return self.server.route("/hook", Route(handler=sink.handle))

    def page_hits(self) -> Counter[str]:
        with self.server._lock:
            return Counter(r.path for r in self.server.requests if r.path.startswith("/news/"))

    def __enter__(self) -> Self:
        self.server.start()
        for srv in self.extra:
            srv.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for srv in self.extra:
            srv.stop()
        self.server.stop()


class WebhookSink:
    """Receives webhook alerts. Answers 500 to every request during the first
    ``fail_for`` seconds after the first one, and to the first request of every alert
    (so each alert is retried at least once); 200 after that."""

    def __init__(self, fail_for: float = 0.0, fail_first: bool = False) -> None:
        self.fail_for = fail_for
        self.fail_first = fail_first
        self.accepted: list[dict[str, Any]] = []
        self.refused = 0
        self._seen: set[str] = set()
        self._first_at: float | None = None
        self._lock = threading.Lock()

    def handle(self, req: RequestInfo) -> Reply:
        msg_id = req.headers.get("webhook-id", "")
        with self._lock:
            now = time.monotonic()
            if self._first_at is None:
                self._first_at = now
            first_of_alert = msg_id not in self._seen
            self._seen.add(msg_id)
            if (now - self._first_at < self.fail_for) or (self.fail_first and first_of_alert):
                self.refused += 1
                return Reply(500, b'{"error": "try again later"}', {"Content-Type": "application/json"})
            self.accepted.append(json.loads(req.body or b"{}"))
        return Reply(200, b"{}", {"Content-Type": "application/json"})


# ---------------------------------------------------------------------------
# config and environment


def write_config(path: Path, corpus: Corpus, *, jsonl: Path | None = None, webhook_url: str | None = None,
                 poll_interval: float = 3600, feeds: list[str] | None = None,
                 allowlist: str = "127.0.0.1/32") -> Path:
    channels: dict[str, Any] = {}
    if jsonl is not None:
        channels["sink"] = {"type": "jsonl", "path": str(jsonl)}
    if webhook_url is not None:
        channels["hook"] = {"type": "webhook", "url": webhook_url, "secret_env": "NEWSRADAR_TEST_WEBHOOK_SECRET",
                            "timeout": 5}
    config = {
        "feeds": [{"url": u, "poll_interval": poll_interval} for u in (feeds or corpus.feed_urls)],
        # relevance: off: a positive page is one armistice sentence among made-up ones, a
        # background clause by design, which relevance would rightly hold back; these
        # tests measure the delivery guarantees, tests/pipeline/test_relevance.py relevance
        "topics": [{"id": "armistice", "query": 'armistice OR "Korean War"', "channels": list(channels),
                    "relevance": False}],
        "channels": channels,
        "network": {"allowlist": [allowlist]},
    }
    path.write_text(json.dumps(config, indent=1), encoding="utf-8")  # JSON is YAML
    return path


def service_env(db_url: str, redis_url: str, config: Path, **overrides: Any) -> dict[str, str]:
    """Environment for worker/beat processes: short intervals so faults heal in seconds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSRADAR_")}
    env.update({
        "NEWSRADAR_DATABASE_URL": db_url,
        "NEWSRADAR_REDIS_URL": redis_url,
        "NEWSRADAR_CONFIG": str(config),
        "NEWSRADAR_METRICS_PORT": "0",
        # short enough that a killed worker's tasks come back within the test, long
        # enough (hard limits are half of it) for a loaded 2-core CI machine
        "NEWSRADAR_VISIBILITY_TIMEOUT": "20",
        "NEWSRADAR_TICK_INTERVAL": "0.5",
        "NEWSRADAR_HOST_CONCURRENCY": "16",
        "NEWSRADAR_HOST_MIN_DELAY": "0",
        "NEWSRADAR_TEST_WEBHOOK_SECRET": "whsec_" + "dGVzdC1zZWNyZXQtZm9yLW5ld3NyYWRhci10ZXN0cw==",
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": str(ROOT),
    })
    env.update({k: str(v) for k, v in overrides.items()})
    return env


# ---------------------------------------------------------------------------
# processes


class ServiceProcess:
    """A celery worker or beat in its own session (so its pool children can be killed
    with it), logging to a file."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path, cwd: Path) -> None:
        self.log = log
        self._fh = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "worker.celery_app", *args],
            env=env, cwd=cwd, stdout=self._fh, stderr=subprocess.STDOUT, start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for_log(self, needle: str, timeout: float = 60) -> None:
        wait_until(lambda: needle in self.text() or self.proc.poll() is not None, timeout, f"{needle!r} in {self.log}")
        if self.proc.poll() is not None and needle not in self.text():
            raise AssertionError(f"process exited ({self.proc.returncode}):\n{self.text()[-3000:]}")

    def children(self) -> list[int]:
        out = []
        for d in Path("/proc").iterdir():
            if d.name.isdigit():
                try:
                    stat = (d / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.pid:
                    out.append(int(d.name))
        return out

    def kill_group(self, sig: int = signal.SIGKILL) -> None:
        """Signal the worker and its pool children (their own process group)."""
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass
        if sig == signal.SIGKILL:
            self.proc.wait(10)

    def stop(self, timeout: float = 20) -> None:
        if self.proc.poll() is None:
            self.kill_group(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill_group(signal.SIGKILL)
        self._fh.close()


def start_worker(env: dict[str, str], tmp: Path, name: str = "w1", *, concurrency: int = 2,
                 queues: str = "poll,process,deliver", pool: str = "prefork") -> ServiceProcess:
    w = ServiceProcess(
        ["worker", f"--queues={queues}", f"--concurrency={concurrency}", f"--pool={pool}",
         f"--hostname={name}@%h", "--loglevel=INFO", "--without-mingle", "--without-gossip"],
        env, tmp / f"{name}.log", tmp,
    )
    try:
        w.wait_for_log("ready.")
    except BaseException:
        w.stop()
        raise
    return w


def start_beat(env: dict[str, str], tmp: Path, name: str = "beat") -> ServiceProcess:
    b = ServiceProcess(["beat", "--loglevel=INFO"], env, tmp / f"{name}.log", tmp)
    try:
        b.wait_for_log("beat: Starting")
    except BaseException:
        b.stop()
        raise
    return b


def wait_until(pred: Callable[[], bool], timeout: float, what: str = "condition", interval: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


# ---------------------------------------------------------------------------
# the outcome


@dataclass
class Outcome:
    articles: Counter[str] = field(default_factory=Counter)  # status -> count
    deliveries: Counter[str] = field(default_factory=Counter)
    alerts: int = 0
    article_urls: set[str] = field(default_factory=set)
    sent_alert_urls: list[str] = field(default_factory=list)


def read_outcome(db_url: str) -> Outcome:
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as c:
            out = Outcome()
            for status, url in c.execute(text("SELECT status, url FROM articles")):
                out.articles[status] += 1
                out.article_urls.add(url)
            for (status,) in c.execute(text("SELECT status FROM deliveries")):
                out.deliveries[status] += 1
            out.alerts = c.execute(text("SELECT count(*) FROM alerts")).scalar_one()
            out.sent_alert_urls = [u for (u,) in c.execute(text(
                "SELECT a.url FROM deliveries d JOIN alerts al ON al.id = d.alert_id "
                "JOIN articles a ON a.id = al.article_id WHERE d.status = 'sent'"))]
            return out
    finally:
        engine.dispose()


def jsonl_urls(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [json.loads(line)["article"]["url"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def describe(db_url: str, procs: list[ServiceProcess]) -> str:
    """What is stuck: rows not finished, with their errors, and the processes' warnings."""
    from sqlalchemy import create_engine, text

    lines = []
    engine = create_engine(db_url)
    try:
        with engine.connect() as c:
            lines.append(f"articles: {dict(read_outcome(db_url).articles)}")
            for row in c.execute(text(
                "SELECT id, status, attempts, error_code, error, claimed_until, next_attempt_at FROM articles "
                "WHERE status NOT IN ('done') ORDER BY id LIMIT 10")):
                lines.append(f"  article {tuple(row)}")
            for row in c.execute(text(
                "SELECT id, status, attempts, last_error, claimed_until, next_attempt_at FROM deliveries "
                "WHERE status <> 'sent' ORDER BY id LIMIT 10")):
                lines.append(f"  delivery {tuple(row)}")
            for row in c.execute(text(
                "SELECT id, status, consecutive_errors, last_error, next_poll_at, claimed_until FROM feeds "
                "WHERE status <> 'ok' LIMIT 10")):
                lines.append(f"  feed {tuple(row)}")
    finally:
        engine.dispose()
    for p in procs:
        noisy = [ln for ln in p.text().splitlines() if "WARNING" in ln or "ERROR" in ln]
        lines.append(f"--- {p.log.name}: {len(noisy)} warning/error lines, last ones:")
        lines.extend(ln[:300] for ln in noisy[-15:])
    return "\n".join(lines)


def wait_settled(db_url: str, corpus: Corpus, procs: list[ServiceProcess], timeout: float, what: str) -> None:
    try:
        wait_until(lambda: settled(db_url, corpus), timeout, what, interval=0.3)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{describe(db_url, procs)}") from None


def settled(db_url: str, corpus: Corpus) -> bool:
    """Every page stored and finished, and no delivery still to go."""
    o = read_outcome(db_url)
    pages = len(corpus.pages)
    finished = o.articles.get("done", 0) + o.articles.get("failed", 0)
    pending = sum(n for s, n in o.deliveries.items() if s in ("pending", "failed", "sending"))
    return len(o.article_urls) == pages and finished == pages and pending == 0 \
        and o.alerts >= len(corpus.positive_urls)


# ---------------------------------------------------------------------------
# a whole worker SIGKILLed, a new one started: recovery by leases


@dataclass
class Recovery:
    killed_at: float  # time.time() of the SIGKILL
    restarted_at: float  # time.time() the new worker said "ready."
    finished_at: float  # the last article done or delivery sent (database times)
    in_flight: dict[str, int]  # rows held by the dead worker at the kill, by state

    @property
    def seconds(self) -> float:
        """From the new worker's start to the last delivery: the recovery."""
        return self.finished_at - self.restarted_at


def in_flight_rows(db_url: str) -> dict[str, int]:
    """Rows claimed right now (a worker holds them), by table and state."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as c:
            out: dict[str, int] = {}
            for table in ("articles", "deliveries", "feeds"):
                for status, n in c.execute(text(
                        f"SELECT status, count(*) FROM {table} WHERE claimed_until > now() GROUP BY status")):
                    out[f"{table}:{status}"] = n
            return out
    finally:
        engine.dispose()


def last_finished_at(db_url: str) -> float:
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as c:
            fetched, sent = c.execute(text(
                "SELECT (SELECT max(fetched_at) FROM articles), (SELECT max(sent_at) FROM deliveries)")).one()
    finally:
        engine.dispose()
    stamps = [t.replace(tzinfo=t.tzinfo or UTC).timestamp() for t in (fetched, sent) if t is not None]
    return max(stamps)


def kill_worker_and_recover(db_url: str, site: NewsSite, env: dict[str, str], tmp: Path,
                            first: ServiceProcess, others: list[ServiceProcess], *,
                            settle: float = 120.0) -> tuple[Recovery, ServiceProcess]:
    """SIGKILL ``first`` (the worker and its pool) once pages are being processed and no
    alert is being sent, start a new worker, and wait until everything is done and
    delivered. The caller stops the new worker."""

    def under_way() -> bool:
        out = read_outcome(db_url)
        return (out.articles.get("done", 0) >= 4 and out.articles.get("processing", 0) >= 1
                and out.deliveries.get("sending", 0) == 0)

    wait_until(under_way, 60, "processing under way")
    held = in_flight_rows(db_url)
    first.kill_group()
    killed_at = time.time()
    second = start_worker(env, tmp, "w2")
    restarted_at = time.time()
    wait_settled(db_url, site.corpus, [first, second, *others], settle, "recovery after SIGKILL")
    return Recovery(killed_at, restarted_at, last_finished_at(db_url), held), second
