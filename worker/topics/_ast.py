"""The query tree. Every node keeps ``text``, its slice of the query, for explanations."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Word:
    """One folded word of a term or phrase; ``prefix`` when written ``word*``."""

    text: str
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class Phrase:
    """Adjacent words; a plain term is a one-word phrase."""

    words: tuple[Word, ...]
    text: str


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]
    text: str


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]
    text: str
    label: str | None = None  # "@name" when the group is an expanded list


@dataclass(frozen=True, slots=True)
class Not:
    child: Node
    text: str


@dataclass(frozen=True, slots=True)
class Near:
    """``left NEAR/n right``: spans within ``n`` words (start of the later minus end of
    the earlier); ``ordered`` for ONEAR (left before right)."""

    left: Node
    right: Node
    distance: int
    ordered: bool
    text: str


@dataclass(frozen=True, slots=True)
class Field:
    """``title:`` or ``body:`` restriction of the positions of the child."""

    name: str
    child: Node
    text: str


@dataclass(frozen=True, slots=True)
class Site:
    """``site:example.com``: the article's host is the domain or a subdomain of it."""

    domain: str
    text: str


@dataclass(frozen=True, slots=True)
class Lang:
    """``lang:en``: the story's language tag, primary subtag compared."""

    code: str
    text: str


Node = Phrase | And | Or | Not | Near | Field | Site | Lang


def is_positional(node: Node) -> bool:
    """True when the node yields word spans (usable inside NEAR)."""
    if isinstance(node, Phrase):
        return True
    if isinstance(node, Or):
        return all(is_positional(c) for c in node.children)
    if isinstance(node, Near):
        return True
    if isinstance(node, Field):
        return is_positional(node.child)
    return False
