"""Streaming words safely: a model's stream is released sentence by sentence, each checked by a guard first.

The leak guard judges words, so streamed words must be held back until they can be judged.
:class:`SentenceGate` buffers the chunks of a stream, cuts them into complete sentences, drops citation
markers of passages that were not given, runs the guard on each sentence and only then passes it to the
caller's ``on_text``. A sentence the guard rejects is never shown: the gate raises
:class:`~dialogue_engine.agents.resilience.GuardRejected`, which stops the stream, and the caller's final
text (the fallback's) replaces what was shown.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from dialogue_engine.agents.realizer import Realization, RealizeRequest

log = logging.getLogger(__name__)

OnText = Callable[[str], object]
"""Receives the words of a reply in order, as they become safe to show."""

SENTENCE_END = re.compile(r"[.!?\u2026]+[\"'\u201d\u2019)\]]*\s+")
"""The end of a sentence: terminal punctuation, closing quotes or brackets, then whitespace."""

_CITE = re.compile(r"\s?\[(\d{1,2})\]")


class SentenceBuffer:
    """Collects text chunks and gives back complete sentences (with their trailing whitespace)."""

    def __init__(self) -> None:
        self._pending = ""

    def feed(self, chunk: str) -> list[str]:
        """Add a chunk; return the sentences it completed, in order."""
        self._pending += chunk
        out: list[str] = []
        while (end := SENTENCE_END.search(self._pending)) is not None:
            out.append(self._pending[: end.end()])
            self._pending = self._pending[end.end():]
        return out

    def flush(self) -> str:
        """What is left after the stream ended (an unfinished last sentence, or '')."""
        rest, self._pending = self._pending, ""
        return rest


def show(on_text: OnText | None, text: str) -> bool:
    """Give ``text`` to ``on_text``; a display that fails is logged and never fails the turn.

    Returns:
        False when ``on_text`` raised (the caller stops showing), else True.
    """
    if on_text is None or not text:
        return True
    try:
        on_text(text)
    except Exception as err:  # noqa: BLE001 - showing words is best effort; the turn is recorded regardless
        log.warning("could not show streamed words (%s); the final text will replace them",
                    type(err).__name__)  # by type only: a foreign message may quote anything
        return False
    return True


class SentenceGate:
    """An ``on_text`` for a realizer's stream that shows each sentence only once ``guard`` has passed it.

    Args:
        request: the request being realized (the guard's context; its passages are the citable ones).
        guard: a :data:`~dialogue_engine.agents.resilience.Guard`, or None (sentences are only buffered).
        on_text: where passed sentences go (None: nowhere; the gate still stops a leaking stream early).

    Call the gate with each chunk, then :meth:`close` when the stream ended. Both raise
    :class:`~dialogue_engine.agents.resilience.GuardRejected` on the first sentence the guard rejects;
    that sentence and everything after it is never shown (a stopped gate raises again on any later call).
    """

    def __init__(self, request: RealizeRequest, guard: Callable[[RealizeRequest, Realization], str | None] | None,
                 on_text: OnText | None) -> None:
        self.request = request
        self.guard = guard
        self.on_text = on_text
        self.shown: list[str] = []
        self.rejected: str | None = None
        self._buffer = SentenceBuffer()
        self._valid = {p.n for p in request.passages}

    def __call__(self, chunk: str) -> None:
        self._stop_if_rejected()
        for sentence in self._buffer.feed(chunk):
            self._release(sentence)

    def close(self) -> None:
        """Check and show the last, unterminated sentence."""
        self._stop_if_rejected()
        rest = self._buffer.flush()
        if rest.strip():
            self._release(rest)

    @property
    def text(self) -> str:
        """Everything shown so far."""
        return "".join(self.shown)

    def _stop_if_rejected(self) -> None:
        if self.rejected is not None:
            from dialogue_engine.agents.resilience import GuardRejected

            raise GuardRejected(self.rejected)

    def _release(self, sentence: str) -> None:
        sentence = _CITE.sub(lambda m: m.group(0) if int(m.group(1)) in self._valid else "", sentence)
        if not sentence.strip():
            return
        problem = self.guard(self.request, Realization(text=sentence.strip(), source="llm")) if self.guard else None
        if problem:
            self.rejected = f"sentence {len(self.shown) + 1}: {problem}"
            self._stop_if_rejected()
        self.shown.append(sentence)
        if not show(self.on_text, sentence):
            self.on_text = None
