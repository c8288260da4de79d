"""The relevance stage imports no other stage, the store, the pipeline or Celery."""

from __future__ import annotations

import ast
from pathlib import Path

import worker.relevance

FORBIDDEN = ("worker.topics", "worker.clean", "worker.sources", "worker.alerts", "worker.store",
             "worker.pipeline", "worker.service", "worker.web", "worker.cli", "celery")


def _imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module)
    return out


def test_relevance_imports_no_other_stage():
    root = Path(worker.relevance.__file__).parent
    bad = {(p.name, m) for p in root.glob("*.py") for m in _imports(p)
           if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)}
    assert bad == set()


def test_public_surface():
    assert set(worker.relevance.__all__) >= {
        "Story", "TopicProfile", "Relevance", "Parts", "prepare_story", "prepare_topic",
        "relevance", "fit_topic_model", "tune", "DEFAULT_MIN_RELEVANCE"}
    for name in worker.relevance.__all__:
        assert hasattr(worker.relevance, name)
