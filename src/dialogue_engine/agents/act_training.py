"""Offline fitting of :class:`~dialogue_engine.agents.act_model.ActModel`: L2 logistic regression per act (Newton),
per-act thresholds chosen on held-out probabilities (the cross-validation itself is ``bench/train_acts.py --cv``:
leave one set written blind out at a time).

Numpy only and deterministic: no random initialisation, ties in the threshold search broken toward the middle
of the grid.
"""

from __future__ import annotations

import numpy as np

THRESHOLD_GRID = np.round(np.arange(0.10, 0.91, 0.05), 2)


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float, *, iterations: int = 30) -> tuple[np.ndarray, float]:
    """Weights and bias of an L2-penalised logistic regression (bias unpenalised), by Newton's method."""
    n, d = x.shape
    xb = np.hstack([x, np.ones((n, 1))])
    w = np.zeros(d + 1)
    penalty = np.full(d + 1, l2)
    penalty[-1] = 1e-6
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(xb @ w, -30, 30)))
        grad = xb.T @ (p - y) + penalty * w
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + np.diag(penalty)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return w[:-1], float(w[-1])


def fit_all(x: np.ndarray, labels: np.ndarray, l2: float) -> tuple[np.ndarray, np.ndarray]:
    """(weights (d, n_acts), bias (n_acts,)) of one model per act column of ``labels`` (n, n_acts) in {0, 1}."""
    fits = [fit_logistic(x, labels[:, j].astype(np.float64), l2) for j in range(labels.shape[1])]
    return np.stack([w for w, _ in fits], axis=1), np.asarray([b for _, b in fits])


def f1(gold: np.ndarray, pred: np.ndarray) -> float:
    """F1 of one act's yes/no labels (1.0 when the act is neither present nor predicted)."""
    tp = int(np.sum(gold & pred))
    fp = int(np.sum(~gold & pred))
    fn = int(np.sum(gold & ~pred))
    return 2 * tp / (2 * tp + fp + fn) if tp else (1.0 if not fp and not fn else 0.0)


def choose_thresholds(proba: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per act, the grid threshold with the best F1 on ``proba``; ties go to the one nearest 0.5."""
    out = []
    for j in range(labels.shape[1]):
        gold = labels[:, j].astype(bool)
        scored = [(f1(gold, proba[:, j] >= t), -abs(t - 0.5), t) for t in THRESHOLD_GRID]
        out.append(max(scored)[2])
    return np.asarray(out, dtype=np.float64)


def decide(proba: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Boolean (n, n_acts): acts at or above threshold, and at least the most probable one per line."""
    on = proba >= thresholds
    empty = ~on.any(axis=1)
    on[empty, np.argmax(proba[empty], axis=1)] = True
    return on

