"""HSEEP-style after-action report of an exercise: Markdown and self-contained HTML with inline SVG charts."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from dialogue_engine.exercise.events import EventKind
from dialogue_engine.exercise.state import ExerciseState
from dialogue_engine.negotiation.space import DealSpace
from dialogue_engine.report.charts import line_chart
from dialogue_engine.report.markdown import plain_markdown
from dialogue_engine.report.dealchart import deal_plot_svg
from dialogue_engine.report.dealplot import DealPlot, bilateral_plot, party_plot
from dialogue_engine.report.objectives import NOT_MET, ObjectiveCheck, objective_checks
from dialogue_engine.report.outcome import Outcome, outcome_of
from dialogue_engine.report.scoring import ExerciseResult


@dataclass(frozen=True, kw_only=True)
class Moment:
    """One line of the timeline."""

    round: int
    what: str


@dataclass
class Report:
    """The report's content, rendered by :func:`to_markdown` and :func:`to_html`; ``outcome`` is the model
    every statement about the result is derived from."""

    title: str
    outcome: Outcome
    overview: list[tuple[str, str]]
    objectives: list[ObjectiveCheck]
    timeline: list[Moment]
    outcome_rows: list[list[str]]
    outcome_notes: list[str]
    strengths: list[str]
    improvements: list[str]
    plan: list[tuple[str, str, str, str]]
    coaching: list[tuple[str, list[tuple[str, bool | None, str, list[str]]]]]
    charts: list[tuple[str, str]] = field(default_factory=list)


def _f(x: float | None, nd: int = 2) -> str:
    if x is None:
        return "–"
    return f"{x:.{nd}f}".rstrip("0").rstrip(".") if isinstance(x, float) else str(x)


def _timeline(state: ExerciseState, outcome: Outcome) -> list[Moment]:
    out: list[Moment] = []
    rnd = 0
    seen_first: set[str] = set()
    name = state.base.party_name
    for ev in state.events:
        p = ev.payload
        if ev.kind == EventKind.ROUND_STARTED:
            rnd = int(p["round"])
        elif ev.kind == EventKind.STARTED:
            out.append(Moment(round=0, what="Exercise started (briefing)"))
        elif ev.kind == EventKind.INJECT_FIRED:
            out.append(Moment(round=rnd, what=f"Inject fired ({p.get('by', 'schedule')}): {p['title']}"))
        elif ev.kind == EventKind.PROPOSAL and not p.get("final") and ev.actor not in seen_first:
            seen_first.add(ev.actor)
            out.append(Moment(round=rnd, what=f"First proposal by {name(ev.actor)} (#{ev.seq})"))
        elif ev.kind == EventKind.PROPOSAL and p.get("final"):
            out.append(Moment(round=rnd, what=f"Final vote opened on {name(p.get('proposer', ''))}'s proposal"))
        elif ev.kind == EventKind.WALK_AWAY:
            out.append(Moment(round=rnd, what=f"{name(ev.actor)} walked away"))
        elif ev.kind in (EventKind.PAUSED, EventKind.RESUMED, EventKind.EXTENDED):
            extra = f" by {p.get('rounds')} round(s)" if ev.kind == EventKind.EXTENDED else ""
            out.append(Moment(round=rnd, what=f"Facilitator {ev.kind.value}{extra}"))
        elif ev.kind == EventKind.FORKED:
            out.append(Moment(round=rnd, what=_forked(p)))
        elif ev.kind == EventKind.AGENT_FALLBACK:
            out.append(Moment(round=rnd, what=f"{name(ev.actor)} fell back to the built-in realizer"))
        elif ev.kind == EventKind.ENDED:
            out.append(Moment(round=rnd, what=_ending(outcome, name)))
    return out


def _forked(payload: dict) -> str:
    """Where this exercise (or an earlier fork in its log) branched off: source id, event seq, seed."""
    at = int(payload["at"])
    seed = payload.get("seed")
    tail = f"; what follows plays under seed {seed}" if seed is not None else ""
    return (f"Forked from exercise {payload['source']} after its event #{at} "
            f"(events 1..{at} replay the source){tail}")


def _ending(outcome: Outcome, name) -> str:
    """The last moment: who proposed the deal and how each seat voted on it, or the ending without one."""
    if not outcome.agreement:
        return f"Ended without agreement: {outcome.reason}"
    votes = {True: [], False: [], None: []}
    for s in outcome.seats:
        votes[s.vote].append(s.name)
    parts = [f"Agreement: {outcome.reason}", f"proposed by {name(outcome.proposer)}" if outcome.proposer else ""]
    parts += [f"{label}: {', '.join(votes[v])}" for v, label in ((True, "voted for"), (False, "voted against"),
                                                              (None, "no vote")) if votes[v]]
    return "; ".join(p for p in parts if p)


def _chart_parties(state: ExerciseState) -> tuple[str, str]:
    humans = [p for p in state.party_ids if state.humans.get(p)]
    if len(humans) >= 2:
        return humans[0], humans[1]
    roles = {p.role: p.id for p in state.scenario.parties}
    first = humans[0] if humans else roles.get("p1", state.party_ids[0])
    second = roles.get("p2") if roles.get("p2") and roles.get("p2") != first else None
    second = second or next(p for p in state.party_ids if p != first)
    return first, second


def _deal_plot(state: ExerciseState, space: DealSpace) -> DealPlot:
    """Two parties: both totals; more: the first human seat (else role p1) against the others the rule needs."""
    a, b = _chart_parties(state)
    if len(state.party_ids) == 2:
        return bilateral_plot(state, a, b, space)
    return party_plot(state, a, space)


def _outcome_rows(outcome: Outcome) -> list[list[str]]:
    return [[s.name, _f(s.utility), _f(s.threshold), _f(s.margin), _f(s.at_nash), _f(s.best_passable),
             _f(s.left_on_table), _f(s.surplus_share)] for s in outcome.seats]


def _judgements(state: ExerciseState, result: ExerciseResult, outcome: Outcome) -> tuple[list[str], list[str]]:
    """(strengths, areas for improvement) about the outcome and the process, all read off ``outcome``."""
    strengths, improve = [], []
    if outcome.agreement:
        strengths.append(f"The parties reached a deal in round {outcome.round} of {state.total_rounds}.")
    else:
        improve.append(f"No agreement was reached although {outcome.passable} packages could have passed; revisit "
                       "which of them were never put on the table." if outcome.passable else
                       "No agreement was reached, and no package could pass the rule with these minimums.")
    if result.process.threshold_violations == 0:
        strengths.append("No AI seat accepted a deal below its threshold.")
    if outcome.short_of_nash():
        improve.append(
            "The deal is on the frontier but far from the Nash point: the gains over the minimums are split "
            "unevenly." if outcome.pareto_optimal else
            "The deal is short of the frontier and of the Nash point; more value could have been shared.")
    if outcome.near_max_welfare():
        strengths.append("The deal captured nearly all the joint value a passable deal can reach.")
    if result.process.citations_used:
        strengths.append(f"Arguments were grounded: {result.process.citations_used} citations to the knowledge base.")
    if state.injects:
        strengths.append(f"The table absorbed {len(state.injects)} inject(s).")
    if result.process.walkouts:
        improve.append("Parties walked away: " + ", ".join(state.base.party_name(p) for p in result.process.walkouts) + ".")
    return strengths, improve


def build_report(state: ExerciseState, result: ExerciseResult) -> Report:
    """Assemble the report's sections from the exercise state and its scores, through one outcome model."""
    space = DealSpace.from_scenario(state.scenario)
    outcome = outcome_of(state, result, space)
    seats = ", ".join(f"{state.base.party_name(p)} ({'human' if state.humans.get(p) else 'AI'})" for p in state.party_ids)
    overview = [
        ("Scenario", f"{state.base.title} (`{state.base.id}`)"),
        ("Seats", seats),
        ("Protocol", f"{state.protocol.value}, {result.process.rounds_played} of {state.total_rounds} rounds played"),
        ("Agreement rule", state.scenario.rule.describe(len(state.party_ids), state.scenario.veto_parties)),
        ("Seed", str(state.seed)),
        ("Outcome", outcome.verdict()[1]),
    ]
    if state.forked_from:
        overview.insert(1, ("Forked from", f"exercise `{state.forked_from}` after event #{state.forked_at}"))
    strengths, improve = _judgements(state, result, outcome)
    objectives = objective_checks(state, outcome)
    coaching = []
    plan = []
    for party, ch in result.coaching.items():
        crits = [(c.title, c.met if c.applies else None, c.feedback, c.quotes) for c in ch.criteria]
        coaching.append((state.base.party_name(party), crits))
        for c in ch.criteria:
            if not c.applies:
                continue
            if c.met:
                strengths.append(f"{state.base.party_name(party)}: {c.title.lower()}.")
            else:
                improve.append(f"{state.base.party_name(party)}: {c.title.lower()} — not yet.")
                plan.append((c.title, c.feedback, state.base.party_name(party), "next exercise"))
    for o in objectives:
        if o.status == NOT_MET:
            plan.append((o.objective, f"Rehearse with a focus on this objective ({o.evidence.rstrip('.')}).",
                         "Facilitator", "next session"))
    if not plan:
        plan.append(("Sustain", "Run the scenario again with a different seed or more human seats.", "Facilitator",
                     "next session"))
    plot = _deal_plot(state, space)
    traj = {state.base.party_name(p): v for p, v in result.trajectories.items()}
    thr = {state.base.party_name(p): t for p, t in result.thresholds.items()}
    charts = [("Utility of the proposal on the table, per round (dashed: thresholds)",
               line_chart(traj, "Utility trajectories", thresholds=thr)),
              (f"{plot.title}: " + ("every package, the passable ones, the Pareto frontier, the minimums, the Nash "
                                    "point and the proposals in order. " if result.agreement else
                                    "every package, the passable ones, the minimums and the proposals in order "
                                    "(no deal was reached). ") + plot.note, deal_plot_svg(plot))]
    return Report(title=f"After-action report: {state.base.title}", outcome=outcome, overview=overview,
                  objectives=objectives, timeline=_timeline(state, outcome), outcome_rows=_outcome_rows(outcome),
                  outcome_notes=outcome.statements(), strengths=strengths, improvements=improve, plan=plan,
                  coaching=coaching, charts=charts)


