"""Portraits at every size: one real face placed, scaled, rotated or cut so its true extent is known.

A *source* is a real photo with the box of its face (forehead to chin, cheek to cheek, as CenterFace
draws it), found where the face is a comfortable size for the networks (about 100-250 px). From it
:func:`make_portrait` renders a ``side`` x ``side`` photo in which that face is ``share`` of the
side tall, optionally turned by ``angle`` degrees about its centre and shifted so that ``cut`` of
its width lies beyond the left edge. The face box and the head box go through the same transform,
so their masks in the rendered photo are exact.

The head (hair, ears, jaw), as measured here: the face box widened by :data:`HEAD_SIDE` of its
width on each side, raised by :data:`HEAD_TOP` of its height and lowered by :data:`HEAD_BOTTOM`.
Checked by eye on the sources used in ``benchmarks/portrait_sweep.py``: ears and the jaw line lie
inside; big or long hair reaches beyond it (the head box is a floor, not all the hair).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

HEAD_SIDE = 0.15
HEAD_TOP = 0.25
HEAD_BOTTOM = 0.10


@dataclass(frozen=True)
class Portrait:
    image: np.ndarray  # (side, side, 3) uint8 RGB
    face: np.ndarray  # (side, side) bool: the true face box, as transformed, inside the photo
    head: np.ndarray  # (side, side) bool: the head box, likewise
    face_height: float  # the face box's height in the rendered photo, pixels


def head_box(face: np.ndarray) -> np.ndarray:
    """The head box (x1, y1, x2, y2) of a face box."""
    x1, y1, x2, y2 = (float(v) for v in face)
    w, h = x2 - x1, y2 - y1
    return np.array([x1 - HEAD_SIDE * w, y1 - HEAD_TOP * h, x2 + HEAD_SIDE * w, y2 + HEAD_BOTTOM * h])


def _corners(box: np.ndarray) -> np.ndarray:
    x1, y1, x2, y2 = box
    return np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]], np.float64)


def _poly_mask(points: np.ndarray, side: int) -> np.ndarray:
    # 8x sub-pixel precision, so small faces get their true area
    m = np.zeros((side, side), np.uint8)
    cv2.fillPoly(m, [np.round(points * 8).astype(np.int32)], 1, lineType=cv2.LINE_8, shift=3)
    return m.astype(bool)


def make_portrait(
    source: np.ndarray, face: np.ndarray, side: int, share: float, *, angle: float = 0.0, cut: float = 0.0
) -> Portrait:
    """``source`` (RGB) rendered so that its ``face`` box is ``share * side`` px tall in a square
    photo of ``side`` px, centred, turned ``angle`` degrees (counter-clockwise) about its centre,
    then moved left so ``cut`` of its width (0..1) lies outside the photo. Beyond the source's
    edges its border pixels are repeated (no mirrored second face)."""
    if not (0 < share and side > 0 and 0 <= cut < 1):
        raise ValueError(f"bad portrait: side {side}, share {share}, cut {cut}")
    face = np.asarray(face, np.float64)
    fw, fh = face[2] - face[0], face[3] - face[1]
    sc = share * side / fh
    cx, cy = (face[0] + face[2]) / 2, (face[1] + face[3]) / 2
    # the face's centre: the photo's centre, or (cut) half its width less the cut from the left edge
    tx = (0.5 - cut) * fw * sc if cut else side / 2
    rot = cv2.getRotationMatrix2D((0.0, 0.0), angle, sc)  # about the origin, scaled
    m = rot.copy()
    m[:, 2] = np.array([tx, side / 2]) - rot[:, :2] @ np.array([cx, cy])
    interp = cv2.INTER_AREA if sc < 1 else cv2.INTER_LINEAR
    image = cv2.warpAffine(source, m, (side, side), flags=interp, borderMode=cv2.BORDER_REPLICATE)

    def warp(box: np.ndarray) -> np.ndarray:
        pts = _corners(box)
        return pts @ m[:, :2].T + m[:, 2]

    return Portrait(image, _poly_mask(warp(face), side), _poly_mask(warp(head_box(face)), side), fh * sc)


def covered_share(mask: np.ndarray, covered: np.ndarray) -> float:
    """Share of ``mask``'s pixels that are ``covered`` (1.0 for an empty mask: nothing to cover)."""
    n = int(mask.sum())
    return 1.0 if n == 0 else float((mask & covered).sum()) / n


__all__ = ["HEAD_BOTTOM", "HEAD_SIDE", "HEAD_TOP", "Portrait", "covered_share", "head_box", "make_portrait"]
