"""``text`` and ``plates`` together: one PP-OCR pass per picture serves both; plates look closer
inside vehicle boxes (upscaled cut-outs), so a plate too small for the full-frame pass is found."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from unseen.detect import kinds, text
from unseen.detect.kinds import region_detectors_for
from unseen.detect.text import PlateDetector, SharedText, TextDetector, TextNet, crop_windows
from unseen.pipeline.image import process_image
from unseen.pipeline.video import process_video
from unseen.settings import Settings
from unseen.types import Faces

from .test_text_detect import _inside, _scene
from .video_factory import MagentaDetector, make_clip

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "widerface_dev"
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


class CountingTextNet(TextNet):
    """The real PP-OCR net, counting its full passes (one per :meth:`boxes` call) and the shapes seen."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.shapes: list[tuple[int, ...]] = []

    def boxes(self, image, min_margin=text.MIN_MARGIN):
        self.shapes.append(image.shape)
        return super().boxes(image, min_margin)


class FixedVehicles:
    """A vehicle finder that answers the same boxes for every picture (the vehicles the test drew)."""

    name = "fixed-vehicles"

    def __init__(self, boxes):
        self.boxes = Faces(np.asarray(boxes, np.float32), np.linspace(0.9, 0.5, len(boxes)))

    def vehicles(self, rgb):
        return self.boxes.clipped(rgb.shape[1], rgb.shape[0])


@pytest.fixture
def counting(monkeypatch):
    """``--cover`` detectors built by the registry on one counting net per build (the nets made)."""
    made: list[CountingTextNet] = []

    def net(**kw):
        made.append(CountingTextNet(**kw))
        return made[-1]

    monkeypatch.setattr(text, "TextNet", net)
    return made


def test_text_and_plates_share_one_net_and_one_pass_per_photo(tmp_path, counting):
    img, boxes = _scene(480, 240, [("JOHN DOE", 40, 40, 28), ("AB12 CDE", 250, 150, 20)])
    Image.fromarray(img).save(tmp_path / "p.png")
    dets = region_detectors_for(Settings(cover="text,plates", threads=1))
    assert [d.kind for d in dets] == ["text", "plates"] and len(counting) == 1
    report = process_image(
        tmp_path / "p.png",
        tmp_path / "o.png",
        Settings(cover="text,plates"),
        detector=MagentaDetector(),
        region_detectors=dets,
    )
    full = [s for s in counting[0].shapes if s == img.shape]
    assert len(full) == 1, counting[0].shapes  # was 2 (one per kind) before the shared pass
    assert report.details.covered["text"] >= 2 and report.details.covered["plates"] >= 2

    # The same cover as two detectors each on its own net (the old way, two full passes).
    alone = [
        TextDetector("text", shared=SharedText(CountingTextNet())),
        PlateDetector(shared=SharedText(CountingTextNet())),
    ]
    process_image(
        tmp_path / "p.png",
        tmp_path / "o2.png",
        Settings(cover="text,plates"),
        detector=MagentaDetector(),
        region_detectors=alone,
    )
    a, b = (np.asarray(Image.open(tmp_path / n)) for n in ("o.png", "o2.png"))
    assert np.array_equal(a, b)
    for box in boxes:
        assert _inside(box, dets[0].detect(img).boxes.boxes) >= 0.95


def test_one_kind_alone_still_builds_its_own_net(counting):
    (d,) = region_detectors_for(Settings(cover="plates", threads=1))
    assert d.kind == "plates" and len(counting) == 1
    (t,) = region_detectors_for(Settings(cover="text", threads=1))
    assert t.kind == "text" and len(counting) == 2 and t.shared is not d.shared


def test_a_kind_registered_on_its_own_leaves_its_group(monkeypatch, counting):
    from unseen.detect.base import FixedRegions

    region_detectors_for(Settings(cover="text", threads=1))  # the group registered (module imported)
    counting.clear()
    monkeypatch.setitem(kinds.BUILDERS, "plates", lambda settings: FixedRegions("plates", Faces.empty()))
    text_det, plates_det = region_detectors_for(Settings(cover="text,plates", threads=1))
    assert isinstance(plates_det, FixedRegions) and isinstance(text_det, TextDetector) and len(counting) == 1


def test_memo_answers_identical_pixels_only():
    net = CountingTextNet(threads=1)
    shared = SharedText(net, memo=2)
    img, _ = _scene(320, 160, [("MAIN ST", 20, 40, 24)])
    first = shared.boxes(img)
    again = shared.boxes(img.copy())  # another array, the same pixels
    assert shared.runs == 1 and np.array_equal(first.boxes, again.boxes)
    changed = img.copy()
    changed[0, 0, 0] ^= 1  # one bit of one pixel: a new picture
    shared.boxes(changed)
    assert shared.runs == 2
    shared.boxes(np.ascontiguousarray(img[:, :300]))  # a third picture pushes the first out (memo 2)
    shared.boxes(img)
    assert shared.runs == 4


