"""YAML loaders for personas and scenarios with errors that name file, line, field and reason."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from dialogue_engine.config import get_settings
from dialogue_engine.domain.objectives import CRITERION_KINDS
from dialogue_engine.domain.persona import Persona, PersonaKind
from dialogue_engine.domain.scenario import Party, Scenario
from dialogue_engine.errors import QDError

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file."""

    file: str
    field: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.reason}" if self.field else f"{where}: {self.reason}"


class DomainError(QDError):
    """A persona or scenario could not be loaded; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(str(problems[0]) if len(problems) == 1 else "; ".join(str(p) for p in problems))


def _line_map(text: str) -> dict[tuple, int]:
    """Map each YAML path (tuple of keys and indexes) to its 1-based line."""
    lines: dict[tuple, int] = {}
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return lines

    def walk(node: Any, path: tuple) -> None:
        lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                k = key.value
                lines[path + (k,)] = key.start_mark.line + 1
                walk(value, path + (k,))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, path + (i,))

    if root is not None:
        walk(root, ())
    return lines


def _duplicate_keys(text: str, file: str) -> list[Problem]:
    """Mapping keys written twice (YAML would silently keep the last one)."""
    problems: list[Problem] = []
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return problems

    def walk(node: Any, field: str) -> None:
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in node.value:
                k = str(key.value)
                where = f"{field}.{k}" if field else k
                if k in seen:
                    problems.append(Problem(file, where, "duplicate key (written twice)", key.start_mark.line + 1))
                seen.add(k)
                walk(value, where)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, f"{field}[{i}]")

    if root is not None:
        walk(root, "")
    return problems


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


MAX_YAML_BYTES = 2_000_000
MAX_YAML_ALIASES = 50
MAX_YAML_DEPTH = 40
MAX_YAML_NODES = 200_000


def check_yaml_limits(text: str, file: str) -> None:
    """Refuse, in one line, YAML too large, too deep, too aliased or with too many nodes to load safely.

    Checked on the event stream before anything is built, so an alias bomb or deep nesting costs nothing.

    Raises:
        DomainError: the first limit exceeded, with its line.
    """
    if len(text) > MAX_YAML_BYTES:
        raise DomainError([Problem(file, "", f"the file is larger than {MAX_YAML_BYTES // 1_000_000} MB")])
    aliases = depth = nodes = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_YAML_ALIASES:
                    raise DomainError([Problem(file, "", f"more than {MAX_YAML_ALIASES} YAML aliases (*name)",
                                               event.start_mark.line + 1)])
            elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    raise DomainError([Problem(file, "", f"nested more than {MAX_YAML_DEPTH} levels deep",
                                               event.start_mark.line + 1)])
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
            if isinstance(event, (yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                nodes += 1
                if nodes > MAX_YAML_NODES:
                    raise DomainError([Problem(file, "", f"more than {MAX_YAML_NODES} YAML values")])
    except yaml.YAMLError:
        return  # the loader reports the syntax error with its line


def kind_of(text: str) -> type[Persona] | type[Scenario]:
    """Whether YAML text reads as a scenario (it has parties or issues) or a persona; unsafe text counts as a
    scenario, whose loader then reports the problem."""
    try:
        check_yaml_limits(text, "")
        data = yaml.safe_load(text)
    except (DomainError, yaml.YAMLError):
        return Scenario
    return Scenario if isinstance(data, dict) and ("parties" in data or "issues" in data) else Persona


def parse_model(text: str, model: type[M], file: str) -> M:
    """Validate YAML ``text`` as ``model``.

    Raises:
        DomainError: naming ``file``, the line, the field path and the reason of each problem.
    """
    check_yaml_limits(text, file)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise DomainError([Problem(file, "", f"invalid YAML: {reason}", line)]) from None
    if not isinstance(data, dict):
        raise DomainError([Problem(file, "", f"expected a mapping of fields at the top, found {type(data).__name__}")])
    duplicates = _duplicate_keys(text, file)
    if duplicates:
        raise DomainError(duplicates)
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise DomainError(_problems_from(err, file, _line_map(text))) from None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DomainError([Problem(str(path), "", "no such file")]) from None
    except UnicodeDecodeError:
        raise DomainError([Problem(str(path), "", "not a UTF-8 text file")]) from None
    except OSError as err:
        raise DomainError([Problem(str(path), "", err.strerror or str(err))]) from None


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
            text = candidate.read_text(encoding="utf-8")
            check_yaml_limits(text, str(candidate))
            data = yaml.safe_load(text)
        except (yaml.YAMLError, OSError, UnicodeDecodeError, DomainError):
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