OUTCOME_HEAD = ["Party", "Utility", "Threshold", "Margin", "At Nash point", "Best passable", "Left on the table",
                "Surplus share"]
COLUMNS_NOTE = ("Best passable: the party's best total among deals that pass the rule on every minimum. Left on "
                "the table: what the party would gain in the passable deal that beats the outcome for some and "
                "for none less (0 on the frontier).")


def to_markdown(rep: Report) -> str:
    """The report as Markdown (charts live in the HTML version)."""
    md = [f"# {rep.title}", "", "## 1. Overview", ""]
    md += [f"- **{k}**: {v}" for k, v in rep.overview]
    md += ["", "## 2. Objectives", "", "| Objective | Status | Evidence |", "|---|---|---|"]
    md += [f"| {_cell(o.objective)} | {o.status} | {_cell(o.evidence)} |" for o in rep.objectives] or []
    if not rep.objectives:
        md += ["| (the scenario lists no learning objectives) | – | – |"]
    md += ["", "## 3. Timeline of key moments", ""]
    md += [f"- Round {m.round}: {m.what}" for m in rep.timeline]
    md += ["", "## 4. Outcome against the frontier and the Nash point", "",
           "| " + " | ".join(OUTCOME_HEAD) + " |", "|" + "---|" * len(OUTCOME_HEAD)]
    md += ["| " + " | ".join(_cell(c) for c in r) + " |" for r in rep.outcome_rows]
    md += ["", COLUMNS_NOTE, ""] + [f"- {n}" for n in rep.outcome_notes]
    md += ["", "## 5. Strengths", ""] + [f"- {s}" for s in rep.strengths or ["(none recorded)"]]
    md += ["", "## 6. Areas for improvement", ""] + [f"- {s}" for s in rep.improvements or ["(none recorded)"]]
    if rep.coaching:
        md += ["", "## 7. Coaching (human seats)", ""]
        for who, crits in rep.coaching:
            md += [f"### {who}", ""]
            for title, met, fb, quotes in crits:
                md.append(f"- {'–' if met is None else '✔' if met else '✘'} **{title}** — {fb}")
                md += [f"  > {plain_markdown(q)}" for q in quotes]
            md.append("")
    md += ["", "## Improvement plan", "", "| Area | Action | Owner | When |", "|---|---|---|---|"]
    md += [f"| {_cell(a)} | {_cell(b)} | {_cell(c)} | {_cell(d)} |" for a, b, c, d in rep.plan]
    md += ["", "## Charts", ""]
    md += [f"- {caption}" for caption, _ in rep.charts]
    md += ["", "The charts themselves are drawn in `report.html`.", ""]
    return "\n".join(md)


