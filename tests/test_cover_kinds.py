"""``--cover`` kinds beyond faces: the setting, the region-detector registry, and both pipelines.

Region detectors here are real detectors of a simple kind (green patches stand for text), run
through the real photo and video pipelines; faces are magenta squares (see video_factory).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from unseen.cli import build_parser, main
from unseen.detect import kinds
from unseen.detect.kinds import region_detectors_for
from unseen.errors import ConfigError
from unseen.pipeline.image import process_image
from unseen.pipeline.video import process_video
from unseen.settings import Settings
from unseen.types import Faces, Regions

from .video_factory import GREEN, MAGENTA, MagentaDetector, background, covered, magenta_boxes, make_clip, read_frames


class GreenRegions:
    """A region detector of kind ``text`` that finds green patches, grown by 2 px."""

    kind = "text"
    name = "green"

    def __init__(self) -> None:
        self.calls = 0

    def detect(self, image: np.ndarray) -> Regions:
        self.calls += 1
        boxes = magenta_boxes(image, GREEN)
        if len(boxes):
            boxes = boxes + np.array([-2, -2, 2, 2], np.float32)
        return Regions(self.kind, Faces(boxes).clipped(image.shape[1], image.shape[0]))


def test_cover_setting_parses_kinds_faces_always_first():
    assert Settings().cover == "faces" and Settings().extra_kinds == ()
    assert Settings(cover="text").cover == "faces,text"
    assert Settings(cover="plates, people").cover_kinds == ("faces", "people", "plates")
    assert Settings(cover="all").cover_kinds == ("faces", "people", "text", "plates")
    for bad in ("cars", "", ",", "faces,cars"):
        with pytest.raises(ConfigError):
            Settings(cover=bad)


def test_default_builds_no_region_detector():
    assert region_detectors_for(Settings()) == []


def test_kind_without_a_detector_is_refused(monkeypatch):
    monkeypatch.setitem(kinds.MODULES, "people", "unseen.detect.no_such_module")
    monkeypatch.delitem(kinds.BUILDERS, "people", raising=False)
    with pytest.raises(ConfigError, match="people"):
        region_detectors_for(Settings(cover="faces,people"))


def _photo(path, face=(10, 10, 30, 30), text=(60, 40, 90, 50)):
    img = background(120, 80)
    img[face[1] : face[3], face[0] : face[2]] = MAGENTA
    img[text[1] : text[3], text[0] : text[2]] = GREEN
    Image.fromarray(img).save(path)
    return np.array(face, np.float32), np.array(text, np.float32)


def test_photo_default_covers_faces_only_and_reports_per_kind(tmp_path):
    face, text = _photo(tmp_path / "p.png")
    report = process_image(tmp_path / "p.png", tmp_path / "o.png", Settings(), detector=MagentaDetector())
    out = np.asarray(Image.open(tmp_path / "o.png").convert("RGB"))
    assert covered(out, face) == 1.0
    assert covered(out, text) == 0.0  # text stays visible by default
    assert report.details.covered == {"faces": 1} and report.details.region_detectors == []


def test_photo_text_kind_covers_text_and_still_every_face(tmp_path):
    face, text = _photo(tmp_path / "p.png")
    det = GreenRegions()
    report = process_image(
        tmp_path / "p.png", tmp_path / "o.png", Settings(cover="text"), detector=MagentaDetector(), region_detectors=[det]
    )
    out = np.asarray(Image.open(tmp_path / "o.png").convert("RGB"))
    assert covered(out, face) == 1.0 and covered(out, text + np.array([-2, -2, 2, 2])) == 1.0
    assert report.details.covered == {"faces": 1, "text": 1}
    assert report.to_dict()["details"]["covered"] == {"faces": 1, "text": 1}
    assert det.calls == 1


def test_photo_region_mask_paints_only_the_mask(tmp_path):
    _photo(tmp_path / "p.png")

    class Stripe:
        kind, name = "people", "stripe"

        def detect(self, image):
            mask = np.zeros(image.shape[:2], bool)
            mask[70:72, :] = True
            return Regions("people", Faces(np.array([[0, 60, 120, 80]], np.float32)), mask)

    process_image(
        tmp_path / "p.png", tmp_path / "o.png", Settings(cover="people"), detector=MagentaDetector(), region_detectors=[Stripe()]
    )
    out = np.asarray(Image.open(tmp_path / "o.png").convert("RGB"))
    assert covered(out, np.array([0, 70, 120, 72])) == 1.0
    assert covered(out, np.array([0, 62, 120, 68])) == 0.0


def test_video_text_kind_covers_every_frame_and_counts(tmp_path):
    def draw(i, t, w, h):
        img = background(w, h)
        img[8:24, 4 + i : 20 + i] = MAGENTA
        img[34:42, 30:58] = GREEN
        return img

    clip = make_clip(tmp_path / "v.mp4", width=64, height=48, n=20, draw=draw)
    report = process_video(
        clip.path, tmp_path / "o.mp4", Settings(cover="text"), detector=MagentaDetector(), region_detectors=[GreenRegions()]
    )
    frames, _ = read_frames(tmp_path / "o.mp4")
    assert len(frames) == 20
    for i, (src, out) in enumerate(zip(clip.frames, frames, strict=True)):
        assert covered(out, np.array([30, 34, 58, 42])) >= 0.95, f"frame {i}: text visible"
        for box in magenta_boxes(src):
            assert covered(out, box) >= 0.95, f"frame {i}: face visible"
    assert report.details.kind_frames_covered == {"text": 20}
    assert report.details.region_detectors == ["green"]


def test_video_default_runs_no_region_detector(tmp_path):
    clip = make_clip(tmp_path / "v.mp4", n=6)
    report = process_video(clip.path, tmp_path / "o.mp4", Settings(), detector=MagentaDetector())
    assert report.details.kind_frames_covered == {} and report.details.region_detectors == []


def test_cli_help_names_cover_and_refuses_unknown_kind(tmp_path, capsys):
    text = build_parser().format_help()
    assert "--cover" in text and "plates" in text
    _photo(tmp_path / "p.png")
    rc = main([str(tmp_path / "p.png"), "--cover", "cars", "--json"])
    assert rc == 2
    err = capsys.readouterr()
    assert "cover" in (err.err + err.out)
    rc = main([str(tmp_path / "p.png"), "-o", str(tmp_path / "o.png"), "--json"])
    assert rc == 0
    details = json.loads(capsys.readouterr().out)["files"][0]["details"]
    assert list(details["covered"]) == ["faces"] and details["region_detectors"] == []  # no text model ran


def test_segmented_video_covers_other_kinds_too(tmp_path):
    # Segments carry the other kinds' covers (they were refused before; see test_video_kinds.py).
    def draw(i, t, w, h):
        img = background(w, h)
        img[34:42, 30:58] = GREEN
        return img

    clip = make_clip(tmp_path / "v.mp4", width=64, height=48, n=45, draw=draw, gop=15)
    out = tmp_path / "o.mp4"
    s = Settings(cover="faces,text", segment_seconds=1, segment_workers=1)
    report = process_video(clip.path, out, s, detector=MagentaDetector(), region_detectors=[GreenRegions()])
    frames, _ = read_frames(out)
    assert len(frames) == 45
    for i, f in enumerate(frames):
        assert covered(f, np.array([30, 34, 58, 42])) >= 0.95, f"frame {i}: text visible"
    assert report.details.kind_frames_covered == {"text": 45}
