"""The process-wide knowledge base from settings, and the default index built from ``knowledge/``."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from pathlib import Path

from dialogue_engine.config import get_settings
from dialogue_engine.knowledge.base import KnowledgeBase, Progress
from dialogue_engine.knowledge.chunking import CHUNKER_VERSION
from dialogue_engine.knowledge.embedding import MODEL_SHA256
from dialogue_engine.knowledge.loading import SUPPORTED_SUFFIXES
from dialogue_engine.knowledge.types import IngestReport, KnowledgeError

log = logging.getLogger(__name__)

_instances: dict[tuple[str, str], KnowledgeBase] = {}
_lock = threading.Lock()


def default_knowledge_base() -> KnowledgeBase:
    """The knowledge base the settings point at (one instance per store location per process)."""
    settings = get_settings()
    key = (str(settings.resolved_store_dir.resolve()), settings.chroma_url or "")
    with _lock:
        if key not in _instances:
            _instances[key] = KnowledgeBase(settings.resolved_store_dir, chroma_url=settings.chroma_url)
        return _instances[key]


def manifest_path(kb: KnowledgeBase) -> Path:
    """Where the default index records the file hashes it was built from."""
    if kb.chroma_url:
        tag = hashlib.sha256(f"{kb.chroma_url}#{kb.collection}".encode()).hexdigest()[:12]
        return get_settings().data_dir / f"knowledge-manifest-{tag}.json"
    return kb.store_dir / f"{kb.collection}-manifest.json"


def _knowledge_files(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES and not p.name.startswith(".")
    }


def index_status(kb: KnowledgeBase | None = None) -> dict[str, object]:
    """Whether the default index is up to date with the content folder's ``knowledge/``."""
    kb = kb or default_knowledge_base()
    folder = get_settings().knowledge_dir
    files = _knowledge_files(folder) if folder.is_dir() else {}
    wanted = {"chunker": CHUNKER_VERSION, "model": MODEL_SHA256, "collection": kb.collection, "files": files}
    path = manifest_path(kb)
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        recorded = None
    return {
        "knowledge_dir": str(folder),
        "store": kb.location,
        "files": len(files),
        "up_to_date": bool(files) and recorded == wanted,
        "manifest": wanted,
    }


def build_default_index(kb: KnowledgeBase | None = None, *, force: bool = False,
                        progress: Progress | None = None) -> IngestReport | None:
    """Ingest ``knowledge/`` (pruning removed notes) when the store is missing or stale.

    Returns:
        The ingest report, or ``None`` when the index was already up to date.

    Raises:
        KnowledgeError: the folder is missing or holds no notes, or a note cannot be ingested.
    """
    kb = kb or default_knowledge_base()
    status = index_status(kb)
    folder = Path(str(status["knowledge_dir"]))
    if not folder.is_dir() or not status["files"]:
        raise KnowledgeError(f"{folder}: no knowledge notes to index")
    if status["up_to_date"] and not force and kb.count() > 0:
        log.info("knowledge index at %s is up to date", kb.location)
        return None
    report = kb.ingest([folder], prune=True, progress=progress)
    path = manifest_path(kb)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(status["manifest"], indent=1, sort_keys=True), encoding="utf-8")
    return report
