"""Face box -> head region: grown, shifted up for hair, clipped so that no edge row is left out.

A face with a known roll (:class:`unseen.types.Faces`) is also taken in its own frame: the box's
sides are the face's width and height (swapped when the roll is nearer a quarter turn than
upright), and the region is the bounding box of the upright growth, of the face box turned by the
roll, and of the head turned by the roll, where the head is the growth of the face-frame box
(grown by the scale, raised by ``UP_SHIFT`` along the face's up axis), of which the ellipse
inscribed in it is turned (a head is round). Turning the whole rectangle instead held every rolled
head of the portrait sweep whole (the ellipse leaves 90.7-99.8 % of the head box, hair at its
corners, covered), but it made the cover's shape follow the roll so closely that a classifier
trained on covered photos of the same 13 people (docs/PRIVACY.md, attacker c) picked out 16 % of
them at 1.35x (25 % at 1.3x) against 8 % with the ellipse, chance being 7.7 % (docs/BENCHMARKS.md,
"Whole heads"). A roll only ever adds to a region (a wrong roll costs area, never coverage).
"""

from __future__ import annotations

import numpy as np

from ..geometry import grow, without_contained
from ..types import Faces, Origin

# Extra growth above the box, as a share of its height: hair and forehead sit above face boxes.
UP_SHIFT = 0.10
# Rolls are used for boxes at least this many px on their shorter side. Below, CenterFace's five
# landmarks lie within a few pixels of each other and their roll is noise (a 1-pixel error is 5-10
# degrees), while the upright growth's slack already holds such a head.
MIN_ROLL_SIDE = 24.0
# A face whose box spans at least this share of the frame's shorter side (a portrait, a headshot,
# an ID photo, a video close-up) has its region widened a further BIG_FACE_WIDEN across the frame,
# and with a known roll its turned head across the face as well (a sideways face's width lies along
# the frame's y axis): on such faces the
# box found is 3-10 % narrower than the face's true extent, and the grown region left ear and hair
# strips at its sides (portrait sweep: 91.8 % of the head covered at worst, 100 % widened). Crowds
# hold few such boxes: WIDER FACE dev collateral went 5.35 -> 6.44 %, recall unchanged (BENCHMARKS.md,
# "Big faces"). Held video boxes are not widened (see head_regions).
BIG_FACE_SHARE = 0.25
BIG_FACE_WIDEN = 1.2
# A big face whose box touches the frame's border (within BORDER_TOUCH of the shorter side) is cut
# by it: the box holds only the part inside, so its centre sits nearer the border than the face's
# and its growth falls short on the inner side, and the part inside is shorter along the border
# than the whole face (a face 900 px tall, half of it cut off by the left edge, gave boxes 593-889
# px tall; the widened region left 85-99 % of the head covered). Its region is grown BORDER_GROW
# away from the border (measured from the border) and BORDER_GROW_ACROSS along it, about its
# centre; a face touching two opposite borders (filling the frame) is grown only along them.
# Only a box shaped like a cut face is grown: narrower than BORDER_SIDE_CUT of its height against
# the left or right border, shorter than BORDER_END_CUT of its width against the top or bottom
# (whole faces' boxes are 0.71-0.78 as wide as tall; a quarter cut off makes them 0.53-0.59 or
# about 1.0). The border sweep covered the same with the gate as without it at every cut (10-75 %)
# for default and fast, and WIDER FACE dev collateral went 7.22 -> 6.83 % (BENCHMARKS.md, "Big faces").
BORDER_TOUCH = 0.005
BORDER_SIDE_CUT = 0.65
BORDER_END_CUT = 1.15
BORDER_GROW = 1.25
BORDER_GROW_ACROSS = 1.4
# A box cut at a side is narrower the deeper the cut (a whole face's is 0.71-0.78 as wide as tall,
# half cut off 0.33-0.45, three quarters 0.21-0.37), and a deep cut's box can be short as well: the
# network sees an eye and a mouth corner and answers a smaller face (img49 of identities_dev three
# quarters past the left edge of a 512 px photo: a box 145 px tall for a face 256 px tall, the chin
# left out at 1.4x). Along the border such a box grows BORDER_DEEP_ALONG / (its width / height),
# never less than BORDER_GROW_ACROSS nor more than BORDER_DEEP_MAX (BENCHMARKS.md, "Whole heads").
BORDER_DEEP_ALONG = 0.62
BORDER_DEEP_MAX = 2.0


