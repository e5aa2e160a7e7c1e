"""Load Markdown, plain text, HTML and PDF files into :class:`Document` values (paragraphs under headings)."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from pathlib import Path
from typing import Any, Iterable

import yaml

from dialogue_engine.knowledge.types import AUDIENCE_FACILITATOR, Block, Document, KnowledgeError

log = logging.getLogger(__name__)

TEXT_SUFFIXES = frozenset({".md", ".markdown", ".txt", ".text"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
PDF_SUFFIXES = frozenset({".pdf"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^(=+|-+)\s*$")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*\r?\n", re.DOTALL)
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_TAG = re.compile(r"</?[A-Za-z][^>]*?/?>")
_EMPHASIS = re.compile(r"(\*\*|__|(?<![\w*])[*_](?=\S)|(?<=\S)[*_](?![\w*]))")
_SPACES = re.compile(r"\s+")


def collect_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand files and folders into the supported files they hold (sorted; hidden files skipped).

    Raises:
        KnowledgeError: a path does not exist, a named file has an unsupported type, or a folder holds
            no supported file.
    """
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise KnowledgeError(f"{path}: no such file or directory")
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if _regular(p)
                and p.suffix.lower() in SUPPORTED_SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
                and not any(q.is_symlink() for q in p.relative_to(path).parents if str(q) != ".")
            )
            if not found:
                raise KnowledgeError(f"{path}: no supported documents (.md, .txt, .html, .pdf) in this folder")
            files.extend(found)
        else:
            if not _regular(path):
                raise KnowledgeError(f"{path}: not a regular file (links, pipes and devices are not read)")
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                raise KnowledgeError(
                    f"{path}: unsupported file type {path.suffix or '(none)'!r} (use .md, .txt, .html or .pdf)"
                )
            files.append(path)
    return files


def _regular(path: Path) -> bool:
    """A plain file: not a symbolic link (which could point anywhere), a pipe or a device."""
    return not path.is_symlink() and path.is_file()


