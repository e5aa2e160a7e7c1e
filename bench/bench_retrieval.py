"""Retrieval quality on the essays: the current search beside the previous one (same run, same chunks).

Usage: python bench/bench_retrieval.py [--extra PATH]... [--tuning SET,...] [--skip-held-out] [--verbose] [--sweep]

Question sets (each item: a question, the file that answers it and a phrase the answering passage contains):

- ``questions``: ``bench/eval/questions.yaml`` (48; tuning, now and before);
- ``tune``: the part of ``bench/eval/retrieval_paraphrased.yaml`` whose id hashes into the tuning split
  (``int(sha256(id)[:8], 16) % 100 < 35``: 28 items; tuning);
- ``tune_extra``: ``bench/eval/retrieval_tune_extra.yaml`` (39; tuning);
- ``held_out``: the rest of ``retrieval_paraphrased.yaml`` (41);
- ``fresh`` and ``fresh2``: ``bench/eval/retrieval_fresh.yaml`` (126) and ``retrieval_fresh2.yaml`` (104), written
  blind by two helper sessions from the essays only (``--skip-held-out`` skips these three and fresh3–5);
- ``fresh3``: ``bench/eval/retrieval_fresh3.yaml`` (167), written blind by a third helper session while the
  word-piece rerank was being built; scored once with it (hybrid recall@5 0.862, sentence-level search 0.850,
  first search 0.784) and never tuned on: an unseen set;
- ``fresh4``: ``bench/eval/retrieval_fresh4.yaml`` (275), written blind by a fourth helper session from the essays
  only after the word-piece rerank shipped; scored once with the unchanged search (hybrid recall@5 0.898, sentence-level
  0.887, first search 0.782) and never tuned on: another unseen set;
- ``fresh5``: ``bench/eval/retrieval_fresh5.yaml`` (351), written blind by a fifth helper session from the essays
  only (every question by hand) while late-chunked sentence vectors and a second embedding model were tried and
  dropped on the tuning sets; scored once with the unchanged search (hybrid recall@5 0.903, sentence-level 0.866,
  first search 0.806): the newest unseen set;
- every ``--extra PATH``: a YAML list of ``{id, question, source, answer_locator}`` (the format of
  ``retrieval_paraphrased.yaml``), scored as it is, never tuning (its set is named ``extra:<file name>``).

``--tuning`` names the sets that have been used for tuning (default: every built-in set but fresh3 to fresh5, since
the word-piece rerank was developed on questions, tune, tune_extra and fresh and checked on held_out and fresh2);
the table marks each set ``tuning`` or ``unseen``, and ``--verbose`` / ``--sweep`` only ever look at tuning sets.

For each set: recall@5 and MRR@10 of the current search (``SearchConfig()`` on a store ingested by this
code: sentence vectors, chunk vector = their mean, word-piece codes), the sentence-level search before the
word-piece rerank (``SearchConfig.sentence_level()``, same store) and the first one (``SearchConfig.legacy()`` on a
store whose chunk vectors embed ``section. text`` whole, as ingest did before), in hybrid, BM25-only and
dense-only modes. Both stores hold the same chunks. A hit is a retrieved chunk of the
right source that contains the phrase (case-insensitive, whitespace and quotes normalised). ``--verbose``
lists misses on the tuning sets only; ``--sweep`` tries fusion settings on the tuning sets only.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import re
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_note, ROOT, ensure_src_on_path, source_files, table, timer  # noqa: E402

ensure_src_on_path()

from dialogue_engine.knowledge import KnowledgeBase, SearchConfig, SearchMode  # noqa: E402
from dialogue_engine.knowledge.base import embedding_text  # noqa: E402

EVAL = ROOT / "bench" / "eval"
QUESTIONS = EVAL / "questions.yaml"
PARAPHRASED = EVAL / "retrieval_paraphrased.yaml"
TUNE_EXTRA = EVAL / "retrieval_tune_extra.yaml"
TUNED_SETS = ("questions", "tune", "tune_extra", "held_out", "fresh", "fresh2")
BUILT_IN_SETS = (*TUNED_SETS, "fresh3", "fresh4", "fresh5")

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " "})


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.translate(_QUOTES)).strip().lower()


def in_tune_split(item_id: str) -> bool:
    """Whether a paraphrased question belongs to the tuning split (fixed by a hash of its id)."""
    return int(hashlib.sha256(item_id.encode("utf-8")).hexdigest()[:8], 16) % 100 < 35


def load_questions() -> list[dict]:
    """questions.yaml as ``{q, source, phrase}`` items."""
    return yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))["questions"]


def load_entries(path: Path) -> list[dict]:
    """A YAML list of ``{id, question, source, answer_locator}`` as ``{id, q, source, phrase}`` items."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        sys.exit(f"error: {path}: cannot read the question file ({type(err).__name__})")
    if not isinstance(data, list):
        sys.exit(f"error: {path}: expected a list of {{id, question, source, answer_locator}}")
    items = []
    for n, x in enumerate(data, start=1):
        missing = [k for k in ("question", "source", "answer_locator") if not isinstance(x, dict) or k not in x]
        if missing:
            sys.exit(f"error: {path}: entry {n} lacks {', '.join(missing)}")
        items.append({"id": str(x.get("id", n)), "q": x["question"], "source": x["source"], "phrase": x["answer_locator"]})
    return items


