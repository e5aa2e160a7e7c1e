"""Concurrency of one round: 6 AI personas answering through the LLM realizer at once.

The LLM is a local fake OpenAI-compatible server (loopback, stdlib) that answers after a fixed delay, so
the figure isolates our overhead and concurrency: the real OpenAI-compatible adapter, structured output by
function calling, the timeout wrapper, the resilient realizer and guards. Printed beside the sequential baseline measured in
the same run.

    .venv/bin/python bench/bench_concurrency.py [--delay 0.3] [--personas 6] [--repeats 3]

Target: round time / one reply's time <= 1.5 (sequential is ~6).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

from dialogue_engine.agents import testing as fakes
from dialogue_engine.agents.llm import LLMRealizer, make_model
from dialogue_engine.agents.resilience import ResilientRealizer, character_guard
from dialogue_engine.config import Settings
from dialogue_engine.domain.loading import load_personas
from dialogue_engine.llm.testing import FakeOpenAIServer


def requests(n: int):
    """One realize request per persona (the first ``n`` shipped personas)."""
    personas = list(load_personas().values())
    if len(personas) < n:
        raise SystemExit(f"need {n} personas, found {len(personas)}")
    return [fakes.sample_request(persona=p) for p in personas[:n]]


async def timed(coro) -> float:
    start = time.perf_counter()
    out = await coro
    elapsed = time.perf_counter() - start
    outs = out if isinstance(out, list) else [out]
    bad = [o for o in outs if o.source != "llm"]
    if bad:
        raise SystemExit(f"unexpected fallback: {bad[0].fallback_reason}")
    return elapsed


async def run(delay: float, n: int, repeats: int) -> dict:
    with FakeOpenAIServer(delay=delay) as server:
        settings = Settings(QD_LLM="openai", OPENAI_BASE_URL=server.base_url, QD_LLM_MODEL="fake", QD_LLM_TIMEOUT=30)
        realizer = ResilientRealizer(
            LLMRealizer(make_model(settings)), fakes.StubRealizer(), regenerations=0, guard=character_guard
        )
        reqs = requests(n)
        await realizer.realize(reqs[0])  # warm up the client and connection pool
        one, round_, seq = [], [], []
        for _ in range(repeats):
            one.append(await timed(realizer.realize(reqs[0])))
            round_.append(await timed(asyncio.gather(*(realizer.realize(r) for r in reqs))))

            async def sequential():
                return [await realizer.realize(r) for r in reqs]

            seq.append(await timed(sequential()))
        calls = len(server.requests)
    one_s, round_s, seq_s = (statistics.median(x) for x in (one, round_, seq))
    return {
        "personas": n,
        "server_delay_s": delay,
        "one_reply_s": round(one_s, 3),
        "round_concurrent_s": round(round_s, 3),
        "round_sequential_s": round(seq_s, 3),
        "ratio_concurrent": round(round_s / one_s, 2),
        "ratio_sequential": round(seq_s / one_s, 2),
        "target_ratio": 1.5,
        "ok": round_s / one_s <= 1.5,
        "server_calls": calls,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.3)
    parser.add_argument("--personas", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(run(args.delay, args.personas, args.repeats))
    if args.json:
        print(json.dumps(result))
        return
    print(f"round of {result['personas']} personas, server delay {result['server_delay_s']} s (median of {args.repeats})")
    print(f"  one reply            {result['one_reply_s']:.3f} s   1.00x")
    print(f"  round, concurrent    {result['round_concurrent_s']:.3f} s   {result['ratio_concurrent']:.2f}x  (target <= 1.5)")
    print(f"  round, sequential    {result['round_sequential_s']:.3f} s   {result['ratio_sequential']:.2f}x  (baseline)")
    print("  PASS" if result["ok"] else "  FAIL")


if __name__ == "__main__":
    main()
