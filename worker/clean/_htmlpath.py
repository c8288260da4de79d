"""The HTML path: trafilatura (precision settings, metadata on), then the text rules on
its lines; when trafilatura finds too little, the text path on the page's visible text,
then the feed entry's own content."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache

from worker.budget import checkpoint

from ._blocks import Block, page_blocks
from ._bounds import bound_text
from ._dates import DATE_RE, FoundDate, parse_iso_like
from ._features import LineInfo
from ._htmlmodel import BlockModel, coverage, load_block_model, rule_of, stage1_rows, tokens
from ._meta import PageMeta, page_meta
from ._model import Dropped
from ._params import load_params
from ._rules import line_rule
from ._textpath import TextCleaner, _date_candidates

FULL_CASCADE_BELOW = 0.25  # fast-mode coverage of the top container's prose that sends
# a page through trafilatura's full cascade
MIN_BODY_CHARS = 250  # less than this from trafilatura is "no or too little body"

# rules that hold for trafilatura output too; ui words and rank numbers are left out
# because trafilatura's output has headings and list items that would look like them
_HTML_RULES = frozenset({"also_read", "byline", "date", "caption", "credit", "ai_disclaimer",
                         "advert", "subscribe", "share", "copyright", "contact", "link_row",
                         "comments", "promo", "list_label", "cookies", "breadcrumb"})

logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
logging.getLogger("htmldate").setLevel(logging.CRITICAL)


# htmldate with the time of day where the page gives one (the default is the day only)
_DATE_PARAMS = {"outputformat": "%Y-%m-%dT%H:%M:%S%z", "original_date": True,
                "extensive_search": True}


def _published(value: str | None) -> FoundDate | None:
    """htmldate's answer; midnight without a zone means it only knew the day."""
    if value and value.endswith("T00:00:00"):
        value = value[:10]
    return parse_iso_like(value)


@dataclass
class HtmlResult:
    title: str | None = None
    text: str = ""
    published: FoundDate | None = None
    author: str | None = None
    site_name: str | None = None
    language: str | None = None
    description: str | None = None
    dropped: list[Dropped] = field(default_factory=list)


@dataclass
class PageParts:
    """What the block model reads from one page: its blocks, their container scores,
    trafilatura's text and the page's own metadata."""

    blocks: list[Block]
    scores: dict[int, float]
    traf_text: str
    meta: PageMeta
    root: object | None = None
    traf_cov: list[float] | None = None  # per block, its share in traf_text (coverage)
    tokens: list[list[str]] | None = None  # per block, its words
    infos: list[LineInfo] | None = None  # per block, its line facts (model and line rules)


@lru_cache(maxsize=1)
def _parser():  # -> lxml.html.HTMLParser
    """trafilatura's parser settings, with a C-level element class lookup: lxml.html's
    own lookup is a Python call for every element proxy made (about a tenth of the HTML
    path's time, ours and trafilatura's walks alike). Every element is an HtmlElement,
    as trafilatura requires; only lxml.html's form classes (FormElement, InputElement,
    ...), which nothing here uses, are not made."""
    from lxml import etree
    from lxml import html as lxml_html

    # the options of trafilatura.utils.HTML_PARSER (trafilatura 2.x)
    parser = lxml_html.HTMLParser(collect_ids=False, default_doctype=False, encoding="utf-8",
                                  remove_comments=True, remove_pis=True)
    parser.set_element_class_lookup(etree.ElementDefaultClassLookup(
        element=lxml_html.HtmlElement, comment=lxml_html.HtmlComment,
        pi=lxml_html.HtmlProcessingInstruction, entity=lxml_html.HtmlEntity))
    return parser


def _parse(page: str):  # -> lxml.html element or None
    """The tree trafilatura would build (its parser settings), parsed once: our blocks and
    metadata read it, and trafilatura works on a copy of it instead of parsing again."""
    from lxml import etree
    from lxml import html as lxml_html

    try:
        root = lxml_html.document_fromstring(page, parser=_parser())
    except (etree.ParserError, ValueError, TypeError):
        return None
    return root if isinstance(root, lxml_html.HtmlElement) else None


def _trafilatura_text(page: object, url: str | None, fast: bool = False) -> str:
    import trafilatura

    try:
        doc = trafilatura.bare_extraction(
            page, url=url, favor_precision=True, include_comments=False, with_metadata=False,
            include_tables=True, deduplicate=False, fast=fast)
    except Exception:  # trafilatura/lxml failures on hostile markup: no candidate
        return ""
    return (doc.text or "") if doc is not None else ""


def _link_only(b: Block) -> bool:
    """A short block that is all link text (a menu entry, a teaser headline): never the
    story, and two thirds of a page's blocks, so the model does not see them."""
    return b.link_chars >= 0.9 * len(b.text) and b.text.count(" ") < 12


