"""Streamed solo replies: how soon the player sees words, against the same turn without streaming.

A paced fake model writes a three-sentence reply word by word (``--word-ms`` per word, about a hosted model's
speed); a ``PersonaAgent`` with the configured LLM realizer answers a question with and without ``on_text``.
Reported: time to the first shown words (streamed: the first guarded sentence; baseline: the whole reply),
and the whole turn (the gate's buffering and per-sentence guard must not slow it).
Run: `.venv/bin/python bench/bench_stream.py [--turns N] [--word-ms MS]`.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from dialogue_engine.agents import Observation, ObservationKind, PersonaAgent, TurnContext  # noqa: E402
from dialogue_engine.agents.llm import make_realizer  # noqa: E402
from dialogue_engine.config import Settings  # noqa: E402
from dialogue_engine.domain import load_persona, load_scenario  # noqa: E402

REPLY = ("We hear the question, and it is the right one to ask first. Beijing needs a channel that still works "
         "when the ships are close and the cameras are on, so that no commander has to guess what the other side "
         "intends. Start with the hotline and a standing rule on who answers it, and the rest of the agenda can "
         "follow from there.")


class PacedModel:
    """A fake language model that writes ``REPLY`` one word every ``word_s`` seconds."""

    def __init__(self, word_s: float):
        self.word_s = word_s
        self.pieces = [p for p in re.split(r"(\s+)", REPLY) if p]

    async def complete(self, messages, *, max_tokens=None, timeout=None) -> str:
        await asyncio.sleep(self.word_s * len(REPLY.split()))
        return REPLY

    async def stream(self, messages, *, max_tokens=None, timeout=None):
        loop = asyncio.get_running_loop()
        start, words = loop.time(), 0
        for piece in self.pieces:
            if piece.strip():
                words += 1
                await asyncio.sleep(max(0.0, start + words * self.word_s - loop.time()))  # no drift
            yield piece


def one_turn(word_s: float, stream: bool) -> tuple[float, float, str]:
    scenario = load_scenario("us-china-quiet-dialogue")
    settings = Settings(QD_LLM="openai", OPENAI_API_KEY="k", QD_LLM_OUTPUT="text")
    agent = PersonaAgent(load_persona("china"), scenario, "china", seed=1,
                         realizer=make_realizer(settings, model=PacedModel(word_s), retries=0))
    line = Observation(round=1, speaker="united-states", kind=ObservationKind.MESSAGE,
                       text="What does Beijing most need from this channel?")
    first: list[float] = []
    t0 = time.perf_counter()

    def seen(text: str) -> None:
        if not first:
            first.append(time.perf_counter() - t0)

    reply = asyncio.run(agent.respond(TurnContext(round=1, total_rounds=scenario.rounds, incoming=line),
                                      on_text=seen if stream else None))
    total = time.perf_counter() - t0
    return (first[0] if stream else total), total, reply.realizer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=5)
    parser.add_argument("--word-ms", type=float, default=25.0)
    args = parser.parse_args()
    word_s = args.word_ms / 1000
    rows = []
    for label, stream in (("not streamed (baseline)", False), ("streamed, guarded per sentence", True)):
        runs = [one_turn(word_s, stream) for _ in range(args.turns)]
        assert all(r[2] == "llm" for r in runs), "the reply fell back; the figures would not be about streaming"
        rows.append((label, np.median([r[0] for r in runs]) * 1000, np.median([r[1] for r in runs]) * 1000))
    print(f"{len(REPLY.split())} words at {args.word_ms:g} ms a word, {args.turns} turns, medians")
    print(f"{'':34} {'first words ms':>15} {'whole turn ms':>14}")
    for label, first, total in rows:
        print(f"{label:34} {first:15.0f} {total:14.0f}")


if __name__ == "__main__":
    main()
