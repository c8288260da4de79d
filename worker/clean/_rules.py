"""Rule families for lines that are never the story's own prose.

Each family is a small set of precompiled patterns written for a kind of page noise
(not for an outlet): the first family that matches names the drop. ``line_rule`` is
called once per line, so the cheap checks come first.
"""

from __future__ import annotations

import re

_SOCIAL = (r"facebook|twitter|x\.com|whatsapp|linkedin|instagram|youtube|telegram|pinterest|"
           r"reddit|tumblr|email|e-mail|print|copy link|koo|threads|flipboard|rss|quora|"
           r"google news|snapchat|tiktok|messenger|mail|share|tweet|sms|vk")

# (rule name, pattern) in the order they are tried; patterns see the stripped line.
_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("also_read", re.compile(
        r"^\[\s*(?:related|read\s+more|see\s+also|also\s+read)\s*:"
        r"|^\(?(?:see\s+more|also\s+read|read\s+also|read\s+more|more\s+on\s+this|must\s+read|"
        r"also\s+see|also|related\s+(?:posts?|stories|articles?|content)|"
        # "read also" in the other languages the stopwords know
        r"leggi\s+anche(?:\s+su)?|(?:à\s+)?lire\s+aussi|lesen\s+sie\s+auch|mehr\s+zum\s+thema|"
        r"leia\s+(?:também|mais)|veja\s+também|lee\s+también|lea\s+también|baca\s+juga|"
        r"lihat\s+juga|lees\s+ook|zie\s+ook|"
        r"see\s+also|also\s+watch|watch|related|recommended|suggested|don'?t\s+miss|"
        r"click\s+here|trending|read\s+next|up\s+next|more)\s*(?:[:|»>\-–—]|\.\.\.)"
        r"|click\s+here\s+(?:to|for)\b.{0,60}$"
        # a teaser link tagged by kind: "… eating marmot [INSIGHT]"
        r"|.{10,200}\[(?:insight|video|reaction|news|warning|pictures?|photos?|latest|poll|"
        r"analysis|"
        r"comment|update|live|gallery|watch|reveal|explained|opinion|quiz)\]\s*\|?$", re.I)),
    ("byline", re.compile(
        r"^(?:(?:published|written|posted|reported|edited|curated|compiled|produced|"
        r"photos?|story|text|words|reviewed)\s+by\b|by\s*:"
        r"|by\s+(?-i:[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){0,3})"
        r"\s*(?:$|[|,•·\-–—]|and\b|\d)|authors?\s*:|reporter\s*:|editor\s*:|"
        # "Steve Peoples, AP National Political Writer"
        r"(?-i:[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){1,3}),\s+(?:[\w.]+\s+){0,4}"
        r"(?:writer|reporter|correspondent|editor|columnist|contributor)$|"
        r"written by$|posted by$)", re.I)),
    ("date", re.compile(
        r"^(?:(?:first\s+|last\s+)?(?:published|updated|created|posted|modified|date|dated|"
        r"last\s+modified)(?:\s+(?:on|at))?\s*[:\-–—|]?\s*"
        r"(?:$|\d|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun)"
        r"[a-z]*\b|\w+\s+\d{1,2},?\s+\d{4})"
        r"|\d+\s+(?:min(?:ute)?s?|hours?|hrs?|days?|weeks?|months?)\s+(?:ago|read)\b"
        r"|(?:today|yesterday)\s*,?\s*(?:at\s+)?\d{1,2}[:.]\d{2}\s*(?:[ap]\.?m\.?)?\s*\w{0,4}$"
        r"|(?:reading\s+time|read\s+time|tempo\s+de\s+leitura|tiempo\s+de\s+lectura|"
        r"temps\s+de\s+lecture|lesezeit|waktu\s+baca)\s*:?\s*\d"
        r"|.{0,80}[|•·]\s*(?:updated|published|created|posted|modified)(?:\s+(?:on|at))?\s*:"
        # a line that is only a date (and time): "November 19, 2019 at 6:34 am"
        r"|(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+)?(?:\d{1,2}(?:st|nd|rd|th)?\s+)?"
        r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+"
        r"(?:\d{1,2}(?:st|nd|rd|th)?,?\s+)?"
        r"\d{4}(?:,?\s*(?:at\s+)?\d{1,2}[:.]\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?(?:\s*[a-z]{2,4})?)?"
        r"\s*(?:[|•·]\s*(?:by\b.*)?)?$"
        r"|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}(?:,?\s*\d{1,2}[:.]\d{2}(?:\s*[ap]\.?m\.?)?)?\s*$"
        r"|\d{1,2}[/.-]\d{1,2}[/.-]\d{4}\s+(?-i:[A-Z])\D{0,80}$"
        r"|\d{4}-\d{2}-\d{2}(?:[t ]\d{2}:\d{2}(?::\d{2})?)?\s*$)", re.I)),
    ("caption", re.compile(
        r"^(?:photo|image|picture|pic|file\s+photo|credit|image\s+credit|photo\s+credit|"
        r"image\s+source|source)s?\s*:|^\([^()]{2,60}/[^()]{2,60}\)$"
        r"|^(?:image|photo|media|picture)\s+(?:caption|copyright|source|credit)\b"
        r"|^(?-i:[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){1,3},\s+[A-Z][A-Z.&'’ -]{2,40})$"
        r"|^\(?(?:representative|representational|file|symbolic)\s+"
        r"(?:image|photo|picture|pic)\)?\.?$", re.I)),
    ("credit", re.compile(
        r"^\(?\s*(?:with\s+(?:inputs?|agency\s+inputs?)\s+from|inputs?\s+from|"
        r"(?:reporting|additional\s+reporting|writing|editing)\s+by|"
        r"(?:except\s+for\s+the\s+headline,\s+)?"
        r"this\s+(?:story|article|report)\s+(?:has\s+(?:not\s+)?been|was(?:\s+not)?)\s+"
        r"(?:published|edited|"
        r"auto-generated|generated)|(?:this\s+)?(?:story|article)\s+(?:is\s+)?(?:from|via)\s+"
        r"(?:a\s+)?(?:syndicated|wire|agency)|edited\s+by|source\s*:|citation\s*:|"
        r"(?:provided|courtesy)\s+(?:by|of)\b|more\s+information\s*:|explore\s+further$|"
        r"(?:this\s+(?:document|article|story|material)\s+is\s+)?subject\s+to\s+copyright)", re.I)),
    ("advert", re.compile(
        r"^(?:advertisement|advertisment|advert|ad|ads|sponsored(?:\s+content)?|promoted|"
        r"story\s+continues\s+(?:below|after)(?:\s+(?:this\s+)?(?:advertisement|ad))?|"
        r"continue\s+reading\s+(?:below|the\s+main\s+story)|scroll\s+to\s+continue.*|"
        r"article\s+continues\s+(?:below|after).*|skip\s+(?:advert|ad)\w*|"
        r"report\s+an?\s+ad|close\s+ad|"
        r"paid\s+(?:content|post|partner\s+content))\s*[.:]?$", re.I)),
    ("share", re.compile(
        r"^click\s+to\s+(?:share|email|print|tweet)\b.*|.*\(opens\s+in\s+(?:a\s+)?new\s+window\)$|"
        r"^(?:share|tweet|pin|e-?mail|print|copy)\b(?:\s+\S+){0,5}(?<![.!?])$|"
        r".*\b(?:url|link)\s+copied\b.*|"
        r"^share\s+(?:to|on|via)\s+\w+.*\bshare\s+(?:to|on|via)\s+\w+.*|"
        r".*\b(?:will\s+)?open\s+in\s+a\s+new\s+(?:window|tab)\.?$|"
        r"^(?:(?:share|follow|connect|like|join)(?:\s+(?:us|this|on|with\s+us|the\s+story|"
        r"article|post|via))*\s*(?:on|:)?\s*|(?:(?:" + _SOCIAL + r")\b[\s,|/·•]*){1,})"
        r"(?:(?:" + _SOCIAL + r")\b[\s,|/·•]*)*$", re.I)),
    ("copyright", re.compile(
        r"^copyright\b|^(?:terms\s+(?:of\s+(?:use|service)|&\s+conditions)|privacy\s+policy|"
        r"cookie\s+policy|disclaimer|contact\s+us|about\s+us|sitemap|careers|"
        r"advertise\s+with\s+us)\b", re.I)),
    ("contact", re.compile(
        r"^(?:e-?mail|phone|tel|telephone|fax|mobile|whatsapp|address|contact)\s*:|"
        r"^[\w.+-]+@[\w-]+\.[\w.]+$", re.I)),
    ("comments", re.compile(
        # a comment's own header: "Milan on September 12, 2018 at 4:47 pm said:", "1. joe says:"
        r"^\d+\s+(?:responses?|thoughts?|comments?|replies)\s+(?:to|on)\b.{0,200}$|"
        r"^(?:\d+\s+)?(?:comments?|reply|replies|leave\s+a\s+(?:comment|reply)|post\s+a\s+comment"
        r"|add\s+(?:a\s+)?comment|view\s+comments|show\s+comments|load\s+more(?:\s+comments)?"
        r"|join\s+the\s+(?:conversation|discussion)|(?:\d+\s+)?(?:likes?|views?|shares?)"
        r"|comments\s+are\s+closed\.?|discussion|tell\s+us\s+what\s+you\s+think.*"
        r"|(?:show|hide|view)\s+\d+\s+(?:more\s+)?repl(?:y|ies)"
        r"|your\s+email\s+address\s+will\s+not\s+be\s+published\..*"
        r"|(?:top|best|most)\s+(?:rated|liked|recent|popular|recommended)\s+comments"
        r"|\[\s*\d+\s+comments?\s*\]|\(?view\s+all(?:\s+\d+)?(?:\s+comments)?\)?"
        r"|rating\s*:\s*[-+]?\d+\s+votes?)\s*"
        r"(?:\(\d+\))?$", re.I)),
    ("ui", re.compile(
        r"^(?:left\s+menu|menu|search|home|close(?:\s+(?:share\s+)?panel)?|"
        r"back\s+to(?:\s+\w+){1,2}|"
        r"copy\s+link|link\s+copied|toggle\s+navigation|\[\w+\s+\w+=.*\[/\w+\]|"
        r"skip\s+to\s+(?:main\s+)?"
        r"content|back\s+to\s+top|next|previous|prev|show\s+more|view\s+more|see\s+more|"
        r"load\s+more|read\s+more|more|info_icon|listen(?:\s+to\s+(?:this\s+)?(?:article|story))?"
        r"|print|font\s+size|a\+?|a-|x|×|…|\.\.\.|tags?\s*:?|topics?\s*:?|summary(?:\s+of\s+this"
        r"\s+article)?|key\s+(?:highlights|takeaways|points)|highlights|"
        r"in\s+(?:brief|short)|quick\s+read|opinion|sections?|editions?|categories|"
        r"(?:top|more|other|quick|useful|group)\s+(?:categories|links|websites|products|"
        r"sections|stories|news)|follow\s+us|connect\s+(?:with\s+)?us(?:\s+on)?|"
        r"give\s+feedback|feedback|loading\.*|please\s+wait\.*|"
        r"this\s+(?:slideshow|gallery|video|content|feature)\s+requires\s+javascript|"
        r"(?:please\s+)?enable\s+javascript\b.{0,60}|javascript\s+is\s+(?:required|disabled)\b.{0,60})"
        r"\s*[:.]?$", re.I)),
    ("list_label", re.compile(
        r"^(?:(?:the\s+)?(?:most\s+(?:popular|read|viewed|shared|commented|watched)|"
        r"don'?t\s+miss|"
        r"(?:latest|top|trending|related|recent|recommended|popular|breaking|more|featured|"
        r"editor'?s?|similar|other|today'?s?|must)\s*(?:news|stories|posts|articles|content|"
        r"videos?|reads?|headlines|picks|topics|updates|sports\s+news|from\s+[\w\s]+)?|"
        r"more\s+from\s+(?:the\s+)?(?:author|[\w\s]{1,30})|you\s+(?:may|might)\s+(?:also\s+)?"
        r"(?:like|enjoy|be\s+interested\s+in)|(?:what\s+)?to\s+read\s+next|"
        r"in\s+(?:other|related)\s+news|around\s+the\s+web|from\s+(?:the\s+)?web|"
        r"(?:photos?|videos?|watch|gallery|podcasts?|live\s+tv|web\s+stories|shorts)|"
        r"leggi\s+anche|potrebbe\s+interessarti|(?:à\s+)?lire\s+aussi|sur\s+le\s+même\s+sujet|"
        r"lesen\s+sie\s+auch|mehr\s+zum\s+thema|leia\s+também|veja\s+também|lee\s+también|"
        r"te\s+puede\s+interesar|baca\s+juga|berita\s+terkait|lees\s+ook|zie\s+ook)"
        r"(?:\s+(?:in|from|on)\s+this\s+(?:section|category|topic|site))?"
        r"\s*(?:[:!]|\.\.\.|…)?)$", re.I)),
    # an author box: "About the author", "About Jane Doe" (and the same in other languages)
    ("author_bio", re.compile(
        r"^(?:about|sobre|acerca\s+de|à\s+propos\s+de?|über|tentang)\s+(?:the\s+author|o\s+autor|"
        r"l'auteur|el\s+autor|den\s+autor|penulis|(?-i:[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){0,3}))$",
        re.I)),
    # an outlet's promotion of itself closing a story: "Catch all the latest news on …"
    ("promo", re.compile(
        r"^(?:catch\s+(?:all\s+)?the\s+(?:latest|[\w\s,]{0,60}news)"
        r"|download\s+the\s+[\w\s]{0,30}app"
        r"|stay\s+updated\s+with|get\s+(?:the\s+)?latest\s+[\w\s]{0,20}news\s+(?:on|from)"
        r"|for\s+(?:more|the\s+latest)\s+[\w\s]{0,30}news,?\s+(?:follow|visit|download)"
        r"|(?:join|follow)\s+(?:us|our\s+\w+\s+channel)\s+on\s+(?:whatsapp|telegram)"
        r"|follow\s+[\w\s]{1,30}\s+on\s+(?:facebook|twitter|instagram|youtube|linkedin|x|"
        r"threads|tiktok|social\s+media)\b)", re.I)),
    ("rank_number", re.compile(r"^(?:\d{1,2}|#\d{1,2}|[ivx]{1,4}\.?)$")),
    ("breadcrumb", re.compile(
        r"^(?:home|start|main)\s*(?:>|»|/|›|\||→)|^you\s+are\s+here\b", re.I)),
]

