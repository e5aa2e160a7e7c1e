"""Table discipline in exercises (#12 item 5): one proposal per AI seat per round, no duplicates of a live
package, superseded proposals withdrawn, one-line vote reasons, real evaluation of human proposals, and a
voting window before Advance fails a proposal."""

from __future__ import annotations

import collections
import re

import pytest

from dialogue_engine.agents.guard import private_numbers
from dialogue_engine.agents.reasons import deciding_issue, vote_reason
from dialogue_engine.agents.types import MoveKind, Reply
from dialogue_engine.domain import Scenario, load_scenario, persona_for
from dialogue_engine.exercise.events import EventKind
from dialogue_engine.exercise.service import ExerciseError, ExerciseService
from dialogue_engine.exercise.views import Phase
from dialogue_engine.negotiation.space import DealSpace
from dialogue_engine.ui.views import vote_rows

D1 = {"X": "X1", "Y": "Y1"}
D2 = {"X": "X2", "Y": "Y2"}
D3 = {"X": "X3", "Y": "Y3"}


def table(protocol: str = "free", rounds: int = 3) -> Scenario:
    """Four seats, two issues, a quorum of three; every package is worth at least each seat's minimum."""
    scores = {"X": {"X1": 30, "X2": 40, "X3": 50}, "Y": {"Y1": 30, "Y2": 40, "Y3": 50}}
    return Scenario.model_validate({
        "id": "four", "title": "Four seats", "situation": "Four seats split two issues.",
        "parties": [{"id": p, "threshold": 40, "scores": scores, **({"role": "p1"} if p == "a" else {})}
                    for p in "abcd"],
        "issues": [{"id": i, "title": t, "options": [{"id": f"{i}{k}", "label": f"{t} {k}"} for k in (1, 2, 3)]}
                   for i, t in (("X", "Money"), ("Y", "Time"))],
        "rule": {"kind": "quorum", "min_parties": 3}, "rounds": rounds, "protocol": protocol,
    })


class Scripted:
    """An AI seat that puts a package forward on every turn it gets, whatever the table says (the old habit:
    a proposal every phase), so the runner's discipline is what is tested. Votes yes at its minimum."""

    def __init__(self, persona, scenario, party_id, *, retriever=None, realizer=None, seed=0, script=None,
                 votes=True):
        self.persona, self.scenario, self.party_id, self.script = persona, scenario, party_id, script
        self.votes = votes

    def observe(self, obs) -> None:
        """Scripted seats learn nothing."""

    def update_scenario(self, scenario) -> None:
        self.scenario = scenario

    def shift_relationship(self, *args) -> None:
        """No relationships."""

    def vote(self, deal, *, round_=None, total_rounds=None) -> bool:
        return self.votes and DealSpace.from_scenario(self.scenario).utility(self.party_id, deal) >= 40

    async def respond(self, ctx) -> Reply:
        deal = self.script(self.party_id, ctx)
        return Reply(persona=self.party_id, party=self.party_id, message=f"We put forward {sorted(deal.items())}.",
                     move=MoveKind.PROPOSE, proposal=deal)


def scripted(script, votes=True):
    def factory(persona, scenario, party_id, *, retriever=None, realizer=None, seed=0):
        return Scripted(persona, scenario, party_id, script=script, votes=votes)
    return factory


def service(tmp_path, factory=None) -> ExerciseService:
    kw = {"agent_factory": factory} if factory else {}
    return ExerciseService(database_url=f"sqlite:///{tmp_path / 'ex.db'}", **kw)


def per_seat_round(state) -> collections.Counter:
    return collections.Counter((p.round, p.proposer) for p in state.proposals.values() if not p.final)


def advance_to(svc, fac, exercise_id, rnd: int, phase: Phase) -> None:
    for _ in range(40):
        st = svc.state(exercise_id)
        if (st.round, st.phase) == (rnd, phase) or st.ended:
            return
        svc.advance(fac)
    raise AssertionError(f"never reached round {rnd} {phase}")


# ---------------------------------------------------------------- one per round, no duplicates, withdrawal