def load_document(path: str | Path) -> Document:
    """Read one supported file.

    Raises:
        KnowledgeError: the file is unreadable, empty, binary, of an unsupported type or has no text.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise KnowledgeError(f"{path}: unsupported file type {suffix or '(none)'!r} (use .md, .txt, .html or .pdf)")
    try:
        data = path.read_bytes()
    except OSError as err:
        raise KnowledgeError(f"{path}: cannot read ({err.strerror or err})") from None
    if not data.strip():
        raise KnowledgeError(f"{path}: the file is empty")
    sha = hashlib.sha256(data).hexdigest()
    if suffix in PDF_SUFFIXES:
        doc = _load_pdf(path, data, sha)
    else:
        text = _decode(path, data)
        doc = _load_html(path, text, sha) if suffix in HTML_SUFFIXES else _load_markdown(path, text, sha)
    if not doc.blocks:
        raise KnowledgeError(f"{path}: no text found")
    return doc


def _decode(path: Path, data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise KnowledgeError(f"{path}: looks like a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise KnowledgeError(f"{path}: not UTF-8 text (binary or another encoding)") from None


def clean_inline(text: str) -> str:
    """Strip inline Markdown/HTML markup and collapse whitespace."""
    text = _IMAGE.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _TAG.sub(" ", text)
    text = _EMPHASIS.sub("", text)
    return _SPACES.sub(" ", text).strip()


def _front_matter(path: Path, text: str) -> tuple[dict[str, Any], str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark else ""
        raise KnowledgeError(f"{path}: invalid YAML front matter{where}") from None
    if not isinstance(meta, dict):
        raise KnowledgeError(f"{path}: front matter must be a mapping of fields")
    return meta, text[match.end():]


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value).strip() or None


STANCE_FIELDS = ("criticises", "supports")


def stance_tags(path: Path, meta: Any, where: str = "front matter") -> tuple[str, ...]:
    """Tags from ``audience`` and ``criticises`` / ``supports`` fields (note-level or one section's).

    Raises:
        KnowledgeError: an unknown audience or a malformed field (one line naming the file).
    """
    if meta is None:
        return ()
    if not isinstance(meta, dict):
        raise KnowledgeError(f"{path}: {where} must be a mapping (audience, criticises, supports)")
    tags: set[str] = set()
    audience = str(meta.get("audience") or "all").strip().lower()
    if audience not in ("all", "persona", "facilitator"):
        raise KnowledgeError(f"{path}: {where}: audience must be all or facilitator, not {audience!r}")
    if audience == "facilitator":
        tags.add(AUDIENCE_FACILITATOR)
    for name in STANCE_FIELDS:
        for actor in normalize_tags(meta.get(name)):
            tags.add(f"{name}:{actor}")
    return tuple(sorted(tags))


def section_stances(path: Path, meta: dict[str, Any]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Per-section tags from the front matter's ``sections:`` mapping (heading -> audience/stance)."""
    sections = meta.get("sections") or {}
    if not isinstance(sections, dict):
        raise KnowledgeError(f"{path}: front matter 'sections' must map headings to audience/criticises/supports")
    return tuple((str(heading), stance_tags(path, fields, f"sections.{heading}"))
                 for heading, fields in sections.items())


def normalize_tags(value: Any) -> tuple[str, ...]:
    """Tags from a list or a comma-separated string: lower-case, stripped, unique, sorted."""
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(sorted({str(t).strip().lower() for t in items if str(t).strip()}))


def _heading_like(text: str) -> bool:
    """A plain-text line that reads as a heading: short, capitalised, no closing punctuation."""
    words = text.split()
    return (
        0 < len(words) <= 10
        and text[:1].isupper()
        and text[-1] not in ".!?,;:"
        and "/" not in text
    )


def _load_markdown(path: Path, text: str, sha: str) -> Document:
    plain = path.suffix.lower() in {".txt", ".text"}
    meta, body = _front_matter(path, text)
    raw: list[tuple[str, str, bool]] = []  # (section, text, was a single short line)
    section = ""
    first_heading: str | None = None
    para: list[str] = []
    in_fence = False
    saw_heading = False
    lines = body.splitlines()
    # Plain text with one paragraph per line (no blank lines between them).
    line_mode = plain and sum(1 for ln in lines if not ln.strip()) * 10 < sum(1 for ln in lines if ln.strip())

    def flush() -> None:
        joined = clean_inline(" ".join(para))
        single = len(para) == 1
        para.clear()
        if joined:
            raw.append((section, joined, single))

    for line in lines:
        stripped = line.strip()
        if stripped.startswith("```") or stripped.startswith("~~~"):
            in_fence = not in_fence
            continue
        heading = None if in_fence else _HEADING.match(stripped)
        setext = (
            not in_fence
            and len(para) == 1
            and _SETEXT.match(stripped)
            and (stripped.startswith("=") or len(stripped) >= 3)
        )
        if heading or setext:
            title_text = clean_inline(heading.group(2) if heading else para.pop())
            flush()
            section = title_text
            first_heading = first_heading or title_text
            saw_heading = True
        elif not stripped:
            flush()
        elif not in_fence and re.match(r"^([-*+]|\d+[.)])\s+", stripped) and para:
            flush()
            para.append(stripped)
        else:
            para.append(stripped)
            if line_mode or (plain and len(stripped) > 200):
                flush()
    flush()

    title = _as_text(meta.get("title")) or first_heading
    blocks: list[Block] = []
    if plain and not saw_heading:
        for i, (_, para_text, single) in enumerate(raw):
            is_heading = single and _heading_like(para_text)
            if title is None and i < 3 and is_heading and len(para_text.split()) >= 3:
                title = para_text
            elif is_heading and blocks:
                section = para_text
            else:
                blocks.append(Block(section if blocks else "", para_text))
                continue
            section = para_text if title != para_text else ""
    else:
        blocks = [Block(sec, t) for sec, t, _ in raw]
    title = title or path.stem
    stances = section_stances(path, meta)
    unknown = [h for h, _ in stances if h not in {b.section for b in blocks}]
    if unknown:
        raise KnowledgeError(f"{path}: front matter 'sections' names no heading of the note: {unknown[0]!r}")
    return Document(
        source=path.name,
        path=str(path.resolve()),
        title=title,
        blocks=tuple(b for b in blocks if b.text != title or b.section),
        sha256=sha,
        author=_as_text(meta.get("author") or meta.get("authors")),
        date=_as_text(meta.get("date")),
        tags=tuple(sorted(set(normalize_tags(meta.get("tags") or meta.get("keywords"))) | set(stance_tags(path, meta)))),
        section_tags=stances,
    )


_HTML_BLOCKS = ("h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "pre", "blockquote", "dd", "dt", "td", "th", "figcaption")


def _load_html(path: Path, text: str, sha: str) -> Document:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "html.parser")
    for tag in soup(["script", "style", "noscript", "nav", "template", "svg"]):
        tag.decompose()
    page_title = soup.title.get_text(" ", strip=True) if soup.title else ""
    metas = {
        (m.get("name") or m.get("property") or "").lower(): m.get("content", "")
        for m in soup.find_all("meta")
    }
    root = soup.body or soup
    blocks: list[Block] = []
    section = ""
    first_heading: str | None = None
    for el in root.find_all(_HTML_BLOCKS):
        if el.find_parent(_HTML_BLOCKS) is not None:
            continue
        content = _SPACES.sub(" ", el.get_text(" ", strip=True)).strip()
        if not content:
            continue
        if el.name in {"h1", "h2", "h3", "h4", "h5", "h6"}:
            section = content
            first_heading = first_heading or content
        else:
            blocks.append(Block(section, content))
    if not blocks:
        loose = _SPACES.sub(" ", root.get_text(" ", strip=True)).strip()
        if loose:
            blocks.append(Block("", loose))
    return Document(
        source=path.name,
        path=str(path.resolve()),
        title=page_title or first_heading or path.stem,
        blocks=tuple(blocks),
        sha256=sha,
        author=metas.get("author") or None,
        date=metas.get("date") or metas.get("article:published_time") or None,
        tags=normalize_tags(metas.get("keywords")),
    )


def _load_pdf(path: Path, data: bytes, sha: str) -> Document:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise KnowledgeError(f"{path}: the PDF is encrypted")
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata or {}
    except KnowledgeError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as err:
        raise KnowledgeError(f"{path}: not a readable PDF ({type(err).__name__})") from None
    blocks: list[Block] = []
    for number, page in enumerate(pages, start=1):
        for para in re.split(r"\n\s*\n", page):
            joined = _SPACES.sub(" ", para.replace("-\n", "")).strip()
            if joined:
                blocks.append(Block(f"page {number}", joined))
    if not blocks:
        raise KnowledgeError(f"{path}: the PDF has no text layer (scanned images need OCR first)")
    return Document(
        source=path.name,
        path=str(path.resolve()),
        title=_as_text(info.get("/Title")) or path.stem,
        blocks=tuple(blocks),
        sha256=sha,
        author=_as_text(info.get("/Author")),
        tags=normalize_tags(info.get("/Keywords")),
    )
