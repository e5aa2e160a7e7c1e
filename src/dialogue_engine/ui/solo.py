"""A solo dialogue as the page keeps it: a solo exercise in the database, read back as chat turns.

The page's session state holds only this object: the human seat's join code, ids and the human's own brief.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dialogue_engine.domain.scenario import Scenario
from dialogue_engine.exercise.solo import latest_offer
from dialogue_engine.exercise.views import SeatView, TranscriptEntry
from dialogue_engine.ui.views import Deal, plain


@dataclass(frozen=True)
class SoloSession:
    """Handles to one solo exercise: ids, the human's code and the scenario's public shape."""

    exercise_id: str
    code: str
    scenario: Scenario
    human_party: str
    counterpart_party: str
    counterpart_name: str

    @classmethod
    def start(cls, service: Any, scenario: Scenario, human: str, counterpart: str, seed: int = 0) -> "SoloSession":
        """Create the solo exercise and join the human seat."""
        info = service.create_solo(scenario, human, counterpart, seed=seed)
        code = next(s.code for s in info.seats if s.party == human)
        service.join(code)
        view = service.seat_view(code)
        name = next((s.name for s in view.seats if s.party == counterpart), counterpart)
        return cls(info.exercise_id, code, scenario, human, counterpart, name)

    def view(self, service: Any) -> SeatView:
        """What the human seat sees now."""
        return service.seat_view(self.code)

    def next_round(self, view: SeatView) -> int:
        """The round the human's next message plays: each of its messages is one round of the scenario's clock."""
        said = sum(1 for entry in view.transcript if entry.speaker == self.human_party)
        return min(said + 1, view.clock.total_rounds)

    def last_round(self, view: SeatView) -> bool:
        """Whether the human's next message is its last: the talk ends after the reply to it."""
        return view.outcome is None and self.next_round(view) >= view.clock.total_rounds

    def send(self, service: Any, text: str | None = None, proposal: Deal | None = None, *,
             on_text: Callable[[str], object] | None = None) -> list[TranscriptEntry]:
        """Say something and/or table a package; returns the new lines (the counterpart's reply last).

        ``on_text`` receives the reply's words as they become safe to show (see :class:`ReplyStream`).
        """
        return service.solo_send(self.code, text=text, proposal=proposal, on_text=on_text)

    def retry(self, service: Any, from_round: int) -> "SoloSession":
        """A new session replaying this dialogue up to just before round ``from_round``; this one stays as it was."""
        info = service.retry(self.code, from_round)
        code = next(s.code for s in info.seats if s.party == self.human_party)
        service.join(code)
        return dataclasses.replace(self, exercise_id=info.exercise_id, code=code)

    def accept(self, service: Any, proposal_id: int, *, confirm: bool = False) -> None:
        """Accept the counterpart's proposal (ends the dialogue when it passes); ``confirm`` accepts one below
        your own minimum."""
        service.vote(self.code, True, proposal_id, confirm=confirm)


class ReplyStream:
    """The counterpart's reply as the page shows it while it is produced, then its final text.

    Give it as ``on_text`` to :meth:`SoloSession.send`: each piece (a sentence the leak guard passed, with an
    LLM; the whole reply, with the built-in realizer) is appended and ``show`` gets the Markdown of the text
    so far. :meth:`finish` then shows the stored final text, which replaces the streamed words.

    Args:
        name: the counterpart's display name.
        show: draws one Markdown string (the page's ``st.empty().markdown``).
    """

    def __init__(self, name: str, show: Callable[[str], object]) -> None:
        self.name = name
        self.show = show
        self.pieces: list[str] = []

    def __call__(self, piece: str) -> None:
        self.pieces.append(piece)
        self.show(reply_markdown(self.name, self.text))

    @property
    def text(self) -> str:
        """The streamed words so far."""
        return "".join(self.pieces).strip()

    def start(self) -> None:
        """Show that a reply is on its way."""
        self.show(reply_markdown(self.name, "…"))

    def finish(self, entries: list[TranscriptEntry], party: str) -> str | None:
        """Show the final text of ``party``'s last line among ``entries`` (the stored reply) and return it."""
        final = next((e.text for e in reversed(entries) if e.speaker == party), None)
        if final is not None:
            self.show(reply_markdown(self.name, final))
        return final


def reply_markdown(name: str, text: str) -> str:
    """A chat line as the Solo page draws it (as :func:`~dialogue_engine.ui.views.said` does a stored one): the
    speaker in bold, name and words escaped."""
    return f"**{plain(name)}:** {plain(text)}"


def points(view: SeatView, deal: Deal | None) -> float | None:
    """The seat's own points for a deal, from its own brief."""
    if not deal:
        return None
    return float(sum(view.brief.scores.get(i, {}).get(o, 0.0) for i, o in deal.items()))


__all__ = ["ReplyStream", "SoloSession", "latest_offer", "points", "reply_markdown"]