def test_an_ai_seat_tables_at_most_one_package_a_round(tmp_path):
    every_phase = {"statements": D1, "proposals": D2, "responses": D3}
    svc = service(tmp_path, scripted(lambda party, ctx: {**every_phase[ctx.phase], "X": f"X{1 + ctx.round % 3}"}
                                     if party == "a" else every_phase[ctx.phase], votes=False))
    info = svc.create(table(rounds=3), [], seed=1)
    svc.start(info.facilitator_code)
    advance_to(svc, info.facilitator_code, info.exercise_id, 3, Phase.RESPONSES)
    state = svc.state(info.exercise_id)
    counts = per_seat_round(state)
    assert counts and max(counts.values()) == 1
    assert {r for r, _ in counts} == {1, 2, 3}
    spoke = collections.Counter((m.round, m.speaker) for m in state.messages)
    assert min(spoke.values()) >= 2  # the seats still spoke in every phase; they only tabled once a round


def test_a_package_already_live_is_backed_with_a_vote_not_tabled_again(tmp_path):
    svc = service(tmp_path, scripted(lambda party, ctx: D2))
    info = svc.create(table("deliberation", rounds=2), [], seed=3)
    svc.start(info.facilitator_code)
    advance_to(svc, info.facilitator_code, info.exercise_id, 1, Phase.PROPOSALS)
    svc.step(info.exercise_id)
    state = svc.state(info.exercise_id)
    tabled = [p for p in state.proposals.values() if not p.final]
    assert len(tabled) == 1 and tabled[0].deal == D2 and tabled[0].proposer == "a"  # p1 speaks first
    assert tabled[0].votes == {"b": True, "c": True, "d": True}
    assert all(tabled[0].reasons[p].startswith("yes") for p in "bcd")


def test_seats_acting_together_table_one_copy_of_a_package(tmp_path):
    svc = service(tmp_path, scripted(lambda party, ctx: D2))
    info = svc.create(table(rounds=2), [], seed=2)
    svc.start(info.facilitator_code)
    advance_to(svc, info.facilitator_code, info.exercise_id, 1, Phase.PROPOSALS)
    state = svc.state(info.exercise_id)
    deals = [tuple(sorted(p.deal.items())) for p in state.proposals.values()]
    assert len(deals) == len(set(deals)) == 1


def test_a_new_package_withdraws_the_seats_earlier_one(tmp_path):
    svc = service(tmp_path, scripted(lambda party, ctx: (D1 if ctx.round == 1 else D3) if party == "a" else
                                     {"X": "X2", "Y": f"Y{ctx.round}"} if party == "b" else {"X": "X1", "Y": "Y2"}))
    info = svc.create(table("deliberation", rounds=3), ["d"], seed=4)
    fac, human = info.facilitator_code, next(s.code for s in info.seats if s.party == "d")
    svc.start(fac)
    advance_to(svc, fac, info.exercise_id, 2, Phase.PROPOSALS)
    svc.step(info.exercise_id)
    if not svc.state(info.exercise_id).tabled_in_round("a"):  # the human seat speaks before a this round
        svc.propose(human, {"X": "X3", "Y": "Y1"})
        svc.step(info.exercise_id)
    state = svc.state(info.exercise_id)
    first = next(p for p in state.proposals.values() if p.proposer == "a" and p.deal == D1)
    second = next(p for p in state.proposals.values() if p.proposer == "a" and p.deal == D3)
    assert first.status == "withdrawn" and second.status == "open"
    assert [p.id for p in state.live_proposals() if p.proposer == "a"] == [second.id]
    view = svc.seat_view(human)
    assert {p.id: p.status for p in view.proposals}[first.id] == "withdrawn"
    with pytest.raises(ExerciseError, match=f"proposal #{first.id} is withdrawn") as err:
        svc.vote(human, True, first.id)
    assert "\n" not in str(err.value)
    assert "d" not in svc.state(info.exercise_id).proposals[first.id].votes  # nothing stored


# ---------------------------------------------------------------- vote reasons


