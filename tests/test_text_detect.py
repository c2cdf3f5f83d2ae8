"""The text detector (PP-OCRv6 small det + unseen's DB post-processing) on rendered text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from unseen.detect.text import TextDetector, _spans
from unseen.pipeline.image import process_image
from unseen.settings import Settings

from .video_factory import MagentaDetector, covered

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


def _font(px: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    if DEJAVU.exists():
        return ImageFont.truetype(str(DEJAVU), px)
    return ImageFont.load_default(size=px)


def _scene(w: int, h: int, items: list[tuple[str, int, int, int]]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Grey noisy picture with dark text on light badges; returns the picture and each text's tight box."""
    rng = np.random.default_rng(3)
    img = Image.fromarray(np.clip(120 + rng.integers(-15, 16, (h, w, 3)), 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    boxes = []
    for text, x, y, px in items:
        font = _font(px)
        left, t, r, b = draw.textbbox((x, y), text, font=font)
        draw.rectangle((left - 6, t - 6, r + 6, b + 6), fill=(245, 245, 245))
        draw.text((x, y), text, font=font, fill=(10, 10, 10))
        boxes.append(np.array([left, t, r, b], np.float32))
    return np.asarray(img), boxes


def _inside(box: np.ndarray, found: np.ndarray) -> float:
    """Share of ``box``'s area inside the union of ``found`` boxes."""
    x1, y1, x2, y2 = box.astype(int)
    m = np.zeros((int(y2 - y1), int(x2 - x1)), bool)
    for a, b, c, d in found:
        m[max(0, int(b) - y1) : max(0, int(np.ceil(d)) - y1), max(0, int(a) - x1) : max(0, int(np.ceil(c)) - x1)] = True
    return float(m.mean())


@pytest.fixture(scope="module")
def det() -> TextDetector:
    return TextDetector("text", threads=1)


def test_finds_rendered_names_signs_and_plates(det):
    img, boxes = _scene(640, 360, [("ALICE SMITH", 20, 20, 24), ("Main Street", 300, 120, 16), ("AB12 CDE", 60, 250, 32)])
    found = det.detect(img)
    assert found.kind == "text" and len(found) >= 3
    for box in boxes:
        assert _inside(box, found.boxes.boxes) >= 0.95, box
    area = sum((b[2] - b[0]) * (b[3] - b[1]) for b in found.boxes.boxes)
    assert area < 0.25 * img.shape[0] * img.shape[1]  # not the whole picture


def test_blank_picture_has_no_text(det):
    rng = np.random.default_rng(0)
    img = np.clip(120 + rng.integers(-10, 11, (256, 320, 3)), 0, 255).astype(np.uint8)
    assert len(det.detect(img)) == 0


def test_tiles_cover_the_picture_and_text_across_a_tile_edge_is_found(det):
    for n in (1, 500, 1024, 1025, 3000):
        spans = _spans(n)
        assert spans[0][0] == 0 and spans[-1][1] == n and all(b - a <= 1024 for a, b in spans)
        assert all(spans[i + 1][0] < spans[i][1] for i in range(len(spans) - 1))
    img, boxes = _scene(1400, 300, [("CROSSING THE EDGE", 800, 100, 28)])
    found = det.detect(img)
    assert _inside(boxes[0], found.boxes.boxes) >= 0.95


def test_photo_with_cover_text_hides_the_text(tmp_path):
    img, boxes = _scene(480, 240, [("JOHN DOE", 40, 40, 28)])
    Image.fromarray(img).save(tmp_path / "p.png")
    report = process_image(tmp_path / "p.png", tmp_path / "o.png", Settings(cover="text"), detector=MagentaDetector())
    out = np.asarray(Image.open(tmp_path / "o.png").convert("RGB"))
    assert covered(out, boxes[0]) == 1.0
    assert report.details.covered["text"] >= 1
    assert report.details.region_detectors[0].startswith("PP-OCRv6")


def test_cli_video_with_cover_text_hides_text_on_every_frame(tmp_path):
    from unseen.cli import main

    from .video_factory import make_clip, read_frames

    img, boxes = _scene(320, 192, [("ALICE SMITH", 30, 60, 24)])
    clip = make_clip(tmp_path / "v.mp4", width=320, height=192, n=8, draw=lambda i, t, w, h: img)
    assert main([str(clip.path), "-o", str(tmp_path / "o.mp4"), "--cover", "text", "--quiet"]) == 0
    frames, _ = read_frames(tmp_path / "o.mp4")
    assert len(frames) == 8
    for i, out in enumerate(frames):
        assert covered(out, boxes[0]) >= 0.99, f"frame {i}: text visible"
