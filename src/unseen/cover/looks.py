"""Pixel covers as pure array functions: solid (default), destructive mosaic, destructive blur.

Each takes the frame ``(H, W, C)`` uint8 (C = 3, or 4 with alpha) and integer regions, and
changes the frame in place. All are safe down to 1-pixel regions. With alpha, covered pixels are
made fully opaque (alpha 255) so the cover cannot be removed by dropping the alpha channel and no
picture drawn in the alpha survives under it; mosaic and blur are made from the colour channels
(a face that lives only in the alpha becomes a flat patch: destroyed, not pixelated).
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


UNION_FROM = 8  # rectangles at or above which solid() paints their union once (same pixels, faster)


def union_mask(regions: np.ndarray, height: int, width: int) -> np.ndarray:
    """The ``(H, W)`` bool union of integer rectangles ``x1, y1, x2, y2`` (exclusive ends; clipped to
    the frame, empty ones ignored): exactly the pixels slicing ``[y1:y2, x1:x2]`` each would touch
    inside the frame, in time linear in the rectangles plus the frame (a 2-D difference array)."""
    r = np.asarray(regions, np.int64).reshape(-1, 4)
    r = np.column_stack(
        [
            np.clip(r[:, 0], 0, width),
            np.clip(r[:, 1], 0, height),
            np.clip(r[:, 2], 0, width),
            np.clip(r[:, 3], 0, height),
        ]
    )
    r = r[(r[:, 2] > r[:, 0]) & (r[:, 3] > r[:, 1])]
    d = np.zeros((height + 1, width + 1), np.int32)
    np.add.at(d, (r[:, 1], r[:, 0]), 1)
    np.add.at(d, (r[:, 1], r[:, 2]), -1)
    np.add.at(d, (r[:, 3], r[:, 0]), -1)
    np.add.at(d, (r[:, 3], r[:, 2]), 1)
    return d.cumsum(0).cumsum(1)[:height, :width] > 0


def solid(frame: np.ndarray, regions: np.ndarray, fill: tuple[int, int, int], ellipse: bool = False) -> None:
    colour = np.asarray(fill, np.uint8)
    if not ellipse and len(regions) >= UNION_FROM:
        # Many rectangles (a video frame's held copies of tracked people): paint their union once.
        mask = union_mask(regions, frame.shape[0], frame.shape[1])
        frame[mask, :3] = colour
        if frame.shape[2] == 4:
            frame[mask, 3] = 255
        return
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


def solid_i420(planes: np.ndarray, regions: np.ndarray, yuv: tuple[int, int, int], ellipse: bool = False) -> None:
    """Solid cover painted straight on a 4:2:0 frame, in place, with no RGB round trip.

    ``planes`` is the ``(H * 3 // 2, W)`` uint8 I420 layout (Y rows, then the U and V planes of
    ``H/2`` x ``W/2`` each, packed one after the other; W and H even), ``yuv`` the fill in that
    frame's matrix and range. Luma is painted exactly where :func:`solid` paints RGB; a chroma
    sample is painted when any of the 2x2 luma pixels it serves is painted, so no colour of the
    face survives at the region's edges.
    """
    h2, w = planes.shape
    h = h2 * 2 // 3
    if h2 != h * 3 // 2 or h % 2 or w % 2 or planes.dtype != np.uint8 or not planes.flags.c_contiguous:
        raise ValueError(f"not an I420 buffer of even size: {planes.shape}")
    flat = planes.reshape(-1)  # a view: the planes follow each other, rows of U and V are W/2 long
    c = (h // 2) * (w // 2)
    y = planes[:h]
    u = flat[h * w : h * w + c].reshape(h // 2, w // 2)
    v = flat[h * w + c :].reshape(h // 2, w // 2)
    for x1, y1, x2, y2 in regions:
        x1, y1, x2, y2 = int(x1), int(y1), int(x2), int(y2)
        cx1, cy1, cx2, cy2 = x1 // 2, y1 // 2, (x2 + 1) // 2, (y2 + 1) // 2
        if not ellipse:
            y[y1:y2, x1:x2] = yuv[0]
            u[cy1:cy2, cx1:cx2] = yuv[1]
            v[cy1:cy2, cx1:cx2] = yuv[2]
            continue
        m = ellipse_mask(y2 - y1, x2 - x1)
        y[y1:y2, x1:x2][m] = yuv[0]
        # The mask in the chroma grid: any painted luma pixel of the 2x2 block paints the sample.
        big = np.zeros(((cy2 - cy1) * 2, (cx2 - cx1) * 2), bool)
        big[y1 - 2 * cy1 : y1 - 2 * cy1 + (y2 - y1), x1 - 2 * cx1 : x1 - 2 * cx1 + (x2 - x1)] = m
        cm = big.reshape(cy2 - cy1, 2, cx2 - cx1, 2).any(axis=(1, 3))
        u[cy1:cy2, cx1:cx2][cm] = yuv[1]
        v[cy1:cy2, cx1:cx2][cm] = yuv[2]
