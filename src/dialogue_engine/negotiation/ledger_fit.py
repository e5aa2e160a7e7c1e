"""Fit one party's additive utility to what it said about whole packages (its ledger).

The frequency model (:mod:`.opponent`) counts options; it cannot tell that a party which supported a
package only just, and declined a near neighbour, cares about the one issue where they differ. What a party
says about complete packages is a set of inequalities on its utility ``u`` and its reservation level ``r``:
a package it proposed or supported has ``u >= r``, a package it declined as below its minimum has
``u < r``. :func:`fit_ledger` finds the additive utility closest to the frequency estimate that satisfies
them with a margin (squared hinge loss, gradient descent, a fixed number of steps: deterministic and cheap,
a few hundred microseconds for a game of five issues). Fits are memoised on their exact inputs: the seats
of one table observe the same votes, and most refits repeat one already made.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

MARGIN = 0.03  # how clearly a stated package sits above or below the reservation level
ANCHOR = 1.0  # pull toward the frequency estimate (per option value)
RESERVATION_ANCHOR = 0.5  # pull of the reservation level toward its prior estimate
STEPS = 150
RATE = 0.2
CACHE_SIZE = 4096


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerFit:
    """A fitted additive utility: ``values`` per option column, and the reservation level."""

    values: np.ndarray
    reservation: float


def fit_ledger(*, values: np.ndarray, reservation: float, above: np.ndarray, below: np.ndarray) -> LedgerFit:
    """The utility closest to ``values`` under which ``above`` rows clear ``reservation`` and ``below`` rows do not.

    Args:
        values: (n_columns,) prior value of each option (an issue's weight times its option value).
        reservation: prior reservation level on the same scale.
        above: (n, n_columns) one-hot rows of packages the party proposed or supported.
        below: (m, n_columns) one-hot rows of packages it declined as below its minimum.
    """
    return _memo(_frozen(values), float(reservation), _frozen(above), _frozen(below))


def _frozen(array: np.ndarray) -> tuple[tuple[int, ...], bytes]:
    """A float64 array as a hashable key: its shape and its bytes."""
    array = np.ascontiguousarray(array, dtype=np.float64)
    return array.shape, array.tobytes()


@lru_cache(maxsize=CACHE_SIZE)
def _memo(values: tuple, reservation: float, above: tuple, below: tuple) -> LedgerFit:
    def thaw(frozen: tuple) -> np.ndarray:
        shape, raw = frozen
        return np.frombuffer(raw, dtype=np.float64).reshape(shape)

    fit = _fit(values=thaw(values), reservation=reservation, above=thaw(above), below=thaw(below))
    fit.values.flags.writeable = False
    return fit


def _fit(*, values: np.ndarray, reservation: float, above: np.ndarray, below: np.ndarray) -> LedgerFit:
    theta = values.astype(np.float64).copy()
    r = float(reservation)
    rows = np.concatenate([above, below]).astype(np.float64)
    if rows.shape[0] == 0 or below.shape[0] == 0:
        return LedgerFit(values=theta, reservation=r)
    sign = np.concatenate([np.ones(above.shape[0]), -np.ones(below.shape[0])])
    scale = 1.0 / rows.shape[0]
    columns = max(1, theta.size)
    slack = np.empty(rows.shape[0])
    for _ in range(STEPS):
        np.matmul(rows, theta, out=slack)
        slack -= r
        slack *= sign
        np.subtract(MARGIN, slack, out=slack)
        np.maximum(slack, 0.0, out=slack)
        slack *= sign  # each active constraint's pull, signed
        grad_u = -(slack @ rows) * scale
        grad_r = float(slack.sum()) * scale
        theta -= RATE * (2.0 * grad_u + 2.0 * ANCHOR * (theta - values) / columns)
        r -= RATE * (2.0 * grad_r + 2.0 * RESERVATION_ANCHOR * (r - reservation))
        np.maximum(theta, 0.0, out=theta)
        np.minimum(theta, 1.0, out=theta)
    return LedgerFit(values=theta, reservation=float(np.clip(r, 0.0, 1.0)))
