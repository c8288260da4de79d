"""Write the hostile-input corpus under tests/data/feeds and tests/data/pages.

The files are committed; this script documents how each was made and regenerates them:
    .venv/bin/python tests/data/generate.py
Each file's expected outcome is in tests/data/manifest.yaml.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
FEEDS, PAGES = HERE / "feeds", HERE / "pages"


def rss(items: str, *, title: str = "Corpus news", head: str = "", decl: str = "utf-8") -> str:
    return (f'<?xml version="1.0" encoding="{decl}"?>\n{head}<rss version="2.0">\n<channel>\n'
            f"<title>{title}</title>\n<link>https://corpus.example/</link>\n"
            f"<description>test</description>\n{items}</channel>\n</rss>\n")


def item(n: int, *, guid: str | None = None, link: str | None = "auto", title: str | None = None,
         date: str | None = "auto", extra: str = "") -> str:
    parts = [f"  <title>{title if title is not None else f'Story {n}'}</title>"]
    if link == "auto":
        link = f"https://corpus.example/news/{n}"
    if link is not None:
        parts.append(f"  <link>{link}</link>")
    if guid is not None:
        parts.append(f'  <guid isPermaLink="false">{guid}</guid>')
    if date == "auto":
        date = f"Mon, {n % 28 + 1:02d} Sep 2026 10:00:00 GMT"
    if date is not None:
        parts.append(f"  <pubDate>{date}</pubDate>")
    parts.append(f"  <description>Summary of story {n}.</description>{extra}")
    return "<item>\n" + "\n".join(parts) + "\n</item>\n"


def write(path: Path, data: str | bytes) -> None:
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


def feeds() -> None:
    write(FEEDS / "good_rss20.xml", rss("".join(item(n, guid=f"g-{n}") for n in range(1, 4))))
    write(FEEDS / "good_atom.xml", """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://atom.example/blog/">
  <title>Atom corpus</title><id>urn:corpus:atom</id><updated>2026-09-02T10:00:00Z</updated>
  <link rel="alternate" href="/"/>
  <entry><id>urn:corpus:1</id><title>First</title><link href="posts/1"/>
    <updated>2026-09-01T10:00:00Z</updated><summary>one</summary></entry>
  <entry><id>urn:corpus:2</id><title>Second</title><link href="/abs/2"/>
    <published>2026-09-02T10:00:00+02:00</published><content type="html">&lt;p&gt;two&lt;/p&gt;</content></entry>
</feed>
""")
    write(FEEDS / "good_rss10.rdf", """<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://rdf.example/"><title>RDF corpus</title><link>https://rdf.example/</link>
    <description>rss 1.0</description></channel>
  <item rdf:about="https://rdf.example/1"><title>One</title><link>https://rdf.example/1</link>
    <dc:date>2026-09-01T10:00:00Z</dc:date></item>
  <item rdf:about="https://rdf.example/2"><title>Two</title><link>https://rdf.example/2</link>
    <dc:date>2026-09-02T10:00:00Z</dc:date></item>
