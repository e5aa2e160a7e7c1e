"""YAML loaders for personas and scenarios with errors that name file, line, field and reason."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from dialogue_engine.config import get_settings
from dialogue_engine.domain.objectives import CRITERION_KINDS
from dialogue_engine.domain.persona import Persona, PersonaKind
from dialogue_engine.domain.problems import DomainError, Problem
from dialogue_engine.domain.safeyaml import parse_yaml, read_user_file
from dialogue_engine.domain.scenario import Party, Scenario

M = TypeVar("M", bound=BaseModel)


_TOKEN = re.compile(r"\[(\d+)\]|([^.\[\]\s()]+)|\([^)]*\)")


def _path_of(field: str) -> tuple:
    out: list[Any] = []
    for m in _TOKEN.finditer(field):
        if m.group(1) is not None:
            out.append(int(m.group(1)))
        elif m.group(2) is not None:
            out.append(m.group(2))
    return tuple(out)


def _line_for(lines: dict[tuple, int], path: tuple) -> int | None:
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return None


_TAGS = {"change_score", "change_threshold", "change_relationship", "add_option", "remove_option",
         *CRITERION_KINDS}


def _problems_from(err: ValidationError, file: str, lines: dict[tuple, int]) -> list[Problem]:
    out: list[Problem] = []
    for e in err.errors():
        loc = tuple(x for x in e["loc"] if not (isinstance(x, str) and x in _TAGS))
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown field"
        elif e["type"] == "missing":
            msg = "required field is missing"
        if not loc and e["type"] == "value_error":
            for part in msg.split("; "):
                field, _, reason = part.partition(": ")
                if not reason:
                    field, reason = "", part
                out.append(Problem(file, field, reason, _line_for(lines, _path_of(field))))
            continue
        field = ".".join(f"[{x}]" if isinstance(x, int) else str(x) for x in loc).replace(".[", "[")
        out.append(Problem(file, field, msg, _line_for(lines, loc)))
    return out


def _kind_for(data: Any) -> type[Persona] | type[Scenario]:
    return Scenario if isinstance(data, dict) and ("parties" in data or "issues" in data) else Persona


def kind_of(text: str) -> type[Persona] | type[Scenario]:
    """Whether YAML text reads as a scenario (it has parties or issues) or a persona; unsafe text counts as a
    scenario, whose loader then reports the problem."""
    try:
        return _kind_for(parse_yaml(text, "").data)
    except DomainError:
        return Scenario


def parse_model(text: str, model: type[M] | None, file: str) -> M:
    """Validate YAML ``text`` as ``model`` (``None``: a scenario when it has parties or issues, else a persona).

    The text is parsed once, within the limits of :mod:`dialogue_engine.domain.safeyaml`.

    Raises:
        DomainError: naming ``file``, the line, the field path and the reason of each problem.
    """
    parsed = parse_yaml(text, file)
    data = parsed.data
    if not isinstance(data, dict):
        found = "a list" if isinstance(data, list) else f"a single value ({type(data).__name__})"
        raise DomainError([Problem(file, "", f"expected a mapping of fields at the top, found {found}")])
    if parsed.duplicates:
        raise DomainError([Problem(file, f, "duplicate key (written twice)", line) for f, line in parsed.duplicates])
    chosen = model if model is not None else _kind_for(data)
    try:
        return chosen.model_validate(data)
    except ValidationError as err:
        raise DomainError(_problems_from(err, file, parsed.lines)) from None


def _read(path: Path) -> str:
    return read_user_file(path)


def _yaml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.y*ml") if p.suffix in {".yaml", ".yml"})


_ID_INDEX: dict[Path, tuple[tuple, dict[str, Path]]] = {}


def _ids_in(folder: Path) -> dict[str, Path]:
    """id -> file for the YAML files of a folder whose name is not their id (re-read when a file changes)."""
    if not folder.is_dir():
        return {}
    files = _yaml_files(folder)
    try:
        signature = tuple((f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in files)
    except OSError:
        signature = ()
    cached = _ID_INDEX.get(folder)
    if cached is not None and cached[0] == signature and signature:
        return cached[1]
    index: dict[str, Path] = {}
    for candidate in files:
        try:
            data = parse_yaml(read_user_file(candidate), str(candidate)).data
        except DomainError:
            continue
        if isinstance(data, dict) and isinstance(data.get("id"), str):
            index.setdefault(data["id"], candidate)
    _ID_INDEX[folder] = (signature, index)
    return index


def _resolve(path_or_id: str | Path, folder: Path, what: str) -> Path:
    p = Path(path_or_id)
    if p.suffix in {".yaml", ".yml"} or p.exists():
        return p
    ident = str(path_or_id)
    for candidate in (folder / f"{ident}.yaml", folder / f"{ident}.yml"):
        if candidate.exists():
            return candidate
    found = _ids_in(folder).get(ident)
    if found is not None:
        return found
    known = ", ".join(p.stem for p in _yaml_files(folder)) if folder.is_dir() else "none"
    raise DomainError([Problem(ident, "", f"unknown {what} id (known: {known})")])


def load_persona(path_or_id: str | Path) -> Persona:
    """Load a persona from a YAML file, or by id from the personas folder."""
    path = _resolve(path_or_id, get_settings().personas_dir, "persona")
    return parse_model(_read(path), Persona, str(path))


def load_scenario(path_or_id: str | Path) -> Scenario:
    """Load a scenario from a YAML file, or by id from the scenarios folder."""
    path = _resolve(path_or_id, get_settings().scenarios_dir, "scenario")
    return parse_model(_read(path), Scenario, str(path))


def load_personas(folder: Path | None = None) -> dict[str, Persona]:
    """Every persona in ``folder`` (default: the personas folder), by id.

    Raises:
        DomainError: with every problem found across the folder.
    """
    folder = folder or get_settings().personas_dir
    out: dict[str, Persona] = {}
    problems: list[Problem] = []
    for path in _yaml_files(folder):
        try:
            persona = parse_model(_read(path), Persona, str(path))
        except DomainError as err:
            problems.extend(err.problems)
            continue
        if persona.id in out:
            problems.append(Problem(str(path), "id", f"duplicate persona id {persona.id!r}"))
        out[persona.id] = persona
    if problems:
        raise DomainError(problems)
    return out


def load_scenarios(folder: Path | None = None) -> dict[str, Scenario]:
    """Every scenario in ``folder`` (default: the scenarios folder), by id."""
    folder = folder or get_settings().scenarios_dir
    out: dict[str, Scenario] = {}
    problems: list[Problem] = []
    for path in _yaml_files(folder):
        try:
            scenario = parse_model(_read(path), Scenario, str(path))
        except DomainError as err:
            problems.extend(err.problems)
            continue
        out[scenario.id] = scenario
    if problems:
        raise DomainError(problems)
    return out


def check_references(scenario: Scenario, personas: dict[str, Persona], file: str = "") -> list[Problem]:
    """Problems with persona ids a scenario names (each party's persona must exist)."""
    problems = []
    for n, party in enumerate(scenario.parties):
        if party.persona is not None and party.persona not in personas:
            problems.append(Problem(file or scenario.id, f"parties[{n}].persona", f"unknown persona {party.persona!r}"))
    return problems


def check_persona_references(persona: Persona, personas: dict[str, Persona], file: str = "") -> list[Problem]:
    """Problems with persona ids a persona's relationships name."""
    return [
        Problem(file or persona.id, f"relationships.{other}", f"unknown persona {other!r}")
        for other in persona.relationships
        if other not in personas
    ]


def persona_for(party: Party) -> Persona:
    """The persona playing a seat: loaded by id, or a plain stand-in when the scenario names none.

    Raises:
        DomainError: the scenario names a persona that cannot be loaded.
    """
    try:
        return load_persona(party.persona_id)
    except DomainError:
        if party.persona is not None:
            raise
        return Persona(id=party.id, name=party.name or party.id, kind=PersonaKind.OTHER,
                       public_profile=f"The delegation holding the {party.id} seat.")
