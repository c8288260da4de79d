"""The rendered examples under docs/examples/ are what newsradar renders today.

Regenerate after a template or payload change:
    NEWSRADAR_WRITE_EXAMPLES=1 .venv/bin/python -m pytest tests/alerts/test_examples.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from worker.alerts import Renderer

from .samples import alert_message, digest_message, system_message

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def _examples() -> dict[str, str]:
    r = Renderer(timezone="Asia/Seoul")
    out: dict[str, str] = {}
    for stem, msg in (("alert", alert_message()), ("digest", digest_message()),
                      ("feed-health", system_message("team-mail"))):
        mail = r.email(msg)
        out[f"{stem}-email.txt"] = f"Subject: {mail.subject}\n\n{mail.text}"
        out[f"{stem}-email.html"] = mail.html
        hook = {"alert": alert_message("hook"), "digest": digest_message("hook"),
                "feed-health": system_message("hook")}[stem]
        body = json.loads(Renderer().webhook_body(hook))
        out[f"{stem}-webhook.json"] = json.dumps(body, indent=2, ensure_ascii=False) + "\n"
    return out


@pytest.mark.parametrize("name", sorted(_examples()))
def test_committed_examples_are_current(name: str) -> None:
    text = _examples()[name]
    path = EXAMPLES / name
    if os.environ.get("NEWSRADAR_WRITE_EXAMPLES"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, f"{path} is stale: regenerate (see module docstring)"
