"""What-if branching: a fork replays its source up to the fork point and diverges after it (issue #14 item 5)."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest
from typer.testing import CliRunner

from dialogue_engine.cli import app
from dialogue_engine.errors import QDError
from dialogue_engine.exercise import branching
from dialogue_engine.exercise.events import EventKind
from dialogue_engine.exercise.projections import facilitator_view
from dialogue_engine.exercise.service import ExerciseService
from dialogue_engine.exercise.state import fold
from dialogue_engine.exercise.testing import stand_in_factory

MINI = "tests/data/mini_scenario.yaml"


@pytest.fixture()
def svc(tmp_path):
    return ExerciseService(database_url=f"sqlite:///{tmp_path / 'ex.db'}", agent_factory=stand_in_factory)


@pytest.fixture()
def played(svc):
    """An all-AI exercise played to its end (mini scenario, seed 3: agreement in round 3)."""
    info = svc.create(MINI, [], 3)
    svc.run_to_end(info.exercise_id)
    return info


def _moves(events):
    """What happened, without ids, seqs or times."""
    return [(e.kind.value, e.actor, json.dumps(e.payload, sort_keys=True)) for e in events]


def _renumbered(events, skip: int = 0):
    """:func:`_moves` with proposal ids (their seqs) replaced by their order in the log, after ``skip`` events."""
    order = {e.seq: n for n, e in enumerate(x for x in events if x.kind == EventKind.PROPOSAL)}
    def ref(v):
        if isinstance(v, list):
            return [order.get(i, i) for i in v]
        return order.get(v, v) if isinstance(v, int) else v
    return [(e.kind.value, e.actor, re.sub(r"#\d+", "#", json.dumps({k: ref(v) if k in ("proposal", "closed", "based_on") else v
                                                for k, v in e.payload.items()}, sort_keys=True)))
            for e in events if e.kind != EventKind.FORKED][skip:]


def _snapshot(state) -> dict:
    """Every folded field but the id and the raw events, plus the facilitator's projection."""
    data = {f.name: getattr(state, f.name) for f in dataclasses.fields(state) if f.name not in ("exercise_id", "events")}
    view = json.dumps(facilitator_view(state).model_dump(mode="json"), sort_keys=True)
    view = view.replace(f'"exercise_id": "{state.exercise_id}"', '"exercise_id": ""')
    return {**{k: repr(v) for k, v in data.items()}, "view": view}


def test_a_fork_folds_to_the_source_state_at_every_cut_point(svc, played):
    src = svc.events(played.exercise_id)
    for at in branching.cut_points(src):
        info = svc.fork(played.facilitator_code, at)
        mine = svc.events(info.exercise_id)
        assert [(e.seq, e.ts) for e in mine[:at]] == [(e.seq, e.ts) for e in src[:at]]
        assert _moves(mine[:at]) == _moves(src[:at])
        assert _snapshot(fold(mine[:at])) == _snapshot(fold(src[:at]))
        assert mine[at].kind == EventKind.FORKED and mine[at].payload["source"] == played.exercise_id
        assert (info.forked_from, info.forked_at) == (played.exercise_id, at)


def test_an_unchanged_fork_plays_on_exactly_as_the_source_did(svc, played):
    """Same seed, no inject: the AI seats of the fork repeat the source (no agent state leaks either way).

    The ``forked`` event shifts later seqs by one, so proposal ids (their seqs) are compared by order.
    """
    src = svc.events(played.exercise_id)
    info = svc.fork(played.facilitator_code, 16)  # end of round 1
    svc.run_to_end(info.exercise_id)
    mine = svc.events(info.exercise_id)
    assert _renumbered(mine) == _renumbered(src)
    assert svc.state(info.exercise_id).outcome["deal"] == svc.state(played.exercise_id).outcome["deal"]


def test_a_new_seed_or_an_inject_makes_the_fork_diverge(svc, played):
    src = svc.events(played.exercise_id)
    seeded = svc.fork(played.facilitator_code, 16, seed=99)
    shocked = svc.fork(played.facilitator_code, 4, inject="shock")
    for info in (seeded, shocked):
        svc.run_to_end(info.exercise_id)
    s = svc.events(seeded.exercise_id)
    assert s[16].payload["seed"] == 99 and svc.state(seeded.exercise_id).seed == 99 and seeded.seed == 99
    assert _renumbered(s, 16) != _renumbered(src, 16)
    k = svc.events(shocked.exercise_id)
    assert k[5].kind == EventKind.INJECT_FIRED and k[5].payload["inject_id"] == "shock" and k[5].actor == "facilitator"
    assert _renumbered(k, 4) != _renumbered(src, 4)
    assert svc.state(shocked.exercise_id).scenario.party("beta").threshold == \
        svc.state(played.exercise_id).scenario.party("beta").threshold  # the shock hit once, not twice


