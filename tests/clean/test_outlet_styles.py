# ruff: noqa: E501  (page fixtures keep their paragraphs on one line, as pages do)
"""Whole pages in the styles of outlets that are not among the seeds, and arbitrary input."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from worker.clean import clean_page, explain_page

WIRE_STYLE = """Skip to main content
World
Business
Markets
Ports in the north reopen after week-long strike
By Jane Holt and Omar Said
5 min read
November 19, 2019 9:02 AM GMT
Dockworkers at the country's three largest northern ports returned to work on Tuesday after unions and employers agreed on a new wage deal, ending a strike that had left hundreds of ships waiting offshore.

The agreement raises pay by 6% over two years and limits night shifts, the unions said in a joint statement.

Shipping companies said it would take at least a week to clear the backlog of containers.
Trucks queue outside the port gates on Monday. REUTERS/Ann Smith
"We lost millions every day," said the head of the national shippers' council. "Nobody wins a strike like this."
(Reporting by Jane Holt; Editing by Mark Reed)
Our Standards: The Thomson Trust Principles.
More from World
Floods force thousands from homes in the delta
Election commission rejects recount request
Markets rally as inflation cools
Apps
Newsletters
Advertise with Us
All quotes delayed a minimum of 15 minutes.
© 2019 Reuters. All Rights Reserved.
"""

BLOG_STYLE = """Menu
Home
Recipes
About
Contact
My Week Of Cooking Without A Stove
Posted on March 3, 2021 by Lena
When our stove broke in the middle of winter, I decided to see how long we could manage with a kettle, a toaster and a slow cooker.

The first two days were easy: porridge, soup and toast carry you a long way when it is cold outside.

By Thursday I was tired of soup, so I tried baking bread in the slow cooker, which worked far better than I expected.

Share this:
Twitter
Facebook
Like this:
Related
12 thoughts on "My Week Of Cooking Without A Stove"
Anna on March 4, 2021 at 8:15 am said:
What a fun experiment, I will try the bread this weekend and tell you how it went.
Reply
Leave a Reply
Your email address will not be published. Required fields are marked *
"""

REGIONAL_STYLE = """Home / Cities / Pune
Pune civic body to add 200 electric buses by March
TNN | Updated: Nov 19, 2019, 10:34 IST
Read also: Metro work to close two lanes on Karve Road
PUNE: The civic transport body will add 200 electric buses to its fleet by March, officials said on Tuesday, as part of a plan to cut diesel use across the city.

The buses will run on 25 routes, most of them connecting the new metro stations with residential areas on the outskirts.

The first 50 buses are expected to arrive in January, the officials said, and charging depots are being built at four locations.
Download The Times of India News App for Latest City News
Trending Topics
Pune Rains
Pune Traffic
"""


BUTTONS_AFTER_LEAD = """Home / World News / Ferry services resume after storm
Ferry services resume after storm, says coast guard
The storm had halted all crossings for three days.
By Staff Writer
Updated on Jul 01, 2024 07:14 AM IST
Ferry services between the mainland and the islands resumed on Monday morning after the storm moved out to sea, the coast guard said.
Share Via
Copy Link
The first crossing left at six o'clock with about two hundred passengers on board, officials said.
Operators said they would add extra sailings this week to clear the backlog of travellers.
Subscribe to our best newsletters
(With inputs from agencies)
Get Latest World News along with Latest News and Top Headlines from around the world.
"""


def test_share_buttons_after_the_first_paragraph() -> None:
    story = clean_page(BUTTONS_AFTER_LEAD)
    assert story.title == "Ferry services resume after storm, says coast guard"
    assert story.description == "The storm had halted all crossings for three days."
    assert story.author == "Staff Writer"
    assert story.text.startswith("Ferry services between the mainland")
    assert "extra sailings" in story.text
    for noise in ("Share Via", "Copy Link", "Subscribe", "inputs", "Get Latest"):
        assert noise not in story.text


SENTENCE_CASE_WITH_DEK = """Today's Paper
Cities
New tram line opens in the old town after six years of work
The line is the city's first new tram route since the 1970s
Updated - June 19, 2024 06:55 am IST
Published - June 19, 2024 06:20 am IST - LISBON
The city's new tram line opened to passengers on Wednesday morning, linking the old town with the university district in under twenty minutes.
Officials said the trams would run every eight minutes at peak hours, and that fares would stay the same as on the bus network.
Passengers wait for the first tram at the central stop. | Photo Credit: Special Arrangement
Residents who had campaigned for the line for a decade gathered at the first stop to watch the opening ceremony.
Read Comments
"""


def test_sentence_case_headline_over_a_dek() -> None:
    story = clean_page(SENTENCE_CASE_WITH_DEK)
    assert story.title == "New tram line opens in the old town after six years of work"
    assert story.description == "The line is the city's first new tram route since the 1970s"
    assert story.to_dict()["published"] == "2024-06-19T06:20:00+05:30"
    assert story.text.startswith("The city's new tram line opened")
    assert "decade gathered" in story.text  # the story goes on past the photo caption
    assert "Photo Credit" not in story.text and "Read Comments" not in story.text


def test_wire_style_page() -> None:
    story = clean_page(WIRE_STYLE)
    assert story.title == "Ports in the north reopen after week-long strike"
    assert story.author == "Jane Holt and Omar Said"
    assert story.to_dict()["published"] == "2019-11-19T09:02:00+00:00"
    assert "Dockworkers" in story.text and "Nobody wins a strike" in story.text
    for noise in ("REUTERS/", "Reporting by", "Floods force", "All Rights Reserved", "min read"):
        assert noise not in story.text


def test_blog_with_comments() -> None:
    story = clean_page(BLOG_STYLE)
    assert story.title == "My Week Of Cooking Without A Stove"
    assert story.author == "Lena"
    assert story.to_dict()["published"] == "2021-03-03"
    assert "slow cooker" in story.text and "By Thursday" in story.text
    for noise in ("What a fun experiment", "Leave a Reply", "Share this", "thoughts on"):
        assert noise not in story.text


def test_regional_style_page() -> None:
    story = clean_page(REGIONAL_STYLE)
    assert story.title == "Pune civic body to add 200 electric buses by March"
    assert story.to_dict()["published"] == "2019-11-19T10:34:00+05:30"
    assert "200 electric buses to its fleet" in story.text
    for noise in ("Read also", "Download The Times", "Pune Rains"):
        assert noise not in story.text


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.binary(max_size=3000), st.text(max_size=3000)))
def test_arbitrary_input_never_raises(data: bytes | str) -> None:
    story = clean_page(data)
    assert story.status in {"ok", "empty", "binary", "too_large", "no_body"}
    assert (story.status == "ok") == bool(story.text)
    explain_page(data)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=120),
                max_size=60))
def test_arbitrary_dumps_keep_only_input_lines(lines: list[str]) -> None:
    text = "\n".join(lines)
    story = clean_page(text, content_type="text/plain")
    stripped = {ln.strip() for ln in lines}
    for para in filter(None, story.text.split("\n\n")):
        assert any(para in s for s in stripped)
