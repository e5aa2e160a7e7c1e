"""Wrappers that are themselves language models: a timeout, retries with backoff, and a call limit.

They work for every caller (realizer, decider, perceiver)::

    model = WithRetry(WithTimeout(from_settings(settings), 30), retries=2)
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from dialogue_engine.llm.errors import RETRYABLE, LLMCallLimit, LLMRateLimited, LLMTimeout
from dialogue_engine.llm.types import LanguageModel, M, Messages

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True, kw_only=True, slots=True)
class Backoff:
    """Exponential backoff: ``base * factor**attempt`` capped at ``cap``, plus up to ``jitter`` x that.

    ``seed`` makes the jitter deterministic (tests); None draws from the system.
    """

    base: float = 0.5
    factor: float = 2.0
    cap: float = 8.0
    jitter: float = 0.25
    seed: int | None = None

    def delays(self) -> Callable[[int, float | None], float]:
        """A function ``(attempt, retry_after) -> seconds`` with its own jitter stream.

        A server's ``retry_after`` raises the wait (never above ``cap``).
        """
        rng = random.Random(self.seed)

        def delay(attempt: int, retry_after: float | None = None) -> float:
            step = min(self.cap, self.base * self.factor**attempt)
            if retry_after is not None:
                step = min(self.cap, max(step, retry_after))
            return step * (1.0 + self.jitter * rng.random())

        return delay


class WithTimeout:
    """A model whose calls end with :class:`LLMTimeout` after ``seconds`` (a stream gets one deadline in all).

    A caller's smaller ``timeout`` wins; the limit is also passed on to the inner model.
    """

    def __init__(self, model: LanguageModel, seconds: float):
        self.model = model
        self.seconds = seconds

    async def complete(self, messages: Messages, *, max_tokens: int | None = None,
                       timeout: float | None = None) -> str:
        """The inner model's text, or :class:`LLMTimeout`."""
        limit = self._limit(timeout)
        return await self._bounded(self.model.complete(messages, max_tokens=max_tokens, timeout=limit), limit)

    async def structured(self, messages: Messages, schema: type[M], *, max_tokens: int | None = None,
                         timeout: float | None = None) -> M:
        """The inner model's structured reply, or :class:`LLMTimeout`."""
        limit = self._limit(timeout)
        call = self.model.structured(messages, schema, max_tokens=max_tokens, timeout=limit)
        return await self._bounded(call, limit)

    async def stream(self, messages: Messages, *, max_tokens: int | None = None,
                     timeout: float | None = None) -> AsyncIterator[str]:
        """The inner model's chunks; :class:`LLMTimeout` when the whole stream overruns the deadline."""
        limit = self._limit(timeout)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        chunks = aiter(self.model.stream(messages, max_tokens=max_tokens, timeout=limit))
        try:
            while True:
                try:
                    chunk = await self._bounded(anext(chunks), max(0.0, deadline - loop.time()))
                except StopAsyncIteration:
                    return
                yield chunk
        finally:
            close = getattr(chunks, "aclose", None)
            if close is not None:
                await close()

    def _limit(self, timeout: float | None) -> float:
        return self.seconds if timeout is None else min(self.seconds, timeout)

    async def _bounded(self, call: Awaitable[T], limit: float) -> T:
        try:
            return await asyncio.wait_for(call, timeout=limit)
        except TimeoutError:
            raise LLMTimeout(f"no answer within {limit:g} s") from None


