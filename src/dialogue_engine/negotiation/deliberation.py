"""Importer for games in the LLM-Deliberation format (Abdelnabi et al., NeurIPS 2024 D&B; MIT licence).

A game folder holds:

- ``config.txt``: one line per party: display name, file stem, role (``p1``, ``p2`` or ``player``),
  incentive (a folder of ``individual_instructions/``), model name (ignored).
- ``scores_files/<stem>.txt``: one line per issue with the points of its options (commas and/or
  spaces), then a last line with the party's minimum acceptable total.
- ``initial_deal.txt``: the opening proposal, option ids such as ``A1,B1,C4``.
- ``global_instructions.txt``: the public brief, with lines like ``Issue A: "Title"`` and
  ``A1 "label": description`` or ``D1: label``.
- ``individual_instructions/<incentive>/<stem>.txt``: each party's confidential brief, in which
  ``#A_MAX_NUM`` and ``#A1_NUM`` placeholders are filled in from the party's scores.

Issues keep the letters A, B, C...; options keep the ids A1, A2...; parties with role ``p1`` or ``p2``
hold a veto; the rule is a quorum of N-1 parties including every veto holder.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from dialogue_engine.domain.scenario import Scenario
from dialogue_engine.errors import QDError

SOURCE = ("LLM-Deliberation game format (Abdelnabi et al., 'Cooperation, Competition, and Maliciousness: "
          "LLM-Stakeholders Interactive Negotiation', NeurIPS 2024 Datasets and Benchmarks; MIT licence)")
VETO_ROLES = frozenset({"p1", "p2"})
INCENTIVES = {"cooperative": "cooperative", "greedy": "greedy", "untargeted_adv": "saboteur",
              "targeted_adv": "targeted"}
"""The game's incentive column -> :class:`~dialogue_engine.domain.scenario.Incentive` (others: cooperative)."""


class GameFormatError(QDError):
    """A game folder is not in the LLM-Deliberation format; the message names the file."""


