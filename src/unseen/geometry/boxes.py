"""Boxes ``(N, 4)`` as ``x1, y1, x2, y2``: pairwise overlap, growth about the centre, containment."""

from __future__ import annotations

import math

import numpy as np

_CHUNK = 2048  # rows compared at once: bounds the memory of the (rows, N) comparison matrices


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise intersection-over-union of boxes ``a (N, 4)`` and ``b (M, 4)`` (float64 ``(N, M)``)."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)), np.float64)
    a = a.astype(np.float64)[:, None, :]
    b = b.astype(np.float64)[None, :, :]
    iw = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    ih = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    inter = iw * ih
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    union = area_a + area_b - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0)


def grow(boxes: np.ndarray, factor: float, up: float = 0.0) -> np.ndarray:
    """``boxes`` (float64) grown ``factor`` times about their centres, each top edge raised a further
    ``up`` of the box's height. Each edge moves out by ``size * (factor - 1) / 2`` from where it
    was, so a factor of at least 1 gives a box that contains the original exactly (no rounding)."""
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    bw = b[:, 2] - b[:, 0]
    bh = b[:, 3] - b[:, 1]
    gx = bw * (factor - 1) / 2
    gy = bh * (factor - 1) / 2
    return np.stack([b[:, 0] - gx, b[:, 1] - gy - up * bh, b[:, 2] + gx, b[:, 3] + gy], axis=1)


def contained(boxes: np.ndarray, tol: float = 0.0, max_ratio: float = math.inf) -> np.ndarray:
    """Per box: does it lie inside another box (each edge within ``tol``) that is larger, or equal
    and earlier? Boolean ``(N,)``; of identical boxes the first is the one not contained.

    ``max_ratio``: only an outer box at most this many times the inner one's area counts (a small
    face inside a much larger box can be kept while tile-edge fragments and duplicates go)."""
    b = np.asarray(boxes)
    n = len(b)
    out = np.zeros(n, bool)
    area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    idx = np.arange(n)
    for lo in range(0, n, _CHUNK):
        hi = min(n, lo + _CHUNK)
        c = b[lo:hi]
        inside = (
            (c[:, None, 0] >= b[None, :, 0] - tol)
            & (c[:, None, 1] >= b[None, :, 1] - tol)
            & (c[:, None, 2] <= b[None, :, 2] + tol)
            & (c[:, None, 3] <= b[None, :, 3] + tol)
        )
        me = idx[lo:hi, None]
        mine = area[lo:hi, None]
        bigger = (area[None, :] > mine) | ((area[None, :] == mine) & (idx[None, :] < me))
        if max_ratio != math.inf:
            bigger &= area[None, :] <= max_ratio * np.maximum(mine, 1e-9)
        out[lo:hi] = np.any(inside & bigger & (idx[None, :] != me), axis=1)
    return out


def without_contained(regions: np.ndarray) -> np.ndarray:
    """``regions`` less those lying wholly inside another (of identical ones, the first stays).

    For rectangles the painted union is the same; a video frame's held covers are often dozens of
    nearly equal boxes of one face, and each painted rectangle costs a few microseconds.
    Rectangles only: an ellipse inside a rectangle region's bounds is not inside its ellipse.
    """
    if len(regions) <= 1:
        return regions
    return regions[~contained(regions)]


__all__ = ["contained", "grow", "iou_matrix", "without_contained"]
