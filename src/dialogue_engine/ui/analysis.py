"""A scenario's deal-space facts laid out for the Library page.

While a class (or a solo practice) is playing a scenario, the page must not hand its players every seat's
points: the named deals are then shown without per-party utilities, and the view says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dialogue_engine.domain.scenario import Scenario
from dialogue_engine.ui.views import deal_text

LIVE_NOTE = ("An exercise on this scenario is still running, so each seat's points for these deals are hidden "
             "until it ends: they would tell its players the other seats' private scores.")


@dataclass(frozen=True, kw_only=True)
class AnalysisView:
    """Counts and named deals (each as ``(label, deal text, {party: utility})``; utilities empty when withheld).

    ``withheld`` is the one-line reason the per-party points are not shown ('' when they are).
    """

    counts: dict[str, int]
    named: list[tuple[str, str, dict[str, float]]] = field(default_factory=list)
    withheld: str = ""


def analysis_view(scenario: Scenario, *, live: bool = False) -> AnalysisView:
    """Run the deal-space analysis and keep what a page may show.

    Args:
        scenario: the scenario to analyse.
        live: an exercise that has not ended uses this scenario: keep the deals, drop every seat's points.
    """
    from dialogue_engine.negotiation.analysis import analyze

    data = analyze(scenario).to_json()
    counts = {k: int(data[k]) if not isinstance(data[k], list) else len(data[k])
              for k in ("deals", "passable", "unanimous", "pareto") if k in data}
    named = []
    for key, label in (("nash", "Nash bargaining solution"), ("max_welfare", "Highest total welfare"),
                       ("kalai_smorodinsky", "Kalai–Smorodinsky")):
        entry = data.get(key)
        if isinstance(entry, dict) and entry.get("deal"):
            utils = {} if live else {p: round(float(u), 1) for p, u in entry.get("utilities", {}).items()}
            named.append((label, deal_text(scenario, entry["deal"]), utils))
    return AnalysisView(counts=counts, named=named, withheld=LIVE_NOTE if live else "")
