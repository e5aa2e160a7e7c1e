"""Shipped knowledge notes: facilitator guidance sits only in facilitator-audience sections, stances name real personas.

Personas cite passages from ``knowledge/*.md``; a passage written for facilitators (exercise design, persona
hints, negotiation levers) or one that argues against the citing persona breaks the fiction. These checks keep
the shipped notes tagged so the grounding filter can drop such passages.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from dialogue_engine.knowledge.chunking import chunk_document
from dialogue_engine.knowledge.loading import load_document
from dialogue_engine.knowledge.types import AUDIENCE_FACILITATOR, Chunk, criticises_tag

ROOT = Path(__file__).resolve().parent.parent
NOTES = sorted((ROOT / "knowledge").glob("*.md"))

# Language addressed to facilitators, exercise designers or players, or about the exercise itself.
FACILITATOR_LANGUAGE = re.compile(
    r"\b(?:facilitators?|exercise designers?|scenario design|practice rounds?|in an exercise|learners?|players?"
    r"|debrief\w*|role-?play\w*|the trainer|personas?)\b",
    re.IGNORECASE,
)


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def _chunks(path: Path) -> list[Chunk]:
    return chunk_document(load_document(path))


def _persona_ids() -> set[str]:
    ids = set()
    for path in (ROOT / "personas").glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        ids.add(str(data.get("id") or path.stem))
    return ids


def test_there_are_notes():
    assert len(NOTES) >= 30


@pytest.mark.parametrize("path", NOTES, ids=_ids(NOTES))
def test_note_loads(path):
    doc = load_document(path)
    assert doc.blocks, f"{path.name}: no text"


@pytest.mark.parametrize("path", NOTES, ids=_ids(NOTES))
def test_facilitator_language_only_in_facilitator_sections(path):
    leaks = []
    for c in _chunks(path):
        match = FACILITATOR_LANGUAGE.search(c.section) or FACILITATOR_LANGUAGE.search(c.text)
        if match and AUDIENCE_FACILITATOR not in c.tags:
            leaks.append(f"[{c.section}] {match.group(0)!r}: {c.text[:100]}...")
    assert not leaks, f"{path.name}: facilitator language outside a facilitator section:\n" + "\n".join(leaks)


@pytest.mark.parametrize("path", NOTES, ids=_ids(NOTES))
def test_facilitator_sections_close_the_note(path):
    """Once a facilitator passage starts, the rest of the note is for facilitators too."""
    flags = [AUDIENCE_FACILITATOR in c.tags for c in _chunks(path)]
    if True in flags:
        first = flags.index(True)
        assert all(flags[first:]), f"{path.name}: a persona-facing section follows a facilitator section"


@pytest.mark.parametrize("path", NOTES, ids=_ids(NOTES))
def test_stances_name_personas(path):
    known = _persona_ids()
    tags = {t for c in _chunks(path) for t in c.tags}
    actors = {t.split(":", 1)[1] for t in tags if t.startswith(("criticises:", "supports:"))}
    assert not actors - known, f"{path.name}: stance names unknown personas {sorted(actors - known)}"


def test_energy_blackmail_passages_criticise_russia():
    hits = [c for path in NOTES for c in _chunks(path) if "energy blackmail" in c.text.lower()]
    assert hits, "no note mentions Russian energy blackmail any more"
    untagged = [f"{c.source} [{c.section}]" for c in hits if criticises_tag("russia") not in c.tags]
    assert not untagged, f"energy-blackmail passages Russia could cite: {untagged}"