def test_bad_requests_are_one_line_and_store_nothing(svc, played):
    fac = played.facilitator_code
    before = svc.list_exercises()
    src = svc.events(played.exercise_id)
    bad = [
        lambda: svc.fork_exercise("no-such-id", 3),
        lambda: svc.fork(fac, 0),
        lambda: svc.fork(fac, len(src) + 1),
        lambda: svc.fork(fac, len(src)),  # the end
        lambda: svc.fork(fac, 5),  # inside the group of two AI statements (5, 6)
        lambda: svc.fork(fac, 17),  # inside round 2's opening (17..19)
        lambda: svc.fork(fac, "7"),
        lambda: svc.fork(fac, 16, seed=-1),
        lambda: svc.fork(fac, 16, inject="no-such-inject"),
        lambda: svc.fork(fac, 19, inject="shock"),  # already fired by then
        lambda: svc.fork("ZZZZ-ZZZZ-ZZZZ", 16),
        lambda: svc.retry(fac, 9),
    ]
    for call in bad:
        with pytest.raises(QDError) as err:
            call()
        assert "\n" not in str(err.value) and str(err.value)
    assert svc.list_exercises() == before
    assert svc.events(played.exercise_id) == src


def test_a_seat_may_fork_only_its_own_solo_exercise(svc):
    info = svc.create(MINI, ["alpha"], 1)
    with pytest.raises(QDError, match="only the facilitator"):
        svc.fork(info.seats[0].code, 1)


def test_the_source_is_unchanged_and_codes_are_new(svc):
    info = svc.create(MINI, ["alpha"], 2)
    fac, seat = info.facilitator_code, next(s.code for s in info.seats if s.code)
    svc.join(seat)
    svc.start(fac)
    svc.advance(fac)
    svc.advance(fac)
    svc.post_message(seat, "Hello from alpha.")
    src = svc.events(info.exercise_id)
    fork = svc.fork(fac, len(src))
    assert svc.events(info.exercise_id) == src
    new_seat = next(s.code for s in fork.seats if s.code)
    assert fork.facilitator_code not in (None, fac) and new_seat != seat
    assert svc.join(new_seat).exercise_id == fork.exercise_id
    assert svc.join(seat).exercise_id == info.exercise_id  # the old code still opens only the source
    assert not svc.state(fork.exercise_id).joined - {"alpha"}
    assert svc.state(fork.exercise_id).humans == svc.state(info.exercise_id).humans
    text = "".join(svc.export_jsonl(fork.exercise_id).splitlines())
    assert fork.facilitator_code not in text and new_seat not in text
    svc.post_message(new_seat, "A different opening.")
    svc.run_to_end(fork.exercise_id)  # AI seats play on; the human seat stays silent
    assert svc.state(fork.exercise_id).ended and not svc.state(info.exercise_id).ended


def test_a_fork_of_a_fork(svc, played):
    first = svc.fork(played.facilitator_code, 16, seed=5)
    svc.run_to_end(first.exercise_id)
    ev1 = svc.events(first.exercise_id)
    at = branching.cut_points(ev1)[-2]
    second = svc.fork(first.facilitator_code, at)
    ev2 = svc.events(second.exercise_id)
    assert _moves(ev2[:at]) == _moves(ev1[:at])
    assert _snapshot(fold(ev2[:at])) == _snapshot(fold(ev1[:at]))
    assert svc.state(second.exercise_id).seed == 5  # the first fork's seed carries over
    assert svc.state(second.exercise_id).forked_from == first.exercise_id
    assert svc.run_to_end(second.exercise_id) is not None and svc.state(second.exercise_id).ended
    imported = svc.import_jsonl(svc.export_jsonl(second.exercise_id))  # a fork's log exports like any other
    assert _moves(svc.events(imported.exercise_id)) == _moves(svc.events(second.exercise_id))


def test_retry_the_last_three_rounds(svc, played):
    state = svc.state(played.exercise_id)
    assert state.round == 3
    again = svc.retry(played.facilitator_code)  # rounds 1..3 again: fork before round 1 started
    assert again.forked_at == branching.round_start(state, 1) == 2
    two = svc.retry(played.facilitator_code, rounds=2)
    assert two.forked_at == 16 and svc.state(two.exercise_id).round == 1
    assert svc.retry(played.facilitator_code, 2).forked_at == 16


