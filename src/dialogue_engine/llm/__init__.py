"""The vendor-neutral language-model layer: messages, the :class:`LanguageModel` protocol, errors, wrappers.

Only :mod:`dialogue_engine.llm.openai_compat` talks to a server; fakes live in :mod:`dialogue_engine.llm.testing`.
"""

from dialogue_engine.llm.errors import (
    LLMCallLimit,
    LLMConnectionError,
    LLMError,
    LLMMalformed,
    LLMRateLimited,
    LLMRequestError,
    LLMServerError,
    LLMTimeout,
    LLMUnavailable,
)
from dialogue_engine.llm.parsing import parse_json_object
from dialogue_engine.llm.types import LanguageModel, Message, Messages, Role, StructuredMode, system, user
from dialogue_engine.llm.wrappers import Backoff, CallLimit, WithRetry, WithTimeout, resilient

__all__ = [
    "Backoff",
    "CallLimit",
    "LLMCallLimit",
    "LLMConnectionError",
    "LLMError",
    "LLMMalformed",
    "LLMRateLimited",
    "LLMRequestError",
    "LLMServerError",
    "LLMTimeout",
    "LLMUnavailable",
    "LanguageModel",
    "Message",
    "Messages",
    "Role",
    "StructuredMode",
    "WithRetry",
    "WithTimeout",
    "parse_json_object",
    "resilient",
    "system",
    "user",
]
