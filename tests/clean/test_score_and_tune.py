"""The benchmark metric, and `clean tune` deriving parameters from pages with gold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from worker.clean import clean_text
from worker.clean._params import FORMAT_VERSION, Params, load_params
from worker.clean._score import aggregate, score_page, shingles
from worker.clean._tune import TuneError, in_tune_half, load_pages, tune

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def test_shingles_and_scores() -> None:
    assert sum(shingles("one two three").values()) == 1  # a short text is one shingle
    assert sum(shingles("a b c d e").values()) == 2
    s = score_page("a b c d e", "a b c d e f")
    assert (s.tp, s.fp, s.fn) == (2, 0, 1)
    assert s.precision == 1.0 and s.recall == pytest.approx(2 / 3)
    both_empty = score_page("", "")
    assert both_empty.precision == both_empty.recall == 1.0
    # precision averages over pages with a prediction, recall over pages with gold
    p, r, f = aggregate([score_page("", "x y z w"), score_page("a b c d", "a b c d")])
    assert p == 1.0 and r == 0.5 and f == pytest.approx(2 / 3)


def test_split_is_stable_and_balanced() -> None:
    ids = [f"page{i}" for i in range(400)]
    first = [in_tune_half(i) for i in ids]
    assert first == [in_tune_half(i) for i in ids]
    assert 150 < sum(first) < 250


def _write_pages(root: Path) -> None:
    (root / "gold").mkdir(parents=True)
    para = ("The harbour authority said on Monday that the new ferry line would start in May, "
            "linking the two islands with six crossings a day in summer.")
    for k in range(3):
        dump = "\n".join(["Home > Travel", f"Ferry Line Number {k} Opens in May", "By Ann Lee",
                          para, para.replace("Monday", "Tuesday"), "Most Read",
                          "Storm Closes Schools", "© 2024 Island Post"])
        (root / f"p{k}.txt").write_text(dump, encoding="utf-8")
        second = para.replace("Monday", "Tuesday")
        gold = f"Ferry Line Number {k} Opens in May\n\n{para}\n\n{second}"
        (root / "gold" / f"p{k}.txt").write_text(gold, encoding="utf-8")


def test_tune_writes_versioned_params_with_provenance(tmp_path: Path) -> None:
    pages = tmp_path / "mine"
    _write_pages(pages)
    loaded = load_pages(pages)
    assert [p.title for p in loaded][0] == "Ferry Line Number 0 Opens in May"
    params, report = tune([SEEDS, pages], [])
    assert "tuned on 8 pages" in report
    assert params.version == FORMAT_VERSION
    assert params.provenance["pages"] == 8
    assert {s["dir"] for s in params.provenance["tuned_on"]} == {str(SEEDS), str(pages)}
    out = tmp_path / "params.json"
    out.write_text(params.to_json(), encoding="utf-8")
    again = load_params(str(out))
    assert again.weights == params.weights
    story = clean_text(loaded[0].text, params=again)
    assert "harbour authority" in story.text and "Storm" not in story.text
    # the seeds still come out right with parameters tuned on them plus other pages
    for seed in sorted(json.loads((SEEDS / "gold" / "meta.json").read_text())):
        gold = (SEEDS / "gold" / f"{seed}.txt").read_text(encoding="utf-8").partition("\n")[2]
        cleaned = clean_text((SEEDS / f"{seed}.txt").read_text(encoding="utf-8"), params=again)
        assert score_page(cleaned.text, gold).f1 >= 0.98


def test_tune_errors_name_the_directory(tmp_path: Path) -> None:
    with pytest.raises(TuneError, match=str(tmp_path)):
        tune([tmp_path], [])


def test_packaged_params_are_versioned_and_say_where_they_came_from() -> None:
    params = load_params()
    assert isinstance(params, Params)
    assert params.version == FORMAT_VERSION
    assert params.provenance.get("tuned_on")
    assert set(params.weights) >= {"bias", "ends_sentence", "stop_ratio"}


def test_fast_logits_match_the_feature_rows_the_tuner_fits() -> None:
    from operator import mul

    from worker.clean._features import LineInfo, feature_rows, line_logits

    text = (SEEDS / "004_b5c213eedd789ad2.txt").read_text(encoding="utf-8")
    infos = [LineInfo(s.strip()) for s in text.splitlines() if s.strip()]
    w = load_params().vector()
    slow = [sum(map(mul, w, row)) for row in feature_rows(infos)]
    assert line_logits(infos, w) == pytest.approx(slow, abs=1e-9)


def test_params_file_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from worker.clean._params import ENV_VAR

    own = Params(weights={"bias": -1.0}, threshold=0.42, provenance={"source": "mine"})
    target = tmp_path / "mine.json"
    target.write_text(own.to_json(), encoding="utf-8")
    monkeypatch.setenv(ENV_VAR, str(target))
    assert load_params().threshold == 0.42
    monkeypatch.delenv(ENV_VAR)
    assert load_params().provenance.get("tuned_on")
