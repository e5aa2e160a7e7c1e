"""HSEEP-style after-action report of an exercise: Markdown and self-contained HTML with inline SVG charts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape

import numpy as np

from dialogue_engine.domain.deal import Deal
from dialogue_engine.exercise.events import EventKind
from dialogue_engine.exercise.state import ExerciseState
from dialogue_engine.negotiation.space import DealSpace
from dialogue_engine.report.charts import line_chart, scatter_chart
from dialogue_engine.report.scoring import ExerciseResult


@dataclass(frozen=True)
class ObjectiveCheck:
    """One learning objective and whether the evidence shows it met."""

    objective: str
    status: str
    evidence: str


@dataclass(frozen=True)
class Moment:
    round: int
    what: str


@dataclass
class Report:
    """The report's content, rendered by :func:`to_markdown` and :func:`to_html`."""

    title: str
    overview: list[tuple[str, str]]
    objectives: list[ObjectiveCheck]
    timeline: list[Moment]
    outcome_rows: list[list[str]]
    outcome_notes: list[str]
    strengths: list[str]
    improvements: list[str]
    plan: list[tuple[str, str, str, str]]
    coaching: list[tuple[str, list[tuple[str, bool, str, list[str]]]]]
    charts: list[tuple[str, str]] = field(default_factory=list)


def _f(x: float | None, nd: int = 2) -> str:
    if x is None:
        return "–"
    return f"{x:.{nd}f}".rstrip("0").rstrip(".") if isinstance(x, float) else str(x)


def _pareto_optimal(space: DealSpace, deal: Deal | None) -> bool | None:
    if deal is None:
        return None
    u = space.utilities[space.index_of(deal)]
    cand = space.utilities[space.passes]
    dominated = np.any(np.all(cand >= u - 1e-9, axis=1) & np.any(cand > u + 1e-9, axis=1))
    return not bool(dominated)


def _objectives(state: ExerciseState, result: ExerciseResult) -> list[ObjectiveCheck]:
    coach = list(result.coaching.values())
    m = result.metrics
    nash_ratio = m.get("nash_ratio")
    welfare_ratio = m.get("welfare_ratio")

    def crit(cid: str) -> bool | None:
        if not coach:
            return None
        return any(c.id == cid and c.met for ch in coach for c in ch.criteria)

    post_inject = any(p.id > i.seq for i in state.injects for p in state.proposals.values() if not p.final)
    rules: list[tuple[str, callable]] = [
        (r"interest|need", lambda: (crit("asked_interests"), "a human seat asked about the other side's interests"
                                    if crit("asked_interests") else "no human line asked about interests")),
        (r"listen|acknowledg|empath|trust|relationship|respect", lambda: (
            crit("acknowledged"), "lines acknowledging the other side" if crit("acknowledged") else
            "no acknowledging line from a human seat")),
        (r"evidence|ground|source|cite|fact|data", lambda: (
            result.process.citations_used > 0 or bool(crit("used_evidence")),
            f"{result.process.citations_used} citations used in the transcript")),
        (r"threshold|batna|walk|bottom.line|reservation|red.line", lambda: (
            result.process.threshold_violations == 0 and all(s.above_threshold is not False for s in result.seats),
            f"{result.process.threshold_violations} votes below a threshold; every seat "
            + ("at or above its threshold" if result.agreement else "kept its alternative (no deal)"))),
        (r"fair|equit|balanc|nash", lambda: (
            bool(result.agreement and (nash_ratio or 0) >= 0.8),
            f"Nash ratio {_f(nash_ratio)}, Gini {_f(m.get('gini'))}" if result.agreement else "no agreement")),
        (r"package|trade|logroll|creative|integrative|value|welfare|pareto", lambda: (
            bool(result.agreement and (welfare_ratio or 0) >= 0.9) or bool(crit("packaged")),
            f"welfare ratio {_f(welfare_ratio)}" if result.agreement else "no agreement")),
        (r"inject|shock|crisis|adapt|chang|disrupt", lambda: (
            bool(state.injects) and post_inject,
            f"{len(state.injects)} injects fired; " + ("new proposals followed them" if post_inject
                                                        else "no proposal followed them"))),
        (r"coalition|alliance|bloc|quorum|majorit", lambda: (
            result.agreement, "a deal passed under the rule " + state.scenario.rule.kind.value
            if result.agreement else "no coalition carried a deal")),
        (r"agree|deal|consensus|settle|outcome|close", lambda: (
            result.agreement, f"deal reached in round {result.round}" if result.agreement else
            f"no agreement ({result.reason})")),
    ]
    out = []
    for obj in state.base.learning_objectives:
        for pattern, check in rules:
            if re.search(pattern, obj, re.I):
                met, evidence = check()
                status = "not assessed" if met is None else ("met" if met else "not met")
                out.append(ObjectiveCheck(obj, status, evidence if met is not None else
                                          "needs a human seat to assess; facilitator judgment"))
                break
        else:
            out.append(ObjectiveCheck(obj, "not assessed", "no automatic evidence; facilitator judgment"))
    return out


