"""`unseen check` and `--verify`: visible faces are reported with file, frame/time, box and score;
solid covers do not re-trigger it; every bad input is an error, never a silent pass."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from unseen.detect.base import Detector
from unseen.errors import ExitStatus, VerificationError
from unseen.pipeline import api
from unseen.pipeline.check import MIN_SCORE, check_image, check_paths, check_settings, on_solid_cover, verify_output
from unseen.settings import Settings
from unseen.types import Faces

from .conftest import noise_image, shared_data
from .video_factory import MagentaDetector, make_clip


class Boxes(Detector):
    """A detector answering fixed boxes and scores; records the pictures it was shown."""

    name = "boxes"

    def __init__(self, boxes, scores):
        self.faces = Faces(np.asarray(boxes, np.float32).reshape(-1, 4), np.asarray(scores, np.float32))
        self.shapes: list[tuple[int, ...]] = []

    def detect(self, image, passes=None):
        self.shapes.append(image.shape)
        return self.faces


class OnCall(Detector):
    """'Finds' a face only on the listed calls (= frames, in decode order)."""

    name = "oncall"

    def __init__(self, boxes: dict[int, list[float]]):
        self.boxes = boxes
        self.calls = 0

    def detect(self, image, passes=None):
        i = self.calls
        self.calls += 1
        return Faces(np.asarray([self.boxes[i]], np.float32)) if i in self.boxes else Faces.empty()


def _photo(tmp_path: Path, pixels: np.ndarray, name: str = "out.png") -> Path:
    p = tmp_path / name
    Image.fromarray(pixels).save(p)
    return p


def test_on_solid_cover_tells_a_fill_from_a_picture():
    img = noise_image(100, 100)
    img[20:80, 20:80] = 0
    assert on_solid_cover(img, (20, 20, 80, 80))
    assert not on_solid_cover(noise_image(100, 100), (20, 20, 80, 80))
    # a box that only touches the fill's edge is not excused
    assert not on_solid_cover(img, (60, 60, 100, 100))


def test_on_solid_cover_tolerates_jpeg_noise(tmp_path):
    img = noise_image(120, 120)
    img[30:90, 30:90] = 0
    p = tmp_path / "x.jpg"
    Image.fromarray(img).save(p, quality=75)
    back = np.asarray(Image.open(p).convert("RGB"))
    assert on_solid_cover(back, (30, 30, 90, 90))


def test_visible_face_is_reported_with_box_and_score(tmp_path):
    det = Boxes([[10, 10, 50, 60]], [0.9])
    p = _photo(tmp_path, noise_image())
    report = check_paths([p], Settings(threads=1), detector=det)
    assert report.exit_status == ExitStatus.FACES_FOUND
    (f,) = report.findings
    assert f.file == str(p) and f.box == (10, 10, 50, 60) and f.score == pytest.approx(0.9) and f.frame is None
    assert any("FACE" in line and "score 0.90" in line for line in report.lines())
    assert report.to_dict()["visible_faces"] == 1
    # always the thorough preset, whatever the caller's preset was; threads kept
    checked = check_settings(Settings(threads=1))
    assert checked.preset == "thorough" and checked.threads == 1


def test_detection_on_a_solid_cover_is_excused(tmp_path):
    img = noise_image()
    img[10:60, 10:50] = 0
    det = Boxes([[10, 10, 50, 60]], [0.95])
    report = check_paths([_photo(tmp_path, img)], detector=det)
    assert report.exit_status == ExitStatus.OK
    assert report.files[0].excused and not report.findings


def test_weak_detections_are_counted_not_failed(tmp_path):
    det = Boxes([[10, 10, 50, 60]], [MIN_SCORE / 2])
    report = check_paths([_photo(tmp_path, noise_image())], detector=det)
    assert report.exit_status == ExitStatus.OK
    assert report.files[0].below_threshold == 1


def test_missing_and_unknown_files_are_errors(tmp_path):
    det = Boxes([], [])
    other = tmp_path / "notes.txt"
    other.write_text("hi")
    report = check_paths([tmp_path / "gone.jpg", other], detector=det)
    assert report.exit_status == ExitStatus.INPUT
    assert all(fc.error is not None for fc in report.files)
    assert sum("error:" in line for line in report.lines()) == 2


def test_corrupt_photo_is_an_error_not_a_pass(tmp_path):
    det = Boxes([], [])
    p = tmp_path / "broken.jpg"
    p.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    report = check_paths([p], detector=det)
    assert report.exit_status != ExitStatus.OK
    assert report.files[0].error is not None


def test_folder_is_walked(tmp_path):
    det = Boxes([], [])
    (tmp_path / "sub").mkdir()
    _photo(tmp_path, noise_image(), "a.png")
    _photo(tmp_path / "sub", noise_image(), "b.jpg")
    (tmp_path / "readme.txt").write_text("skip me")
    report = check_paths([tmp_path], detector=det)
    assert sorted(Path(fc.file).name for fc in report.files) == ["a.png", "b.jpg"]
    assert report.exit_status == ExitStatus.OK


def test_verify_output_fails_closed(tmp_path):
    det = Boxes([[10, 10, 50, 60]], [0.8])
    p = _photo(tmp_path, noise_image())
    with pytest.raises(VerificationError, match="still visible") as exc:
        verify_output(p, "image", Settings(), detector=det)
    assert exc.value.exit_status == ExitStatus.VERIFY and exc.value.path == str(p)


def test_verify_output_raises_when_the_file_cannot_be_reread(tmp_path):
    det = Boxes([], [])
    p = tmp_path / "x.png"
    p.write_bytes(b"nope")
    with pytest.raises(VerificationError, match="re-read"):
        verify_output(p, "image", detector=det)


def test_verify_output_passes_a_clean_file(tmp_path):
    det = Boxes([], [])
    verify_output(_photo(tmp_path, noise_image()), "image", detector=det)


def test_video_every_frame_is_checked_and_the_frame_is_named(tmp_path):
    clip = make_clip(tmp_path / "v.mp4", n=12, fps=10, bframes=0)
    det = OnCall({7: [20, 10, 36, 26]})
    report = check_paths([clip.path], detector=det)
    fc = report.files[0]
    assert fc.error is None and fc.frames == 12 and det.calls == 12
    assert report.exit_status == ExitStatus.FACES_FOUND
    assert {f.frame for f in report.findings} == {7}
    f = report.findings[0]
    assert f.time == pytest.approx(0.7, abs=1e-3)
    assert "frame 7 (0.700 s)" in "\n".join(report.lines())
    det.calls = 0
    with pytest.raises(VerificationError) as exc:
        verify_output(clip.path, "video", detector=det)
    assert exc.value.where == "frame 7 (0.700 s)"


def test_truncated_video_is_an_error(tmp_path):
    from .video_factory import truncated

    clip = make_clip(tmp_path / "v.mp4", n=30, bframes=0)
    bad = truncated(clip.path, tmp_path / "cut.mp4")
    det = MagentaDetector()
    report = check_paths([bad], detector=det)
    assert report.exit_status != ExitStatus.OK


# --- the real detector, on real photos ---------------------------------------------------------


@pytest.mark.slow
def test_real_face_is_found_and_unseen_output_passes(tmp_path):
    src = shared_data("identities_dev", "images", "img25.jpg")  # 400 x 400, one face
    fc = check_image(src, Settings(threads=1))
    assert fc.error is None and fc.findings, "the thorough detector should see the original face"
    out = tmp_path / "img25.unseen.jpg"
    api.anonymize_image(src, out, Settings(threads=1))
    report = check_paths([out], Settings(threads=1))
    assert report.exit_status == ExitStatus.OK, report.lines()


def test_flat_but_not_fill_coloured_is_not_excused():
    skin = np.full((100, 100, 3), (200, 160, 140), np.uint8)  # an overexposed, textureless face
    assert not on_solid_cover(skin, (20, 20, 80, 80))
    assert on_solid_cover(skin, (20, 20, 80, 80), fill=(200, 160, 140))


def test_dim_textured_face_is_not_excused():
    rng = np.random.default_rng(3)
    dim = rng.integers(0, 40, (100, 100, 3), dtype=np.uint8)  # dark but with detail
    assert not on_solid_cover(dim, (20, 20, 80, 80))


def test_step_checks_every_nth_frame(tmp_path):
    clip = make_clip(tmp_path / "v.mp4", n=12, fps=10, bframes=0)
    det = OnCall({})
    report = check_paths([clip.path], step=4, detector=det)
    assert report.files[0].frames == 3 and det.calls == 3
