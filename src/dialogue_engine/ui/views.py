"""View models for pages: deal tables, a seat's own brief, utilities and display names.

A seat's view is built from the scenario for that party only, so a page that stores it in session state
holds nothing about any other party's private brief, scores or threshold.
"""

from __future__ import annotations

from dialogue_engine.domain.deal import Deal
from dialogue_engine.domain.persona import Persona
from dialogue_engine.domain.scenario import Scenario
from dialogue_engine.report.markdown import SHOWN_CHARS, plain_markdown

MESSAGE_CHARS = SHOWN_CHARS
"""The longest message a player may type (the service refuses longer ones: ``exercise.commands.MAX_MESSAGE``)."""


def party_name(scenario: Scenario, party_id: str, personas: dict[str, Persona] | None = None) -> str:
    """A party's display name: its own name, else its persona's, else its id."""
    try:
        party = scenario.party(party_id)
    except KeyError:
        return party_id
    if not party.name and personas and party.persona_id in personas:
        return personas[party.persona_id].display_name
    return party.display_name


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


def plain(text: str) -> str:
    """A person's words safe to show with ``st.markdown``: Markdown and HTML characters escaped, no autolinks,
    lines kept, size capped (see :func:`dialogue_engine.report.markdown.plain_markdown`).

    Nobody can forge a bold "Facilitator:" line, a heading, a link or an image in another player's page.
    """
    return plain_markdown(text)


def avatar(human: bool) -> str:
    """The ``st.chat_message`` name for a seat: a person's avatar for a human seat, the assistant's for an AI."""
    return "user" if human else "assistant"


def seat_name(party: str, names: dict[str, str]) -> str:
    """A seat's display name from ``names`` (party id -> name); a seat not listed reads 'a seat', never its id."""
    return names.get(party) or "a seat"


def said(entry, names: dict[str, str], *, speaker: str | None = None, prefix: str = "") -> str:
    """One transcript line as safe Markdown: ``**Speaker → Recipient:** words`` with names, never ids.

    Args:
        entry: a :class:`~dialogue_engine.exercise.views.TranscriptEntry`.
        names: party id -> display name, for the recipients.
        speaker: shown instead of the entry's speaker name (e.g. "You").
        prefix: put before the line (e.g. "R2 · "); it is not escaped.
    """
    who = speaker or entry.speaker_name or seat_name(entry.speaker, names)
    to = f" → {', '.join(seat_name(r, names) for r in entry.recipients)}" if entry.recipients else ""
    return f"{prefix}**{plain(who + to)}:** {plain(entry.text)}"


def vote_rows(proposal, names: dict[str, str]) -> list[dict[str, str]]:
    """A proposal's votes as table rows: seat, yes/no and the seat's one-line reason (empty when none given)."""
    return [{"Seat": seat_name(party, names), "Vote": "yes" if yes else "no",
             "Why": proposal.reasons.get(party, "")} for party, yes in proposal.votes.items()]