def question_sets(extra: list[Path], skip_held_out: bool) -> dict[str, list[dict]]:
    paraphrased = load_entries(PARAPHRASED)
    sets = {
        "questions": load_questions(),
        "tune": [x for x in paraphrased if in_tune_split(x["id"])],
        "tune_extra": load_entries(TUNE_EXTRA),
    }
    if not skip_held_out:
        sets["held_out"] = [x for x in paraphrased if not in_tune_split(x["id"])]
        sets["fresh"] = load_entries(EVAL / "retrieval_fresh.yaml")
        sets["fresh2"] = load_entries(EVAL / "retrieval_fresh2.yaml")
        sets["fresh3"] = load_entries(EVAL / "retrieval_fresh3.yaml")
        sets["fresh4"] = load_entries(EVAL / "retrieval_fresh4.yaml")
        sets["fresh5"] = load_entries(EVAL / "retrieval_fresh5.yaml")
    for path in extra:
        sets[f"extra:{Path(path).name}"] = load_entries(path)
    return sets


def answer_rank(item: dict, passages: Iterable[tuple[str, str]]) -> int | None:
    """1-based rank of the first passage (``(source, text)``, best first) that answers ``item``: the right source
    file, and the item's phrase in its text (case, whitespace and quotes aside). None if none does."""
    phrase = _norm(item["phrase"])
    return next((rank for rank, (source, text) in enumerate(passages, start=1)
                 if source == item["source"] and phrase in _norm(text)), None)


def evaluate(kb: KnowledgeBase, questions: list[dict]) -> tuple[float, float, list[str]]:
    """recall@5, MRR@10 and the questions missed at 5."""
    found5 = 0
    rr = 0.0
    missed = []
    for item in questions:
        rank = answer_rank(item, ((h.source, h.text) for h in kb.search(item["q"], k=10)))
        if rank is not None and rank <= 5:
            found5 += 1
        else:
            missed.append(f"{item.get('id', '')} {item['q']}".strip())
        if rank is not None:
            rr += 1.0 / rank
    return found5 / len(questions), rr / len(questions), missed


def previous_knowledge_base(store_dir: Path) -> KnowledgeBase:
    """A store ingested the previous way: one embedding of ``section. text`` per chunk, no sentence vectors."""
    kb = KnowledgeBase(store_dir, search_config=SearchConfig.legacy())
    kb._embed = lambda chunks, progress: (kb.embedder.embed([embedding_text(c) for c in chunks]), {})  # type: ignore[method-assign]
    return kb


