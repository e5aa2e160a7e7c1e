"""Resilience around the realizer seam: per-attempt timeout, retry with backoff, guard re-check, fallback.

``ResilientRealizer(primary, fallback)`` is itself a :class:`~dialogue_engine.agents.realizer.Realizer`,
so callers never branch on failures: a turn always gets words, and a fallback is recorded in
``Realization.fallback_reason``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from dialogue_engine.agents.realizer import Realization, Realizer, RealizeRequest

log = logging.getLogger(__name__)

Guard = Callable[[RealizeRequest, Realization], "str | None"]
"""A check on a realization: returns a one-line problem, or None when the text may be said."""


class MalformedReply(Exception):
    """The model answered, but not with usable words (bad JSON, missing fields, empty text)."""


class GuardRejected(Exception):
    """The model's words failed a guard check (e.g. they would leak a private number)."""


class FailureKind(str, Enum):
    """Why an attempt at the primary realizer failed."""

    TIMEOUT = "timeout"
    RATE_LIMITED = "rate limited"
    CONNECTION = "connection error"
    MALFORMED = "malformed reply"
    GUARD = "guard rejected reply"
    ERROR = "llm error"


RETRYABLE = frozenset(FailureKind) - {FailureKind.ERROR}


@dataclass(frozen=True)
class Failure:
    """One failed attempt: its kind, a short detail, and a server-suggested wait if any."""

    kind: FailureKind
    detail: str = ""
    retry_after: float | None = None


@dataclass(frozen=True)
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
        """A function ``(attempt, retry_after) -> seconds`` with its own jitter stream."""
        rng = random.Random(self.seed)

        def delay(attempt: int, retry_after: float | None = None) -> float:
            step = min(self.cap, self.base * self.factor**attempt)
            if retry_after is not None:
                step = min(self.cap, max(step, retry_after))
            return step * (1.0 + self.jitter * rng.random())

        return delay


def classify(err: BaseException) -> Failure:
    """Map an exception from an LLM call to a :class:`Failure` (vendor types checked by name and status)."""
    if isinstance(err, GuardRejected):
        return Failure(FailureKind.GUARD, _short(err))
    if isinstance(err, MalformedReply):
        return Failure(FailureKind.MALFORMED, _short(err))
    if isinstance(err, (asyncio.TimeoutError, TimeoutError)):
        return Failure(FailureKind.TIMEOUT)
    names = {cls.__name__ for cls in type(err).__mro__}
    status = getattr(err, "status_code", None)
    if "APITimeoutError" in names or "TimeoutException" in names:
        return Failure(FailureKind.TIMEOUT)
    if "RateLimitError" in names or status == 429:
        return Failure(FailureKind.RATE_LIMITED, retry_after=_retry_after(err))
    if "APIConnectionError" in names or "ConnectError" in names or isinstance(err, ConnectionError):
        return Failure(FailureKind.CONNECTION, _short(err))
    if names & {"ValidationError", "OutputParserException", "JSONDecodeError"} or isinstance(
        err, json.JSONDecodeError
    ):
        return Failure(FailureKind.MALFORMED, _short(err))
    if isinstance(status, int) and status >= 500:
        return Failure(FailureKind.CONNECTION, f"server error {status}")
    return Failure(FailureKind.ERROR, f"{type(err).__name__}: {_short(err)}")


