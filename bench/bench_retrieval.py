"""Retrieval quality on bench/eval/questions.yaml: hybrid vs BM25-only vs dense-only on the same chunks.

Usage: python bench/bench_retrieval.py [--sweep]
Prints recall@5 and MRR@10 for each mode; ``--sweep`` also tries chunk sizes and fusion settings.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_note, ROOT, ensure_src_on_path, source_files, table, timer  # noqa: E402

ensure_src_on_path()

from dialogue_engine.knowledge import ChunkingConfig, KnowledgeBase, SearchConfig, SearchMode  # noqa: E402

QUESTIONS = ROOT / "bench" / "eval" / "questions.yaml"


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).lower()


def load_questions() -> list[dict]:
    return yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))["questions"]


def evaluate(kb: KnowledgeBase, questions: list[dict]) -> tuple[float, float, list[str]]:
    """recall@5, MRR@10 and the questions missed at 5."""
    found5 = 0
    rr = 0.0
    missed = []
    for item in questions:
        hits = kb.search(item["q"], k=10)
        phrase = _norm(item["phrase"])
        rank = next(
            (i for i, h in enumerate(hits, start=1) if h.source == item["source"] and phrase in _norm(h.text)),
            None,
        )
        if rank is not None and rank <= 5:
            found5 += 1
        else:
            missed.append(item["q"])
        if rank is not None:
            rr += 1.0 / rank
    return found5 / len(questions), rr / len(questions), missed


def run(chunking: ChunkingConfig, fusions: list[SearchConfig], questions: list[dict], verbose: bool) -> list[list[object]]:
    """Ingest once with ``chunking``; evaluate every fusion setting in all three modes."""
    with tempfile.TemporaryDirectory() as tmp:
        kb = KnowledgeBase(Path(tmp) / "store", chunking=chunking)
        with timer() as elapsed:
            report = kb.ingest(source_files())
        rows = []
        for fusion in fusions:
            modes = (SearchMode.HYBRID, SearchMode.LEXICAL, SearchMode.DENSE) if fusion is fusions[0] else (SearchMode.HYBRID,)
            for mode in modes:
                view = kb.with_search_config(replace(fusion, mode=mode))
                recall, mrr, missed = evaluate(view, questions)
                rows.append([fusion, mode.value, f"{recall:.3f}", f"{mrr:.3f}", report.added, f"{elapsed():.1f}s"])
                if verbose and mode is SearchMode.HYBRID and missed:
                    print(f"  hybrid missed at 5 ({len(missed)}): " + " | ".join(missed), file=sys.stderr)
        return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", action="store_true", help="also try other chunk sizes and fusion settings")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    questions = load_questions()
    print(f"{len(questions)} questions over {len(source_files())} essays ({machine_note()})")
    rows = run(ChunkingConfig(), [SearchConfig()], questions, verbose=True)
    print(table(["mode", "recall@5", "MRR@10", "chunks", "ingest"], [r[1:] for r in rows]))
    if not args.sweep:
        return
    fusions = [
        SearchConfig(rrf_k=k, dense_weight=dw, lexical_weight=lw)
        for k in (10, 30, 60) for dw, lw in ((1.0, 1.0), (1.0, 0.7), (0.7, 1.0))
    ]
    sweep_rows = []
    for max_words, min_words in ((100, 40), (140, 50), (180, 60), (220, 80)):
        for row in run(ChunkingConfig(max_words, min_words), fusions, questions, verbose=False):
            fusion = row[0]
            sweep_rows.append([f"{max_words}/{min_words}", fusion.rrf_k, fusion.dense_weight, fusion.lexical_weight] + row[1:4])
    print(table(["max/min words", "rrf_k", "w_dense", "w_bm25", "mode", "recall@5", "MRR@10"], sweep_rows))


if __name__ == "__main__":
    main()
