"""NEAR chains stay linear in the story: bounded span counts, exact hits."""

from __future__ import annotations

import random

import pytest

from worker.topics import Document, Topic, match_topic
from worker.topics._index import prepare
from worker.topics._matcher import compile_node
from worker.topics._parser import parse_query

VOCAB = ["a", "b", "c", "d", "x"]


def _doc(n: int, seed: int) -> Document:
    rng = random.Random(seed)
    return Document("t", " ".join(rng.choice(VOCAB) for _ in range(n)))


def _near_ref(words: list[str], a: str, b: str, n: int, ordered: bool) -> bool:
    pa = [i for i, w in enumerate(words) if w == a]
    pb = [i for i, w in enumerate(words) if w == b]
    return any((0 < j - i <= n) or (not ordered and 0 < i - j <= n) for i in pa for j in pb)


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("op", ["NEAR", "ONEAR"])
def test_two_term_near_hit_is_exact(seed: int, op: str) -> None:
    doc = _doc(30, seed)
    n = seed % 5 + 1
    m = compile_node(parse_query(f"a {op}/{n} b").root)
    want = _near_ref(doc.body.split(), "a", "b", n, op == "ONEAR")
    assert m.hit(prepare(doc)) is want


@pytest.mark.parametrize("terms", [3, 4, 6])
def test_chain_spans_are_linear_in_the_story(terms: int) -> None:
    doc = prepare(_doc(5_000, 1))
    query = " NEAR/100 ".join("abcdx"[:terms] if terms <= 5 else "abcdxa")
    m = compile_node(parse_query(query).root)
    occurrences = sum(len(ps) for ps in doc.postings.values())
    assert m.hit(doc)
    # each level keeps at most two pairs per span of each side
    assert len(m.spans(doc)) <= 4 * occurrences * terms


def test_chain_match_counts_disjoint_pairs() -> None:
    doc = Document("t", "a b x x x c d")
    m = match_topic(Topic("t", "t", "(a NEAR/1 b) NEAR/4 (c NEAR/1 d)"), doc, {})
    assert m is not None and m.score > 0
    assert match_topic(Topic("t", "t", "(a NEAR/1 b) NEAR/3 (c NEAR/1 d)"), doc, {}) is None


def test_bounded_document_keeps_title_lead_and_a_bounded_body() -> None:
    from worker.topics import bounded_document, note_bounded

    lead = "Kim Jong Un met Putin in Moscow on Tuesday."
    body = lead + "\n" + ("filler words here. " * 10_000) + "\nKremlin at the very end"
    b = bounded_document(Document("T " * 400, body), max_body_chars=5_000)
    assert len(b.document.body) <= 5_000 and b.document.body.startswith(lead)
    assert len(b.document.title) <= 300
    assert b.note and "body's first" in b.note and f"{len(body):,}" in b.note
    assert b.body_chars == len(body)
    hit = match_topic(Topic("t", "t", "Putin"), b.document, {})
    assert hit is not None and note_bounded(hit, b.note).explanation["bounded"] == b.note
    assert match_topic(Topic("t", "t", "Kremlin"), b.document, {}) is None
    small = Document("Title", "short body")
    assert bounded_document(small).document is small and bounded_document(small).note is None
