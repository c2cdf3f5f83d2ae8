"""``unseen check --cover text,plates,people``: the other kinds are looked for on an output too,
each with the detector that covers it; what it still finds off a solid cover fails the check."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image

from unseen.cli import main
from unseen.errors import ExitStatus
from unseen.pipeline.check import check_image, check_paths, check_video, verify_output
from unseen.pipeline.image import process_image
from unseen.settings import Settings
from unseen.types import Faces, Regions

from .test_text_detect import _scene
from .video_factory import GREEN, MagentaDetector, background, magenta_boxes, make_clip


class GreenText:
    """A real ``text`` detector of a simple kind: green patches are text (grown by 2 px)."""

    kind = "text"
    name = "green"

    def detect(self, image: np.ndarray) -> Regions:
        boxes = magenta_boxes(image, GREEN)
        if len(boxes):
            boxes = boxes + np.array([-2, -2, 2, 2], np.float32)
        return Regions("text", Faces(boxes).clipped(image.shape[1], image.shape[0]))


def _picture(covered: bool) -> np.ndarray:
    img = background(120, 80)
    img[40:50, 60:90] = (0, 0, 0) if covered else GREEN
    if covered:  # unseen's cover: the grown box, solid black
        img[38:52, 58:92] = 0
    return img


def test_text_left_visible_fails_the_check_and_a_covered_one_is_excused(tmp_path):
    Image.fromarray(_picture(False)).save(tmp_path / "open.png")
    Image.fromarray(_picture(True)).save(tmp_path / "shut.png")
    report = check_paths(
        [tmp_path / "open.png", tmp_path / "shut.png"], Settings(threads=1), detector=MagentaDetector()
    )
    assert report.exit_status == ExitStatus.OK and report.kinds == ("faces",)  # faces only: text not looked for

    seen = check_image(
        tmp_path / "open.png", Settings(threads=1), detector=MagentaDetector(), region_detectors=[GreenText()]
    )
    (f,) = seen.findings
    assert f.kind == "text" and f.box == (58.0, 38.0, 92.0, 52.0) and not seen.ok
    shut = check_image(
        tmp_path / "shut.png", Settings(threads=1), detector=MagentaDetector(), region_detectors=[GreenText()]
    )
    assert shut.ok and not shut.excused  # a black box is no green patch: nothing found at all
    d = seen.to_dict()
    assert d["faces"] == [] and d["regions"][0]["kind"] == "text"


def test_region_on_a_solid_cover_is_excused():
    class Everywhere:
        kind, name = "people", "everywhere"

        def detect(self, image):
            return Regions("people", Faces(np.array([[58, 38, 92, 52], [0, 0, 30, 30]], np.float32)))

    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        Image.fromarray(_picture(True)).save(Path(d) / "p.png")
        fc = check_image(
            Path(d) / "p.png", Settings(threads=1), detector=MagentaDetector(), region_detectors=[Everywhere()]
        )
    assert [f.box for f in fc.excused] == [(58.0, 38.0, 92.0, 52.0)] and fc.excused[0].kind == "people"
    assert [f.box for f in fc.findings] == [(0.0, 0.0, 30.0, 30.0)]


def test_cli_check_cover_text_on_real_outputs(tmp_path):
    """The real PP-OCR detector: faces-only output shows the name (exit 7, TEXT line, JSON region);
    the --cover text output passes; a bad kind is a usage error."""
    img, _ = _scene(480, 240, [("JOHN DOE", 40, 40, 28), ("Main Street", 220, 150, 20)])
    Image.fromarray(img).save(tmp_path / "p.png")
    process_image(tmp_path / "p.png", tmp_path / "faces.png", Settings(), detector=MagentaDetector())
    process_image(tmp_path / "p.png", tmp_path / "text.png", Settings(cover="text"), detector=MagentaDetector())
    from io import StringIO

    out = StringIO()
    assert main(["check", str(tmp_path / "faces.png"), "--cover", "text", "--threads", "1", "--json"], stdout=out) == 7
    d = json.loads(out.getvalue())
    assert d["kinds"] == ["faces", "text"] and d["visible_faces"] == 0 and d["visible_regions"]["text"] >= 2
    out = StringIO()
    assert main(["check", str(tmp_path / "faces.png"), "--cover", "text", "--threads", "1"], stdout=out) == 7
    assert "TEXT " in out.getvalue() and "VISIBLE: TEXT" in out.getvalue()
    out = StringIO()
    assert main(["check", str(tmp_path / "text.png"), "--cover", "text", "--threads", "1"], stdout=out) == 0, (
        out.getvalue()
    )
    assert "0 visible text region(s)" in out.getvalue() and "nothing visible" in out.getvalue()
    assert main(["check", str(tmp_path / "text.png")]) == 0  # faces only, as before
    err = StringIO()
    assert main(["check", str(tmp_path / "text.png"), "--cover", "cars"], stderr=err) == int(ExitStatus.USAGE)
    # --verify stays a faces check: visible text does not fail the write
    verify_output(tmp_path / "faces.png", "image", Settings(cover="text", threads=1), detector=MagentaDetector())


def test_video_check_looks_for_text_on_every_frame(tmp_path):
    def draw(i, t, w, h):
        img = background(w, h)
        if i % 2:
            img[20:30, 20:50] = GREEN
        return img

    clip = make_clip(tmp_path / "v.mp4", width=96, height=64, n=6, draw=draw)
    fc = check_video(clip.path, Settings(threads=1), detector=MagentaDetector(), region_detectors=[GreenText()])
    assert fc.frames == 6 and sorted({f.frame for f in fc.findings}) == [1, 3, 5]
    assert all(f.kind == "text" for f in fc.findings)


def test_cover_mask_takes_solid_patches_not_thin_dark_strokes():
    from unseen.pipeline.check import cover_mask

    img = background(120, 80)
    img[10:40, 10:60] = 0  # a cover
    img[60:62, 70:110] = 0  # a 2 px dark stroke (a letter's line), not a cover
    m = cover_mask(img)
    assert m[10:40, 10:60].all() and m.sum() == 30 * 50
    rgba = np.dstack([img, np.full(img.shape[:2], 255, np.uint8)])
    rgba[10:40, 10:60, 3] = 0  # transparent: not what is seen, not a cover
    assert not cover_mask(rgba).any()


def test_text_beside_a_cover_is_reported_not_failed_and_text_clear_of_covers_fails(tmp_path):
    img = _picture(True)
    img[40:50, 92:110] = GREEN  # text showing just past the cover: touches it
    img[5:15, 5:30] = GREEN  # text nowhere near a cover
    Image.fromarray(img).save(tmp_path / "p.png")
    fc = check_image(
        tmp_path / "p.png", Settings(threads=1), detector=MagentaDetector(), region_detectors=[GreenText()]
    )
    assert [f.box for f in fc.findings] == [(3.0, 3.0, 32.0, 17.0)]
    assert [f.box for f in fc.excused] == [(90.0, 38.0, 112.0, 52.0)] and fc.excused[0].on_cover
