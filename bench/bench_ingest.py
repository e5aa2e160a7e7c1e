"""Ingest throughput and search latency, each beside a baseline measured in the same run.

Usage: python bench/bench_ingest.py [--chunks 10000] [--queries 60]

1. Ingest the source essays into a fresh store: chunks/s through ``KnowledgeBase.ingest`` (batched
   embedding, batched writes) vs a naive loop that embeds and adds one chunk at a time.
2. Grow the store to ``--chunks`` chunks and time searches: hybrid (query embedding + BM25 + Chroma +
   fusion) vs dense-only and BM25-only, hybrid with a tag filter, and the previous search
   (``SearchConfig.legacy()``: chunk vectors only, unfiltered dense search in Chroma's HNSW index). The extra
   chunks are sentence shuffles of the real chunks with perturbed copies of their real chunk and sentence
   embeddings (embedding 10,000 texts would take minutes on a shared 2-core machine and tells nothing more
   about search time).
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_note, ensure_src_on_path, source_files, summary_ms, table, time_calls, timer, percentile  # noqa: E402

ensure_src_on_path()

from dialogue_engine.knowledge import KnowledgeBase, SearchConfig, SearchMode  # noqa: E402
from dialogue_engine.knowledge.base import embedding_text  # noqa: E402
from dialogue_engine.knowledge.chunking import chunk_id, split_sentences  # noqa: E402
from dialogue_engine.knowledge.sentences import METADATA_KEY, pack, unpack  # noqa: E402
from dialogue_engine.knowledge.types import Chunk  # noqa: E402

QUERIES = [
    "what does the Global South want from climate finance",
    "is a partnership the same as an alliance",
    "how should non-state actors be seated at the table",
    "why are international institutions brittle",
    "quiet dialogue between rivals",
    "who pays for loss and damage",
    "plurilateral coalitions and minilateral groups",
    "India multialignment",
    "Security Council vetoes by Russia and China",
    "measurable goals and output legitimacy",
]
TAGS = ["alpha", "beta", "gamma", "delta", "epsilon"]


def ingest_rate(files: list[Path]) -> tuple[float, float, int]:
    """(pipeline chunks/s, naive chunks/s, chunks) on fresh stores."""
    with tempfile.TemporaryDirectory() as tmp:
        kb = KnowledgeBase(Path(tmp) / "store")
        kb.embedder.load()
        with timer() as elapsed:
            report = kb.ingest(files)
        fast = report.added / elapsed()
        chunks = [c for _, cs in kb.load(files) for c in cs]
    with tempfile.TemporaryDirectory() as tmp:
        naive = KnowledgeBase(Path(tmp) / "store")
        sample = chunks
        with timer() as elapsed:
            for c in sample:
                vec = naive.embedder.embed([embedding_text(c)])
                naive.store.add([c], vec)
        slow = len(sample) / elapsed()
    return fast, slow, report.added


def grow(kb: KnowledgeBase, target: int, seed: int = 7) -> None:
    """Add synthetic chunks (shuffled sentences, perturbed real chunk and sentence embeddings) until ``target``."""
    rng = random.Random(seed)
    stored = kb.store.all_chunks(embeddings=True)
    real = list(zip(stored.texts, stored.metadatas, stored.embeddings))
    noise = np.random.default_rng(seed)
    batch: list[Chunk] = []
    emb: list[np.ndarray] = []
    per_chunk: dict[str, dict[str, str]] = {}
    i = kb.count()
    while i < target:
        text, meta, vec = real[rng.randrange(len(real))]
        sentences = split_sentences(text.replace("\n\n", " "))
        rng.shuffle(sentences)
        text = " ".join(sentences)
        source = f"synthetic-{i // 50:04d}.md"
        tags = (rng.choice(TAGS),)
        chunk = Chunk(chunk_id(source, i, "s", text, tags), source, "Synthetic", "s", text, i % 50, tags)
        batch.append(chunk)
        v = vec + noise.normal(0, 0.03, vec.shape[0]).astype(np.float32)
        emb.append(v / np.linalg.norm(v))
        rows = unpack(meta.get(METADATA_KEY), vec.shape[0])
        if rows is not None:
            rows = rows[noise.permutation(len(rows))] + noise.normal(0, 0.03, rows.shape).astype(np.float32)
            per_chunk[chunk.chunk_id] = {METADATA_KEY: pack(rows / np.linalg.norm(rows, axis=1, keepdims=True))}
        i += 1
        if len(batch) == 1000 or i == target:
            kb.store.add(batch, np.stack(emb), per_chunk=per_chunk)
            batch, emb, per_chunk = [], [], {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=60, help="timed searches per mode")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    files = source_files()
    print(machine_note())

    fast, slow, n = ingest_rate(files)
    print(table(
        ["ingest", "chunks/s", "vs naive"],
        [["KnowledgeBase.ingest (batched)", f"{fast:.1f}", f"{fast / slow:.2f}x"],
         ["naive: embed + add one chunk at a time", f"{slow:.1f}", "1.00x"]],
    ))
    print(f"({n} chunks from {len(files)} essays)\n")

    with tempfile.TemporaryDirectory() as tmp:
        kb = KnowledgeBase(Path(tmp) / "store")
        kb.ingest(files)
        with timer() as elapsed:
            grow(kb, args.chunks)
        print(f"store grown to {kb.count()} chunks in {elapsed():.1f}s")
        with timer() as elapsed:
            kb.search("warm up the BM25 index")
        print(f"first query (builds the BM25 index over {kb.count()} chunks): {elapsed() * 1000:.0f} ms")
        modes = [
            ("hybrid", SearchConfig(), None),
            ("hybrid + tag filter", SearchConfig(), {"tags": ["alpha", "beta"]}),
            ("dense only (baseline)", SearchConfig(mode=SearchMode.DENSE), None),
            ("BM25 only (baseline)", SearchConfig(mode=SearchMode.LEXICAL), None),
            ("previous hybrid (baseline)", SearchConfig.legacy(), None),
            ("previous hybrid + tag filter (baseline)", SearchConfig.legacy(), {"tags": ["alpha", "beta"]}),
        ]
        views = [(label, kb.with_search_config(config), where) for label, config, where in modes]
        results: dict[str, list[float]] = {label: [] for label, _, _ in modes}
        queries = QUERIES * (args.queries // len(QUERIES) + 1)
        for _, view, where in views:  # warm-up: each view builds its in-memory index once
            view.search(queries[0], k=5, where=where)
        # Modes take turns query by query, so a change of machine load hits them alike.
        for query in queries[: args.queries]:
            for label, view, where in views:
                results[label] += time_calls(lambda: view.search(query, k=5, where=where), repeat=1, warmup=0)
        rows = [[label, summary_ms(results[label])] for label, _, _ in modes]
        dense_p95 = percentile(results["dense only (baseline)"], 95)
        for row, label in zip(rows, results):
            row.append(f"{percentile(results[label], 95) / dense_p95:.2f}x")
        print(table([f"search, {kb.count()} chunks, k=5", "latency", "p95 vs dense"], rows))
        print(machine_note())


if __name__ == "__main__":
    main()
