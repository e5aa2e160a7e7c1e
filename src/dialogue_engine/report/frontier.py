"""Value left on the table: what a passable deal that dominates an outcome would have given each party."""

from __future__ import annotations

import numpy as np

from dialogue_engine.domain.deal import Deal
from dialogue_engine.negotiation.space import DealSpace

EPS = 1e-9


def dominating_gain(space: DealSpace, deal: Deal) -> tuple[np.ndarray, Deal] | None:
    """Per party, the gain in the passable deal that dominates ``deal`` with the largest sum, and that deal.

    A dominating deal gives every party at least as much and one party more. None when no passable deal
    dominates ``deal`` (it is on the frontier of the passable deals, or nothing passable beats it for all).
    """
    u = space.utilities[space.index_of(deal)]
    rows = np.flatnonzero(space.passes)
    cand = space.utilities[rows]
    mask = np.all(cand >= u - EPS, axis=1) & np.any(cand > u + EPS, axis=1)
    if not mask.any():
        return None
    best = int(np.argmax(np.where(mask, cand.sum(axis=1), -np.inf)))
    return cand[best] - u, space.deal_at(int(rows[best]))
