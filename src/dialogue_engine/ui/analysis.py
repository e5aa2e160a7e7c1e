"""A scenario's deal-space facts laid out for the Library page."""

from __future__ import annotations

from dataclasses import dataclass, field

from dialogue_engine.domain.scenario import Scenario
from dialogue_engine.ui.views import deal_text


@dataclass(frozen=True)
class AnalysisView:
    """Counts and named deals (each as ``(label, deal text, {party: utility})``)."""

    counts: dict[str, int]
    named: list[tuple[str, str, dict[str, float]]] = field(default_factory=list)


def analysis_view(scenario: Scenario) -> AnalysisView:
    """Run the deal-space analysis and keep what a page shows."""
    from dialogue_engine.negotiation.analysis import analyze

    data = analyze(scenario).to_json()
    counts = {k: int(data[k]) if not isinstance(data[k], list) else len(data[k])
              for k in ("deals", "passable", "unanimous", "pareto") if k in data}
    named = []
    for key, label in (("nash", "Nash bargaining solution"), ("max_welfare", "Highest total welfare"),
                       ("kalai_smorodinsky", "Kalai–Smorodinsky")):
        entry = data.get(key)
        if isinstance(entry, dict) and entry.get("deal"):
            named.append((label, deal_text(scenario, entry["deal"]),
                          {p: round(float(u), 1) for p, u in entry.get("utilities", {}).items()}))
    return AnalysisView(counts, named)