def _fast_missed_story(blocks: list[Block], scores: dict[int, float], fast_text: str,
                       cov: list[float]) -> bool:
    """trafilatura's fast mode (no readability / jusText second opinion) fails now and
    then, all at once: it returns a fragment while the page's densest container holds
    prose it left out. Then, and only then, its full cascade is worth its cost."""
    if len(fast_text) < 250:
        return True
    if not scores:
        return False
    top = max(scores, key=scores.__getitem__)
    total = covered = 0.0
    for b, c in zip(blocks, cov):
        if top in b.anc and b.text.count(" ") >= 14 and b.link_chars < 0.3 * len(b.text):
            total += len(b.text)
            covered += len(b.text) * c
    return bool(total) and covered < FULL_CASCADE_BELOW * total


def page_parts(page: str, url: str | None = None) -> PageParts:
    """One parse for our blocks and metadata; trafilatura (metadata off, fast mode, its
    full cascade only when fast mode missed the story) beside it."""
    root = _parse(page)
    checkpoint()  # between steps: where a budget off the main thread stops (worker/budget.py)
    if root is None:
        return PageParts([], {}, _trafilatura_text(page, url), PageMeta())
    blocks, scores = page_blocks(root)
    blocks = [b for b in blocks if not _link_only(b)]
    btoks = [tokens(b.text) for b in blocks]
    checkpoint()
    traf = _trafilatura_text(root, url, fast=True)  # trafilatura copies a tree it is given
    checkpoint()
    cov = coverage(blocks, traf, btoks)
    if _fast_missed_story(blocks, scores, traf, cov):
        checkpoint()
        full = _trafilatura_text(root, url, fast=False)
        if full:
            traf, cov = full, coverage(blocks, full, btoks)
    return PageParts(blocks, scores, traf, page_meta(root), root, cov, btoks)


def _date_in_blocks(blocks: list[Block]) -> FoundDate | None:
    """A date line near the top of the page ("Published: 19 Nov 2019 10:02"): a short
    block, the first forty only; labelled dates first."""
    best: tuple[int, FoundDate] | None = None
    for b in blocks[:40]:
        if len(b.text) > 80 or not DATE_RE.search(b.text):
            continue
        for prio, found in _date_candidates(b.text):
            if best is None or prio < best[0]:
                best = (prio, found)
        if best is not None and best[0] == 0:
            break
    return best[1] if best else None


HEADER_BEFORE, HEADER_AFTER = 3, 25  # blocks read around the headline for a byline


def _header_from_blocks(blocks: list[Block], res: HtmlResult,
                        infos: list[LineInfo] | None = None) -> None:
    """The byline and date the page writes in its text, when its tags give none: the
    text path's metadata reading over the blocks around the headline (the block that
    holds the title, else the first <h1>). A few dozen lines, a fraction of a
    millisecond, paid only on pages whose tags leave the author or date unsaid."""
    tnorm = " ".join(res.title.lower().split()) if res.title else None
    # the headline's own block, perhaps with a date or label around it
    k = next((i for i, b in enumerate(blocks) if tnorm and len(b.text) <= len(tnorm) + 40
              and tnorm in b.text.lower()), None)
    if k is None:
        k = next((i for i, b in enumerate(blocks) if b.tag == "h1"), None)
    if k is None:
        return
    window = blocks[max(0, k - HEADER_BEFORE):k + HEADER_AFTER]
    known = {i.text: i for i in infos[max(0, k - HEADER_BEFORE):k + HEADER_AFTER]} \
        if infos is not None and len(infos) == len(blocks) else None
    got = _header_cleaner().clean("\n".join(b.text for b in window), fallback_title=res.title,
                                  known=known)
    res.author = res.author or got.author
    if res.published is None:
        res.published = got.published


@lru_cache(maxsize=1)
def _header_cleaner() -> TextCleaner:
    return TextCleaner(load_params())


def _full_metadata(root: object, url: str | None, res: HtmlResult) -> None:
    """trafilatura's metadata pass (htmldate and all), for what the page's own tags left
    unsaid: its cost is paid only on such pages."""
    from trafilatura.metadata import extract_metadata

    try:
        doc = extract_metadata(root, url, _DATE_PARAMS)
    except Exception:  # a metadata failure must not lose the body
        return
    res.title = res.title or doc.title or None
    res.author = res.author or doc.author or None
    res.site_name = res.site_name or doc.sitename or None
    res.language = res.language or doc.language or None
    res.description = res.description or doc.description or None
    if res.published is None:
        res.published = _published(doc.date)


def select_blocks(parts: PageParts, model: BlockModel,
                  dropped: list[Dropped] | None = None) -> str:
    """The blocks the model keeps, one paragraph each, in page order."""
    if parts.infos is None:
        parts.infos = [LineInfo(b.text) for b in parts.blocks]
    rows = stage1_rows(parts.blocks, parts.scores, parts.traf_text, parts.meta.title,
                       parts.traf_cov, parts.tokens, parts.infos)
    return choose_blocks([b.text for b in parts.blocks], model.probabilities(rows),
                         model.threshold, dropped)


