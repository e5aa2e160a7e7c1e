"""The language-model layer's own errors: every adapter maps its vendor's failures onto these."""

from __future__ import annotations

from dialogue_engine.errors import QDError


class LLMError(QDError):
    """A language-model call failed. ``attempts`` is how many calls were made (set by ``WithRetry``)."""

    attempts: int = 1


class LLMTimeout(LLMError):
    """The model did not answer in time."""

    def __init__(self, message: str = "the language model did not answer in time"):
        super().__init__(message)


class LLMRateLimited(LLMError):
    """The server refused the call for now (HTTP 429); ``retry_after`` is its suggested wait in seconds."""

    def __init__(self, message: str = "rate limited", *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class LLMConnectionError(LLMError):
    """The server could not be reached (refused, reset, DNS, broken stream)."""


class LLMServerError(LLMError):
    """The server failed (HTTP 5xx)."""

    def __init__(self, message: str = "server error", *, status: int = 500):
        super().__init__(message)
        self.status = status


class LLMRequestError(LLMError):
    """The server rejected the request (HTTP 4xx other than 429); retrying will not help."""

    def __init__(self, message: str = "request rejected", *, status: int = 400):
        super().__init__(message)
        self.status = status


class LLMMalformed(LLMError):
    """The model answered, but unusably: bad JSON, no function call, a schema violation or empty text."""


class LLMCallLimit(LLMError):
    """A :class:`~dialogue_engine.llm.wrappers.CallLimit` allowed no more calls."""


class LLMUnavailable(LLMError):
    """No language model is configured (see :class:`~dialogue_engine.llm.testing.NoModel`)."""


RETRYABLE: tuple[type[LLMError], ...] = (LLMTimeout, LLMRateLimited, LLMConnectionError, LLMServerError, LLMMalformed)
"""Failures worth another attempt."""
