"""A private line to an AI seat stays private: answered to its sender only, never restated at the table."""

from __future__ import annotations

from dialogue_engine.agents.types import MoveKind, Reply
from dialogue_engine.domain import load_scenario
from dialogue_engine.exercise.service import ExerciseService
from dialogue_engine.exercise.testing import StandInAgent
from dialogue_engine.exercise.views import Channel

SCENARIO = "pandemic-vaccine-partnership"
SECRET = "our floor is the second tranche"


class EchoAgent(StandInAgent):
    """Says back whatever it heard last, as an LLM that restates its input would."""

    async def respond(self, ctx):
        heard = ctx.incoming.text if ctx.incoming is not None and ctx.incoming.text else "nothing new"
        return Reply(persona=self.party_id, party=self.party_id, message=f"I heard: {heard}",
                     move=MoveKind.ACKNOWLEDGE)


def _echo(persona, scenario, party_id, *, retriever=None, realizer=None, seed=0):
    return EchoAgent(persona, scenario, party_id, retriever=retriever, realizer=realizer, seed=seed)


def test_a_private_line_is_answered_privately_and_never_restated_in_public(tmp_path):
    scen = load_scenario(SCENARIO)
    ai = scen.parties[0].id
    humans = [p.id for p in scen.parties[1:]]
    svc = ExerciseService(database_url=f"sqlite:///{tmp_path / 'ex.db'}", agent_factory=_echo)
    info = svc.create(scen, humans, seed=2)
    fac, sender = info.facilitator_code, humans[0]
    code = next(s.code for s in info.seats if s.party == sender)
    svc.start(fac)
    svc.advance(fac)  # round 1 opens
    svc.advance(fac)  # statements
    svc.post_message(code, f"Just between us: {SECRET}.", to=ai)
    for _ in range(4):  # the AI seat speaks in the following phases; nobody else says anything
        svc.step(info.exercise_id)
        svc.advance(fac)
    state = svc.state(info.exercise_id)
    said = [m for m in state.messages if m.speaker == ai]
    assert said, "the AI seat said nothing"
    private = [m for m in said if SECRET in m.text]
    assert private and all(m.channel == Channel.PRIVATE and m.recipients == [sender] for m in private)
    public = [m.text for m in state.messages if m.channel == Channel.PUBLIC]
    assert not any(SECRET in text for text in public), public
    other = next(s.code for s in info.seats if s.party == humans[1])
    assert not any(SECRET in m.text for m in svc.seat_view(other).transcript + svc.seat_view(other).private)
