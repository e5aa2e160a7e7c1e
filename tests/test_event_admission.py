"""Events are checked before they are stored: typed payloads, admissible commands, checked imports."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import insert

from dialogue_engine.domain import load_scenario
from dialogue_engine.exercise.errors import ExerciseError
from dialogue_engine.exercise.events import EventKind, NewEvent
from dialogue_engine.exercise.payloads import MODELS, PayloadError, check_payload
from dialogue_engine.exercise.service import ExerciseService
from dialogue_engine.exercise.store import EventStore, events_table
from dialogue_engine.exercise.testing import stand_in_factory

MINI = "tests/data/mini_scenario.yaml"


@pytest.fixture()
def svc(tmp_path):
    return ExerciseService(database_url=f"sqlite:///{tmp_path / 'ex.db'}", agent_factory=stand_in_factory)


def _two_raises(at_round: int | None = None):
    """The mini scenario with two injects that each validate but together make alpha's minimum unreachable."""
    data = load_scenario(MINI).model_dump(mode="json")
    data["injects"] = [
        {"id": f"raise{n}", "title": f"Raise {n}", "text": "Alpha's board asks for more.", "at_round": at_round,
         "effects": [{"kind": "change_threshold", "party": "alpha", "delta": 30}]}
        for n in (1, 2)]
    return load_scenario(MINI).model_validate(data)


# ------------------------------------------------------------------ payloads


def test_every_kind_has_a_frozen_model_that_forbids_unknown_keys():
    assert set(MODELS) == set(EventKind)
    for model in MODELS.values():
        assert model.model_config["frozen"] and model.model_config["extra"] == "forbid"
    with pytest.raises(PayloadError, match="vote event: i"):
        check_payload(EventKind.VOTE, {"proposal": 3, "accept": True, "i": 1})


@pytest.mark.parametrize("kind, payload, field", [
    (EventKind.VOTE, {"proposal": "3", "accept": True}, "proposal"),
    (EventKind.VOTE, {"proposal": 3, "accept": "yes"}, "accept"),
    (EventKind.PROPOSAL, {"round": 1}, "deal"),
    (EventKind.MESSAGE, {"text": "hi", "round": "two"}, "round"),
    (EventKind.MESSAGE, {"text": "hi", "round": True}, "round"),
    (EventKind.ENDED, {"agreement": True, "utilities": {"a": float("nan")}}, "utilities"),
    (EventKind.EXTENDED, {"rounds": 10**9}, "rounds"),
    (EventKind.CREATED, {"seed": 1, "rounds": 3, "seats": [{"party": "a", "human": True}]}, "scenario"),
])
def test_a_malformed_payload_is_one_line_naming_the_field(kind, payload, field):
    with pytest.raises(PayloadError) as err:
        check_payload(kind, payload)
    assert field in str(err.value) and "\n" not in str(err.value)


def test_the_store_refuses_a_malformed_event_and_stores_nothing(svc):
    ex = svc.create(MINI, ["beta"]).exercise_id
    before = svc.store.last_seq(ex)
    with pytest.raises(PayloadError):
        svc.store.append_many(ex, [NewEvent(EventKind.PAUSED, "facilitator", {"round": 0}),
                                   NewEvent(EventKind.PROPOSAL, "beta", {"deal": "A1"})])
    assert svc.store.last_seq(ex) == before


def test_events_stored_by_earlier_versions_still_fold(svc):
    """Reading is tolerant: an old row with a key the strict models do not know, or a missing default, folds."""
    info = svc.create(MINI, ["beta"])
    svc.start(info.facilitator_code)
    seq = svc.store.last_seq(info.exercise_id) + 1
    with svc.store.engine.begin() as conn:
        conn.execute(insert(events_table).values(
            exercise_id=info.exercise_id, seq=seq, ts="2025-01-01T00:00:00",
            kind="message", actor="beta", payload=json.dumps({"text": "old line", "legacy_hint": 1})))
    state = svc.state(info.exercise_id)
    assert state.messages[-1].text == "old line" and state.messages[-1].round == 0
    code = next(s.code for s in info.seats if s.code)
    assert svc.seat_view(code).transcript[-1].text == "old line"


# ------------------------------------------------------------------ commands fold before they append


def test_two_injects_that_together_break_the_scenario_refuse_the_second_and_store_nothing(svc):
    info = svc.create(_two_raises(at_round=3), ["beta"])
    fac = info.facilitator_code
    svc.start(fac)
    svc.advance(fac)
    svc.fire_inject(fac, "raise1")
    before = svc.store.last_seq(info.exercise_id)
    with pytest.raises(ExerciseError) as err:
        svc.fire_inject(fac, "raise2")
    assert "\n" not in str(err.value) and "raise2" not in svc.state(info.exercise_id).fired_inject_ids
    assert "could not go on" in str(err.value)
    assert svc.store.last_seq(info.exercise_id) == before
    svc.advance(fac)  # the exercise stays readable and playable
    assert svc.state(info.exercise_id).scenario.party("alpha").threshold == 80


def test_scheduled_injects_that_together_break_the_scenario_do_not_stop_the_exercise(svc):
    info = svc.create(_two_raises(at_round=2), [])
    out = svc.run_to_end(info.exercise_id)
    state = svc.state(info.exercise_id)
    assert state.ended and out is not None
    assert state.fired_inject_ids == {"raise1"}


