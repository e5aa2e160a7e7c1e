"""The one adapter: any OpenAI-compatible chat-completions server (OpenAI, vLLM, llama.cpp's server).

It speaks the wire format with ``httpx`` directly and is the only module that knows a vendor: HTTP and
transport failures become :mod:`dialogue_engine.llm.errors`. ``QD_LLM=openai`` with ``OPENAI_API_KEY``
and/or ``OPENAI_BASE_URL`` configures it (:func:`from_settings`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from dialogue_engine.config import Settings, get_settings
from dialogue_engine.errors import ConfigError
from dialogue_engine.llm.errors import (
    LLMConnectionError,
    LLMError,
    LLMMalformed,
    LLMRateLimited,
    LLMRequestError,
    LLMServerError,
    LLMTimeout,
)
from dialogue_engine.llm.parsing import loads, parse_json_object, schema_hint, validate
from dialogue_engine.llm.types import M, Message, Messages, Role, StructuredMode

log = logging.getLogger(__name__)

OPENAI_URL = "https://api.openai.com/v1"
PLACEHOLDER_KEY = "not-needed"
OUTPUT_CHOICES = ("function_calling", "json_mode", "text")


class OpenAICompatModel:
    """A :class:`~dialogue_engine.llm.types.LanguageModel` over ``POST {base_url}/chat/completions``.

    Args:
        model: the model name sent with every request.
        api_key: sent as a bearer token.
        base_url: the server's ``/v1`` URL (default: OpenAI's).
        mode: structured output by a forced function call or by ``response_format: json_object``.
        max_tokens: default cap on generated tokens.
        temperature: sampling temperature.
        timeout: the HTTP client's timeout in seconds.
        legacy_max_tokens: also send ``max_tokens`` (llama.cpp's server reads only that field; OpenAI
            wants ``max_completion_tokens``).
        client: the ``httpx.AsyncClient`` to send with (e.g. a recording transport); default: our own.
    """

    def __init__(self, *, model: str, api_key: str, base_url: str | None = None,
                 mode: StructuredMode = StructuredMode.FUNCTION_CALLING, max_tokens: int = 300,
                 temperature: float = 0.7, timeout: float = 30.0, legacy_max_tokens: bool = False,
                 client: httpx.AsyncClient | None = None):
        self.model = model
        self.base_url = (base_url or OPENAI_URL).rstrip("/")
        self.mode = StructuredMode(mode)
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.timeout = timeout
        self.legacy_max_tokens = legacy_max_tokens
        self._headers = {"authorization": f"Bearer {api_key}"}
        # No keep-alive pool: a pooled connection opened in one event loop breaks the next (each app turn and
        # each test runs its own loop), so every request opens its own connection.
        self._client = client or httpx.AsyncClient(timeout=timeout, limits=httpx.Limits(max_keepalive_connections=0))

    def body(self, messages: Messages, *, max_tokens: int | None = None, schema: type[M] | None = None,
             stream: bool = False) -> dict[str, Any]:
        """The JSON request body for a text, structured (``schema``) or streamed call."""
        cap = max_tokens or self.max_tokens
        msgs = list(messages)
        body: dict[str, Any] = {"model": self.model, "temperature": self.temperature, "max_completion_tokens": cap}
        if self.legacy_max_tokens:
            body["max_tokens"] = cap
        if schema is not None and self.mode is StructuredMode.FUNCTION_CALLING:
            body["tools"] = [_tool(schema)]
            body["tool_choice"] = {"type": "function", "function": {"name": schema.__name__}}
        elif schema is not None:
            body["response_format"] = {"type": "json_object"}
            msgs.append(Message(role=Role.USER, content=schema_hint(schema)))
        if stream:
            body["stream"] = True
        body["messages"] = [{"role": m.role.value, "content": m.content} for m in msgs]
        return body

    async def complete(self, messages: Messages, *, max_tokens: int | None = None,
                       timeout: float | None = None) -> str:
        """The reply's text content.

        Raises:
            LLMError: the mapped failure; ``LLMMalformed`` for an empty reply.
        """
        message = await self._post(self.body(messages, max_tokens=max_tokens), timeout)
        text = _text(message.get("content"))
        if not text.strip():
            raise LLMMalformed("empty text")
        return text

    async def structured(self, messages: Messages, schema: type[M], *, max_tokens: int | None = None,
                         timeout: float | None = None) -> M:
        """The reply as ``schema``: the forced function call's arguments, or the JSON object in the content.

        Raises:
            LLMError: the mapped failure; ``LLMMalformed`` for no function call, bad JSON or a schema
                violation.
        """
        message = await self._post(self.body(messages, max_tokens=max_tokens, schema=schema), timeout)
        if self.mode is StructuredMode.JSON_MODE:
            return parse_json_object(_text(message.get("content")), schema)
        calls = message.get("tool_calls") or []
        if not calls:
            raise LLMMalformed("no function call in the reply")
        arguments = (calls[0].get("function") or {}).get("arguments") or ""
        data = arguments if isinstance(arguments, dict) else loads(arguments, "bad JSON in function call arguments")
        return validate(schema, data)

    async def stream(self, messages: Messages, *, max_tokens: int | None = None,
                     timeout: float | None = None) -> AsyncIterator[str]:
        """Text chunks from a server-sent-events stream, as they arrive."""
        body = self.body(messages, max_tokens=max_tokens, stream=True)
        async with self._mapped():
            async with self._client.stream("POST", self._url, json=body, headers=self._headers,
                                           timeout=timeout or self.timeout) as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise _status_error(response)
                async for line in response.aiter_lines():
                    chunk = _sse_text(line)
                    if chunk is None:
                        return
                    if chunk:
                        yield chunk

    @property
    def _url(self) -> str:
        return f"{self.base_url}/chat/completions"

    async def _post(self, body: dict[str, Any], timeout: float | None) -> dict[str, Any]:
        async with self._mapped():
            response = await self._client.post(self._url, json=body, headers=self._headers,
                                               timeout=timeout or self.timeout)
        if response.status_code >= 400:
            raise _status_error(response)
        try:
            data = response.json()
            return data["choices"][0]["message"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise LLMMalformed("the server's reply is not a chat completion") from None

    @asynccontextmanager
    async def _mapped(self) -> AsyncIterator[None]:
        """Transport failures as project errors."""
        try:
            yield
        except httpx.TimeoutException as err:
            raise LLMTimeout(f"no answer in time ({type(err).__name__})") from None
        except httpx.TransportError as err:
            raise LLMConnectionError(f"cannot reach {self.base_url}: {_first_line(err)}") from None


def from_settings(settings: Settings | None = None, *, max_tokens: int | None = None,
                  temperature: float = 0.7) -> OpenAICompatModel:
    """The configured model (no timeout or retry wrappers: see :mod:`dialogue_engine.llm.wrappers`).

    Args:
        settings: run-time settings (default: :func:`~dialogue_engine.config.get_settings`).
        max_tokens: cap on generated tokens per reply (default ``QD_LLM_MAX_TOKENS``).
        temperature: sampling temperature.

    Raises:
        ConfigError: neither ``OPENAI_API_KEY`` nor ``OPENAI_BASE_URL`` is set, or ``QD_LLM_OUTPUT`` is
            unknown.
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
    return OpenAICompatModel(
        model=settings.llm_model,
        api_key=key,
        base_url=settings.openai_base_url or None,
        mode=structured_mode(settings),
        max_tokens=max_tokens or settings.llm_max_tokens,
        temperature=temperature,
        timeout=settings.llm_timeout,
        legacy_max_tokens=bool(settings.openai_base_url),
    )


