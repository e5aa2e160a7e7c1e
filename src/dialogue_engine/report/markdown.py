"""People's words inside Markdown: escaped so they read as plain text, and capped in size.

A player's message, a walk-out line or a facilitator's free inject is shown on other people's pages and
in reports through Markdown. :func:`plain_markdown` makes such text inert: no bold "Facilitator:" line, no
heading, list, table, image, link or HTML, and no bare address the renderer would turn into a link.
"""

from __future__ import annotations

import re

from dialogue_engine.exercise.commands import MAX_MESSAGE

SHOWN_CHARS = MAX_MESSAGE
"""Characters of one text shown (the service refuses longer messages; older logs and imports may hold more)."""

SHOWN_LINES = 40
"""Lines of one text shown; blank lines are dropped (they would start a new Markdown block)."""

WORD_JOINER = "\u2060"
"""An invisible character put inside ``http://``, ``www.`` and ``@`` so GitHub-style autolinking finds no address."""

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~<$&=])")
_LINKABLE = re.compile(r"(?i)(https?://|www(?=\.)|@)")


def shorten(text: str, chars: int = SHOWN_CHARS, lines: int = SHOWN_LINES) -> str:
    """``text`` without blank lines, cut to ``lines`` lines and ``chars`` characters (an ellipsis says so)."""
    kept = [line.strip() for line in text.splitlines() if line.strip()]
    cut = len(kept) > lines
    out = "\n".join(kept[:lines])
    if len(out) > chars:
        out, cut = out[:chars].rstrip(), True
    return out + " …" if cut else out


def plain_markdown(text: str, *, chars: int = SHOWN_CHARS, lines: int = SHOWN_LINES) -> str:
    """``text`` (shortened) as Markdown that renders exactly as typed, one line break per line of the text."""
    out = []
    for line in shorten(text, chars, lines).splitlines():
        line = _LINKABLE.sub(lambda m: m.group(0) + WORD_JOINER, line)
        out.append(_MARKDOWN.sub(r"\\\1", line))
    return "  \n".join(out)
