"""Knowledge page helpers: store uploads safely, read ingest progress, lay out hits."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dialogue_engine.config import get_settings
from dialogue_engine.knowledge.types import UPLOAD_NAMESPACE
from dialogue_engine.ui.uploads import KNOWLEDGE_MAX_BYTES, KNOWLEDGE_TYPES, check_upload


def uploads_dir() -> Path:
    """Where uploaded documents are kept before and after ingestion."""
    folder = get_settings().data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


UPLOAD_PREFIX = "upload-"
"""Uploaded documents are stored as ``upload-<name>``, so an upload never replaces a shipped note of the same name."""


def save_upload(name: str, data: bytes, folder: Path | None = None) -> Path:
    """Check and store one uploaded document under a safe name of its own; return its path.

    The file is written to a temporary name and moved into place, so a link planted at the target is replaced,
    never written through.

    Raises:
        UploadError: too large, empty or not .md/.txt/.html/.pdf.
    """
    clean = check_upload(name, len(data), KNOWLEDGE_TYPES, KNOWLEDGE_MAX_BYTES)
    folder = folder or uploads_dir()
    path = folder / (clean if clean.startswith(UPLOAD_PREFIX) else UPLOAD_PREFIX + clean)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def ingest_uploads(kb: Any, paths: list[Path], tags: tuple[str, ...] = (), progress: Any = None) -> Any:
    """Ingest saved uploads under their own source ids (``uploads/<name>``): an upload never replaces or prunes
    a note of the shipped library, which stays read-only from the app. Returns the ingest report."""
    return kb.ingest(paths, tags=tags, progress=progress, namespace=UPLOAD_NAMESPACE)


@dataclass(frozen=True)
class ProgressStep:
    """One progress report as a fraction in [0, 1] and a caption."""

    fraction: float
    text: str


def progress_step(*args: Any, **kwargs: Any) -> ProgressStep:
    """Read a knowledge-base progress callback's arguments, whatever their shape.

    Accepts ``(done, total[, name])``, ``(name, done, total)``, a single object with ``done``/``total``
    (and optionally ``source``/``path``) attributes, or keyword arguments of those names.
    """
    done = kwargs.get("done")
    total = kwargs.get("total")
    name = kwargs.get("source") or kwargs.get("path") or kwargs.get("name") or ""
    numbers = [a for a in args if isinstance(a, (int, float)) and not isinstance(a, bool)]
    words = [a for a in args if isinstance(a, (str, Path))]
    if len(numbers) >= 2:
        done, total = numbers[0], numbers[1]
    elif len(args) == 1 and not numbers and not words:
        obj = args[0]
        done = getattr(obj, "done", done)
        total = getattr(obj, "total", total)
        name = getattr(obj, "source", None) or getattr(obj, "path", None) or name
    if words:
        name = words[0]
    try:
        fraction = max(0.0, min(1.0, float(done) / float(total))) if total else 0.0
    except (TypeError, ValueError):
        fraction = 0.0
    label = Path(str(name)).name if name else ""
    text = f"{done}/{total} {label}".strip() if total else (label or "working…")
    return ProgressStep(fraction, text)


def hit_rows(hits: list[Any]) -> list[dict[str, Any]]:
    """Search hits as table rows."""
    return [
        {"Score": round(float(h.score), 3), "Source": h.source, "Section": h.section,
         "Text": h.text[:160] + ("…" if len(h.text) > 160 else "")}
        for h in hits
    ]


def search_filter(sources: list[str], tags: list[str]) -> dict[str, Any] | None:
    """The ``where`` filter for ``KnowledgeBase.search`` from the chosen sources and tags."""
    where: dict[str, Any] = {}
    if sources:
        where["source"] = sources if len(sources) > 1 else sources[0]
    if tags:
        where["tags"] = tags
    return where or None


def source_names(items: Any) -> list[str]:
    """Names from ``KnowledgeBase.sources()`` (strings, or objects/dicts with a ``source`` or ``name``)."""
    out = []
    for item in items or []:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict):
            out.append(str(item.get("source") or item.get("name")))
        else:
            out.append(str(getattr(item, "source", None) or getattr(item, "name", item)))
    return sorted(set(out))
