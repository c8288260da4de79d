"""Hostile inputs that cost CPU or memory: built in memory, never committed (megabytes).

Each case is a small generator; ``CASES`` maps a name to (stage, generator, note).
Stages and what a generator returns:

    page   (bytes, content_type)             -> worker.clean.clean_page
    feed   (bytes, content_type)             -> worker.sources.parse_feed (max_entries 100)
    query  (query, title, body, lists)       -> worker.topics.match_topic

Used by tests/test_hostile_stages.py (bounded outcomes) and bench/hostile.py (CPU seconds
and peak memory per case, each in its own process). Regenerating is deterministic.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HTML = "text/html; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"
JSONF = "application/feed+json"


def _page(body: str) -> tuple[bytes, str]:
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Hostile</title></head>"
            f"<body><article><h1>Hostile page</h1>{body}</article></body></html>").encode(), HTML


def _rss(items: str) -> tuple[bytes, str]:
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Hostile feed</title><link>https://hostile.example/</link>"
            f"<description>x</description>{items}</channel></rss>").encode(), RSS


def _item(n: int, description: str = "text") -> str:
    return (f"<item><title>Story {n}</title><link>https://hostile.example/{n}</link>"
            f"<guid>h-{n}</guid><pubDate>Tue, 01 Sep 2026 10:00:00 GMT</pubDate>"
            f"<description>{description}</description></item>")


# ---- pages --------------------------------------------------------------------------
def page_p_100k() -> tuple[bytes, str]:
    return _page("<p>a</p>" * 100_000)


def page_p_words_50k() -> tuple[bytes, str]:
    return _page("".join(f"<p>Paragraph {i} says a few words.</p>" for i in range(50_000)))


def page_attrs_50k() -> tuple[bytes, str]:
    attrs = " ".join(f'a{i}="v{i}"' for i in range(50_000))
    return _page(f"<div {attrs}><p>The story itself is short but real.</p></div>")


def page_text_lines_9mb() -> tuple[bytes, str]:
    text = "".join(f"line {i} of short text\n" for i in range(380_000))  # ~9 MB
    return text.encode(), "text/plain; charset=utf-8"


def page_html_lines_9mb() -> tuple[bytes, str]:
    return _page("<pre>" + "".join(f"line {i} of text\n" for i in range(450_000)) + "</pre>")


def page_deep_divs() -> tuple[bytes, str]:
    return _page("<div>" * 100_000 + "deep text" + "</div>" * 100_000)


def page_unclosed_tags() -> tuple[bytes, str]:
    return _page("<b><i>x" * 150_000)


def page_one_long_line() -> tuple[bytes, str]:
    return _page("<p>" + "word " * 1_500_000 + "</p>")


# ---- feeds --------------------------------------------------------------------------
def feed_unclosed_tags_item() -> tuple[bytes, str]:
    # 390,000 unclosed tags inside one escaped description (1.2 MB): feedparser's HTML
    # sanitiser / our sanitiser see them.
    return _rss(_item(1, "&lt;b&gt;x" * 130_000 + "&lt;i&gt;" * 130_000 + "&lt;u&gt;" * 130_000))


def feed_unclosed_tags_raw() -> tuple[bytes, str]:
    # 390,000 unclosed tags as markup inside the item (1.2 MB): not well-formed XML, so
    # feedparser falls back to its loose parser.
    return _rss(_item(1, "<b>" * 390_000))


def feed_unclosed_tags_cdata() -> tuple[bytes, str]:
    return _rss(_item(1, "<![CDATA[" + "<b>" * 390_000 + "]]>"))


def feed_jsonfeed_100k() -> tuple[bytes, str]:
    items = [{"id": f"j{i}", "url": f"/{i}", "title": f"T {i}",
              "date_published": "2026-09-01T10:00:00Z"}
             for i in range(100_000)]  # ~9 MB, under the 10 MB feed cap
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "Big",
                       "items": items}).encode(), JSONF


def feed_xml_50k_items() -> tuple[bytes, str]:
    return _rss("".join(_item(n) for n in range(50_000)))


def feed_long_titles() -> tuple[bytes, str]:
    return _rss("".join(_item(n).replace(f"Story {n}", "word " * 20_000) for n in range(50)))


# ---- queries ------------------------------------------------------------------------
def _words(n: int, vocab: list[str], seed: int = 7) -> str:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        out.append(rng.choice(vocab))
        if i % 25 == 24:
            out.append(".\n" if i % 100 == 99 else ".")
    return " ".join(out)


_DENSE = ["a", "b", "c", "d", "e", "f", "filler", "other"]


def query_near_chain4() -> tuple[str, str, str, dict]:
    return ("a NEAR/100 b NEAR/100 c NEAR/100 d", "Title", _words(5_000, _DENSE), {})


def query_near_chain6() -> tuple[str, str, str, dict]:
    return ("a NEAR/100 b NEAR/100 c NEAR/100 d NEAR/100 e NEAR/100 f", "Title",
            _words(5_000, _DENSE), {})


def query_onear_nested() -> tuple[str, str, str, dict]:
    q = "((a ONEAR/50 b) NEAR/50 (c ONEAR/50 d)) NEAR/50 ((e OR f) NEAR/50 fil*)"
    return q, "Title", _words(20_000, _DENSE), {}


def query_near_phrases() -> tuple[str, str, str, dict]:
    q = '"a b" NEAR/200 "c d" NEAR/200 "e f" NEAR/200 (a OR b OR c)'
    return q, "Title", _words(20_000, _DENSE), {}


def _example_topics() -> tuple[list[tuple[str, str]], dict]:
    import yaml

    cfg = yaml.safe_load((ROOT / "config" / "newsradar.yaml").read_text())
    return [(t["id"], t["query"]) for t in cfg["topics"]], cfg.get("lists") or {}


def query_example_topics_56k() -> tuple[str, str, str, dict]:
    # Sentences as a long wire story writes them: every topic's words recur close together,
    # which is what made NEAR chains enumerate (window x occurrences) pairs per level.
    topics, lists = _example_topics()
    rng = random.Random(3)
    subjects = ["Kim Jong Un", "North Korea", "Pyongyang", "the DPRK", "Kim Jong Il"]
    verbs = ["visited", "met", "held talks with", "attended a summit with", "hosted",
             "invited", "travelled to meet", "commemorated the armistice with"]
    objects = ["Putin in Moscow", "Xi Jinping in Beijing", "Russian troops", "the Kremlin",
               "Lavrov", "Shoigu", "Moon in Seoul", "world leaders", "Lukashenko"]
    tails = ["on the Korean War anniversary", "near Panmunjom", "after the truce talks",
             "at a parade", "during the Victory Day ceremony", "for a ceasefire"]
    words = 0
    sentences = []
    while words < 56_000:
        s = (f"{rng.choice(subjects)} {rng.choice(verbs)} {rng.choice(objects)} "
             f"{rng.choice(tails)}.")
        sentences.append(s)
        words += len(s.split())
    body = "\n".join(" ".join(sentences[i:i + 5]) for i in range(0, len(sentences), 5))
    query = " OR ".join(f"({q})" for _, q in topics)
    return query, "Kim Jong Un visits Moscow", body, lists


QUERIES = {"query_near_chain4", "query_near_chain6", "query_onear_nested",
           "query_near_phrases", "query_example_topics_56k"}

CASES: dict[str, tuple[str, Callable[[], Any], str]] = {
    "page_p_100k": ("page", page_p_100k, "<p>a</p> x 100,000"),
    "page_p_words_50k": ("page", page_p_words_50k, "50,000 short worded paragraphs"),
    "page_attrs_50k": ("page", page_attrs_50k, "50,000 attributes on one tag"),
    "page_text_lines_9mb": ("page", page_text_lines_9mb, "9 MB of short text lines (text/plain)"),
    "page_html_lines_9mb": ("page", page_html_lines_9mb, "9 MB of short lines in <pre>"),
    "page_deep_divs": ("page", page_deep_divs, "100,000 nested <div>"),
    "page_unclosed_tags": ("page", page_unclosed_tags, "300,000 unclosed tags"),
    "page_one_long_line": ("page", page_one_long_line, "one 7.5 MB paragraph"),
    "feed_unclosed_tags_item": ("feed", feed_unclosed_tags_item,
                                "one item with 390,000 unclosed (escaped) tags"),
    "feed_unclosed_tags_raw": ("feed", feed_unclosed_tags_raw,
                               "one item with 390,000 unclosed tags as raw markup"),
    "feed_unclosed_tags_cdata": ("feed", feed_unclosed_tags_cdata,
                                 "one item with 390,000 unclosed tags in CDATA"),
    "feed_jsonfeed_100k": ("feed", feed_jsonfeed_100k, "JSON Feed with 100,000 items"),
    "feed_xml_50k_items": ("feed", feed_xml_50k_items, "RSS with 50,000 items"),
    "feed_long_titles": ("feed", feed_long_titles, "50 items with 100,000-char titles"),
    "query_near_chain4": ("query", query_near_chain4, "a NEAR/100 b NEAR/100 c NEAR/100 d, 5k words"),
    "query_near_chain6": ("query", query_near_chain6, "six-term NEAR/100 chain, 5k words"),
    "query_onear_nested": ("query", query_onear_nested, "nested ONEAR/NEAR, prefix, 20k words"),
    "query_near_phrases": ("query", query_near_phrases, "NEAR chain of phrases, 20k words"),
    "query_example_topics_56k": ("query", query_example_topics_56k,
                                 "the example config's topics, 56k words"),
}
