"""The description's similarity, passage by passage and beyond a mere mention,
on small hand-made stories."""

from __future__ import annotations

from worker.relevance import Story, TopicProfile, prepare_story, prepare_topic, relevance
from worker.relevance._similarity import description_similarity
from worker.topics import Document, query_branch_hits

LISTS = {"dprk": ['"North Korea*"', "DPRK", "Pyongyang", '"Kim Jong Un"']}
QUERY = '@dprk AND (sanction* OR "Security Council")'
SANCTIONS = TopicProfile(description=(
    "I follow sanctions aimed at North Korea: UN Security Council resolutions and votes, "
    "the panel monitoring them, designations of North Korean companies and ships, and "
    "seized tankers. I don't want stories that mention sanctions only as background."))

# Both stories hit the same words (North Korea, Security Council) in every paragraph;
# only what the sentences around them say differs.
UN_VOTE = ("UN Security Council debates North Korea", [
    "The UN Security Council met on Monday to debate tightening sanctions on North Korea.",
    "A draft resolution would cap North Korea's oil imports and designate 12 shipping "
    "companies, the Security Council's sanctions committee said.",
    "North Korea called the draft hostile; the Security Council vote is due on Friday.",
])
RUSSIAN_COUNCIL = ("Russian Security Council chief in North Korea", [
    "The secretary of Russia's Security Council arrived in North Korea on Monday.",
    "He toured a tank factory and discussed artillery supplies, the Security Council "
    "secretary's office said, as North Korea's troops train with Russian units.",
    "North Korea's leader thanked him; the Security Council delegation flew on to Minsk.",
])


def _prepared(title, paragraphs, embedder):
    body = "\n\n".join(paragraphs)
    ev = query_branch_hits(QUERY, Document(title, body), LISTS)
    return prepare_story(Story.from_text(title, body), embedder), ev


def test_the_topic_passages_decide_not_the_shared_words(embedder):
    topic = prepare_topic(SANCTIONS, embedder)
    un, un_ev = _prepared(*UN_VOTE, embedder)
    ru, ru_ev = _prepared(*RUSSIAN_COUNCIL, embedder)
    assert {h.text.lower() for b in ru_ev for h in b.hits} >= {"security council"}
    assert (description_similarity(un, topic.want, un_ev)
            > description_similarity(ru, topic.want, ru_ev) + 0.05)
    assert (relevance(un, topic, un_ev).parts.similarity
            > relevance(ru, topic, ru_ev).parts.similarity)


def test_a_bare_mention_reaches_about_zero(embedder):
    # A passage that is nothing but the matched word has no excess over it; sentences
    # that say what the description says do.
    topic = prepare_topic(SANCTIONS, embedder)
    bare = "Sanctions"
    st = prepare_story(Story.from_text(bare, bare), embedder)
    ev = query_branch_hits("sanction*", Document(bare, bare), LISTS)
    assert abs(description_similarity(st, topic.want, ev)) < 0.02
    full, full_ev = _prepared(*UN_VOTE, embedder)
    assert description_similarity(full, topic.want, full_ev) > 0.05


def test_without_hits_it_is_the_whole_story_cosine(embedder):
    topic = prepare_topic(SANCTIONS, embedder)
    st, _ = _prepared(*UN_VOTE, embedder)
    assert description_similarity(st, topic.want, []) == float(st.vector @ topic.want)
    assert description_similarity(st, None, []) is None
