"""ResilientRealizer over retrying models: timeouts, retries with backoff, guard regeneration, recorded fallbacks."""

from __future__ import annotations

import asyncio
import logging

import pytest

from dialogue_engine.agents import testing as fakes
from dialogue_engine.agents.llm import LLMRealizer, make_realizer
from dialogue_engine.agents.resilience import FailureKind, GuardRejected, ResilientRealizer, classify, with_guard
from dialogue_engine.config import Settings
from dialogue_engine.llm import Backoff, LLMMalformed, LLMRequestError, LLMUnavailable, resilient as hardened


class Sleeps(list):
    """Records requested waits instead of sleeping."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def resilient(model, *, retries=2, timeout=30.0, **kw) -> tuple[ResilientRealizer, fakes.StubRealizer, Sleeps]:
    fallback, sleeps = fakes.StubRealizer(), Sleeps()
    backoff = kw.pop("backoff", Backoff(base=0.1, factor=2.0, jitter=0.5, seed=7))
    wrapped = hardened(model, timeout=timeout, retries=retries, backoff=backoff, sleep=sleeps)
    return ResilientRealizer(LLMRealizer(wrapped), fallback, **kw), fallback, sleeps


async def test_success_passes_through_without_retries():
    realizer, fallback, sleeps = resilient(fakes.replying("Mid and Later suit us [1]."))
    out = await realizer.realize(fakes.sample_request())
    assert out.source == "llm" and out.fallback_reason is None
    assert fallback.calls == 0 and sleeps == []


async def test_timeout_retries_then_falls_back_with_reason(caplog):
    model = fakes.slow(delay=0.5)
    realizer, fallback, sleeps = resilient(model, retries=2, timeout=0.02)
    with caplog.at_level(logging.WARNING):
        out = await realizer.realize(fakes.sample_request())
    assert out.source == "builtin" and out.fallback_reason == "timeout after 2 retries"
    assert out.text == fallback.text and fallback.calls == 1
    assert len(model.requests) == 3 and len(sleeps) == 2
    assert any("timeout" in r.getMessage().lower() for r in caplog.records)


async def test_rate_limit_then_success_recovers_on_retry():
    model = fakes.failing("rate_limit", then={"text": "Mid and Later, then [1].", "cited": [1]})
    realizer, fallback, sleeps = resilient(model)
    out = await realizer.realize(fakes.sample_request())
    assert out.source == "llm" and out.cited == (1,) and fallback.calls == 0
    assert len(sleeps) == 1


async def test_persistent_rate_limit_falls_back():
    realizer, _, _ = resilient(fakes.failing("rate_limit"), retries=1)
    out = await realizer.realize(fakes.sample_request())
    assert out.fallback_reason == "rate limited after 1 retry"


async def test_connection_error_is_retried():
    realizer, _, sleeps = resilient(fakes.failing("connection"), retries=2)
    out = await realizer.realize(fakes.sample_request())
    assert out.fallback_reason.startswith("connection error after 2 retries") and len(sleeps) == 2


@pytest.mark.parametrize("kind", ["bad_json", "missing_field", "no_tool_call", "empty"])
async def test_malformed_replies_fall_back_with_detail(kind):
    realizer, _, _ = resilient(fakes.malformed(kind), retries=1)
    out = await realizer.realize(fakes.sample_request())
    assert out.source == "builtin" and out.fallback_reason.startswith("malformed reply after 1 retry: ")


async def test_non_retryable_error_falls_back_at_once():
    model = fakes.scripted(LLMRequestError("request rejected (400): bad request", status=400))
    realizer, _, sleeps = resilient(model)
    out = await realizer.realize(fakes.sample_request())
    assert out.fallback_reason == "llm error: LLMRequestError: request rejected (400): bad request"
    assert sleeps == [] and len(model.requests) == 1


async def test_guard_rejection_regenerates_then_accepts_clean_text():
    model = fakes.scripted(
        {"text": "Our minimum is 55 points.", "cited": []},
        {"text": "Mid and Later, in good faith [1].", "cited": [1]},
    )
    guard = lambda request, r: "mentions a private number" if "55" in r.text else None  # noqa: E731
    realizer, fallback, sleeps = resilient(model, guard=guard)
    out = await realizer.realize(fakes.sample_request())
    assert out.source == "llm" and "55" not in out.text and fallback.calls == 0
    assert len(model.requests) == 2 and sleeps == []


async def test_with_guard_adds_a_seat_guard_at_construction():
    realizer, _, _ = resilient(fakes.replying("Our minimum is 55 points."), regenerations=1)
    guarded = with_guard(realizer, lambda q, r: "leak" if "55" in r.text else None)
    assert (await realizer.realize(fakes.sample_request())).source == "llm"  # the original is unchanged
    out = await guarded.realize(fakes.sample_request())
    assert out.fallback_reason == "guard rejected reply after 1 retry: leak"
    plain = fakes.StubRealizer()
    assert with_guard(plain, lambda q, r: "leak") is plain


def test_backoff_honours_retry_after_within_cap():
    delay = Backoff(base=0.1, cap=2.0, jitter=0.0).delays()
    assert delay(0, 1.5) == 1.5 and delay(0, 30.0) == 2.0 and delay(3, None) == 0.8


@pytest.mark.parametrize(
    ("err", "kind"),
    [
        (fakes.rate_limit_error(), FailureKind.RATE_LIMITED),
        (fakes.timeout_error(), FailureKind.TIMEOUT),
        (asyncio.TimeoutError(), FailureKind.TIMEOUT),
        (fakes.connection_error(), FailureKind.CONNECTION),
        (fakes.server_error(), FailureKind.CONNECTION),
        (LLMMalformed("bad JSON"), FailureKind.MALFORMED),
        (GuardRejected("leak"), FailureKind.GUARD),
        (LLMUnavailable("none"), FailureKind.ERROR),
        (KeyError("x"), FailureKind.ERROR),
    ],
)
def test_classify(err, kind):
    assert classify(err).kind is kind


def test_classify_ignores_vendor_names():
    """Only the project's errors are mapped: a foreign class named like a vendor's is a plain error."""
    rate_limit_error = type("RateLimitError", (Exception,), {"status_code": 429})
    assert classify(rate_limit_error("slow down")).kind is FailureKind.ERROR


def test_rate_limit_retry_after_is_kept():
    assert classify(fakes.rate_limit_error(retry_after=3)).retry_after == 3.0


async def test_stream_realize_streams_then_falls_back_on_failure():
    request = fakes.sample_request()
    seen: list[str] = []
    ok, _, _ = resilient(fakes.scripted("Mid and Later [1]."))
    out = await ok.stream_realize(request, seen.append)
    assert out.source == "llm" and "".join(seen) == "Mid and Later [1]." and out.cited == (1,)
    broken, _, _ = resilient(fakes.failing("rate_limit"))
    out = await broken.stream_realize(request, seen.append)
    assert out.source == "builtin" and out.fallback_reason == "rate limited"


async def test_rounds_run_concurrently():
    """Six personas against a slow model are all waiting on it at once (sequential calls would wait one at a time)."""
    from dialogue_engine.llm.testing import ScriptedModel

    class Counting(ScriptedModel):
        waiting = peak = 0

        async def _next(self, *args):
            Counting.waiting += 1
            Counting.peak = max(Counting.peak, Counting.waiting)
            try:
                return await super()._next(*args)
            finally:
                Counting.waiting -= 1

    realizer, _, _ = resilient(Counting({"text": "After some thought, yes.", "cited": []}, delay=0.05))
    outs = await asyncio.gather(*(realizer.realize(fakes.sample_request()) for _ in range(6)))
    assert all(o.source == "llm" for o in outs)
    assert Counting.peak == 6


async def test_make_realizer_with_a_fake_model_and_stand_in_fallback():
    settings = Settings(QD_LLM="openai", OPENAI_API_KEY="k", QD_LLM_TIMEOUT=0.05)
    realizer = make_realizer(settings, model=fakes.slow(1.0), fallback=fakes.StubRealizer(), retries=0)
    out = await realizer.realize(fakes.sample_request())
    assert out.fallback_reason == "timeout"
