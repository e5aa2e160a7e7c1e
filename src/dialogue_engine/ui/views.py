"""View models for pages: deal tables, a seat's own brief, utilities and display names.

A seat's view is built from the scenario for that party only, so a page that stores it in session state
holds nothing about any other party's private brief, scores or threshold.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dialogue_engine.domain.persona import Persona
from dialogue_engine.domain.scenario import Scenario

Deal = dict[str, str]


def party_name(scenario: Scenario, party_id: str, personas: dict[str, Persona] | None = None) -> str:
    """A party's display name: its own name, else its persona's, else its id."""
    try:
        party = scenario.party(party_id)
    except KeyError:
        return party_id
    if party.name:
        return party.name
    if personas and party.persona_id in personas:
        return personas[party.persona_id].display_name
    return party.id


def deal_rows(scenario: Scenario, deal: Deal | None) -> list[dict[str, str]]:
    """One row per issue of a (possibly partial) deal: ``{"Issue": title, "Option": label}``."""
    if not deal:
        return []
    rows = []
    for issue in scenario.issues:
        if issue.id in deal:
            try:
                label = issue.option(deal[issue.id]).label
            except KeyError:
                label = deal[issue.id]
            rows.append({"Issue": issue.title, "Option": label})
    return rows


def deal_text(scenario: Scenario, deal: Deal | None) -> str:
    """A deal on one line: ``Issue: option; Issue: option``."""
    return "; ".join(f"{r['Issue']}: {r['Option']}" for r in deal_rows(scenario, deal)) or "(none)"


def utility(scenario: Scenario, party_id: str, deal: Deal | None) -> float | None:
    """A party's points for a deal (summed over the issues it settles); ``None`` for no deal."""
    if not deal:
        return None
    scores = scenario.party(party_id).scores
    return float(sum(scores.get(i, {}).get(o, 0.0) for i, o in deal.items()))


def is_complete(scenario: Scenario, deal: Deal | None) -> bool:
    """Whether a deal settles every issue."""
    return bool(deal) and all(i.id in deal for i in scenario.issues)


@dataclass(frozen=True)
class SeatBrief:
    """What one seat may see of its own position: brief, threshold and its own scores."""

    party_id: str
    name: str
    role: str
    private_brief: str
    threshold: float
    score_rows: list[dict[str, object]] = field(default_factory=list)
    best_total: float = 0.0


def seat_brief(scenario: Scenario, party_id: str, personas: dict[str, Persona] | None = None) -> SeatBrief:
    """The private view of ``party_id`` (nothing about any other party)."""
    party = scenario.party(party_id)
    rows: list[dict[str, object]] = []
    best = 0.0
    for issue in scenario.issues:
        table = party.scores.get(issue.id, {})
        best += max(table.values(), default=0.0)
        for opt in issue.options:
            rows.append({"Issue": issue.title, "Option": opt.label, "Points": table.get(opt.id, 0.0)})
    return SeatBrief(party.id, party_name(scenario, party_id, personas), party.role, party.private_brief,
                     party.threshold, rows, best)


def public_parties(scenario: Scenario, personas: dict[str, Persona] | None = None) -> list[dict[str, str]]:
    """Public facts about each seat: name, role and whether it holds a veto."""
    return [
        {"Seat": party_name(scenario, p.id, personas), "Id": p.id, "Role": p.role, "Veto": "yes" if p.veto else ""}
        for p in scenario.parties
    ]


def public_issues(scenario: Scenario) -> list[dict[str, str]]:
    """The issues and their options, as rows."""
    return [
        {"Issue": i.title, "Options": ", ".join(o.label for o in i.options)}
        for i in scenario.issues
    ]


def option_choices(scenario: Scenario) -> dict[str, list[tuple[str, str]]]:
    """For a proposal builder: issue id -> [(option id, label)]."""
    return {i.id: [(o.id, o.label) for o in i.options] for i in scenario.issues}


def persona_rows(personas: dict[str, Persona]) -> list[dict[str, str]]:
    """One row per persona for the library table."""
    return [
        {"Id": p.id, "Name": p.name, "Kind": p.kind.value, "Interests": ", ".join(i.name for i in p.interests)}
        for p in sorted(personas.values(), key=lambda p: p.name)
    ]


def scenario_rows(scenarios: dict[str, Scenario]) -> list[dict[str, object]]:
    """One row per scenario for the library table."""
    return [
        {"Id": s.id, "Title": s.title, "Parties": len(s.parties), "Issues": len(s.issues), "Rounds": s.rounds,
         "Solo": "yes" if s.solo else ""}
        for s in sorted(scenarios.values(), key=lambda s: s.title)
    ]


def issue_deal_rows(issues: list[dict], deal: Deal | None) -> list[dict[str, str]]:
    """Like :func:`deal_rows`, from a seat view's public ``issues`` list (dicts with id, title, options)."""
    rows = []
    for issue in issues:
        if deal and issue["id"] in deal:
            labels = {o["id"]: o["label"] for o in issue["options"]}
            rows.append({"Issue": issue["title"], "Option": labels.get(deal[issue["id"]], deal[issue["id"]])})
    return rows
