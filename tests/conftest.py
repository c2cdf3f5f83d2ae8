"""Shared fixtures. Real data lives in ../shared/data beside the checkout; tests that need it skip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
EXAMPLE_PHOTO = REPO / "examples" / "astronaut.jpg"


def shared_data(*parts: str) -> Path:
    """Path below ../shared/data, or skip the test (with the reason) when it is absent."""
    p = SHARED_DATA.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"real data not available: {p} (../shared/data is absent on this machine)")
    return p


@pytest.fixture
def fixed_detector():
    """Make every pipeline (the command line too) use a detector that 'finds' one face box at a
    known place. Tests that call the API hand theirs down as ``detector=``."""
    from unseen.detect import FixedDetector
    from unseen.detect.cache import pinned
    from unseen.types import Faces

    with pinned(FixedDetector(Faces(np.array([[20, 20, 60, 70]], np.float32)))) as det:
        yield det


def noise_image(h: int = 120, w: int = 160, channels: int = 3, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(30, 226, (h, w, channels), dtype=np.uint8)
