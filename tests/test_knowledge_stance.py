"""Audience and stance in knowledge notes: facilitator sections and passages against a persona are never cited."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialogue_engine.agents.grounding import Grounder
from dialogue_engine.agents.types import MoveKind
from dialogue_engine.domain import Persona, load_scenario
from dialogue_engine.knowledge.chunking import chunk_document
from dialogue_engine.knowledge.loading import load_document
from dialogue_engine.knowledge.testing import FakeRetriever
from dialogue_engine.knowledge.types import AUDIENCE_FACILITATOR, KnowledgeError

NOTE = """---
title: Energy and leverage
tags: [energy, russia]
sections:
  "Gas as a weapon": {criticises: [russia]}
  "For facilitators": {audience: facilitator}
---
# Energy and leverage

## Flows
Pipeline gas still reaches two landlocked member states through Ukraine.

## Gas as a weapon
Cutting supply in winter was used to punish governments that backed sanctions.

## For facilitators
Let players discover the landlocked states' dependence before they table waivers.
"""


def _note(tmp_path: Path, text: str = NOTE) -> Path:
    path = tmp_path / "energy.md"
    path.write_text(text, encoding="utf-8")
    return path


def test_sections_carry_audience_and_stance_tags(tmp_path):
    chunks = {c.section: set(c.tags) for c in chunk_document(load_document(_note(tmp_path)))}
    assert chunks["Flows"] == {"energy", "russia"}
    assert "criticises:russia" in chunks["Gas as a weapon"]
    assert AUDIENCE_FACILITATOR in chunks["For facilitators"]


@pytest.mark.parametrize("front, problem", [
    ('sections:\n  "No such heading": {audience: facilitator}\n', "names no heading"),
    ("audience: everyone\n", "audience must be"),
    ("sections: [a, b]\n", "must map headings"),
])
def test_bad_stance_front_matter_is_one_line(tmp_path, front, problem):
    path = _note(tmp_path, f"---\ntitle: X\n{front}---\n# X\n\n## Flows\nSome text here.\n")
    with pytest.raises(KnowledgeError, match=problem) as err:
        load_document(path)
    assert "\n" not in str(err.value)


def test_a_persona_never_cites_facilitator_guidance_or_a_passage_against_itself(tmp_path):
    from dialogue_engine.knowledge.types import Hit

    hits = [Hit(chunk_id=c.chunk_id, source=c.source, title=c.title, section=c.section, text=c.text, score=1.0,
                tags=c.tags) for c in chunk_document(load_document(_note(tmp_path)))]
    scenario = load_scenario("us-russia-quiet-dialogue")
    russia = Persona(id="russia", name="Russia", kind="state", public_profile="A state.")
    other = Persona(id="european-union", name="EU", kind="bloc", public_profile="A bloc.")
    cited = {p.id: {c.section for c in Grounder(p, scenario, FakeRetriever(hits), k=5).passages(None, MoveKind.PROPOSE, "gas supply to landlocked member states in winter")}
             for p in (russia, other)}
    assert cited["russia"] == {"Flows"}
    assert cited["european-union"] == {"Flows", "Gas as a weapon"}
