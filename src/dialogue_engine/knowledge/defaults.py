"""The process-wide knowledge base from settings, and the default index built from ``knowledge/``.

The freshness check reads only file hashes and a small manifest, so ``dialogue-engine kb build`` is a
fast no-op (no Chroma, no model) when the embedded index is up to date.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from dialogue_engine.config import get_settings
from dialogue_engine.knowledge.chunking import CHUNKER_VERSION
from dialogue_engine.knowledge.loading import SUPPORTED_SUFFIXES
from dialogue_engine.knowledge.model_files import MODEL_SHA256
from dialogue_engine.knowledge.types import IngestReport, KnowledgeError

if TYPE_CHECKING:
    from dialogue_engine.knowledge.base import KnowledgeBase, Progress

log = logging.getLogger(__name__)

COLLECTION = "knowledge"
_instances: dict[tuple[str, str], "KnowledgeBase"] = {}
_lock = threading.Lock()


def default_knowledge_base() -> "KnowledgeBase":
    """The knowledge base the settings point at (one instance per store location per process)."""
    from dialogue_engine.knowledge.base import KnowledgeBase

    settings = get_settings()
    key = (str(settings.resolved_store_dir.resolve()), settings.chroma_url or "")
    with _lock:
        if key not in _instances:
            _instances[key] = KnowledgeBase(settings.resolved_store_dir, chroma_url=settings.chroma_url)
        return _instances[key]


def manifest_path(store_dir: Path, chroma_url: str | None, collection: str = COLLECTION) -> Path:
    """Where the default index records the file hashes it was built from."""
    if chroma_url:
        tag = hashlib.sha256(f"{chroma_url}#{collection}".encode()).hexdigest()[:12]
        return get_settings().data_dir / f"knowledge-manifest-{tag}.json"
    return store_dir / f"{collection}-manifest.json"


def _knowledge_files(folder: Path) -> dict[str, str]:
    if not folder.is_dir():
        return {}
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES and not p.name.startswith(".")
    }


def index_status(kb: "KnowledgeBase | None" = None) -> dict[str, object]:
    """Whether an index (default: the settings' store) matches the content folder's ``knowledge/``."""
    settings = get_settings()
    folder = settings.knowledge_dir
    files = _knowledge_files(folder)
    if kb is None:
        store_dir, chroma_url, collection = settings.resolved_store_dir, settings.chroma_url, COLLECTION
    else:
        store_dir, chroma_url, collection = kb.store_dir, kb.chroma_url, kb.collection
    wanted = {"chunker": CHUNKER_VERSION, "model": MODEL_SHA256, "collection": collection, "files": files}
    path = manifest_path(store_dir, chroma_url, collection)
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        recorded = None
    db_present = chroma_url is not None or (store_dir / "chroma.sqlite3").is_file()
    return {
        "knowledge_dir": str(folder),
        "store": chroma_url or str(store_dir),
        "files": len(files),
        "up_to_date": bool(files) and recorded == wanted and db_present,
        "manifest": wanted,
        "manifest_path": str(path),
        "remote": chroma_url is not None,
    }


def build_default_index(
    kb: "KnowledgeBase | None" = None, *, force: bool = False, progress: "Progress | None" = None
) -> IngestReport | None:
    """Ingest ``knowledge/`` (pruning removed notes) into ``kb`` (default: the settings' store) when stale.

    Returns:
        The ingest report, or ``None`` when the index was already up to date.

    Raises:
        KnowledgeError: the folder is missing or holds no notes, or a note cannot be ingested.
    """
    status = index_status(kb)
    folder = Path(str(status["knowledge_dir"]))
    if not status["files"]:
        raise KnowledgeError(f"{folder}: no knowledge notes to index")
    if status["up_to_date"] and not force:
        if not status["remote"] or (kb or default_knowledge_base()).count() > 0:
            log.info("knowledge index at %s is up to date", status["store"])
            return None
    kb = kb or default_knowledge_base()
    report = kb.ingest([folder], prune=True, progress=progress)
    path = Path(str(status["manifest_path"]))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(status["manifest"], indent=1, sort_keys=True), encoding="utf-8")
    return report
