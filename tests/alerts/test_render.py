from __future__ import annotations

import dataclasses
import json

import pytest

from worker.alerts import Renderer, Snippet
from worker.errors import DeliveryError

from .samples import alert_message, digest_message, system_message


def test_snippet_parses_marks():
    s = Snippet.parse("the «Korean War» and «armistice».")
    assert s.text == "the Korean War and armistice."
    assert [s.text[a:b] for a, b in s.marks] == ["Korean War", "armistice"]
    assert s.segments()[1] == ("Korean War", True)


def test_alert_email_subject_body_and_escaping():
    hl = [*alert_message().highlights[:1], (
        "Marking the 71st anniversary of the «Korean War» «armistice», Kim vowed to win the "
        "\"anti-imperialist\" struggle <b>&</b> more.")]
    r = Renderer(timezone="Asia/Seoul").email(alert_message(highlights=hl))
    assert r.subject == "[newsradar] Korean War armistice anniversary: Kim Jong Un vows victory over US on Korean War anniversary"
    # text: topic, linked headline, outlet, local time, marked words, why, other outlets
    assert "Topic: Korean War armistice anniversary" in r.text
    assert "https://example.com/world/kim-vows-victory" in r.text
    assert "2025-07-27 09:22 KST (Asia/Seoul)" in r.text
    assert "*Korean War* *armistice*" in r.text
    assert "Score 8. Why it matched:" in r.text
    assert "armistice: 1 hit (armistice)" in r.text
    assert "Also carried by 2 other outlets:" in r.text and "wire.example.org" in r.text
    # HTML: linked headline, <mark>, autoescaped article text
    assert '<a href="https://example.com/world/kim-vows-victory">Kim Jong Un' in r.html
    assert "<mark>Korean War</mark> <mark>armistice</mark>" in r.html
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in r.html and "<b>&</b>" not in r.html
    assert "&#34;anti-imperialist&#34;" in r.html


def test_subject_has_no_newlines():
    r = Renderer().email(alert_message(title="Line one\r\nBcc: evil@example.com"))
    assert "\n" not in r.subject and "\r" not in r.subject


def test_digest_and_system_render():
    d = Renderer().email(digest_message())
    assert d.subject == "[newsradar] Korean War armistice anniversary: 2 new stories"
    assert "1. Kim Jong Un vows" in d.text and "2. Rallies across North Korea" in d.text
    assert "Also: wire.example.org, daily.example.net" in d.text
    # each story says how relevant it is and why, in both parts
    assert d.text.count("relevance 0.8731") == 2 and d.html.count("relevance 0.8731") == 2
    assert "Why: '\"korean war\"' appears 2 times" in d.text and "Why: " in d.html
    bare = digest_message()
    bare = dataclasses.replace(bare, items=[dataclasses.replace(i, relevance=None) for i in bare.items])
    plain = Renderer().email(bare)  # relevance off for the topic: no line, no error
    assert "relevance" not in plain.text and "Why:" not in plain.text
    s = Renderer().email(system_message())
    assert s.subject == "[newsradar] feed health: feed failing: Example News"
    assert "HTTP 503" in s.text and "HTTP 503" in s.html


def test_override_one_template(tmp_path):
    (tmp_path / "alert.subject.j2").write_text("NEWS {{ m.topic_name }}")
    r = Renderer(tmp_path).email(alert_message())
    assert r.subject == "NEWS Korean War armistice anniversary"
    assert "Topic: Korean War" in r.text  # the rest still built in


def test_broken_template_is_a_clear_permanent_error(tmp_path):
    (tmp_path / "alert.txt.j2").write_text("{{ m.no_such_field }}")
    with pytest.raises(DeliveryError) as err:
        Renderer(tmp_path).email(alert_message())
    assert err.value.permanent and err.value.code == "template"
    assert "alert.txt.j2" in str(err.value)


def test_webhook_body_default_and_override(tmp_path):
    body = Renderer().webhook_body(alert_message())
    p = json.loads(body)
    assert p["type"] == "alert.created" and p["version"] == "2"
    assert p["id"] == "nr_alert_42_team-mail"
    assert p["article"]["snippets"][0] == {"text": "Kim Jong Un vows victory over US on Korean War anniversary",
                                           "marks": [[36, 46]]}
    assert [s["outlet"] for s in p["story"]["sources"]] == ["wire.example.org", "daily.example.net"]
    (tmp_path / "webhook.json.j2").write_text('{"text": {{ (m.topic_name ~ ": " ~ m.headline) | tojson }}}')
    assert json.loads(Renderer(tmp_path).webhook_body(alert_message()))["text"].startswith("Korean War")
    (tmp_path / "webhook.json.j2").write_text("not json {{ m.alert_id }}")
    with pytest.raises(DeliveryError, match="not valid JSON"):
        Renderer(tmp_path).webhook_body(alert_message())


def test_only_http_links_in_html():
    r = Renderer().email(alert_message(url="javascript:alert(1)"))
    assert "javascript:" not in r.html and 'href="#"' in r.html
