"""The pictures a photo with an alpha channel shows, so that detection runs on each of them.

A photo with alpha can hold a face its colour channels alone do not show: "remove background",
stencil and sticker tools export black colour channels with the picture in the transparency,
which a viewer sees as a normal photo on a white page. Its colour channels can also hold a face
under alpha 0: invisible on screen, but anyone who drops the alpha channel gets it back. So an
``(H, W, 4)`` image whose alpha is not 255 everywhere is seen as up to four RGB pictures:

* ``colour``: the colour channels as stored (what dropping the alpha gives),
* ``over white``: composited over white (a page, most viewers, unseen's own JPEG/BMP output),
* ``over black``: composited over black (dark backgrounds),
* ``alpha``: the alpha channel alone, as grey (a stencil: the picture is the transparency).

A *dithered* alpha (a few levels, in a pixel-fine pattern: a 1-bit stencil made with
Floyd-Steinberg or ordered dithering) is a picture the networks barely see: the astronaut's face
scored 0.08-0.22 that way, under ``unseen check``'s 0.5. For such an alpha the views that depend on
it are added again with the alpha smoothed first (a Gaussian of ``DITHER_SIGMA`` px, which turns the
dots back into grey levels: 0.92 for that face): ``over white, smoothed``, ``over black, smoothed``,
``alpha, smoothed``. The sharp views stay (boxes are only added). A cut-out (alpha 0 or 255 in solid
areas) or a continuous alpha is not dithered (:func:`dithered`) and gets no extra view.

A view of one flat value (nothing to see) or equal to an earlier view is left out. An RGB image,
and an RGBA image that is opaque everywhere, has one view (its colour channels) and costs what it
always did. Boxes found in every view are unioned: boxes of one face seen in several views are
replaced by their enclosing box, so no covered pixel is lost (merging only ever adds area).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import cv2
import numpy as np

from ..types import Faces, Regions
from .base import FaceDetector, RegionDetector
from .multiscale import merge

OPAQUE = 255
# A dithered alpha: at most this many distinct values, and most of its changes along a row are
# one-pixel runs ("dots": a pixel differing from both its left and right neighbour). Measured on
# the astronaut: Floyd-Steinberg 0.74 of the changes are dots, Bayer 4x4 0.89; the photo simply
# thresholded 0.14, posterized to 4 levels 0.25, a cut-out 0 (its changes are edges). A ratio, so
# a dithered face on a large transparent canvas counts as much as one filling the picture.
DITHER_MAX_LEVELS = 16
DITHER_MIN_DOT_RATIO = 0.5
DITHER_MIN_DOTS = 64  # and at least this many dots, and 1 in 1000 pixels: not a few stray ones
DITHER_SIGMA = 1.5  # px; 1-3 px all gave the dithered astronaut 0.90-0.92 over white (docs/BENCHMARKS.md)


class View(NamedTuple):
    name: str
    pixels: np.ndarray  # (H, W, 3) uint8 RGB, C-contiguous


def composite(rgba: np.ndarray, background: int) -> np.ndarray:
    """RGBA over black (``background`` 0) or white (255), each sample rounded to nearest.

    Equal, sample for sample, to the JPEG/BMP writer's ``flatten_alpha`` onto white.
    """
    rgba = np.ascontiguousarray(rgba)
    colour = cv2.cvtColor(rgba, cv2.COLOR_RGBA2RGB)
    return _over(colour, cv2.cvtColor(np.ascontiguousarray(rgba[..., 3]), cv2.COLOR_GRAY2RGB), background)


def _over(colour: np.ndarray, alpha3: np.ndarray, background: int) -> np.ndarray:
    # Over black c*a/255; over white 255 - (255-c)*a/255, which is c*a/255 + 255*(1 - a/255).
    # OpenCV's saturating multiply rounds to nearest; c*a/255 is never halfway (255 is odd).
    if background == 0:
        return cv2.multiply(colour, alpha3, scale=1 / OPAQUE)
    if background == 255:
        return cv2.bitwise_not(cv2.multiply(cv2.bitwise_not(colour), alpha3, scale=1 / OPAQUE))
    raise ValueError(f"background must be 0 (black) or 255 (white), got {background}")


def _flat(pixels: np.ndarray) -> bool:
    """Whether every pixel is the same colour: each channel's standard deviation is 0.

    OpenCV sums the 8-bit samples and their squares exactly (in doubles, far below 2^53), so a
    flat channel gives exactly 0, and one differing pixel in ``N`` gives at least ``1/sqrt(N)``.
    """
    _mean, sd = cv2.meanStdDev(pixels)
    return bool(np.all(sd < 1e-7))


def dithered(alpha: np.ndarray) -> bool:
    """Whether the ``(H, W)`` uint8 ``alpha`` is a dither: few levels in a pixel-fine pattern."""
    if alpha.shape[1] < 3:
        return False
    levels = int(np.count_nonzero(cv2.calcHist([alpha], [0], None, [256], [0, 256])))
    if levels < 2 or levels > DITHER_MAX_LEVELS:
        return False
    mid = alpha[:, 1:-1]
    dots = int(np.count_nonzero((mid != alpha[:, :-2]) & (mid != alpha[:, 2:])))
    if dots < max(DITHER_MIN_DOTS, alpha.size // 1000):
        return False
    changes = int(np.count_nonzero(alpha[:, 1:] != alpha[:, :-1]))
    return dots >= DITHER_MIN_DOT_RATIO * changes


def views(pixels: np.ndarray) -> list[View]:
    """The RGB pictures ``pixels`` (``(H, W, 3)`` RGB or ``(H, W, 4)`` RGBA uint8) shows, in the
    order colour, over white, over black, alpha (then, for a dithered alpha, those three with the
    alpha smoothed); flat ones and repeats left out, never empty."""
    if pixels.ndim != 3 or pixels.shape[2] not in (3, 4) or pixels.dtype != np.uint8:
        raise ValueError(f"pixels must be (H, W, 3 or 4) uint8, got {pixels.shape} {pixels.dtype}")
    if pixels.shape[2] == 3:
        return [View("colour", np.ascontiguousarray(pixels))]
    pixels = np.ascontiguousarray(pixels)
    colour = cv2.cvtColor(pixels, cv2.COLOR_RGBA2RGB)
    alpha = np.ascontiguousarray(pixels[..., 3])
    if int(alpha.min()) == OPAQUE:
        return [View("colour", colour)]
    alpha3 = cv2.cvtColor(alpha, cv2.COLOR_GRAY2RGB)
    candidates = [
        ("colour", lambda: colour),
        ("over white", lambda: _over(colour, alpha3, 255)),
        ("over black", lambda: _over(colour, alpha3, 0)),
        ("alpha", lambda: alpha3),
    ]
    if dithered(alpha):
        soft3 = cv2.cvtColor(cv2.GaussianBlur(alpha, (0, 0), DITHER_SIGMA), cv2.COLOR_GRAY2RGB)
        candidates += [
            ("over white, smoothed", lambda: _over(colour, soft3, 255)),
            ("over black, smoothed", lambda: _over(colour, soft3, 0)),
            ("alpha, smoothed", lambda: soft3),
        ]
    out: list[View] = []
    for name, make in candidates:
        v = make()
        if _flat(v):
            continue  # one flat colour: no picture in it
        if any(np.array_equal(v, kept.pixels) for kept in out):
            continue
        out.append(View(name, v))
    return out or [View("colour", colour)]


def detect_views(detector: FaceDetector, shown: Sequence[View]) -> Faces:
    """Faces found in any of the views (one view: the detector's answer as it is)."""
    if len(shown) == 1:
        return detector.detect(shown[0].pixels)
    found = Faces.merge(detector.detect(v.pixels) for v in shown)
    # Groups of overlapping boxes become their enclosing box; only boxes lying wholly inside
    # another (tolerance 0) are dropped, and the head region of such a box lies inside the other's.
    return merge(found, contain_tol=0.0)


def regions_in_views(detector: RegionDetector, shown: Sequence[View]) -> Regions:
    """Regions of one kind found in any of the views: boxes of all views kept (only added), masks unioned."""
    if len(shown) == 1:
        return detector.detect(shown[0].pixels)
    found = [detector.detect(v.pixels) for v in shown]
    masks = [r.mask for r in found if r.mask is not None]
    mask = np.logical_or.reduce(masks) if masks else None
    return Regions(detector.kind, Faces.merge(r.boxes for r in found), mask)


def detect_shown(detector: FaceDetector, pixels: np.ndarray) -> Faces:
    """Faces in every picture ``pixels`` shows (see the module docstring)."""
    return detect_views(detector, views(pixels))


__all__ = ["View", "composite", "detect_shown", "detect_views", "dithered", "regions_in_views", "views"]
