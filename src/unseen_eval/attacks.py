"""Identification and verification on face embeddings: what the re-identification attackers do.

Works on any arrays (no recognizer needed): ``reid`` feeds it dlib descriptors. Distances are
Z-normed per gallery photo and a tie for the top score counts as its expectation, so a cover that
leaves nothing identifiable scores exactly chance.
"""

from __future__ import annotations

import numpy as np

from .stats import auc


def distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = np.sqrt(np.maximum(0.0, (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T))
    return d.astype(np.float64)


def _credit(scores: np.ndarray, truth: int) -> float:
    """Expected rank-1 success when ties for the top score are broken at random.

    A cover that makes every face the same (solid) ties all identities and so scores exactly
    chance, with no luck of the draw in it.
    """
    best = np.flatnonzero(scores >= scores.max() - 1e-9)
    return float(truth in best) / len(best)


def znorm(dist: np.ndarray) -> np.ndarray:
    """Standardize each gallery column over the probes (off-diagonal), the usual Z-norm.

    Without it a probe set that carries no identity at all is matched to whichever gallery
    photo happens to lie nearest the "empty face", and scores the share of that one identity
    rather than 1/N. Columns with no spread become all zero (ties).
    """
    d = dist.astype(np.float64).copy()
    m = d.shape[0]
    off = ~np.eye(m, dtype=bool) if d.shape[0] == d.shape[1] else np.ones_like(d, bool)
    out = np.zeros_like(d)
    for j in range(d.shape[1]):
        col = d[off[:, j], j]
        sd = col.std()
        out[:, j] = 0.0 if sd < 1e-9 else (d[:, j] - col.mean()) / sd
    return out


def nn_identify(dist: np.ndarray, labels: np.ndarray, classes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Leave-one-out nearest-neighbour identification.

    ``dist[i, j]`` is the distance from probe i to gallery photo j (same photo set; the diagonal
    is excluded). Returns per-probe expected success and per-probe class scores (minus min
    distance), after Z-norm.
    """
    m = dist.shape[0]
    d = znorm(dist)
    np.fill_diagonal(d, np.inf)
    scores = np.full((m, len(classes)), -np.inf)
    correct = np.zeros(m)
    for i in range(m):
        for k, c in enumerate(classes):
            mask = labels == c
            mask[i] = False
            if mask.any():
                scores[i, k] = -d[i, mask].min()
        correct[i] = _credit(scores[i], int(np.flatnonzero(classes == labels[i])[0]))
    return correct, scores


def linear_identify(
    train: np.ndarray, test: np.ndarray, labels: np.ndarray, classes: np.ndarray, ridge: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Leave-one-out class-balanced ridge classifier: fitted on ``train`` minus the probe's row.

    ``train[i]`` and ``test[i]`` are embeddings of the same photo (the covered gallery copy and the
    covered probe copy). Balanced weights keep a classifier that learns nothing at chance.
    """
    m = train.shape[0]
    correct = np.zeros(m)
    scores = np.zeros((m, len(classes)))
    onehot = (labels[:, None] == classes[None, :]).astype(np.float64)
    for i in range(m):
        keep = np.arange(m) != i
        x, y = train[keep].astype(np.float64), onehot[keep]
        counts = y.sum(0)
        w = (y / np.maximum(counts, 1)).sum(1)  # each class weighs the same in total
        mu = (w[:, None] * x).sum(0) / w.sum()
        xc = x - mu
        xw = xc * w[:, None]
        a = xc.T @ xw + ridge * np.eye(x.shape[1])
        coef = np.linalg.solve(a, xw.T @ (y - (w[:, None] * y).sum(0) / w.sum()))
        s = (test[i] - mu) @ coef
        scores[i] = s
        correct[i] = _credit(s, int(np.flatnonzero(classes == labels[i])[0]))
    return correct, scores


def pair_auc(dist: np.ndarray, labels: np.ndarray) -> float:
    m = dist.shape[0]
    off = ~np.eye(m, dtype=bool)
    same = labels[:, None] == labels[None, :]
    return auc(-znorm(dist)[off], same[off])


def class_auc(scores: np.ndarray, labels: np.ndarray, classes: np.ndarray) -> float:
    pos = labels[:, None] == classes[None, :]
    s = scores.copy()
    s[~np.isfinite(s)] = -1e9
    return auc(s.ravel(), pos.ravel())
