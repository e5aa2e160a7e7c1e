"""Shipped fakes implementing :class:`~dialogue_engine.llm.types.LanguageModel`, and the loopback HTTP fake.

``ScriptedModel`` plays back a script; each call consumes one *step* (the last repeats):

- ``str``: the reply text. For :meth:`~ScriptedModel.structured` in function-calling mode it is a reply
  without a function call (``LLMMalformed``); in JSON mode its JSON object is parsed, as the adapter does;
- ``dict``: the structured reply's data (validated against the schema, as the adapter does); as text,
  its ``text`` field or its JSON;
- a pydantic model instance: returned as is by ``structured``;
- :class:`BadToolCall`: a function call whose arguments are not valid JSON;
- an exception instance: raised (use the project's errors, e.g. ``LLMRateLimited(retry_after=1)``);
- a callable ``(messages) -> step``: computed from the prompt.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from dialogue_engine.llm.errors import LLMMalformed, LLMUnavailable
from dialogue_engine.llm.fake_server import FakeOpenAIServer, Recorded
from dialogue_engine.llm.parsing import loads, parse_json_object, validate
from dialogue_engine.llm.types import M, Message, Messages, StructuredMode

__all__ = ["BadToolCall", "FakeOpenAIServer", "ModelRequest", "NoModel", "Recorded", "ScriptedModel"]


@dataclass(frozen=True, kw_only=True, slots=True)
class BadToolCall:
    """A script step: a function call whose raw arguments are ``raw`` (not valid JSON)."""

    raw: str = '{"text": "unterminated'


@dataclass(frozen=True, kw_only=True, slots=True)
class ModelRequest:
    """One call a :class:`ScriptedModel` received."""

    kind: str
    messages: tuple[Message, ...]
    schema: type[BaseModel] | None = None
    max_tokens: int | None = None
    timeout: float | None = None


class ScriptedModel:
    """A language model that plays back a script of steps (see the module docstring).

    Args:
        steps: the script.
        delay: seconds to wait before each reply.
        mode: how ``structured`` reads a text step, like the adapter's configured mode.

    Attributes:
        requests: every call received, in order.
    """

    def __init__(self, *steps: Any, delay: float = 0.0, mode: StructuredMode = StructuredMode.FUNCTION_CALLING):
        self.script = list(steps) or ["Understood."]
        self.delay = delay
        self.mode = StructuredMode(mode)
        self.requests: list[ModelRequest] = []
        self._index = 0

    async def complete(self, messages: Messages, *, max_tokens: int | None = None,
                       timeout: float | None = None) -> str:
        """The step as text (``LLMMalformed`` when empty)."""
        step = await self._next("complete", messages, None, max_tokens, timeout)
        text = _as_text(step)
        if not text.strip():
            raise LLMMalformed("empty text")
        return text

    async def structured(self, messages: Messages, schema: type[M], *, max_tokens: int | None = None,
                         timeout: float | None = None) -> M:
        """The step as ``schema``, with the adapter's checks."""
        step = await self._next("structured", messages, schema, max_tokens, timeout)
        if isinstance(step, schema):
            return step
        if isinstance(step, BadToolCall):
            return validate(schema, loads(step.raw, "bad JSON in function call arguments"))
        if isinstance(step, dict):
            return validate(schema, step)
        if self.mode is StructuredMode.JSON_MODE:
            return parse_json_object(_as_text(step), schema)
        raise LLMMalformed("no function call in the reply")

    async def stream(self, messages: Messages, *, max_tokens: int | None = None,
                     timeout: float | None = None) -> AsyncIterator[str]:
        """The step's text in word-sized chunks."""
        step = await self._next("stream", messages, None, max_tokens, timeout)
        for piece in re.split(r"(\s+)", _as_text(step)):
            if piece:
                await asyncio.sleep(0)
                yield piece

    async def _next(self, kind: str, messages: Messages, schema: type[BaseModel] | None,
                    max_tokens: int | None, timeout: float | None) -> Any:
        self.requests.append(ModelRequest(kind=kind, messages=tuple(messages), schema=schema,
                                          max_tokens=max_tokens, timeout=timeout))
        step = self.script[min(self._index, len(self.script) - 1)]
        self._index += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if callable(step) and not isinstance(step, (BaseException, type)):
            step = step(tuple(messages))
        if isinstance(step, BaseException):
            raise step
        return step


class NoModel:
    """A language model that is not there: every call raises :class:`LLMUnavailable` with ``reason``."""

    def __init__(self, reason: str = "no language model is configured (QD_LLM=none)"):
        self.reason = reason

    async def complete(self, messages: Messages, *, max_tokens: int | None = None,
                       timeout: float | None = None) -> str:
        """Raises :class:`LLMUnavailable`."""
        raise LLMUnavailable(self.reason)

    async def structured(self, messages: Messages, schema: type[M], *, max_tokens: int | None = None,
                         timeout: float | None = None) -> M:
        """Raises :class:`LLMUnavailable`."""
        raise LLMUnavailable(self.reason)

    async def stream(self, messages: Messages, *, max_tokens: int | None = None,
                     timeout: float | None = None) -> AsyncIterator[str]:
        """Raises :class:`LLMUnavailable` on the first chunk."""
        raise LLMUnavailable(self.reason)
        yield ""  # pragma: no cover - makes this an async generator


def _as_text(step: Any) -> str:
    if isinstance(step, BaseModel):
        step = step.model_dump()
    if isinstance(step, dict):
        return str(step["text"]) if "text" in step else json.dumps(step)
    if isinstance(step, BadToolCall):
        return step.raw
    return str(step)
