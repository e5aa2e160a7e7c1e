"""The language-model wrappers (timeout, retry with backoff, call limit) and the shipped fakes."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import BaseModel

from dialogue_engine.llm import (
    Backoff,
    CallLimit,
    LanguageModel,
    LLMCallLimit,
    LLMMalformed,
    LLMRateLimited,
    LLMRequestError,
    LLMTimeout,
    LLMUnavailable,
    WithRetry,
    WithTimeout,
    user,
)
from dialogue_engine.llm.sync import run_sync
from dialogue_engine.llm.testing import BadToolCall, NoModel, ScriptedModel
from dialogue_engine.llm.types import StructuredMode

PROMPT = (user("Hello"),)


class Answer(BaseModel):
    """A tiny schema."""

    text: str
    n: int = 0


class Sleeps(list):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def retrying(model, retries=2, **kw):
    sleeps = Sleeps()
    kw.setdefault("backoff", Backoff(base=0.1, factor=2.0, jitter=0.0))
    return WithRetry(model, retries=retries, sleep=sleeps, **kw), sleeps


def test_fakes_and_wrappers_are_language_models():
    model = ScriptedModel("hi")
    for m in (model, NoModel(), WithTimeout(model, 1), WithRetry(model), CallLimit(model, 1)):
        assert isinstance(m, LanguageModel)


async def test_retry_honours_retry_after_above_the_backoff():
    model = ScriptedModel(LLMRateLimited(retry_after=1.5), LLMRateLimited(retry_after=None), "done")
    wrapped, sleeps = retrying(model)
    assert await wrapped.complete(PROMPT) == "done"
    assert sleeps == [1.5, 0.2] and len(model.requests) == 3


async def test_retry_after_is_capped():
    wrapped, sleeps = retrying(ScriptedModel(LLMRateLimited(retry_after=600), "ok"), backoff=Backoff(cap=4, jitter=0))
    await wrapped.complete(PROMPT)
    assert sleeps == [4]


async def test_retry_gives_up_with_the_attempt_count():
    model = ScriptedModel(LLMMalformed("bad JSON"))
    wrapped, sleeps = retrying(model, retries=2)
    with pytest.raises(LLMMalformed) as err:
        await wrapped.structured(PROMPT, Answer)
    assert err.value.attempts == 3 and len(sleeps) == 2 and len(model.requests) == 3


async def test_non_retryable_errors_pass_at_once():
    model = ScriptedModel(LLMRequestError("bad request", status=400), "never")
    wrapped, sleeps = retrying(model)
    with pytest.raises(LLMRequestError):
        await wrapped.complete(PROMPT)
    assert sleeps == [] and len(model.requests) == 1


def test_backoff_is_exponential_and_deterministic_with_a_seed():
    first, second = (Backoff(base=0.1, jitter=0.5, seed=7).delays() for _ in range(2))
    waits = [first(a, None) for a in range(3)]
    assert waits == [second(a, None) for a in range(3)]
    assert all(b <= w <= b * 1.5 for w, b in zip(waits, [0.1, 0.2, 0.4], strict=True))


async def test_timeout_raises_the_project_error_and_passes_the_limit_on():
    slow = ScriptedModel("late", delay=0.5)
    with pytest.raises(LLMTimeout):
        await WithTimeout(slow, 0.02).complete(PROMPT)
    fast = ScriptedModel({"text": "x"})
    await WithTimeout(fast, 5).structured(PROMPT, Answer, timeout=2)
    assert fast.requests[0].timeout == 2


async def test_timeout_bounds_a_whole_stream():
    class Dribble(ScriptedModel):
        async def stream(self, messages, *, max_tokens=None, timeout=None):
            for word in ("a ", "b ", "c "):
                await asyncio.sleep(0.03)
                yield word

    seen = []
    with pytest.raises(LLMTimeout):
        async for chunk in WithTimeout(Dribble(), 0.05).stream(PROMPT):
            seen.append(chunk)
    assert seen == ["a "]


async def test_call_limit_counts_calls_and_resets():
    limited = CallLimit(ScriptedModel("ok"), 2)
    assert await limited.complete(PROMPT) == "ok"
    assert [c async for c in limited.stream(PROMPT)] == ["ok"]
    with pytest.raises(LLMCallLimit, match="call limit of 2"):
        await limited.complete(PROMPT)
    limited.reset()
    assert await limited.complete(PROMPT) == "ok"


async def test_call_limit_inside_retry_counts_every_attempt_and_stops_retrying():
    model = ScriptedModel(LLMRateLimited(), LLMRateLimited(), "ok")
    wrapped, sleeps = retrying(CallLimit(model, 2), retries=5)
    with pytest.raises(LLMCallLimit):
        await wrapped.complete(PROMPT)
    assert len(model.requests) == 2 and len(sleeps) == 2


async def test_scripted_model_mirrors_the_adapters_checks():
    fc = ScriptedModel("plain words", BadToolCall(), {"n": 1}, {"text": "ok", "n": 2}, "   ")
    with pytest.raises(LLMMalformed, match="no function call"):
        await fc.structured(PROMPT, Answer)
    with pytest.raises(LLMMalformed, match="bad JSON"):
        await fc.structured(PROMPT, Answer)
    with pytest.raises(LLMMalformed, match="text: field required"):
        await fc.structured(PROMPT, Answer)
    assert await fc.structured(PROMPT, Answer) == Answer(text="ok", n=2)
    with pytest.raises(LLMMalformed, match="empty text"):
        await fc.complete(PROMPT)
    json_mode = ScriptedModel('Sure: ```json\n{"text": "hi", "n": 3}\n```', mode=StructuredMode.JSON_MODE)
    assert await json_mode.structured(PROMPT, Answer) == Answer(text="hi", n=3)
    assert [r.kind for r in fc.requests] == ["structured"] * 4 + ["complete"]
    assert fc.requests[0].schema is Answer and fc.requests[0].messages == PROMPT


async def test_no_model_says_why():
    with pytest.raises(LLMUnavailable, match="QD_LLM=none"):
        await NoModel().complete(PROMPT)
    with pytest.raises(LLMUnavailable):
        [c async for c in NoModel().stream(PROMPT)]


async def test_run_sync_works_inside_a_running_loop():
    assert run_sync(ScriptedModel("from a worker").complete(PROMPT)) == "from a worker"


def test_run_sync_works_without_a_loop():
    assert run_sync(ScriptedModel("plain").complete(PROMPT)) == "plain"


def test_the_llm_layer_keeps_its_import_bounds():
    """``llm`` imports only config, errors, itself, stdlib and pydantic; only the adapter imports a vendor
    HTTP client, and no module in the package outside ``llm/openai_compat.py`` imports one."""
    import ast
    import sys
    from pathlib import Path

    import dialogue_engine

    root = Path(dialogue_engine.__file__).parent
    vendors = {"httpx", "openai", "langchain_core", "langchain_openai", "langchain"}
    allowed = {"dialogue_engine.config", "dialogue_engine.errors", "pydantic", "__future__"}
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text())
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        top = {n.split(".")[0] for n in names}
        rel = path.relative_to(root).as_posix()
        if rel != "llm/openai_compat.py":
            assert not top & vendors, f"{rel} imports a vendor client"
        if rel.startswith("llm/"):
            foreign = {n for n in names if not (n in allowed or n.startswith("dialogue_engine.llm")
                                                 or n.split(".")[0] in sys.stdlib_module_names
                                                 or n.split(".")[0] in {"pydantic", "httpx"})}
            assert not foreign, f"{rel} imports {sorted(foreign)}"