def test_vote_reasons_name_the_deciding_issue_in_one_line_without_private_numbers():
    scenario = load_scenario("dual-use-tech-guardrails")
    space = DealSpace.from_scenario(scenario)
    titles = {i.id: i.title.lower() for i in scenario.issues}
    for row in (0, 97, space.deals.shape[0] - 1):
        deal = dict(space.deal_at(row))
        for party in scenario.parties:
            persona = persona_for(party)
            for accept in (True, False):
                text = vote_reason(scenario, party.id, deal, accept, persona=persona)
                assert "\n" not in text and len(text) < 140
                assert text.startswith("yes" if accept else "no:")
                assert titles[deciding_issue(scenario, party.id, deal, accept)] in text.lower()
                said = set(re.findall(r"\d+(?:\.\d+)?", text))
                assert not said & private_numbers(party), text


def test_a_no_names_the_issue_where_the_package_costs_the_seat_most():
    s = table()
    one = s.model_copy(update={"parties": [s.parties[0].model_copy(update={"scores": {
        "X": {"X1": 0, "X2": 10, "X3": 60}, "Y": {"Y1": 20, "Y2": 25, "Y3": 30}}}), *s.parties[1:]]})
    assert deciding_issue(one, "a", {"X": "X1", "Y": "Y1"}, False) == "X"
    assert "money" in vote_reason(one, "a", {"X": "X1", "Y": "Y1"}, False)
    assert deciding_issue(one, "a", {"X": "X3", "Y": "Y3"}, True) == "X"


def test_ai_votes_are_stored_with_reasons_and_shown_in_the_seat_view(tmp_path):
    svc = service(tmp_path, scripted(lambda party, ctx: D2 if party == "a" else D1))
    info = svc.create(table(rounds=2), ["d"], seed=5)
    fac, human = info.facilitator_code, next(s.code for s in info.seats if s.party == "d")
    svc.start(fac)
    advance_to(svc, fac, info.exercise_id, 1, Phase.RESPONSES)
    svc.step(info.exercise_id)
    votes = [e for e in svc.events(info.exercise_id) if e.kind == EventKind.VOTE and e.actor != "d"]
    assert votes and all(e.payload.get("reason") for e in votes if not e.payload.get("abstain"))
    view = svc.seat_view(human)
    voted = [p for p in view.proposals if p.votes]
    assert voted and all(set(p.reasons) == set(p.votes) for p in voted)
    rows = vote_rows(voted[0], {s.party: s.name for s in view.seats})
    assert rows and all(r["Why"].startswith(("yes", "no")) for r in rows)
    svc.vote(human, False, voted[0].id)  # a human vote needs no reason
    assert "d" not in svc.state(info.exercise_id).proposals[voted[0].id].reasons


# ---------------------------------------------------------------- human proposals, voting window


def test_a_human_proposal_that_clears_every_ai_minimum_is_accepted_in_round_one(tmp_path):
    scenario = load_scenario("dual-use-tech-guardrails")
    space = DealSpace.from_scenario(scenario)
    human = "halcyon-ai"
    ai = [p for p in scenario.party_ids if p != human]
    cols = [space.party_index(p) for p in ai]
    clears = (space.utilities[:, cols] > space.thresholds[cols][None, :] + 1e-9).all(axis=1)
    row = int(max(clears.nonzero()[0], key=lambda r: space.utilities[r, cols].sum()))
    deal = dict(space.deal_at(row))
    svc = service(tmp_path)  # real persona agents
    info = svc.create(scenario, [human], seed=0)
    fac, code = info.facilitator_code, info.seats[-1].code or next(s.code for s in info.seats if s.code)
    svc.start(fac)
    advance_to(svc, fac, info.exercise_id, 1, Phase.STATEMENTS)
    prop = svc.propose(code, deal, "A package for all of us.")
    advance_to(svc, fac, info.exercise_id, 1, Phase.RESPONSES)
    svc.step(info.exercise_id)
    state = svc.state(info.exercise_id)
    assert {p: state.proposals[prop.id].votes.get(p) for p in ai} == {p: True for p in ai}
    svc.advance(fac)
    out = svc.state(info.exercise_id).outcome
    assert out["agreement"] and out["deal"] == deal


