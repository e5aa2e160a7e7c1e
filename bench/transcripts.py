"""Write the sample transcripts in ``docs/transcripts/`` (offline, built-in realizer, the default knowledge base).

Two solo practice talks (the player holds the U.S. seat against China, then against Russia) and one exercise
with six seats where one human (the European Union) plays beside five AI seats. The player's lines are
scripted here; everything else is what the engine says. Run from a checkout: ``python bench/transcripts.py``.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from _common import ROOT, ensure_src_on_path

ensure_src_on_path()

OUT = ROOT / "docs" / "transcripts"

US_CHINA = [  # the scenario's clock runs six rounds: one line a round
    "Good evening, Ambassador, and thank you for coming. Before any package: what does Beijing most need to "
    "take home from this channel?",
    "Why does the wording on the Strait matter so much to your leadership right now?",
    "For us the first thing is a military crisis channel that actually works. What do you propose?",
    "A line opposing independence is off the table for us; Congress would never accept it.",
    "If you can live with rules for unplanned encounters at sea and in the air, we could let technology "
    "restrictions lead the agenda.",
    "Do we have a deal?",
]
US_RUSSIA = [
    "Good morning, Deputy Minister. Help me understand what Moscow would need for these talks to be worth it.",
    "Why does Moscow insist on bundling missile defence into any conversation about limits?",
    "How many deployed warheads did each side keep under the old treaty? And what do you propose?",
    "Broad sanctions relief while the war goes on is a red line for us.",
    "If you agree to notifications and a resumed data exchange, I can take waivers for gas payments home.",
    "We accept.",
]
EXERCISE_LINES = {  # round -> lines the human (European Union) says in the statements phase
    1: [("public", None, "Good morning all. Brussels' first concern is human control over anything nuclear; "
                         "what do the others most need from this round?")],
    2: [("private", "china", "Between us: why is Beijing so wary of joint testing by the safety institutes?"),
        ("public", None, "United States, why do chip controls have to stay purely national?")],
    3: [("public", None, "If China backs a shared screening regime for DNA synthesis, we can move on chips.")],
}


def _solo(runtime, scenario_id: str, persona: str, lines: list[str]) -> str:
    from dialogue_engine.domain import load_scenario
    from dialogue_engine.exercise.chat_cli import SoloChat
    from dialogue_engine.exercise.errors import ExerciseError
    from dialogue_engine.exercise.solo import pick_seats

    scen = load_scenario(scenario_id)
    human, ai = pick_seats(scen, persona)
    out = [f"# {scen.title}: solo practice\n", f"You hold **{scen.party(human).name}**; the persona holds "
           f"**{scen.party(ai).name}**. Offline, built-in realizer, seed 1. Your lines are scripted; every reply "
           "is the engine's.\n"]
    with runtime.scratch_store() as store:
        chat = SoloChat(runtime.service(store), scen, human, ai, seed=1)
        for line in lines:
            if chat.ended:
                break
            try:
                result = chat.say(line)
            except ExerciseError as err:
                out.append(f"**You:** {line}\n\n*error: {err}*\n")
                continue
            for event in result.get("events", []):
                out.append(f"> **News, round {result.get('round')}: {event['title']}.** {event['text']}\n")
            out.append(f"**You:** {line}\n")
            acts = ", ".join((result.get("understood") or {}).get("acts", [])) or "-"
            out.append(f"**{chat.counterpart_name}:** {result['message']}\n")
            notes = [f"understood: {acts}", f"move: {result['move']}"]
            if result.get("offer"):
                notes.append(f"offer #{result['offer']} on the table")
            out.append(f"<sub>{'; '.join(notes)}</sub>\n")
            for c in result["citations"]:
                out.append(f"<sub>[{c['n']}] {c['source']}</sub>\n")
        out.append(f"*{chat.ending() if chat.ended else '(the talk is still open)'}*\n")
    return "\n".join(out)


def _exercise(runtime) -> str:
    from dialogue_engine.domain import load_scenario

    scen = load_scenario("dual-use-tech-guardrails")
    human = "european-union"
    with runtime.scratch_store() as store:
        svc = runtime.service(store)
        info = svc.create(scen, [human], seed=3)
        code = next(s.code for s in info.seats if s.party == human)
        fc = info.facilitator_code
        svc.join(code)
        svc.start(fc)
        for _ in range(200):
            state = svc.state(info.exercise_id)
            if state.ended:
                break
            if state.phase.value == "statements" and not any(
                    m.speaker == human and m.round == state.round for m in state.messages):
                for channel, to, text in EXERCISE_LINES.get(state.round, []):
                    svc.post_message(code, text, to=to if channel == "private" else None)
            svc.advance(fc)
        state = svc.state(info.exercise_id)
    names = {p.id: p.name or p.id for p in scen.parties}
    out = [f"# {scen.title}: an exercise with six seats\n",
           f"One human seat (**{names[human]}**) and five AI seats, offline, built-in realizer, seed 3. The human's "
           "lines are scripted; the facilitator only advances the clock. Private lines are marked.\n"]
    last_round = 0
    inject_rounds = {i.round: i for i in state.injects}
    for m in state.messages:
        if m.round != last_round:
            last_round = m.round
            out.append(f"\n## Round {m.round}\n")
            if m.round in inject_rounds:
                inj = inject_rounds[m.round]
                out.append(f"> **News: {inj.title}.** {inj.text}\n")
        where = "" if m.channel.value == "public" else f" *(private to {', '.join(names.get(r, r) for r in m.recipients)})*"
        who = names.get(m.speaker, m.speaker.capitalize())
        out.append(f"**{who}**{where}: {m.text}\n")
    outcome = state.outcome or {}
    if outcome.get("agreement"):
        deal = "; ".join(f"{t}: {o}" for t, o in scen.describe_deal(outcome["deal"]))
        out.append(f"\n*Agreement in round {outcome.get('round')}: {deal}.*\n")
    else:
        out.append(f"\n*No agreement ({outcome.get('reason', 'the exercise did not end')}).*\n")
    return "\n".join(out)


def main() -> int:
    logging.basicConfig(level=logging.WARNING)
    from dialogue_engine.exercise.runtime import build_runtime

    runtime = build_runtime(build_index=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "solo-us-china.md").write_text(_solo(runtime, "us-china-quiet-dialogue", "china", US_CHINA),
                                          encoding="utf-8")
    (OUT / "solo-us-russia.md").write_text(_solo(runtime, "us-russia-quiet-dialogue", "russia", US_RUSSIA),
                                           encoding="utf-8")
    (OUT / "exercise-six-seats.md").write_text(_exercise(runtime), encoding="utf-8")
    print(f"wrote {OUT}/solo-us-china.md, solo-us-russia.md, exercise-six-seats.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
