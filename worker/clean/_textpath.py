"""The text path: a block classifier over a page dump's lines.

How it decides, in order:

1. Rules (``_rules``) mark lines that are never story prose: bylines, dates, captions,
   ALSO READ inserts, list labels, share rows, ads, subscribe prompts, footers.
2. A small logistic model over general line features (``_features``, weights tuned by
   ``newsradar clean tune``) gives every other line p(story prose).
3. The story is the best-scoring contiguous stretch of lines (maximum subarray):
   prose lines add, other lines subtract a little, so a short related-content island
   inside the story does not cut it short, while a footer of headlines ends it.
4. Metadata comes from the lines around the story: the headline (repeated, title-cased,
   right before the standfirst or byline), the standfirst (description), the byline,
   the publication time. Those lines, the author's bio and a summary widget are taken
   out and the story is chosen again.
5. Inside the story, prose lines are kept, plus short headings set between prose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from operator import mul

from ._dates import DATE_RE, FoundDate, find_date, parse_date_text
from ._features import STOPWORDS, LineInfo, best_span, context_rows, line_logits, sigmoid
from ._model import Dropped, LineDecision
from ._params import Params
from ._rules import line_rule

_YEAR = re.compile(r"\d\d")
_DATE_PREFIX = re.compile(r"^date\s+(\d{4}-\d{2}-\d{2})\b\s*", re.I)
_BYLINE = re.compile(
    r"^(?:(?P<kind>published|written|posted|reported|story|words|text|curated|edited|compiled|"
    r"produced|reviewed|photos?)\s+)?by\s*:?\s*(?P<name>.+)$", re.I)
_TRAILING_BY = re.compile(r"\bby\s+((?-i:[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){0,3}))\s*$", re.I)
# a job title after the name: "Meg James Staff Writer", "Steve Peoples, AP Political Writer"
_ROLE = re.compile(
    r",?\s+(?:(?:staff|senior|chief|national|political|business|contributing|special|deputy|"
    r"associate|managing|ap|foreign|sports|science|health|tech(?:nology)?)\s+)*(?:writer|reporter|"
    r"columnist|correspondent|editor|contributor)$", re.I)
_AUTHOR_LABEL = re.compile(
    r"^(?:authors?|reporter|writer)\s*:\s*(?P<name>.+)$"
    r"|^(?P<name2>(?-i:[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){1,3})),\s+(?:[\w.]+\s+){0,4}"
    r"(?:writer|reporter|correspondent|editor|columnist|contributor)$", re.I)
_PARTICLES = frozenset({"de", "da", "del", "der", "van", "von", "bin", "al", "el", "la", "le",
                        "du", "dos", "of"})
_NAME_WORD = re.compile(r"^(?:[A-Z][\w.'’-]*|de|da|del|der|van|von|bin|al|el|la|le|du|dos|of)$")
_DATE_LABEL = re.compile(
    r"(published|created|posted|updated|modified|first\s+published|last\s+updated|date)"
    r"(?:\s+(?:on|at))?\s*[:\-–—|]?\s*$", re.I)
_SUMMARY_LABEL = re.compile(
    r"^(?:summary(?:\s+of\s+(?:this|the)\s+(?:article|story))?|highlights|key\s+(?:highlights|"
    r"takeaways|points)|in\s+(?:brief|short)|at\s+a\s+glance|tl;?dr|quick\s+read|story\s+"
    r"highlights|the\s+big\s+picture)\s*:?$", re.I)
_BIO_VERB = (r"\s+(?:is|was|has|writes|covers|reports|joined|holds|lives|studied|worked|"
             r"specialises|specializes|graduated)\b")
_BIO_START = re.compile(r"^(?:he|she|they)" + _BIO_VERB + r"|^about\s+the\s+author\b", re.I)
_INLINE_NOISE = frozenset({"caption", "also_read", "advert", "credit", "ai_disclaimer", "date",
                           "byline", "rank_number", "ui", "repeated", "summary", "bio",
                           "caption_dup", "list_label", "author_bio", "promo"})
# furniture set inside a story's run of paragraphs
_IN_STORY = frozenset({"caption", "caption_dup", "credit", "advert", "also_read", "ai_disclaimer"})
_BUTTONS = frozenset({"share", "advert", "subscribe", "promo"})
# lines that sit between a standfirst and the story (an ad or a list label does not)
_HEADER_RULES = frozenset({"byline", "date", "caption", "caption_dup", "ai_disclaimer"})
# a headline does not end with a full stop, hold a URL or stack labelled fields
# (nor columns of a table, a "Section / Section" row, icon-font names or a run of
# menu entries glued together: "ProgramsCloud SecurityCloud Storage")
_NOT_HEADLINE = re.compile(
    r"(?<![A-Z][a-z]|.[A-Z])\.$|https?://|www\.|:.*:|\S\s{3,}\S|\s/\s|\b[a-z]+_[a-z]+\b"
    r"|(?:[a-z][A-Z].*){3}")
_TITLE_DIST = 0.08  # headline score lost per line between it and the story
_PRIORITY = {"published": 0, "created": 0, "posted": 0, "first published": 0, "date": 1,
             "dateline": 1, "bare": 2, "updated": 3, "modified": 3, "last updated": 3}


@dataclass
class TextResult:
    title: str | None = None
    text: str = ""
    published: FoundDate | None = None
    author: str | None = None
    description: str | None = None
    language: str | None = None
    dropped: list[Dropped] = field(default_factory=list)
    decisions: list[LineDecision] = field(default_factory=list)
    kept_lines: int = 0


@dataclass(slots=True)
class _Line:
    no: int  # 1-based input line number
    raw: str
    info: LineInfo
    rule: str | None = None
    p: float = 0.0
    meta: str | None = None  # "title", "description", "author", ... once used as metadata
    carried: bool = False  # kept as prose past in-story furniture (see _extend)
    indent: int = 0  # leading whitespace in the dump (stage 2 compares it with the story's)


# "A short item": at most this many non-blank lines (a headline, a line or two of text).
SHORT_ITEM_LINES = 6


def _name_like(text: str) -> bool:
    words = text.split()
    if not (2 <= len(words) <= 5) or len(text) > 50:
        return False
    if any(c.isdigit() for c in text) or text[-1] in ".!?:;,":
        return False
    # a shouted label ("MORE STORIES LIKE THIS ONE") has function words; a name has at
    # most one that doubles as a name ("Will Smith")
    if sum(1 for w in words if w.lower() in STOPWORDS and w.lower() not in _PARTICLES) >= 2:
        return False
    return all(_NAME_WORD.match(w) for w in words) and words[0][0].isupper()


def _is_prose(ln: _Line, t: float) -> bool:
    inf = ln.info
    return ln.rule is None and ln.meta is None and ln.p >= t and inf.n_words >= 8 \
        and inf.ends_sentence > 0


def _bio_like(low: str, name: str) -> bool:
    """"Darren is an aspiring writer …", "She covers …": an author's bio under the byline."""
    first = re.escape(name.split()[0].lower()) if name.split() else "@"
    return bool(_BIO_START.match(low) or re.match(first + _BIO_VERB, low))


