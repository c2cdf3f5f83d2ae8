"""Cover stage: face boxes -> head regions -> pixels. Pure array functions, in place."""

from __future__ import annotations

import numpy as np

from ..settings import Settings
from ..types import Faces
from . import looks
from .regions import covered_fraction, ellipse_mask, head_regions, region_mask

# Head-region growth per preset, used when Settings.box_scale is 0. Measured (docs/BENCHMARKS.md):
# CenterFace's boxes (default, thorough) grown 1.3x leave every re-identification attack at chance
# with 3.3 % collateral on WIDER dev; YuNet's tighter boxes (fast) need 1.6x (18 % adaptive
# re-identification at 1.3x, chance at 1.6x).
PRESET_BOX_SCALE = {"default": 1.3, "fast": 1.6, "thorough": 1.3}
DEFAULT_BOX_SCALE = PRESET_BOX_SCALE["default"]


def box_scale(settings: Settings) -> float:
    return settings.box_scale or PRESET_BOX_SCALE[settings.preset]


def regions_for(faces: Faces, width: int, height: int, settings: Settings) -> np.ndarray:
    return head_regions(faces, width, height, box_scale(settings))


def apply_cover(frame: np.ndarray, faces: Faces, settings: Settings) -> np.ndarray:
    """Cover every face of ``frame`` (``(H, W, 3|4)`` uint8) in place; returns the regions used."""
    if frame.ndim != 3 or frame.shape[2] not in (3, 4) or frame.dtype != np.uint8:
        raise ValueError(f"frame must be (H, W, 3 or 4) uint8, got {frame.shape} {frame.dtype}")
    h, w = frame.shape[:2]
    regions = regions_for(faces, w, h, settings)
    ellipse = settings.shape == "ellipse"
    if settings.mode == "solid":
        looks.solid(frame, regions, settings.fill, ellipse)
    elif settings.mode == "mosaic":
        looks.mosaic(frame, regions, settings.mosaic_blocks, ellipse)
    elif settings.mode == "blur":
        looks.blur(frame, regions, settings.mosaic_blocks, ellipse)
    else:  # Settings validates mode; this guards against a future mode without a cover.
        raise ValueError(f"no cover for mode {settings.mode!r}")
    return regions


__all__ = [
    "apply_cover",
    "regions_for",
    "box_scale",
    "head_regions",
    "region_mask",
    "ellipse_mask",
    "covered_fraction",
    "DEFAULT_BOX_SCALE",
    "PRESET_BOX_SCALE",
]