def head_regions(faces: Faces, width: int, height: int, scale: float) -> np.ndarray:
    """Integer regions ``(N, 4)`` as ``x1, y1, x2, y2`` (x2/y2 exclusive) inside a W x H frame.

    Each box is grown by ``scale`` around its centre, its top edge raised a further ``UP_SHIFT`` of
    its height, and rounded outwards, so a box edge that falls inside a pixel covers that pixel; a
    face with a known roll also covers its box grown in its own frame (see :func:`turned`).
    A region always contains its whole box (clipped to the frame). Every region is
    at least 1 x 1 pixel when its box touches the frame; regions fully outside are dropped.
    """
    if len(faces) == 0:
        return np.zeros((0, 4), np.int64)
    # Held boxes (``Origin.DILATED``: a track's cover before and after its sightings, its strips toward
    # the edges) are already grown for the uncertainty and are not face boxes: a strip toward an edge
    # is long, and widening it by its length painted whole frames of video.
    big = (np.maximum(faces.widths, faces.heights) >= BIG_FACE_SHARE * min(width, height)) & (
        faces.origin != Origin.DILATED
    )
    g = turned(faces, scale, np.where(big, BIG_FACE_WIDEN, 1.0))
    if big.any():
        g = border_grown(np.asarray(g, np.float64), faces.boxes, big, width, height)
    x1, y1 = np.floor(g[:, 0]), np.floor(g[:, 1])
    x2, y2 = np.ceil(g[:, 2]), np.ceil(g[:, 3])
    # A degenerate box still covers the pixel it sits in.
    x2 = np.maximum(x2, x1 + 1)
    y2 = np.maximum(y2, y1 + 1)
    out = np.stack(
        [np.clip(x1, 0, width), np.clip(y1, 0, height), np.clip(x2, 0, width), np.clip(y2, 0, height)], axis=1
    )
    out = out.astype(np.int64)
    keep = (out[:, 2] > out[:, 0]) & (out[:, 3] > out[:, 1])
    return out[keep]


def border_grown(g: np.ndarray, boxes: np.ndarray, big: np.ndarray, width: int, height: int) -> np.ndarray:
    """Regions ``g`` (float) of the ``big`` boxes cut by the frame's border (touching it, shaped like
    a cut face), grown toward the frame's inside and along the border (see ``BORDER_GROW``);
    others unchanged. Only ever grows."""
    tol = BORDER_TOUCH * min(width, height)
    b = boxes.astype(np.float64)
    bw, bh = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    side_cut, end_cut = big & (bw < BORDER_SIDE_CUT * bh), big & (bh < BORDER_END_CUT * bw)
    left, right = side_cut & (b[:, 0] <= tol), side_cut & (b[:, 2] >= width - tol)
    top, bottom = end_cut & (b[:, 1] <= tol), end_cut & (b[:, 3] >= height - tol)
    out = g.copy()
    # away from the border: the inner edge moves BORDER_GROW times as far from it
    only_left, only_right = left & ~right, right & ~left
    only_top, only_bottom = top & ~bottom, bottom & ~top
    out[only_left, 2] = g[only_left, 2] * BORDER_GROW
    out[only_right, 0] = width - (width - g[only_right, 0]) * BORDER_GROW
    out[only_top, 3] = g[only_top, 3] * BORDER_GROW
    out[only_bottom, 1] = height - (height - g[only_bottom, 1]) * BORDER_GROW
    # along the border: about the region's centre; a side cut the more the narrower its box
    aspect = bw / np.maximum(bh, 1e-6)
    side_along = np.clip(BORDER_DEEP_ALONG / np.maximum(aspect, 1e-6), BORDER_GROW_ACROSS, BORDER_DEEP_MAX)
    along = np.where(left | right, side_along, BORDER_GROW_ACROSS)
    for cut, lo, hi in ((left | right, 1, 3), (top | bottom, 0, 2)):
        if cut.any():
            c, half = (g[cut, lo] + g[cut, hi]) / 2, (g[cut, hi] - g[cut, lo]) / 2 * along[cut]
            out[cut, lo] = np.minimum(out[cut, lo], c - half)
            out[cut, hi] = np.maximum(out[cut, hi], c + half)
    out[:, :2] = np.minimum(out[:, :2], g[:, :2])
    out[:, 2:] = np.maximum(out[:, 2:], g[:, 2:])
    return out


