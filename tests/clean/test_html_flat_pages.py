"""Pages with no structure for trafilatura to go on (every line a <p>): the HTML path
still drops a caption split from its credit and numbered headline lists."""

from __future__ import annotations

from worker.clean import clean_page

STORY = (
    "The city council voted on Tuesday to expand the tram network to the northern "
    "suburbs, after two years of consultation with residents and businesses along the route."
)


def page(*paras: str) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paras)
    return f"<html><head><title>Trams go north</title></head><body>{body}</body></html>".encode()


def test_caption_line_repeated_with_its_credit_is_dropped() -> None:
    caption = "Mayor Ana Lopez and transport minister Tom Reed at the depot"
    story = clean_page(page(caption, f"{caption} | Photo: Reuters", STORY, STORY.replace("Tuesday", "Monday")),
                       content_type="text/html")
    assert caption not in story.text
    assert {d.rule for d in story.dropped} >= {"caption", "caption_dup"}
    assert STORY in story.text


def test_numbered_headline_list_is_dropped_but_a_numbered_story_list_is_kept() -> None:
    trending = [
        "1. Cricket Star Signs Off From The League",
        "2. Ten Films To Watch This Independence Day",
        "3. Storm Kajiki Kills Eight In Vietnam",
    ]
    steps = [
        "1. The first stage opens in March and adds six stops.",
        "2. The second stage follows a year later, funded by the region.",
        "3. The depot will be rebuilt to house the longer trams.",
    ]
    story = clean_page(page(STORY, *steps, STORY.replace("Tuesday", "Monday"), "Trending Stories", *trending),
                       content_type="text/html")
    for line in trending:
        assert line not in story.text
    for line in steps:
        assert line in story.text


def test_breadcrumb_line_is_dropped() -> None:
    crumb = "Home > World > Asia > Trams go north"
    story = clean_page(page(crumb, STORY, STORY.replace("Tuesday", "Monday")), content_type="text/html")
    assert crumb not in story.text
    assert "breadcrumb" in {d.rule for d in story.dropped}
