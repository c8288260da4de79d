"""Bytes to text: size and binary checks, charset choice, HTML-or-text sniffing.

Charset order: a byte-order mark, the HTTP charset, the page's meta charset, then
detection. A declared single-byte charset loses to UTF-8 when the bytes are valid UTF-8
with non-ASCII in them: servers often default to ISO-8859-1, and valid multibyte UTF-8
arising by chance from Latin-1 text is vanishingly rare.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

MAX_BYTES = 10_000_000  # a news page larger than this is not a news page

_MAGIC = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b", b"RIFF",
          b"\x00\x00\x01\x00", b"OggS", b"ID3", b"\x7fELF", b"MZ")
_CT_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_META_CHARSET = re.compile(
    rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
_HTML_SNIFF = re.compile(
    r"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]|<(?:p|div|article|span|a|meta|title)[\s>]",
    re.I)
_HTML_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*[^<>]{0,400}>")
_SINGLE_BYTE = {"iso-8859-1", "latin-1", "latin1", "l1", "iso8859-1", "ascii", "us-ascii",
                "windows-1252", "cp1252", "iso-8859-15", "latin-9"}
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")


@dataclass
class Decoded:
    text: str
    status: str  # "ok" | "empty" | "binary" | "too_large"
    encoding: str | None = None


def _norm_charset(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    # WHATWG: latin-1 and ascii labels mean windows-1252 (curly quotes in 0x80-0x9f).
    if codec in ("latin-1", "iso8859-1", "ascii"):
        return "cp1252"
    return codec


def _is_binary(head: bytes) -> bool:
    if head.startswith(_MAGIC):
        return True
    if b"\x00" in head:
        return True
    sample = head[:4096]
    bad = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return bad > len(sample) * 0.05


def _utf8_ok(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def decode(data: bytes | str, content_type: str | None = None) -> Decoded:
    """Turn page bytes into text, never raising."""
    if isinstance(data, str):
        if len(data) > MAX_BYTES:
            return Decoded("", "too_large")
        if not data.strip():
            return Decoded("", "empty")
        if _CONTROL.search(data[:4096]) and len(_CONTROL.findall(data[:4096])) > 40:
            return Decoded("", "binary")
        return Decoded(data.lstrip("\ufeff"), "ok", None)
    if data is None or len(data) == 0:
        return Decoded("", "empty")
    if len(data) > MAX_BYTES:
        return Decoded("", "too_large")
    # BOMs first: they are unambiguous (and UTF-16 would otherwise look binary).
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"),
                     (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
                     (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            text = data.decode(enc, errors="replace")
            return Decoded(text, "ok" if text.strip() else "empty", enc)
    if _is_binary(data[:8192]):
        return Decoded("", "binary")
    if not data.strip():
        return Decoded("", "empty")
    declared: str | None = None
    if content_type:
        m = _CT_CHARSET.search(content_type)
        declared = _norm_charset(m.group(1)) if m else None
    if declared is None:
        m = _META_CHARSET.search(data[:8192])
        declared = _norm_charset(m.group(1).decode("ascii", "replace")) if m else None
    utf8 = _utf8_ok(data)
    if declared is not None:
        if declared in ("utf-8", "utf_8"):
            if utf8:
                return Decoded(data.decode("utf-8"), "ok", "utf-8")
            # a wrong meta charset: fall through to detection
        elif (declared in _SINGLE_BYTE or declared == "cp1252") and utf8 and not data.isascii():
            return Decoded(data.decode("utf-8"), "ok", "utf-8")
        else:
            try:
                return Decoded(data.decode(declared), "ok", declared)
            except (UnicodeDecodeError, LookupError):
                pass
    if utf8:
        return Decoded(data.decode("utf-8"), "ok", "utf-8")
    enc = _detect(data)
    return Decoded(data.decode(enc, errors="replace"), "ok", enc)


# Below this many non-ASCII bytes, statistical detection guesses more than it knows
# (a latin-1 "Café naïve" comes back as cp1250): take the web's default, windows-1252.
_MIN_DETECT_BYTES = 32
_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")


def _detect(data: bytes) -> str:
    high = [b for b in data[:200_000] if b >= 0x80]
    if len(high) < _MIN_DETECT_BYTES and not _CP1252_UNDEFINED.intersection(high):
        return "cp1252"
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data[:200_000]).best()
        if best is not None and best.encoding:
            enc = _norm_charset(best.encoding) or "cp1252"
            return enc
    except Exception:  # detection is a best effort; cp1252 decodes anything
        pass
    return "cp1252"


def looks_like_html(text: str, content_type: str | None = None) -> bool:
    """HTML or a plain-text dump? The content type decides when it says; else sniff."""
    if content_type:
        ct = content_type.lower()
        if "html" in ct or "xml" in ct:
            return True
        if ct.startswith("text/plain"):
            return False
    head = text[:4096]
    if _HTML_SNIFF.search(head):
        return True
    return len(_HTML_TAG.findall(head)) >= 5