def _clean_name(name: str) -> str | None:
    name = re.split(r"\s[|•·\-–—]\s|\s{2,}|,\s*(?:updated|published|posted)\b", name,
                    maxsplit=1)[0]
    bare = _ROLE.sub("", name)
    if len(bare.split()) >= 2:  # "Staff Writer" alone stays what it is
        name = bare
    name = re.sub(r"\s*(?:published|updated|posted)\s*:?.*$", "", name, flags=re.I)
    name = name.strip(" ,;:|-–—")
    if not name or len(name) > 80 or "/" in name or find_date(name) \
            or re.search(r"\bimages?\b", name, re.I):
        return None  # a photo credit, not a byline
    return name


def _date_candidates(text: str) -> list[tuple[int, FoundDate]]:
    """(priority, date) for each labelled date in a line."""
    out: list[tuple[int, FoundDate]] = []
    for m in DATE_RE.finditer(text):
        found = parse_date_text(m.group("d"))
        if found is None:
            continue
        before = text[max(0, m.start() - 30):m.start()]
        lab = _DATE_LABEL.search(before)
        kind = " ".join(lab.group(1).lower().split()) if lab else "bare"
        out.append((_PRIORITY.get(kind, 2), found))
    return out


class TextCleaner:
    """Cleans one plain-text page dump with the given parameters."""

    def __init__(self, params: Params) -> None:
        self.params = params
        self._w = params.vector()
        self._stages = params.context_vectors()

    # -- steps -------------------------------------------------------------------
    def _lines(self, text: str, dates: list[tuple[int, int, FoundDate]],
               known: dict[str, LineInfo] | None = None) -> list[_Line]:
        out: list[_Line] = []
        # menus repeat: one LineInfo per distinct line; ``known`` ones are reused
        seen: dict[str, LineInfo] = {k: v for k, v in known.items() if v.text == k} \
            if known else {}
        for no, raw in enumerate(text.splitlines(), start=1):
            s = raw.strip()
            if not s:
                continue
            m = _DATE_PREFIX.match(s) if s[0] in "dD" else None
            if m:
                found = parse_date_text(m.group(1))
                if found is not None:
                    dates.append((_PRIORITY["dateline"], no, found))
                s = s[m.end():].strip()
                if not s:
                    continue
            info = seen.get(s)
            if info is None:
                info = seen[s] = LineInfo(s)
            out.append(_Line(no, s, info, indent=len(raw) - len(raw.lstrip())))
        return out

    def _score(self, lines: list[_Line]) -> None:
        counts: dict[str, int] = {}
        for ln in lines:
            counts[ln.info.norm] = counts.get(ln.info.norm, 0) + 1
        rules: dict[str, str | None] = {}
        for ln in lines:
            ln.info.count = counts[ln.info.norm]
            t = ln.info.text
            if t in rules:
                ln.rule = rules[t]
            else:
                ln.rule = rules[t] = line_rule(t)
        z1 = line_logits([ln.info for ln in lines], self._w)
        for ln, z in zip(lines, z1):
            ln.p = sigmoid(z)
        # a caption split from its credit line: "X" then "X | Photo: AP"
        for a, b in zip(lines, lines[1:]):
            if b.rule == "caption" and a.rule is None and len(a.info.norm) > 15 \
                    and b.info.norm.startswith(a.info.norm):
                a.rule = "caption_dup"
        # a repeated headline-like line (teaser, caption, label) is page furniture; other
        # repeated lines (a recipe's "Meal 1") are left to the model's "repeated" feature
        for k, ln in enumerate(lines):
            inf = ln.info
            if ln.rule is None and inf.count > 1 and not inf.ends_sentence \
                    and inf.n_words >= 2 and (inf.title_ratio >= 0.6 or (
                        k + 1 < len(lines) and lines[k + 1].info is inf)):
                ln.rule = "repeated"  # a teaser's link and heading: the same line twice
        for a, b in zip(lines, lines[1:]):
            if b.rule == "repeated" and b.info is a.info:
                a.rule = "repeated"
        self._cut_comments(lines)
        self._mark_teasers(lines)
        # an author box: the prose line under an "About the author" heading
        for a, b in zip(lines, lines[1:]):
            if a.rule == "author_bio" and b.rule is None and b.info.n_words >= 8:
                b.rule = "author_bio"
        # a summary widget: bullet lines right after a "Summary"/"Highlights" label
        in_summary = False
        for ln in lines:
            if _SUMMARY_LABEL.match(ln.info.text):
                in_summary = True
                ln.rule = ln.rule or "ui"
                continue
            if in_summary and ln.info.bullet:
                ln.rule = "summary"
                continue
            in_summary = False
        self.restage(lines, z1, self._stages)

    def restage(self, lines: list[_Line], z: list[float], stages: list[list[float]]
                ) -> list[float]:
        """Stages 2 and 3: each line's score again, with the page around it (each stage
        reads the previous stage's logits); sets ``p`` and returns the last logits."""
        for w in stages:
            z = [sum(map(mul, w, row)) for row in self.context(lines, z)]
            for ln, zz in zip(lines, z):
                ln.p = sigmoid(zz)
        return z

    @staticmethod
    def context(lines: list[_Line], z1: list[float]) -> list[list[float]]:
        """Stage-2 rows for scored lines (rules already applied)."""
        return context_rows([ln.info for ln in lines], z1, [ln.rule is not None for ln in lines],
                            [ln.indent for ln in lines])

    def _mark_teasers(self, lines: list[_Line]) -> None:
        """A teaser list: three or more headline + short blurb pairs in a row (a story's
        sections have headings too, but rarely one short paragraph under each)."""
        def head(ln: _Line) -> bool:
            inf = ln.info
            return ln.rule is None and 6 <= inf.n_words <= 25 and not inf.bullet and (
                not inf.ends_sentence or inf.text.endswith(("...", "…")))  # cut-off titles

        def blurb(ln: _Line) -> bool:
            inf = ln.info
            return ln.rule is None and inf.ends_sentence > 0 and 6 <= inf.n_words <= 60

        i, n = 0, len(lines)
        while i < n - 1:
            j = i
            while j + 1 < n and head(lines[j]) and blurb(lines[j + 1]):
                j += 2
            if (j - i) // 2 >= 3:
                for ln in lines[i:j]:
                    ln.rule = "teasers"
                i = j
            else:
                i += 1

    def _cut_comments(self, lines: list[_Line]) -> None:
        """Readers' comments are not the story: after a comments heading that follows some
        prose and is itself followed by comment headers or dates, every line is out."""
        t = self.params.threshold
        prose = 0
        for i, ln in enumerate(lines):
            if ln.rule is None and ln.p >= t and ln.info.n_chars >= 80:
                prose += 1
            elif ln.rule == "comments" and prose >= 2:
                window = lines[i + 1:i + 9]
                if sum(1 for w in window if w.rule in ("comments", "date")) >= 1:
                    for rest in lines[i + 1:]:
                        if rest.rule is None:
                            rest.rule = "comments_section"
                    return

    def _values(self, lines: list[_Line]) -> list[float]:
        """Each line's contribution to the story span: prose adds by its length, other
        lines subtract (in-story noise a little, section enders a lot)."""
        pr = self.params
        t, cap, neg = pr.threshold, pr.len_cap, pr.neg_scale
        drop, end = -pr.drop_pen, -pr.end_pen
        vals: list[float] = []
        add = vals.append
        for ln in lines:
            if ln.meta is not None:
                add(drop)
            elif ln.rule is not None:
                add(drop if ln.rule in _INLINE_NOISE else end)
            else:
                n = ln.info.n_chars
                w = 0.2 if n < 20 else (n if n < cap else cap) / 100.0
                v = (ln.p - t) * w
                add(v if v >= 0 else v * neg)
        return vals

    def _metadata(self, lines: list[_Line], lo: int, res: TextResult,
                  fallback_title: str | None) -> list[tuple[int, int, FoundDate]]:
        """Title, standfirst and author into ``res`` (their lines marked as metadata);
        returns the publication-time candidates as (priority, line number, date)."""
        # the story's span can open on the headline itself when nothing stands above it:
        # then the header runs on to the first full sentence (at most three lines)
        if lo < 3:
            k = lo
            while k < min(len(lines), lo + 3) and not (lines[k].info.ends_sentence
                                                       and lines[k].info.n_words >= 8):
                k += 1
            lo = k
        header = lines[:lo]
        # -- title ---------------------------------------------------------------
        fb = set(re.findall(r"\w+", fallback_title.lower())) if fallback_title else set()
        crumbs = [ln.info.norm for ln in lines if ln.rule == "breadcrumb"]
        best, best_score, best_k = None, -1e9, -1
        dek: _Line | None = None
        scores: dict[int, float] = {}
        first = max(0, len(header) - 40)  # the headline sits shortly before the story
        # distance to the story in lines that hold words ("*" rows of icons do not count)
        dist = [0] * (len(header) + 1)
        for k in range(len(header) - 1, -1, -1):
            dist[k] = dist[k + 1] + (1 if header[k].info.n_words else 0)
        for k in range(first, len(header)):
            ln = header[k]
            inf = ln.info
            if ln.rule not in (None, "repeated") or not (3 <= inf.n_words <= 30) \
                    or inf.n_chars > 250 or _NOT_HEADLINE.search(inf.text):
                continue
            if inf.digit_ratio > 0.3:
                continue  # a date or a score line
            score = inf.title_ratio + min(inf.n_words, 12) / 6.0  # headlines run 6-15 words
            if inf.upper_ratio > 0.7:
                score -= 1.0  # a shouted label more often than a headline
            if inf.count > 1:
                score += 1.0
            if inf.n_words >= 5 and any(c.endswith(inf.norm) for c in crumbs):
                score += 2.0  # the breadcrumb's last step is the headline itself
            if inf.stop_ratio > 0.45:
                score -= 1.5
            if inf.bullet:
                score -= 1.0  # a menu entry
            nxt = header[k + 1] if k + 1 < len(header) else (lines[lo] if lo < len(lines) else None)
            if nxt is not None and (
                    nxt.rule in ("byline", "date")
                    or (nxt.info.ends_sentence and nxt.info.n_words >= 12)
                    # a byline name (once on the page, not a menu entry like the next one)
                    or (_name_like(nxt.info.text) and nxt.info.count == 1
                        and not nxt.info.bullet)):
                score += 1.5
            if k > 0 and header[k - 1].rule in ("date", "byline"):
                score += 1.0  # a dateline above the headline
            if fb:
                toks = set(re.findall(r"\w+", inf.norm))
                if toks and len(toks & fb) / len(toks | fb) >= 0.6:
                    score += 5.0
            score -= _TITLE_DIST * dist[k]
            scores[k] = score
            if score > best_score:
                best, best_score, best_k = ln, score, k
        # a headline over a dek without a full stop ("Putin arrives in Pyongyang …" over
        # "The visit is Putin's first …"): the dek sits nearer the byline and can outscore
        # it; the line right above a winner that is as headline-like and not much longer wins
        if best is not None and best_k > 0 and (best_k - 1) in scores:
            above = header[best_k - 1]
            after = header[best_k + 1] if best_k + 1 < len(header) else None
            # not one of a list of headlines, and the dek right above the byline or date
            in_list = best_k > 1 and (best_k - 2) in scores
            if not above.info.bullet and above.info.count == 1 and above.info.n_words >= 5 \
                    and best.info.n_words >= 0.75 * above.info.n_words and not in_list \
                    and best.info.norm not in above.info.norm \
                    and after is not None and after.rule in ("byline", "date") \
                    and scores[best_k - 1] > best_score - 2.0:
                dek = best
                best = above
        title_idx = -1
        if best is not None:
            res.title = best.info.text
            best.meta = "title"
            title_idx = lines.index(best)
            for ln in lines:  # the headline repeated elsewhere on the page
                if ln is not best and ln.info.norm == best.info.norm:
                    ln.meta = "title_repeat"
        elif fallback_title:
            res.title = fallback_title.strip()
        # -- description: the prose line right after the headline, set apart from the
        # body by a caption, byline or date (else it is the first paragraph) -----------
        if dek is not None:
            res.description = dek.info.text
            dek.meta = "description"
        elif 0 <= title_idx < len(lines) - 2:
            cand = lines[title_idx + 1]
            after = lines[title_idx + 2:title_idx + 5]
            if cand.rule is None and cand.meta is None and cand.info.n_words >= 8 \
                    and cand.info.ends_sentence and not _is_prose(after[0], self.params.threshold) \
                    and (any(
                        a.rule in _HEADER_RULES or a.meta is not None for a in after)
                        or _name_like(after[0].info.text)):
                res.description = cand.info.text
                cand.meta = "description"
        # -- author: in the header, between the headline and the story ------------
        lo2, hi2 = best_span(self._values(lines))
        zone_end = max(lo2 if hi2 >= lo2 else len(lines), title_idx + 1)
        # bylines sit near the story's start, below the headline: its first copy when the
        # page repeats it around the byline (a headline, the byline, the headline again)
        heads = [i for i in range(max(0, zone_end - 25), zone_end)
                 if lines[i].meta in ("title", "title_repeat")]
        zone_start = max(0, min([title_idx] + heads), zone_end - 25)
        zone = lines[zone_start:zone_end]
        authors: list[tuple[int, str, _Line]] = []
        for zi, ln in enumerate(zone):
            t = ln.info.text
            m = _BYLINE.match(t) or _AUTHOR_LABEL.match(t)
            if m and ln.info.n_chars <= 100:
                kind = (m.groupdict().get("kind") or "").lower()
                name = _clean_name(m.group("name") or m.groupdict().get("name2") or "")
                if name:
                    rank = 3 if kind in ("curated", "edited", "compiled", "photo", "photos",
                                         "reviewed", "produced") else 0
                    authors.append((rank, name, ln))
                continue
            m = _TRAILING_BY.search(t) if ln.rule == "date" else None
            if m:  # "Posted on March 3, 2021 by Lena"
                authors.append((0, m.group(1), ln))
                continue
            if ln.rule == "date" and re.search(r"\s[|•·]\s", t):
                head = _clean_name(t)
                if head and _name_like(head):
                    authors.append((1, head, ln))
                continue
            if ln.meta is None and ln.rule is None and _name_like(t) and ln.info.count == 1 \
                    and not t.lower().startswith("home "):
                # a bare name counts as a byline beside a date or byline line, or right
                # under the headline or standfirst; elsewhere it is a menu or a section
                near = zone[max(0, zi - 2):zi + 3]
                prev = zone[zi - 1] if zi > 0 else None
                if any(o.rule in ("date", "byline") for o in near) or (
                        prev is not None and prev.meta in ("title", "description")) or (
                        zi + 1 < len(zone) and _bio_like(zone[zi + 1].info.norm, t)):
                    authors.append((2, t, ln))
        if authors:
            authors.sort(key=lambda a: a[0])
            rank, name, aln = authors[0]
            res.author = name
            if aln.meta is None and aln.rule is None:
                aln.meta = "author"
            i = lines.index(aln)
            if i + 1 < len(lines):
                nxt = lines[i + 1]
                if nxt.meta is None and _bio_like(nxt.info.norm, name):
                    nxt.meta = "bio"
        # -- publication time ----------------------------------------------------
        cands: list[tuple[int, int, FoundDate]] = []
        for idx, ln in enumerate(lines):
            if (ln.rule in ("date", "byline")
                    or (zone_end - 40 <= idx < zone_end and ln.info.n_chars < 80)) \
                    and _YEAR.search(ln.info.text):
                for prio, found in _date_candidates(ln.info.text):
                    cands.append((prio + (0 if idx < zone_end else 5), ln.no, found))
        return cands

    def _extend(self, lines: list[_Line], lo: int, hi: int) -> tuple[int, int]:
        """Carry the story's end over a caption, credit or ad (up to two such lines) to a
        prose paragraph beyond, and its start back over share buttons or an ad: in-story
        furniture does not end a story."""
        if hi < lo:
            return lo, hi
        t, n = self.params.threshold, len(lines)

        def prose(k: int) -> bool:
            ln = lines[k]
            # a full sentence of running prose, even if its place on the page doubts it
            inf = ln.info
            return ln.rule is None and ln.meta is None and inf.n_words >= 8 \
                and inf.ends_sentence > 0 and (ln.p >= t or (ln.p >= t / 2
                                                             and inf.stop_ratio >= 0.25))

        while True:
            k, skipped = hi + 1, 0
            while k < n and skipped < 2 and lines[k].rule in _IN_STORY and lines[k].meta is None:
                k += 1
                skipped += 1
            if k < n and skipped and prose(k):
                hi = k
                lines[k].carried = True
                continue
            break
        # backwards only over share/ad rows: going back over a photo credit reaches the
        # caption it credits, not the story
        while True:
            k, skipped = lo - 1, 0
            while k >= 0 and skipped < 2 and lines[k].rule in _BUTTONS and lines[k].meta is None:
                k -= 1
                skipped += 1
            if k >= 0 and skipped and prose(k):
                lo = k
                lines[k].carried = True
                continue
            break
        return lo, hi

    def _choose_date(self, cands: list[tuple[int, int, FoundDate]]) -> FoundDate | None:
        if not cands:
            return None
        cands.sort(key=lambda c: (c[0], c[1]))
        chosen = cands[0][2]
        if not chosen.has_time:
            for _, _, f in cands:
                if f.has_time and f.when.date() == chosen.when.date():
                    return f
        return chosen

    # -- the whole page ------------------------------------------------------------
    def clean(self, text: str, fallback_title: str | None = None,
              explain: bool = False, known: dict[str, LineInfo] | None = None) -> TextResult:
        """Clean one dump; ``explain`` also records every line's decision. ``known``:
        line facts already computed by the caller, by line text (their ``count`` is
        overwritten)."""
        res = TextResult()
        dates: list[tuple[int, int, FoundDate]] = []
        lines = self._lines(text, dates, known)
        if not lines:
            return res
        self._score(lines)
        lo, hi = best_span(self._values(lines))
        cands = self._metadata(lines, lo if hi >= lo else len(lines), res, fallback_title)
        lo, hi = self._extend(lines, *best_span(self._values(lines)))
        res.published = self._choose_date(dates + cands)
        self._decide(lines, lo, hi, res, explain)
        return res

    def _decide(self, lines: list[_Line], lo: int, hi: int, res: TextResult,
                explain: bool = False) -> None:
        pr = self.params
        keep = [False] * len(lines)
        reason = [""] * len(lines)  # Dropped.rule; --explain adds p(story)
        t = pr.threshold
        keep_t = max(t, pr.keep_threshold)  # the span is drawn at t; lines kept at keep_t
        for i, ln in enumerate(lines):
            if ln.meta is not None:
                reason[i] = "metadata: " + ln.meta
            elif ln.rule is not None:
                reason[i] = ln.rule
            elif not (lo <= i <= hi):
                reason[i] = "outside story"
            elif ln.p >= keep_t:
                keep[i] = True
                reason[i] = "prose"
            elif ln.carried:
                keep[i] = True
                reason[i] = "prose past in-story furniture"
            else:
                reason[i] = "not prose"
        if not any(keep) and len(lines) <= SHORT_ITEM_LINES:
            # A story of a line or two (a short item, a feed entry's text) never cleans to
            # nothing: with no line over the keeping threshold, the story span's own lines
            # (over the span's threshold) are the story. Only for short inputs: on a whole
            # page with no line worth keeping, the span's best lines are mostly furniture.
            for i in range(max(lo, 0), min(hi, len(lines) - 1) + 1):
                ln = lines[i]
                if ln.rule is None and ln.meta is None and ln.p >= t:
                    keep[i] = True
                    reason[i] = "prose (the story's only lines)"
        # short headings set between prose lines inside the story
        for i in range(max(lo, 1), min(hi, len(lines) - 2) + 1):
            ln = lines[i]
            if keep[i] or ln.rule is not None or ln.meta is not None:
                continue
            inf = ln.info
            if not (1 <= inf.n_words <= pr.heading_max_words) or inf.text[-1] in ".,;:" \
                    or inf.bullet:
                continue
            nxt = lines[i + 1]
            if keep[i - 1] and i + 1 <= hi and nxt.rule is None and nxt.meta is None \
                    and nxt.p >= t:
                keep[i] = True
                reason[i] = "heading between prose"
        # a prose line repeated on the page (pull quote) is kept once
        seen: set[str] = set()
        paras: list[str] = []
        dropped = res.dropped
        for i, ln in enumerate(lines):
            if keep[i]:
                if ln.info.count > 1 and ln.info.norm in seen:
                    keep[i] = False
                    reason[i] = "repeated"
                else:
                    seen.add(ln.info.norm)
                    paras.append(ln.info.text)
                    continue
            dropped.append(Dropped(ln.no, ln.raw, reason[i]))
        res.text = "\n\n".join(paras)
        res.kept_lines = len(paras)
        res.language = guess_language(res.text)
        if explain:
            res.decisions = [
                LineDecision(ln.no, ln.raw, "KEEP" if keep[i] else "DROP",
                             reason[i] + (f" (p={ln.p:.2f})" if ln.rule is None
                                          and ln.meta is None else ""))
                for i, ln in enumerate(lines)]


