"""Property-based tests: the parser never crashes; the matcher agrees with a naive
reference evaluator; the index gives exactly the matches of one-by-one evaluation."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from worker.errors import QueryError
from worker.topics import Document, Topic, TopicIndex, match_topic, parse_query
from worker.topics._ast import And, Field, Lang, Near, Node, Not, Or, Phrase, Site
from worker.topics._fold import fold_words
from worker.topics._text import norm_host, norm_lang

VOCAB = ["korea", "korean", "north", "russia", "russian", "moscow", "war", "armistice",
         "kim", "putin", "trade", "ties", "the", "of"]
SURFACE = VOCAB + ["Korea’s", "North-Korea", "RUSSIA", "Kim's", "Pyöngyang", "war."]
LISTS = {"dprk": ['"North Korea*"', "kim", "pyongyang"], "ru": ["russia*", "moscow", "putin"]}
SITES = ["www.newsx.com", "newsx.com", "edition.other.org", None]
LANGS = ["en", "en-GB", "fr", None]

QUERY_ALPHABET = st.sampled_from(
    list('abc()"*-+@:/ \'’“”') + ["AND", "OR", "NOT", "NEAR/2", "ONEAR/1", "NEAR/0",
                                   "title:", "site:", "lang:", "@dprk", "korea", "é", "\n"]
)

settings.register_profile("topics", max_examples=150, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
PROFILE = settings.get_profile("topics")


@PROFILE
@given(st.text(max_size=60))
def test_parser_never_crashes_on_any_text(text):
    try:
        parse_query(text, LISTS)
    except QueryError as exc:
        assert exc.column is None or 1 <= exc.column <= len(text) + 1


@PROFILE
@given(st.lists(QUERY_ALPHABET, max_size=25).map(" ".join))
def test_parser_never_crashes_on_query_like_text(text):
    try:
        parse_query(text, LISTS)
    except QueryError as exc:
        assert exc.column is None or 1 <= exc.column <= len(text) + 1


# -- random queries -------------------------------------------------------------------
def _leaf() -> st.SearchStrategy[tuple[str, bool]]:
    word = st.sampled_from(VOCAB)
    return st.one_of(
        word.map(lambda w: (w, True)),
        word.filter(lambda w: len(w) >= 3).flatmap(
            lambda w: st.integers(2, len(w)).map(lambda n: (w[:n] + "*", True))),
        st.lists(word, min_size=2, max_size=3).map(lambda ws: ('"' + " ".join(ws) + '"', True)),
        st.sampled_from(["@dprk", "@ru"]).map(lambda x: (x, True)),
        st.sampled_from(["site:newsx.com", "site:other.org", "lang:en", "lang:fr"]).map(
            lambda x: (x, False)),
    )


def _extend(children: st.SearchStrategy[tuple[str, bool]]) -> st.SearchStrategy[tuple[str, bool]]:
    pos = children.filter(lambda c: c[1])
    return st.one_of(
        st.tuples(children, children).map(lambda ab: (f"({ab[0][0]} AND {ab[1][0]})", False)),
        st.tuples(children, children).map(lambda ab: (f"({ab[0][0]} {ab[1][0]})", False)),
        st.tuples(children, children).map(
            lambda ab: (f"({ab[0][0]} OR {ab[1][0]})", ab[0][1] and ab[1][1])),
        children.map(lambda a: (f"NOT {a[0]}", False)),
        children.map(lambda a: (f"-{a[0]}", False)),
        st.tuples(pos, pos, st.integers(1, 6), st.booleans()).map(
            lambda t: (f"({t[0][0]} {'ONEAR' if t[3] else 'NEAR'}/{t[2]} {t[1][0]})", True)),
        st.tuples(st.sampled_from(["title:", "body:"]), children).filter(
            lambda t: ":" not in t[1][0]).map(lambda t: (f"{t[0]}({t[1][0]})", t[1][1])),
    )


QUERIES = st.recursive(_leaf(), _extend, max_leaves=6).map(lambda q: q[0])
SENTENCE = st.lists(st.sampled_from(SURFACE), min_size=1, max_size=12).map(" ".join)
DOCS = st.builds(
    Document,
    title=SENTENCE,
    body=st.lists(SENTENCE, max_size=5).map("\n\n".join),
    site=st.sampled_from(SITES),
    lang=st.sampled_from(LANGS),
)


# -- a naive reference evaluator, written from the language definition -------------
def _word_ok(token: str, word) -> bool:
    return token.startswith(word.text) if word.prefix else token == word.text


def _spans(node: Node, toks: list[str], zone: str | None, field: str) -> set[tuple[int, int]]:
    if zone is not None and zone != field:
        return set()
    if isinstance(node, Phrase):
        n = len(node.words)
        return {(i, i + n - 1) for i in range(len(toks) - n + 1)
                if all(_word_ok(toks[i + j], w) for j, w in enumerate(node.words))}
    if isinstance(node, Or):
        return set().union(*(_spans(c, toks, zone, field) for c in node.children))
    if isinstance(node, Field):
        return _spans(node.child, toks, node.name, field)
    if isinstance(node, Near):
        out = set()
        for a in _spans(node.left, toks, zone, field):
            for b in _spans(node.right, toks, zone, field):
                if b[0] > a[1] and b[0] - a[1] <= node.distance:
                    out.add((a[0], b[1]))
                elif not node.ordered and a[0] > b[1] and a[0] - b[1] <= node.distance:
                    out.add((b[0], a[1]))
        return out
    raise AssertionError(node)


def _naive(node: Node, doc: Document, zone: str | None = None) -> bool:
    fields = {"title": fold_words(doc.title), "body": fold_words(doc.body)}
    if isinstance(node, (Phrase, Near)):
        return any(_spans(node, toks, zone, f) for f, toks in fields.items())
    if isinstance(node, Or):
        return any(_naive(c, doc, zone) for c in node.children)
    if isinstance(node, And):
        return all(_naive(c, doc, zone) for c in node.children)
    if isinstance(node, Not):
        return not _naive(node.child, doc, zone)
    if isinstance(node, Field):
        return _naive(node.child, doc, node.name)
    if isinstance(node, Site):
        host = norm_host(doc.site)
        return host is not None and (host == node.domain or host.endswith("." + node.domain))
    if isinstance(node, Lang):
        return norm_lang(doc.lang) == node.code
    raise AssertionError(node)


@PROFILE
@given(QUERIES, DOCS)
def test_matcher_agrees_with_naive_reference(query, doc):
    q = parse_query(query, LISTS)
    got = match_topic(Topic("t", "t", query), doc, LISTS)
    assert (got is not None) == _naive(q.root, doc)
    if got is not None:
        assert got.score >= 0 and len(got.highlights) <= 3


@PROFILE
@given(st.lists(QUERIES, min_size=1, max_size=12), st.lists(DOCS, min_size=1, max_size=6),
       st.lists(st.sampled_from([0.0, 0.0, 1.0, 2.0, 3.0]), min_size=12, max_size=12))
def test_index_equals_one_by_one(queries, docs, scores):
    topics = [Topic(f"t{i}", "n", q, scores[i]) for i, q in enumerate(queries)]
    # learn_after=1: presearch words are re-chosen after stories 1 and 4 of the stream
    index = TopicIndex(LISTS, learn_after=1)
    for t in topics:
        index.add(t)
    for doc in docs:
        got = [(x.topic_id, x.score, x.highlights) for x in index.match(doc)]
        ref = [match_topic(t, doc, LISTS) for t in topics]
        want = sorted(((x.topic_id, x.score, x.highlights) for x in ref if x is not None),
                      key=lambda r: (-r[1], r[0]))
        assert got == want


@PROFILE
@given(st.lists(st.tuples(st.integers(0, 5), QUERIES), min_size=1, max_size=15), DOCS)
def test_index_after_updates_equals_one_by_one(ops, doc):
    """Add, replace and remove in any order: the index matches a fresh evaluation."""
    index = TopicIndex(LISTS)
    live: dict[str, Topic] = {}
    for k, q in ops:
        tid = f"t{k}"
        if q.startswith("NOT ") and tid in live:  # a cheap way to mix removals in
            index.remove(tid)
            del live[tid]
        else:
            live[tid] = Topic(tid, "n", q)
            index.add(live[tid])
    assert len(index) == len(live)
    got = sorted(x.topic_id for x in index.match(doc))
    want = sorted(t.id for t in live.values() if match_topic(t, doc, LISTS) is not None)
    assert got == want


@PROFILE
@given(QUERIES, DOCS)
def test_fast_score_equals_explained_hits(query, doc):
    """The scoring path and the explanation path count the same hits."""
    from worker.topics._explain import _dedupe, score_counts
    from worker.topics._index import compile_topic, prepare
    from worker.topics._matcher import explain

    ct = compile_topic(Topic("t", "t", query), LISTS)
    d = prepare(doc)
    if not ct.matcher.hit(d):
        return
    counts = score_counts(ct.matcher, d)
    hits = [h for h in _dedupe(explain(ct.matcher, d).hits) if h.marks]
    zones = {"title": 0, "lead": 0, "body": 0}
    for h in hits:
        zones[d.zone(h.marks[0][0])] += 1
    assert zones == counts


@PROFILE
@given(st.text(max_size=80) | SENTENCE)
def test_fast_folding_equals_offset_tokenizer(text):
    """Positions come from fold_words, highlight offsets from iter_tokens: same words."""
    from worker.topics._fold import iter_tokens

    assert fold_words(text) == [w for w, _, _ in iter_tokens(text)]
