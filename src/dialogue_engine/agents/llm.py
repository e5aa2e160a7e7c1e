"""The LLM realizer: a persona's words for a decided move from a :class:`~dialogue_engine.llm.LanguageModel`.

Any OpenAI-compatible server works (``QD_LLM=openai`` with ``OPENAI_API_KEY`` and/or ``OPENAI_BASE_URL``,
see :mod:`dialogue_engine.llm.openai_compat`). The model only ever sees public material (see
:mod:`dialogue_engine.agents.prompts`).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from dialogue_engine.agents.prompts import realize_messages
from dialogue_engine.agents.realizer import Realization, Realizer, RealizeRequest
from dialogue_engine.agents.resilience import Guard, ResilientRealizer, all_of, character_guard
from dialogue_engine.config import LLMKind, Settings, get_settings
from dialogue_engine.llm.errors import LLMMalformed
from dialogue_engine.llm.openai_compat import from_settings, structured_mode
from dialogue_engine.llm.types import LanguageModel
from dialogue_engine.llm.wrappers import resilient

CITE = re.compile(r"\[(\d{1,2})\]")


class PersonaReply(BaseModel):
    """What the persona says on this turn and which numbered passages it cites."""

    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)] = Field(
        description="The persona's words, citing passages as [n]."
    )
    cited: list[int] = Field(default_factory=list, description="Numbers of the passages cited.")


class LLMRealizer:
    """Words for a decided move from a language model, with citations of the numbered passages.

    Args:
        model: any :class:`~dialogue_engine.llm.LanguageModel` (the adapter, wrapped or not, or a fake
            from :mod:`dialogue_engine.llm.testing`).
        plain_text: ask for plain text with [n] markers instead of a structured ``{text, cited}`` reply
            (``QD_LLM_OUTPUT=text``).
    """

    def __init__(self, model: LanguageModel, *, plain_text: bool = False):
        self.model = model
        self.plain_text = plain_text

    async def realize(self, request: RealizeRequest) -> Realization:
        """Ask the model for the words of ``request.move``.

        Raises:
            LLMError: the model failed; ``LLMMalformed`` also when no words are left after cleaning.
        """
        messages = realize_messages(request)
        if self.plain_text:
            return self.finish(request, await self.model.complete(messages), [])
        out = await self.model.structured(messages, PersonaReply)
        return self.finish(request, out.text, out.cited)

    async def astream_text(self, request: RealizeRequest) -> AsyncIterator[str]:
        """Stream the persona's words as text chunks (plain generation; cite markers stay inline)."""
        async with _closing(self.model.stream(realize_messages(request))) as chunks:
            async for chunk in chunks:
                if chunk:
                    yield chunk

    async def stream_realize(
        self, request: RealizeRequest, on_text: Callable[[str], object] | None = None
    ) -> Realization:
        """Stream through ``on_text`` and return the finished realization (citations from [n] markers).

        An exception raised by ``on_text`` (e.g. a guard stopping the stream) closes the model's stream at
        once and propagates.
        """
        parts: list[str] = []
        async with _closing(self.astream_text(request)) as chunks:
            async for piece in chunks:
                parts.append(piece)
                if on_text is not None:
                    on_text(piece)
        return self.finish(request, "".join(parts), [])

    def finish(self, request: RealizeRequest, text: str, cited: list[int]) -> Realization:
        """Clean the model's text and settle citations against the passages actually given."""
        text = _clean(text, request)
        if not text:
            raise LLMMalformed("empty text")
        valid = {p.n for p in request.passages}
        text = CITE.sub(lambda m: m.group(0) if int(m.group(1)) in valid else "", text)
        text = re.sub(r"\s+([.,;:!?])", r"\1", re.sub(r"[ \t]{2,}", " ", text)).strip()
        marked = {int(n) for n in CITE.findall(text)}
        used = sorted((set(cited) | marked) & valid)
        text = _ensure_proposal(text, request)
        return Realization(text=text, cited=used, source="llm")


def make_model(settings: Settings | None = None, *, retries: int = 0) -> LanguageModel:
    """The configured language model with the ``QD_LLM_TIMEOUT`` per call and ``retries`` extra attempts.

    Raises:
        ConfigError: the LLM is not configured (no key or base URL, unknown ``QD_LLM_OUTPUT``).
    """
    settings = settings or get_settings()
    return resilient(from_settings(settings), timeout=settings.llm_timeout, retries=retries)


def make_realizer(
    settings: Settings | None = None,
    *,
    model: LanguageModel | None = None,
    fallback: Realizer | None = None,
    guard: Guard | None = None,
    retries: int = 2,
) -> Realizer:
    """The configured realizer: built-in for ``QD_LLM=none``, else the LLM with retries and a fallback.

    Args:
        settings: run-time settings (default: :func:`get_settings`).
        model: use this language model instead of the configured server (tests, custom backends); it gets
            the same timeout and retry wrappers.
        fallback: the realizer used when the LLM fails (default: the built-in realizer).
        guard: an extra check on every LLM realization (e.g. ``party_guard(party)``); a character
            check (:func:`~dialogue_engine.agents.resilience.character_guard`) always runs. Seats add
            their own with :func:`~dialogue_engine.agents.resilience.with_guard`.
        retries: extra model calls after a timeout, rate limit, connection error or malformed reply.

    Raises:
        ConfigError: the LLM is selected but not configured.
    """
    settings = settings or get_settings()
    if settings.llm is LLMKind.NONE and model is None:
        return fallback or _builtin_realizer()
    structured_mode(settings)
    base = model if model is not None else from_settings(settings)
    return ResilientRealizer(
        LLMRealizer(resilient(base, timeout=settings.llm_timeout, retries=retries),
                    plain_text=settings.llm_output == "text"),
        fallback or _builtin_realizer(),
        guard=all_of(character_guard, guard) if guard else character_guard,
    )


@asynccontextmanager
async def _closing(stream: AsyncIterator[str]) -> AsyncIterator[AsyncIterator[str]]:
    """``stream``, closed on exit (an abandoned stream frees its connection at once, not when collected)."""
    try:
        yield stream
    finally:
        close = getattr(stream, "aclose", None)
        if close is not None:
            await close()


def _builtin_realizer() -> Realizer:
    from dialogue_engine.agents.builtin import BuiltinRealizer

    return BuiltinRealizer()


def _clean(text: str, request: RealizeRequest) -> str:
    """Drop a leading speaker label and wrapping quotes; squash whitespace."""
    text = " ".join(text.split())
    persona = request.persona
    for label in (persona.name, persona.display_name, "Assistant", "assistant"):
        if text.lower().startswith(label.lower() + ":"):
            text = text[len(label) + 1 :].strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    return text


def _ensure_proposal(text: str, request: RealizeRequest) -> str:
    """Make sure a proposal the plan says to state is stated: append the lines the model left out.

    A standing offer the plan says not to restate, or a counter described by its changes, is left alone
    (for a counter, the changed options must appear).
    """
    plan = request.plan
    if plan is not None and not plan.restate:
        lines = [(c.issue, c.after) for c in plan.changes]
    else:
        lines = list(request.proposal_lines)
    missing = [(i, o) for i, o in lines if o.lower() not in text.lower()]
    if not missing:
        return text
    lines = "; ".join(f"{issue}: {option}" for issue, option in missing)
    return f"{text} To be precise, we propose {lines}."
