"""Every construct of the query language, and every error with its column."""

from __future__ import annotations

import pytest

from worker.errors import QueryError
from worker.topics import Topic, parse_query, validate_topics

from .sexpr import sexpr

LISTS = {
    "dprk": ['"North Korea*"', "DPRK", "Pyongyang", '"Kim Jong Un"'],
    "one": ["solo"],
    "bad": ['"open'],
    "empty": [],
    "nested": ["@dprk"],
    "mixed": ["a AND b"],
}

PARSES = [
    # terms, case and folding
    ("Russia", "russia"),
    ("RUSSIA", "russia"),
    ("Kim’s", "kim"),
    ("Kim's", "kim"),
    ("Pyöngyang", "pyongyang"),
    ("anti-US", '"anti us"'),
    ("Russia-North Korea", '(AND "russia north" korea)'),
    ("U.S.", '"u s"'),
    # wildcards
    ("russia*", "russia*"),
    ("ko*", "ko*"),
    ("Kim-Jong*", '"kim jong*"'),
    # phrases
    ('"Korean War"', '"korean war"'),
    ("“Korean War”", '"korean war"'),
    ('"North Korea*"', '"north korea*"'),
    ('"single"', "single"),
    ('"Russia-North Korea"', '"russia north korea"'),
    # boolean operators and precedence
    ("a AND b", "(AND a b)"),
    ("a b", "(AND a b)"),
    ("a OR b", "(OR a b)"),
    ("a b OR c d", "(OR (AND a b) (AND c d))"),
    ("a AND b OR c", "(OR (AND a b) c)"),
    ("a AND (b OR c)", "(AND a (OR b c))"),
    ("NOT a", "(NOT a)"),
    ("-a", "(NOT a)"),
    ("a -b", "(AND a (NOT b))"),
    ("a NOT b", "(AND a (NOT b))"),
    ("a AND NOT b", "(AND a (NOT b))"),
    ("-\"x y\"", '(NOT "x y")'),
    ("-(a OR b)", "(NOT (OR a b))"),
    ("NOT NOT a", "(NOT (NOT a))"),
    ("+a +b", "(AND a b)"),
    ("((a))", "a"),
    ("and or not", "(AND and or not)"),
    # proximity
    ("a NEAR/3 b", "(NEAR/3 a b)"),
    ("a ONEAR/2 b", "(ONEAR/2 a b)"),
    ('"x y" NEAR/5 zz*', '(NEAR/5 "x y" zz*)'),
    ("(a OR b) NEAR/4 c", "(NEAR/4 (OR a b) c)"),
    ("a NEAR/2 b NEAR/3 c", "(NEAR/3 (NEAR/2 a b) c)"),
    ("x a NEAR/2 b OR c", "(OR (AND x (NEAR/2 a b)) c)"),
    ("@one NEAR/2 b", "(NEAR/2 (OR@one solo) b)"),
    ("title:a NEAR/2 b", "(NEAR/2 (title: a) b)"),
    ("a NEAR/1000 b", "(NEAR/1000 a b)"),
    # fields
    ("title:korea", "(title: korea)"),
    ("Title:korea", "(title: korea)"),
    ('body:"x y"', '(body: "x y")'),
    ("title:(a OR b)", "(title: (OR a b))"),
    ("title:-a", "(title: (NOT a))"),
    ("-title:a", "(NOT (title: a))"),
    ("site:newsx.com", "(site: newsx.com)"),
    ("site:https://www.NewsX.com/world", "(site: www.newsx.com)"),
    ("site:*.newsx.com", "(site: newsx.com)"),
    ("lang:en", "(lang: en)"),
    ("lang:pt-BR", "(lang: pt)"),
    ("korea site:a.com OR site:b.org", "(OR (AND korea (site: a.com)) (site: b.org))"),
    # lists
    ("@dprk", '(OR@dprk "north korea*" dprk pyongyang "kim jong un")'),
    ("@dprk NEAR/10 russia*", '(NEAR/10 (OR@dprk "north korea*" dprk pyongyang "kim jong un") russia*)'),
]


@pytest.mark.parametrize("query,tree", PARSES)
def test_parses(query, tree):
    assert sexpr(parse_query(query, LISTS).root) == tree


