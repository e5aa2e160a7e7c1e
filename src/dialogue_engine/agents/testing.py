"""Fakes for tests and benchmarks: scripted language models for the agents' prompts, and a fake retriever.

The models are :class:`~dialogue_engine.llm.testing.ScriptedModel` instances (see there for the script
steps); the helpers below build the common ones. Failures are the project's own errors
(:mod:`dialogue_engine.llm.errors`), exactly what the adapter raises.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from dialogue_engine.llm.errors import LLMConnectionError, LLMRateLimited, LLMServerError, LLMTimeout
from dialogue_engine.llm.testing import BadToolCall, ScriptedModel
from dialogue_engine.llm.types import Message, StructuredMode


def scripted(*steps: Any, delay: float = 0.0, mode: StructuredMode = StructuredMode.FUNCTION_CALLING) -> ScriptedModel:
    """A fake model playing ``steps`` in order (the last repeats)."""
    return ScriptedModel(*steps, delay=delay, mode=mode)


def replying(text: str = "We can work with that [1].", cited: Sequence[int] = (1,), delay: float = 0.0) -> ScriptedModel:
    """A well-behaved fake: always answers ``{text, cited}``."""
    return scripted({"text": text, "cited": list(cited)}, delay=delay)


def slow(delay: float, text: str = "After some thought, yes.") -> ScriptedModel:
    """A fake that answers well, but only after ``delay`` seconds."""
    return replying(text, (), delay=delay)


def failing(kind: str = "rate_limit", *, then: Any = None) -> ScriptedModel:
    """A fake that raises ``kind`` (``rate_limit`` | ``timeout`` | ``connection`` | ``server``); with
    ``then``, only the first call fails and later calls play ``then``."""
    makers = {
        "rate_limit": rate_limit_error,
        "timeout": timeout_error,
        "connection": connection_error,
        "server": server_error,
    }
    steps: list[Any] = [makers[kind]()]
    if then is not None:
        steps.append(then)
    return ScriptedModel(*steps)


def malformed(kind: str = "bad_json") -> ScriptedModel:
    """A fake whose replies are unusable: ``bad_json`` | ``missing_field`` | ``no_tool_call`` | ``empty``."""
    steps = {
        "bad_json": BadToolCall(),
        "missing_field": {"cited": [1]},
        "no_tool_call": "Sure! Here is my answer without any function call.",
        "empty": {"text": "   ", "cited": []},
    }
    return ScriptedModel(steps[kind])


def rate_limit_error(retry_after: float | None = None) -> Exception:
    """An HTTP 429, as the adapter raises it."""
    return LLMRateLimited("rate limited: slow down", retry_after=retry_after)


def timeout_error() -> Exception:
    """A timeout, as the adapter and ``WithTimeout`` raise it."""
    return LLMTimeout()


def connection_error() -> Exception:
    """An unreachable server."""
    return LLMConnectionError("cannot reach http://127.0.0.1:9/v1: connection refused")


def server_error() -> Exception:
    """An HTTP 500."""
    return LLMServerError("server error 500: boom", status=500)


def attack_aware(secret_reply: str, normal_reply: str, triggers: Sequence[str]) -> Callable[[Sequence[Message]], dict]:
    """A script step for a model that *tries* to comply with an attack: when the last user message
    contains any trigger phrase, it answers ``secret_reply`` (what it would leak), else ``normal_reply``."""
    lowered = [t.lower() for t in triggers]

    def step(messages: Sequence[Message]) -> dict:
        last = messages[-1].content.lower() if messages else ""
        text = secret_reply if any(t in last for t in lowered) else normal_reply
        return {"text": text, "cited": []}

    return step


class StubRealizer:
    """A realizer that always says ``text`` (a stand-in fallback); counts its calls."""

    def __init__(self, text: str = "We note your position and will respond in due course."):
        self.text = text
        self.calls = 0

    async def realize(self, request: Any) -> Any:
        """The fixed text, as a built-in realization."""
        from dialogue_engine.agents.realizer import Realization

        self.calls += 1
        return Realization(text=self.text, cited=[], source="builtin")


def sample_request(**changes: Any) -> Any:
    """A small, valid :class:`RealizeRequest` (a state proposing on two issues, two passages)."""
    from dialogue_engine.agents.realizer import RealizeRequest
    from dialogue_engine.agents.types import Citation
    from dialogue_engine.agents.types import Move, MoveKind, Observation, ObservationKind
    from dialogue_engine.domain.persona import Persona, Voice

    persona = Persona(
        id="northland",
        name="Republic of Northland",
        short_name="Northland",
        kind="state",
        public_profile="A mid-sized coastal state that depends on fisheries and shipping.",
        worldview="Rules should bind the strong and the weak alike.",
        voice=Voice(formality="formal", tone="measured", phrases=["in good faith"]),
    )
    fields: dict[str, Any] = {
        "persona": persona,
        "scenario_title": "Harbour fees",
        "situation": "Two states settle how port fees and inspection times are shared.",
        "move": Move(kind=MoveKind.PROPOSE, proposal={"A": "A2", "B": "B2"}, to="southland"),
        "proposal_lines": [("Money", "Mid"), ("Time", "Later")],
        "passages": [
            Citation(n=1, chunk_id="k1", source="ports.md", title="Ports", section="Fees", text="Shared fee schedules lower disputes."),
            Citation(n=2, chunk_id="k2", source="trust.md", title="Trust", section="Steps", text="Small verified steps build trust."),
        ],
        "incoming": Observation(round=1, speaker="southland", kind=ObservationKind.MESSAGE, text="What do you propose?"),
        "addressee": "Southland",
        "history": ["Southland: What do you propose?"],
    }
    fields.update(changes)
    return RealizeRequest(**fields)
