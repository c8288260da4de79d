"""A compact s-expression view of query trees, for readable parser tests."""

from __future__ import annotations

from worker.topics._ast import And, Field, Lang, Near, Node, Not, Or, Phrase, Site


def sexpr(node: Node) -> str:
    if isinstance(node, Phrase):
        words = " ".join(w.text + ("*" if w.prefix else "") for w in node.words)
        return words if len(node.words) == 1 else f'"{words}"'
    if isinstance(node, And):
        return "(AND " + " ".join(sexpr(c) for c in node.children) + ")"
    if isinstance(node, Or):
        head = f"(OR{node.label} " if node.label else "(OR "
        return head + " ".join(sexpr(c) for c in node.children) + ")"
    if isinstance(node, Not):
        return f"(NOT {sexpr(node.child)})"
    if isinstance(node, Near):
        op = "ONEAR" if node.ordered else "NEAR"
        return f"({op}/{node.distance} {sexpr(node.left)} {sexpr(node.right)})"
    if isinstance(node, Field):
        return f"({node.name}: {sexpr(node.child)})"
    if isinstance(node, Site):
        return f"(site: {node.domain})"
    if isinstance(node, Lang):
        return f"(lang: {node.code})"
    raise TypeError(node)
