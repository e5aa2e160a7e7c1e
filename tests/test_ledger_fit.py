"""The opponent model's refit to what a party said about whole packages (``negotiation/ledger_fit.py``)."""

from __future__ import annotations

import numpy as np

from dialogue_engine.domain.deal import Deal
from dialogue_engine.negotiation import opponent
from dialogue_engine.negotiation.ledger_fit import fit_ledger
from dialogue_engine.negotiation.strategy import Strategy
from test_table import four_seats


def onehot(*rows: tuple[int, ...], width: int = 6) -> np.ndarray:
    out = np.zeros((len(rows), width))
    for k, cols in enumerate(rows):
        out[k, list(cols)] = 1.0
    return out


def test_a_supported_package_clears_and_a_declined_neighbour_does_not():
    # Two issues of three options (columns 0-2 and 3-5). The prior thinks both issues are equal and
    # cannot tell the two packages apart; the party supported (x1, y1) and declined (x1, y2).
    prior = np.array([0.5, 0.5, 0.5, 0.5, 0.5, 0.5])
    above, below = onehot((0, 3)), onehot((0, 4))
    fit = fit_ledger(values=prior, reservation=0.9, above=above, below=below)
    assert float((above @ fit.values)[0]) >= fit.reservation > float((below @ fit.values)[0])
    assert fit.values[4] < fit.values[3]  # the option that differs carries the refusal
    assert abs(fit.values[1] - 0.5) < 1e-9 and abs(fit.values[2] - 0.5) < 1e-9  # unseen options keep the prior


def test_without_a_declined_package_the_prior_stands():
    prior = np.array([0.1, 0.7, 0.3, 0.2, 0.9, 0.4])
    fit = fit_ledger(values=prior, reservation=0.4, above=onehot((1, 4)), below=np.zeros((0, 6)))
    assert np.array_equal(fit.values, prior) and fit.reservation == 0.4


def test_the_fit_is_deterministic_and_stays_in_range():
    rng = np.random.default_rng(3)
    prior = rng.uniform(0, 1, 6)
    args = dict(values=prior, reservation=0.6, above=onehot((0, 3), (1, 5)), below=onehot((2, 4), (0, 4)))
    a, b = fit_ledger(**args), fit_ledger(**args)
    assert np.array_equal(a.values, b.values) and a.reservation == b.reservation
    assert (a.values >= 0).all() and (a.values <= 1).all() and 0 <= a.reservation <= 1


def test_a_seat_learns_from_a_refusal_that_the_refused_package_is_below_the_minimum():
    s = four_seats()
    watcher = Strategy(s, "lead")
    liked, refused = Deal({"X": "x3", "Y": "y2"}), Deal({"X": "x3", "Y": "y3"})
    watcher.observe_proposal("b", liked)
    watcher.observe_vote("b", refused, False, blocking="Y")
    rows = watcher.space.deals[[watcher.space.index_of(liked), watcher.space.index_of(refused)]]
    est = watcher.opponent.estimated_utilities("b", rows)
    assert est[0] >= watcher.opponent.reservation("b") > est[1]


def test_the_fit_can_be_switched_off_for_comparison(monkeypatch):
    s = four_seats()
    monkeypatch.setattr(opponent, "USE_LEDGER_FIT", False)
    watcher = Strategy(s, "lead")
    watcher.observe_vote("b", Deal({"X": "x3", "Y": "y3"}), False, blocking="Y")
    assert watcher.opponent._fit("b") is None


def test_a_repeated_fit_is_served_from_memory_and_cannot_be_altered():
    from dialogue_engine.negotiation import ledger_fit

    prior = np.array([0.4, 0.6, 0.5, 0.3, 0.7, 0.5])
    above, below = onehot((1, 3)), onehot((1, 4))
    first = fit_ledger(values=prior, reservation=0.8, above=above, below=below)
    again = fit_ledger(values=prior.copy(), reservation=0.8, above=above.copy(), below=below.copy())
    assert again is first
    assert not first.values.flags.writeable
    fresh = ledger_fit._fit(values=prior, reservation=0.8, above=above, below=below)
    assert np.array_equal(fresh.values, first.values) and fresh.reservation == first.reservation
    other = fit_ledger(values=prior, reservation=0.7, above=above, below=below)
    assert other is not first and other.reservation != first.reservation