def test_a_package_below_a_seats_minimum_still_gets_its_no(tmp_path):
    scenario = load_scenario("dual-use-tech-guardrails")
    space = DealSpace.from_scenario(scenario)
    us = space.party_index("united-states")
    row = int(space.utilities[:, us].argmin())
    svc = service(tmp_path)
    info = svc.create(scenario, ["halcyon-ai"], seed=0)
    fac, code = info.facilitator_code, next(s.code for s in info.seats if s.code)
    svc.start(fac)
    advance_to(svc, fac, info.exercise_id, 1, Phase.STATEMENTS)
    prop = svc.propose(code, dict(space.deal_at(row)))
    advance_to(svc, fac, info.exercise_id, 1, Phase.RESPONSES)
    svc.step(info.exercise_id)
    rec = svc.state(info.exercise_id).proposals[prop.id]
    assert rec.votes["united-states"] is False and rec.reasons["united-states"].startswith("no:")


def test_advance_keeps_a_fresh_proposal_open_until_humans_could_vote(tmp_path):
    svc = service(tmp_path, scripted(lambda party, ctx: D1, votes=False))
    info = svc.create(table(rounds=3), ["c", "d"], seed=6)
    fac = info.facilitator_code
    code = {s.party: s.code for s in info.seats if s.code}
    svc.start(fac)
    advance_to(svc, fac, info.exercise_id, 1, Phase.RESPONSES)
    svc.step(info.exercise_id)  # the AI seats vote first
    late = svc.propose(code["c"], D3, "One more package before the bell.")
    svc.advance(fac)  # d has not had the chance to vote on it: it stays open into round 2
    state = svc.state(info.exercise_id)
    assert state.round == 2 and state.proposals[late.id].status == "open"
    assert late.id in {p.id for p in svc.seat_view(code["d"]).proposals if p.status == "open"}
    assert svc.seat_view(code["d"]).can_vote
    early = [p for p in state.proposals.values() if p.round == 1 and p.id != late.id]
    assert early and all(p.status in ("failed", "withdrawn") for p in early)  # had a full phase: closed
    advance_to(svc, fac, info.exercise_id, 2, Phase.RESPONSES)
    svc.step(info.exercise_id)
    assert {"a", "b"} <= set(svc.state(info.exercise_id).proposals[late.id].votes)  # AI seats weigh it too


def test_advance_closes_a_fresh_proposal_once_every_human_has_voted(tmp_path):
    svc = service(tmp_path, scripted(lambda party, ctx: D1, votes=False))
    info = svc.create(table(rounds=3), ["c", "d"], seed=6)
    fac = info.facilitator_code
    code = {s.party: s.code for s in info.seats if s.code}
    svc.start(fac)
    advance_to(svc, fac, info.exercise_id, 1, Phase.RESPONSES)
    svc.step(info.exercise_id)
    late = svc.propose(code["c"], {"X": "X3", "Y": "Y1"})
    svc.vote(code["d"], False, late.id)
    svc.advance(fac)
    state = svc.state(info.exercise_id)
    assert state.round == 2 and state.proposals[late.id].status == "failed"


# ---------------------------------------------------------------- real personas, six AI seats


def test_six_ai_seats_keep_the_table_readable(tmp_path):
    svc = service(tmp_path)
    info = svc.create("dual-use-tech-guardrails", [], seed=2, rounds=8)
    fac = info.facilitator_code
    svc.start(fac)
    seen_live = []
    for _ in range(14):
        state = svc.state(info.exercise_id)
        if state.ended or state.round > 3:
            break
        live = [tuple(sorted(p.deal.items())) for p in state.live_proposals()]
        assert len(live) == len(set(live)), "two live copies of one package"
        seen_live.append(len(live))
        svc.advance(fac)
    state = svc.state(info.exercise_id)
    counts = per_seat_round(state)
    assert counts and max(counts.values()) == 1
    for rnd in {r for r, _ in counts}:
        deals = [tuple(sorted(p.deal.items())) for p in state.proposals.values() if p.round == rnd and not p.final]
        assert len(deals) == len(set(deals)) <= 6
    ai_votes = [e for e in svc.events(info.exercise_id) if e.kind == EventKind.VOTE and not e.payload.get("abstain")]
    assert ai_votes and all(e.payload.get("reason") for e in ai_votes)
