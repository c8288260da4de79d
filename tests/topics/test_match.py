"""Matching semantics, folding, score, explanation and highlights."""

from __future__ import annotations

import json

import pytest

from worker.errors import QueryError
from worker.topics import Document, Topic, TopicIndex, match_topic

LISTS = {"dprk": ['"North Korea*"', "DPRK", "Pyongyang", '"Kim Jong Un"'],
         "russia": ["Russia*", "Moscow", "Putin"]}

TITLE = "Kim’s envoy visits Moscow"
BODY = (
    "North Korea’s foreign minister arrived in Moscow on Monday for talks with Russian "
    "officials.\n\n"
    "The visit follows months of closer Russia-North Korea military cooperation. Analysts "
    "in Seoul said the café-style reception was unusual.\n\n"
    "The \u201cKorean War\u201d ended in an armistice, not a peace treaty, in 1953."
)
DOC = Document(TITLE, BODY, site="edition.newsx.com", lang="en-GB")


def m(query: str, doc: Document = DOC, min_score: float = 0.0):
    return match_topic(Topic("t", "t", query, min_score), doc, LISTS)


@pytest.mark.parametrize("query,expected", [
    # terms: whole words, case-insensitive
    ("moscow", True), ("MOSCOW", True), ("mosc", False), ("moscows", False),
    # prefix
    ("russia*", True), ("mosc*", True), ("moscx*", False),
    # phrases: adjacent words
    ('"foreign minister"', True), ('"minister foreign"', False), ('"North Korea*"', True),
    ('"korean war"', True), ('"war ended"', True), ('"ended war"', False),
    # folding: curly quotes, possessives, diacritics, hyphenated compounds
    ("Kim", True), ("Kim's", True), ("Kim’s", True), ("cafe", True), ("café", True),
    ('"Russia-North Korea"', True), ("Russia", True), ('"North Korea"', True),
    ('"russia north korea military"', True), ("“Korean War”", True),
    # boolean
    ("moscow AND seoul", True), ("moscow seoul", True), ("moscow AND tokyo", False),
    ("tokyo OR seoul", True), ("tokyo OR beijing", False), ("NOT tokyo", True),
    ("NOT moscow", False), ("moscow -tokyo", True), ("moscow -seoul", False),
    ("(tokyo OR seoul) AND armistice", True), ("-(tokyo OR seoul)", False),
    # proximity (distance: start of the later minus end of the earlier)
    ("armistice NEAR/4 treaty", True), ("armistice NEAR/3 treaty", False),
    ("treaty NEAR/4 armistice", True), ("armistice ONEAR/4 treaty", True),
    ("treaty ONEAR/4 armistice", False), ('"korean war" NEAR/4 armistice', True),
    ('"korean war" NEAR/3 armistice', False), ("(peace OR treaty) NEAR/1 armistice", False),
    ("(not OR treaty) NEAR/1 armistice", True), ("korea* NEAR/1 foreign", True),
    ("@dprk NEAR/3 @russia", True), ("@dprk ONEAR/1 @russia", False),
    ("(moscow NEAR/4 talks) NEAR/2 russian", True), ("(moscow NEAR/3 talks) NEAR/5 russian", False),
    # NEAR never crosses from the title to the body
    ("moscow NEAR/2 north", False),
    # fields
    ("title:moscow", True), ("title:seoul", False), ("body:seoul", True), ("body:envoy", False),
    ("title:(envoy OR seoul)", True), ("title:-seoul", True), ("title:-moscow", False),
    ("title:envoy NEAR/1 visits", True), ("body:kim", False), ('title:"envoy visits"', True),
    # site (subdomains included) and lang (primary subtag)
    ("site:newsx.com", True), ("site:edition.newsx.com", True), ("site:www.newsx.com", False),
    ("site:x.com", False), ("site:ewsx.com", False), ("lang:en", True), ("lang:fr", False),
    ("moscow site:newsx.com lang:en", True),
])
def test_semantics(query, expected):
    assert (m(query) is not None) is expected


def test_site_and_lang_absent_on_document():
    doc = Document("t", "moscow")
    assert m("site:newsx.com", doc) is None and m("lang:en", doc) is None
    assert m("NOT site:newsx.com", doc) is not None


def test_www_site_normalised():
    doc = Document("t", "x", site="https://WWW.NewsX.com:443/a/b")
    assert m("site:newsx.com", doc) is not None


def test_score_formula():
    doc = Document("Korea talks", "Korea again here.\n\nLater text about Korea and korea.")
    got = m("korea", doc)
    assert got is not None
    # title 3 + lead 2 + body 1 + body 1
    assert got.score == 7.0
    s = got.explanation["score"]
    assert (s["title_hits"], s["lead_hits"], s["body_hits"]) == (1, 1, 2)
    assert m("korea", doc, min_score=7.0) is not None
    assert m("korea", doc, min_score=7.5) is None


def test_lead_is_capped_at_60_words():
    body = " ".join(["filler"] * 70) + " korea"
    got = m("korea", Document("t", body))
    assert got is not None and got.score == 1.0


def test_near_counts_disjoint_pairs():
    doc = Document("t", "intro line\n\nalpha beta alpha beta. alpha")
    got = m("alpha NEAR/1 beta", doc)
    assert got is not None
    assert got.score == 2.0  # (alpha beta) (alpha beta); the last alpha has no partner


