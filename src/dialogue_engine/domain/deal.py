"""A deal: one option per issue, as an immutable mapping ``issue id -> option id``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic_core import core_schema


class Deal(dict[str, str]):
    """An immutable package ``{issue_id: option_id}``; hashable, and equal to any mapping with the same items.

    It is a ``dict`` so it serialises to JSON and pydantic as a plain object, but every mutating method
    raises ``TypeError``: build a changed deal with :meth:`with_option` or ``Deal({**deal, issue: option})``.
    A deal may be partial (some issues unsettled); :meth:`Scenario.is_complete` tells whether it settles all.
    """

    __slots__ = ("_hash",)

    def __init__(self, items: Mapping[str, str] | Iterable[tuple[str, str]] = (), /) -> None:
        super().__init__(items)
        for key, value in dict.items(self):
            if not isinstance(key, str) or not isinstance(value, str):
                raise TypeError(f"a deal maps issue ids to option ids (strings), not {key!r}: {value!r}")
        self._hash: int | None = None

    @classmethod
    def of(cls, items: Mapping[str, str] | None) -> Deal | None:
        """``items`` as a deal (the same object when it already is one); None stays None."""
        if items is None or isinstance(items, Deal):
            return items
        return cls(items)

    def with_option(self, issue_id: str, option_id: str) -> Deal:
        """A copy with ``issue_id`` settled on ``option_id``."""
        return Deal({**self, issue_id: option_id})

    def to_dict(self) -> dict[str, str]:
        """A plain, mutable copy."""
        return dict(self)

    def __hash__(self) -> int:  # type: ignore[override]
        if self._hash is None:
            self._hash = hash(frozenset(dict.items(self)))
        return self._hash

    def __repr__(self) -> str:
        return f"Deal({dict.__repr__(self)})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Deal, (dict(self),))

    def _immutable(self, *_: Any, **__: Any) -> Any:
        raise TypeError("a Deal is immutable; build a new one with with_option()")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _immutable  # type: ignore[assignment]
    __ior__ = _immutable  # type: ignore[assignment]

    @classmethod
    def __get_pydantic_core_schema__(cls, _source: Any, _handler: Any) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(
            cls.of,
            core_schema.dict_schema(core_schema.str_schema(), core_schema.str_schema()),
            serialization=core_schema.plain_serializer_function_ser_schema(dict),
        )
