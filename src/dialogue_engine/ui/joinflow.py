"""The join flow a facilitator hands out: join links, the printable code sheet (HTML) and code status rows.

Plain codes exist only when issued (``ExerciseService.create``, ``reissue_code``); the pages keep them in
the facilitator's session to show, link and print. Everything here is pure, so it is tested without Streamlit.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

from dialogue_engine.exercise.codes import canonical
from dialogue_engine.exercise.views import ExerciseInfo, JoinCodeView

__all__ = ["SheetCard", "app_root", "canonical", "code_rows", "code_sheet_html", "join_link", "known_codes",
           "sheet_cards"]

EXERCISE_PAGE = "exercise"
"""The url path of the Exercise page (``app/main.py``)."""

DEFAULT_ROOT = "http://localhost:8501/"


@dataclass(frozen=True, kw_only=True)
class SheetCard:
    """One seat on the code sheet: who it is for, the code, and the link that opens the seat."""

    name: str
    code: str
    link: str


def app_root(page_url: str | None, default: str = DEFAULT_ROOT) -> str:
    """The app's base address (ending in ``/``) from the address of the page showing it.

    ``http://host:8501/facilitator?x=1`` gives ``http://host:8501/``; a base path is kept
    (``https://host/qd/exercise`` gives ``https://host/qd/``). Anything that is not an http(s) address gives
    ``default``.
    """
    if not page_url:
        return default
    parts = urlsplit(page_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return default
    path = parts.path.rsplit("/", 1)[0] + "/" if "/" in parts.path else "/"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def join_link(root: str, code: str) -> str:
    """The address that opens a seat: ``<root>exercise?seat=K7QF-M3XD`` (a refresh keeps the seat)."""
    return f"{root if root.endswith('/') else root + '/'}{EXERCISE_PAGE}?seat={quote(canonical(code), safe='-')}"


def sheet_cards(codes: dict[str, str], names: dict[str, str], root: str) -> list[SheetCard]:
    """One card per seat with a known code (``codes``: party -> code), in the order of ``names``."""
    order = [p for p in names if p in codes] + [p for p in codes if p not in names]
    return [SheetCard(name=names.get(p, p), code=canonical(codes[p]), link=join_link(root, codes[p])) for p in order]


def known_codes(created: ExerciseInfo | None, exercise_id: str, reissued: dict[str, str],
                status: list[JoinCodeView] | None = None) -> dict[str, str]:
    """The seat codes this facilitator session still knows: from creation, overridden by reissues.

    A seat whose code is no longer active (``status``) is left out; a code from creation is dropped once the
    seat was reissued, since only the newest code works.
    """
    out: dict[str, str] = {}
    if created is not None and created.exercise_id == exercise_id:
        out.update({s.party: s.code for s in created.seats if s.code})
    out.update(reissued)
    if status is not None:
        active = {s.party for s in status if s.active}
        fresh = {s.party for s in status if s.replaced == 0}
        out = {p: c for p, c in out.items() if p in active and (p in reissued or p in fresh)}
    return out


def code_rows(status: list[JoinCodeView]) -> list[dict[str, object]]:
    """The console's table of join codes: seat, whether a code is active, joined, times replaced."""
    return [{"Seat": s.name, "Code": "active" if s.active else "revoked", "Joined": "yes" if s.joined else "no",
             "Replaced": s.replaced} for s in status]


_CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #111; }
h1 { font-size: 1.3rem; margin: 0 0 .3rem; } p.note { margin: 0 0 1rem; color: #444; }
.cards { display: grid; grid-template-columns: repeat(2, 1fr); gap: 1rem; }
.card { border: 2px dashed #888; border-radius: .6rem; padding: 1rem; page-break-inside: avoid; break-inside: avoid; }
.seat { font-size: 1.2rem; font-weight: 600; }
.code { font-family: ui-monospace, monospace; font-size: 2rem; letter-spacing: .15em; margin: .4rem 0; }
.link { font-family: ui-monospace, monospace; font-size: .8rem; word-break: break-all; }
@media print { body { margin: 0; } .card { border-color: #000; } }
"""


def code_sheet_html(*, title: str, exercise_id: str, cards: list[SheetCard]) -> str:
    """A printable page, one card per seat (seat name, code, join link); every value HTML-escaped."""
    e = html.escape
    body = "\n".join(
        f'<div class="card"><div class="seat">{e(c.name)}</div>'
        f'<div class="code">{e(c.code)}</div>'
        f'<div>Open <a class="link" href="{e(c.link, quote=True)}">{e(c.link)}</a><br>'
        f'or go to the Exercise page and type the code (capital or small letters, dash optional).</div></div>'
        for c in cards)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>Join codes — {e(title)}</title><style>{_CSS}</style></head><body>\n"
        f"<h1>{e(title)}</h1><p class=\"note\">Exercise {e(exercise_id)} · one card per seat; cut along the "
        "dashes. Each code opens one seat: keep it private.</p>\n"
        f"<div class=\"cards\">\n{body}\n</div>\n</body></html>\n"
    )
