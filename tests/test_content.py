"""Quality checks on the shipped personas and scenarios: validity, references, tags and difficulty."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from dialogue_engine.domain.loading import parse_model
from dialogue_engine.domain.persona import Persona
from dialogue_engine.domain.scenario import RuleKind, Scenario
from dialogue_engine.domain.validate import validate_paths
from dialogue_engine.negotiation.space import DealSpace

ROOT = Path(__file__).resolve().parent.parent
PERSONA_FILES = sorted((ROOT / "personas").glob("*.yaml"))
SCENARIO_FILES = sorted((ROOT / "scenarios").glob("*.yaml"))
MAX_DEALS = 20_000
MAX_PASSABLE_SHARE = 0.15


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def _persona(path: Path) -> Persona:
    return parse_model(path.read_text(encoding="utf-8"), Persona, str(path))


def _scenario(path: Path) -> Scenario:
    return parse_model(path.read_text(encoding="utf-8"), Scenario, str(path))


def _vocabulary() -> set[str]:
    """Tags listed in the first column of the table in docs/knowledge-tags.md."""
    text = (ROOT / "docs" / "knowledge-tags.md").read_text(encoding="utf-8")
    tags = set()
    for line in text.splitlines():
        m = re.match(r"^\|\s*([a-z0-9][a-z0-9\-]*)\s*\|", line)
        if m and m.group(1) != "tag":
            tags.add(m.group(1))
    return tags


def _note_tags() -> set[str]:
    """Every tag used in the YAML front matter of knowledge/*.md."""
    tags: set[str] = set()
    for path in sorted((ROOT / "knowledge").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        m = re.match(r"^---\s*\n(.*?)\n---\s*\n", text, re.S)
        if not m:
            continue
        meta = yaml.safe_load(m.group(1)) or {}
        raw = meta.get("tags") or []
        tags.update([raw] if isinstance(raw, str) else [str(t) for t in raw])
    return tags


@pytest.fixture(scope="module")
def personas() -> dict[str, Persona]:
    return {p.stem: _persona(p) for p in PERSONA_FILES}


@pytest.fixture(scope="module")
def vocabulary() -> set[str]:
    return _vocabulary()


@pytest.fixture(scope="module")
def note_tags() -> set[str]:
    return _note_tags()


def test_everything_shipped_validates():
    assert validate_paths() == []


def test_cast_and_library_size(personas):
    states = [p for p in personas.values() if p.is_state]
    others = [p for p in personas.values() if not p.is_state]
    assert len(personas) >= 16
    assert len(states) >= 8, sorted(p.id for p in states)
    assert len(others) >= 6, sorted(p.id for p in others)
    assert len(SCENARIO_FILES) >= 7


def test_styles_differ_across_personas(personas):
    styles = {(p.style.concession, p.style.opening_ambition, p.style.patience, p.style.risk_attitude)
              for p in personas.values()}
    assert len(styles) == len(personas)
    concessions = [p.style.concession for p in personas.values()]
    assert min(concessions) < 1 < max(concessions)


@pytest.mark.parametrize("path", PERSONA_FILES, ids=_ids(PERSONA_FILES))
def test_persona_is_complete(path, personas):
    p = _persona(path)
    assert p.id == path.stem
    assert p.public_profile and p.worldview
    assert len(p.interests) >= 3
    assert len(p.red_lines) >= 1
    assert 4 <= len(p.voice.phrases) <= 8
    assert 3 <= len(p.voice.openers) <= 6
    assert p.knowledge.tags
    assert p.relationships
    unknown = sorted(set(p.relationships) - set(personas))
    assert not unknown, f"{path.name}: relationships name unknown personas {unknown}"


@pytest.mark.parametrize("path", PERSONA_FILES, ids=_ids(PERSONA_FILES))
def test_persona_tags_match_notes(path, vocabulary, note_tags):
    tags = set(_persona(path).knowledge.tags)
    assert not tags - vocabulary, f"{path.name}: tags not in docs/knowledge-tags.md: {sorted(tags - vocabulary)}"
    assert not tags - note_tags, f"{path.name}: tags no knowledge note carries: {sorted(tags - note_tags)}"


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=_ids(SCENARIO_FILES))
def test_scenario_is_complete(path, personas, vocabulary, note_tags):
    s = _scenario(path)
    assert s.id == path.stem
    assert s.summary and s.setting and s.facilitator_notes
    assert 3 <= len(s.issues) <= 6
    for issue in s.issues:
        assert 3 <= len(issue.options) <= 5, issue.id
        assert all(o.label and o.description for o in issue.options), issue.id
    missing = sorted(p.persona_id for p in s.parties if p.persona_id not in personas)
    assert not missing, f"{path.name}: parties name unknown personas {missing}"
    assert all(p.private_brief for p in s.parties)
    assert 6 <= s.rounds <= 10
    assert 3 <= len(s.learning_objectives) <= 5
    rounds = {j.at_round for j in s.injects if j.at_round is not None}
    assert len(rounds) >= 2, f"{path.name}: injects in only {sorted(rounds)}"
    tags = set(s.tags)
    assert tags and not tags - vocabulary, f"{path.name}: tags not in the vocabulary: {sorted(tags - vocabulary)}"
    assert not tags - note_tags, f"{path.name}: tags no knowledge note carries: {sorted(tags - note_tags)}"
    for party in s.parties:
        assert set(party.scores) == {i.id for i in s.issues}


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=_ids(SCENARIO_FILES))
def test_scenario_difficulty(path):
    """At least one passable deal, under 15% passable, and no party's favourite deal passes."""
    s = _scenario(path)
    space = DealSpace.from_scenario(s)
    assert space.size <= MAX_DEALS
    n_pass = int(space.passes.sum())
    assert n_pass >= 1, f"{path.name}: no passable deal"
    assert n_pass / space.size < MAX_PASSABLE_SHARE, f"{path.name}: {n_pass}/{space.size} deals pass"
    for j, party in enumerate(s.parties):
        u = space.utilities[:, j]
        favourites = np.flatnonzero(u >= u.max() - 1e-9)
        assert not space.passes[favourites].any(), f"{path.name}: {party.id}'s favourite deal passes"


def test_library_covers_the_formats():
    scenarios = [_scenario(p) for p in SCENARIO_FILES]
    solo = [s for s in scenarios if s.solo and len(s.parties) == 2]
    assert len(solo) >= 2
    assert {s.rule.kind for s in scenarios} == set(RuleKind)
    assert any(s.rule.kind == RuleKind.QUORUM and s.rule.required for s in scenarios)
    assert any(j.trigger is not None for s in scenarios for j in s.injects)
    assert any(not p.is_state for s in scenarios for p in (_persona(ROOT / "personas" / f"{x.persona_id}.yaml")
                                                           for x in s.parties))


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=_ids(SCENARIO_FILES))
def test_personas_who_meet_know_each_other(path, personas):
    """Each persona at a table has a written relationship to every other persona seated there."""
    seated = [p.persona_id for p in _scenario(path).parties]
    missing = sorted((a, b) for a in seated for b in seated
                     if a != b and a in personas and b not in personas[a].relationships)
    assert not missing, f"{path.name}: no relationship written for {missing}"
