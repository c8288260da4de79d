"""A feed of alerts per topic, so that any feed reader becomes an alert client.

    atom_feed(feed), json_feed(feed)   the documents (the web console serves the same)
    FeedFileChannel.send(message)      adds the message to its topic's files

The channel keeps ``<topic>.json`` (JSON Feed 1.1) as its record of the newest
``max_entries`` entries and rewrites ``<topic>.atom`` from it; both are replaced
atomically (write, fsync, rename), so a reader never sees half a file, under a lock
file in the directory, so that several worker processes can share it. An entry's id
is the message id, so a retried send replaces its entry instead of adding a second.
A digest is one entry listing its stories; feed-health notices go to
``_feed_health.*``.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from worker.alerts._chat import chat_message

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: the thread lock alone
    fcntl = None  # type: ignore[assignment]
from worker.alerts.message import AlertMessage, Message
from worker.errors import DeliveryError, ErrorCode

__all__ = ["FeedEntry", "FeedFileChannel", "TopicFeed", "atom_feed", "entry_for", "json_feed"]

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass(frozen=True)
class FeedEntry:
    id: str
    title: str
    url: str | None
    content_html: str
    content_text: str
    published: datetime
    tags: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        item: dict[str, Any] = {"id": self.id, "title": self.title,
                                "content_html": self.content_html,
                                "content_text": self.content_text,
                                "date_published": self.published.isoformat()}
        if self.url:
            item["url"] = self.url
        if self.tags:
            item["tags"] = list(self.tags)
        return item

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> FeedEntry:
        return cls(id=str(item["id"]), title=str(item.get("title") or ""), url=item.get("url"),
                   content_html=str(item.get("content_html") or ""),
                   content_text=str(item.get("content_text") or ""),
                   published=datetime.fromisoformat(item["date_published"]),
                   tags=tuple(item.get("tags") or ()))


@dataclass
class TopicFeed:
    topic_id: str
    title: str
    entries: list[FeedEntry] = field(default_factory=list)  # newest first
    home_url: str | None = None
    feed_url: str | None = None

    @property
    def updated(self) -> datetime:
        return max((e.published for e in self.entries), default=datetime(1970, 1, 1, tzinfo=UTC))


def entry_for(message: Message, *, now: datetime) -> FeedEntry:
    """One feed entry for ``message``: HTML and text from the chat formatting (the
    feed readers' limits are generous)."""
    as_html = chat_message(message, "html", body_maxlen=100_000, title_maxlen=1000)
    as_text = chat_message(message, "text", body_maxlen=100_000, title_maxlen=1000)
    url = message.url if isinstance(message, AlertMessage) else None
    published = message.created_at or now
    tags = (message.kind,)
    return FeedEntry(id=message.message_id, title=as_html.title or message.headline, url=url,
                     content_html=as_html.body.replace("\n", "<br>\n"),
                     content_text=as_text.body, published=published, tags=tags)


def json_feed(feed: TopicFeed) -> str:
    doc: dict[str, Any] = {"version": JSON_FEED_VERSION, "title": feed.title,
                           "items": [e.to_json() for e in feed.entries]}
    if feed.home_url:
        doc["home_page_url"] = feed.home_url
    if feed.feed_url:
        doc["feed_url"] = feed.feed_url
    doc["_newsradar"] = {"topic": feed.topic_id}
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def atom_feed(feed: TopicFeed) -> str:
    def ts(d: datetime) -> str:
        return d.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    out = ['<?xml version="1.0" encoding="utf-8"?>',
           '<feed xmlns="http://www.w3.org/2005/Atom">',
           f"  <id>urn:newsradar:topic:{escape(feed.topic_id)}</id>",
           f"  <title>{escape(feed.title)}</title>",
           f"  <updated>{ts(feed.updated)}</updated>",
           "  <author><name>newsradar</name></author>",
           '  <generator uri="https://github.com/newsradar/newsradar">newsradar</generator>']
    if feed.feed_url:
        out.append(f"  <link rel=\"self\" href={quoteattr(feed.feed_url)}/>")
    if feed.home_url:
        out.append(f"  <link rel=\"alternate\" href={quoteattr(feed.home_url)}/>")
    for e in feed.entries:
        out += ["  <entry>",
                f"    <id>urn:newsradar:{escape(e.id)}</id>",
                f"    <title>{escape(e.title)}</title>",
                f"    <updated>{ts(e.published)}</updated>",
                f"    <published>{ts(e.published)}</published>"]
        if e.url:
            out.append(f"    <link rel=\"alternate\" href={quoteattr(e.url)}/>")
        out += [f"    <category term={quoteattr(t)}/>" for t in e.tags]
        out += [f"    <content type=\"html\">{escape(e.content_html)}</content>", "  </entry>"]
    out.append("</feed>")
    return "\n".join(out) + "\n"


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def _dir_lock(directory: Path) -> Iterator[None]:
    """Across processes (service workers sharing a volume): an advisory lock on
    ``directory/.lock`` around each read-modify-write."""
    with open(directory / ".lock", "a+b") as fh:
        if fcntl is not None:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


class FeedFileChannel:
    # Within a process a thread lock (flock is per open file, not per thread).
    _lock = threading.Lock()

    def __init__(self, name: str, path: str | os.PathLike[str], *,
                 formats: tuple[str, ...] | list[str] = ("atom", "json"), max_entries: int = 50,
                 title: str = "newsradar", clock: Any = None) -> None:
        self.name = name
        self.path = Path(path)
        self.formats = tuple(formats)
        self.max_entries = max_entries
        self.title = title
        self._clock = clock or (lambda: datetime.now(UTC))

    def __repr__(self) -> str:
        return f"FeedFileChannel({self.name!r}, {str(self.path)!r})"

    def files(self, topic_id: str) -> dict[str, Path]:
        stem = _SAFE_NAME.sub("_", topic_id) or "_"
        return {"json": self.path / f"{stem}.json", "atom": self.path / f"{stem}.atom"}

    def _read(self, topic_id: str, title: str) -> TopicFeed:
        record = self.files(topic_id)["json"]
        feed = TopicFeed(topic_id, title)
        try:
            doc = json.loads(record.read_text(encoding="utf-8"))
            feed.entries = [FeedEntry.from_json(i) for i in doc.get("items") or []]
        except FileNotFoundError:
            pass
        except (ValueError, KeyError, TypeError):
            # A damaged record: start the feed afresh rather than stop the alerts.
            feed.entries = []
        return feed

    def send(self, message: Message) -> None:
        topic_id = getattr(message, "topic_id", "_feed_health")
        entry = entry_for(message, now=self._clock())
        title = f"{self.title}: {message.topic_name}"
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            with self._lock, _dir_lock(self.path):
                feed = self._read(topic_id, title)
                feed.entries = [entry, *(e for e in feed.entries if e.id != entry.id)]
                feed.entries.sort(key=lambda e: e.published, reverse=True)
                del feed.entries[self.max_entries:]
                files = self.files(topic_id)
                # The JSON record is kept even when only Atom is published.
                _write_atomic(files["json"], json_feed(feed))
                if "atom" in self.formats:
                    _write_atomic(files["atom"], atom_feed(feed))
        except OSError as exc:
            raise DeliveryError(f"feedfile channel {self.name}: cannot write in {self.path}: "
                                f"{exc.strerror or exc}", code=ErrorCode.IO) from exc