# Patterns that may match anywhere in a line; each runs only when one of its guard
# substrings is in the lower-cased line (scanning every line with them is the hot loop).
# (family, pattern, longest line it applies to, guard substrings, tail window)
_ANYWHERE: list[tuple[str, re.Pattern[str], int, tuple[str, ...], int]] = [
    ("caption", re.compile(
    r"\((?:photo|image|picture|pic|file\s+photo|representational|representative|"
    r"illustration|video|credit|source|graphic)s?\b[^)]*\)\s*$|"
    r"[|·•]\s*(?:(?:photo|image|picture|pic)s?(?:\s+(?:credits?|courtesy|source))?|credits?|source)"
    r"\s*(?::|by\b)|"
    r"\((?:[^()]{0,60}/)?(?:AP|AFP|Reuters|Getty(?:\s+Images)?|EPA|PTI|ANI|IANS|Xinhua|"
    r"Bloomberg|Shutterstock|iStock|Alamy|Wikimedia(?:\s+Commons)?|AAP|CP|PA|dpa|"
    r"Yonhap|KCNA|X|Twitter|Instagram|Facebook)(?:\s*(?:Photo|Images?|via[^)]*))?\)\s*$|"
    r"\bvia\s+Getty\s+Images\b|getty\s+images\s*$|\bAP\s+Photo\b|/\s*(?:AP|AFP|Reuters)\)?\s*$|"
    r"[.!?)]\s+(?:image\s+|photo\s+|picture\s+)?credits?\s*:\s*[^.!?]{1,60}$|"
    r"\bcredit(?:\.\.\.|…)\s*[^.!?]{1,80}$|"
    r"\[(?:file\s*:\s*)?(?:reuters|ap|afp|getty(?:\s+images)?|epa|file|photo|image|pti|ani)\b"
    r"[^\]]{0,40}\]\s*$|"
    # a wire photo credit closing a caption: "... on Monday. REUTERS/Ann Smith"
    r"(?-i:\b(?:REUTERS|AFP|AP|EPA|ANSA|PTI|ANI|XINHUA|DPA|IANS|GETTY))\s*/\s*[\w.'’ -]{1,40}$|"
    r"[.!?]\s+[\w.'’ -]{1,40}/\s*(?:AP|AFP|Reuters|Getty\s+Images|EPA|PTI)\s*$",
    re.I), 400,
     (")", "|", "·", "•", "getty", "ap photo", "/ap", "/ afp", "/afp", "/ ap", "reuters", "credit",
      "afp/", "ap/", "epa/", "pti/", "ani/", "xinhua/", "dpa/", "ians/", "ansa/", "/epa", "/pti",
      "]"),
     160),
    ("ai_disclaimer", re.compile(
        r"\bai[- ]generated\b|\bgenerated\s+(?:by|with|using)\s+ai\b|"
        r"for\s+illustrat(?:ive|ion)\s+purposes?\s+only|does\s+not\s+depict\s+any\s+real",
        re.I), 400, ("generated", "illustrat", "depict"), 0),
    ("subscribe", re.compile(
        r"\b(?:subscribe|subscription|newsletter|sign\s+up|sign\s+in|log\s+in|login|register"
        r"|qr[- ]?code|unlock|paywall|premium\s+content|free\s+trial|already\s+a\s+subscriber"
        r"|download\s+(?:the\s+|our\s+)?[\w\s]{0,30}\bapp|get\s+the\s+app"
        r"|catch\s+(?:all\s+)?the\s+latest|stay\s+updated\s+with)\b", re.I), 160,
     ("subscri", "newsletter", "sign up", "sign in", "log in", "login", "regist", "qr", "unlock",
      "paywall", "premium", "trial", " app", "catch", "stay updated"), 0),
    ("cookies", re.compile(
        r"\b(?:we|this\s+(?:site|website))\s+uses?\s+cookies"
        r"|cookies?\s+(?:policy|settings|preferences|consent|notice)|accept\s+(?:all\s+)?cookies"
        r"|(?:necessary|functional|analytics|performance|"
        r"advertising|third[- ]party|tracking|these)\s+cookies|cookies\s+(?:are|that|to\s+improve)|"
        r"opt[- ]out\s+if\s+you\s+wish|by\s+(?:continuing|using)\s+(?:to\s+(?:use|browse)\s+)?"
        r"this\s+(?:site|website)", re.I),
     600, ("cookie", "opt-out", "opt out", "by continuing", "by using"), 0),
    # a comment's own header: "Milan on September 12, 2018 at 4:47 pm said:", "joe says:"
    ("comments", re.compile(
        r"^(?:\d+\.\s*)?[\w.@-]+\s+says\s*:?$"
        r"|\bon\s+.{3,40}\d{4}.{0,30}\s(?:said|says|wrote|replied)\s*:?$",
        re.I), 120, ("said", "says", "wrote", "replied"), 0),
    ("copyright", re.compile(
        r"©|\(c\)\s*\d{4}|\bcopyright\s*(?:©|\(c\)|\d{4})|\ball\s+rights\s+reserved\b", re.I),
     400, ("©", "(c)", "copyright", "reserved"), 0),
    ("breadcrumb", re.compile(r"(?:\s(?:>|»|›|→)\s.*){2,}"), 1 << 30, (" > ", " » ", " › ", " → "),
     0),
]