def structured_mode(settings: Settings) -> StructuredMode:
    """The wire mode for structured output from ``QD_LLM_OUTPUT`` (``text`` keeps function calling for the
    callers that need structure).

    Raises:
        ConfigError: an unknown value.
    """
    value = settings.llm_output
    if value not in OUTPUT_CHOICES:
        raise ConfigError(f"QD_LLM_OUTPUT={value!r} is not one of {' | '.join(OUTPUT_CHOICES)}")
    return StructuredMode.JSON_MODE if value == "json_mode" else StructuredMode.FUNCTION_CALLING


def _tool(schema: type[M]) -> dict[str, Any]:
    parameters = schema.model_json_schema()
    parameters.pop("title", None)
    description = " ".join((parameters.pop("description", None) or schema.__name__).split())
    return {"type": "function", "function": {"name": schema.__name__, "description": description,
                                             "parameters": parameters}}


def _status_error(response: httpx.Response) -> LLMError:
    status = response.status_code
    detail = _error_message(response)
    if status == 429:
        return LLMRateLimited(f"rate limited: {detail}", retry_after=_retry_after(response.headers))
    if status >= 500:
        return LLMServerError(f"server error {status}: {detail}", status=status)
    return LLMRequestError(f"request rejected ({status}): {detail}", status=status)


def _error_message(response: httpx.Response) -> str:
    try:
        error = response.json().get("error")
        text = error.get("message") if isinstance(error, dict) else error
    except (ValueError, AttributeError):
        text = response.text
    return _first_line(text or response.reason_phrase or "no detail")


def _retry_after(headers: httpx.Headers) -> float | None:
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            return float(headers[name]) * scale
        except (KeyError, ValueError):
            continue
    return None


def _sse_text(line: str) -> str | None:
    """The text of one SSE line ('' for none), or None at ``data: [DONE]``."""
    if not line.startswith("data:"):
        return ""
    data = line[5:].strip()
    if data == "[DONE]":
        return None
    try:
        choices = json.loads(data).get("choices") or [{}]
    except (ValueError, AttributeError):
        raise LLMMalformed("bad JSON in a streamed chunk") from None
    return _text((choices[0].get("delta") or {}).get("content"))


def _text(content: Any) -> str:
    if isinstance(content, list):
        return "".join(c.get("text", "") if isinstance(c, dict) else str(c) for c in content)
    return content if isinstance(content, str) else ""


def _first_line(value: object, limit: int = 160) -> str:
    lines = str(value).strip().splitlines()
    return (lines[0] if lines else type(value).__name__)[:limit]