ERRORS = [
    ("", "empty query", 1),
    ("   ", "empty query", 1),
    ("(russia AND (korea OR dprk)", "expected ')'", 28),
    ("(a", "expected ')'", 3),
    ("(a b", "expected ')'", 5),
    ("a)", "unexpected ')'", 2),
    (")", "unexpected ')'", 1),
    ("()", "empty group", 1),
    ("a ( ) b", "empty group", 3),
    ('"open', "unterminated phrase", 1),
    ('a "open', "unterminated phrase", 3),
    ('""', "empty phrase", 1),
    ('" "', "empty phrase", 1),
    ('"!!"', "has no letters or digits", 2),
    ("a AND", "expected a clause after AND", 6),
    ("a OR", "expected a clause after OR", 5),
    ("a OR OR b", "expected a clause after OR", 6),
    ("NOT", "expected a clause after NOT", 4),
    ("AND a", "unexpected 'AND'", 1),
    ("OR a", "unexpected 'OR'", 1),
    ("a NEAR/0 b", "NEAR/0: the distance must be at least 1", 3),
    ("a ONEAR/0 b", "ONEAR/0: the distance must be at least 1", 3),
    ("a NEAR/1001 b", "at most 1000", 3),
    ("a NEAR b", "expected NEAR/n", 3),
    ("a NEAR/x b", "expected NEAR/n", 3),
    ("a NEAR/", "expected NEAR/n", 3),
    ("NEAR/3 b", "unexpected 'NEAR/3'", 1),
    ("a NEAR/3", "expected a clause after NEAR/3", 9),
    ("a NEAR/3 (b AND c)", "NEAR/3 needs terms, phrases, wildcards, lists or OR-groups", 10),
    ("(a b) NEAR/3 c", "NEAR/3 needs terms", 1),
    ("a NEAR/3 -b", "NEAR/3 needs terms", 10),
    ("a NEAR/3 site:x.com", "NEAR/3 needs terms", 10),
    ("@mixed NEAR/2 x", "NEAR/2 needs terms", 1),
    ("*", "wildcard '*' must follow a letter or digit", 1),
    ("a*", "at least 2 letters before '*'", 2),
    ("ab*cd", "only allowed at the end of a word", 3),
    ("*ab", "only allowed at the end of a word", 1),
    ('"ab* cd"', "only allowed on the last word of a phrase", 5),
    ("r?ssia", "'?' wildcards are not supported", 2),
    ("-", "has no letters or digits", 1),
    ("x - y", "has no letters or digits", 3),
    ("foo:bar", "unknown field 'foo:'", 1),
    ("a title:", "expected a term, phrase or group after 'title:'", 9),
    ("title:)", "expected a term, phrase or group after 'title:'", 7),
    ("title:body:x", "'body:' cannot be used inside 'title:'", 7),
    ("title:(a site:x.com)", "'site:' cannot be used inside 'title:'", 10),
    ("site:", "expected a domain after 'site:'", 6),
    ("site:a..b", "is not a domain", 1),
    ("lang:", "expected a language code after 'lang:'", 6),
    ("lang:123", "is not a language code", 1),
    ("@nope", "unknown list '@nope'", 1),
    ("a OR @nope", "unknown list '@nope'", 6),
    ("@", "is not a list name", 1),
    ("@empty", "list @empty is empty", 1),
    ("x @bad", "list @bad entry 1 '\"open': unterminated phrase", 3),
    ("@nested", "a list cannot use another list", 1),
]


@pytest.mark.parametrize("query,reason,column", ERRORS)
def test_errors(query, reason, column):
    with pytest.raises(QueryError) as info:
        parse_query(query, LISTS)
    assert reason in info.value.reason
    assert info.value.column == column
    assert str(info.value).endswith(f"at column {column}")


def test_deep_nesting_is_an_error_not_a_crash():
    with pytest.raises(QueryError, match="nested too deeply") as info:
        parse_query("(" * 2000 + "a" + ")" * 2000)
    assert info.value.column == 65
    with pytest.raises(QueryError, match="nested too deeply"):
        parse_query("NOT " * 500 + "a")
    with pytest.raises(QueryError, match="too many chained NEAR operators"):
        parse_query(" NEAR/1 ".join(["a"] * 100))
    assert parse_query("(" * 40 + "a" + ")" * 40).root.text == "a"


def test_unknown_list_without_lists():
    with pytest.raises(QueryError, match="unknown list '@dprk'"):
        parse_query("@dprk")


def test_non_text_query():
    with pytest.raises(QueryError, match="query must be text"):
        parse_query(None)  # type: ignore[arg-type]


def test_error_names_topic_and_column():
    topics = [
        Topic("russia-ties", "Russia ties", "(russia AND (korea OR dprk)"),
        Topic("ok", "fine", "@dprk NEAR/10 russia*"),
        Topic("near0", "n", "a NEAR/0 b"),
        Topic("nolist", "n", "@nope OR x"),
        Topic("empty", "n", "a ()"),
        Topic("ok", "dup", "x"),
        Topic("neg", "n", "x", min_score=-1),
    ]
    assert validate_topics(topics, LISTS) == [
        "topic russia-ties: expected ')' at column 28",
        "topic near0: NEAR/0: the distance must be at least 1 at column 3",
        "topic nolist: unknown list '@nope' at column 1",
        "topic empty: empty group '()' at column 3",
        "topic ok: duplicate id",
        "topic neg: min_score must be >= 0, not -1",
        "list bad: entry 1 '\"open': unterminated phrase (missing closing quote) (entry column 1)",
        "list empty: is empty",
        "list nested: entry 1 '@dprk': a list cannot use another list (entry column 1)",
    ]


def test_issue_example_message():
    q = "russia AND (korea OR dprk"
    [msg] = validate_topics([Topic("russia-ties", "x", q)], {})
    assert msg == "topic russia-ties: expected ')' at column 26"


def test_node_text_is_the_query_slice():
    root = parse_query('a NEAR/3 "b c" OR title:d', LISTS).root
    assert root.text == 'a NEAR/3 "b c" OR title:d'
    assert [c.text for c in root.children] == ['a NEAR/3 "b c"', "title:d"]
