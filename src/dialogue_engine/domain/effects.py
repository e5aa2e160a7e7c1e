"""Applying inject effects to a scenario (pure: returns a new, re-validated scenario)."""

from __future__ import annotations

import logging

from dialogue_engine.domain.scenario import (
    AddOption,
    ChangeRelationship,
    ChangeScore,
    ChangeThreshold,
    Effect,
    RemoveOption,
    Scenario,
)

logger = logging.getLogger(__name__)


def _target_exists(eff: Effect, parties: dict, issues: dict) -> bool:
    party = getattr(eff, "party", None)
    if party is not None and party not in parties:
        return False
    issue = getattr(eff, "issue", None)
    if issue is None:
        return True
    if issue not in issues:
        return False
    option = getattr(eff, "option", None)
    if isinstance(eff, (ChangeScore, RemoveOption)):
        return option in {o["id"] for o in issues[issue]["options"]}
    return True


def apply_effects(scenario: Scenario, effects: list[Effect]) -> Scenario:
    """The scenario after ``effects``; relationship changes are not part of a scenario and are skipped.

    Effects whose party, issue or option no longer exists (an earlier inject removed it) are skipped. The
    injects list is carried over unchanged (it describes the whole exercise, not the current state).

    Raises:
        pydantic.ValidationError: when the result is inconsistent (e.g. a threshold made unreachable).
    """
    data = scenario.model_dump(mode="python")
    parties = {p["id"]: p for p in data["parties"]}
    issues = {i["id"]: i for i in data["issues"]}
    for eff in effects:
        if not _target_exists(eff, parties, issues):
            logger.warning("skipping effect %s: its target no longer exists", eff.kind)
            continue
        if isinstance(eff, ChangeScore):
            row = parties[eff.party]["scores"][eff.issue]
            row[eff.option] = eff.value if eff.value is not None else row[eff.option] + (eff.delta or 0.0)
        elif isinstance(eff, ChangeThreshold):
            p = parties[eff.party]
            p["threshold"] = eff.value if eff.value is not None else p["threshold"] + (eff.delta or 0.0)
        elif isinstance(eff, AddOption):
            issues[eff.issue]["options"].append(eff.option.model_dump())
            for pid, score in eff.scores.items():
                parties[pid]["scores"][eff.issue][eff.option.id] = score
        elif isinstance(eff, RemoveOption):
            issue = issues[eff.issue]
            issue["options"] = [o for o in issue["options"] if o["id"] != eff.option]
            for p in parties.values():
                p["scores"][eff.issue].pop(eff.option, None)
            if data.get("initial_deal") and data["initial_deal"].get(eff.issue) == eff.option:
                data["initial_deal"] = None
        elif isinstance(eff, ChangeRelationship):
            continue
    data["injects"] = []
    return Scenario.model_validate(data).model_copy(update={"injects": scenario.injects})


def relationship_changes(effects: list[Effect]) -> list[ChangeRelationship]:
    """The relationship shifts among ``effects`` (applied by the agent layer)."""
    return [e for e in effects if isinstance(e, ChangeRelationship)]
