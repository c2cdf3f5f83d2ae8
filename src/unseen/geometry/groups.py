"""Boxes near each other as groups, and how much of a box a set of regions covers.

Used by the review flags: a crowd of tiny faces, or a dozen candidates the thorough check found in
one place, is one place for a person to look, not a dozen.
"""

from __future__ import annotations

import numpy as np

_CHUNK = 1024  # rows compared at once: bounds the memory of the (rows, N) gap matrices
_GRID = 8  # points per side sampled over a box's central half by central_share_in


def near_groups(boxes: np.ndarray, link: float) -> list[np.ndarray]:
    """``boxes (N, 4)`` grouped by single linkage: two boxes are linked when the gap between them
    (0 when they overlap; the larger of the horizontal and vertical gaps) is at most ``link`` times
    the larger of their short sides. Returns the groups' indices (each sorted), ordered by their
    first index; every box is in exactly one group.

    The links are found once, in (rows, N) blocks, and joined by vectorised label propagation (every
    link gives both ends' labels the lower of the two, then labels are followed to their end), not a
    Python step per link; identical boxes are compared once."""
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    if not len(b):
        return []
    u, back = np.unique(b, axis=0, return_inverse=True)
    back = back.reshape(-1)
    n = len(u)
    side = np.minimum(u[:, 2] - u[:, 0], u[:, 3] - u[:, 1]).clip(0, None)
    firsts, seconds = [], []
    for lo in range(0, n, _CHUNK):
        hi = min(n, lo + _CHUNK)
        c = u[lo:hi, None, :]
        gx = np.maximum(c[..., 0] - u[None, :, 2], u[None, :, 0] - c[..., 2]).clip(0, None)
        gy = np.maximum(c[..., 1] - u[None, :, 3], u[None, :, 1] - c[..., 3]).clip(0, None)
        near = np.maximum(gx, gy) <= link * np.maximum(side[lo:hi, None], side[None, :])
        rows, cols = np.nonzero(near)
        later = cols > rows + lo
        firsts.append(rows[later] + lo)
        seconds.append(cols[later])
    i, j = np.concatenate(firsts), np.concatenate(seconds)
    label = np.arange(n)
    while True:
        lower = np.minimum(label[i], label[j])
        new = label.copy()
        np.minimum.at(new, label[i], lower)
        np.minimum.at(new, label[j], lower)
        while not np.array_equal(new[new], new):  # follow each label to its end
            new = new[new]
        if np.array_equal(new, label):
            break
        label = new
    per_box = label[back]
    order = np.argsort(per_box, kind="stable")
    groups = np.split(order, np.flatnonzero(np.diff(per_box[order])) + 1)
    return sorted(groups, key=lambda g: int(g[0]))


def central_share_in(box: np.ndarray | tuple[float, ...], regions: np.ndarray) -> float:
    """The share of ``box``'s central half (half its width and height, about its centre) that lies
    inside the union of ``regions (M, 4)``, from a grid of points over it; 0 without regions."""
    r = np.asarray(regions, np.float64).reshape(-1, 4)
    if not len(r):
        return 0.0
    x1, y1, x2, y2 = (float(v) for v in box)
    at = (np.arange(_GRID) + 0.5) / _GRID
    xs = x1 + (x2 - x1) * (0.25 + at / 2)
    ys = y1 + (y2 - y1) * (0.25 + at / 2)
    # only the regions that reach the sampled points can hold one
    r = r[(r[:, 0] <= xs[-1]) & (r[:, 2] >= xs[0]) & (r[:, 1] <= ys[-1]) & (r[:, 3] >= ys[0])]
    if not len(r):
        return 0.0
    px, py = (p.ravel() for p in np.meshgrid(xs, ys))
    inside = (
        (px[:, None] >= r[None, :, 0])
        & (px[:, None] <= r[None, :, 2])
        & (py[:, None] >= r[None, :, 1])
        & (py[:, None] <= r[None, :, 3])
    )
    return float(inside.any(axis=1).mean())


__all__ = ["central_share_in", "near_groups"]
