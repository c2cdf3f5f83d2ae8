"""Generated media for the review page tests and screenshots (never real people)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def photo(path: Path, w: int = 320, h: int = 240, seed: int = 3) -> Path:
    """A smooth, patterned photo with no face: a region drawn on it is the only thing covered."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack([(xx * 255 // w), (yy * 255 // h), ((xx + yy) * 127 // (w + h)) + 64], axis=-1)
    noise = rng.integers(0, 40, size=(h, w, 3))
    Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8)).save(path)
    return path