def test_video_text_and_plates_run_one_pass_per_frame(tmp_path, counting):
    def draw(i, t, w, h):
        frame, _ = _scene(w, h, [("ALICE SMITH", 20 + 4 * i, 60, 24)])
        return frame

    clip = make_clip(tmp_path / "v.mp4", width=320, height=192, n=6, draw=draw)
    dets = region_detectors_for(Settings(cover="text,plates", threads=1))
    process_video(
        clip.path, tmp_path / "o.mp4", Settings(cover="text,plates"), detector=MagentaDetector(), region_detectors=dets
    )
    full = [s for s in counting[0].shapes if s[:2] == (192, 320)]
    assert len(full) == 6  # one per frame for both kinds (12 before)


def _plate_scene(px: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A 960x540 grey street with a white "car" carrying a small white plate, blurred and JPEG'd:
    the picture, the plate's tight text box and the car's box. (A white plate on a white car: no
    plate outline for the full-frame pass to catch, only the tiny characters.)"""
    rng = np.random.default_rng(5)
    img = Image.fromarray(np.clip(120 + rng.integers(-15, 16, (540, 960, 3)), 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(img)
    car = np.array([600, 300, 720, 380], np.float32)
    d.rectangle(tuple(car.tolist()), fill=(225, 225, 228))
    font = ImageFont.truetype(str(DEJAVU), max(4, round(px / 0.72))) if DEJAVU.exists() else ImageFont.load_default(px)
    left, t, r, b = d.textbbox((630, 350), "AB12 CDE", font=font)
    d.rectangle((left - 2, t - 2, r + 2, b + 2), fill=(245, 245, 245))
    d.text((630, 350), "AB12 CDE", font=font, fill=(15, 15, 15))
    buf = io.BytesIO()
    img.filter(ImageFilter.GaussianBlur(1.2)).save(buf, "JPEG", quality=90)
    return np.asarray(Image.open(buf).convert("RGB")), np.array([left, t, r, b], np.float32), car


def test_plates_find_a_small_plate_in_a_vehicle_the_full_frame_pass_misses():
    shared = SharedText(TextNet(threads=1))
    img, plate, car = _plate_scene(4)
    alone = TextDetector("text", shared=shared).detect(img)
    assert _inside(plate, alone.boxes.boxes) < 0.8  # too small for the full-frame pass
    plates = PlateDetector(shared=shared, vehicles=FixedVehicles([car])).detect(img)
    assert plates.kind == "plates" and _inside(plate, plates.boxes.boxes) >= 0.95
    # every full-frame box is kept (plates only add to text), and the new ones lie in the car's cut-out
    assert len(plates) > len(alone)
    assert all(any(np.array_equal(a, p) for p in plates.boxes.boxes) for a in alone.boxes.boxes)
    extra = [p for p in plates.boxes.boxes if not any(np.array_equal(a, p) for a in alone.boxes.boxes)]
    g = 0.1 * (car[2:] - car[:2])
    assert all(p[0] >= car[0] - g[0] - 1 and p[2] <= car[2] + g[0] + 1 for p in extra)
    assert all(p[1] >= car[1] - g[1] - 1 and p[3] <= car[3] + g[1] + 1 for p in extra)


def test_crop_windows_upscale_small_vehicles_most_likely_first_and_skip_big_ones():
    v = Faces(
        np.array([[0, 0, 100, 50], [500, 100, 1400, 700], [200, 200, 360, 300], [950, 500, 1000, 540]], np.float32),
        np.array([0.3, 0.9, 0.8, 0.5], np.float32),
    )
    wins = crop_windows(v, 1000, 540)
    # the 900 px wide truck would be scaled by < CROP_MIN_SCALE: left to the full-frame pass
    assert [w[:4] for w in wins] == [(184, 190, 376, 310), (945, 496, 1000, 540), (0, 0, 110, 55)]
    assert [round(w[4], 2) for w in wins] == [round(640 / 192, 2), 4.0, 4.0]
    many = Faces(np.tile([[10, 10, 60, 40]], (40, 1)).astype(np.float32), np.linspace(0.9, 0.3, 40))
    assert len(crop_windows(many, 100, 100)) == text.MAX_CROPS


@pytest.mark.skipif(not SHARED.exists(), reason="needs ../shared/data/widerface_dev (WIDER photos with cars)")
def test_vehicle_finder_sees_the_cars_of_a_real_street_photo():
    from unseen.detect.vehicles import VehicleFinder

    rgb = np.asarray(
        Image.open(SHARED / "WIDER_val/images/5--Car_Accident/5_Car_Accident_Accident_5_34.jpg").convert("RGB")
    )
    found = VehicleFinder(threads=1).vehicles(rgb)
    assert len(found) >= 5 and found.scores.max() >= 0.5
