"""The coaching detector against both blind labelled sets (issue 14: agreement >= 0.85 per criterion).

The sets were written by helper sessions that never read the rules; the second one was never used for
tuning. This is a regression guard: a change to the rules that drops any criterion below the bar fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dialogue_engine.domain import load_scenario
from dialogue_engine.report.findings import CRITERIA, LineReader

EVAL = Path(__file__).resolve().parent.parent / "bench" / "eval"
BAR = 0.85


@pytest.mark.parametrize("name", ["coaching_rubric.yaml", "coaching_heldout.yaml"])
def test_each_criterion_agrees_with_the_blind_labels(name):
    items = yaml.safe_load((EVAL / name).read_text(encoding="utf-8"))["lines"]
    assert len(items) >= 60
    readers: dict[str, LineReader] = {}
    found = []
    for item in items:
        reader = readers.setdefault(item["scenario"], LineReader(load_scenario(item["scenario"])))
        found.append(reader.findings(item["text"]))
    for criterion in CRITERIA:
        agree = sum(f[criterion] == bool(i["labels"][criterion]) for f, i in zip(found, items)) / len(items)
        assert agree >= BAR, f"{name}: {criterion} agrees on {agree:.2f} of lines (bar {BAR})"
