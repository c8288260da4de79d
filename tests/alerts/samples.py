"""Sample messages shared by the alerts tests and docs/examples."""

from __future__ import annotations

from datetime import UTC, datetime

from worker.alerts import AlertMessage, DigestMessage, Source, SystemMessage

EXPLANATION = {
    "query": '"korean war" AND (armistice OR anniversary)',
    "matched": [
        {"clause": '"korean war"', "hits": 2, "where": [
            {"field": "title", "zone": "title", "weight": 3.0,
             "words": [{"text": "Korean War", "start": 46, "end": 56}]}]},
        {"clause": "armistice", "hits": 1, "where": [
            {"field": "body", "zone": "lead", "weight": 2.0,
             "words": [{"text": "armistice", "start": 51, "end": 60}]}]},
    ],
    "absent": [],
    "score": {"formula": "score = 3 x title hits + 2 x lead hits + 1 x later body hits",
              "title_hits": 1, "lead_hits": 2, "body_hits": 1, "total": 8.0, "min_score": 2.0},
}


RELEVANCE = {
    "score": 0.8731, "parts": {"salience": 0.9142, "similarity": 0.6215, "model": None},
    "relevant": True, "min_relevance": 0.5,
    "reason": "'\"korean war\"' appears 2 times, in the lead and the title: a thread through the story",
    "weakest": '"korean war"', "branches": [],
}


def alert_message(channel: str = "team-mail", alert_id: int = 42, **over) -> AlertMessage:
    fields: dict = dict(  # noqa: C408 - reads like the constructor call
        alert_id=alert_id,
        delivery_id=7,
        channel=channel,
        topic_id="korea-armistice",
        topic_name="Korean War armistice anniversary",
        url="https://example.com/world/kim-vows-victory",
        title="Kim Jong Un vows victory over US on Korean War anniversary",
        outlet="example.com",
        published=datetime(2025, 7, 27, 0, 22, 47, tzinfo=UTC),
        score=8.0,
        explanation=EXPLANATION,
        highlights=[
            "Kim Jong Un vows victory over US on «Korean War» anniversary",
            ("Marking the 71st anniversary of the «Korean War» «armistice», Kim vowed to win the "
             "\"anti-imperialist, anti-US\" struggle."),
        ],
        other_sources=[
            Source("https://wire.example.org/kim-armistice", "Kim marks armistice anniversary",
                   "wire.example.org", datetime(2025, 7, 27, 1, 5, tzinfo=UTC)),
            Source("https://daily.example.net/asia/kim", "North Korea's Kim vows victory",
                   "daily.example.net", None),
        ],
        created_at=datetime(2025, 7, 27, 0, 30, tzinfo=UTC),
        story_id=5,
        relevance=RELEVANCE,
    )
    fields.update(over)
    return AlertMessage(**fields)


def digest_message(channel: str = "team-mail") -> DigestMessage:
    return DigestMessage(
        digest_id=3, channel=channel, topic_id="korea-armistice",
        topic_name="Korean War armistice anniversary", period_key="daily:2025-07-27T23:00Z",
        items=[
            alert_message(channel),
            alert_message(
                channel, alert_id=43, title="Rallies across North Korea mark 74th anniversary of the war",
                url="https://news.example.org/asia/rallies", outlet="news.example.org",
                published=datetime(2025, 7, 27, 9, 40, tzinfo=UTC), score=5.0,
                highlights=["Mass rallies marked the anniversary of the «Korean War» «armistice» in Pyongyang."],
                other_sources=[], story_id=6),
        ],
        created_at=datetime(2025, 7, 27, 23, 0, tzinfo=UTC),
    )


def system_message(channel: str = "ops") -> SystemMessage:
    return SystemMessage(alert_id=9, channel=channel, event="feed.failing",
                         feed_url="https://news.example.com/rss", feed_name="Example News",
                         detail="5 polls in a row failed", last_error="HTTP 503 from news.example.com",
                         created_at=datetime(2025, 7, 27, 6, 0, tzinfo=UTC))
