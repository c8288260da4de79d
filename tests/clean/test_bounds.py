"""The cleaner's input caps (worker/clean/_bounds.py): hostile pages are cut, not chewed."""

from __future__ import annotations

import re

from worker.clean import clean_page
from worker.clean._bounds import (
    MAX_ATTRS,
    MAX_HTML_CHARS,
    MAX_LINES,
    MAX_NODES,
    bound_html,
    bound_text,
)


def test_bound_html_cuts_at_the_node_cap() -> None:
    b = bound_html("<p>a</p>" * (MAX_NODES * 3))
    assert len(re.findall(r"<[a-z]", b.text)) == MAX_NODES
    assert [n.rule for n in b.notes] == [f"bounded: read the first {MAX_NODES:,} of "
                                         f"{MAX_NODES * 3:,} elements"]


def test_bound_html_keeps_the_first_attributes_of_a_huge_tag() -> None:
    attrs = " ".join(f'a{i}="v{i}"' for i in range(50_000))
    b = bound_html(f"<div {attrs}><p>story</p></div>")
    tag = b.text[: b.text.index(">") + 1]
    assert tag.count("=") == MAX_ATTRS and "<p>story</p>" in b.text
    assert "first 64 attributes of 1 tag" in b.notes[0].rule


def test_bound_html_does_not_count_scripts() -> None:
    script = "<script>" + "var x = 1;" * (MAX_HTML_CHARS // 5) + "</script>"
    b = bound_html(f"<html><head>{script}</head><body><p>story</p></body></html>")
    assert "<p>story</p>" in b.text and len(b.text) < 1000 and not b.notes
    unclosed = bound_html("<script>" * (MAX_HTML_CHARS // 4))
    assert len(unclosed.text) <= MAX_HTML_CHARS


def test_bound_text_cuts_lines_and_characters() -> None:
    b = bound_text("".join(f"line {i}\n" for i in range(MAX_LINES * 2)))
    assert b.text.count("\n") == MAX_LINES - 1 and "lines" in b.notes[0].rule
    long = bound_text("word " * 1_000_000)
    assert len(long.text) <= 500_000 and "characters" in long.notes[0].rule
    assert bound_text("short\ntext").notes == []


def test_a_normal_page_is_not_touched() -> None:
    page = "<html><body><article><h1>T</h1>" + "<p>Some words in a story.</p>" * 50
    assert bound_html(page).text == page and bound_html(page).notes == []


def test_the_article_title_loses_escape_sequences_and_is_cut() -> None:
    page = ("<html><head><title>Big \x1b]0;pwned\x07news\x1b[2J today</title></head><body>"
            "<article><p>" + "Some words of the story itself. " * 20 + "</p></article>"
            "</body></html>")
    story = clean_page(page.encode(), content_type="text/html")
    assert story.title is not None and "\x1b" not in story.title and "\x07" not in story.title
    long = clean_page(f"<html><head><title>{'word ' * 3000}</title></head><body><p>x</p>"
                      "</body></html>", content_type="text/html")
    assert long.title is None or (len(long.title) <= 300 and long.title.endswith("…"))


def test_real_pages_are_not_cut_and_inline_scripts_are_not_tags() -> None:
    script = "<script>for(var a=0;a<b;a++){" + "x, " * 2000 + "}</script>"
    page = f"<html><head>{script}</head><body><p>story</p></body></html>"
    assert bound_html(page).text == page and bound_html(page).notes == []


def test_json_ld_survives_when_scripts_are_dropped() -> None:
    ld = '<script type="application/ld+json">{"datePublished": "2026-09-01"}</script>'
    big = "<script>" + "var x = 1;" * (MAX_HTML_CHARS // 5) + "</script>"
    out = bound_html(f"<html><head>{ld}{big}</head><body><p>story</p></body></html>").text
    assert ld in out and "var x" not in out
