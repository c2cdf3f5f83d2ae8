"""The hand-boxed real text of WIDER dev photos (benchmarks/data/real_text_wider.json): a valid
file of coordinates only, boxes inside their photos, and the text detector's recall on it held."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from .conftest import shared_data

TRUTH = Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "real_text_wider.json"
KINDS = {"sign", "banner", "caption", "badge", "watermark"}


def _truth() -> dict[str, list[dict]]:
    return json.loads(TRUTH.read_text())["images"]


def test_the_file_holds_coordinates_only():
    truth = _truth()
    assert 10 <= len(truth) <= 20 and sum(map(len, truth.values())) >= 100
    for name, items in truth.items():
        assert name.endswith(".jpg") and "/" in name
        for it in items:
            assert set(it) <= {"box", "kind", "text_height"} and it["kind"] in KINDS
            x1, y1, x2, y2 = it["box"]
            assert 0 <= x1 < x2 and 0 <= y1 < y2 and all(isinstance(v, int) for v in it["box"])


def test_boxes_lie_inside_their_photos_and_the_text_detector_finds_most():
    images = shared_data("widerface_dev", "WIDER_val", "images")  # skips without ../shared
    from unseen.detect.text import TextDetector

    det = TextDetector("text", threads=1)
    found = total = 0
    for name, items in _truth().items():
        rgb = np.asarray(Image.open(images / name).convert("RGB"))
        h, w = rgb.shape[:2]
        cover = np.zeros((h, w), bool)
        for x1, y1, x2, y2 in det.detect(rgb).boxes.boxes:
            cover[int(y1) : int(np.ceil(y2)), int(x1) : int(np.ceil(x2))] = True
        for it in items:
            x1, y1, x2, y2 = it["box"]
            assert x2 <= w and y2 <= h, (name, it)
            found += cover[y1:y2, x1:x2].mean() >= 0.8
            total += 1
    # measured 83/106 (docs/BENCHMARKS.md, "Text and plates: one pass for both, plates in vehicle boxes")
    assert found >= 80, f"{found}/{total}"
