"""The text path's tuned parameters, stored as a small versioned JSON file in the package.

``newsradar clean tune`` writes the file; ``load_params`` reads it once. The file records
where it came from (which page sets, how many pages, the fitted scores) so that figures
measured on those pages can be labelled in-sample.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ._features import CONTEXT_NAMES, FEATURE_NAMES

PARAMS_PATH = Path(__file__).with_name("params.json")
FORMAT_VERSION = 2  # 2: stage-2 (page context) weights


@dataclass
class Params:
    weights: dict[str, float]
    # stage 2 (``_features.CONTEXT_NAMES``): the line's stage-1 logit with the page around
    # it; empty (a version-1 file) means stage 1 alone decides
    weights2: dict[str, float] = field(default_factory=dict)
    # stage 3: the same context features over stage 2's logits (a second look at the
    # page once the neighbours' scores have themselves been weighed in context)
    weights3: dict[str, float] = field(default_factory=dict)
    threshold: float = 0.5  # a line with p(story) at or above this is prose
    # inside the story span a line is kept at or above this (the span itself is drawn
    # with ``threshold``): a lower threshold finds the story, a higher one keeps its prose
    keep_threshold: float = 0.0
    neg_scale: float = 0.6  # how much a non-story line costs the story span, relative
    drop_pen: float = 0.3  # cost of an in-story noise line (caption, ad, ALSO READ)
    end_pen: float = 2.0  # cost of a section-ending line (related list label, share, footer)
    len_cap: int = 400  # characters beyond this add no more weight to a line
    heading_max_words: int = 15
    version: int = FORMAT_VERSION
    provenance: dict[str, Any] = field(default_factory=dict)

    def vector(self) -> list[float]:
        return [float(self.weights.get(n, 0.0)) for n in FEATURE_NAMES]

    def context_vectors(self) -> list[list[float]]:
        """The weights of stages 2 and 3 that are set, in order."""
        return [[float(w.get(n, 0.0)) for n in CONTEXT_NAMES]
                for w in (self.weights2, self.weights3) if w]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Params:
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        return cls(**known)


DEFAULT_WEIGHTS = {
    "bias": -3.0, "log_len": 3.0, "words": 1.0, "ends_sentence": 2.0, "stop_ratio": 3.0,
    "title_ratio": -2.0, "punct_density": 1.0, "digit_ratio": -1.0, "bullet": -0.5,
    "short": -1.5, "repeated": -1.5, "upper_ratio": -1.0, "multi_sentence": 1.0,
    "prev_sentence": 0.7, "next_sentence": 0.7, "ctx_len": 1.0, "position": 0.0,
    "separators": -1.5, "ctx_headline": -2.0, "truncated": -2.0, "ctx_bullet": -0.5,
}


ENV_VAR = "NEWSRADAR_CLEAN_PARAMS"  # a params file of your own, made by `clean tune --out`


def load_params(path: str | None = None) -> Params:
    """The parameters at ``path``, else at $NEWSRADAR_CLEAN_PARAMS, else the packaged
    ones; built-in defaults if the file is missing or unreadable."""
    return _load(path or os.environ.get(ENV_VAR) or None)


@lru_cache(maxsize=4)
def _load(path: str | None) -> Params:
    p = Path(path) if path else PARAMS_PATH
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Params(weights=dict(DEFAULT_WEIGHTS), provenance={"source": "built-in defaults"})
    return Params.from_dict(data)
