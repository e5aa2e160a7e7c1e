"""Resilience around the realizer seam: guard checks, regeneration of rejected words, recorded fallback.

Timeouts and retries of model calls are the language model wrappers' job (:mod:`dialogue_engine.llm.wrappers`).
``ResilientRealizer(primary, fallback, guard=...)`` is itself a
:class:`~dialogue_engine.agents.realizer.Realizer`, so callers never branch on failures: a turn always gets
words, and a fallback is recorded in ``Realization.fallback_reason``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from dialogue_engine.agents.realizer import Realization, Realizer, RealizeRequest
from dialogue_engine.agents.streaming import OnText, SentenceGate, show
from dialogue_engine.llm.errors import (
    LLMConnectionError,
    LLMError,
    LLMMalformed,
    LLMRateLimited,
    LLMServerError,
    LLMTimeout,
)

log = logging.getLogger(__name__)

Guard = Callable[[RealizeRequest, Realization], "str | None"]
"""A check on a realization: returns a one-line problem, or None when the text may be said."""


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


@dataclass(frozen=True)
class Failure:
    """A failed realization: its kind, a short detail, a server-suggested wait and the model calls made."""

    kind: FailureKind
    detail: str = ""
    retry_after: float | None = None
    attempts: int = 1


def classify(err: BaseException) -> Failure:
    """Map an exception from a realizer or language model to a :class:`Failure`.

    Only the project's own language-model errors keep their message as the detail; any other exception is
    named by its type alone, because the detail is shown to players (``fallback_reason``) and logged, and a
    foreign message may quote the words that failed, private numbers included.
    """
    attempts = getattr(err, "attempts", 1) if isinstance(err, LLMError) else 1
    if isinstance(err, GuardRejected):
        return Failure(FailureKind.GUARD, _short(err))
    if isinstance(err, LLMMalformed):
        return Failure(FailureKind.MALFORMED, _short(err), attempts=attempts)
    if isinstance(err, (LLMTimeout, TimeoutError)):
        return Failure(FailureKind.TIMEOUT, attempts=attempts)
    if isinstance(err, LLMRateLimited):
        return Failure(FailureKind.RATE_LIMITED, retry_after=err.retry_after, attempts=attempts)
    if isinstance(err, LLMServerError):
        return Failure(FailureKind.CONNECTION, f"server error {err.status}", attempts=attempts)
    if isinstance(err, LLMConnectionError):
        return Failure(FailureKind.CONNECTION, _short(err), attempts=attempts)
    if isinstance(err, LLMError):
        return Failure(FailureKind.ERROR, f"{type(err).__name__}: {_short(err)}", attempts=attempts)
    return Failure(FailureKind.ERROR, type(err).__name__)  # its message may quote anything: never shown


class ResilientRealizer:
    """A realizer that checks the primary's words, regenerates rejected ones, then falls back.

    Args:
        primary: usually an :class:`~dialogue_engine.agents.llm.LLMRealizer` over a retrying model.
        fallback: usually the built-in realizer; it must not fail.
        guard: a check run on every primary realization; a problem asks the primary again.
        regenerations: how many times words rejected by the guard are asked for again. Any other failure
            falls back at once (the model layer has retried already).
    """

    guarded_stream = True
    """:meth:`stream_realize` checks every sentence with the guard before ``on_text`` sees it."""

    def __init__(self, primary: Realizer, fallback: Realizer, *, guard: Guard | None = None,
                 regenerations: int = 1) -> None:
        if regenerations < 0:
            raise ValueError("regenerations must be >= 0")
        self.primary = primary
        self.fallback = fallback
        self.guard = guard
        self.regenerations = regenerations

    def with_guard(self, guard: Guard) -> ResilientRealizer:
        """A copy that also runs ``guard`` (after its own), sharing primary and fallback."""
        combined = all_of(self.guard, guard) if self.guard else guard
        return ResilientRealizer(self.primary, self.fallback, guard=combined, regenerations=self.regenerations)

    async def realize(self, request: RealizeRequest) -> Realization:
        """Words for ``request.move`` from the primary realizer, or from the fallback with the reason."""
        failure = Failure(FailureKind.ERROR)
        retries = 0
        for attempt in range(self.regenerations + 1):
            try:
                result = await self.primary.realize(request)
                _check(request, result, self.guard)
                return result
            except asyncio.CancelledError:
                raise
            except Exception as err:  # noqa: BLE001 - every failure is classified and recorded
                failure = classify(err)
                retries = attempt + failure.attempts - 1
                log.warning("realization %d for %s failed: %s%s", attempt + 1, request.persona.id,
                            failure.kind.value, f" ({failure.detail})" if failure.detail else "")
                if failure.kind is not FailureKind.GUARD:
                    break
        return await self._fall_back(request, _reason(failure, retries))

    async def stream_realize(self, request: RealizeRequest, on_text: OnText | None = None) -> Realization:
        """Stream the primary's words through ``on_text``, one guarded sentence at a time; on any failure
        return the fallback's words.

        Each complete sentence is checked by the guard before ``on_text`` sees it (a
        :class:`~dialogue_engine.agents.streaming.SentenceGate`); the first rejected sentence is never shown
        and stops the stream. Streaming is one attempt (a retry would repeat text already shown). The caller
        shows the returned realization's text as final: it replaces the streamed text when a fallback
        happened, and may differ slightly otherwise (the realizer completes a proposal it left out).
        """
        stream = getattr(self.primary, "stream_realize", None)
        if stream is None:
            result = await self.realize(request)
            show(on_text, result.text)
            return result
        gate = SentenceGate(request, self.guard, on_text)
        try:
            result = await stream(request, gate)
            gate.close()
            _check(request, result, self.guard)
            return result
        except asyncio.CancelledError:
            raise
        except Exception as err:  # noqa: BLE001
            failure = classify(err)
            log.warning("streamed realization for %s failed after %d sentence(s) shown: %s%s", request.persona.id,
                        len(gate.shown), failure.kind.value, f" ({failure.detail})" if failure.detail else "")
            return await self._fall_back(request, _reason(failure, failure.attempts - 1))

    async def _fall_back(self, request: RealizeRequest, reason: str) -> Realization:
        log.warning("falling back to %s for %s: %s", type(self.fallback).__name__, request.persona.id, reason)
        result = await self.fallback.realize(request)
        return dataclasses.replace(result, source="builtin", fallback_reason=reason)


def with_guard(realizer: Realizer, guard: Guard) -> Realizer:
    """``realizer`` with ``guard`` added where it can regenerate: a :class:`ResilientRealizer` gets a guarded
    copy (rejected words are asked for again before falling back); any other realizer is returned as is
    (its caller checks the words itself)."""
    if isinstance(realizer, ResilientRealizer):
        return realizer.with_guard(guard)
    return realizer


def _check(request: RealizeRequest, result: Realization, guard: Guard | None) -> None:
    if not result.text.strip():
        raise LLMMalformed("empty text")
    problem = guard(request, result) if guard else None
    if problem:
        raise GuardRejected(problem)


def _reason(failure: Failure, retries: int) -> str:
    """'timeout after 2 retries', 'malformed reply after 1 retry: empty text', 'rate limited'."""
    text = failure.kind.value
    if retries:
        text += f" after {retries} {'retry' if retries == 1 else 'retries'}"
    if failure.detail:
        text += f": {failure.detail}"
    return text


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
