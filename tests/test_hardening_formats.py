"""A small fuzz corpus for the photo formats beyond JPEG and PNG (WebP, TIFF, BMP, HEIC), through
the API and through the CLI with file descriptor 2 watched: a C library printing beside unseen's
one-line error (libtiff did) counts as a failure. The long run is `python benchmarks/fuzz.py`."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from unseen.detect import FixedDetector
from unseen.media.image_io import heif_available
from unseen.settings import Settings
from unseen.types import Faces
from unseen_eval.fuzz import run_case

from .conftest import EXAMPLE_PHOTO

FORMATS = {".webp": {"quality": 90}, ".tif": {"compression": "tiff_lzw"}, ".bmp": {}, ".heic": {}}
DET = FixedDetector(Faces(np.array([[20, 20, 60, 70]], np.float32)))


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    d = tmp_path_factory.mktemp("fmt")
    im = Image.open(EXAMPLE_PHOTO).convert("RGB").resize((96, 96))
    out = {}
    for suffix, opts in FORMATS.items():
        if suffix == ".heic" and not heif_available():
            continue
        im.save(d / f"a{suffix}", **opts)
        out[suffix] = d / f"a{suffix}"
    return out


@pytest.mark.parametrize("via", ["api", "cli"])
@pytest.mark.parametrize("suffix", list(FORMATS))
@pytest.mark.parametrize("seed", range(0, 14))  # two rounds of the 7 mutators
def test_mutated_photo_in_other_formats(tmp_path, originals, suffix, seed, via):
    if suffix not in originals:
        pytest.skip("pillow-heif is not installed")
    case = run_case(seed, originals[suffix], tmp_path, Settings(threads=1), DET, via=via)
    assert case.outcome == "ok" or case.outcome.startswith(("error:", "exit:")), f"{case}"
