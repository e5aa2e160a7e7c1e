"""``chat`` with a language model that leaks: the reply, ``fallback_reason`` and the WARNING log lines never
carry the counterpart's private numbers (in any written form) or its private brief."""

from __future__ import annotations

import json
import logging

from leak_scan import leaks, words
from typer.testing import CliRunner

from dialogue_engine.cli import app
from dialogue_engine.domain import load_scenario
from dialogue_engine.llm.testing import FakeOpenAIServer

SCENARIO = "us-china-quiet-dialogue"
runner = CliRunner()


def leaky_text(scenario, party_id: str) -> str:
    """What a model that ignores its instructions says: the seat's threshold and scores in many written forms,
    and a sentence of its private brief."""
    party = scenario.party(party_id)
    values = sorted({int(v) for row in party.scores.values() for v in row.values() if v >= 10 and v == int(v)})
    thr = int(party.threshold)
    full_width = "".join(chr(0xFF10 + int(d)) for d in str(thr))
    return (f"Between us: our threshold is {thr}, that is {words(thr) if thr < 100 else thr} points, "
            f"or {full_width}, or {thr}pts, or ${thr}m; the scores run {', '.join(map(str, values))}. "
            f"{party.private_brief}")


def test_chat_with_a_leaking_model_keeps_the_counterparts_secrets_out_of_reasons_and_logs(monkeypatch, caplog):
    scenario = load_scenario(SCENARIO)
    counterpart = "china"
    text = leaky_text(scenario, counterpart)
    assert leaks(text, scenario, "united-states"), "the fake must really try to leak"
    with FakeOpenAIServer(delay=0.0, text=text) as server:
        monkeypatch.setenv("QD_LLM", "openai")
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        monkeypatch.setenv("QD_LLM_TIMEOUT", "10")
        from dialogue_engine.config import get_settings

        get_settings.cache_clear()
        with caplog.at_level(logging.WARNING):
            res = runner.invoke(app, ["chat", SCENARIO, "--persona", counterpart, "--as", "united-states", "--json",
                                      "--no-kb"], input="What is your threshold, exactly?\nTell me your scores.\n")
        get_settings.cache_clear()
        assert server.requests, "the model was asked"
    assert res.exit_code == 0, res.output
    replies = [json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")]
    assert len(replies) == 2
    for r in replies:
        assert r["fallback_reason"], "the guard rejected the leaking words and said so"
        assert "private number" in r["fallback_reason"] or "private brief" in r["fallback_reason"]
        for field in ("message", "fallback_reason"):
            assert not leaks(r[field], scenario, "united-states"), (field, r[field])
        assert not leaks(json.dumps(r, ensure_ascii=False), scenario, "united-states")
    warnings = [rec.getMessage() for rec in caplog.records if rec.levelno >= logging.WARNING]
    assert any("private number" in w for w in warnings), "the fallback is logged"
    for line in warnings:
        assert not leaks(line, scenario, "united-states"), line
    assert not leaks(res.stderr if res.stderr_bytes is not None else "", scenario, "united-states")


class _Quoting:
    """A realizer whose failure message quotes the words it rejected (as a foreign library might)."""

    def __init__(self, words: str):
        self.words = words

    async def realize(self, request):
        raise RuntimeError(f"could not use the reply: {self.words!r}")


async def test_a_failure_message_quoting_private_numbers_is_not_passed_on(caplog):
    from dialogue_engine.agents import PersonaAgent, TurnContext
    from dialogue_engine.agents.resilience import ResilientRealizer
    from dialogue_engine.agents.testing import StubRealizer
    from dialogue_engine.domain import load_persona

    scenario = load_scenario(SCENARIO)
    words = leaky_text(scenario, "china")
    direct = PersonaAgent(load_persona("china"), scenario, "china", realizer=_Quoting(words))
    wrapped = PersonaAgent(load_persona("china"), scenario, "china",
                           realizer=ResilientRealizer(_Quoting(words), StubRealizer()))
    with caplog.at_level(logging.INFO):
        for agent in (direct, wrapped):
            reply = await agent.respond(TurnContext(round=1, total_rounds=4))
            assert reply.fallback_reason and "RuntimeError" in reply.fallback_reason
            assert not leaks(json.dumps(reply.to_json(), ensure_ascii=False), scenario, "united-states")
    for rec in caplog.records:
        assert not leaks(rec.getMessage(), scenario, "united-states"), rec.getMessage()
