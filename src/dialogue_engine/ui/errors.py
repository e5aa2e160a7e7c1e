"""Turn any exception into the one line a page shows (never a traceback)."""

from __future__ import annotations

import logging

from dialogue_engine.errors import QDError

log = logging.getLogger(__name__)


def one_line(err: BaseException) -> str:
    """The short message for ``err``: a ``QDError``'s own line, else its kind with a pointer to the log."""
    if isinstance(err, QDError):
        text = str(err).strip().splitlines()
        return text[0] if text else type(err).__name__
    log.error("unexpected error in the app", exc_info=err)
    return f"Something went wrong ({type(err).__name__}); the details are in the server log."