def _timeline(state: ExerciseState) -> list[Moment]:
    out: list[Moment] = []
    rnd = 0
    seen_first: set[str] = set()
    for ev in state.events:
        p = ev.payload
        if ev.kind == EventKind.ROUND_STARTED:
            rnd = int(p["round"])
        elif ev.kind == EventKind.STARTED:
            out.append(Moment(0, "Exercise started (briefing)"))
        elif ev.kind == EventKind.INJECT_FIRED:
            out.append(Moment(rnd, f"Inject fired ({p.get('by', 'schedule')}): {p['title']}"))
        elif ev.kind == EventKind.PROPOSAL and not p.get("final") and ev.actor not in seen_first:
            seen_first.add(ev.actor)
            out.append(Moment(rnd, f"First proposal by {state.base.party_name(ev.actor)} (#{ev.seq})"))
        elif ev.kind == EventKind.PROPOSAL and p.get("final"):
            out.append(Moment(rnd, f"Final vote opened on {state.base.party_name(p.get('proposer', ''))}'s proposal"))
        elif ev.kind == EventKind.WALK_AWAY:
            out.append(Moment(rnd, f"{state.base.party_name(ev.actor)} walked away"))
        elif ev.kind in (EventKind.PAUSED, EventKind.RESUMED, EventKind.EXTENDED):
            extra = f" by {p.get('rounds')} round(s)" if ev.kind == EventKind.EXTENDED else ""
            out.append(Moment(rnd, f"Facilitator {ev.kind.value}{extra}"))
        elif ev.kind == EventKind.AGENT_FALLBACK:
            out.append(Moment(rnd, f"{state.base.party_name(ev.actor)} fell back to the built-in realizer"))
        elif ev.kind == EventKind.ENDED:
            out.append(Moment(rnd, ("Agreement: " if p.get("agreement") else "Ended without agreement: ")
                              + str(p.get("reason", ""))))
    return out


def _chart_parties(state: ExerciseState) -> tuple[str, str]:
    humans = [p for p in state.party_ids if state.humans.get(p)]
    if len(humans) >= 2:
        return humans[0], humans[1]
    roles = {p.role: p.id for p in state.scenario.parties}
    first = humans[0] if humans else roles.get("p1", state.party_ids[0])
    second = roles.get("p2") if roles.get("p2") and roles.get("p2") != first else None
    second = second or next(p for p in state.party_ids if p != first)
    return first, second


