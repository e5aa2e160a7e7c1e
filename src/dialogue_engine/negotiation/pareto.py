"""Pareto frontier (skyline) of a set of utility vectors, vectorized with numpy.

A row ``p`` dominates a row ``c`` when ``p >= c`` on every column and ``p > c`` on at least one. Rows are
processed in order of decreasing row sum (a dominator always has the larger sum), in blocks compared with
broadcast numpy operations. Large inputs are split (recursively) into the 2^d orthants around a pivot
point on the frontier, so each row is only compared with rows of orthants that could dominate it: a
dominator is at or above the pivot on every column where the row is.
"""

from __future__ import annotations

import numpy as np

_BLOCK = 512
_CELLS = 262_144
_SPLIT_AT = 4096


def _dominated_by(cand: np.ndarray, cand_sum: np.ndarray, by: np.ndarray, by_sum: np.ndarray) -> np.ndarray:
    """Bool per row of ``cand``: some row of ``by`` dominates it (rows that are equal never do)."""
    out = np.zeros(cand.shape[0], dtype=bool)
    if by.shape[0] == 0 or cand.shape[0] == 0:
        return out
    cols, by_cols = np.ascontiguousarray(cand.T), np.ascontiguousarray(by.T)
    step = max(1, _CELLS // by.shape[0])
    tmp = np.empty((min(step, cand.shape[0]), by.shape[0]), dtype=bool)
    for start in range(0, cand.shape[0], step):
        stop = min(start + step, cand.shape[0])
        t = tmp[: stop - start]
        acc = np.less(cand_sum[start:stop, None], by_sum[None, :])
        for j in range(cols.shape[0]):
            np.less_equal(cols[j, start:stop, None], by_cols[j][None, :], out=t)
            acc &= t
        out[start:stop] = acc.any(axis=1)
    return out


def _sfs(values: np.ndarray, sums: np.ndarray) -> np.ndarray:
    """Indexes of the non-dominated rows (sort-filter skyline in blocks)."""
    n = values.shape[0]
    order = np.argsort(-sums, kind="stable")
    v, s = values[order], sums[order]
    rest = np.arange(n)
    kept: list[np.ndarray] = []
    block = 64
    while rest.size:
        blk, rest = rest[:block], rest[block:]
        block = _BLOCK
        vb, sb = v[blk], s[blk]
        new = blk[~_dominated_by(vb, sb, vb, sb)]
        kept.append(new)
        if rest.size:
            rest = rest[~_dominated_by(v[rest], s[rest], v[new], s[new])]
    return np.sort(order[np.concatenate(kept)]) if kept else np.zeros(0, dtype=np.int64)


def pareto_indexes(values: np.ndarray) -> np.ndarray:
    """Sorted indexes of the Pareto-optimal rows of ``values`` (n, d): rows no other row dominates.

    Rows with identical vectors are all kept. Comparisons are exact, so pass values already rounded to
    the precision that matters (the analysis rounds utilities to 9 decimals).
    """
    values = np.asarray(values, dtype=np.float64)
    n = values.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    sums = values.sum(axis=1)
    if n <= _SPLIT_AT or values.shape[1] < 2:
        return _sfs(values, sums)
    # Pivot: a skyline row with balanced ranks (the max-sum row is always on the skyline).
    top = np.argpartition(-sums, 255)[:256] if n > 256 else np.arange(n)
    top_sky = top[_sfs(values[top], sums[top])]
    ranks = (values[top_sky, None, :] >= values[None, top, :]).mean(axis=1)
    pivot = values[top_sky[int(np.argmax(ranks.min(axis=1)))]]
    bits = (values >= pivot[None, :]) @ (1 << np.arange(values.shape[1], dtype=np.int64))
    if values.shape[1] <= 15:
        bits = bits.astype(np.int16)  # small keys: numpy's stable sort is a radix sort
    alive = bits != 0  # rows below the pivot on every column are dominated by it
    order = np.argsort(bits, kind="stable")
    order = order[alive[order]]
    cuts = np.flatnonzero(np.diff(bits[order])) + 1
    groups = {int(bits[g[0]]): g for g in np.split(order, cuts) if g.size}
    if len(groups) == 1:  # the pivot did not split the rows: fall back to the plain skyline
        (only,) = groups.values()
        return np.sort(only[_sfs(values[only], sums[only])])
    final: dict[int, np.ndarray] = {}
    for m in sorted(groups, key=lambda b: (-int(b).bit_count(), b)):  # supersets first
        g = groups[m]
        rows = g[pareto_indexes(values[g])]
        sup = [final[o] for o in final if (o & m) == m]
        if sup:
            by = np.concatenate(sup)
            rows = rows[~_dominated_by(values[rows], sums[rows], values[by], sums[by])]
        final[m] = rows
    return np.sort(np.concatenate(list(final.values())))
