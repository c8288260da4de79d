"""The console in a real browser (headless Chromium), as a person uses it: log in, add a
feed from its site's address, make a topic, run a pass, see the alert in the inbox, mark
it bad, read the article, mark a story that relevance held back as good, edit a topic and
watch the live preview change, run a backtest and see its chart. Each page's screenshot is saved: under $NEWSRADAR_SCREENSHOTS when set (`make
screenshots` sets it to docs/screenshots, the pictures of docs/web.md), else in a
temporary directory, so that a test run leaves the checkout as it was."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from sqlalchemy import select

from tests.seedsite import ROOT
from worker.store import AlertFeedback

from .conftest import PASSWORD, Console, Site, run_pass, session_for


def _shots_dir() -> Path:
    chosen = os.environ.get("NEWSRADAR_SCREENSHOTS")
    if chosen:
        path = Path(chosen)
        return path if path.is_absolute() else ROOT / path
    return Path(tempfile.mkdtemp(prefix="newsradar-screenshots-"))


SHOTS = _shots_dir()


def wait(driver, condition, timeout: float = 20.0):  # type: ignore[no-untyped-def]
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException  # noqa: PLC0415
    from selenium.webdriver.support.ui import WebDriverWait  # noqa: PLC0415

    # htmx swaps elements out from under a reference: look again rather than fail
    ignored = (NoSuchElementException, StaleElementReferenceException)
    return WebDriverWait(driver, timeout, ignored_exceptions=ignored).until(condition)


def shot(driver, name: str) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return Math.min(document.documentElement.scrollHeight, 2400)")
    driver.set_window_size(1280, max(800, height + 100))  # the window's frame takes some
    driver.execute_script("window.scrollTo(0, 0)")
    driver.save_screenshot(str(SHOTS / f"{name}.png"))
    driver.set_window_size(1280, 900)


def test_a_person_logs_in_adds_a_feed_sees_the_alert_and_tunes_a_topic(
        browser, console: Console, site: Site) -> None:
    from selenium.webdriver.common.by import By  # noqa: PLC0415
    from selenium.webdriver.common.keys import Keys  # noqa: PLC0415

    d = browser
    css = By.CSS_SELECTOR

    # Log in: the console sends anyone without a session to the login page.
    d.get(console.url + "/")
    assert "/login" in d.current_url
    shot(d, "login")
    d.find_element(css, "#password").send_keys(PASSWORD + Keys.ENTER)
    wait(d, lambda d: d.find_elements(css, "h1") and d.find_element(css, "h1").text.startswith("Alerts"))
    assert "No alerts yet" in d.page_source

    # Add a feed by the site's home page: its <link rel="alternate"> feed is found.
    d.find_element(css, 'nav a[href="/feeds"]').click()
    d.find_element(css, "#feed-url").send_keys(site.home)
    d.find_element(css, 'input[name="name"]').send_keys("Seed News")
    d.find_element(css, "form.add button").click()
    wait(d, lambda d: d.find_elements(css, ".notice"))
    assert f"added {site.feed}" in d.find_element(css, ".notice").text

    # Import an OPML list with one feed more; this one is not fetched now, and is broken.
    opml = console.settings.config.parent / "more.opml"
    opml.write_text('<?xml version="1.0"?><opml version="2.0"><body>'
                    f'<outline text="Seed News" xmlUrl="{site.feed}"/>'
                    f'<outline text="Gone Daily" xmlUrl="{site.server.url("/gone.xml")}"/></body></opml>',
                    encoding="utf-8")
    d.find_element(css, 'input[type="file"][name="file"]').send_keys(str(opml))
    d.find_element(css, "section.opml button").click()
    wait(d, lambda d: "1 feed(s) added, 1 skipped" in d.find_element(css, ".notice").text)

    # A topic of its own, made in the console: "Kursk" (only a background mention in the
    # seed stories, so relevance will hold its matches back).
    d.get(console.url + "/topics/new")
    d.find_element(css, 'input[name="id"]').send_keys("kursk")
    d.find_element(css, "#query").send_keys("Kursk")
    d.find_element(css, 'input[name="channels"][value="jsonl"]').click()
    d.find_element(css, "#topic-form button[type=submit]").click()
    wait(d, lambda d: "/topics/kursk" in d.current_url)
    d.find_element(css, 'nav a[href="/feeds"]').click()

    # A pass of the runner (what `newsradar run` or the service does in the background).
    summary = run_pass(console.settings)
    assert summary.alerts >= 4  # type: ignore[attr-defined]
    d.refresh()
    row = d.find_element(css, "tr.health-ok")
    assert "Seed News" in row.text and "5" in row.find_element(css, "td.num:nth-of-type(8)").text
    broken = d.find_element(css, "tr.health-warn")  # one failed poll so far: amber, not red
    assert "Gone Daily" in broken.text and "not_found" in broken.text
    shot(d, "feeds")

    # The alert is in the inbox: one row per story, with its outlets, each topic it
    # matched and the highlighted words.
    d.find_element(css, 'nav a[href="/"]').click()
    stories = d.find_elements(css, "li.story")
    assert len(stories) >= 4
    match = d.find_element(css, 'section.topic-match[data-topic="armistice"]')
    assert match.find_elements(css, "mark") and "Korean War armistice" in match.text
    alert_id = match.get_attribute("id")
    story_id = d.find_element(css, f"li.story:has(#{alert_id})").get_attribute("id")
    assert "Seed News" in d.find_element(css, f"#{story_id} .outlets").text
    shot(d, "alerts")

    # Mark it bad for that topic: the row is redrawn in place (htmx) and the mark stored.
    match.find_element(css, "button.bad").click()
    wait(d, lambda d: "marked bad" in d.find_element(css, f"#{alert_id}").text)
    assert "fb-bad" in d.find_element(css, f"#{alert_id}").get_attribute("class")
    with session_for(console.settings) as s:
        assert [(f.topic_id, f.verdict) for f in s.scalars(select(AlertFeedback))] == [("armistice", "bad")]

    # Read the article: cleaned text, metadata and why it matched.
    d.find_element(css, f"#{story_id} h2 a").click()
    wait(d, lambda d: d.find_elements(css, "article.article"))
    assert "Cleaned text" in d.page_source and "armistice" in d.find_element(css, "ul.matches").text
    d.find_element(css, "#explain-button").click()  # the cleaner's KEEP/DROP per line
    wait(d, lambda d: d.find_elements(css, "table.explain tr.v-keep"))
    assert d.find_elements(css, "table.explain tr.v-drop")
    shot(d, "article")

    # Held back: what the query matched and relevance held back, with the reason; the
    # person says relevance was wrong, and the mark is stored for `topics tune`.
    d.find_element(css, 'nav a[href="/held-back"]').click()
    held = d.find_elements(css, 'li.held-back[data-topic="kursk"]')
    assert held and "'Kursk' appears" in held[0].find_element(css, ".rel-reason").text
    assert "relevance" in held[0].find_element(css, ".rel-score").text
    row_id = held[0].get_attribute("id")
    held[0].find_element(css, "button.good").click()
    wait(d, lambda d: "marked good" in d.find_element(css, f"#{row_id}").text)
    shot(d, "held-back")
    with session_for(console.settings) as s:
        marks = {(f.topic_id, f.verdict) for f in s.scalars(select(AlertFeedback))}
        assert ("kursk", "good") in marks

    # Topics: the list with its 30-day sparklines.
    d.find_element(css, 'nav a[href="/topics"]').click()
    assert len(d.find_elements(css, "svg.spark")) >= 3
    shot(d, "topics")

    # Edit a topic: the preview follows the query as it is typed.
    d.find_element(css, 'a[href="/topics/russia-ties"]').click()

    def count(d) -> str | None:  # type: ignore[no-untyped-def]
        found = d.find_elements(css, ".preview-count strong")
        return found[0].text if found else None

    wait(d, count)
    before = count(d)
    query = d.find_element(css, "#query")
    query.clear()
    query.send_keys("Kursk AND (")
    wait(d, lambda d: d.find_elements(css, ".query-problem"))
    problem = d.find_element(css, ".query-problem").text
    assert "column" in problem and "^" in problem
    shot(d, "topic-error")
    query.send_keys(Keys.BACKSPACE * 6)  # "Kursk": fewer stories than the saved query
    wait(d, lambda d: count(d) is not None and count(d) != before)
    assert int(count(d)) < int(before)
    assert {m.text for m in d.find_elements(css, "ul.preview mark")} == {"Kursk"}

    # Backtest over 7 days: a chart of would-be alerts per day.
    days = d.find_element(css, 'input[name="days"]')
    days.clear()
    days.send_keys("7")
    d.find_element(css, "#run-backtest").click()
    wait(d, lambda d: d.find_elements(css, "#backtest svg.chart"))
    assert len(d.find_elements(css, "#backtest svg.chart rect.bar")) == 7
    assert "would-be alert(s)" in d.find_element(css, "#backtest h2").text
    shot(d, "topic-editor")

    # Deliveries: the unreachable webhook's failures, with their attempts.
    d.find_element(css, 'nav a[href="/deliveries"]').click()
    assert d.find_elements(css, "tr.row-failed")
    shot(d, "deliveries")

    # Search, and the way from a search to a new topic.
    d.find_element(css, 'nav a[href="/search"]').click()
    d.find_element(css, "#q").send_keys("Kursk" + Keys.ENTER)
    wait(d, lambda d: d.find_elements(css, ".preview-count"))
    shot(d, "search")
    d.find_element(css, 'a.button[href^="/topics/new"]').click()
    assert d.find_element(css, "#query").get_attribute("value") == "Kursk"