def compare(kb: KnowledgeBase, previous: KnowledgeBase, sets: dict[str, list[dict]], tuning: set[str],
            verbose: bool) -> None:
    """Current vs earlier searches on every set, all three modes (same chunks)."""
    rows = []
    for name, questions in sets.items():
        role = "tuning" if name in tuning else "unseen"
        for label, store, base in (("current", kb, SearchConfig()), ("sentences", kb, SearchConfig.sentence_level()), ("previous", previous, SearchConfig.legacy())):
            for mode in (SearchMode.HYBRID, SearchMode.LEXICAL, SearchMode.DENSE):
                recall, mrr, missed = evaluate(store.with_search_config(replace(base, mode=mode)), questions)
                rows.append([name, role, len(questions), label, mode.value, f"{recall:.3f}", f"{mrr:.3f}"])
                if verbose and name in tuning and mode is SearchMode.HYBRID and missed:
                    print(f"  {name} / {label} hybrid missed at 5 ({len(missed)}): " + " | ".join(missed), file=sys.stderr)
    print(table(["set", "role", "n", "search", "mode", "recall@5", "MRR@10"], rows))


def sweep(kb: KnowledgeBase, sets: dict[str, list[dict]], tuning: set[str]) -> None:
    """Fusion settings, hybrid only, on the tuning sets (never on unseen or --extra sets)."""
    names = [n for n in sets if n in tuning]
    rows = []
    for k in (5, 10):
        for lw in (0.2, 0.35, 0.5):
            for tw in (0.0, 0.6, 1.0):
                config = SearchConfig(rrf_k=k, lexical_weight=lw, token_weight=tw)
                row: list[object] = [k, lw, tw]
                for name in names:
                    recall, mrr, _ = evaluate(kb.with_search_config(config), sets[name])
                    row += [f"{recall:.3f}", f"{mrr:.3f}"]
                rows.append(row)
    headers = ["rrf_k", "w_bm25", "w_tokens"] + [f"{n} {m}" for n in names for m in ("R@5", "MRR")]
    print(table(headers, rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extra", action="append", type=Path, default=[], metavar="PATH",
                        help="also score this question file (list of {id, question, source, answer_locator})")
    parser.add_argument("--tuning", default=",".join(TUNED_SETS), metavar="SET,...",
                        help="the sets used for tuning (default: every built-in set but fresh3, fresh4 and fresh5; "
                             "--extra sets never are)")
    parser.add_argument("--skip-held-out", action="store_true",
                        help="do not score held_out and fresh to fresh5")
    parser.add_argument("--verbose", action="store_true", help="list hybrid misses on the tuning sets")
    parser.add_argument("--sweep", action="store_true", help="also try fusion settings (tuning sets only)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    sets = question_sets(args.extra, args.skip_held_out)
    tuning = {n.strip() for n in args.tuning.split(",") if n.strip()}
    unknown = sorted(tuning - set(BUILT_IN_SETS))
    if unknown:
        sys.exit(f"error: --tuning: unknown set {unknown[0]} (built-in sets: {', '.join(BUILT_IN_SETS)})")
    sizes = ", ".join(f"{name} {len(qs)}" for name, qs in sets.items())
    print(f"questions: {sizes}; over {len(source_files())} essays ({machine_note()})")
    with tempfile.TemporaryDirectory() as tmp:
        kb = KnowledgeBase(Path(tmp) / "store")
        with timer() as elapsed:
            report = kb.ingest(source_files())
        previous = previous_knowledge_base(Path(tmp) / "previous")
        with timer() as elapsed_previous:
            previous.ingest(source_files())
        print(f"{report.added} chunks ingested in {elapsed():.1f}s (previous way: {elapsed_previous():.1f}s)\n")
        compare(kb, previous, sets, tuning, args.verbose)
        if args.sweep:
            sweep(kb, sets, tuning)


if __name__ == "__main__":
    main()
