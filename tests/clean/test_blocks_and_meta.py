"""The HTML path's parts: the block walk, the page's own metadata, the block model and
trafilatura's fast mode with its full cascade as the fallback."""

from __future__ import annotations

import json

import pytest

from worker.clean import clean_page
from worker.clean._blocks import F_FOOTER, F_NAV, page_blocks
from worker.clean._htmlmodel import (
    FEATURE_NAMES,
    STAGE1_NAMES,
    BlockModel,
    coverage,
    gold_labels,
    load_block_model,
    seen_before,
    stage1_rows,
    tokens,
)
from worker.clean._htmlpath import _parse, page_parts
from worker.clean._meta import page_meta

PARA = ("The regional parliament approved the new water law on Thursday after a debate that "
        "lasted well into the night, with members from three parties voting in favour.")
PARA2 = ("Farmers in the south, who have faced three dry summers in a row, said the law came "
         "too late for this year's harvest but welcomed the new limits on industrial use.")


def test_blocks_carry_their_dom_context() -> None:
    root = _parse(f"""<html><body><nav><a href="/">Home</a></nav>
        <div class="article-body"><p>{PARA}</p><p>Read <a href="/x">more</a> here.</p></div>
        <footer>Contact us</footer></body></html>""")
    blocks, scores = page_blocks(root)
    by_text = {b.text: b for b in blocks}
    assert by_text["Home"].flags[F_NAV] == 1 and by_text["Home"].link_chars == 4
    assert by_text["Contact us"].flags[F_FOOTER] == 1
    assert by_text["Read more here."].link_chars == 4
    # the paragraphs' container scores highest
    top = max(scores, key=scores.__getitem__)
    assert top in by_text[PARA].anc


def test_a_page_wrapped_in_a_form_still_has_blocks() -> None:
    # ASP.NET pages put the whole body in one <form>
    page = f"<html><body><form><div><p>{PARA}</p><p>{PARA2}</p></div></form></body></html>"
    blocks, _ = page_blocks(_parse(page))
    assert [b.text for b in blocks] == [PARA, PARA2]
    story = clean_page(page, content_type="text/html")
    assert PARA in story.text and PARA2 in story.text


def test_coverage_takes_each_gram_of_the_other_text_once() -> None:
    page = f"<html><body><p>{PARA}</p><div>Menu</div><p>{PARA}</p></body></html>"
    blocks, _ = page_blocks(_parse(page))
    assert coverage(blocks, PARA) == [1.0, 0.0, 0.0]
    assert gold_labels(blocks, PARA + "\n\nMenu") == [1.0, 1.0, 0.0]
    assert seen_before([tokens(b.text) for b in blocks]) == [0.0, 0.0, 1.0]


def test_page_meta_prefers_json_ld_then_meta_tags() -> None:
    ld = {"@context": "https://schema.org", "@graph": [
        {"@type": "WebSite", "name": "The Courier"},
        {"@type": "NewsArticle", "headline": "Water Law Passes",
         "datePublished": "2024-05-16T08:30:00+02:00",
         "author": [{"@type": "Person", "name": "Lena Fischer"},
                    {"@type": "Person", "name": "Tom Reed"}],
         "publisher": {"@type": "Organization", "name": "Courier Media"}}]}
    root = _parse(f"""<html lang="de-DE"><head><title>Water Law | The Courier</title>
        <meta property="og:site_name" content="The Courier">
        <meta property="og:title" content="OG title">
        <meta name="author" content="Someone Else">
        <script type="application/ld+json">{json.dumps(ld)}</script></head>
        <body><p>x</p></body></html>""")
    m = page_meta(root)
    assert m.title == "Water Law Passes"
    assert m.author == "Lena Fischer; Tom Reed"
    assert m.published is not None and m.published.when.isoformat() == "2024-05-16T08:30:00+02:00"
    assert m.site_name == "The Courier"
    assert m.language == "de"


def test_page_meta_from_tags_alone_and_no_url_as_author() -> None:
    root = _parse("""<html><head><title>Trams go north - City Times</title>
        <meta property="article:author" content="https://example.org/staff/ana">
        <meta itemprop="datePublished dateCreated" content="2019-11-19">
        </head><body><p>x</p></body></html>""")
    m = page_meta(root)
    assert m.title == "Trams go north"
    assert m.author is None
    assert m.published is not None and not m.published.has_time
    assert m.published.when.date().isoformat() == "2019-11-19"


def test_html_path_date_from_a_dateline_when_tags_give_none() -> None:
    page = (f"<html><head><title>Water law</title></head><body><h1>Water law</h1>"
            f"<div>Published: 19 November 2019 10:02 IST</div><p>{PARA}</p><p>{PARA2}</p>"
            "</body></html>")
    story = clean_page(page, content_type="text/html")
    assert story.to_dict()["published"] == "2019-11-19T10:02:00+05:30"
    assert "Published" not in story.text


def test_packaged_block_model_is_small_and_complete() -> None:
    model = load_block_model()
    assert model is not None
    assert len(model.w1) == len(STAGE1_NAMES) and len(model.w2) == len(FEATURE_NAMES)
    assert 0.0 < model.threshold < 1.0
    prov = model.provenance
    assert prov["pages"] >= 100 and "cv5_f1" in prov and "train_html" in prov["command"]


def test_block_model_keeps_story_blocks_and_drops_a_related_list() -> None:
    related = "".join(f"<li><a href='/{k}'>Storm closes schools in the north, day {k}</a></li>"
                      for k in range(6))
    page = (f"<html><body><header class='site-header'><a href='/'>Home</a></header>"
            f"<article><h1>Water law</h1><p>{PARA}</p><p>{PARA2}</p><p>{PARA}</p></article>"
            f"<aside class='related'><h3>Related stories</h3><ul>{related}</ul></aside>"
            "<footer>All rights reserved.</footer></body></html>")
    parts = page_parts(page)
    rows = stage1_rows(parts.blocks, parts.scores, parts.traf_text, parts.meta.title)
    model = load_block_model()
    assert model is not None
    probs = dict(zip((b.text for b in parts.blocks), model.probabilities(rows)))
    assert probs[PARA2] >= model.threshold
    story = clean_page(page, content_type="text/html")
    assert PARA2 in story.text and "Storm closes" not in story.text


@pytest.mark.parametrize("fast_ok", [True, False])
def test_full_cascade_runs_only_when_fast_mode_missed_the_story(
        monkeypatch: pytest.MonkeyPatch, fast_ok: bool) -> None:
    import worker.clean._htmlpath as hp

    calls: list[bool] = []
    real = hp._trafilatura_text

    def spy(page: object, url: str | None, fast: bool = False) -> str:
        calls.append(fast)
        if fast and not fast_ok:
            return "Menu"  # fast mode missing the story
        return real(page, url, fast)

    monkeypatch.setattr(hp, "_trafilatura_text", spy)
    page = f"<html><body><article><p>{PARA}</p><p>{PARA2}</p></article></body></html>"
    story = clean_page(page, content_type="text/html")
    assert calls == ([True] if fast_ok else [True, False])
    assert PARA2 in story.text


def test_model_round_trips_through_json() -> None:
    m = BlockModel([0.5] * len(STAGE1_NAMES), [0.25] * len(FEATURE_NAMES), 0.4, {"pages": 1})
    back = BlockModel.from_dict(json.loads(m.to_json()))
    assert back.w1 == m.w1 and back.w2 == m.w2 and back.threshold == 0.4