def test_a_forged_command_event_is_refused(svc):
    info = svc.create(MINI, ["beta"])
    ex = info.exercise_id
    svc.start(info.facilitator_code)
    state = svc.state(ex)
    cases = [
        NewEvent(EventKind.ENDED, "beta", {"agreement": False, "round": 0, "reason": "I say so"}),
        NewEvent(EventKind.VOTE, "gamma", {"proposal": 1, "accept": True}),
        NewEvent(EventKind.VOTE, "beta", {"proposal": 99, "accept": True}),
        NewEvent(EventKind.ROUND_STARTED, "beta", {"round": 1}),
        NewEvent(EventKind.PROPOSAL, "beta", {"deal": {"A": "A1"}}),
        NewEvent(EventKind.CREATED, "system", {}),
        NewEvent(EventKind.REVEALED, "facilitator", {}),
    ]
    for ev in cases:
        with pytest.raises(ExerciseError) as err:
            svc.journal.append_checked(state, [ev])
        assert "\n" not in str(err.value)
    assert svc.store.last_seq(ex) == state.last_seq


# ------------------------------------------------------------------ import


def _export(tmp_path, svc) -> list[dict]:
    info = svc.create(MINI, [], seed=2)
    svc.run_to_end(info.exercise_id)
    return [json.loads(line) for line in svc.export_jsonl(info.exercise_id).splitlines()]


def _write(tmp_path, rows, name="in.jsonl"):
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _first(rows, kind):
    return next(i for i, r in enumerate(rows) if r["kind"] == kind)


def _forgeries(rows):
    """(label, rows) for each hostile variation of an honest log."""
    out = []

    def variant(label, change):
        copy = json.loads(json.dumps(rows))
        change(copy)
        out.append((label, copy))

    variant("proposal without deal", lambda r: r[_first(r, "proposal")]["payload"].pop("deal"))
    variant("created without scenario", lambda r: r[0]["payload"].pop("scenario"))
    variant("non-numeric round", lambda r: r[_first(r, "round_started")]["payload"].update(round="two"))
    variant("vote from a non-party", lambda r: r[_first(r, "vote")].update(actor="mallory"))
    variant("id with quotes and SQL", lambda r: [e.update(exercise_id="x'); DROP TABLE events;--") for e in r])
    variant("second vote by a seat", lambda r: r.insert(_first(r, "vote") + 1, dict(r[_first(r, "vote")])))

    def forge_end(r):
        end = _first(r, "ended")
        prop = next(e for e in r if e["kind"] == "proposal")
        del r[end:]
        r.append({**r[0], "seq": len(r) + 1, "kind": "ended", "actor": "system", "payload": {
            "agreement": True, "deal": prop["payload"]["deal"], "proposal": prop["seq"], "round": 1,
            "reason": "forged", "utilities": {"alpha": 100.0, "beta": 100.0}}})
    variant("forged ended", forge_end)
    variant("ended by a seat", lambda r: r[_first(r, "ended")].update(actor="alpha"))
    variant("unknown key", lambda r: r[1].update(extra=1))
    variant("event of another exercise", lambda r: r[2].update(exercise_id="other"))
    for _label, r in out:  # renumber seqs after inserts (gaps are a case of their own)
        for n, e in enumerate(r, 1):
            e["seq"] = n
    return out


def test_import_refuses_each_forgery_in_one_line_and_stores_nothing(tmp_path, svc):
    rows = _export(tmp_path, svc)
    target = ExerciseService(database_url=f"sqlite:///{tmp_path / 'target.db'}", agent_factory=stand_in_factory)
    target.import_jsonl(str(_write(tmp_path, rows, "honest.jsonl")))  # the honest log imports
    assert len(target.list_exercises()) == 1
    for label, forged in _forgeries(rows):
        with pytest.raises(ExerciseError) as err:
            target.import_jsonl(str(_write(tmp_path, forged)))
        assert "\n" not in str(err.value) and "in.jsonl:" in str(err.value), label
    assert len(target.list_exercises()) == 1


def test_import_refuses_non_utf8_and_a_bad_id(tmp_path, svc):
    rows = _export(tmp_path, svc)
    path = _write(tmp_path, rows)
    bad = tmp_path / "latin1.jsonl"
    bad.write_bytes(path.read_bytes() + b'{"text": "caf\xe9"}\n')
    with pytest.raises(ExerciseError, match="not UTF-8"):
        svc.import_jsonl(bad)
    with pytest.raises(ExerciseError, match="exercise id"):
        svc.import_jsonl(path, exercise_id="a' OR '1'='1")
    assert len(svc.list_exercises()) == 1  # only the exported one


def test_import_cli_errors_are_one_line(tmp_path, svc):
    from typer.testing import CliRunner

    from dialogue_engine.cli import app

    rows = _export(tmp_path, svc)
    rows[_first(rows, "proposal")]["payload"].pop("deal")
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    res = CliRunner().invoke(app, ["exercise", "import", str(_write(tmp_path, rows)), "--db", db])
    assert res.exit_code != 0
    assert res.stderr.startswith("error: ") and res.stderr.count("\n") == 1 and "deal" in res.stderr
    assert "Traceback" not in res.output
    assert EventStore(db).list_exercises() == []
