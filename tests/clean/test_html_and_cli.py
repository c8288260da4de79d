"""The HTML path (trafilatura, fallbacks) and the ``newsradar clean`` commands."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from worker.clean import clean_page
from worker.cli.clean import app

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
PARA = ("The regional parliament approved the new water law on Thursday after a debate that "
        "lasted well into the night, with members from three parties voting in favour. ")

ARTICLE = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Water Law Passes After Night-Long Debate | The Courier</title>
<meta property="og:site_name" content="The Courier">
<meta name="author" content="Lena Fischer">
<meta property="article:published_time" content="2024-05-16T08:30:00+02:00">
</head><body>
<nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article><h1>Water Law Passes After Night-Long Debate</h1>
<p>{PARA}</p><p>ALSO READ: Drought hits southern farms</p><p>{PARA * 2}</p>
<p>(With inputs from agencies.)</p></article>
<aside><h3>Most Read</h3><ul><li><a href="/a">Storm Closes Schools</a></li></ul></aside>
<footer>&copy; 2024 The Courier. All rights reserved.</footer></body></html>"""


def test_html_path_keeps_story_and_metadata() -> None:
    story = clean_page(ARTICLE.encode(), content_type="text/html")
    assert story.method == "html" and story.status == "ok"
    assert "regional parliament approved" in story.text
    assert "ALSO READ" not in story.text and "inputs from" not in story.text
    assert "Storm Closes Schools" not in story.text
    assert story.author == "Lena Fischer"
    assert story.site_name == "The Courier"
    assert story.to_dict()["published"] == "2024-05-16T08:30:00+02:00"
    assert story.language == "en"


def test_html_without_article_falls_back_to_visible_text() -> None:
    page = ("<html><body><div>Menu</div><div>Water Law Passes After Night-Long Debate</div>"
            f"<div>{PARA}</div><div>{PARA}</div><div>Share on Facebook Twitter</div></body></html>")
    story = clean_page(page)
    assert "regional parliament" in story.text
    assert "Share on" not in story.text


def test_feed_content_is_the_last_resort() -> None:
    story = clean_page("<html><body><div>Menu</div></body></html>",
                       fallback_text=f"<p>{PARA}</p>", fallback_title="Water Law Passes")
    assert story.method == "feed"
    assert "regional parliament" in story.text
    assert story.title == "Water Law Passes"


def test_cli_clean_json_and_explain() -> None:
    runner = CliRunner()
    seed = str(SEEDS / "000_906bbe40c4e300f6.txt")
    res = runner.invoke(app, [seed, "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["author"] == "Kriti Dhingra"
    assert data["status"] == "ok"
    assert set(data) >= {"title", "published", "author", "description", "site_name",
                         "language", "text", "status"}
    res = runner.invoke(app, ["--explain", seed])
    assert res.exit_code == 0
    assert "KEEP" in res.output and "DROP" in res.output and "also_read" in res.output


def test_cli_mounted_under_a_parent_app(tmp_path: Path) -> None:
    parent = typer.Typer()
    parent.add_typer(app, name="clean")

    @parent.command()
    def version() -> None:
        typer.echo("0")

    runner = CliRunner()
    res = runner.invoke(parent, ["clean", str(SEEDS / "003_caf3896bf0f883f3.txt")])
    assert res.exit_code == 0 and "Putin" in res.output
    res = runner.invoke(parent, ["clean", "tune", "--seeds", str(SEEDS),
                                 "--out", str(tmp_path / "p.json")])
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "p.json").read_text())["version"] >= 1
    res = runner.invoke(parent, ["clean", str(tmp_path / "missing.txt")])
    assert res.exit_code == 2


def test_visible_text_skips_hidden_parts_and_survives_deep_markup() -> None:
    from worker.clean._visible import visible_text

    page = ("<html><body><div>A <b>bold</b> move<script>x=1</script> after script</div>"
            "<p>Para <span hidden>secret</span>tail</p><!-- note -->after comment</body></html>")
    assert visible_text(page) == "A bold move after script\nPara tail\nafter comment"
    deep = "<div>" * 20000 + "deep" + "</div>" * 20000
    assert isinstance(visible_text(deep), str)  # no RecursionError
    assert clean_page(deep.encode()).status in {"ok", "no_body"}