def test_same_words_by_two_clauses_count_once():
    doc = Document("t", "x\n\nPutin spoke.")
    assert m("putin OR putin*", doc).score == 1.0


def test_not_only_query_scores_zero():
    got = m("NOT tokyo")
    assert got is not None and got.score == 0.0
    assert got.explanation["absent"] == ["NOT tokyo"]
    assert m("NOT tokyo", min_score=0.5) is None


def test_explanation_is_json_safe_and_says_where():
    got = m("@dprk NEAR/5 @russia", min_score=0)
    assert got is not None
    d = got.to_dict()
    assert json.loads(json.dumps(d)) == d
    [clause] = got.explanation["matched"]
    assert clause["clause"] == "@dprk NEAR/5 @russia"
    where = clause["where"][0]
    assert where["field"] == "body" and where["zone"] == "lead" and where["weight"] == 2.0
    texts = [w["text"] for w in where["words"]]
    assert texts == ["North Korea’s", "Moscow"]
    w0 = where["words"][0]
    assert BODY[w0["start"]:w0["end"]] == "North Korea’s"


def test_explanation_names_list_entries():
    got = m("@russia")
    assert got is not None
    clauses = {c["clause"] for c in got.explanation["matched"]}
    assert "@russia: Moscow" in clauses and "@russia: Russia*" in clauses


def test_highlights_mark_hit_words_in_their_sentences():
    got = m("seoul OR armistice OR moscow")
    assert got is not None
    assert got.highlights == [
        "Kim’s envoy visits «Moscow»",
        ("North Korea’s foreign minister arrived in «Moscow» on Monday for talks with Russian "
         "officials."),
        "Analysts in «Seoul» said the café-style reception was unusual.",
    ]


def test_highlights_at_most_three_and_plain_text():
    body = "\n\n".join(f"Sentence {i} about korea." for i in range(10))
    got = m("korea", Document("Title", body))
    assert got is not None and len(got.highlights) == 3
    assert got.highlights[0] == "Sentence 0 about «korea»."


def test_long_sentence_snippet_is_windowed():
    body = "word " * 200 + "korea " + "word " * 200
    got = m("korea", Document("t", body))
    assert got is not None
    [h] = got.highlights
    assert "«korea»" in h and h.startswith("…") and h.endswith("…") and len(h) < 400


def test_index_add_replace_remove():
    idx = TopicIndex(LISTS)
    idx.add(Topic("a", "a", "moscow"))
    idx.add(Topic("b", "b", "tokyo"))
    idx.add(Topic("c", "c", "NOT tokyo"))
    idx.add(Topic("d", "d", "mosc*"))
    assert len(idx) == 4
    assert [x.topic_id for x in idx.match(DOC)] == ["a", "d", "c"]
    idx.add(Topic("b", "b", "seoul"))  # replace
    assert len(idx) == 4
    assert {x.topic_id for x in idx.match(DOC)} == {"a", "b", "c", "d"}
    idx.remove("a")
    idx.remove("d")
    idx.remove("missing")
    assert {x.topic_id for x in idx.match(DOC)} == {"b", "c"}
    assert len(idx) == 2


def test_index_add_bad_query_names_topic_and_keeps_old():
    idx = TopicIndex(LISTS)
    idx.add(Topic("x", "x", "moscow"))
    with pytest.raises(QueryError) as info:
        idx.add(Topic("x", "x", "moscow AND (seoul"))
    assert str(info.value) == "topic x: expected ')' at column 18"
    assert info.value.topic == "x"
    assert [t.query for t in idx.topics()] == ["moscow"]


def test_matches_sorted_by_score():
    idx = TopicIndex(LISTS)
    idx.add(Topic("low", "l", "seoul"))
    idx.add(Topic("high", "h", "moscow"))
    idx.add(Topic("filtered", "f", "seoul", min_score=5))
    assert [(x.topic_id, x.score) for x in idx.match(DOC)] == [("high", 5.0), ("low", 1.0)]


def test_empty_document():
    assert m("korea", Document("", "")) is None
    assert m("NOT korea", Document("", "")) is not None


def test_index_learns_which_words_are_frequent():
    idx = TopicIndex(learn_after=None)
    idx.add(Topic("t", "t", "president AND kursk"))
    d = prepare_doc("President speaks", "The president said nothing about the weather.")
    # by length, "president" looks rarer than "kursk": the topic is indexed under it
    assert idx.candidates(d) == {"t"}
    for i in range(20):
        idx.match(Document(f"President {i}", "The president spoke again."))
    assert idx.rechoose_terms() == 1
    # measured, "president" is in every story and "kursk" in none: indexed under kursk
    assert idx.candidates(d) == set()
    assert [m.topic_id for m in idx.match(Document("Kursk", "The president on Kursk."))] == ["t"]


def test_removing_topics_forgets_their_word_counts():
    idx = TopicIndex(learn_after=None)
    idx.add(Topic("a", "a", "alpha beta"))
    idx.add(Topic("b", "b", "beta"))
    idx.match(Document("alpha beta", "beta"))
    idx.remove("a")
    assert "alpha" not in idx._df and idx._df["beta"] == 1
    idx.remove("b")
    assert idx._df == {} and not idx._word_refs


def prepare_doc(title: str, body: str):
    from worker.topics import prepare

    return prepare(Document(title, body))