def turned(faces: Faces, scale: float, widen: np.ndarray | None = None) -> np.ndarray:
    """Float regions ``(N, 4)``: each box grown ``scale`` times and raised ``UP_SHIFT`` (upright),
    enlarged, for a face with a known roll, to hold the face turned by its roll (see the module).
    ``widen`` (per face, 1 by default) widens the turned head across the face (big faces: the
    frame's x axis is not the face's across a sideways face). Always contains the upright growth."""
    g = np.array(grow(faces.boxes, scale, up=UP_SHIFT), np.float64)
    if widen is not None:  # upright: across the frame
        wide = np.asarray(widen, np.float64)
        cx, half = (g[:, 0] + g[:, 2]) / 2, (g[:, 2] - g[:, 0]) / 2 * wide
        g[:, 0], g[:, 2] = cx - half, cx + half
    known = ~np.isnan(faces.roll) & (np.minimum(faces.widths, faces.heights) >= MIN_ROLL_SIDE)
    if not known.any():
        return g
    b = faces.boxes[known].astype(np.float64)
    r = np.radians(faces.roll[known].astype(np.float64))
    c, s = np.abs(np.cos(r)), np.abs(np.sin(r))
    w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    sideways = s > c  # nearer a quarter turn: the box's width lies along the face's up axis
    fw, fh = np.where(sideways, h, w), np.where(sideways, w, h)
    cx, cy = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
    # the face box, turned: half extents of its bounding box. On a turned face CenterFace's box is
    # squarer than the face (the astronaut turned 30 degrees: 96 x 102 px for a 89 x 120 px face),
    # most at 45 degrees, not at all upright or sideways: the box is grown up to halfway to the
    # head's scale first, by |sin 2 roll|.
    k = 1 + (scale - 1) / 2 * np.abs(np.sin(2 * r))
    bx, by = k * (fw * c + fh * s) / 2, k * (fw * s + fh * c) / 2
    # the head, in the face's frame: the upright growth of the face-frame box (widened across the
    # face for big faces), its centre UP_SHIFT / 2 of the height above the face's centre, turned
    # about the face's centre (its centre moves along the face's up axis); of that rectangle its
    # inscribed ellipse is turned (see the module: the whole rectangle made the cover's shape a
    # measure of the roll that re-identified people).
    across = 1.0 if widen is None else np.asarray(widen, np.float64)[known]
    ea, eb = fw * scale / 2 * across, fh * scale / 2 + UP_SHIFT * fh / 2
    up = UP_SHIFT * fh / 2  # the head's centre above the face's centre
    ux, uy = up * np.sin(r), -up * np.cos(r)
    ex, ey = np.hypot(ea * c, eb * s), np.hypot(ea * s, eb * c)
    x1 = np.minimum(cx - bx, cx + ux - ex)
    x2 = np.maximum(cx + bx, cx + ux + ex)
    y1 = np.minimum(cy - by, cy + uy - ey)
    y2 = np.maximum(cy + by, cy + uy + ey)
    out = g.copy()
    out[known, 0] = np.minimum(g[known, 0], x1)
    out[known, 1] = np.minimum(g[known, 1], y1)
    out[known, 2] = np.maximum(g[known, 2], x2)
    out[known, 3] = np.maximum(g[known, 3], y2)
    return out


def ellipse_mask(h: int, w: int) -> np.ndarray:
    """Boolean ``(h, w)`` mask of the ellipse inscribed in an h x w box; never empty."""
    yy = (np.arange(h, dtype=np.float64) + 0.5 - h / 2) / (h / 2)
    xx = (np.arange(w, dtype=np.float64) + 0.5 - w / 2) / (w / 2)
    m = (yy[:, None] ** 2 + xx[None, :] ** 2) <= 1.0
    if not m.any():
        m[h // 2, w // 2] = True
    return m


def region_mask(regions: np.ndarray, width: int, height: int, shape: str) -> np.ndarray:
    """Union of regions as an ``(H, W)`` boolean mask (for evaluation and reports)."""
    mask = np.zeros((height, width), bool)
    for x1, y1, x2, y2 in regions:
        if shape == "ellipse":
            mask[y1:y2, x1:x2] |= ellipse_mask(int(y2 - y1), int(x2 - x1))
        else:
            mask[y1:y2, x1:x2] = True
    return mask


__all__ = [
    "BIG_FACE_SHARE",
    "BIG_FACE_WIDEN",
    "BORDER_GROW",
    "BORDER_DEEP_ALONG",
    "BORDER_DEEP_MAX",
    "BORDER_END_CUT",
    "BORDER_GROW_ACROSS",
    "BORDER_SIDE_CUT",
    "BORDER_TOUCH",
    "UP_SHIFT",
    "border_grown",
    "ellipse_mask",
    "head_regions",
    "region_mask",
    "turned",
    "without_contained",
]
