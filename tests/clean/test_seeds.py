"""Each seed page's cleaned text and metadata against its gold (seeds/gold)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from worker.clean import clean_page
from worker.clean._score import score_page

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
META = json.loads((SEEDS / "gold" / "meta.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("seed", sorted(META))
def test_seed_body_and_metadata(seed: str) -> None:
    story = clean_page((SEEDS / f"{seed}.txt").read_bytes())
    gold_title, _, gold_body = (SEEDS / "gold" / f"{seed}.txt").read_text(
        encoding="utf-8").partition("\n")
    meta = META[seed]
    assert story.status == "ok"
    assert story.method == "text"
    assert score_page(story.text, gold_body).f1 == 1.0
    assert story.text == gold_body.strip()  # the gold itself, paragraph for paragraph
    assert story.title == meta["title"] == gold_title.strip()
    assert story.to_dict()["published"] == meta["published"]
    assert story.author == meta["author"]
    assert story.description == meta["description"]
    assert story.published is None or story.published.tzinfo is not None
    # nothing from the page furniture reaches the body
    for noise in ("ALSO READ", "TRENDING", "Advertisement", "Photo:", "With inputs from",
                  "AI-generated", "Copyright", "Published"):
        assert noise not in story.text


def test_seed_dropped_lines_say_why() -> None:
    story = clean_page((SEEDS / "002_0fcbd66dd195d702.txt").read_bytes())
    rules = {d.text.strip(): d.rule for d in story.dropped}
    assert rules["(With inputs from agencies.)"] == "credit"
    assert rules["TRENDING"] == "list_label"
    assert any(r == "ai_disclaimer" for r in rules.values())


def test_threads_share_one_cleaner_safely() -> None:
    from concurrent.futures import ThreadPoolExecutor

    pages = [(SEEDS / f"{seed}.txt").read_bytes() for seed in sorted(META)] * 8
    expected = [clean_page(p).to_dict() for p in pages]
    with ThreadPoolExecutor(max_workers=6) as pool:
        got = list(pool.map(lambda p: clean_page(p).to_dict(), pages))
    assert got == expected


@pytest.mark.parametrize("seed", sorted(META))
def test_seed_as_flat_html_has_its_byline_and_date(seed: str) -> None:
    """A page whose tags give no author or date (every visible line a <p>): the HTML
    path reads the byline and date from the lines around the headline, as the text
    path does (seed 004's author was None here)."""
    from tests.seedsite import SeedPage, page_html

    page = SeedPage(seed, META[seed]["title"], (SEEDS / f"{seed}.txt").read_text(encoding="utf-8"))
    story = clean_page(page_html(page), content_type="text/html")
    assert story.method == "html"
    assert story.title == META[seed]["title"]
    assert story.author == META[seed]["author"]
    assert story.to_dict()["published"] == META[seed]["published"]
