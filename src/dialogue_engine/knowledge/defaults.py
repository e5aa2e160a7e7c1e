"""The process-wide knowledge base from settings, and the default index built from ``knowledge/``.

The freshness check compares the manifest ``kb build`` wrote with the notes on disk and with the store itself
(sources, passage counts, file hashes); it opens Chroma but never the embedding model.
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


def _recorded(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def library_sources(kb: "KnowledgeBase") -> dict[str, str]:
    """The notes ``kb build`` indexed into ``kb``'s store (file name -> sha256), from its manifest; these it owns."""
    recorded = _recorded(manifest_path(kb.store_dir, kb.chroma_url, kb.collection)) or {}
    files = recorded.get("files")
    return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}


def _store_problems(kb: "KnowledgeBase", files: dict[str, str], chunks: dict[str, int]) -> list[str]:
    """How the stored library differs from the shipped notes: missing, short or foreign chunks per note."""
    summary = kb.store.source_summary()
    problems = []
    for name, sha in files.items():
        count, hashes = summary.get(name, (0, set()))
        if count == 0:
            problems.append(f"{name}: not in the store")
        elif hashes != {sha}:
            problems.append(f"{name}: the stored text is not the shipped file")
        elif name in chunks and count != chunks[name]:
            problems.append(f"{name}: {count} of {chunks[name]} passages stored")
    return problems


def index_status(kb: "KnowledgeBase | None" = None) -> dict[str, object]:
    """Whether an index (default: the settings' store) holds the content folder's ``knowledge/`` as shipped.

    Compares the manifest ``kb build`` wrote (file hashes, chunker, model, passages per note) with the notes
    on disk, then the store itself: every note must be there with all its passages and only its own text.
    ``problems`` lists what differs, one line each.
    """
    settings = get_settings()
    folder = settings.knowledge_dir
    files = _knowledge_files(folder)
    kb = kb or default_knowledge_base()
    wanted = {"chunker": CHUNKER_VERSION, "model": MODEL_SHA256, "collection": kb.collection, "files": files}
    path = manifest_path(kb.store_dir, kb.chroma_url, kb.collection)
    recorded = _recorded(path) or {}
    problems: list[str] = []
    if not files:
        problems.append(f"{folder}: no knowledge notes")
    if {k: recorded.get(k) for k in wanted} != wanted:
        problems.append("the index was not built from these notes with this chunker and model (run kb build)")
    chunks = recorded.get("chunks") if isinstance(recorded.get("chunks"), dict) else {}
    damaged = False
    try:
        problems += _store_problems(kb, files, chunks)
    except KnowledgeError as err:
        problems.append(str(err))
        damaged = True
    except Exception as err:  # noqa: BLE001 - a damaged store raises whatever chromadb raises
        problems.append(f"{kb.location}: the store cannot be read ({type(err).__name__})")
        damaged = True
    return {
        "knowledge_dir": str(folder),
        "store": kb.location,
        "files": len(files),
        "up_to_date": not problems,
        "problems": problems,
        "damaged": damaged,
        "manifest": wanted,
        "manifest_path": str(path),
        "remote": kb.chroma_url is not None,
    }


def _set_aside(kb: "KnowledgeBase") -> Path:
    """Move a damaged embedded store out of the way (kept for inspection) so it can be rebuilt."""
    import time

    from chromadb.api.shared_system_client import SharedSystemClient

    aside = kb.store_dir.with_name(f"{kb.store_dir.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
    kb.store_dir.rename(aside)
    SharedSystemClient.clear_system_cache()
    kb.reset()
    log.warning("the knowledge store at %s was damaged; moved to %s and rebuilt", kb.store_dir, aside)
    return aside


def build_default_index(
    kb: "KnowledgeBase | None" = None, *, force: bool = False, progress: "Progress | None" = None
) -> IngestReport | None:
    """Bring ``kb`` (default: the settings' store) in step with ``knowledge/``: add missing or changed notes,
    put back pruned or damaged ones, drop notes no longer shipped. Other sources (uploads) are left alone.

    A store that cannot be read at all is moved aside (``<store>.damaged-<time>``) and rebuilt.

    Returns:
        The ingest report, or ``None`` when the index was already up to date.

    Raises:
        KnowledgeError: the folder is missing or holds no notes, or a note cannot be ingested.
    """
    kb = kb or default_knowledge_base()
    status = index_status(kb)
    folder = Path(str(status["knowledge_dir"]))
    if not status["files"]:
        raise KnowledgeError(f"{folder}: no knowledge notes to index")
    if status["up_to_date"] and not force:
        log.info("knowledge index at %s is up to date", status["store"])
        return None
    if status["damaged"] and not status["remote"] and kb.store_dir.is_dir():
        _set_aside(kb)
    report = kb.ingest([folder], prune=True, progress=progress, library=True)
    manifest = dict(status["manifest"])  # type: ignore[call-overload]
    summary = kb.store.source_summary()
    manifest["chunks"] = {name: summary.get(name, (0, set()))[0] for name in manifest["files"]}
    path = Path(str(status["manifest_path"]))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    return report
