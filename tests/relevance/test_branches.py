"""Required AND-branches of a query and where a story hits them (worker.topics)."""

from __future__ import annotations

import pytest

from worker.topics import Document, branch_hits, parse_query, query_branch_hits, required_branches

LISTS = {"dprk": ['"North Korea*"', "DPRK", "Pyongyang"]}


@pytest.mark.parametrize("query, expected", [
    ("missile", ["missile"]),
    ("A AND (B OR C)", ["A", "(B OR C)"]),
    ("A B C", ["A", "B", "C"]),
    ("A AND NOT B", ["A"]),
    ("(A AND B) AND C", ["A", "B", "C"]),
    ("A OR (B AND C)", ["A OR (B AND C)"]),
    ("site:example.com AND A", ["A"]),
    ('"kim jong un" NEAR/5 summit AND trip', ['"kim jong un" NEAR/5 summit', "trip"]),
    ("title:(A AND B)", ["title:A", "title:B"]),
])
def test_required_branches(query, expected):
    got = [b.text for b in required_branches(parse_query(query))]
    assert [g.strip("()") for g in got] == [e.strip("()") for e in expected]


def test_list_expands_as_one_branch():
    branches = required_branches(parse_query("@dprk AND (missile* OR launch*)", LISTS))
    assert [b.text for b in branches] == ["@dprk", "missile* OR launch*"]
    story = Document("Pyongyang fires a missile",
                     "North Korea launched a missile on Monday.\n\nDPRK media said so.")
    hits = branch_hits(branches, story)
    dprk = hits[0].hits
    assert [(h.zone, h.paragraph) for h in dprk] == [("title", -1), ("lead", 0), ("body", 1)]
    assert {h.text for h in dprk} == {"Pyongyang", "North Korea", "DPRK"}
    assert [(h.text, h.zone) for h in hits[1].hits] == [
        ("missile", "title"), ("launched", "lead"), ("missile", "lead")]


def test_paragraph_and_sentence_positions():
    body = ("Seoul shares rose. Banks led the gains.\n\n"
            "Exporters were flat.\n\n"
            "Traders shrugged off news that North Korea fired a missile. Oil eased.")
    [dprk, missile] = query_branch_hits("@dprk AND missile*", Document("Stocks up", body), LISTS)
    [h] = missile.hits
    assert (h.zone, h.paragraph, h.sentence) == ("body", 2, 3)
    assert h.context == "Traders shrugged off news that North Korea fired a missile."
    assert body[h.start:h.end] == "missile"


def test_short_mentions_of_a_full_name_count_as_partial_hits():
    story = Document("Kim arrives in Hanoi",
                     "Kim Jong Un arrived in Hanoi on Sunday.\n\nKim met the president.\n\n"
                     "The kimchi was served.")
    [kim, _] = query_branch_hits('"Kim Jong Un" AND (visit* OR arriv*)', story)
    got = [(h.text, h.zone, h.partial) for h in kim.hits]
    assert got == [("Kim", "title", True), ("Kim Jong Un", "lead", False), ("Kim", "body", True)]
    [kim_only, _] = branch_hits(required_branches(parse_query('"Kim Jong Un" AND visit*')),
                                story, short_names=False)
    assert [h.text for h in kim_only.hits] == ["Kim Jong Un"]


def test_lowercase_phrases_get_no_short_mentions():
    story = Document("Rules", "New export controls apply.\n\nThe controls bite. Export of chips.")
    [ec] = query_branch_hits('"export control*"', story)
    assert [h.text for h in ec.hits] == ["export controls"]
