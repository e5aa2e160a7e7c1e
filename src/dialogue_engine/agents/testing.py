"""Fakes for tests and benchmarks: scripted chat models (tool-call capable) and a fake retriever.

``ScriptedChatModel`` is a real langchain ``BaseChatModel`` subclass, so ``with_structured_output(...,
method="function_calling")``, ``bind(response_format=...)``, ``ainvoke`` and ``astream`` all run through
langchain-core unchanged. Each call consumes one *step* of its script:

- ``str``: a plain message with that content;
- ``dict``: a tool call with those arguments when tools are bound, else the dict as JSON content;
- :class:`BadToolCall`: a tool call whose arguments are not valid JSON;
- an exception instance: raised (see :func:`rate_limit_error`, :func:`timeout_error`, ...);
- a callable ``(messages) -> step``: computed from the prompt (e.g. a model that "tries" to comply).

When the script runs out, the last step repeats.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ConfigDict, Field, PrivateAttr

try:
    import httpx2 as _httpx
except ImportError:  # pragma: no cover - older openai releases use httpx
    import httpx as _httpx


@dataclass(frozen=True)
class BadToolCall:
    """A script step: a tool call whose raw arguments are ``raw`` (not valid JSON)."""

    raw: str = '{"text": "unterminated'


class ScriptedChatModel(BaseChatModel):
    """A chat model that plays back a script of steps, optionally after a fixed delay per call.

    Attributes:
        script: the steps (see the module docstring).
        delay: seconds to wait before each reply (``asyncio.sleep`` in async calls).
        calls: the messages of every call, in order (for assertions).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    script: list[Any] = Field(default_factory=lambda: ["Understood."])
    delay: float = 0.0
    calls: list[list[BaseMessage]] = Field(default_factory=list)
    _index: int = PrivateAttr(default=0)

    @property
    def _llm_type(self) -> str:
        return "scripted-fake"

    def bind_tools(self, tools: Sequence[Any], *, tool_choice: Any = None, **kwargs: Any):
        """Bind tools (as OpenAI tool schemas) so structured output by function calling works."""
        schemas = [convert_to_openai_tool(t) for t in tools]
        return self.bind(tools=schemas, tool_choice=tool_choice, **kwargs)

    def next_step(self, messages: list[BaseMessage]) -> Any:
        """Consume one step of the script (the last repeats) and resolve callables."""
        step = self.script[min(self._index, len(self.script) - 1)]
        self._index += 1
        if callable(step) and not isinstance(step, BaseException):
            step = step(messages)
        return step

    def _message(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> AIMessage:
        step = self.next_step(messages)
        if isinstance(step, BaseException):
            raise step
        tools = kwargs.get("tools") or []
        name = tools[0]["function"]["name"] if tools else None
        if isinstance(step, BadToolCall):
            return AIMessage(
                content="",
                invalid_tool_calls=[{"name": name or "tool", "args": step.raw, "id": "call_bad", "error": None}],
            )
        if isinstance(step, dict):
            if name:
                return AIMessage(content="", tool_calls=[{"name": name, "args": step, "id": f"call_{self._index}"}])
            return AIMessage(content=json.dumps(step))
        return AIMessage(content=str(step))

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.calls.append(list(messages))
        if self.delay:
            time.sleep(self.delay)
        return ChatResult(generations=[ChatGeneration(message=self._message(messages, kwargs))])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.calls.append(list(messages))
        if self.delay:
            await asyncio.sleep(self.delay)
        return ChatResult(generations=[ChatGeneration(message=self._message(messages, kwargs))])

    def _stream(self, messages, stop=None, run_manager=None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        self.calls.append(list(messages))
        if self.delay:
            time.sleep(self.delay)
        for piece in _pieces(self._message(messages, kwargs)):
            yield ChatGenerationChunk(message=AIMessageChunk(content=piece))

    async def _astream(self, messages, stop=None, run_manager=None, **kwargs: Any) -> AsyncIterator[ChatGenerationChunk]:
        self.calls.append(list(messages))
        if self.delay:
            await asyncio.sleep(self.delay)
        for piece in _pieces(self._message(messages, kwargs)):
            await asyncio.sleep(0)
            yield ChatGenerationChunk(message=AIMessageChunk(content=piece))


def _pieces(message: AIMessage) -> list[str]:
    """Word-sized chunks of a message's text (a dict step streams its ``text`` field)."""
    content = message.content if isinstance(message.content, str) else ""
    if not content and message.tool_calls:
        content = str(message.tool_calls[0]["args"].get("text", ""))
    return [p for p in re.split(r"(\s+)", content) if p]


def scripted(*steps: Any, delay: float = 0.0) -> ScriptedChatModel:
    """A fake chat model playing ``steps`` in order (the last repeats)."""
    return ScriptedChatModel(script=list(steps), delay=delay)


def replying(text: str = "We can work with that [1].", cited: Sequence[int] = (1,), delay: float = 0.0) -> ScriptedChatModel:
    """A well-behaved fake: always answers ``{text, cited}`` (a tool call, or JSON content without tools)."""
    return scripted({"text": text, "cited": list(cited)}, delay=delay)


def slow(delay: float, text: str = "After some thought, yes.") -> ScriptedChatModel:
    """A fake that answers well, but only after ``delay`` seconds."""
    return replying(text, (), delay=delay)


def failing(kind: str = "rate_limit", *, then: Any = None) -> ScriptedChatModel:
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
    return ScriptedChatModel(script=steps)


def malformed(kind: str = "bad_json") -> ScriptedChatModel:
    """A fake whose replies are unusable: ``bad_json`` | ``missing_field`` | ``no_tool_call`` | ``empty``."""
    steps = {
        "bad_json": BadToolCall(),
        "missing_field": {"cited": [1]},
        "no_tool_call": "Sure! Here is my answer without any function call.",
        "empty": {"text": "   ", "cited": []},
    }
    return ScriptedChatModel(script=[steps[kind]])


def _request() -> Any:
    return _httpx.Request("POST", "http://127.0.0.1:9/v1/chat/completions")


def rate_limit_error(retry_after: float | None = None) -> Exception:
    """An ``openai.RateLimitError`` (HTTP 429), as the OpenAI client raises it."""
    import openai

    headers = {"retry-after": str(retry_after)} if retry_after is not None else {}
    response = _httpx.Response(429, headers=headers, request=_request(), json={"error": {"message": "slow down"}})
    return openai.RateLimitError("rate limited", response=response, body=None)


def timeout_error() -> Exception:
    """An ``openai.APITimeoutError``."""
    import openai

    return openai.APITimeoutError(request=_request())


def connection_error() -> Exception:
    """An ``openai.APIConnectionError``."""
    import openai

    return openai.APIConnectionError(request=_request())


def server_error() -> Exception:
    """An ``openai.InternalServerError`` (HTTP 500)."""
    import openai

    response = _httpx.Response(500, request=_request(), json={"error": {"message": "boom"}})
    return openai.InternalServerError("server error", response=response, body=None)


def attack_aware(secret_reply: str, normal_reply: str, triggers: Sequence[str]) -> Callable[[list[BaseMessage]], dict]:
    """A script step for a model that *tries* to comply with an attack: when the last user message
    contains any trigger phrase, it answers ``secret_reply`` (what it would leak), else ``normal_reply``."""
    lowered = [t.lower() for t in triggers]

    def step(messages: list[BaseMessage]) -> dict:
        last = str(messages[-1].content).lower() if messages else ""
        text = secret_reply if any(t in last for t in lowered) else normal_reply
        return {"text": text, "cited": []}

    return step


@dataclass(frozen=True)
class FakeHit:
    """A retrieval hit with the fields of ``knowledge.Hit``."""

    chunk_id: str
    source: str
    title: str
    section: str
    text: str
    score: float = 1.0
    tags: tuple[str, ...] = ()
    position: int = 0


class FakeRetriever:
    """A retriever over fixed passages: ranks by shared words with the query, filters by ``where``."""

    def __init__(self, hits: Sequence[FakeHit]):
        self.hits = list(hits)
        self.queries: list[str] = []

    def search(self, query: str, k: int = 5, where: dict | None = None) -> list[FakeHit]:
        """Up to ``k`` hits sharing the most words with ``query`` (``where``: ``source`` / ``tags``)."""
        self.queries.append(query)
        words = set(query.lower().split())
        pool = [h for h in self.hits if _matches(h, where or {})]
        pool.sort(key=lambda h: -len(words & set(h.text.lower().split())))
        return pool[:k]


def _matches(hit: FakeHit, where: dict) -> bool:
    source = where.get("source")
    if source is not None and hit.source not in ([source] if isinstance(source, str) else source):
        return False
    tags = where.get("tags")
    if tags is not None and not set([tags] if isinstance(tags, str) else tags) & set(hit.tags):
        return False
    return True


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