def choose_blocks(texts: list[str], probs: list[float], threshold: float,
                  dropped: list[Dropped] | None = None) -> str:
    """The blocks at or above the threshold. A kept caption whose next block repeats it
    with a credit ("X" then "X | Photo: AP") goes too. Dropped blocks are recorded with
    the rule their line matches, else "block_model"."""
    keep = [p >= threshold for p in probs]
    why: list[str | None] = [None] * len(texts)
    for k in range(len(texts) - 1):
        a, b = texts[k], texts[k + 1]
        if keep[k] and len(a) > 15 and len(b) > len(a) and b.lower().startswith(a.lower()) \
                and line_rule(b) == "caption":
            keep[k], why[k] = False, "caption_dup"
    if dropped is not None:
        for k, t in enumerate(texts):
            if not keep[k] and t.count(" ") < 30:
                dropped.append(Dropped(None, t, why[k] or rule_of(t) or "block_model"))
    return "\n".join(t for t, k in zip(texts, keep) if k)


def extract_html(page: str, url: str | None = None) -> HtmlResult:
    """Blocks chosen by the block model over our DOM features and trafilatura's pick;
    then our rules drop noise lines; metadata from the page's own tags first."""
    parts = page_parts(page, url)
    m = parts.meta
    res = HtmlResult(title=m.title, published=m.published, author=m.author,
                     site_name=m.site_name, language=m.language, description=m.description)
    model = load_block_model()
    text = parts.traf_text
    if model is not None and parts.blocks:
        checkpoint()  # each step below is 0.1-0.4 s on a hostile page: a place to stop
        by_model: list[Dropped] = []
        picked = select_blocks(parts, model, by_model)
        if picked.strip():
            text = picked
            res.dropped.extend(by_model)
    if res.author is None or res.published is None:
        _header_from_blocks(parts.blocks, res, parts.infos)
    if res.published is None:
        res.published = _date_in_blocks(parts.blocks)
    if parts.root is not None and (res.title is None or res.published is None):
        checkpoint()
        _full_metadata(parts.root, url, res)  # last: it may prune the tree it reads
    checkpoint()
    body = bound_text(text)  # hostile input: the line rules cost ~60 us a line
    res.dropped.extend(body.notes)
    known = {i.text: i for i in parts.infos} if parts.infos else None
    res.text = filter_lines(body.text, res.title, res.dropped, known)
    return res


_NUMBERED = re.compile(r"^\d{1,2}[.)]\s+\S")


def filter_lines(text: str, title: str | None, dropped: list[Dropped],
                 known: dict[str, LineInfo] | None = None) -> str:
    """Drop the rule-matched lines (and a repeated headline) from extracted text, a
    caption split from its credit line, and numbered headline lists (trending, most
    read) that trafilatura keeps when a page gives it no structure to go on. ``known``:
    line facts already computed for the page's blocks, by text (the chosen lines are
    mostly those blocks)."""
    tnorm = " ".join(title.lower().split()) if title else None
    raws = [raw.strip() for raw in text.splitlines() if raw.strip()]
    get = known.get if known else None
    # .text is without a leading bullet or number; a bulleted line's facts are keyed by
    # its stripped text, so only lines whose text is their whole line are looked up
    infos = []
    for s in raws:
        info = get(s) if get is not None else None
        infos.append(info if info is not None and info.text == s else LineInfo(s))
    rules: list[str | None] = []
    for s, info in zip(raws, infos):
        if tnorm and info.norm == tnorm:
            rules.append("title_repeat")
            continue
        rule = rule_of(info.text)
        if rule == "link_row" and s.startswith("|"):
            rule = None  # a table row, not a row of footer links
        ok = rule in _HTML_RULES and not (info.ends_sentence and info.n_words >= 25)
        rules.append(rule if ok else None)
    # a caption split from its credit line: "X" then "X | Photo: AP"
    for k in range(len(infos) - 1):
        a, b = infos[k], infos[k + 1]
        if rules[k] is None and rules[k + 1] == "caption" and len(a.norm) > 15 \
                and b.norm.startswith(a.norm):
            rules[k] = "caption_dup"
    _mark_headline_lists(raws, infos, rules)
    keep: list[str] = []
    for s, rule in zip(raws, rules):
        if rule is None:
            keep.append(s)
        else:
            dropped.append(Dropped(None, s, rule))
    return "\n\n".join(keep)


def _mark_headline_lists(raws: list[str], infos: list[LineInfo], rules: list[str | None]) -> None:
    """Three or more numbered lines in a row that read as headlines (mostly title
    case, no closing full stop) are a list of links, not the story's own list."""
    k = 0
    while k < len(infos):
        j = k
        while j < len(infos) and _NUMBERED.match(raws[j]) and rules[j] is None \
                and not infos[j].ends_sentence and infos[j].title_ratio >= 0.5:
            j += 1
        if j - k >= 3:
            for i in range(k, j):
                rules[i] = "headline_list"
        k = max(j, k + 1)