def _deal_space_chart(state: ExerciseState, result: ExerciseResult, space: DealSpace) -> str:
    from dialogue_engine.negotiation.pareto import pareto_indexes

    a, b = _chart_parties(state)
    ia, ib = space.party_index(a), space.party_index(b)
    u = space.utilities
    pts = list(zip(u[:, ia].round(6).tolist(), u[:, ib].round(6).tolist()))
    pas = np.flatnonzero(space.passes)
    passable = [pts[i] for i in pas]
    pool = pas if pas.size else np.arange(space.size)
    front_idx = pool[pareto_indexes(np.round(u[pool][:, [ia, ib]], 9))]
    frontier = [pts[i] for i in front_idx]
    nash = None
    nd = (result.metrics.get("nash") or {}).get("deal") if isinstance(result.metrics.get("nash"), dict) else None
    if nd:
        try:
            nash = pts[space.index_of(nd)]
        except KeyError:
            nash = None
    outcome = pts[space.index_of(result.deal)] if result.deal else None
    return scatter_chart(pts, frontier, f"Deal space: {state.base.party_name(a)} vs {state.base.party_name(b)}",
                         xlabel=f"{state.base.party_name(a)} utility", ylabel=f"{state.base.party_name(b)} utility",
                         passable=passable, nash=nash, outcome=outcome,
                         thresholds=(float(space.thresholds[ia]), float(space.thresholds[ib])))


def build_report(state: ExerciseState, result: ExerciseResult) -> Report:
    """Assemble the report's sections from the exercise state and its scores."""
    space = DealSpace.from_scenario(state.scenario)
    m = result.metrics
    seats = ", ".join(f"{state.base.party_name(p)} ({'human' if state.humans.get(p) else 'AI'})" for p in state.party_ids)
    overview = [
        ("Scenario", f"{state.base.title} (`{state.base.id}`)"),
        ("Seats", seats),
        ("Protocol", f"{state.protocol.value}, {result.process.rounds_played} of {state.total_rounds} rounds played"),
        ("Agreement rule", state.scenario.rule.describe(len(state.party_ids), state.scenario.veto_parties)),
        ("Seed", str(state.seed)),
        ("Outcome", ("Agreement: " + "; ".join(f"{t}: {o}" for t, o in result.deal_lines)) if result.agreement
         else f"No agreement ({result.reason})"),
    ]
    nash = m.get("nash") if isinstance(m.get("nash"), dict) else {}
    nash_u = nash.get("utilities", {}) if nash else {}
    rows = []
    for s in result.seats:
        rows.append([s.name, _f(s.utility), _f(s.threshold), _f(s.margin), _f(nash_u.get(s.party)), _f(s.best),
                     _f(s.surplus_share)])
    notes = []
    if result.agreement:
        po = _pareto_optimal(space, result.deal)
        notes.append(f"Nash ratio {_f(m.get('nash_ratio'))}, welfare ratio {_f(m.get('welfare_ratio'))}, "
                     f"Gini of surplus {_f(m.get('gini'))}.")
        notes.append("The outcome is on the Pareto frontier of passable deals." if po else
                     "Another passable deal would have left some party better off and none worse off.")
    else:
        notes.append(f"No deal: every party falls back on its alternative. {int(space.passes.sum())} of "
                     f"{space.size} deals would have passed the rule.")
    strengths, improve = [], []
    if result.agreement:
        strengths.append(f"The parties reached a deal in round {result.round} of {state.total_rounds}.")
    else:
        improve.append("No agreement was reached; revisit which passable packages were never put on the table.")
    if result.process.threshold_violations == 0:
        strengths.append("No AI seat accepted a deal below its threshold.")
    if result.agreement and (m.get("nash_ratio") or 0) < 0.8:
        improve.append("The deal sits well short of the Nash point; more value could have been shared.")
    if result.agreement and (m.get("welfare_ratio") or 0) >= 0.95:
        strengths.append("The deal captured nearly all the joint value available.")
    if result.process.citations_used:
        strengths.append(f"Arguments were grounded: {result.process.citations_used} citations to the knowledge base.")
    if state.injects:
        strengths.append(f"The table absorbed {len(state.injects)} inject(s).")
    if result.process.walkouts:
        improve.append("Parties walked away: " + ", ".join(state.base.party_name(p) for p in result.process.walkouts) + ".")
    coaching = []
    plan = []
    for party, ch in result.coaching.items():
        crits = [(c.title, c.met, c.feedback, c.quotes) for c in ch.criteria]
        coaching.append((state.base.party_name(party), crits))
        for c in ch.criteria:
            if c.met:
                strengths.append(f"{state.base.party_name(party)}: {c.title.lower()}.")
            else:
                improve.append(f"{state.base.party_name(party)}: {c.title.lower()} — not yet.")
                plan.append((c.title, c.feedback, state.base.party_name(party), "next exercise"))
    for o in _objectives(state, result):
        if o.status == "not met":
            plan.append((o.objective, f"Rehearse with a focus on this objective ({o.evidence}).", "Facilitator",
                         "next session"))
    if not plan:
        plan.append(("Sustain", "Run the scenario again with a different seed or more human seats.", "Facilitator",
                     "next session"))
    traj = {state.base.party_name(p): v for p, v in result.trajectories.items()}
    thr = {state.base.party_name(p): t for p, t in result.thresholds.items()}
    charts = [("Utility of the proposal on the table, per round (dashed: thresholds)",
               line_chart(traj, "Utility trajectories", thresholds=thr)),
              ("The deal space with the frontier, the Nash point and the outcome",
               _deal_space_chart(state, result, space))]
    return Report(title=f"After-action report: {state.base.title}", overview=overview,
                  objectives=_objectives(state, result), timeline=_timeline(state), outcome_rows=rows,
                  outcome_notes=notes, strengths=strengths, improvements=improve, plan=plan, coaching=coaching,
                  charts=charts)


