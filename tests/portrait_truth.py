"""A real photo's face box as the portrait sweep takes it (benchmarks/portrait_sweep.py): the
thorough detector's largest box (without quarter turns or the mirrored edges, which only add to
turned or cut faces) where the face is about 200 px tall, scaled back."""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from unseen.detect.registry import build
from unseen.settings import Settings

from .conftest import shared_data

_DET: list = []


def _detector():
    if not _DET:
        det = build(Settings(preset="thorough"))
        det.turns = det.edges = False
        _DET.append(det)
    return _DET[0]


def identity(name: str) -> tuple[np.ndarray, np.ndarray]:
    """identities_dev ``name`` as RGB and its face box (skips without ../shared/data)."""
    with Image.open(shared_data("identities_dev", "images", name)) as im:
        rgb = np.asarray(im.convert("RGB"))
    det = _detector()
    s0 = min(1.0, 640 / max(rgb.shape[:2]))
    first = det.detect(cv2.resize(rgb, None, fx=s0, fy=s0, interpolation=cv2.INTER_AREA) if s0 < 1 else rgb)
    sc = min(1.0, 200.0 / (float(first.heights.max()) / s0))
    small = rgb if sc == 1.0 else cv2.resize(rgb, None, fx=sc, fy=sc, interpolation=cv2.INTER_AREA)
    found = det.detect(small)
    return rgb, found.boxes[int(np.argmax(found.heights))].astype(np.float64) / sc
