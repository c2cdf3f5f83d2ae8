"""Person cover models: pins checked at load, tiling, NanoDet boxes and silhouettes on a real photo."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from unseen.detect.people import (
    SIZE,
    NanoDetNet,
    PersonDetector,
    SelfieSegNet,
    box_mask,
    grown,
    silhouette_mask,
    tile_origins,
)
from unseen.detect.weights import MODELS_DIR, PINS, load_weights
from unseen.errors import ModelError
from unseen.types import Faces

COUPLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "identities_dev" / "unlabelled" / "couple.jpg"


@pytest.mark.parametrize("name", ["nanodet_g_416.onnx", "selfie_seg_256.onnx"])
def test_people_models_pinned_and_checked(name: str, tmp_path: Path) -> None:
    assert hashlib.sha256(load_weights(name)).hexdigest() == PINS[name]
    shutil.copy(MODELS_DIR / name, tmp_path / name)
    data = bytearray((tmp_path / name).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / name).write_bytes(bytes(data))
    with pytest.raises(ModelError, match="altered"):
        load_weights(name, models_dir=tmp_path)


@pytest.mark.parametrize("length", [100, 416, 417, 1000, 1920])
def test_tiles_cover_every_pixel_with_overlap(length: int) -> None:
    starts = tile_origins(length)
    covered = np.zeros(length, bool)
    for s in starts:
        assert 0 <= s and s + min(SIZE, length) <= length
        covered[s : s + SIZE] = True
    assert covered.all()
    for a, b in zip(starts, starts[1:]):
        assert a + SIZE - b >= SIZE * 0.25


def test_box_mask_covers_the_boxes() -> None:
    people = Faces(np.array([[10, 20, 50, 90], [100, 5, 120, 40]], np.float32))
    m = box_mask(people, 200, 100)
    for x1, y1, x2, y2 in people.boxes.astype(int):
        assert m[y1:y2, x1:x2].all()
    assert not m[95:, 150:].any()


def test_nanodet_on_blank_finds_nobody() -> None:
    assert len(PersonDetector().people(np.full((600, 900, 3), 128, np.uint8))) == 0


@pytest.fixture(scope="module")
def couple() -> np.ndarray:
    if not COUPLE.is_file():
        pytest.skip(f"real photo absent: {COUPLE}")
    return np.ascontiguousarray(cv2.imread(str(COUPLE))[:, :, ::-1])


def test_people_found_and_silhouette_covers_them(couple: np.ndarray) -> None:
    h, w = couple.shape[:2]
    people = PersonDetector(NanoDetNet()).people(couple)
    big = people[(people.heights > 0.5 * h) & (people.scores > 0.5)]
    assert len(big) >= 2, people  # the two people of the photo, each over half its height
    sil = silhouette_mask(couple, people, SelfieSegNet())
    inside = np.zeros((h, w), bool)
    for x1, y1, x2, y2 in grown(people.boxes, 0.1, w, h):
        inside[y1:y2, x1:x2] = True
    assert not sil[~inside].any()  # a silhouette never leaves its grown person box
    # the centre strip of each of the two people is masked (bodies, not background)
    for x1, y1, x2, y2 in big.boxes.astype(int):
        cx, cy = (x1 + x2) // 2, (y1 + y2) // 2
        assert sil[cy - 20 : cy + 20, cx - 20 : cx + 20].mean() > 0.9
    assert 0.2 < sil.mean() < box_mask(people, w, h).mean()


@pytest.mark.parametrize("mode", ["box", "silhouette"])
def test_cover_people_photo_covers_people_and_faces(couple: np.ndarray, mode: str, tmp_path: Path) -> None:
    from PIL import Image

    from unseen.detect.base import FixedDetector
    from unseen.detect.kinds import region_detectors_for
    from unseen.pipeline.image import process_image
    from unseen.settings import Settings

    small = np.ascontiguousarray(cv2.resize(couple, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA))
    Image.fromarray(small).save(tmp_path / "p.png")
    settings = Settings(cover="faces,people", people=mode)
    (det,) = region_detectors_for(settings)
    assert det.kind == "people"
    regions = det.detect(small)
    assert len(regions) >= 2 and (regions.mask is not None) == (mode == "silhouette")
    # a "face" in the background, where no person is: the face cover stays whatever people finds
    face = np.array([[8, 8, 40, 40]], np.float32)
    report = process_image(
        tmp_path / "p.png", tmp_path / "o.png", settings, detector=FixedDetector(Faces(face)), region_detectors=[det]
    )
    out = np.asarray(Image.open(tmp_path / "o.png").convert("RGB"))
    assert (out[8:40, 8:40] == 0).all()
    painted = (out == 0).all(axis=2)
    expect = regions.mask if regions.mask is not None else box_mask(regions.boxes, small.shape[1], small.shape[0], 0.0)
    assert painted[expect].mean() > 0.999
    assert report.details.covered["people"] == len(regions) and report.details.covered["faces"] == 1
