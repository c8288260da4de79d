"""Encodings, and input that is not a page: a clear status, never an exception."""

from __future__ import annotations

import codecs

import pytest

from worker.clean import MAX_BYTES, clean_page

BODY = ("Le président a déclaré que la réunion à Genève serait décisive pour l’accord, "
        "selon les responsables présents à la conférence de presse de jeudi. ") * 3


def _page(charset_meta: str | None, body: str = BODY) -> str:
    meta = f'<meta charset="{charset_meta}">' if charset_meta else ""
    return (f"<html><head>{meta}<title>Réunion à Genève</title></head><body><article>"
            f"<h1>Réunion à Genève</h1><p>{body}</p><p>{body}</p></article></body></html>")


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252"])
def test_single_byte_encodings_by_meta(encoding: str) -> None:
    raw = _page(encoding, BODY.replace("’", "'") if encoding == "latin-1" else BODY)
    story = clean_page(raw.encode(encoding))
    assert story.status == "ok"
    assert "président a déclaré" in story.text
    assert "Ã" not in story.text


def test_http_charset_wins_over_missing_meta() -> None:
    raw = _page(None).encode("cp1252")
    story = clean_page(raw, content_type="text/html; charset=windows-1252")
    assert "l’accord" in story.text


def test_utf8_with_bom() -> None:
    raw = codecs.BOM_UTF8 + _page(None).encode("utf-8")
    story = clean_page(raw)
    assert story.status == "ok"
    assert "président" in story.text and "\ufeff" not in story.text


def test_wrong_meta_charset_utf8_declared_latin1_given() -> None:
    raw = _page("utf-8").encode("cp1252")  # the meta tag lies
    story = clean_page(raw)
    assert "président a déclaré" in story.text


def test_wrong_meta_charset_latin1_declared_utf8_given() -> None:
    raw = _page("iso-8859-1").encode("utf-8")  # a server default left in the template
    story = clean_page(raw)
    assert "président a déclaré" in story.text and "Ã©" not in story.text


def test_text_dump_in_latin1() -> None:
    text = "Accueil > Monde\n\nRéunion à Genève\n\n" + BODY.replace("’", "'") + "\n"
    story = clean_page(text.encode("latin-1"))
    assert "président a déclaré" in story.text


@pytest.mark.parametrize("data,status", [
    (b"", "empty"), (b"   \n\t  \n", "empty"), ("", "empty"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "binary"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    (bytes(range(256)) * 20, "binary"),
])
def test_not_a_page(data: bytes | str, status: str) -> None:
    story = clean_page(data)
    assert story.status == status
    assert story.text == ""


def test_oversized() -> None:
    story = clean_page(b"a" * (MAX_BYTES + 1))
    assert story.status == "too_large" and story.text == ""


def test_no_body_status() -> None:
    story = clean_page("Home\nMenu\nSearch\n")
    assert story.status == "no_body" and story.text == ""
