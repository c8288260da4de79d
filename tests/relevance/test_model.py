"""The embedding model: loads offline from installed files; similarity makes sense."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

from worker.relevance import Story, TopicProfile, prepare_story, prepare_topic, split_description

REPO = Path(__file__).resolve().parents[2]


def test_model_loads_with_no_network_and_an_empty_cache(tmp_path):
    # A fresh process: hub access off, every cache dir an empty folder, and any socket
    # connection refused, so a download attempt would fail loudly.
    code = textwrap.dedent("""
        import socket
        def refuse(*a, **k):
            raise OSError("network use attempted")
        socket.socket.connect = refuse
        socket.create_connection = refuse
        from worker.relevance import load_embedder
        e = load_embedder()
        v = e.embed("North Korea fired a missile")
        print(e.name, e.dim, round(float(v @ v), 3))
    """)
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HF_", "XDG_", "TRANSFORMERS_", "SENTENCE_"))}
    env.update(HOME=str(home), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               HF_HOME=str(home / "hf"), XDG_CACHE_HOME=str(home / "cache"),
               XDG_DATA_HOME=str(home / "data"), NO_PROXY="*")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=120, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["l2_supercat_256", "256", "1.0"]
    assert list(home.rglob("*")) == []  # nothing written to the caches either


def test_similar_texts_are_closer(embedder):
    a = embedder.embed("North Korea test-fired a ballistic missile into the sea")
    b = embedder.embed("Pyongyang launched an intercontinental missile, Seoul's military said")
    c = embedder.embed("Scallop exporters in Hokkaido struggle after China's seafood ban")
    assert float(a @ b) > float(a @ c) + 0.1
    assert np.isclose(float(a @ a), 1.0, atol=1e-5)


def test_description_similarity_ranks_the_subject_above_a_passing_mention(embedder):
    profile = TopicProfile(description=(
        "I track North Korea's missile launches and weapons tests. "
        "I don't want stories that mention a launch only in passing."))
    topic = prepare_topic(profile, embedder)
    about = prepare_story(Story.from_text(
        "North Korea fires ICBM", "North Korea launched an ICBM on Friday.\n"
        "The missile flew for 70 minutes, Japan's defence ministry said."), embedder)
    passing = prepare_story(Story.from_text(
        "Won firms as exports grow", "South Korea's exports rose 8 percent in May.\n"
        "Chip shipments led the gains; a missile launch briefly unsettled markets."), embedder)
    assert float(about.vector @ topic.want) > float(passing.vector @ topic.want)


def test_split_description():
    want, avoid = split_description(
        "I follow sanctions on North Korea. I want enforcement cases. "
        "I don't want sanctions on Iran. Do not send tariff news.")
    assert want == "I follow sanctions on North Korea. I want enforcement cases."
    assert avoid == "I don't want sanctions on Iran. Do not send tariff news."
