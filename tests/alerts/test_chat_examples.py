"""The chat and feed examples under docs/examples/ are what newsradar renders today
(with each target's real limits and markup, as Apprise declares them).

Regenerate after a formatting change:
    NEWSRADAR_WRITE_EXAMPLES=1 .venv/bin/python -m pytest tests/alerts/test_chat_examples.py
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from worker.alerts import FeedFileChannel
from worker.alerts._apprise import _markup, apprise_target
from worker.alerts._chat import chat_message

from .samples import alert_message, digest_message, system_message

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"

# A made-up URL of each kind: only Apprise's parsing of it is used, nothing is sent.
TARGETS = {
    "slack": ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#news", "md"),
    "telegram": ("tgram://123456789:abcdefghijklmnop/-100123456", "html"),
    "ntfy": ("ntfy://ntfy.example.org/newsradar", "txt"),
    "matrix": ("matrix://newsradar:pw@matrix.example.org/#news", "md"),
}


def _examples() -> dict[str, str]:
    out: dict[str, str] = {}
    for kind, (url, ext) in TARGETS.items():
        target = apprise_target(url)
        assert target is not None
        for stem, msg in (("alert", alert_message(kind)), ("digest", digest_message(kind)),
                          ("feed-health", system_message(kind))):
            chat = chat_message(msg, _markup(target, "auto"), body_maxlen=target.body_maxlen,
                                title_maxlen=target.title_maxlen, timezone="Asia/Seoul")
            head = f"Title: {chat.title}\n" if chat.title else "(no title field: it leads the body)\n"
            out[f"{stem}-{kind}.{ext}"] = f"{head}Format: {chat.markup}\n\n{chat.body}\n"
    with tempfile.TemporaryDirectory() as tmp:
        channel = FeedFileChannel("feed", tmp)
        channel.send(alert_message("feed"))
        channel.send(digest_message("feed"))
        for name in ("korea-armistice.atom", "korea-armistice.json"):
            out[f"feed-{name}"] = (Path(tmp) / name).read_text(encoding="utf-8")
    return out


@pytest.mark.parametrize("name", sorted(_examples()))
def test_committed_chat_examples_are_current(name: str) -> None:
    text = _examples()[name]
    path = EXAMPLES / name
    if os.environ.get("NEWSRADAR_WRITE_EXAMPLES"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, f"{path} is stale: regenerate (see module docstring)"
