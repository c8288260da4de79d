"""The hostile corpus, all in one run against one local server: each case gets its
expected outcome (code and message, or entries and problems), and the good feeds in the
same run still yield their entries. Cases come from tests/data/manifest.yaml."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from tests.helpers.corpus import Corpus, load_corpus, serve_corpus
from tests.helpers.httpserver import LocalServer
from worker.errors import FeedParseError, FetchError
from worker.sources import FEED_ACCEPT, PAGE_ACCEPT, PAGE_TYPES, FeedEntry, fetch, parse_feed
from worker.urls import canonical_url

CORPUS = load_corpus()


@dataclass
class Outcome:
    url: str
    outcome: str = "ok"
    stage: str | None = None
    code: str | None = None
    message: str = ""
    retry_after: float | None = None
    permanent: bool | None = None
    not_modified: bool = False
    entries: list[FeedEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    format: str | None = None


def run_case(corpus: Corpus, name: str, url: str) -> Outcome:
    case = corpus.case(name)
    out = Outcome(url=url)
    try:
        result = fetch(
            url,
            etag=case.request.get("etag"),
            last_modified=case.request.get("last_modified"),
            limits=corpus.limits(),
            policy=corpus.policy(),
            accept=PAGE_ACCEPT if case.kind == "page" else FEED_ACCEPT,
            content_types=PAGE_TYPES if case.kind == "page" else None,
        )
    except FetchError as exc:
        out.outcome, out.stage, out.code, out.message = "error", "fetch", exc.code, str(exc)
        out.retry_after, out.permanent = exc.retry_after, exc.permanent
        return out
    if result.not_modified or case.kind == "page":
        out.not_modified = result.not_modified
        return out
    try:
        feed = parse_feed(result.content, url=result.final_url, content_type=result.content_type,
                          max_entries=corpus.max_entries)
    except FeedParseError as exc:
        out.outcome, out.stage, out.code, out.message = "error", "parse", exc.code, str(exc)
        out.permanent = exc.permanent
        return out
    out.entries, out.problems, out.format = feed.entries, feed.problems, feed.format
    return out


@pytest.fixture(scope="module")
def run() -> Iterator[tuple[dict[str, Outcome], int]]:
    """Every case, fetched and parsed in one run; an error in one never stops the others."""
    with LocalServer() as server:
        urls = serve_corpus(CORPUS, server)
        outcomes = {name: run_case(CORPUS, name, url) for name, url in urls.items()}
        yield outcomes, server.port


def test_corpus_is_big_enough() -> None:
    hostile = [c for c in CORPUS.cases if c.expect["outcome"] == "error" or c.expect.get("problems")]
    assert len(hostile) >= 20
    assert all((c.file is None) or c.body() is not None for c in CORPUS.cases)


@pytest.mark.parametrize("name", [c.name for c in CORPUS.cases])
def test_case(run: tuple[dict[str, Outcome], int], name: str) -> None:
    outcomes, port = run
    case, got = CORPUS.case(name), outcomes[name]
    want = case.expect
    assert got.outcome == want["outcome"], f"{name}: {got}"
    if want["outcome"] == "error":
        assert (got.stage, got.code) == (want["stage"], want["code"]), got.message
        assert case.expected("message", port) in got.message
        assert CORPUS.host in got.message, "the message names the URL"
        if "retry_after" in want:
            assert got.retry_after == want["retry_after"]
        if "permanent" in want:
            assert got.permanent == want["permanent"]
        return
    if "entries" in want:
        assert len(got.entries) == want["entries"], got.problems
    if "format" in want:
        assert got.format == want["format"]
    assert got.not_modified == want.get("not_modified", False)
    for fragment in case.expected("problems", port, []):
        assert any(fragment in p for p in got.problems), (fragment, got.problems)
    if "links" in want:
        assert [e.link for e in got.entries] == case.expected("links", port)
    if "problems" not in want and case.kind == "feed":
        assert got.problems == [], got.problems
    for entry in got.entries:
        assert entry.guid and (entry.title is None or len(entry.title) <= 1000)
        assert entry.published is None or entry.published.utcoffset().total_seconds() == 0
    if "same_canonical_links_as" in want:
        other = outcomes[want["same_canonical_links_as"]]
        assert {canonical_url(e.link) for e in got.entries} == {
            canonical_url(e.link) for e in other.entries}
        assert {e.guid for e in got.entries}.isdisjoint({e.guid for e in other.entries})


def test_good_feeds_in_the_same_run_were_processed(run: tuple[dict[str, Outcome], int]) -> None:
    outcomes, _ = run
    good = [c.name for c in CORPUS.cases if c.name.startswith("good_")]
    assert len(good) >= 4
    assert all(outcomes[n].outcome == "ok" and outcomes[n].entries for n in good)
    assert sum(o.outcome == "error" for o in outcomes.values()) >= 20
