"""Scripted solo conversations on every shipped scenario: do personas answer what they are asked?

Each scenario's first seat talks with its second through the same solo path as the app and ``chat``
(offline, built-in realizer, the default knowledge base). The script greets, asks about priorities, asks why,
asks a factual question, asks for the package, asks "do we have a deal?", states a red line, offers a
conditional trade, asks why again and closes. Measured, beside a same-run baseline with dialogue planning
switched off (the realizer then only states the move, as before planning existed):

- answer rate: question lines whose reply contains the requested content (priorities: an interest or issue
  named; why: a reason tied to an interest; fact: a figure with a citation, or a plain "no reliable figure";
  deal?: an explicit yes / not yet / our-offer-stands answer);
- questions read as acceptance (agreement recorded after a question line; target 0);
- pairs of replies in a conversation sharing a run of 12 or more words (target 0);
- citations of facilitator passages (target 0) and citations sharing at least two content words with the
  line and issue they answer (the grounding floor, so this is a consistency check, not an independent one);
- p95 latency of one turn (player line, reply, storage).
"""

from __future__ import annotations

import argparse
import logging
import re
import statistics
import sys
import time
from pathlib import Path

from _common import ROOT, ensure_src_on_path

ensure_src_on_path()

SCENARIOS = ["us-china-quiet-dialogue", "us-russia-quiet-dialogue", "loss-and-damage-facility",
             "pandemic-vaccine-partnership", "refugee-burden-sharing", "security-council-reform",
             "infrastructure-bank-accession", "dual-use-tech-guardrails"]
FACTS = {
    "us-china-quiet-dialogue": "How many countries count China as their largest trading partner?",
    "us-russia-quiet-dialogue": "When did the New START treaty's inspections stop?",
    "loss-and-damage-facility": "How much could loss and damage in developing countries cost by 2030?",
    "pandemic-vaccine-partnership": "How many doses did COVAX deliver in the end?",
    "refugee-burden-sharing": "How many Syrian refugees does Türkiye host?",
    "security-council-reform": "How many times has the veto been used since the end of the Cold War?",
    "infrastructure-bank-accession": "When did the United Kingdom join the Asian Infrastructure Investment Bank?",
    "dual-use-tech-guardrails": "Who came up with the four buckets for technology?",
}
NO_FIGURE = re.compile(r"\b(rather not quote a figure|no figure on that|no reliable number)\b", re.I)
ACCEPT_ANSWER = re.compile(r"\b(yes|not yet|not as it stands|not on these terms|our offer is on the table|"
                           r"your acceptance would close it|becomes a deal|no package on the table|full package)\b", re.I)


def script(scenario, persona) -> list[tuple[str, str]]:
    """(kind, line) pairs; ``{red}`` is filled in with an option of the persona's standing offer."""
    first, second = scenario.issues[0].title.lower(), scenario.issues[-1].title.lower()
    name = persona.short_name or persona.name
    return [
        ("greet", "Good morning, and thank you for meeting us."),
        ("ask_priorities", f"What does {name} most need from these talks?"),
        ("ask_why", f"Why does the question of {first} matter so much to you?"),
        ("ask_fact", FACTS[scenario.id]),
        ("ask_package", "What do you propose?"),
        ("ask_acceptance", "Do we have a deal?"),
        ("reject", "{red} is a red line for us; we cannot accept it."),
        ("trade", f"If you move on {first}, we can move on {second}."),
        ("ask_why", "Why should we accept that?"),
        ("greet", "Thank you; let us talk again tomorrow."),
    ]


def answered(kind: str, reply: str, persona, scenario, citations: list) -> str:
    """'yes', 'declined' (an honest no-figure answer) or 'no'."""
    low = reply.lower()
    if kind == "ask_priorities":
        named = [i.name.lower() for i in persona.interests] + [i.title.lower() for i in scenario.issues]
        return "yes" if any(n in low for n in named) else "no"
    if kind == "ask_why":
        words = {w for i in persona.interests for w in re.findall(r"[a-z]{5,}", f"{i.name} {i.description}".lower())}
        reason = re.search(r"\b(because|reason|protecting|at stake|we need|on the line|it's about|is about)\b", low)
        return "yes" if reason and any(w in low for w in words) else "no"
    if kind == "ask_fact":
        if re.search(r"\d", reply) and citations:
            return "yes"
        return "declined" if NO_FIGURE.search(reply) else "no"
    if kind == "ask_acceptance":
        return "yes" if ACCEPT_ANSWER.search(reply) else "no"
    return "n/a"


def shared_runs(replies: list[str], n: int = 12) -> int:
    """Pairs of replies that share a run of ``n`` or more words."""
    grams = []
    for text in replies:
        words = re.findall(r"[a-z0-9']+", text.lower())
        grams.append({tuple(words[i:i + n]) for i in range(len(words) - n + 1)})
    return sum(1 for i in range(len(grams)) for j in range(i + 1, len(grams)) if grams[i] & grams[j])


