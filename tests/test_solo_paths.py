"""One solo path: ``dialogue-engine chat`` and the app's solo page give the same replies and agreement."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from dialogue_engine.cli import app
from dialogue_engine.domain import load_scenario
from dialogue_engine.exercise.service import ExerciseService
from dialogue_engine.ui.solo import SoloSession, latest_offer

MINI = Path(__file__).parent / "data" / "mini_scenario.yaml"
SCRIPT = [
    "Hello, what do you need?",
    "Do we have a deal?",  # a question agrees to nothing, in either path
    "/propose A=A1 B=B3 This one suits us.",
    "/accept!",  # the page's accept button with its below-your-minimum box ticked
]


def _page_turn(session: SoloSession, svc: ExerciseService, line: str) -> dict:
    """What a player does on the solo page for one script line: chat input, proposal form or accept button."""
    words = line.split()
    if words[0] == "/accept!":
        offer = latest_offer(session.view(svc), session.human_party)
        session.accept(svc, offer.id, confirm=True)
        return {"move": "accept", "proposal": offer.deal}
    if words[0] == "/propose":
        deal = dict(w.split("=", 1) for w in words[1:] if "=" in w)
        reply = session.send(svc, text=" ".join(w for w in words[1:] if "=" not in w), proposal=deal)[-1]
    else:
        reply = session.send(svc, text=line)[-1]
    assert reply.speaker == session.counterpart_party
    return {"message": reply.text, "move": reply.move, "proposal": reply.proposal}


def test_chat_and_the_solo_page_agree_line_for_line(tmp_path):
    out = CliRunner().invoke(app, ["chat", str(MINI), "--persona", "beta", "--as", "alpha", "--json", "--no-kb",
                                   "--seed", "5"], input="\n".join(SCRIPT) + "\n")
    assert out.exit_code == 0, out.output
    chat = [json.loads(line) for line in out.stdout.splitlines()]

    svc = ExerciseService(database_url=f"sqlite:///{tmp_path / 'app.db'}")
    session = SoloSession.start(svc, load_scenario(MINI), "alpha", "beta", seed=5)
    page, agreed = [], []
    for line in SCRIPT:
        page.append(_page_turn(session, svc, line))
        outcome = session.view(svc).outcome
        agreed.append(bool(outcome and outcome.agreement))

    assert len(chat) == len(page) == len(SCRIPT)
    for c, p in zip(chat, page):
        assert {k: c[k] for k in p if k != "message"} == {k: v for k, v in p.items() if k != "message"}
        if "message" in p:
            assert c["message"] == p["message"] and c["persona"] == "beta"
    assert [c["agreed"] for c in chat] == agreed
    assert agreed == [False, False, False, True]
    assert session.view(svc).outcome.deal == chat[-1]["proposal"]
