"""Dialogue-act recognition on the independent evaluation set, beside a keyword baseline from the same run.

The set (``bench/eval/dialogue_acts.yaml``) was written by someone who had not read the implementation; its
``tune`` part was used while writing the rules, its ``held_out`` part never was. A third part, ``dev``
(``bench/eval/dialogue_acts_dev.yaml``), was written by the implementer in chat style and tuned on too, and
``tune2`` (``bench/eval/dialogue_acts_tune2.yaml``) by a second independent writer in deliberately informal
styles, also tuned on; ``tune3`` (``bench/eval/dialogue_acts_tune3.yaml``) by the implementer of the second
perception pass, in mixed registers (threats, ultimatums, small talk, sarcasm, acceptance questions), tuned on. Reported per split:
macro-F1 over the 13 acts (each act a yes/no label per line), per-act F1, exact-set accuracy, and
option-mention F1. ``--errors`` lists the dev and tune lines the rules get wrong (never the held-out ones).
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections import Counter
from pathlib import Path

from _common import ROOT, ensure_src_on_path

ensure_src_on_path()

from dialogue_engine.agents.acts import Act  # noqa: E402

SET = ROOT / "bench" / "eval" / "dialogue_acts.yaml"
DEV = ROOT / "bench" / "eval" / "dialogue_acts_dev.yaml"
TUNE2 = ROOT / "bench" / "eval" / "dialogue_acts_tune2.yaml"
TUNE3 = ROOT / "bench" / "eval" / "dialogue_acts_tune3.yaml"

KEYWORDS: dict[Act, tuple[str, ...]] = {
    Act.GREET: ("good morning", "hello", "welcome", "thank you"),
    Act.ASK_WHY: ("why",),
    Act.ASK_FACT: ("how many", "how much", "when"),
    Act.ASK_PRIORITIES: ("what do you need", "priority", "matters most"),
    Act.SHARE_INTEREST: ("our priority", "our interest", "for us"),
    Act.PROPOSE: ("propose", "how about", "what if", "suggest"),
    Act.CONDITIONAL_TRADE: ("if you",),
    Act.ACCEPT: ("accept", "agreed", "deal"),
    Act.ASK_ACCEPTANCE: ("do we have a deal", "live with"),
    Act.REJECT: ("cannot", "reject", "unacceptable", "red line"),
    Act.THREATEN: ("or else", "walk away", "will leave"),
    Act.OFF_TOPIC: ("football", "weather", "match"),
    Act.MANIPULATION: ("ignore", "instructions", "threshold"),
}


def keyword_acts(text: str) -> set[Act]:
    """The baseline: an act whenever one of its keywords appears (lower-cased substring)."""
    low = text.lower()
    found = {a for a, words in KEYWORDS.items() if any(w in low for w in words)}
    return found or {Act.PROPOSE}


def f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else (1.0 if not fp and not fn else 0.0)


def score(gold: list[set[Act]], pred: list[set[Act]]) -> tuple[float, dict[Act, float], float]:
    """(macro-F1, per-act F1, exact-set accuracy)."""
    per = {}
    for act in Act:
        tp = sum(act in g and act in p for g, p in zip(gold, pred))
        fp = sum(act not in g and act in p for g, p in zip(gold, pred))
        fn = sum(act in g and act not in p for g, p in zip(gold, pred))
        per[act] = f1(tp, fp, fn)
    exact = sum(g == p for g, p in zip(gold, pred)) / len(gold)
    return sum(per.values()) / len(per), per, exact


def main() -> int:
    import yaml

    from dialogue_engine.agents.perception import RulePerceiver, load_embedder
    from dialogue_engine.domain import load_scenario

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--split", choices=["dev", "tune", "tune2", "tune3", "held_out", "all", "tuning"], default="all")
    parser.add_argument("--errors", action="store_true", help="list wrong tune lines")
    parser.add_argument("--no-embed", action="store_true", help="rules only")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    data = {}
    for path in (SET, DEV, TUNE2, TUNE3):
        data |= yaml.safe_load(path.read_text(encoding="utf-8"))
    embed = None if args.no_embed else load_embedder()
    tuning = ["dev", "tune", "tune2", "tune3"]
    splits = {"all": [*tuning, "held_out"], "tuning": tuning}.get(args.split, [args.split])
    perceivers: dict[str, RulePerceiver] = {}
    for split in splits:
        items = data[split]
        gold, ours, base, opt_counts = [], [], [], Counter()
        for item in items:
            scen = item["scenario"]
            if scen not in perceivers:
                perceivers[scen] = RulePerceiver(load_scenario(scen), embed=embed)
            p = perceivers[scen].perceive(item["text"])
            gold.append({Act(a) for a in item["acts"]})
            ours.append(set(p.acts))
            base.append(keyword_acts(item["text"]))
            want = set((item.get("mentions") or {}).get("options") or [])
            got = set(p.options) | set(p.rejected_options)
            opt_counts.update(tp=len(want & got), fp=len(got - want), fn=len(want - got))
        m_ours, per_ours, ex_ours = score(gold, ours)
        m_base, per_base, ex_base = score(gold, base)
        print(f"\n{split}: {len(items)} lines")
        print(f"{'act':<20}{'ours F1':>9}{'keywords F1':>13}")
        for act in Act:
            print(f"{act.value:<20}{per_ours[act]:>9.2f}{per_base[act]:>13.2f}")
        print(f"{'macro-F1':<20}{m_ours:>9.3f}{m_base:>13.3f}")
        print(f"{'exact act set':<20}{ex_ours:>9.3f}{ex_base:>13.3f}")
        print(f"option mentions F1: {f1(opt_counts['tp'], opt_counts['fp'], opt_counts['fn']):.3f} "
              f"(tp {opt_counts['tp']}, fp {opt_counts['fp']}, fn {opt_counts['fn']})")
        if args.errors and split != "held_out":
            for item, g, p in zip(items, gold, ours):
                if g != p:
                    print(f"  {item['id']}: gold {sorted(a.value for a in g)} got {sorted(a.value for a in p)}: "
                          f"{item['text']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
