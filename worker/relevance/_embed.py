"""Sentence vectors from static token embeddings, loaded offline from an installed package.

The model is WordLlama's ``l2_supercat_256`` (256 dimensions, 32,000 tokens), shipped
inside the ``wordllama`` wheel as ``weights/l2_supercat_256.safetensors`` with its
tokenizer as ``tokenizers/l2_supercat_tokenizer_config.json``. We read those two files
directly (the ``tokenizers`` and ``safetensors`` libraries, numpy) instead of calling
``WordLlama.load()``, which looks in another folder and tries a hub download when
offline. Nothing is fetched, ever: a missing file raises ``ModelUnavailable``.

A text's vector is the mean of its tokens' vectors, normalised to unit length (as
WordLlama embeds). Licence: see docs/relevance.md (code MIT; the vectors are derived
from Llama 2 token embeddings, so the Llama 2 Community License applies to them).
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

import numpy as np

MODEL_PACKAGE = "wordllama"
MODEL_NAME = "l2_supercat_256"
_WEIGHTS = "weights/l2_supercat_256.safetensors"
_TOKENIZER = "tokenizers/l2_supercat_tokenizer_config.json"
MAX_TOKENS = 2048  # a long page is judged by its first ~1,500 words


class ModelUnavailable(RuntimeError):
    """The embedding model's files are not installed (relevance falls back to salience)."""


class Embedder:
    """Text → unit vector (float32). Load once per process (``load_embedder``)."""

    def __init__(self, root: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        weights, tok = root / _WEIGHTS, root / _TOKENIZER
        if not weights.is_file() or not tok.is_file():
            raise ModelUnavailable(f"{MODEL_PACKAGE} is installed but {weights} or {tok} is missing")
        table = next(iter(load_file(str(weights)).values()))
        self.table = np.ascontiguousarray(table, dtype=np.float32)
        self.tokenizer = Tokenizer.from_file(str(tok))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        self.dim = int(self.table.shape[1])
        self.name = MODEL_NAME

    def token_sum(self, text: str) -> tuple[np.ndarray, int]:
        """Sum of the text's token vectors and the token count (for pooling passages)."""
        ids = self.tokenizer.encode(text, add_special_tokens=False).ids[:MAX_TOKENS]
        if not ids:
            return np.zeros(self.dim, dtype=np.float32), 0
        return self.table[ids].sum(axis=0), len(ids)

    def embed(self, text: str) -> np.ndarray:
        ids = self.tokenizer.encode(text, add_special_tokens=False).ids[:MAX_TOKENS]
        if not ids:
            return np.zeros(self.dim, dtype=np.float32)
        v = self.table[ids].mean(axis=0)
        n = float(np.linalg.norm(v))
        return v / n if n > 0 else v


def model_root() -> Path:
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or spec.origin is None:
        raise ModelUnavailable(f"the {MODEL_PACKAGE} package is not installed")
    return Path(spec.origin).parent


@lru_cache(maxsize=1)
def load_embedder() -> Embedder:
    """The process's one embedder (loaded on first use, from local files only)."""
    return Embedder(model_root())
