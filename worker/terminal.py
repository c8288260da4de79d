"""Text from the outside world made safe to store and to print.

A feed or page title is attacker-chosen: an ESC or OSC sequence in it would recolour,
retitle or hyperlink the operator's terminal, bidi overrides reorder what is shown, and
``[/bold]`` is Rich markup that crashes ``console.print``. Stages clean titles once with
``clean_title_text`` (stored text has no control characters at all); whatever prints
untrusted text still goes through ``safe_terminal_text`` and, for Rich, ``escape_markup``.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["clean_title_text", "escape_markup", "rich_text", "safe_terminal_text",
           "strip_control"]

# ESC sequences first (CSI, OSC / DCS / APC / PM / SOS strings, two-character escapes),
# so that their parameters go with them; then any C0/C1 control, DEL and bidi controls.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"  # CSI
    r"|\x9b[0-?]*[ -/]*[@-~]?"  # 8-bit CSI
    r"|(?:\x1b[\]P^_X]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]{0,4096}(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"  # other escapes (charset designation, keypad, ...)
)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069"
                      "\ud800-\udfff]")
_WS = re.compile(r"[ \t\n\r\f\v]+")  # not NBSP: a title may keep one on purpose


def strip_control(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` without escape sequences, control characters, bidi controls or lone
    surrogates. Tabs and (unless ``keep_newlines``) newlines become spaces."""
    text = _ESCAPES.sub("", text)
    text = _CONTROL.sub("", text)
    if not keep_newlines:
        text = text.replace("\n", " ").replace("\t", " ")
    else:
        text = text.replace("\t", " ")
    return text


def clean_title_text(text: str) -> str:
    """A title as stored: no controls, whitespace collapsed."""
    return _WS.sub(" ", strip_control(text)).strip()


def safe_terminal_text(text: object, *, keep_newlines: bool = False) -> str:
    """Any value as text that cannot drive the terminal (for plain ``print``)."""
    return strip_control(str(text), keep_newlines=keep_newlines)


def escape_markup(text: object) -> str:
    """``safe_terminal_text`` escaped for Rich markup (``[/bold]`` prints as itself)."""
    safe = safe_terminal_text(text)
    try:
        from rich.markup import escape  # noqa: PLC0415 - only the CLI has rich loaded
    except ImportError:  # pragma: no cover
        return safe.replace("[", "\\[")
    return escape(safe)


def rich_text(text: object) -> Any:
    """A ``rich.text.Text`` of untrusted text: never parsed as markup at all."""
    from rich.text import Text  # noqa: PLC0415

    return Text(safe_terminal_text(text))
