"""Pixel covers as pure array functions: solid (default), destructive mosaic, destructive blur.

Each takes the frame ``(H, W, C)`` uint8 (C = 3, or 4 with alpha) and integer regions, and
changes the frame in place. All are safe down to 1-pixel regions. With alpha, covered pixels are
made fully opaque so the cover cannot be removed by dropping the alpha channel.
"""

from __future__ import annotations

import cv2
import numpy as np

from .regions import ellipse_mask

_rng = np.random.default_rng()


def _paint(frame: np.ndarray, x1: int, y1: int, x2: int, y2: int, patch: np.ndarray, ellipse: bool) -> None:
    sub = frame[y1:y2, x1:x2]
    c = patch.shape[2]
    if ellipse:
        m = ellipse_mask(y2 - y1, x2 - x1)
        sub[..., :c][m] = patch[m]
        if frame.shape[2] == 4:
            sub[..., 3][m] = 255
    else:
        sub[..., :c] = patch
        if frame.shape[2] == 4:
            sub[..., 3] = 255


def solid(frame: np.ndarray, regions: np.ndarray, fill: tuple[int, int, int], ellipse: bool = False) -> None:
    colour = np.asarray(fill, np.uint8)
    for x1, y1, x2, y2 in regions:
        h, w = int(y2 - y1), int(x2 - x1)
        if ellipse:
            _paint(frame, x1, y1, x2, y2, np.broadcast_to(colour, (h, w, 3)), True)
        else:
            frame[y1:y2, x1:x2, :3] = colour
            if frame.shape[2] == 4:
                frame[y1:y2, x1:x2, 3] = 255


def mosaic(frame: np.ndarray, regions: np.ndarray, blocks: int, ellipse: bool = False) -> None:
    """At most ``blocks`` cells across the longer side, each a cell mean plus noise."""
    for x1, y1, x2, y2 in regions:
        h, w = int(y2 - y1), int(x2 - x1)
        sub = np.ascontiguousarray(frame[y1:y2, x1:x2, :3])
        n = max(1, blocks)
        bw, bh = max(1, min(w, n * w // max(h, w) or 1)), max(1, min(h, n * h // max(h, w) or 1))
        small = cv2.resize(sub, (bw, bh), interpolation=cv2.INTER_AREA).astype(np.int16)
        small += _rng.integers(-24, 25, small.shape, dtype=np.int16)
        small = np.clip(small, 0, 255).astype(np.uint8)
        patch = cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)
        _paint(frame, x1, y1, x2, y2, patch.reshape(h, w, 3), ellipse)


def blur(frame: np.ndarray, regions: np.ndarray, blocks: int, ellipse: bool = False) -> None:
    """Destroys detail first (down to ``blocks`` samples across, plus noise), then smooths."""
    for x1, y1, x2, y2 in regions:
        h, w = int(y2 - y1), int(x2 - x1)
        sub = np.ascontiguousarray(frame[y1:y2, x1:x2, :3])
        n = max(1, blocks)
        bw, bh = max(1, n * w // max(h, w)), max(1, n * h // max(h, w))
        small = cv2.resize(sub, (bw, bh), interpolation=cv2.INTER_AREA).astype(np.int16)
        small += _rng.integers(-24, 25, small.shape, dtype=np.int16)
        small = np.clip(small, 0, 255).astype(np.uint8)
        patch = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
        k = max(3, (min(h, w) // 4) | 1)
        if h >= 3 and w >= 3:
            patch = cv2.GaussianBlur(patch, (k, k), 0)
        _paint(frame, x1, y1, x2, y2, patch.reshape(h, w, 3), ellipse)
