"""bench_acts.py --extra: a file of lines in the evaluation format is read by top-level key; bad input is one line."""

from __future__ import annotations


import pytest
from bench_scripts import bench_module

@pytest.fixture(scope="module")
def bench_acts():
    with bench_module("bench_acts") as module:
        yield module


def test_extra_file_lists_become_splits(bench_acts, tmp_path):
    path = tmp_path / "blind.yaml"
    path.write_text("# header\nblind:\n  - {id: b1, scenario: us-china-quiet-dialogue, text: 'Deal?', "
                    "acts: [ask_acceptance]}\nnote: not a list\n", encoding="utf-8")
    splits = bench_acts.load_extra(path)
    assert list(splits) == ["extra:blind"]
    assert splits["extra:blind"][0]["acts"] == ["ask_acceptance"]


@pytest.mark.parametrize("content, message", [
    ("blind: [{id: b1, text: 'hi'}]\n", "needs text, scenario and acts"),
    ("blind: [{id: b1, scenario: s, text: 'hi', acts: [wave]}]\n", "unknown act 'wave'"),
    ("just: text\n", "no top-level key holds a list"),
    ("blind: [unclosed\n", "cannot read"),
])
def test_bad_extra_files_fail_in_one_line(bench_acts, tmp_path, content, message):
    path = tmp_path / "bad.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SystemExit) as info:
        bench_acts.load_extra(path)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_a_missing_extra_file_fails_in_one_line(bench_acts, tmp_path):
    with pytest.raises(SystemExit, match="cannot read"):
        bench_acts.load_extra(tmp_path / "nowhere.yaml")


def test_blind4_is_a_tuning_split_and_the_unseen_splits_were_never_trained_on(bench_acts):
    assert "blind4" in bench_acts.TUNING
    assert bench_acts.built_in_splits("unseen") == ["held_out", "blind6", "blind7"]
    assert not set(bench_acts.built_in_splits("unseen")) & set(bench_acts.TUNING)
    assert "blind4" in bench_acts.built_in_splits("all")
    assert bench_acts.built_in_splits("blind4") == ["blind4"]