</rdf:RDF>
""")
    write(FEEDS / "good_jsonfeed11.json", json.dumps({
        "version": "https://jsonfeed.org/version/1.1", "title": "JSON corpus",
        "home_page_url": "https://json.example/", "feed_url": "https://json.example/feed.json",
        "items": [
            {"id": "j1", "url": "https://json.example/1", "title": "One",
             "content_html": "<p>one</p>", "date_published": "2026-09-01T10:00:00Z",
             "authors": [{"name": "Ann"}]},
            {"id": "j2", "url": "/2", "title": "Two", "content_text": "two",
             "date_published": "2026-09-02T10:00:00+02:00"},
        ],
    }, indent=1))
    write(FEEDS / "jsonfeed10.json", json.dumps({
        "version": "https://jsonfeed.org/version/1", "title": "JSON 1.0",
        "items": [{"id": 1, "url": "https://json.example/a", "title": "A",
                   "content_text": "a", "author": {"name": "Old"}}],
    }))
    body = rss("".join(item(n, guid=f"t-{n}") for n in range(1, 6)))
    cut = body.index("<item>", body.index("t-3")) + 60  # in the middle of the fourth item
    write(FEEDS / "truncated.xml", body[:cut])
    write(FEEDS / "truncated_early.xml", rss("")[:120])
    write(FEEDS / "latin1_declared_utf8.xml",
          rss(item(1, title="Caf\u00e9 cr\u00e8me", guid="l1") + item(2, title="Na\u00efve",
                                                                     guid="l2"))
          .encode("latin-1"))
    write(FEEDS / "utf16_bom.xml", rss(item(1, title="\u00dcber UTF-16", guid="u1"),
                                       decl="utf-16").encode("utf-16"))
    lol = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    ]
    write(FEEDS / "entity_bomb_billion_laughs.xml",
          rss(item(1, title="&lol9;"), head="<!DOCTYPE rss [\n" + "\n".join(lol) + "\n]>\n"))
    write(FEEDS / "entity_bomb_quadratic.xml",
          rss(item(1, title="&big;" * 50_000),
              head='<!DOCTYPE rss [<!ENTITY big "' + "B" * 10_000 + '">]>\n'))
    write(FEEDS / "entity_external_xxe.xml",
          rss(item(1, title="&xxe;"), head='<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'))
    write(FEEDS / "entity_parameter.xml",
          rss(item(1), head='<!DOCTYPE rss [<!ENTITY % p "<!ENTITY x \'y\'>"> %p;]>\n'))
    write(FEEDS / "rss091_netscape_doctype.xml", rss(
        item(1, guid="n1"),
        head='<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
             '"http://my.netscape.com/publish/formats/rss-0.91.dtd">\n').replace(
        'version="2.0"', 'version="0.91"'))
    write(FEEDS / "html_page_as_feed.html", """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Corpus site</title>
<link rel="alternate" type="application/rss+xml" title="RSS" href="/feeds/all.rss">
<link rel="alternate" type="application/atom+xml" href="https://cdn.corpus.example/atom.xml">
</head><body><h1>Welcome</h1><p>This is a web page, not a feed.</p></body></html>
""")
    write(FEEDS / "html_page_no_alternate.html",
          "<html><head><title>Nothing</title></head><body>no feed here</body></html>\n")
    write(FEEDS / "empty.xml", b"")
    write(FEEDS / "whitespace_only.xml", b"\n\n   \t\n")
    write(FEEDS / "duplicate_guids.xml", rss(
        item(1, guid="dup") + item(2, guid="dup") + item(3, guid="dup") + item(4, guid="uniq")))
    write(FEEDS / "items_without_links.xml", rss(
        item(1, link=None, guid="nl-1") + item(2, link=None, guid=None) +
        item(3, link="javascript:alert(1)", guid="nl-3")))
    write(FEEDS / "relative_links_xml_base.xml", """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Relative</title><id>urn:rel</id><updated>2026-09-02T10:00:00Z</updated>
  <entry><id>urn:rel:1</id><title>Relative to the feed URL</title><link href="../story/1"/>
    <updated>2026-09-01T10:00:00Z</updated></entry>
  <entry xml:base="https://base.example/section/"><id>urn:rel:2</id><title>xml:base</title>
    <link href="story/2"/><updated>2026-09-02T10:00:00Z</updated></entry>
