"""Make feed bytes safe for feedparser: decode once, refuse entity tricks, strip DOCTYPE.

feedparser 6.0.14 spent 130 s of CPU and 7 GiB on a feed that defined one large entity
and referenced it 50,000 times (its loose fallback parser expands what expat refuses).
So feedparser never sees a DOCTYPE: we decode the body ourselves (BOM, HTTP charset,
XML declaration, then UTF-8, then windows-1252, recording any fallback), then

* refuse parameter entities and entities defined in terms of other entities
  (``entity_bomb``) and external entities (``doctype_refused``: XXE),
* expand simple internal entities ourselves, within a size budget (``entity_bomb``
  when the expansion would exceed it),
* remove the DOCTYPE, and refuse any DOCTYPE/ENTITY declaration found later,

and hand feedparser UTF-8 with a matching XML declaration.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

from worker.errors import FeedParseError

__all__ = ["Decoded", "decode_body", "defuse", "root_element", "utf8_xml", "without_cdata"]

_BOMS = (
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)
# '<?' in UTF-16/32 without a BOM.
_NULL_PATTERNS = (
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00?", "utf-16-be"),
    (b"<\x00?\x00", "utf-16-le"),
)
_XML_DECL = re.compile(r"^\s*<\?xml\b[^>]*?\?>", re.IGNORECASE)
_DECL_ENCODING = re.compile(rb"^\s*<\?xml\b[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]{1,40})[\"']",
                            re.IGNORECASE)


@dataclass
class Decoded:
    text: str
    encoding: str
    problems: list[str] = field(default_factory=list)


def decode_body(content: bytes, charset: str | None, url: str) -> Decoded:
    """Decode feed bytes to text; the order is BOM, HTTP charset, XML declaration, UTF-8,
    windows-1252. A fallback is recorded as a problem (e.g. latin-1 declared as UTF-8)."""
    for bom, enc in _BOMS:
        if content.startswith(bom):
            try:
                return Decoded(content[len(bom):].decode(enc), enc)
            except UnicodeDecodeError:
                break
    for pattern, enc in _NULL_PATTERNS:
        if content.startswith(pattern):
            try:
                return Decoded(content.decode(enc), enc)
            except UnicodeDecodeError:
                break
    declared: list[str] = []
    if charset:
        declared.append(charset.strip().lower())
    m = _DECL_ENCODING.match(content[:512])
    if m:
        declared.append(m.group(1).decode("ascii").lower())
    problems: list[str] = []
    for enc in dict.fromkeys(declared):  # HTTP and XML often say the same thing: try once
        name = _codec(enc)
        if name is None:
            problems.append(f"unknown character encoding {enc!r} declared")
            continue
        if name in ("utf-16", "utf-32"):  # declared but no BOM: we already tried the patterns
            continue
        try:
            return Decoded(content.decode(name), name, problems)
        except UnicodeDecodeError as exc:
            problems.append(
                f"body is not valid {enc} as declared (byte 0x{content[exc.start]:02x} at "
                f"offset {exc.start})"
            )
    for enc in ("utf-8", "windows-1252"):
        try:
            text = content.decode(enc)
        except UnicodeDecodeError:
            continue
        if problems or declared:
            problems.append(f"decoded as {enc} instead")
        return Decoded(text, enc, problems)
    problems.append("decoded as latin-1 instead")
    return Decoded(content.decode("latin-1"), "latin-1", problems)


def _codec(label: str) -> str | None:
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    if name in ("latin-1", "iso8859-1", "ascii"):  # the web means windows-1252 by these
        return "windows-1252" if name != "ascii" else "utf-8"
    return name


# ---- DOCTYPE / ENTITY handling --------------------------------------------------------

_PROLOG_ITEM = re.compile(r"\s*(?:<\?.*?\?>|<!--.*?-->)", re.DOTALL)
_DOCTYPE_START = re.compile(r"<!DOCTYPE\b", re.IGNORECASE)
_ENTITY_DECL = re.compile(
    r"<!ENTITY\s+(%\s+)?([A-Za-z_:][\w:.-]*)\s+(?:(SYSTEM|PUBLIC)\b|\"([^\"]*)\"|'([^']*)')",
    re.IGNORECASE,
)
_ANY_ENTITY_DECL = re.compile(r"<!ENTITY\b", re.IGNORECASE)
_PARAMETER_ENTITY = re.compile(r"<!ENTITY\s+%", re.IGNORECASE)
_CHAR_OR_PREDEFINED = re.compile(r"&(?:#[0-9]+|#x[0-9A-Fa-f]+|lt|gt|amp|quot|apos);")
_DOCTYPE_TOKEN = re.compile(r"<!--|[\"'\[\]>]")
_ROOT = re.compile(r"<([A-Za-z_][\w:.-]*)")


def _skip_prolog(text: str, pos: int = 0) -> int:
    while True:
        m = _PROLOG_ITEM.match(text, pos)
        if not m:
            break
        pos = m.end()
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _doctype_end(text: str, start: int) -> int:
    """Index just past the DOCTYPE starting at ``start``; -1 if it never ends.

    Jumps from one significant character to the next (linear, C speed): quotes, brackets
    of the internal subset, comments and the closing '>'.
    """
    pos, depth = start + 9, 0
    while True:
        m = _DOCTYPE_TOKEN.search(text, pos)
        if m is None:
            return -1
        token = m.group(0)
        if token == "<!--":
            end = text.find("-->", m.end())
            if end < 0:
                return -1
            pos = end + 3
        elif token in "\"'":
            end = text.find(token, m.end())
            if end < 0:
                return -1
            pos = end + 1
        elif token == "[":
            depth, pos = depth + 1, m.end()
        elif token == "]":
            depth, pos = max(depth - 1, 0), m.end()
        elif depth == 0:  # ">"
            return m.end()
        else:
            pos = m.end()


def without_cdata(text: str) -> str:
    """``text`` with CDATA sections removed (an unterminated one runs to the end)."""
    out: list[str] = []
    pos = 0
    while True:
        start = text.find("<![CDATA[", pos)
        if start < 0:
            out.append(text[pos:])
            return "".join(out)
        out.append(text[pos:start])
        end = text.find("]]>", start + 9)
        if end < 0:
            return "".join(out)
        pos = end + 3


def defuse(text: str, url: str, *, max_expansion: int) -> tuple[str, list[str]]:
    """``text`` without DOCTYPE, simple entities expanded; raises FeedParseError on tricks."""
    problems: list[str] = []
    start = _skip_prolog(text)
    m = _DOCTYPE_START.match(text, start)
    if m:
        end = _doctype_end(text, start)
        if end < 0:
            raise FeedParseError(f"feed {url}: unterminated DOCTYPE declaration",
                                 code="doctype_refused")
        doctype = text[start:end]
        entities = _entities(doctype, url)
        text = text[:start] + text[end:]
        if entities:
            text = _expand(text, entities, url, max_expansion)
            problems.append(f"expanded {len(entities)} entity definition(s) from the DOCTYPE")
    if "<!" in text:
        scan = without_cdata(text)
        if _ANY_ENTITY_DECL.search(scan) or _DOCTYPE_START.search(scan):
            raise FeedParseError(
                f"feed {url}: DOCTYPE or ENTITY declaration inside the document refused",
                code="doctype_refused",
            )
    return text, problems


def _entities(doctype: str, url: str) -> dict[str, str]:
    entities: dict[str, str] = {}
    if _PARAMETER_ENTITY.search(doctype):
        raise FeedParseError(
            f"feed {url}: parameter entity in DOCTYPE refused (entity expansion attack)",
            code="entity_bomb",
        )
    declared = len(_ANY_ENTITY_DECL.findall(doctype))
    matches = list(_ENTITY_DECL.finditer(doctype))
    if declared != len(matches):
        raise FeedParseError(f"feed {url}: malformed ENTITY declaration in DOCTYPE",
                             code="doctype_refused")
    for m in matches:
        name, external = m.group(2), m.group(3)
        value = m.group(4) if m.group(4) is not None else m.group(5)
        if external:
            raise FeedParseError(
                f"feed {url}: external entity {name!r} ({external}) refused: it would read "
                "a file or URL (XXE)",
                code="doctype_refused",
            )
        if "%" in (value or "") or "&" in _CHAR_OR_PREDEFINED.sub("", value or ""):
            raise FeedParseError(
                f"feed {url}: entity {name!r} is defined in terms of other entities "
                "(entity expansion bomb) - refused",
                code="entity_bomb",
            )
        entities.setdefault(name, value or "")
    return entities


def _expand(text: str, entities: dict[str, str], url: str, max_expansion: int) -> str:
    pattern = re.compile("&(" + "|".join(re.escape(n) for n in entities) + ");")
    grown = 0
    for m in pattern.finditer(text):
        grown += len(entities[m.group(1)])
        if grown > max_expansion:
            raise FeedParseError(
                f"feed {url}: entity references would expand to more than {max_expansion} "
                "characters (entity expansion bomb) - refused",
                code="entity_bomb",
            )
    return pattern.sub(lambda m: entities[m.group(1)], text)


def root_element(text: str) -> str | None:
    """Name of the first element after the prolog (and DOCTYPE), lower-cased, or None."""
    pos = _skip_prolog(text)
    if _DOCTYPE_START.match(text, pos):
        end = _doctype_end(text, pos)
        if end < 0:
            return None
        pos = _skip_prolog(text, end)
    m = _ROOT.match(text, pos)
    return m.group(1).lower() if m else None


def utf8_xml(text: str) -> bytes:
    """``text`` as UTF-8 bytes with an XML declaration that says so."""
    m = _XML_DECL.match(text)
    if m:
        decl = re.sub(r"encoding\s*=\s*([\"'])[^\"']*\1", 'encoding="utf-8"', m.group(0))
        text = decl + text[m.end():]
    return text.encode("utf-8", "replace")