_LANG_WORDS = {
    "en": {"the", "and", "of", "to", "is", "that", "with", "for", "was", "said"},
    "fr": {"le", "les", "des", "est", "une", "dans", "pour", "qui", "sur", "pas"},
    "es": {"el", "los", "las", "del", "que", "por", "con", "una", "para", "como"},
    "pt": {"os", "uma", "não", "com", "para", "mais", "foi", "ao", "dos", "das"},
    "de": {"der", "die", "und", "ist", "nicht", "ein", "eine", "zu", "den", "mit"},
    "it": {"il", "di", "che", "della", "per", "non", "sono", "gli", "nel", "una"},
    "id": {"yang", "dan", "di", "ke", "dari", "ini", "itu", "untuk", "dengan", "adalah"},
    "nl": {"het", "een", "van", "en", "de", "dat", "niet", "zijn", "met", "voor"},
}
_WORDS = re.compile(r"[^\W\d_]+")
_WORD_LANGS: dict[str, tuple[str, ...]] = {}
for _lang, _ws in _LANG_WORDS.items():
    for _w in _ws:
        _WORD_LANGS[_w] = _WORD_LANGS.get(_w, ()) + (_lang,)


def guess_language(text: str) -> str | None:
    """A cheap guess from function words; None when the text gives too little to go on."""
    words = _WORDS.findall(text[:2000].lower())
    if len(words) < 20:
        return None
    scores: dict[str, int] = {}
    get = _WORD_LANGS.get
    for w in words:
        for lang in get(w, ()):
            scores[lang] = scores.get(lang, 0) + 1
    if not scores:
        return None
    lang, best = max(scores.items(), key=lambda kv: kv[1])
    return lang if best >= len(words) * 0.05 else None