# Families anchored at the line start that only apply to lines up to a length: a long
# line that merely starts like a share row or a label is prose.
_MAX_LEN = {"author_bio": 80, "ui": 80, "list_label": 80, "comments": 80, "rank_number": 80,
            "advert": 80, "share": 200, "byline": 100, "date": 120, "caption": 400,
            "copyright": 400, "contact": 400, "promo": 400}
_BUCKETS = (80, 100, 120, 400, 1 << 30)


def _combined(limit: int) -> re.Pattern[str]:
    """One alternation of the anchored families that apply to lines of this length, used
    with ``match``: a single regex call per line tries them all, in order."""
    alts = [f"(?P<{name}>{pat.pattern})" for name, pat in _RULES
            if _MAX_LEN.get(name, 1 << 30) >= limit]
    return re.compile("|".join(alts), re.I)


_COMBINED = [(limit, _combined(limit)) for limit in _BUCKETS]
# what makes a longer line a subscription prompt rather than prose about subscribers
_STRONG_SUB = re.compile(
    r"newsletter|qr[- ]?code|sign\s+up\s+(?:for|to|now)|unlock|already\s+a\s+subscriber|"
    r"subscribe\s+(?:now|today|here|to\s+(?:our|the|us)|for\s+(?:free|unlimited|just|only|\$|₹|£|€))",
    re.I)
_PIPES = re.compile(r"\s[|•·]\s")


def line_rule(line: str) -> str | None:
    """The name of the rule family that marks this stripped line as noise, or None."""
    n = len(line)
    for limit, pat in _COMBINED:
        if n <= limit:
            m = pat.match(line)
            if m is not None:
                return m.lastgroup
            break
    lower = line.lower()
    for name, pat, max_len, guard, tail in _ANYWHERE:
        if n > max_len:
            continue
        for g in guard:
            if g in lower:
                break
        else:
            continue
        if pat.search(line[-tail:] if tail and n > tail else line):
            if name == "subscribe" and len(line.split()) > 5 and not _STRONG_SUB.search(line):
                continue  # "register" or "log in" in a sentence is prose
            return name
    return _link_row(line, n)


def _link_row(line: str, n: int) -> str | None:
    """Footer-ish link rows: "Terms of use | Privacy Policy | Disclaimer"."""
    if n < 200 and ("|" in line or "•" in line or "·" in line) and len(_PIPES.findall(line)) >= 2:
        parts = [p.strip() for p in _PIPES.split(line)]
        if all(len(p.split()) <= 4 for p in parts):
            return "link_row"
    return None