OUTCOME_HEAD = ["Party", "Utility", "Threshold", "Margin", "At Nash point", "Best possible", "Surplus share"]


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
    md += [""] + rep.outcome_notes
    md += ["", "## 5. Strengths", ""] + [f"- {s}" for s in rep.strengths or ["(none recorded)"]]
    md += ["", "## 6. Areas for improvement", ""] + [f"- {s}" for s in rep.improvements or ["(none recorded)"]]
    if rep.coaching:
        md += ["", "## 7. Coaching (human seats)", ""]
        for who, crits in rep.coaching:
            md += [f"### {who}", ""]
            for title, met, fb, quotes in crits:
                md.append(f"- {'✔' if met else '✘'} **{title}** — {fb}")
                md += [f"  > {q}" for q in quotes]
            md.append("")
    md += ["", "## Improvement plan", "", "| Area | Action | Owner | When |", "|---|---|---|---|"]
    md += [f"| {_cell(a)} | {_cell(b)} | {_cell(c)} | {_cell(d)} |" for a, b, c, d in rep.plan]
    md += ["", "Charts (utility trajectories, deal space) are in `report.html`.", ""]
    return "\n".join(md)


def _cell(x: str) -> str:
    return str(x).replace("|", "\\|").replace("\n", " ")


CSS = """body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;
color:#222}table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
th{background:#f3f3f3}.met{color:#2a7a2a}.not{color:#b22}.na{color:#777}blockquote{margin:.2em 1.5em;color:#555;
border-left:3px solid #ccc;padding-left:.6em}figure{margin:1em 0}figcaption{font-size:.9em;color:#555}"""


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
    h.append("</table>")
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
                mark = "<span class='met'>✔</span>" if met else "<span class='not'>✘</span>"
                h.append(f"<li>{mark} <b>{e(title)}</b> — {e(fb)}"
                         + "".join(f"<blockquote>{e(q)}</blockquote>" for q in quotes) + "</li>")
            h.append("</ul>")
    h.append("<h2>Improvement plan</h2><table><tr><th>Area</th><th>Action</th><th>Owner</th><th>When</th></tr>")
    h += [f"<tr><td>{e(a)}</td><td>{e(b)}</td><td>{e(c)}</td><td>{e(d)}</td></tr>" for a, b, c, d in rep.plan]
    h.append("</table></body></html>")
    return "\n".join(h)
