"""Query text → tree (see docs/topics.md for the language).

Precedence, loosest first: ``OR``; ``AND`` (explicit or implied between adjacent
clauses); ``NEAR/n`` and ``ONEAR/n`` (left-associative); ``NOT`` / ``-`` / ``+`` and field
prefixes. Operators are upper case (``and`` is a word). Every error is a ``QueryError``
with the 1-based column where the problem was seen.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from worker.errors import QueryError

from ._ast import And, Field, Lang, Near, Node, Not, Or, Phrase, Site, Word, is_positional
from ._fold import _WORD_RE, TOKEN_RE, fold_token

MAX_NEAR = 1000
MAX_DEPTH = 64  # nesting of groups, NOTs and chained NEARs; keeps every tree walk shallow
MIN_PREFIX = 2
_QUOTES = '"\u201c\u201d\u201e\u201f\u00ab\u00bb'
_STOP = set(" \t\r\n\f\v()" + _QUOTES)
_NEAR_RE = re.compile(r"(O?)NEAR(?:/(.*))?$")
_FIELD_RE = re.compile(r"([A-Za-z]+):")
_FIELDS = ("title", "body", "site", "lang")
_LIST_NAME_RE = re.compile(r"[\w\-]+$")


@dataclass(frozen=True)
class Query:
    """A parsed query: the original text and its tree."""

    text: str
    root: Node


@dataclass(frozen=True)
class _Tok:
    kind: str  # WORD PHRASE LIST FIELD AND OR NOT MINUS PLUS NEAR LPAREN RPAREN EOF
    text: str
    col: int  # 1-based
    end: int  # 0-based index just past the token
    value: object = None


def _lex(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch in "()":
            toks.append(_Tok("LPAREN" if ch == "(" else "RPAREN", ch, i + 1, i + 1))
            i += 1
            continue
        if ch in _QUOTES:
            j = i + 1
            while j < n and text[j] not in _QUOTES:
                j += 1
            if j >= n:
                raise QueryError("unterminated phrase (missing closing quote)", column=i + 1)
            toks.append(_Tok("PHRASE", text[i : j + 1], i + 1, j + 1, text[i + 1 : j]))
            i = j + 1
            continue
        if ch in "-+" and i + 1 < n and not text[i + 1].isspace() and text[i + 1] != ")":
            toks.append(_Tok("MINUS" if ch == "-" else "PLUS", ch, i + 1, i + 1))
            i += 1
            continue
        j = i
        while j < n and text[j] not in _STOP:
            j += 1
        word = text[i:j]
        fm = _FIELD_RE.match(word)
        if fm and not word.startswith(("http:", "https:")):
            name = fm.group(1).lower()
            if name not in _FIELDS:
                raise QueryError(
                    f"unknown field '{fm.group(1)}:' (expected title:, body:, site: or lang:)",
                    column=i + 1,
                )
            rest_at = i + fm.end()
            if name in ("site", "lang"):
                value = text[rest_at:j]
                if not value:
                    what = "a domain" if name == "site" else "a language code"
                    raise QueryError(f"expected {what} after '{name}:'", column=rest_at + 1)
                toks.append(_Tok("FIELD", word, i + 1, j, (name, value)))
                i = j
            else:
                toks.append(_Tok("FIELD", text[i:rest_at], i + 1, rest_at, (name, None)))
                i = rest_at
            continue
        if word in ("AND", "OR", "NOT"):
            toks.append(_Tok(word, word, i + 1, j))
        elif word.startswith("@"):
            toks.append(_Tok("LIST", word, i + 1, j, word[1:]))
        elif (nm := _NEAR_RE.match(word)) is not None:
            op = "ONEAR" if nm.group(1) else "NEAR"
            arg = nm.group(2)
            if arg is None or not arg.isdigit():
                raise QueryError(f"expected {op}/n with a number of words n", column=i + 1)
            dist = int(arg)
            if dist < 1:
                raise QueryError(f"{op}/{arg}: the distance must be at least 1", column=i + 1)
            if dist > MAX_NEAR:
                raise QueryError(f"{op}/{arg}: the distance must be at most {MAX_NEAR}", column=i + 1)
            toks.append(_Tok("NEAR", word, i + 1, j, (dist, op == "ONEAR")))
        else:
            toks.append(_Tok("WORD", word, i + 1, j))
        i = j
    toks.append(_Tok("EOF", "", n + 1, n))
    return toks


def _words(raw: str, col: int) -> list[Word]:
    """Fold one whitespace-free chunk (``Korea*``, ``anti-US``) into words."""
    star = raw.find("*")
    prefix = False
    if star != -1:
        if star != len(raw) - 1:
            raise QueryError("a wildcard '*' is only allowed at the end of a word", column=col + star)
        prefix = True
        raw = raw[:-1]
        if not raw or not _WORD_RE.fullmatch(raw[-1]):
            raise QueryError("a wildcard '*' must follow a letter or digit", column=col + star)
    q = raw.find("?")
    if q != -1:
        raise QueryError("'?' wildcards are not supported (use a trailing '*')", column=col + q)
    folded: list[str] = []
    for m in TOKEN_RE.finditer(raw):
        folded.extend(fold_token(m.group()))
    if not folded:
        raise QueryError(f"'{raw or '*'}' has no letters or digits", column=col)
    words = [Word(w) for w in folded]
    if prefix:
        if len(folded[-1]) < MIN_PREFIX:
            raise QueryError(
                f"a wildcard needs at least {MIN_PREFIX} letters before '*'", column=col + star
            )
        words[-1] = Word(folded[-1], prefix=True)
    return words


class _Parser:
    def __init__(
        self,
        text: str,
        lists: Mapping[str, Sequence[str]] | None,
        list_cache: dict[str, Node] | None,
        in_list: bool = False,
    ) -> None:
        self.text = text
        self.lists = lists
        self.list_cache = list_cache if list_cache is not None else {}
        self.in_list = in_list
        self.toks = _lex(text)
        self.pos = 0
        self.depth = 0
        self.field: str | None = None

    # -- helpers -------------------------------------------------------------
    @property
    def tok(self) -> _Tok:
        return self.toks[self.pos]

    def _next(self) -> _Tok:
        t = self.toks[self.pos]
        self.pos += 1
        return t

    def _slice(self, start_col: int) -> str:
        return self.text[start_col - 1 : self.toks[self.pos - 1].end]

    def _starts_clause(self, t: _Tok) -> bool:
        return t.kind in ("WORD", "PHRASE", "LIST", "FIELD", "LPAREN", "NOT", "MINUS", "PLUS")

    # -- grammar -------------------------------------------------------------
    def parse(self) -> Node:
        if self.tok.kind == "EOF":
            raise QueryError("empty query", column=1)
        node = self._or()
        t = self.tok
        if t.kind == "RPAREN":
            raise QueryError("unexpected ')' (no matching '(')", column=t.col)
        if t.kind != "EOF":  # pragma: no cover - every other token starts or joins a clause
            raise QueryError(f"unexpected '{t.text}'", column=t.col)
        return node

    def _or(self) -> Node:
        start = self.tok.col
        children = [self._and()]
        while self.tok.kind == "OR":
            self._next()
            self._expect_clause("OR")
            children.append(self._and())
        if len(children) == 1:
            return children[0]
        return Or(tuple(children), self._slice(start))

    def _and(self) -> Node:
        start = self.tok.col
        children = [self._near()]
        while True:
            t = self.tok
            if t.kind == "AND":
                self._next()
                self._expect_clause("AND")
            elif not self._starts_clause(t):
                break
            children.append(self._near())
        if len(children) == 1:
            return children[0]
        return And(tuple(children), self._slice(start))

    def _expect_clause(self, after: str) -> None:
        t = self.tok
        if not self._starts_clause(t):
            what = "end of query" if t.kind == "EOF" else f"'{t.text}'"
            raise QueryError(f"expected a clause after {after}, found {what}", column=t.col)

    def _near(self) -> Node:
        start = self.tok.col
        left = self._unary()
        chained = 0
        while self.tok.kind == "NEAR":
            op = self._next()
            chained += 1
            if chained > MAX_DEPTH // 4:
                raise QueryError(f"too many chained {op.text.split('/')[0]} operators "
                                 f"(at most {MAX_DEPTH // 4}); group them with parentheses",
                                 column=op.col)
            dist, ordered = op.value  # type: ignore[misc]
            self._expect_clause(op.text)
            right_col = self.tok.col
            right = self._unary()
            self._check_positional(left, start, op.text)
            self._check_positional(right, right_col, op.text)
            left = Near(left, right, dist, ordered, self._slice(start))
        return left

    def _check_positional(self, node: Node, col: int, op: str) -> None:
        if not is_positional(node):
            raise QueryError(
                f"{op} needs terms, phrases, wildcards, lists or OR-groups on both sides",
                column=col,
            )

    def _enter(self, t: _Tok) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise QueryError(f"the query is nested too deeply (more than {MAX_DEPTH} levels)",
                             column=t.col)

    def _unary(self) -> Node:
        t = self.tok
        self._enter(t)
        try:
            return self._unary_inner()
        finally:
            self.depth -= 1

    def _unary_inner(self) -> Node:
        t = self.tok
        if t.kind in ("NOT", "MINUS"):
            self._next()
            if t.kind == "NOT":
                self._expect_clause("NOT")
            child = self._unary()
            return Not(child, self._slice(t.col))
        if t.kind == "PLUS":
            self._next()
            return self._unary()
        return self._primary()

    def _primary(self) -> Node:
        t = self.tok
        if t.kind == "WORD":
            self._next()
            return Phrase(tuple(_words(t.text, t.col)), t.text)
        if t.kind == "PHRASE":
            self._next()
            return self._phrase(t)
        if t.kind == "LIST":
            self._next()
            return self._list(t)
        if t.kind == "LPAREN":
            self._next()
            if self.tok.kind == "RPAREN":
                raise QueryError("empty group '()'", column=t.col)
            node = self._or()
            if self.tok.kind != "RPAREN":
                raise QueryError("expected ')'", column=self.tok.col)
            self._next()
            return node
        if t.kind == "FIELD":
            self._next()
            return self._field(t)
        if t.kind == "EOF":
            raise QueryError("unexpected end of query", column=t.col)
        if t.kind == "RPAREN":
            raise QueryError("unexpected ')'", column=t.col)
        raise QueryError(f"unexpected '{t.text}'", column=t.col)

    def _phrase(self, t: _Tok) -> Node:
        content: str = t.value  # type: ignore[assignment]
        words: list[Word] = []
        for m in re.finditer(r"[^\s]+", content):
            chunk_words = _words(m.group(), t.col + 1 + m.start())
            if words and words[-1].prefix:
                raise QueryError("a wildcard is only allowed on the last word of a phrase",
                                 column=t.col + m.start())
            words.extend(chunk_words)
        if not words:
            raise QueryError("empty phrase", column=t.col)
        return Phrase(tuple(words), t.text)

    def _field(self, t: _Tok) -> Node:
        name, value = t.value  # type: ignore[misc]
        if self.field is not None:
            raise QueryError(f"'{name}:' cannot be used inside '{self.field}:'", column=t.col)
        if name == "site":
            return Site(_norm_domain(value, t.col), t.text)
        if name == "lang":
            code = value.strip().lower().replace("_", "-")
            if not re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]+)*", code):
                raise QueryError(f"'{value}' is not a language code like en or pt-BR", column=t.col)
            return Lang(code.split("-")[0], t.text)
        if not self._starts_clause(self.tok):
            found = "end of query" if self.tok.kind == "EOF" else f"'{self.tok.text}'"
            raise QueryError(f"expected a term, phrase or group after '{name}:', found {found}",
                             column=self.tok.col)
        self.field = name
        try:
            child = self._unary()
        finally:
            self.field = None
        return Field(name, child, self._slice(t.col))

    def _list(self, t: _Tok) -> Node:
        name: str = t.value  # type: ignore[assignment]
        if self.in_list:
            raise QueryError("a list cannot use another list", column=t.col)
        if not name or not _LIST_NAME_RE.match(name):
            raise QueryError(f"'{t.text}' is not a list name", column=t.col)
        cached = self.list_cache.get(name)
        if cached is not None:
            return cached
        if self.lists is None or name not in self.lists:
            raise QueryError(f"unknown list '@{name}'", column=t.col)
        entries = self.lists[name]
        if isinstance(entries, str) or not isinstance(entries, Sequence):
            raise QueryError(f"list @{name} must be a sequence of entries", column=t.col)
        if not entries:
            raise QueryError(f"list @{name} is empty", column=t.col)
        children: list[Node] = []
        for i, entry in enumerate(entries, 1):
            try:
                if not isinstance(entry, str):
                    raise QueryError(f"entry is a {type(entry).__name__}, expected text")
                children.append(_Parser(entry, None, None, in_list=True).parse())
            except QueryError as exc:
                where = f" (entry column {exc.column})" if exc.column is not None else ""
                raise QueryError(
                    f"list @{name} entry {i} {entry!r}: {exc.reason}{where}", column=t.col
                ) from None
        node = Or(tuple(children), f"@{name}", label=f"@{name}")
        self.list_cache[name] = node
        return node


def _norm_domain(value: str, col: int) -> str:
    v = value.strip().lower()
    v = re.sub(r"^[a-z][a-z0-9+.\-]*://", "", v)
    v = v.split("/", 1)[0].split(":", 1)[0].strip(".")
    v = v.removeprefix("*.")
    if not v or not re.fullmatch(r"[a-z0-9\-._~\u00a0-\uffff]+", v) or ".." in v:
        raise QueryError(f"'{value}' is not a domain like example.com", column=col)
    try:
        v = v.encode("idna").decode("ascii")
    except UnicodeError:
        pass
    return v


def parse_query(
    text: str,
    lists: Mapping[str, Sequence[str]] | None = None,
    *,
    _list_cache: dict[str, Node] | None = None,
) -> Query:
    """Parse ``text`` into a Query; ``lists`` resolves ``@name``. Raises QueryError."""
    if not isinstance(text, str):
        raise QueryError(f"query must be text, not {type(text).__name__}")
    return Query(text, _Parser(text, lists, _list_cache).parse())