def test_a_solo_learner_retries_from_a_round(svc):
    solo = svc.create_solo(MINI, "alpha", "beta")
    me = next(s.code for s in solo.seats if s.code)
    for line in ("What matters most to you?", "We could move on timing.", "Shall we meet halfway?"):
        if not svc.state(solo.exercise_id).ended:
            svc.solo_send(me, line)
    rounds = svc.state(solo.exercise_id).round
    retry = svc.retry(me, 2)
    mine = next(s.code for s in retry.seats if s.code)
    state = svc.state(retry.exercise_id)
    assert state.mode == "solo" and not state.ended and state.round == 1 and rounds >= 2
    assert [m.text for m in state.messages if m.speaker == "alpha"] == ["What matters most to you?"]
    out = svc.solo_send(mine, "Let me put it differently.")
    assert out[0].text == "Let me put it differently." and out[0].round == 2
    assert svc.state(retry.exercise_id).events[retry.forked_at].actor == "alpha"


def test_cli_fork_prints_the_new_exercise_and_errors_in_one_line(tmp_path):
    db = f"sqlite:///{tmp_path / 'ex.db'}"
    svc = ExerciseService(database_url=db, agent_factory=stand_in_factory)
    info = svc.create(MINI, ["alpha"], 3)
    svc.start(info.facilitator_code)
    svc.advance(info.facilitator_code)
    res = CliRunner().invoke(app, ["exercise", "fork", info.exercise_id, "--at", "2", "--db", db, "--seed", "8"])
    assert res.exit_code == 0, res.output
    new_id = res.output.split(" into ")[1].split()[0]
    assert svc.state(new_id).seed == 8 and svc.state(new_id).forked_at == 2 and "alpha: " in res.output
    for args in (["no-such-id", "--at", "2"], [info.exercise_id, "--at", "99"]):
        bad = CliRunner().invoke(app, ["exercise", "fork", *args, "--db", db])
        assert bad.exit_code != 0 and bad.stderr.startswith("error: ") and bad.stderr.count("\n") == 1
    assert len(svc.list_exercises()) == 2


def test_the_pages_helpers_label_fork_points_and_retry_a_solo_session(svc, played):
    from dialogue_engine.domain import load_scenario
    from dialogue_engine.ui.branching import fork_codes, fork_points, retry_rounds
    from dialogue_engine.ui.solo import SoloSession

    points = fork_points(svc.events(played.exercise_id))
    assert [p.seq for p in points] == branching.cut_points(svc.events(played.exercise_id))
    assert points[0].label.startswith("#1 · before round 1") and points[-1].label.startswith("#39 · round 3 · vote")
    assert retry_rounds(0) == [] and retry_rounds(5)[0] == 3 and sorted(retry_rounds(5)) == [1, 2, 3, 4, 5]
    info = svc.fork(played.facilitator_code, 16)
    assert fork_codes(info) == [("Facilitator", info.facilitator_code)]  # all-AI: only the facilitator's
    session = SoloSession.start(svc, load_scenario(MINI), "alpha", "beta")
    session.send(svc, "First try.")
    session.send(svc, "Second try.")
    again = session.retry(svc, 2)
    assert again.exercise_id != session.exercise_id and again.code != session.code
    assert [e.text for e in again.view(svc).transcript if e.speaker == "alpha"] == ["First try."]
    assert [e.text for e in session.view(svc).transcript if e.speaker == "alpha"] == ["First try.", "Second try."]


def test_the_report_timeline_says_where_a_fork_came_from(svc, played):
    from dialogue_engine.report.aar import build_report, to_html, to_markdown
    from dialogue_engine.report.scoring import score

    source = svc.state(played.exercise_id)
    plain = build_report(source, score(source))
    assert not [m for m in plain.timeline if "Forked" in m.what] and "Forked from" not in to_markdown(plain)
    first = svc.fork(played.facilitator_code, 16, seed=5)
    svc.run_to_end(first.exercise_id)
    at = branching.cut_points(svc.events(first.exercise_id))[-2]
    second = svc.fork(first.facilitator_code, at)
    svc.run_to_end(second.exercise_id)
    state = svc.state(second.exercise_id)
    rep = build_report(state, score(state))
    forks = [m for m in rep.timeline if m.what.startswith("Forked from")]
    assert [m.what.split(" after")[0] for m in forks] == [f"Forked from exercise {played.exercise_id}",
                                                         f"Forked from exercise {first.exercise_id}"], "both, in order"
    assert "after its event #16 " in forks[0].what and "seed 5" in forks[0].what
    assert f"after its event #{at} " in forks[1].what and "seed" not in forks[1].what
    fork_round = fold(svc.events(second.exercise_id)[:at]).round
    assert forks[1].round == fork_round
    idx = [m.what for m in rep.timeline].index(forks[1].what)
    assert rep.timeline[-1].what.startswith(("Agreement", "Ended")) and idx < len(rep.timeline) - 1
    md, html = to_markdown(rep), to_html(rep)
    assert f"**Forked from**: exercise `{first.exercise_id}` after event #{at}" in md
    assert f"Round {fork_round}: Forked from exercise {first.exercise_id} after its event #{at}" in md
    assert f"Forked from exercise {first.exercise_id}" in html
