"""Join codes people can read aloud and type: generation, normalisation and the keyed hash kept at rest.

A seat's code is 8 characters and the facilitator's 12, drawn from :data:`ALPHABET` (digits and capital
letters without the look-alikes ``0 O 1 I L U``) and shown in groups of four: ``K7QF-M3XD``. Typed input is
NFKC-normalised and upper-cased, and spaces, dashes, dots and underscores are dropped, so ``k7qf m3xd`` opens the same seat.

Codes are never stored: the database keeps ``HMAC-SHA256(key, scheme + code)`` (:func:`digest`), where the
key is a random secret of that database (``EventStore.code_key``). Codes issued before this format
(``secrets.token_urlsafe``, 16 case-sensitive characters) are hashed as typed under the ``legacy`` scheme,
so exercises created by earlier versions keep their codes (:func:`candidates`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata

from dialogue_engine.exercise.errors import ExerciseError

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
"""30 symbols: no 0/O, 1/I/L or U, so a code read off paper or a projector is typed right."""

SEAT_LENGTH = 8
"""Symbols in a seat's code (30^8, about 39 bits: guessing one among a thousand live codes takes ~10^9 tries)."""

FACILITATOR_LENGTH = 12
"""Symbols in the facilitator's code (about 59 bits; it controls the whole exercise)."""

MAX_INPUT = 64
"""Characters of typed input considered at all; longer input is refused before any hashing or query."""

LEGACY_MAX = 32
"""Longest code of the earlier format (``token_urlsafe(12)`` gives 16)."""

_SEPARATORS = str.maketrans("", "", " \t\r\n-_.\u00a0\u2010\u2011\u2012\u2013\u2014")
_NEW = "v2"
_LEGACY = "legacy"


def new_code(length: int = SEAT_LENGTH) -> str:
    """A fresh random code of ``length`` symbols, grouped by four (``K7QF-M3XD``)."""
    return display("".join(secrets.choice(ALPHABET) for _ in range(length)))


def display(code: str) -> str:
    """A normalised code in groups of four joined by dashes."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def normalize(text: str) -> str | None:
    """The code's symbols (upper case, separators dropped), or None if ``text`` is not a code of this format."""
    flat = unicodedata.normalize("NFKC", text).translate(_SEPARATORS).upper()  # full-width letters too
    if len(flat) in (SEAT_LENGTH, FACILITATOR_LENGTH) and all(c in ALPHABET for c in flat):
        return flat
    return None


def canonical(text: str) -> str:
    """How to show and keep a typed code: ``K7QF-M3XD`` for this format, else the input stripped (legacy)."""
    text = (text or "").strip()
    flat = normalize(text)
    return display(flat) if flat else text


def digest(key: bytes, code: str, *, scheme: str = _NEW) -> str:
    """The stored form of a code: hex HMAC-SHA256 under the database's key (``scheme`` separates formats)."""
    return hmac.new(key, f"{scheme}:{code}".encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def legacy_digest(key: bytes, code: str) -> str:
    """The stored form of an earlier-format code (hashed exactly as issued, case-sensitive)."""
    return digest(key, code, scheme=_LEGACY)


def candidates(key: bytes, text: str) -> list[str]:
    """The digests typed input may match, most likely first.

    Raises:
        ExerciseError: for input that cannot be a join code (empty, too long); one line, before any query.
    """
    if not isinstance(text, str) or not text.strip():
        raise ExerciseError("enter a join code")
    if len(text) > MAX_INPUT:
        raise ExerciseError(f"unknown join code (a code has {SEAT_LENGTH} or {FACILITATOR_LENGTH} characters, "
                            f"like {display('K7QFM3XD')})")
    out = []
    flat = normalize(text)
    if flat:
        out.append(digest(key, flat))
    raw = text.strip()
    if len(raw) <= LEGACY_MAX:
        out.append(legacy_digest(key, raw))
    return out