def facilitator_chunks() -> set[str]:
    """Chunk ids of passages written for facilitators (from the shipped notes, as the store has them)."""
    from dialogue_engine.knowledge.chunking import chunk_document
    from dialogue_engine.knowledge.loading import load_document
    from dialogue_engine.knowledge.types import AUDIENCE_FACILITATOR

    out = set()
    for path in sorted((ROOT / "knowledge").glob("*.md")):
        out |= {c.chunk_id for c in chunk_document(load_document(path)) if AUDIENCE_FACILITATOR in c.tags}
    return out


def converse(runtime, scenario_id: str, seed: int) -> dict:
    from dialogue_engine.agents.grounding import relevance
    from dialogue_engine.domain import load_scenario, persona_for
    from dialogue_engine.exercise.solo import latest_offer

    scen = load_scenario(scenario_id)
    human, ai = scen.parties[0].id, scen.parties[1].id
    persona = persona_for(scen.party(ai))
    svc = runtime.service(runtime.store("sqlite://"))
    info = svc.create_solo(scen, human, ai, seed=seed)
    code = next(s.code for s in info.seats if s.party == human)
    svc.join(code)
    out = {"answers": [], "misread": 0, "replies": [], "citations": [], "relevant": 0, "latency": [], "lines": []}
    for kind, line in script(scen, persona):
        if svc.state(info.exercise_id).ended:
            break
        if "{red}" in line:
            offer = latest_offer(svc.seat_view(code), human)
            label = scen.describe_deal(offer.deal)[-1][1] if offer else scen.issues[-1].options[0].label
            line = line.format(red=label)
        start = time.perf_counter()
        reply = svc.solo_send(code, text=line)[-1]
        out["latency"].append(time.perf_counter() - start)
        out["lines"].append((line, reply.text))
        out["replies"].append(reply.text)
        state = svc.state(info.exercise_id)
        if kind.startswith("ask_") and state.ended and (state.outcome or {}).get("agreement"):
            out["misread"] += 1
        if kind in ("ask_priorities", "ask_why", "ask_fact", "ask_acceptance"):
            out["answers"].append(answered(kind, reply.text, persona, scen, reply.citations))
        for c in reply.citations:
            out["citations"].append(c.chunk_id)
            topic = " ".join([line, scen.title, scen.summary,
                              *(f"{i.title} {i.description} {' '.join(o.label for o in i.options)}" for i in scen.issues)])
            out["relevant"] += relevance(c.text, topic) >= 2
    svc.store.dispose()
    return out


def run(runtime, seeds: int, planned: bool) -> dict:
    from dialogue_engine.agents.agent import PersonaAgent
    from dialogue_engine.agents.planning import DialoguePlan

    original = PersonaAgent._plan
    if not planned:
        PersonaAgent._plan = lambda self, ctx, perception, move, passages, fact: DialoguePlan(move=move, restate=True)
    try:
        results = [converse(runtime, sid, seed) for sid in SCENARIOS for seed in range(seeds)]
    finally:
        PersonaAgent._plan = original
    return {"results": results}


def summary(results: list[dict], facilitator: set[str]) -> dict[str, str]:
    answers = [a for r in results for a in r["answers"]]
    asked = len(answers)
    yes = sum(a == "yes" for a in answers)
    declined = sum(a == "declined" for a in answers)
    cites = [c for r in results for c in r["citations"]]
    lat = sorted(x for r in results for x in r["latency"])
    p95 = lat[int(0.95 * (len(lat) - 1))] * 1000 if lat else 0.0
    return {
        "answer rate": f"{(yes + declined) / asked:.3f} ({yes} answered, {declined} no-figure, of {asked})",
        "questions read as acceptance": str(sum(r["misread"] for r in results)),
        "reply pairs sharing 12 words": str(sum(shared_runs(r["replies"]) for r in results)),
        "facilitator citations": f"{sum(c in facilitator for c in cites)} of {len(cites)}",
        "citations over the floor": f"{sum(r['relevant'] for r in results) / max(1, len(cites)):.3f}",
        "turn latency p50 / p95 ms": f"{statistics.median(lat) * 1000:.0f} / {p95:.0f}" if lat else "n/a",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=3, help="conversations per scenario")
    parser.add_argument("--show", action="store_true", help="print the first conversation of each scenario")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from dialogue_engine.exercise.runtime import build_runtime

    runtime = build_runtime(build_index=True)
    facilitator = facilitator_chunks()
    ours = run(runtime, args.seeds, planned=True)["results"]
    base = run(runtime, args.seeds, planned=False)["results"]
    a, b = summary(ours, facilitator), summary(base, facilitator)
    print(f"{len(SCENARIOS)} scenarios x {args.seeds} seeds, {sum(len(r['lines']) for r in ours)} turns")
    print(f"{'measure':<32}{'planned (ours)':<44}{'no planning (baseline)'}")
    for key in a:
        print(f"{key:<32}{a[key]:<44}{b[key]}")
    if args.show:
        for r, sid in zip(ours[::args.seeds], SCENARIOS):
            print(f"\n## {sid}")
            for line, reply in r["lines"]:
                print(f"> {line}\n{reply}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
