"""Checks on uploaded files: size, type, safe names, and plain-word validation of persona/scenario YAML."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePath


from dialogue_engine.domain.loading import DomainError, Problem, check_references, load_personas, parse_model
from dialogue_engine.domain.safeyaml import MAX_YAML_BYTES, decode_user_bytes
from dialogue_engine.domain.persona import Persona
from dialogue_engine.domain.scenario import Scenario
from dialogue_engine.errors import QDError

MB = 1024 * 1024
YAML_TYPES = ("yaml", "yml")
YAML_MAX_BYTES = MAX_YAML_BYTES
KNOWLEDGE_TYPES = ("md", "txt", "html", "pdf")
KNOWLEDGE_MAX_BYTES = 10 * MB


class UploadError(QDError):
    """An uploaded file was refused (too large, wrong type, unreadable)."""


def safe_name(name: str) -> str:
    """The file's base name with anything but letters, digits, ``.``, ``-`` and ``_`` replaced."""
    base = PurePath(name.replace("\\", "/")).name
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", base).lstrip(".")
    return cleaned or "upload"


def check_upload(name: str, size: int, allowed: tuple[str, ...], max_bytes: int) -> str:
    """Refuse a file that is empty, too large or of the wrong type; return its safe name.

    Raises:
        UploadError: one line naming the file and the reason.
    """
    clean = safe_name(name)
    suffix = clean.rsplit(".", 1)[-1].lower() if "." in clean else ""
    if suffix not in allowed:
        kinds = ", ".join(f".{a}" for a in allowed)
        raise UploadError(f"{clean}: only {kinds} files are accepted")
    if size > max_bytes:
        raise UploadError(f"{clean}: {size / MB:.1f} MB is over the {max_bytes // MB} MB limit")
    if size == 0:
        raise UploadError(f"{clean}: the file is empty")
    return clean


@dataclass(frozen=True)
class YamlCheck:
    """The outcome of validating an uploaded persona or scenario file."""

    file: str
    kind: str
    ident: str | None = None
    problems: list[str] = field(default_factory=list)
    model: Persona | Scenario | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def _plain(problem: Problem) -> str:
    where = f"line {problem.line}: " if problem.line else ""
    what = f"{problem.field} — " if problem.field else ""
    return f"{where}{what}{problem.reason}"


def check_yaml_upload(name: str, data: bytes) -> YamlCheck:
    """Validate an uploaded persona or scenario file; problems come back as plain lines.

    Raises:
        UploadError: when the file is too large, not YAML by name, or not UTF-8 text.
    """
    clean = check_upload(name, len(data), YAML_TYPES, YAML_MAX_BYTES)
    try:
        text = decode_user_bytes(data, clean, YAML_MAX_BYTES)
    except DomainError as err:
        raise UploadError(str(err)) from None
    kind = "scenario" if re.search(r"^(parties|issues)\s*:", text, re.MULTILINE) else "persona"
    try:
        model = parse_model(text, None, clean)
    except DomainError as err:
        return YamlCheck(clean, kind, problems=[_plain(p) for p in err.problems])
    kind = "scenario" if isinstance(model, Scenario) else "persona"
    problems: list[str] = []
    if isinstance(model, Scenario):
        try:
            personas = load_personas()
        except DomainError:
            personas = None
        if personas is not None:
            problems = [_plain(p) for p in check_references(model, personas, clean)]
    return YamlCheck(clean, kind, model.id, problems, model)
