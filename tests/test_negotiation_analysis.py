"""Deal space, analysis and outcome metrics: unit tests and hypothesis properties against a plain-Python reference."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialogue_engine.domain import Issue, Party, Scenario, load_scenario
from dialogue_engine.negotiation.analysis import analyze
from dialogue_engine.negotiation.metrics import gini, outcome_metrics
from dialogue_engine.negotiation.pareto import pareto_indexes
from dialogue_engine.negotiation.space import DealSpace

DATA = Path(__file__).parent / "data"


# ---- plain-Python reference


def ref_deals(s: Scenario):
    for combo in itertools.product(*[[o.id for o in i.options] for i in s.issues]):
        yield dict(zip([i.id for i in s.issues], combo))


def ref_utility(s: Scenario, deal) -> list[float]:
    return [sum(p.scores[i][o] for i, o in deal.items()) for p in s.parties]


def ref_passes(s: Scenario, u: list[float]) -> bool:
    ok = [x >= p.threshold for x, p in zip(u, s.parties)]
    must = set(s.rule.required) | set(s.veto_parties)
    if not all(a for a, p in zip(ok, s.parties) if p.id in must):
        return False
    if s.rule.kind.value == "unanimity":
        return all(ok)
    if s.rule.kind.value == "quorum":
        return sum(ok) >= s.rule.min_parties
    return 2 * sum(ok) > len(ok)


def dominates(a, b) -> bool:
    return all(x >= y for x, y in zip(a, b)) and any(x > y for x, y in zip(a, b))


def reference(s: Scenario):
    rows = [(d, ref_utility(s, d)) for d in ref_deals(s)]
    passable = [(n, d, u) for n, (d, u) in enumerate(rows) if ref_passes(s, u)]
    frontier = [n for n, _, u in passable if not any(dominates(v, u) for _, _, v in passable)]
    unanimous = sum(all(x >= p.threshold for x, p in zip(u, s.parties)) for _, u in rows)
    best_total = max((sum(u) for _, _, u in passable), default=None)
    return rows, passable, frontier, unanimous, best_total


# ---- scenario generator (through the domain model, so every generated scenario is valid)


@st.composite
def scenarios(draw, max_issues=3, max_options=4, max_parties=4):
    n_parties = draw(st.integers(2, max_parties))
    sizes = draw(st.lists(st.integers(1, max_options), min_size=1, max_size=max_issues))
    issues = [{"id": f"I{k}", "title": f"Issue {k}",
               "options": [{"id": f"I{k}o{j}", "label": f"option {j}"} for j in range(n)]}
              for k, n in enumerate(sizes)]
    score = st.integers(0, 6)
    parties = []
    for p in range(n_parties):
        scores = {i["id"]: {o["id"]: float(draw(score)) for o in i["options"]} for i in issues}
        best = sum(max(row.values()) for row in scores.values())
        parties.append({"id": f"p{p}", "threshold": float(draw(st.integers(0, int(best)))), "scores": scores,
                        "veto": draw(st.booleans())})
    kind = draw(st.sampled_from(["unanimity", "quorum", "majority"]))
    rule = {"kind": kind}
    if kind == "quorum":
        rule["min_parties"] = draw(st.integers(1, n_parties))
    return Scenario.model_validate({"id": "gen", "title": "Generated", "situation": "Generated for a test.",
                                    "parties": parties, "issues": issues, "rule": rule})


PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(scenarios())
def test_matches_plain_python_reference(s):
    a = analyze(s)
    rows, passable, frontier, unanimous, best_total = reference(s)
    assert a.deals == len(rows)
    for n, (d, u) in enumerate(rows):
        assert a.space.deal_at(n) == d and a.space.index_of(d) == n
        assert a.space.utilities[n].tolist() == u
    assert a.passable_idx.tolist() == [n for n, _, _ in passable]
    assert a.unanimous == unanimous
    assert a.pareto_idx.tolist() == frontier
    if passable:
        assert a.max_welfare.total == best_total
    else:
        assert a.nash is a.max_welfare is a.kalai_smorodinsky is None
        assert a.to_json()["nash"] is None


@PROPS
@given(scenarios(max_issues=4))
def test_solution_invariants(s):
    a = analyze(s)
    if a.passable == 0:
        return
    u = a.space.utilities
    frontier = set(a.pareto_idx.tolist())
    for name, idx in (("nash", a.nash_idx), ("welfare", a.welfare_idx), ("ks", a.ks_idx)):
        assert a.space.passes[idx], name
        assert idx in frontier, name
    for f in frontier:  # no passable deal dominates a frontier deal
        assert not any(dominates(u[p], u[f]) for p in a.passable_idx)
    for p in set(a.passable_idx.tolist()) - frontier:  # every other passable deal is dominated
        assert any(dominates(u[q], u[p]) for q in a.passable_idx)
    totals = u[a.passable_idx].sum(axis=1)
    assert a.max_welfare.total >= totals.max() - 1e-9
    m = outcome_metrics(a.space, a.nash.deal, a)
    assert m.passes and m.pareto_optimal and m.distance_to_frontier == 0.0
    gains = np.maximum(u[a.passable_idx] - a.space.thresholds, 0).prod(axis=1)
    if gains.max() > 0:
        assert m.nash_ratio == pytest.approx(1.0)
        # the Nash point maximizes the product of gains among passable deals
        assert np.maximum(u[a.nash_idx] - a.space.thresholds, 0).prod() == pytest.approx(gains.max())
    else:
        assert m.nash_ratio is None


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 5).flatmap(lambda d: st.lists(st.lists(st.integers(0, 4), min_size=d, max_size=d),
                                                     min_size=1, max_size=300)))
def test_pareto_indexes_against_brute_force(rows):
    import dialogue_engine.negotiation.pareto as pareto

    values = np.array(rows, dtype=float)
    expect = [i for i in range(len(rows)) if not any(dominates(rows[j], rows[i]) for j in range(len(rows)))]
    assert pareto_indexes(values).tolist() == expect
    old = pareto._SPLIT_AT
    pareto._SPLIT_AT = 8  # also exercise the orthant split on small inputs
    try:
        assert pareto_indexes(values).tolist() == expect
    finally:
        pareto._SPLIT_AT = old


def test_pareto_large_random_matches_blocked_brute_force():
    rng = np.random.default_rng(7)
    values = rng.integers(0, 30, size=(6000, 4)).astype(float)
    got = pareto_indexes(values)
    dominated = np.zeros(len(values), dtype=bool)
    for start in range(0, len(values), 500):
        c = values[start:start + 500]
        ge = (values[None, :, :] >= c[:, None, :]).all(axis=2) & (values[None, :, :] > c[:, None, :]).any(axis=2)
        dominated[start:start + 500] = ge.any(axis=1)
    assert got.tolist() == np.flatnonzero(~dominated).tolist()


# ---- unit tests on the mini scenario


@pytest.fixture
def mini() -> Scenario:
    return load_scenario(DATA / "mini_scenario.yaml")


def test_mini_facts(mini):
    a = analyze(mini)
    # (alpha, beta) utilities; both need 50: only A2B2 = (50, 60) and A3B3 = (60, 50) pass
    assert a.deals == 9 and a.passable == 2 and a.unanimous == 2 and a.pareto == 2
    assert [a.space.deal_at(i) for i in a.passable_idx] == [{"A": "A2", "B": "B2"}, {"A": "A3", "B": "B3"}]
    out = a.to_json()
    assert (out["deals"], out["passable"], out["unanimous"], out["pareto"]) == (9, 2, 2, 2)
    assert out["nash"] == {"deal": {"A": "A2", "B": "B2"}, "utilities": {"alpha": 50, "beta": 60}}
    assert out["max_welfare"] == {"deal": {"A": "A2", "B": "B2"}, "utilities": {"alpha": 50, "beta": 60},
                                  "total": 110}
    assert [d["deal"] for d in out["pareto_deals"]] == [{"A": "A2", "B": "B2"}, {"A": "A3", "B": "B3"}]
    assert out["rule"] == "every party must accept" and out["thresholds"] == {"alpha": 50, "beta": 50}


def test_space_lookups(mini):
    sp = DealSpace.from_scenario(mini)
    deal = {"A": "A2", "B": "B3"}
    assert sp.utilities_of(deal) == {"alpha": 80.0, "beta": 30.0}
    assert sp.utility("beta", deal) == 30.0
    assert sp.deal_at(sp.index_of(deal)) == deal
    with pytest.raises(KeyError):
        sp.index_of({"A": "A2"})
    with pytest.raises(KeyError):
        sp.index_of({"A": "A2", "B": "A1"})


def test_no_passable_deal_gives_nulls():
    s = Scenario.model_validate({
        "id": "deadlock", "title": "Deadlock", "situation": "Nobody can agree.",
        "parties": [{"id": "a", "threshold": 10, "scores": {"X": {"X1": 10, "X2": 0}}},
                    {"id": "b", "threshold": 10, "scores": {"X": {"X1": 0, "X2": 10}}}],
        "issues": [{"id": "X", "title": "X", "options": [{"id": "X1", "label": "one"}, {"id": "X2", "label": "two"}]}],
    })
    a = analyze(s)
    out = a.to_json()
    assert out["passable"] == 0 and out["pareto"] == 0
    assert out["nash"] is None and out["max_welfare"] is None and out["kalai_smorodinsky"] is None
    m = outcome_metrics(a.space, None, a)
    assert m.distance_to_frontier is None and m.nash_ratio is None and m.welfare_ratio is None


def test_quorum_nash_prefers_unanimous_then_more_gainers():
    # three parties, quorum of 2 with no veto: deals pass while leaving one party out
    s = Scenario.model_validate({
        "id": "q", "title": "Q", "situation": "Three-way split.",
        "parties": [{"id": "a", "threshold": 5, "scores": {"X": {"X1": 10, "X2": 8, "X3": 0}}},
                    {"id": "b", "threshold": 5, "scores": {"X": {"X1": 10, "X2": 6, "X3": 9}}},
                    {"id": "c", "threshold": 5, "scores": {"X": {"X1": 0, "X2": 6, "X3": 9}}}],
        "issues": [{"id": "X", "title": "X", "options": [{"id": f"X{k}", "label": str(k)} for k in (1, 2, 3)]}],
        "rule": {"kind": "quorum", "min_parties": 2},
    })
    a = analyze(s)
    assert a.passable == 3 and a.unanimous == 1
    assert a.nash.deal == {"X": "X2"}  # the only deal giving all three a gain, though its total is lowest
    assert a.max_welfare.deal in ({"X": "X1"}, {"X": "X3"}) and a.max_welfare.total == 20
    m = outcome_metrics(a.space, {"X": "X1"}, a)
    assert m.passes and not m.individually_rational["c"] and m.nash_ratio == 0.0


def test_outcome_metrics_values(mini):
    a = analyze(mini)
    sp = a.space
    m = outcome_metrics(sp, {"A": "A2", "B": "B2"})  # alpha 50, beta 60
    assert m.utilities == {"alpha": 50.0, "beta": 60.0}
    assert m.passes and m.individually_rational == {"alpha": True, "beta": True}
    assert m.surplus_shares == {"alpha": 0.0, "beta": 1.0}
    assert m.gini == pytest.approx(0.5)
    assert m.advantage["alpha"] == 0.0 and m.advantage["beta"] == pytest.approx(10 / 50)
    assert m.nash_ratio is None  # no passable deal gives both parties a gain
    assert m.welfare == 110 and m.welfare_ratio == 1.0
    assert m.to_json()["deal"] == {"A": "A2", "B": "B2"}
    # a deal below one threshold: not passable, not Pareto optimal, positive distance
    low = outcome_metrics(sp, {"A": "A1", "B": "B1"}, a)  # alpha 40, beta 50
    assert not low.passes and not low.pareto_optimal and not low.individually_rational["alpha"]
    assert low.distance_to_frontier > 0


def test_no_deal_is_the_batna(mini):
    a = analyze(mini)
    m = outcome_metrics(a.space, None, a)
    assert m.deal is None and not m.passes and not m.pareto_optimal
    assert m.utilities == {"alpha": 50.0, "beta": 50.0}
    assert all(m.individually_rational.values())
    assert m.nash_ratio is None and m.gini == 0.0 and m.welfare_ratio == pytest.approx(100 / 110)
    assert m.distance_to_frontier > 0
    assert m.to_json()["deal"] is None


def test_gini():
    assert gini(np.array([0.0, 0.0])) == 0.0
    assert gini(np.array([3.0, 3.0, 3.0])) == 0.0
    assert gini(np.array([0.0, 0.0, 0.0, 8.0])) == pytest.approx(0.75)
    assert math.isclose(gini(np.array([1.0, 3.0])), 0.25)


def _big_scenario(n_issues: int, n_options: int, n_parties: int) -> dict:
    issues = [{"id": f"I{k}", "title": f"I{k}", "options": [{"id": f"I{k}o{j}", "label": "x"} for j in range(n_options)]}
              for k in range(n_issues)]
    scores = {i["id"]: {o["id"]: 1.0 for o in i["options"]} for i in issues}
    return {"id": "huge", "title": "Huge", "situation": "Too many deals.", "issues": issues,
            "parties": [{"id": f"p{n}", "threshold": 0, "scores": scores} for n in range(n_parties)]}


def test_too_large_space_is_a_one_line_error():
    from pydantic import ValidationError

    from dialogue_engine.errors import QDError
    from dialogue_engine.negotiation.space import DealSpaceTooLarge

    data = _big_scenario(8, 10, 2)
    with pytest.raises(ValidationError, match="200,000,000 deals x parties"):
        Scenario.model_validate(data)
    small = Scenario.model_validate(_big_scenario(2, 10, 2))
    s = small.model_copy(update={"issues": [Issue.model_validate(i) for i in data["issues"]]})
    with pytest.raises(DealSpaceTooLarge) as err:
        analyze(s)
    assert isinstance(err.value, QDError) and "100,000,000 possible deals" in str(err.value)


def test_deals_times_parties_over_the_budget_is_refused_before_allocating():
    """The deal cap limits deals; the budget limits deals x parties (3 issues x 60 options x 30 parties)."""
    from pydantic import ValidationError

    from dialogue_engine.domain.checks import MAX_DEAL_CELLS
    from dialogue_engine.negotiation.space import MAX_DEALS, DealSpaceTooLarge

    data = _big_scenario(3, 60, 30)
    assert 60 ** 3 < MAX_DEALS and 60 ** 3 * 30 > MAX_DEAL_CELLS
    with pytest.raises(ValidationError, match="over the budget"):
        Scenario.model_validate(data)
    small = Scenario.model_validate(_big_scenario(3, 2, 2))
    wide = small.model_copy(update={"issues": [Issue.model_validate(i) for i in data["issues"]],
                                    "parties": [Party.model_validate(p) for p in data["parties"]]})
    with pytest.raises(DealSpaceTooLarge, match="analysis budget"):
        DealSpace.from_scenario(wide)
