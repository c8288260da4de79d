from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from worker.topics import Document, Topic

REPO = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
EXAMPLES = REPO / "config" / "newsradar.yaml"  # the example topics users start from


def read_story(path: Path) -> Document:
    """A gold-format story: headline on the first line, then the body."""
    title, _, body = path.read_text(encoding="utf-8").partition("\n")
    return Document(title.strip(), body.strip())


@pytest.fixture(scope="session")
def example_config() -> dict:
    return yaml.safe_load(EXAMPLES.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def example_topics(example_config: dict) -> list[Topic]:
    return [Topic(t["id"], t["name"], t["query"], float(t.get("min_score", 0)))
            for t in example_config["topics"]]
