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

A view of one flat value (nothing to see) or equal to an earlier view is left out. An RGB image,
and an RGBA image that is opaque everywhere, has one view (its colour channels) and costs what it
always did. Boxes found in every view are unioned: boxes of one face seen in several views are
replaced by their enclosing box, so no covered pixel is lost (merging only ever adds area).
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np

from ..types import Faces
from .base import FaceDetector
from .multiscale import merge

OPAQUE = 255


class View(NamedTuple):
    name: str
    pixels: np.ndarray  # (H, W, 3) uint8 RGB, C-contiguous


def composite(rgba: np.ndarray, background: int) -> np.ndarray:
    """RGBA over a plain grey ``background`` (0 black .. 255 white), rounded like the JPEG writer."""
    alpha = rgba[..., 3:4].astype(np.uint16)
    rgb = rgba[..., :3].astype(np.uint16)
    return ((rgb * alpha + background * (OPAQUE - alpha) + 127) // OPAQUE).astype(np.uint8)


def views(pixels: np.ndarray) -> list[View]:
    """The RGB pictures ``pixels`` (``(H, W, 3)`` RGB or ``(H, W, 4)`` RGBA uint8) shows."""
    if pixels.ndim != 3 or pixels.shape[2] not in (3, 4) or pixels.dtype != np.uint8:
        raise ValueError(f"pixels must be (H, W, 3 or 4) uint8, got {pixels.shape} {pixels.dtype}")
    colour = np.ascontiguousarray(pixels[..., :3])
    if pixels.shape[2] == 3:
        return [View("colour", colour)]
    alpha = pixels[..., 3]
    if int(alpha.min()) == OPAQUE:
        return [View("colour", colour)]
    candidates = [
        View("colour", colour),
        View("over white", composite(pixels, 255)),
        View("over black", composite(pixels, 0)),
        View("alpha", np.ascontiguousarray(np.repeat(alpha[..., None], 3, axis=2))),
    ]
    out: list[View] = []
    for v in candidates:
        if np.all(v.pixels == v.pixels[0, 0]):
            continue  # one flat colour: no picture in it
        if any(np.array_equal(v.pixels, kept.pixels) for kept in out):
            continue
        out.append(v)
    return out or [View("colour", colour)]


def detect_views(detector: FaceDetector, shown: Sequence[View]) -> Faces:
    """Faces found in any of the views (one view: the detector's answer as it is)."""
    if len(shown) == 1:
        return detector.detect(shown[0].pixels)
    found = Faces.merge(detector.detect(v.pixels) for v in shown)
    # Groups of overlapping boxes become their enclosing box; only boxes lying wholly inside
    # another (tolerance 0) are dropped, and the head region of such a box lies inside the other's.
    return merge(found, contain_tol=0.0)


def detect_shown(detector: FaceDetector, pixels: np.ndarray) -> Faces:
    """Faces in every picture ``pixels`` shows (see the module docstring)."""
    return detect_views(detector, views(pixels))


__all__ = ["View", "composite", "views", "detect_views", "detect_shown"]