def _read(path: Path) -> str:
    """Text with Windows or old Mac line endings normalized and trailing spaces removed per line."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise GameFormatError(f"{path}: missing file") from None
    except OSError as err:
        raise GameFormatError(f"{path}: {err.strerror or err}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def _lines(text: str) -> list[tuple[int, str]]:
    """Non-blank lines with their 1-based numbers."""
    return [(n, line.strip()) for n, line in enumerate(text.split("\n"), 1) if line.strip()]


def _slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9_\-]+", "-", text.lower()).strip("-_")
    return s or "party"


def _number(token: str, path: Path, line: int) -> float:
    try:
        return float(token)
    except ValueError:
        raise GameFormatError(f"{path}:{line}: {token!r} is not a number") from None


def _issue_letters(n: int) -> list[str]:
    letters = list(string.ascii_uppercase)
    if n > len(letters):
        raise GameFormatError(f"more than {len(letters)} issues are not supported by the letter ids")
    return letters[:n]


def _parse_config(game: Path) -> list[dict[str, str]]:
    path = game / "config.txt"
    parties = []
    for n, line in _lines(_read(path)):
        parts = [p.strip() for p in line.split(",")]
        if len(parts) < 4:
            raise GameFormatError(f"{path}:{n}: expected 'name, file stem, role, incentive, model', got {line!r}")
        if len(parts) > 5:
            parts = [",".join(parts[:-4])] + parts[-4:]
        name, stem, role, incentive = parts[:4]
        if not stem or not role or not incentive:
            raise GameFormatError(f"{path}:{n}: empty file stem, role or incentive in {line!r}")
        parties.append({"name": name or stem, "stem": stem, "role": role.lower(), "incentive": incentive})
    if len(parties) < 2:
        raise GameFormatError(f"{path}: a game needs at least two parties, found {len(parties)}")
    stems = [p["stem"] for p in parties]
    for s in stems:
        if stems.count(s) > 1:
            raise GameFormatError(f"{path}: file stem {s!r} is listed twice")
    return parties


def _parse_scores(path: Path) -> tuple[list[list[float]], float]:
    rows = _lines(_read(path))
    if len(rows) < 2:
        raise GameFormatError(f"{path}: expected one line per issue and a last line with the minimum total")
    issues = []
    for n, line in rows[:-1]:
        tokens = [t for t in re.split(r"[,;\s]+", line) if t]
        issues.append([_number(t, path, n) for t in tokens])
    n, last = rows[-1]
    tokens = [t for t in re.split(r"[,;\s]+", last) if t]
    if len(tokens) != 1:
        raise GameFormatError(f"{path}:{n}: the last line must hold one number, the minimum total; got {last!r}")
    return issues, _number(tokens[0], path, n)


_ISSUE_LINE = re.compile(r'^issue\s+([A-Z])\s*(?:[:.\-]\s*(.*)|(".*))?$', re.IGNORECASE)
_OPTION_LINE = re.compile(r"^([A-Z])(\d+)\b\s*(.*)$")


def _unquote(text: str) -> str:
    return text.strip().strip('"“”').strip()


def _parse_global(text: str) -> tuple[dict[str, str], dict[str, str], dict[str, tuple[str, str]]]:
    """Issue titles, issue descriptions and option (label, description) found in the public brief."""
    titles: dict[str, str] = {}
    descriptions: dict[str, list[str]] = {}
    options: dict[str, tuple[str, str]] = {}
    current: str | None = None
    for raw in text.split("\n"):
        line = raw.strip()
        if not line or set(line) <= set("=-_*#"):
            continue
        m = _ISSUE_LINE.match(line)
        if m:
            current = m.group(1).upper()
            title = _unquote(m.group(2) or m.group(3) or "")
            if title:
                titles[current] = title
            descriptions.setdefault(current, [])
            continue
        m = _OPTION_LINE.match(line)
        if m and current is not None and m.group(1) == current:
            oid, rest = f"{m.group(1)}{m.group(2)}", m.group(3).strip()
            options[oid] = _option_text(rest)
            continue
        if current is not None and not options.keys() & {f"{current}1"}:
            descriptions[current].append(line)
    return titles, {k: " ".join(v) for k, v in descriptions.items() if v}, options


def _option_text(rest: str) -> tuple[str, str]:
    """(label, description) of the text after an option id."""
    if rest.startswith(":"):
        return rest[1:].strip().rstrip("."), ""
    q = re.match(r'^"([^"]+)"\s*:?\s*(.*)$', rest)
    if q:
        return q.group(1).strip(), q.group(2).strip()
    return rest.strip().rstrip("."), ""


def _fill_placeholders(text: str, letters: list[str], scores: list[list[float]]) -> str:
    def fmt(x: float) -> str:
        return str(int(x)) if float(x).is_integer() else f"{x:g}"

    for letter, row in zip(letters, scores):
        text = text.replace(f"#{letter}_MAX_NUM", fmt(max(row)))
        for k in sorted(range(len(row)), reverse=True):  # A10 before A1
            text = text.replace(f"#{letter}{k + 1}_NUM", fmt(row[k]))
    return text


def _title_from(game: Path, situation: str) -> str:
    quoted = re.findall(r'new\s+"([^"]+)"', situation)
    if quoted:
        return quoted[0]
    return game.resolve().name.replace("_", " ").replace("-", " ").strip().title() or "Imported game"


def import_game(game_dir: str | Path, *, scenario_id: str | None = None, title: str | None = None,
                rounds: int = 4, incentives: dict[str, str] | None = None) -> Scenario:
    """Read an LLM-Deliberation game folder into a :class:`Scenario`.

    Args:
        game_dir: the folder holding ``config.txt``, ``scores_files/`` and the rest.
        scenario_id: id of the scenario (default: from the folder name).
        title: title (default: the first ``new "..."`` name in the global instructions, else the folder).
        rounds: rounds of the exercise (each party speaks once per round).
        incentives: file stem -> incentive folder, overriding the config's column (e.g. ``{"*":
            "cooperative"}`` for every seat). The incentive sets the brief read and how an AI plays the seat:
            ``greedy``, ``untargeted_adv`` (a saboteur) and ``targeted_adv`` (an adversary aimed at the p1
            seat) become the matching :class:`~dialogue_engine.domain.scenario.Incentive`.

    Raises:
        GameFormatError: naming the file (and line) that is missing or malformed.
    """
    game = Path(game_dir)
    if not game.is_dir():
        raise GameFormatError(f"{game}: not a folder")
    config = _parse_config(game)
    for p in config:
        override = (incentives or {}).get(p["stem"]) or (incentives or {}).get("*")
        if override:
            p["incentive"] = override
    scores = {p["stem"]: _parse_scores(game / "scores_files" / f"{p['stem']}.txt") for p in config}
    shapes = {p["stem"]: [len(row) for row in scores[p["stem"]][0]] for p in config}
    shape = list(Counter(tuple(v) for v in shapes.values()).most_common(1)[0][0])
    for stem, other in shapes.items():
        if other != shape:
            raise GameFormatError(f"{game / 'scores_files' / (stem + '.txt')}: options per issue {other} differ "
                                  f"from the other parties' {shape}")
    letters = _issue_letters(len(shape))
    situation = _read(game / "global_instructions.txt")
    if not situation.strip():
        raise GameFormatError(f"{game / 'global_instructions.txt'}: empty file")
    titles, descriptions, labels = _parse_global(situation)
    issues = [
        {
            "id": letter,
            "title": titles.get(letter, f"Issue {letter}"),
            "description": descriptions.get(letter, ""),
            "options": [
                {"id": f"{letter}{k}", "label": labels.get(f"{letter}{k}", ("", ""))[0] or f"Option {letter}{k}",
                 "description": labels.get(f"{letter}{k}", ("", ""))[1]}
                for k in range(1, size + 1)
            ],
        }
        for letter, size in zip(letters, shape)
    ]
    ids: set[str] = set()
    parties = []
    lead = next((_slug(p["stem"]) for p in config if p["role"] == "p1"), None)
    for p in config:
        pid = base = _slug(p["stem"])
        n = 2
        while pid in ids:
            pid, n = f"{base}-{n}", n + 1
        ids.add(pid)
        rows, minimum = scores[p["stem"]]
        brief_path = game / "individual_instructions" / p["incentive"] / f"{p['stem']}.txt"
        brief = _fill_placeholders(_read(brief_path), letters, rows)
        parties.append({
            "id": pid,
            "persona": None,
            "name": p["name"],
            "role": p["role"],
            "veto": p["role"] in VETO_ROLES,
            "private_brief": brief,
            "threshold": minimum,
            "scores": {letter: {f"{letter}{k + 1}": v for k, v in enumerate(row)} for letter, row in zip(letters, rows)},
            "incentive": INCENTIVES.get(p["incentive"].lower(), "cooperative"),
        })
        if parties[-1]["incentive"] == "targeted":
            if lead is None or lead == pid:
                raise GameFormatError(f"{game / 'config.txt'}: a targeted adversary ({p['stem']}) needs a p1 seat "
                                      "other than itself to aim at")
            parties[-1]["target"] = lead
    veto = [p["id"] for p in parties if p["veto"]]
    data: dict[str, Any] = {
        "id": scenario_id or _slug(game.resolve().name),
        "title": title or _title_from(game, situation),
        "situation": situation,
        "tags": ["llm-deliberation"],
        "parties": parties,
        "issues": issues,
        "rule": {"kind": "quorum", "min_parties": max(1, len(parties) - 1), "required": veto},
        "rounds": rounds,
        "protocol": "deliberation",
        "initial_deal": _parse_initial(game / "initial_deal.txt", issues),
        "source": f"{SOURCE}; imported from {game.resolve().name}",
    }
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        first_err = err.errors()[0]
        where = ".".join(str(x) for x in first_err["loc"])
        raise GameFormatError(f"{game}: the imported scenario is inconsistent: {where}: "
                              f"{first_err['msg'].removeprefix('Value error, ')}") from None


def _parse_initial(path: Path, issues: list[dict[str, Any]]) -> dict[str, str] | None:
    if not path.exists():
        return None
    tokens = [t for t in re.split(r"[,;\s]+", _read(path)) if t]
    if not tokens:
        return None
    known = {o["id"]: i["id"] for i in issues for o in i["options"]}
    deal: dict[str, str] = {}
    for t in tokens:
        t = t.upper()
        if t not in known:
            raise GameFormatError(f"{path}: unknown option {t!r}")
        if known[t] in deal:
            raise GameFormatError(f"{path}: two options for issue {known[t]}")
        deal[known[t]] = t
    if len(deal) != len(issues):
        missing = [i["id"] for i in issues if i["id"] not in deal]
        raise GameFormatError(f"{path}: no option for issue(s) {', '.join(missing)}")
    return deal


class _Dumper(yaml.SafeDumper):
    """Block style for multi-line text."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _float(dumper: yaml.SafeDumper, value: float) -> yaml.Node:
    if value.is_integer():
        return dumper.represent_int(int(value))
    return dumper.represent_float(value)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(float, _float)


def scenario_yaml(scenario: Scenario, header: str = "") -> str:
    """YAML text of a scenario (loads back with ``load_scenario``), with an optional comment header."""
    data = scenario.model_dump(mode="json", exclude_defaults=True)
    for party in data["parties"]:
        party.setdefault("persona", None)
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)
    lines = [f"# {line}".rstrip() for line in header.splitlines()] if header else []
    return ("\n".join(lines) + "\n" if lines else "") + body
