"""What a seat may do: one vote per proposal (enforced by the database), a proposal budget per round,
nothing after the end, other seats' outcome utilities only once the facilitator reveals them."""

from __future__ import annotations

import multiprocessing as mp
import threading

import pytest

from dialogue_engine.exercise.commands import MAX_PROPOSALS_PER_ROUND
from dialogue_engine.exercise.errors import ExerciseError
from dialogue_engine.exercise.events import EventKind, NewEvent
from dialogue_engine.exercise.service import ExerciseService
from dialogue_engine.exercise.store import DuplicateVote, EventStore
from dialogue_engine.exercise.testing import stand_in_factory
from dialogue_engine.exercise.views import Phase

MINI = "tests/data/mini_scenario.yaml"
DEAL = {"A": "A2", "B": "B2"}


def _service(url: str) -> ExerciseService:
    return ExerciseService(database_url=url, agent_factory=stand_in_factory)


def _table(url: str):
    """An exercise with two human seats in the proposals phase and alpha's proposal on the table."""
    svc = _service(url)
    info = svc.create(MINI, ["alpha", "beta"], seed=1)
    fac = info.facilitator_code
    codes = {s.party: s.code for s in info.seats if s.code}
    svc.start(fac)
    while svc.state(info.exercise_id).phase != Phase.PROPOSALS:
        svc.advance(fac)
    prop = svc.propose(codes["alpha"], DEAL)
    return svc, info, codes, prop.id


def _votes(svc, ex_id, party, prop_id):
    return [e for e in svc.events(ex_id) if e.kind == EventKind.VOTE and e.actor == party
            and e.payload["proposal"] == prop_id]


def test_threads_racing_votes_for_one_seat_store_exactly_one(tmp_path):
    url = f"sqlite:///{tmp_path / 'ex.db'}"
    svc, info, codes, prop = _table(url)
    n = 16
    barrier = threading.Barrier(n)
    outcomes: list[str] = []

    def tab() -> None:  # every "browser tab" has its own service, as separate app sessions would
        mine = _service(url)
        barrier.wait()
        try:
            mine.vote(codes["beta"], True, prop)
            outcomes.append("ok")
        except ExerciseError as err:
            outcomes.append(str(err))

    threads = [threading.Thread(target=tab) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1
    assert all("already voted" in o for o in outcomes if o != "ok")
    assert len(_votes(svc, info.exercise_id, "beta", prop)) == 1


def _vote_in_process(url: str, code: str, prop: int, start, out) -> None:
    svc = _service(url)
    start.wait()
    try:
        svc.vote(code, True, prop)
        out.put("ok")
    except ExerciseError as err:
        out.put(str(err))


def test_processes_racing_votes_for_one_seat_store_exactly_one(tmp_path):
    url = f"sqlite:///{tmp_path / 'ex.db'}"
    svc, info, codes, prop = _table(url)
    ctx = mp.get_context("spawn")
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_vote_in_process, args=(url, codes["beta"], prop, start, out)) for _ in range(4)]
    for p in procs:
        p.start()
    start.set()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert results.count("ok") == 1, results
    assert len(_votes(svc, info.exercise_id, "beta", prop)) == 1


def test_the_votes_table_refuses_a_second_vote_even_past_the_checks(tmp_path):
    """The store itself (below every command check) keeps one vote per seat per proposal."""
    url = f"sqlite:///{tmp_path / 'ex.db'}"
    svc, info, codes, prop = _table(url)
    svc.vote(codes["beta"], False, prop)
    before = svc.store.last_seq(info.exercise_id)
    with pytest.raises(DuplicateVote):
        svc.store.append_many(info.exercise_id, [NewEvent(EventKind.VOTE, "beta", {"proposal": prop,
                                                                                   "accept": True})])
    assert svc.store.last_seq(info.exercise_id) == before
    assert svc.state(info.exercise_id).proposals[prop].votes == {"beta": False}


def test_a_database_written_before_the_votes_table_is_indexed_on_open(tmp_path):
    url = f"sqlite:///{tmp_path / 'ex.db'}"
    svc, info, codes, prop = _table(url)
    svc.vote(codes["beta"], True, prop)
    from dialogue_engine.exercise.store import meta_table, votes_table

    with svc.store.engine.begin() as conn:  # as an earlier version left it: votes in the log only
        conn.execute(votes_table.delete())
        conn.execute(meta_table.delete().where(meta_table.c.name == "votes_indexed"))
    store = EventStore(url)
    with pytest.raises(DuplicateVote):
        store.append_many(info.exercise_id, [NewEvent(EventKind.VOTE, "beta", {"proposal": prop, "accept": False})])


def test_a_seat_has_a_proposal_budget_per_round(tmp_path):
    svc, info, codes, _ = _table(f"sqlite:///{tmp_path / 'ex.db'}")
    for _ in range(MAX_PROPOSALS_PER_ROUND - 1):
        svc.propose(codes["alpha"], DEAL)
    before = svc.store.last_seq(info.exercise_id)
    with pytest.raises(ExerciseError) as err:
        svc.propose(codes["alpha"], DEAL, "one more")
    assert "\n" not in str(err.value) and str(MAX_PROPOSALS_PER_ROUND) in str(err.value)
    assert svc.store.last_seq(info.exercise_id) == before
    svc.propose(codes["beta"], DEAL)  # the budget is per seat


def test_no_votes_or_proposals_after_the_end_and_none_on_closed_proposals(tmp_path):
    svc, info, codes, prop = _table(f"sqlite:///{tmp_path / 'ex.db'}")
    fac = info.facilitator_code
    svc.advance(fac)  # responses
    svc.advance(fac)  # next round: the proposal failed without votes
    assert svc.state(info.exercise_id).proposals[prop].status == "failed"
    with pytest.raises(ExerciseError, match="failed"):
        svc.vote(codes["beta"], True, prop)
    svc.end(fac)
    before = svc.store.last_seq(info.exercise_id)
    for act in (lambda: svc.vote(codes["beta"], True, prop), lambda: svc.propose(codes["beta"], DEAL),
                lambda: svc.post_message(codes["beta"], "still there?")):
        with pytest.raises(ExerciseError, match="ended"):
            act()
    assert svc.store.last_seq(info.exercise_id) == before


def test_other_seats_utilities_only_after_the_facilitator_reveals_them(tmp_path):
    svc, info, codes, prop = _table(f"sqlite:///{tmp_path / 'ex.db'}")
    fac = info.facilitator_code
    with pytest.raises(ExerciseError, match="debrief"):
        svc.reveal(fac)
    with pytest.raises(ExerciseError):
        svc.reveal(codes["beta"])  # a seat cannot reveal
    svc.vote(codes["beta"], True, prop)
    svc.vote(codes["alpha"], True, prop)
    svc.advance(fac)  # responses
    svc.advance(fac)  # alpha's proposal passes with both seats' votes
    state = svc.state(info.exercise_id)
    assert state.ended and state.outcome["agreement"]
    assert set(svc.seat_view(codes["beta"]).outcome.utilities) == {"beta"}
    assert set(svc.facilitator_view(fac).outcome.utilities) == {"alpha", "beta"}
    svc.reveal(fac)
    view = svc.seat_view(codes["beta"]).outcome
    assert view.revealed and set(view.utilities) == {"alpha", "beta"}
    svc.reveal(fac)  # once is enough
    assert sum(1 for e in svc.events(info.exercise_id) if e.kind == EventKind.REVEALED) == 1
