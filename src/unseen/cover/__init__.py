"""Cover stage: face boxes -> head regions -> pixels. Pure array functions, in place."""

from __future__ import annotations

import numpy as np

from ..detect.presets import preset_for
from ..settings import Settings
from ..types import Faces
from . import looks
from .regions import ellipse_mask, head_regions, region_mask


def box_scale(settings: Settings) -> float:
    """Head-region growth: ``settings.box_scale``, or when 0 the preset's (``Preset.box_scale``,
    measured on re-identification: docs/BENCHMARKS.md)."""
    return settings.box_scale or preset_for(settings.preset, settings.backend).box_scale


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
    "box_scale",
    "ellipse_mask",
    "head_regions",
    "region_mask",
    "regions_for",
]