def _cell(x: str) -> str:
    return str(x).replace("|", "\\|").replace("\n", " ")


CSS = """body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;
color:#222}table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
th{background:#f3f3f3}.met{color:#2a7a2a}.not{color:#b22}.na{color:#777}blockquote{margin:.2em 1.5em;color:#555;
border-left:3px solid #ccc;padding-left:.6em}figure{margin:1em 0;overflow-x:auto}figure svg{max-width:none}figcaption{font-size:.9em;color:#555}"""


def to_html(rep: Report) -> str:
    """The report as one self-contained HTML page (inline CSS and SVG, no scripts or links)."""
    e = escape
    h = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{e(rep.title)}</title>"
         f"<style>{CSS}</style></head><body><h1>{e(rep.title)}</h1><h2>1. Overview</h2><ul>"]
    h += [f"<li><b>{e(k)}</b>: {e(v.replace('`', ''))}</li>" for k, v in rep.overview]
    h.append("</ul><h2>2. Objectives</h2><table><tr><th>Objective</th><th>Status</th><th>Evidence</th></tr>")
    for o in rep.objectives:
        cls = {"met": "met", "not met": "not"}.get(o.status, "na")
        h.append(f"<tr><td>{e(o.objective)}</td><td class='{cls}'>{e(o.status)}</td><td>{e(o.evidence)}</td></tr>")
    h.append("</table><h2>3. Timeline of key moments</h2><ul>")
    h += [f"<li>Round {m.round}: {e(m.what)}</li>" for m in rep.timeline]
    h.append("</ul><h2>4. Outcome against the frontier and the Nash point</h2><table><tr>")
    h += [f"<th>{e(c)}</th>" for c in OUTCOME_HEAD]
    h.append("</tr>")
    h += ["<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in rep.outcome_rows]
    h.append(f"</table><p class='na'>{e(COLUMNS_NOTE)}</p>")
    h += [f"<p>{e(n)}</p>" for n in rep.outcome_notes]
    for caption, svg in rep.charts:
        h.append(f"<figure>{svg}<figcaption>{e(caption)}</figcaption></figure>")
    h.append("<h2>5. Strengths</h2><ul>" + "".join(f"<li>{e(s)}</li>" for s in rep.strengths) + "</ul>")
    h.append("<h2>6. Areas for improvement</h2><ul>" + "".join(f"<li>{e(s)}</li>" for s in rep.improvements) + "</ul>")
    if rep.coaching:
        h.append("<h2>7. Coaching (human seats)</h2>")
        for who, crits in rep.coaching:
            h.append(f"<h3>{e(who)}</h3><ul>")
            for title, met, fb, quotes in crits:
                mark = ("<span class='na'>–</span>" if met is None else "<span class='met'>✔</span>" if met
                        else "<span class='not'>✘</span>")
                h.append(f"<li>{mark} <b>{e(title)}</b> — {e(fb)}"
                         + "".join(f"<blockquote>{e(q)}</blockquote>" for q in quotes) + "</li>")
            h.append("</ul>")
    h.append("<h2>Improvement plan</h2><table><tr><th>Area</th><th>Action</th><th>Owner</th><th>When</th></tr>")
    h += [f"<tr><td>{e(a)}</td><td>{e(b)}</td><td>{e(c)}</td><td>{e(d)}</td></tr>" for a, b, c, d in rep.plan]
    h.append("</table></body></html>")
    return "\n".join(h)
