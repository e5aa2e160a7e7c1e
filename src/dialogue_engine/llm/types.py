"""The language-model seam: chat messages as project value objects and the :class:`LanguageModel` protocol."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


class Role(str, Enum):
    """Who speaks a chat message."""

    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"


@dataclass(frozen=True, kw_only=True, slots=True)
class Message:
    """One chat message: its role and its text."""

    role: Role
    content: str


def system(content: str) -> Message:
    """A system message."""
    return Message(role=Role.SYSTEM, content=content)


def user(content: str) -> Message:
    """A user message."""
    return Message(role=Role.USER, content=content)


Messages = Sequence[Message]


class StructuredMode(str, Enum):
    """How an adapter gets structured output on the wire: a forced function call or ``json_object`` mode."""

    FUNCTION_CALLING = "function_calling"
    JSON_MODE = "json_mode"


@runtime_checkable
class LanguageModel(Protocol):
    """A chat model: plain text, structured output validated against a pydantic schema, and streamed text.

    Every failure is a :class:`~dialogue_engine.llm.errors.LLMError`.
    """

    async def complete(self, messages: Messages, *, max_tokens: int | None = None,
                       timeout: float | None = None) -> str:
        """The model's text reply (never empty: an empty reply is ``LLMMalformed``)."""
        ...

    async def structured(self, messages: Messages, schema: type[M], *, max_tokens: int | None = None,
                         timeout: float | None = None) -> M:
        """The model's reply as an instance of ``schema`` (``LLMMalformed`` when it does not fit)."""
        ...

    def stream(self, messages: Messages, *, max_tokens: int | None = None,
               timeout: float | None = None) -> AsyncIterator[str]:
        """The model's text reply in chunks, as they arrive."""
        ...
