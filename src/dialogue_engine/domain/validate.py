"""Validate persona and scenario files together (the ``validate`` command and the app's upload check)."""

from __future__ import annotations

import os
from pathlib import Path

from dialogue_engine.config import get_settings
from dialogue_engine.domain.loading import (
    DomainError,
    Problem,
    _read,
    _yaml_files,
    check_persona_references,
    check_references,
    parse_model,
)
from dialogue_engine.domain.persona import Persona
from dialogue_engine.domain.scenario import Scenario


def _kind_of(path: Path) -> type[Persona] | type[Scenario] | None:
    """The model a file's folder implies; ``None``: decided from the content."""
    if path.parent.name == "personas":
        return Persona
    if path.parent.name == "scenarios":
        return Scenario
    return None


def validate_paths(paths: list[Path] | None = None) -> list[Problem]:
    """Every problem in the given files or folders (default: the personas and scenarios folders).

    Persona ids that scenarios and relationships name are checked against the personas given plus the
    default personas folder.
    """
    settings = get_settings()
    if not paths:
        paths = [settings.personas_dir, settings.scenarios_dir]
    files: list[Path] = []
    problems: list[Problem] = []
    for p in paths:
        if p.is_dir() and not p.is_symlink():
            files.extend(_yaml_files(p))
        elif os.path.lexists(p):
            files.append(p)  # the reader refuses links, pipes and devices in one line
        else:
            problems.append(Problem(str(p), "", "no such file or folder"))
    personas: dict[str, tuple[Persona, str]] = {}
    scenarios: list[tuple[Scenario, str]] = []
    for f in files:
        try:
            model = parse_model(_read(f), _kind_of(f), str(f))
        except DomainError as err:
            problems.extend(err.problems)
            continue
        if isinstance(model, Persona):
            if model.id in personas:
                problems.append(Problem(str(f), "id", f"duplicate persona id {model.id!r} (also {personas[model.id][1]})"))
            personas[model.id] = (model, str(f))
        else:
            scenarios.append((model, str(f)))
    known = {pid: p for pid, (p, _) in personas.items()}
    if settings.personas_dir.is_dir():
        for f in _yaml_files(settings.personas_dir):
            try:
                p = parse_model(_read(f), Persona, str(f))
            except DomainError:
                continue
            known.setdefault(p.id, p)
    for persona, f in personas.values():
        problems.extend(check_persona_references(persona, known, f))
    for scenario, f in scenarios:
        problems.extend(check_references(scenario, known, f))
    return problems
