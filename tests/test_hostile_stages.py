"""Every hostile case of tests/data/hostile.py through its stage: a recorded, bounded
outcome (no wall-clock asserts: bench/hostile.py prints the CPU and memory figures).

Pages must come back as a Story with a status and a text no longer than the caps allow,
saying what was cut; feeds as at most the per-poll cap of entries (or a FeedParseError
with a stable code), saying what was skipped; queries must match on the bounded text
the pipeline hands over, with spans linear in the story.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "data"))
import hostile  # noqa: E402

from worker.clean import clean_page  # noqa: E402
from worker.clean._bounds import MAX_TEXT_CHARS  # noqa: E402
from worker.errors import FeedParseError  # noqa: E402
from worker.sources import parse_feed  # noqa: E402
from worker.topics import (  # noqa: E402
    MATCH_BODY_CHARS,
    Document,
    Topic,
    bounded_document,
    match_topic,
    note_bounded,
)

PAGES = [n for n, (stage, _, _) in hostile.CASES.items() if stage == "page"]
FEEDS = [n for n, (stage, _, _) in hostile.CASES.items() if stage == "feed"]
QUERIES = [n for n, (stage, _, _) in hostile.CASES.items() if stage == "query"]

# what each page must say it cut ("" = nothing needs cutting)
PAGE_CUTS = {
    "page_p_100k": "elements", "page_p_words_50k": "elements", "page_attrs_50k": "attributes",
    "page_text_lines_9mb": "lines",
    # the HTML path takes a <pre> as one block, so its 450,000 lines are cut by characters
    "page_html_lines_9mb": "characters", "page_deep_divs": "elements",
    "page_unclosed_tags": "elements", "page_one_long_line": "characters",
}
# (entries, a problem fragment) per feed
FEED_EXPECT = {
    "feed_unclosed_tags_item": (1, "reduced 1 entry"),
    "feed_unclosed_tags_raw": (1, "reduced 1 entry"),
    "feed_unclosed_tags_cdata": (1, ""),
    "feed_jsonfeed_100k": (100, "more than 2500 items"),
    "feed_xml_50k_items": (100, "more than 2500 entries"),
    "feed_long_titles": (50, "truncated 50 title"),
}


def test_at_least_fifteen_cases() -> None:
    assert len(hostile.CASES) >= 15 and set(PAGE_CUTS) == set(PAGES)
    assert set(FEED_EXPECT) == set(FEEDS)


@pytest.mark.parametrize("name", PAGES)
def test_page_is_cleaned_within_bounds(name: str) -> None:
    data, ctype = hostile.CASES[name][1]()
    story = clean_page(data, content_type=ctype, url=f"https://hostile.example/{name}")
    assert story.status in ("ok", "no_body")
    assert len(story.text) <= 1_100_000 and len(story.text) <= max(len(data), MAX_TEXT_CHARS)
    rules = [d.rule for d in story.dropped if d.rule.startswith("bounded:")]
    assert any(PAGE_CUTS[name] in r for r in rules), rules


@pytest.mark.parametrize("name", FEEDS)
def test_feed_is_parsed_within_bounds(name: str) -> None:
    data, ctype = hostile.CASES[name][1]()
    entries, fragment = FEED_EXPECT[name]
    try:
        feed = parse_feed(data, url=f"https://hostile.example/{name}", content_type=ctype,
                          max_entries=100)
    except FeedParseError as exc:  # pragma: no cover - none of these is refused today
        pytest.fail(f"{name}: refused with {exc.code}: {exc}")
    assert len(feed.entries) == entries
    assert not fragment or any(fragment in p for p in feed.problems), feed.problems
    for e in feed.entries:
        assert e.title is None or len(e.title) <= 300
        assert e.content is None or len(e.content) <= 1_000_000


@pytest.mark.parametrize("name", QUERIES)
def test_query_matches_on_the_bounded_text(name: str) -> None:
    query, title, body, lists = hostile.CASES[name][1]()
    bounded = bounded_document(Document(title, body))
    assert len(bounded.document.body) <= MATCH_BODY_CHARS
    if len(body) > MATCH_BODY_CHARS:
        assert bounded.note and f"{len(body):,}" in bounded.note
    else:
        assert bounded.note is None and bounded.document.body == body
    m = match_topic(Topic("t", "t", query), bounded.document, lists)
    assert m is not None
    note_bounded(m, bounded.note)
    assert m.explanation.get("bounded") == bounded.note
