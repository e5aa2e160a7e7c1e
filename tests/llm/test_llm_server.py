"""The LLM realizer against a real OpenAI-compatible server (llama.cpp + SmolLM2-135M, loopback only).

A 135M model is weak, so these tests assert robust properties (a realization comes back from the LLM or
with a recorded fallback; the text is non-empty; no private number), not the quality of the words.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dialogue_engine.agents import testing as fakes
from dialogue_engine.agents.llm import LLMRealizer, make_realizer
from dialogue_engine.agents.realizer import Realization
from dialogue_engine.agents.resilience import ResilientRealizer, party_guard, with_guard
from dialogue_engine.config import get_settings
from dialogue_engine.domain.scenario import Scenario
from dialogue_engine.llm import Backoff, LLMMalformed
from dialogue_engine.llm import resilient as hardened
from dialogue_engine.llm.openai_compat import from_settings

# One pytest-xdist worker runs this module, so one llama.cpp server (the session's llama_server) serves it.
pytestmark = [pytest.mark.slow, pytest.mark.llm, pytest.mark.xdist_group("llm")]

ROOT = Path(__file__).resolve().parents[2]
PARTY = Scenario.model_validate(
    {
        "id": "llm-check",
        "title": "Harbour fees",
        "situation": "Two states settle port fees.",
        "parties": [
            {"id": "n", "threshold": 57, "private_brief": "Settle quietly if the fee review is kept.",
             "scores": {"A": {"A1": 23, "A2": 64}}},
            {"id": "s", "threshold": 30, "scores": {"A": {"A1": 40, "A2": 20}}},
        ],
        "issues": [{"id": "A", "title": "Money", "options": [{"id": "A1", "label": "Low"}, {"id": "A2", "label": "Mid"}]}],
    }
).party("n")
SECRETS = ("57", "23", "64")


def adapter(mode: str, **kw):
    return from_settings(get_settings().model_copy(update={"llm_output": mode}), **kw)


def resilient(mode: str, *, timeout: float = 60, retries: int = 1) -> ResilientRealizer:
    model = hardened(adapter(mode), timeout=timeout, retries=retries, backoff=Backoff(base=0.05, jitter=0.0))
    return ResilientRealizer(LLMRealizer(model, plain_text=mode == "text"), fakes.StubRealizer(),
                             guard=party_guard(PARTY))


def assert_robust(out: Realization) -> None:
    assert isinstance(out, Realization) and out.text.strip()
    if out.source == "llm":
        assert out.fallback_reason is None
    else:
        assert out.fallback_reason  # the reason is recorded
    assert not [s for s in SECRETS if s in re.findall(r"\d+", out.text)]  # digit runs: "57.186" has 57


@pytest.mark.parametrize("mode", ["function_calling", "json_mode"])
async def test_llm_realizer_reaches_the_server(llm_env, mode):
    raw = LLMRealizer(adapter(mode))
    try:
        out = await raw.realize(fakes.sample_request())
    except LLMMalformed:
        out = None  # the small model may produce unusable JSON; the wrapper handles that below
    if out is not None:
        assert out.source == "llm" and out.text.strip()
        assert set(out.cited) <= {1, 2}
    assert_robust(await resilient(mode).realize(fakes.sample_request()))


async def test_streaming_yields_chunks(llm_env):
    realizer = LLMRealizer(adapter("text", max_tokens=40))
    chunks = [c async for c in realizer.astream_text(fakes.sample_request())]
    assert len(chunks) >= 2 and "".join(chunks).strip()
    seen: list[str] = []
    out = await resilient("text").stream_realize(fakes.sample_request(), seen.append)
    assert_robust(out)
    if out.source == "llm":
        assert seen


async def test_too_short_timeout_falls_back_with_reason(llm_env):
    out = await resilient("function_calling", timeout=0.001, retries=1).realize(fakes.sample_request())
    assert out.source == "builtin" and out.fallback_reason == "timeout after 1 retry"


async def test_make_realizer_from_env(llm_env):
    pytest.importorskip("dialogue_engine.agents.builtin")
    # As PersonaAgent builds it: with the seat's leak guard, so a leaking reply is regenerated or replaced.
    realizer = with_guard(make_realizer(), party_guard(PARTY))
    assert_robust(await realizer.realize(fakes.sample_request()))


def _chat_target() -> tuple[str, str] | None:
    """A shipped scenario and one of its personas, for the chat CLI."""
    import yaml

    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        for party in data.get("parties", []):
            persona = party.get("persona") or party.get("id")
            if (ROOT / "personas" / f"{persona}.yaml").is_file():
                return data["id"], persona
    return None


def test_chat_cli_with_local_server(llm_env):
    target = _chat_target()
    if target is None:
        pytest.skip("no shipped scenario with a persona yet")
    scenario, persona = target
    env = dict(os.environ)
    lines = "Why should we accept that?\n"  # one line: each turn costs the 135M model tens of seconds on one thread
    run = subprocess.run(
        [sys.executable, "-m", "dialogue_engine.cli", "chat", scenario, "--persona", persona, "--json"],
        input=lines, capture_output=True, text=True, timeout=150, env=env, cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    replies = [json.loads(line) for line in run.stdout.splitlines() if line.strip().startswith("{")]
    assert len(replies) >= 1
    for reply in replies:
        assert {"persona", "message", "move", "proposal", "citations", "understood", "agreed"} <= set(reply)
        assert reply["message"].strip()
        assert reply.get("realizer") in ("llm", "builtin")
        if reply.get("realizer") == "builtin":
            assert reply.get("fallback_reason")