class WithRetry:
    """A model that retries retryable failures (timeouts, rate limits, connection and server errors,
    malformed replies) with backoff; a rate limit's ``retry_after`` raises the wait.

    The error finally raised carries ``attempts``, the number of calls made. Streams are not retried
    (a retry would repeat text already shown).

    Args:
        model: the inner model (usually a :class:`WithTimeout`).
        retries: extra attempts after the first.
        backoff: the wait between attempts.
        sleep: the wait function (tests pass a recorder).
    """

    def __init__(self, model: LanguageModel, *, retries: int = 2, backoff: Backoff | None = None,
                 sleep: Callable[[float], Awaitable[object]] = asyncio.sleep):
        if retries < 0:
            raise ValueError("retries must be >= 0")
        self.model = model
        self.retries = retries
        self.backoff = backoff or Backoff()
        self._sleep = sleep

    async def complete(self, messages: Messages, *, max_tokens: int | None = None,
                       timeout: float | None = None) -> str:
        """The inner model's text, retried."""
        return await self._retry(lambda: self.model.complete(messages, max_tokens=max_tokens, timeout=timeout))

    async def structured(self, messages: Messages, schema: type[M], *, max_tokens: int | None = None,
                         timeout: float | None = None) -> M:
        """The inner model's structured reply, retried."""
        return await self._retry(
            lambda: self.model.structured(messages, schema, max_tokens=max_tokens, timeout=timeout)
        )

    def stream(self, messages: Messages, *, max_tokens: int | None = None,
               timeout: float | None = None) -> AsyncIterator[str]:
        """The inner model's stream (one attempt)."""
        return self.model.stream(messages, max_tokens=max_tokens, timeout=timeout)

    async def _retry(self, call: Callable[[], Awaitable[T]]) -> T:
        delay = self.backoff.delays()
        for attempt in range(self.retries + 1):
            try:
                return await call()
            except RETRYABLE as err:
                err.attempts = attempt + 1
                if attempt == self.retries:
                    raise
                log.warning("language model attempt %d/%d failed: %s: %s", attempt + 1, self.retries + 1,
                            type(err).__name__, err)
                retry_after = err.retry_after if isinstance(err, LLMRateLimited) else None
                await self._sleep(delay(attempt, retry_after))
        raise AssertionError("unreachable")


class CallLimit:
    """A model that allows at most ``max_calls`` calls (e.g. per agent turn); more raise :class:`LLMCallLimit`.

    :meth:`reset` starts a new allowance. Wrapped inside a :class:`WithRetry`, every retry counts too.
    """

    def __init__(self, model: LanguageModel, max_calls: int):
        if max_calls < 0:
            raise ValueError("max_calls must be >= 0")
        self.model = model
        self.max_calls = max_calls
        self.calls = 0

    def reset(self) -> None:
        """Allow ``max_calls`` more calls."""
        self.calls = 0

    async def complete(self, messages: Messages, *, max_tokens: int | None = None,
                       timeout: float | None = None) -> str:
        """The inner model's text, if a call is left."""
        self._take()
        return await self.model.complete(messages, max_tokens=max_tokens, timeout=timeout)

    async def structured(self, messages: Messages, schema: type[M], *, max_tokens: int | None = None,
                         timeout: float | None = None) -> M:
        """The inner model's structured reply, if a call is left."""
        self._take()
        return await self.model.structured(messages, schema, max_tokens=max_tokens, timeout=timeout)

    def stream(self, messages: Messages, *, max_tokens: int | None = None,
               timeout: float | None = None) -> AsyncIterator[str]:
        """The inner model's stream, if a call is left."""
        self._take()
        return self.model.stream(messages, max_tokens=max_tokens, timeout=timeout)

    def _take(self) -> None:
        if self.calls >= self.max_calls:
            raise LLMCallLimit(f"call limit of {self.max_calls} reached")
        self.calls += 1


def resilient(model: LanguageModel, *, timeout: float, retries: int = 2, backoff: Backoff | None = None,
              sleep: Callable[[float], Awaitable[object]] = asyncio.sleep) -> LanguageModel:
    """``model`` with a per-call timeout and, when ``retries`` > 0, retries with backoff."""
    bounded = WithTimeout(model, timeout)
    if not retries:
        return bounded
    return WithRetry(bounded, retries=retries, backoff=backoff, sleep=sleep)


__all__ = ["Backoff", "CallLimit", "WithRetry", "WithTimeout", "resilient"]