class ResilientRealizer:
    """A realizer that tries ``primary`` with a timeout and retries, then falls back.

    Args:
        primary: usually an :class:`~dialogue_engine.agents.llm.LLMRealizer`.
        fallback: usually the built-in realizer; it must not fail.
        retries: extra attempts after the first for retryable failures (timeouts, rate limits,
            connection errors, malformed replies, guard rejections).
        timeout: seconds allowed for one attempt (``asyncio.wait_for``).
        backoff: the wait between attempts.
        guard: an optional check run on every primary realization; a problem counts as a malformed
            reply (retry, then fall back). Per-call guards can be passed to :meth:`realize` too.
        sleep: the wait function (tests pass a recorder instead of ``asyncio.sleep``).
    """

    def __init__(
        self,
        primary: Realizer,
        fallback: Realizer,
        *,
        retries: int = 2,
        timeout: float = 30.0,
        backoff: Backoff | None = None,
        guard: Guard | None = None,
        sleep: Callable[[float], object] = asyncio.sleep,
    ) -> None:
        if retries < 0:
            raise ValueError("retries must be >= 0")
        self.primary = primary
        self.fallback = fallback
        self.retries = retries
        self.timeout = timeout
        self.backoff = backoff or Backoff()
        self.guard = guard
        self._sleep = sleep

    async def realize(self, request: RealizeRequest, *, guard: Guard | None = None) -> Realization:
        """Words for ``request.move`` from the primary realizer, or from the fallback with the reason."""
        guards = [g for g in (self.guard, guard) if g is not None]
        delay = self.backoff.delays()
        failure: Failure | None = None
        attempt = 0
        for attempt in range(self.retries + 1):
            if attempt:
                await self._sleep(delay(attempt - 1, failure.retry_after if failure else None))
            try:
                result = await asyncio.wait_for(self.primary.realize(request), timeout=self.timeout)
                _check(request, result, guards)
                return result
            except asyncio.CancelledError:
                raise
            except Exception as err:  # noqa: BLE001 - every failure is classified and recorded
                failure = classify(err)
                log.warning(
                    "realizer attempt %d/%d for %s failed: %s%s",
                    attempt + 1,
                    self.retries + 1,
                    request.persona.id,
                    failure.kind.value,
                    f" ({failure.detail})" if failure.detail else "",
                )
                if failure.kind not in RETRYABLE:
                    break
        assert failure is not None
        return await self._fall_back(request, _reason(failure, attempt))

    async def stream_realize(
        self,
        request: RealizeRequest,
        on_text: Callable[[str], object] | None = None,
        *,
        guard: Guard | None = None,
    ) -> Realization:
        """Stream the primary's words through ``on_text``; on any failure return the fallback's words.

        Streaming is one attempt (a retry would repeat text already shown). The caller shows the
        returned realization's text as final: it replaces the streamed text when a fallback happened.
        """
        stream = getattr(self.primary, "stream_realize", None)
        if stream is None:
            result = await self.realize(request, guard=guard)
            if on_text is not None:
                on_text(result.text)
            return result
        guards = [g for g in (self.guard, guard) if g is not None]
        try:
            result = await asyncio.wait_for(stream(request, on_text), timeout=self.timeout)
            _check(request, result, guards)
            return result
        except asyncio.CancelledError:
            raise
        except Exception as err:  # noqa: BLE001
            failure = classify(err)
            log.warning("streamed realization for %s failed: %s", request.persona.id, failure.kind.value)
            return await self._fall_back(request, _reason(failure, 0))

    async def _fall_back(self, request: RealizeRequest, reason: str) -> Realization:
        log.warning("falling back to %s for %s: %s", type(self.fallback).__name__, request.persona.id, reason)
        result = await self.fallback.realize(request)
        return dataclasses.replace(result, source="builtin", fallback_reason=reason)


def _check(request: RealizeRequest, result: Realization, guards: list[Guard]) -> None:
    if not result.text.strip():
        raise MalformedReply("empty text")
    for guard in guards:
        problem = guard(request, result)
        if problem:
            raise GuardRejected(problem)


def _reason(failure: Failure, attempt: int) -> str:
    """'timeout after 2 retries', 'malformed reply after 1 retry: empty text', 'rate limited'."""
    text = failure.kind.value
    if attempt:
        text += f" after {attempt} {'retry' if attempt == 1 else 'retries'}"
    if failure.detail:
        text += f": {failure.detail}"
    return text


def _retry_after(err: BaseException) -> float | None:
    response = getattr(err, "response", None)
    headers = getattr(response, "headers", None)
    if not headers:
        return None
    try:
        return float(headers.get("retry-after"))
    except (TypeError, ValueError):
        return None


def _short(err: BaseException, limit: int = 120) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def party_guard(party) -> Guard:
    """A :data:`Guard` for one seat: the text must pass ``agents.guard.check_reply`` for ``party``.

    Numbers that appear in the public material of the request (situation, issue and option labels,
    passages) are allowed; the persona's taboo words are not.
    """
    from dialogue_engine.agents.guard import check_reply

    def guard(request: RealizeRequest, result: Realization) -> str | None:
        public = " ".join(
            [request.scenario_title, request.situation, request.issue_title]
            + [f"{issue} {option}" for issue, option in request.proposal_lines]
        )
        problems = check_reply(
            result.text, party, request.passages, public_text=public, taboo=request.persona.voice.taboo_words
        )
        return "; ".join(problems) or None

    return guard


_ROLE_BREAK = (
    r"\bas an ai\b",
    r"\b(a |an )?(large )?language model\b",
    r"\b(ai|virtual|helpful) assistant\b",
    r"\bsystem prompt\b",
    r"\bmy (instructions|prompt|programming|guidelines)\b",
    r"\bi (have been|was) (instructed|told|programmed) to\b",
    r"\bignor(e|ing) (all |my |the )?(previous|prior|above) instructions\b",
    r"\b(developer|jailbreak|dan) mode\b",
    r"\b(arr+|ahoy|matey|shiver me timbers)\b",
    r"\bi am (now )?(a|an|the) (pirate|chatbot|assistant|translator|facilitator|ai)\b",
)
_ROLE_BREAK_RE = [re.compile(p, re.IGNORECASE) for p in _ROLE_BREAK]


def character_guard(request: RealizeRequest, result: Realization) -> str | None:
    """A :data:`Guard` against breaking character: assistant talk, prompt talk, adopted roles."""
    for pattern in _ROLE_BREAK_RE:
        found = pattern.search(result.text)
        if found:
            return f"breaks character ({found.group(0).lower()!r})"
    other = request.persona.display_name.lower()
    if re.search(r"\bi am not " + re.escape(other) + r"\b", result.text.lower()):
        return "breaks character (denies being the persona)"
    return None


def all_of(*guards: Guard) -> Guard:
    """One guard running ``guards`` in order; the first problem wins."""

    def guard(request: RealizeRequest, result: Realization) -> str | None:
        for g in guards:
            problem = g(request, result)
            if problem:
                return problem
        return None

    return guard
