"""Coaching findings per line against a blind labelled set, beside the old keyword rules from the same run.

The set (``bench/eval/coaching_rubric.yaml``) was written by a helper who had not read the implementation:
player lines, each labelled with nine yes/no criteria. It is split deterministically by id: odd numbers
are the ``tune`` half (the detector's rules were written against it), even numbers the ``held_out`` half
(only ever looked at as the aggregate figures printed here, never line by line). A second blind set,
``bench/eval/coaching_heldout.yaml`` (same format, never used for tuning), is scored too when present.

For each criterion and split: accuracy, precision and recall of ``report.findings.line_findings`` and of
the keyword baseline, a copy of the rules ``report/coaching.py`` used before it read dialogue acts.
``--errors`` lists the tune lines the detector gets wrong (never held-out ones).
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from pathlib import Path

from _common import ROOT, ensure_src_on_path

ensure_src_on_path()

from dialogue_engine.agents.acts import Act, detect_acts  # noqa: E402
from dialogue_engine.report.findings import CRITERIA, LineReader  # noqa: E402

SET = ROOT / "bench" / "eval" / "coaching_rubric.yaml"
SECOND = ROOT / "bench" / "eval" / "coaching_heldout.yaml"

# ---- the keyword baseline: the rules of report/coaching.py before this bench (kept verbatim) ---------------
_ACK = re.compile(r"\b(i understand|we understand|understand your|i hear|we hear|fair point|you('re| are) right|"
                  r"appreciate|i see why|we see why|acknowledge|recogni[sz]e|thank you|thanks|that makes sense|"
                  r"good point|respect)\b", re.I)
_PACKAGE = re.compile(r"\b(package|in exchange|in return|trade|trade-off|tradeoff|if you .{1,60}\b(we|i) (can|could|"
                      r"would|will)|combine|bundle|together with|on condition)\b", re.I)
_EVIDENCE = re.compile(r"(\[\d+\]|\b(according to|data|evidence|study|studies|report|reports|figures|research|"
                       r"statistic|statistics|source|sources|survey|record|records|precedent|per ?cent)\b|\d+ ?%|"
                       r"\b\d[\d,.]*\s*(million|billion|thousand|people|refugees|countries|doses|years|tonnes|"
                       r"dollars)\b|"
                       r"\bsince (19|20)\d\d\b|\bfor (over |more than |nearly |almost )?(a|one|two|three|\d+) "
                       r"(decade|decades|years)\b|\bin (19|20)\d\d\b)", re.I)
_PRIVATE_WORDS = re.compile(r"\b(our|my) (threshold|minimum|bottom line|reservation (value|point)|batna|floor)\b"
                            r"|\b(threshold|bottom line|reservation value) (is|of)\b|\bpoints?\b", re.I)
_NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(?![\w.])")
# The old rubric had no rule for these two; the baseline gives them the obvious keywords.
_SHARE = re.compile(r"\b(our priority|our interest|our concern|we need|for us)\b", re.I)
_CONCEDE = re.compile(r"\b(we accept|we drop|we give up|we concede|fine with)\b", re.I)


def keyword_findings(text: str, thresholds: set[str]) -> dict[str, bool]:
    """The baseline: the old keyword rubric, per line (``thresholds``: the scenario's minimums as text)."""
    acts = set(detect_acts(text))
    nums = set(_NUMBER.findall(text))
    leak = bool(_PRIVATE_WORDS.search(text) and (nums or re.search(r"threshold|bottom line|minimum", text, re.I))) or \
        bool(nums & thresholds and re.search(r"\b(need|minimum|at least|below|under|accept)\b", text, re.I))
    packaged = Act.CONDITIONAL_TRADE in acts or (Act.PROPOSE in acts and bool(_PACKAGE.search(text)))
    return {
        "asked_interests": bool(acts & {Act.ASK_PRIORITIES, Act.ASK_WHY}),
        "shared_interest": bool(_SHARE.search(text)),
        "acknowledged": bool(_ACK.search(text)),
        "conditional_trade": packaged,
        "multi_issue_package": packaged,
        "ultimatum": Act.THREATEN in acts,
        "revealed_number": leak,
        "used_evidence": bool(_EVIDENCE.search(text)),
        "conceded_unilaterally": bool(_CONCEDE.search(text)),
    }


# ---- scoring ------------------------------------------------------------------------------------------


def _number(item: dict) -> int:
    return int(re.sub(r"\D", "", item["id"]) or 0)


def agreement(gold: list[bool], pred: list[bool]) -> tuple[float, float | None, float | None]:
    """(accuracy, precision, recall); precision or recall is None when undefined (nothing predicted / present)."""
    tp = sum(g and p for g, p in zip(gold, pred))
    fp = sum(p and not g for g, p in zip(gold, pred))
    fn = sum(g and not p for g, p in zip(gold, pred))
    acc = sum(g == p for g, p in zip(gold, pred)) / len(gold)
    return acc, (tp / (tp + fp) if tp + fp else None), (tp / (tp + fn) if tp + fn else None)


def kappa(gold: list[bool], pred: list[bool]) -> float:
    """Cohen's kappa: agreement beyond what the label rates alone give (accuracy flatters rare criteria)."""
    n = len(gold)
    po = sum(g == p for g, p in zip(gold, pred)) / n
    g1, p1 = sum(gold) / n, sum(pred) / n
    pe = g1 * p1 + (1 - g1) * (1 - p1)
    return 1.0 if pe >= 1.0 else (po - pe) / (1 - pe)


def _f(x: float | None) -> str:
    return "  – " if x is None else f"{x:.2f}"


def report(name: str, items: list[dict], errors: bool) -> None:
    """Print the per-criterion agreement of the detector and the baseline on ``items``."""
    from dialogue_engine.domain import load_scenario

    readers: dict[str, LineReader] = {}
    ours, base = [], []
    for item in items:
        if item["scenario"] not in readers:
            readers[item["scenario"]] = LineReader(load_scenario(item["scenario"]))
        reader = readers[item["scenario"]]
        ours.append(reader.findings(item["text"]))
        thresholds = {f"{p.threshold:g}" for p in reader.scenario.parties}
        base.append(keyword_findings(item["text"], thresholds))
    print(f"\n{name}: {len(items)} lines")
    print(f"{'criterion':<23}{'pos':>4} | {'acc':>5}{'prec':>6}{'rec':>6}{'kappa':>6} | {'kw acc':>7}{'prec':>6}{'rec':>6}"
          f"{'kappa':>6}")
    worst = 1.0
    for c in CRITERIA:
        gold = [bool(i["labels"][c]) for i in items]
        a, p, r = agreement(gold, [o[c] for o in ours])
        ka, kp, kr = agreement(gold, [b[c] for b in base])
        worst = min(worst, a)
        k, kk = kappa(gold, [o[c] for o in ours]), kappa(gold, [b[c] for b in base])
        print(f"{c:<23}{sum(gold):>4} | {a:>5.2f}{_f(p):>6}{_f(r):>6}{k:>6.2f} | {ka:>7.2f}{_f(kp):>6}{_f(kr):>6}{kk:>6.2f}")
    mean = sum(sum(o[c] == bool(i["labels"][c]) for o, i in zip(ours, items)) for c in CRITERIA) / (
        len(items) * len(CRITERIA))
    kmean = sum(sum(b[c] == bool(i["labels"][c]) for b, i in zip(base, items)) for c in CRITERIA) / (
        len(items) * len(CRITERIA))
    print(f"{'mean accuracy':<23}{'':>4} | {mean:>5.3f}{'':>12} | {kmean:>7.3f}")
    print(f"lowest criterion accuracy: {worst:.2f} (target >= 0.85)")
    if errors:
        for item, o in zip(items, ours):
            wrong = [f"{c}={'yes' if o[c] else 'no'}" for c in CRITERIA if o[c] != bool(item["labels"][c])]
            if wrong:
                print(f"  {item['id']}: {', '.join(wrong)}: {item['text']}")


def main() -> int:
    import yaml

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--split", choices=["tune", "held_out", "second", "all"], default="all")
    parser.add_argument("--errors", action="store_true", help="list wrong tune lines")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    lines = yaml.safe_load(SET.read_text(encoding="utf-8"))["lines"]
    splits = {"tune": [i for i in lines if _number(i) % 2 == 1],
              "held_out": [i for i in lines if _number(i) % 2 == 0]}
    if SECOND.exists():
        splits["second"] = yaml.safe_load(SECOND.read_text(encoding="utf-8"))["lines"]
    else:
        print(f"({SECOND.relative_to(ROOT)} is not here yet: only the two halves of {SET.name} are scored)")
    for name, items in splits.items():
        if args.split in ("all", name):
            report(name, items, errors=args.errors and name == "tune")
    return 0


if __name__ == "__main__":
    sys.exit(main())
