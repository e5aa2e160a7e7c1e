"""Cross-field checks of a scenario; each problem names its field path and the reason."""

from __future__ import annotations

import math
from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dialogue_engine.domain.scenario import Scenario


MAX_DEAL_CELLS = 5_000_000
"""The analysis budget: deals x parties, one utility per deal per party (8 bytes each in the deal space).

Counted with every option that injects can add, so no inject can push a scenario past it later. The shipped
scenarios need at most about 9,000; 5,000,000 cells is 40 MB of utilities.
"""


def deal_space_cost(s: "Scenario") -> int:
    """Deals x parties for a scenario, with every option its injects may add on the table."""
    from dialogue_engine.domain.scenario import AddOption

    sizes = {i.id: len(i.options) for i in s.issues}
    for inj in s.injects:
        for eff in inj.effects:
            if isinstance(eff, AddOption) and eff.issue in sizes:
                sizes[eff.issue] += 1
    return math.prod(sizes.values()) * len(s.parties)


def _dupes(values: list[str]) -> list[str]:
    return sorted(v for v, n in Counter(values).items() if n > 1)


def check_scenario(s: "Scenario") -> list[str]:
    """Problems with ids, scores, rule, initial deal and injects (empty when consistent)."""
    from dialogue_engine.domain.scenario import AddOption, ChangeRelationship, ChangeScore, ChangeThreshold, RemoveOption, RuleKind

    problems: list[str] = []
    cost = deal_space_cost(s)
    if cost > MAX_DEAL_CELLS:
        problems.append(f"issues: {cost:,} deals x parties to analyse is over the budget of {MAX_DEAL_CELLS:,}"
                        " (use fewer options, issues or parties)")
    party_ids = [p.id for p in s.parties]
    issue_ids = [i.id for i in s.issues]
    option_ids = [o.id for i in s.issues for o in i.options]
    for what, values in (("parties", party_ids), ("issues", issue_ids), ("options", option_ids),
                         ("injects", [j.id for j in s.injects])):
        for d in _dupes(values):
            problems.append(f"{what}: duplicate id {d!r}")
    options_of = {i.id: [o.id for o in i.options] for i in s.issues}

    for n, party in enumerate(s.parties):
        where = f"parties[{n}] ({party.id})"
        before = len(problems)
        for issue_id in party.scores:
            if issue_id not in options_of:
                problems.append(f"{where}.scores.{issue_id}: no such issue")
        best = 0.0
        for issue_id, opts in options_of.items():
            row = party.scores.get(issue_id)
            if row is None:
                problems.append(f"{where}.scores.{issue_id}: missing scores for this issue")
                continue
            for opt in opts:
                if opt not in row:
                    problems.append(f"{where}.scores.{issue_id}.{opt}: missing score")
                elif not math.isfinite(row[opt]):
                    problems.append(f"{where}.scores.{issue_id}.{opt}: score must be a finite number")
            for opt in row:
                if opt not in opts:
                    problems.append(f"{where}.scores.{issue_id}.{opt}: no such option on issue {issue_id}")
            present = [row[o] for o in opts if o in row and math.isfinite(row[o])]
            best += max(present) if present else 0.0
        if len(problems) == before and party.threshold > best + 1e-9:
            problems.append(
                f"{where}.threshold: {party.threshold:g} is above the best total this party can reach ({best:g}),"
                " so no deal can satisfy it"
            )

    for n, party in enumerate(s.parties):
        if party.incentive.value == "targeted" and party.target is None:
            problems.append(f"parties.{n}.target: a targeted adversary needs the id of the party it targets")
        elif party.target is not None and (party.target not in party_ids or party.target == party.id):
            problems.append(f"parties.{n}.target: {party.target!r} is not another party of the scenario")
    for r in s.rule.required:
        if r not in party_ids:
            problems.append(f"rule.required: no party {r!r}")
    if s.rule.kind == RuleKind.QUORUM and s.rule.min_parties and s.rule.min_parties > len(party_ids):
        problems.append(f"rule.min_parties: {s.rule.min_parties} is more than the {len(party_ids)} parties")

    if s.initial_deal is not None:
        for issue_id, opt in s.initial_deal.items():
            if issue_id not in options_of:
                problems.append(f"initial_deal.{issue_id}: no such issue")
            elif opt not in options_of[issue_id]:
                problems.append(f"initial_deal.{issue_id}: no option {opt!r} on this issue")

    all_options = set(option_ids)
    for n, inj in enumerate(s.injects):
        where = f"injects[{n}] ({inj.id})"
        if inj.at_round is not None and inj.at_round > s.rounds:
            problems.append(f"{where}.at_round: round {inj.at_round} is after the last round ({s.rounds})")
        if inj.trigger is not None:
            t = inj.trigger
            if t.option is not None and t.option not in all_options:
                problems.append(f"{where}.trigger.option: no option {t.option!r}")
            if t.party is not None and t.party not in party_ids:
                problems.append(f"{where}.trigger.party: no party {t.party!r}")
            needs = {"no_agreement_by": "round", "option_proposed": "option", "party_walked_out": "party"}
            field = needs.get(t.kind.value)
            if field and getattr(t, field) is None:
                problems.append(f"{where}.trigger.{field}: a {t.kind.value} trigger needs {field}")
        added: set[str] = set()
        for m, eff in enumerate(inj.effects):
            ew = f"{where}.effects[{m}]"
            if isinstance(eff, (ChangeScore, ChangeThreshold, ChangeRelationship)) and eff.party not in party_ids:
                problems.append(f"{ew}.party: no party {eff.party!r}")
            if isinstance(eff, (ChangeScore, ChangeThreshold)) and (eff.delta is None) == (eff.value is None):
                problems.append(f"{ew}: give exactly one of delta or value")
            if isinstance(eff, ChangeRelationship) and eff.other not in party_ids:
                problems.append(f"{ew}.other: no party {eff.other!r}")
            if isinstance(eff, (ChangeScore, AddOption, RemoveOption)) and eff.issue not in options_of:
                problems.append(f"{ew}.issue: no issue {eff.issue!r}")
                continue
            if isinstance(eff, ChangeScore) and eff.option not in options_of[eff.issue] and eff.option not in added:
                problems.append(f"{ew}.option: no option {eff.option!r} on issue {eff.issue}")
            if isinstance(eff, RemoveOption) and eff.option not in options_of[eff.issue]:
                problems.append(f"{ew}.option: no option {eff.option!r} on issue {eff.issue}")
            if isinstance(eff, AddOption):
                if eff.option.id in all_options or eff.option.id in added:
                    problems.append(f"{ew}.option.id: option {eff.option.id!r} already exists")
                missing = [p for p in party_ids if p not in eff.scores]
                extra = [p for p in eff.scores if p not in party_ids]
                if missing:
                    problems.append(f"{ew}.scores: missing scores for {', '.join(missing)}")
                if extra:
                    problems.append(f"{ew}.scores: no party {', '.join(extra)}")
                added.add(eff.option.id)
        for issue_id, opts in options_of.items():
            removed = {e.option for e in inj.effects if isinstance(e, RemoveOption) and e.issue == issue_id}
            adds = [e for e in inj.effects if isinstance(e, AddOption) and e.issue == issue_id]
            if opts and not adds and set(opts) <= removed:
                problems.append(f"{where}.effects: removes every option of issue {issue_id}")
    injected = {e.option.id for inj in s.injects for e in inj.effects if isinstance(e, AddOption)}
    problems += check_objectives(s, all_options | injected)
    return problems


def check_objectives(s: "Scenario", options: set[str]) -> list[str]:
    """Problems with the parties, options and rounds the objectives' checks name.

    ``options`` are the option ids a deal can hold: the issues' options and those injects add.
    """
    problems: list[str] = []
    party_ids = {p.id for p in s.parties}
    for n, objective in enumerate(s.learning_objectives):
        for m, crit in enumerate(objective.check):
            where = f"learning_objectives[{n}].check[{m}]"
            option = getattr(crit, "option", None)
            if option is not None and option not in options:
                problems.append(f"{where}.option: no option {option!r}")
            party = getattr(crit, "party", None)
            if party is not None and party not in party_ids:
                problems.append(f"{where}.party: no party {party!r}")
            rnd = getattr(crit, "round", None)
            if rnd is not None and rnd > s.rounds:
                problems.append(f"{where}.round: round {rnd} is after the last round ({s.rounds})")
    return problems
