"""The LLM seam: a chat model from settings, and a realizer that asks it for a persona's words.

Any OpenAI-compatible server works (OpenAI, vLLM, llama.cpp's server): ``QD_LLM=openai`` with
``OPENAI_API_KEY`` and/or ``OPENAI_BASE_URL``. The model only ever sees public material (see
:mod:`dialogue_engine.agents.prompts`).
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from enum import Enum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, ValidationError

from dialogue_engine.agents.prompts import realize_messages
from dialogue_engine.agents.realizer import Realization, Realizer, RealizeRequest
from dialogue_engine.agents.resilience import (
    Backoff,
    Guard,
    MalformedReply,
    ResilientRealizer,
    all_of,
    character_guard,
)
from dialogue_engine.config import LLMKind, Settings, get_settings
from dialogue_engine.errors import ConfigError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

PLACEHOLDER_KEY = "not-needed"
CITE = re.compile(r"\[(\d{1,2})\]")


class StructuredMode(str, Enum):
    """How the realizer gets ``{text, cited}`` out of the model."""

    FUNCTION_CALLING = "function_calling"
    JSON_MODE = "json_mode"
    TEXT = "text"


class PersonaReply(BaseModel):
    """What the persona says on this turn and which numbered passages it cites."""

    text: str = Field(description="The persona's words, citing passages as [n].")
    cited: list[int] = Field(default_factory=list, description="Numbers of the passages cited.")


def make_chat_model(
    settings: Settings | None = None, *, max_tokens: int | None = None, temperature: float = 0.7
) -> BaseChatModel:
    """A ``ChatOpenAI`` for the configured server and model.

    Args:
        settings: run-time settings (default: :func:`get_settings`).
        max_tokens: cap on generated tokens per reply (default ``QD_LLM_MAX_TOKENS``).
        temperature: sampling temperature.

    Returns:
        A chat model with ``max_retries=0`` (retries are :class:`ResilientRealizer`'s job).

    Raises:
        ConfigError: ``QD_LLM=openai`` with neither ``OPENAI_API_KEY`` nor ``OPENAI_BASE_URL``.
    """
    settings = settings or get_settings()
    key = settings.openai_api_key
    if not key:
        if not settings.openai_base_url:
            raise ConfigError(
                "QD_LLM=openai needs OPENAI_API_KEY (or OPENAI_BASE_URL for a local server); "
                "set it in the environment or .env, or use QD_LLM=none"
            )
        key = PLACEHOLDER_KEY
    import httpx
    from langchain_openai import ChatOpenAI

    cap = max_tokens or settings.llm_max_tokens
    # langchain sends the cap as ``max_completion_tokens``; llama.cpp's server only reads ``max_tokens``.
    extra = {"max_tokens": cap} if settings.openai_base_url else None
    return ChatOpenAI(
        model=settings.llm_model,
        api_key=key,
        base_url=settings.openai_base_url or None,
        timeout=settings.llm_timeout,
        max_retries=0,
        max_tokens=cap,
        temperature=temperature,
        extra_body=extra,
        # Our own async client without a keep-alive pool: langchain's default client is shared process-wide,
        # and a pooled connection opened in one event loop breaks the next (each app turn and each test
        # runs its own loop).
        http_async_client=httpx.AsyncClient(
            timeout=settings.llm_timeout, limits=httpx.Limits(max_keepalive_connections=0)
        ),
    )


class LLMRealizer:
    """Words for a decided move from a chat model, with citations of the numbered passages.

    Args:
        chat_model: any langchain ``BaseChatModel`` (``ChatOpenAI`` or a fake from
            :mod:`dialogue_engine.agents.testing`).
        mode: function calling (default), ``json_object`` response format, or plain text with [n]
            markers.
    """

    def __init__(self, chat_model: BaseChatModel, *, mode: StructuredMode | str = StructuredMode.FUNCTION_CALLING):
        self.chat_model = chat_model
        self.mode = StructuredMode(mode)
        self._structured: Any = None

    async def realize(self, request: RealizeRequest) -> Realization:
        """Ask the model for the words of ``request.move``.

        Raises:
            MalformedReply: no function call, bad JSON, missing fields or empty text.
        """
        if self.mode is StructuredMode.FUNCTION_CALLING:
            out = await self._function_call(request)
            return self.finish(request, out.text, out.cited)
        if self.mode is StructuredMode.JSON_MODE:
            message = await self.chat_model.bind(response_format={"type": "json_object"}).ainvoke(
                realize_messages(request, json_reply=True)
            )
            out = parse_json_reply(_content(message))
            return self.finish(request, out.text, out.cited)
        message = await self.chat_model.ainvoke(realize_messages(request))
        return self.finish(request, _content(message), [])

    async def astream_text(self, request: RealizeRequest) -> AsyncIterator[str]:
        """Stream the persona's words as text chunks (plain generation; cite markers stay inline)."""
        async for chunk in self.chat_model.astream(realize_messages(request)):
            text = _content(chunk)
            if text:
                yield text

    async def stream_realize(
        self, request: RealizeRequest, on_text: Callable[[str], object] | None = None
    ) -> Realization:
        """Stream through ``on_text`` and return the finished realization (citations from [n] markers)."""
        parts: list[str] = []
        async for piece in self.astream_text(request):
            parts.append(piece)
            if on_text is not None:
                on_text(piece)
        return self.finish(request, "".join(parts), [])

    def finish(self, request: RealizeRequest, text: str, cited: list[int]) -> Realization:
        """Clean the model's text and settle citations against the passages actually given."""
        text = _clean(text, request)
        if not text:
            raise MalformedReply("empty text")
        valid = {p.n for p in request.passages}
        text = CITE.sub(lambda m: m.group(0) if int(m.group(1)) in valid else "", text)
        text = re.sub(r"\s+([.,;:!?])", r"\1", re.sub(r"[ \t]{2,}", " ", text)).strip()
        marked = {int(n) for n in CITE.findall(text)}
        used = sorted((set(cited) | marked) & valid)
        text = _ensure_proposal(text, request)
        return Realization(text=text, cited=used, source="llm")

    async def _function_call(self, request: RealizeRequest) -> PersonaReply:
        if self._structured is None:
            self._structured = self.chat_model.with_structured_output(
                PersonaReply, method="function_calling", include_raw=True
            )
        out = await self._structured.ainvoke(realize_messages(request))
        error, parsed, raw = out.get("parsing_error"), out.get("parsed"), out.get("raw")
        if isinstance(error, ValidationError):
            raise _malformed(error) from None
        if error is not None:
            raise MalformedReply(f"bad function call: {_first_line(error)}") from None
        if parsed is None:
            if getattr(raw, "invalid_tool_calls", None):
                raise MalformedReply("bad JSON in function call arguments")
            raise MalformedReply("no function call in the reply")
        return parsed if isinstance(parsed, PersonaReply) else _validate(parsed)


def parse_json_reply(content: str) -> PersonaReply:
    """Parse ``{"text": ..., "cited": [...]}`` from a model's message, tolerating code fences and chatter.

    Raises:
        MalformedReply: no JSON object, bad JSON or missing/invalid fields.
    """
    start, end = content.find("{"), content.rfind("}")
    if start < 0 or end <= start:
        raise MalformedReply("no JSON object in the reply")
    try:
        data = json.loads(content[start : end + 1])
    except json.JSONDecodeError as err:
        raise MalformedReply(f"bad JSON: {err.msg}") from None
    if not isinstance(data, dict):
        raise MalformedReply("JSON reply is not an object")
    return _validate(data)


def make_realizer(
    settings: Settings | None = None,
    *,
    chat_model: BaseChatModel | None = None,
    fallback: Realizer | None = None,
    guard: Guard | None = None,
    retries: int = 2,
) -> Realizer:
    """The configured realizer: built-in for ``QD_LLM=none``, else the LLM wrapped with retries/fallback.

    Args:
        settings: run-time settings (default: :func:`get_settings`).
        chat_model: use this model instead of building ``ChatOpenAI`` (tests, custom backends).
        fallback: the realizer used when the LLM fails (default: the built-in realizer).
        guard: an extra check on every LLM realization (e.g. ``party_guard(party)``); a character
            check (:func:`~dialogue_engine.agents.resilience.character_guard`) always runs.
        retries: extra attempts before falling back.

    Raises:
        ConfigError: the LLM is selected but not configured.
    """
    settings = settings or get_settings()
    if settings.llm is LLMKind.NONE and chat_model is None:
        return fallback or _builtin_realizer()
    mode = output_mode(settings)
    model = chat_model if chat_model is not None else make_chat_model(settings)
    fallback = fallback or _builtin_realizer()
    return ResilientRealizer(
        LLMRealizer(model, mode=mode),
        fallback,
        retries=retries,
        timeout=settings.llm_timeout,
        backoff=Backoff(),
        guard=all_of(character_guard, guard) if guard else character_guard,
    )


def output_mode(settings: Settings) -> StructuredMode:
    """``QD_LLM_OUTPUT`` as a :class:`StructuredMode`.

    Raises:
        ConfigError: an unknown value.
    """
    try:
        return StructuredMode(settings.llm_output)
    except ValueError:
        choices = " | ".join(m.value for m in StructuredMode)
        raise ConfigError(f"QD_LLM_OUTPUT={settings.llm_output!r} is not one of {choices}") from None


def _builtin_realizer() -> Realizer:
    from dialogue_engine.agents.builtin import BuiltinRealizer

    return BuiltinRealizer()


def _validate(data: dict) -> PersonaReply:
    try:
        return PersonaReply.model_validate(data)
    except ValidationError as err:
        raise _malformed(err) from None


def _malformed(err: ValidationError) -> MalformedReply:
    first = err.errors()[0]
    where = ".".join(str(x) for x in first.get("loc", ())) or "reply"
    return MalformedReply(f"{where}: {first.get('msg', 'invalid').lower()}")


def _first_line(err: BaseException) -> str:
    lines = str(err).strip().splitlines()
    return (lines[0] if lines else type(err).__name__)[:120]


def _content(message: Any) -> str:
    content = getattr(message, "content", message)
    if isinstance(content, list):
        return "".join(c.get("text", "") if isinstance(c, dict) else str(c) for c in content)
    return content if isinstance(content, str) else str(content or "")


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
    """Make sure a proposal's options are stated: append the lines the model left out."""
    missing = [(i, o) for i, o in request.proposal_lines if o.lower() not in text.lower()]
    if not missing:
        return text
    lines = "; ".join(f"{issue}: {option}" for issue, option in missing)
    return f"{text} To be precise, we propose {lines}."