</feed>
""")
    write(FEEDS / "bad_dates.xml", rss(
        item(1, guid="d1", date=None) + item(2, guid="d2", date="the day after tomorrow") +
        item(3, guid="d3", date="2026-13-45T99:99:99Z") + item(4, guid="d4")))
    write(FEEDS / "thousands_of_items.xml", rss("".join(
        item(n, guid=f"k-{n}", date=f"Tue, 01 Sep 2026 {n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d} GMT")
        for n in range(2500))))
    write(FEEDS / "title_10000_chars.xml", rss(item(1, guid="long", title="T" * 10_000)))
    write(FEEDS / "bozo_unescaped_ampersand.xml", rss(
        item(1, guid="b1", title="Fish & chips") + item(2, guid="b2")))
    write(FEEDS / "changing_guid_poll1.xml", rss(
        item(1, guid="rand-8f3a1", link="https://corpus.example/news/1?utm_source=rss") +
        item(2, guid="rand-77c02")))
    write(FEEDS / "changing_guid_poll2.xml", rss(
        item(1, guid="rand-0b9e4", title="Story 1 (updated headline)",
             link="https://corpus.example/news/1?utm_medium=feed") + item(2, guid="rand-c1d55")))
    write(FEEDS / "not_xml.txt", "Just some text.\nNo angle brackets at all.\n")
    write(FEEDS / "json_not_a_feed.json", json.dumps({"status": "ok", "data": [1, 2, 3]}))
    write(FEEDS / "json_invalid.json", '{"version": "https://jsonfeed.org/version/1.1", "items": [')
    write(FEEDS / "json_deep_nesting.json", "[" * 100_000 + "]" * 100_000)
    write(FEEDS / "gzip_bomb.xml.gz", gzip.compress(b"<" + b"\0" * (20 * 1024 * 1024), 9))
    write(FEEDS / "svg_root.xml", '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>')
    write(FEEDS / "nul_bytes.xml", rss(item(1, guid="z1", title="NUL\x00inside")).encode() + b"\0" * 10)
    # ---- issue 12: feed edge cases (small; the costly hostile inputs are generated in
    # memory by tests/data/hostile.py, never committed)
    write(FEEDS / "dates_edge.xml", rss(
        item(1, guid="kst", date="Tue, 01 Sep 2026 09:00:00 KST")
        + item(2, guid="epoch", date="1788000000")
        + item(3, guid="nozone", date="Tue, 01 Sep 2026 09:00:00")
        + item(4, guid="future", date="Fri, 01 Jan 2100 00:00:00 GMT")
        + item(5, guid="month13", date="2026-13-01T10:00:00Z")
        + item(6, guid="hour99", date="Tue, 01 Sep 2026 99:00:00 GMT")))
    write(FEEDS / "self_links.xml", rss(
        item(1, guid="q", link="?page=2") + item(2, guid="f", link="#top")
        + item(3, guid="sp", link="/news/a story.html")))
    write(FEEDS / "title_entities_and_escapes.xml", rss(
        item(1, guid="e1", title="Kim&amp;#8217;s visit")
        + item(2, guid="e2", title="x" * 10_000)
        + item(3, guid="e3", title="[/bold] markup"), title="Corpus [/bold] news"))
    write(FEEDS / "jsonfeed_untitled_surrogate.json",
          '{"version": "https://jsonfeed.org/version/1.1", "title": "J\\ud800",'
          ' "items": [{"id": "u1", "url": "https://json.example/u1",'
          ' "content_text": "An untitled post \\udfff that starts like this."}]}')
    body = rss("".join(item(n, guid=f"mm-{n}") for n in range(1, 4))).encode()
    write(FEEDS / "multi_member.xml.gz",
          b"".join(gzip.compress(body[i:i + 100]) for i in range(0, len(body), 100)))


def pages() -> None:
    write(PAGES / "article.html", """<!DOCTYPE html><html><head><meta charset="utf-8">
<title>A story</title></head><body><article><h1>A story</h1><p>Text of the story.</p></article>
</body></html>
""")
    write(PAGES / "document.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    write(PAGES / "image.png", bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"))
    write(PAGES / "gzip_bomb.html.gz", gzip.compress(b"<html>" + b" " * (20 * 1024 * 1024), 9))
    write(PAGES / "latin1.html", "<html><body><p>Caf\u00e9 na\u00efve</p></body></html>".encode("latin-1"))


if __name__ == "__main__":
    FEEDS.mkdir(exist_ok=True)
    PAGES.mkdir(exist_ok=True)
    feeds()
    pages()
