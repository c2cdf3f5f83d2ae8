"""Small statistics for the re-identification report: binomial intervals, tests, AUC."""

from __future__ import annotations

import math

import numpy as np


def wilson_interval(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score 95 % interval for a binomial proportion ``k / n``."""
    if n <= 0:
        return (0.0, 1.0)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def binom_p_above(k: int, n: int, p0: float) -> float:
    """One-sided exact p-value of seeing ``k`` or more successes in ``n`` trials at rate ``p0``."""
    if n <= 0 or k <= 0:
        return 1.0
    total = 0.0
    for i in range(k, n + 1):
        total += math.comb(n, i) * p0**i * (1 - p0) ** (n - i)
    return min(1.0, total)


def _average_ranks(x: np.ndarray) -> np.ndarray:
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    ranks = np.empty(len(x), np.float64)
    i = 0
    while i < len(xs):
        j = i
        while j + 1 < len(xs) and xs[j + 1] == xs[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """ROC AUC (higher score = more likely positive); ties count one half. NaN if one class is empty."""
    scores = np.asarray(scores, np.float64)
    positive = np.asarray(positive, bool)
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = _average_ranks(scores)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def cluster_bootstrap(
    values: np.ndarray, clusters: np.ndarray, *, n: int = 2000, seed: int = 0, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``values``, resampling whole ``clusters``.

    For scores that come in correlated groups (several queries of one person track): each
    replicate draws as many clusters as there are, with replacement, and takes the mean of all
    their values. ``(nan, nan)`` with no values.
    """
    values = np.asarray(values, np.float64)
    clusters = np.asarray(clusters)
    if values.size == 0:
        return (float("nan"), float("nan"))
    keys, inverse = np.unique(clusters, return_inverse=True)
    sums = np.bincount(inverse, weights=values, minlength=len(keys))
    counts = np.bincount(inverse, minlength=len(keys)).astype(np.float64)
    rng = np.random.default_rng(seed)
    draw = rng.integers(0, len(keys), (n, len(keys)))
    means = sums[draw].sum(1) / counts[draw].sum(1)
    a = (1 - level) / 2
    return (float(np.quantile(means, a)), float(np.quantile(means, 1 - a)))
