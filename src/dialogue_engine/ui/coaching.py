"""Feedback at the end of a solo dialogue: the outcome against your threshold and notes on your play."""

from __future__ import annotations

from dialogue_engine.ui.solo import SoloSession
from dialogue_engine.ui.views import deal_text, seat_brief


def _nash_points(session: SoloSession) -> float | None:
    """Your points in the scenario's Nash bargaining deal, when the analysis is available."""
    try:
        from dialogue_engine.negotiation.analysis import analyze

        nash = analyze(session.scenario).to_json().get("nash") or {}
        return float(nash["utilities"][session.human_party]) if nash.get("utilities") else None
    except Exception:  # noqa: BLE001 - feedback works without the reference point
        return None


def solo_feedback(session: SoloSession) -> str:
    """Markdown feedback: outcome, points against threshold and best, and notes quoting your lines."""
    brief = seat_brief(session.scenario, session.human_party, session.personas)
    mine = [t for t in session.turns if t.speaker == "you"]
    lines: list[str] = []
    if session.agreed:
        pts = session.my_utility(session.agreed) or 0.0
        verdict = "above" if pts >= brief.threshold else "below"
        lines.append(f"**Agreement:** {deal_text(session.scenario, session.agreed)}.")
        lines.append(f"It is worth **{pts:g}** points to you — {verdict} your threshold of {brief.threshold:g} "
                     f"(best possible {brief.best_total:g}).")
    else:
        lines.append(f"**No agreement.** You keep your fallback (threshold {brief.threshold:g} points).")
    nash = _nash_points(session)
    if nash is not None:
        lines.append(f"For reference, the Nash bargaining deal would give you {nash:g} points.")
    notes: list[str] = []
    proposals = [t for t in mine if t.proposal]
    questions = [t for t in mine if "?" in t.text]
    if not proposals:
        notes.append("You never put a full package on the table; a concrete offer anchors the talks.")
    else:
        first = session.my_utility(proposals[0].proposal) or 0.0
        notes.append(f"Your first package was worth {first:g} to you"
                     + (" — a high anchor." if first >= 0.8 * brief.best_total else "; you could have opened higher."))
    if questions:
        notes.append(f"You asked about their interests: “{questions[0].text}”")
    else:
        notes.append("You asked no questions; asking what matters to them reveals trades.")
    cited = sum(len(t.citations) for t in session.turns if t.speaker != "you")
    notes.append(f"{len(mine)} turn(s) from you, {cited} cited passage(s) from {session.counterpart_name}.")
    return "\n\n".join(lines) + "\n\n" + "\n".join(f"- {n}" for n in notes)
