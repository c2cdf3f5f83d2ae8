"""Other ``--cover`` kinds in plans (version 2): a photo's plan holds its people/text/plates boxes
with their kind; rendering covers them from the plan without detecting; a rejected one is left; a
version 1 plan still loads and is still written as version 1; a faces-only video plan rendered with
another kind is refused with one line (video plans with kinds: test_plan_video_kinds). Region detectors here are real detectors of a simple kind (green patches
stand for text); faces are magenta squares (see video_factory)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from PIL import Image

from unseen.detect import kinds
from unseen.errors import ConfigError, CorruptInput
from unseen.pipeline.plan_run import make_plan, render_plan, write_plan
from unseen.plan import Rejection, load_plan, plan_from_bytes, save_plan
from unseen.settings import Settings

from .plan_cases import image_doc, to_bytes
from .test_cover_kinds import GreenRegions, _photo
from .video_factory import MagentaDetector, covered, make_clip

TEXT = Settings(cover="text")


@pytest.fixture
def green(monkeypatch):
    det = GreenRegions()
    monkeypatch.setitem(kinds.BUILDERS, "text", lambda settings: det)
    return det


def test_photo_plan_holds_text_boxes_and_renders_them_without_detecting(tmp_path, green):
    face, text = _photo(tmp_path / "p.png")
    plan, where = write_plan(tmp_path / "p.png", settings=TEXT, detector=MagentaDetector(), thorough=False)
    doc = json.loads(where.read_text())
    assert doc["version"] == 2
    boxes = doc["frames"][0]["boxes"]
    assert [b.get("kind") for b in boxes] == [None, "text"] and boxes[1]["origin"] == "detected"
    assert not any(f["box"] == boxes[1]["box"] for f in doc["flags"] if "box" in f)  # flags are for faces
    loaded = load_plan(where, media_path=tmp_path / "p.png")
    assert loaded == plan and loaded.planned_kinds == ("text",) and len(loaded.faces_for(0)) == 1
    calls = green.calls
    for settings, name in ((TEXT, "o.png"), (Settings(), "faces_only.png")):  # the plan says text: covered
        report = render_plan(tmp_path / "p.png", where, tmp_path / name, settings)
        out = np.asarray(Image.open(tmp_path / name).convert("RGB"))
        assert covered(out, face) == 1.0 and covered(out, text) == 1.0, name
        assert report.details.covered == {"faces": 1, "text": 1} and report.details.region_detectors == ["plan (text)"]
    assert green.calls == calls  # rendered from the plan: the text detector did not run again


def test_rejected_text_box_is_left_and_recorded(tmp_path, green):
    face, text = _photo(tmp_path / "p.png")
    plan = make_plan(tmp_path / "p.png", TEXT, detector=MagentaDetector(), thorough=False)
    f0 = plan.frames[0]
    boxes = tuple(dataclasses.replace(b, rejected=Rejection("t", "now")) if not b.is_face else b for b in f0.boxes)
    plan = dataclasses.replace(plan, frames=(dataclasses.replace(f0, boxes=boxes),))
    save_plan(plan, tmp_path / "p.png.plan.json")
    report = render_plan(tmp_path / "p.png", tmp_path / "p.png.plan.json", tmp_path / "o.png", TEXT)
    out = np.asarray(Image.open(tmp_path / "o.png").convert("RGB"))
    assert covered(out, face) == 1.0 and covered(out, text) == 0.0 and report.details.plan_rejected == 1


def test_a_faces_only_plan_is_still_version_1_and_kind_needs_version_2(tmp_path, green):
    _photo(tmp_path / "p.png")
    _, where = write_plan(tmp_path / "p.png", settings=Settings(), detector=MagentaDetector(), thorough=False)
    assert json.loads(where.read_text())["version"] == 1  # readable by an unseen that reads version 1
    doc = image_doc()
    doc["frames"][0]["boxes"][0]["kind"] = "text"
    with pytest.raises(CorruptInput, match="field 'kind' needs plan version 2"):
        plan_from_bytes(to_bytes(doc), "plan.json")
    doc["version"] = 2
    assert plan_from_bytes(to_bytes(doc), "plan.json").frames[0].boxes[0].kind == "text"
    for bad in ("faces", "cars", 3):
        doc["frames"][0]["boxes"][0]["kind"] = bad
        with pytest.raises(CorruptInput, match="kind: must be one of people, plates, text"):
            plan_from_bytes(to_bytes(doc), "plan.json")


def test_video_plan_without_a_kind_asked_for_now_is_refused_with_one_line(tmp_path, green):
    # Video plans hold the other kinds now (tests/test_plan_video_kinds.py); a faces-only plan
    # rendered with --cover text is refused: a video render from a plan detects nothing.
    clip = make_clip(tmp_path / "c.mp4", width=64, height=48, n=6)
    assert make_plan(clip.path, TEXT, detector=MagentaDetector()).planned_kinds == ("text",)
    plan = make_plan(clip.path, Settings(), detector=MagentaDetector())
    with pytest.raises(ConfigError, match="make the plan with --cover faces,text"):
        render_plan(clip.path, plan, tmp_path / "o.mp4", TEXT)
    assert not (tmp_path / "o.mp4").exists()


def test_build_plan_takes_other_kinds_per_video_frame_for_the_video_side():
    # The interface the video pipeline can fill (per-frame Regions with track ids): merged into the
    # frames after the faces, frames kept in order, round-tripped by the loader; faces_for ignores them.
    from unseen.plan import InputInfo, build_plan
    from unseen.plan.encode import dumps
    from unseen.types import Faces, Regions

    info = InputInfo("c.mp4", 10, "0" * 64, "video", 64, 48, 10, (1, 10), 10.0, 1.0)
    face = Faces(np.array([[1, 1, 9, 9]], np.float32), np.array([0.9], np.float32))
    plate = Regions("plates", Faces(np.array([[20, 20, 40, 30]], np.float32), track_ids=np.array([4])))
    plan = build_plan(info, Settings(cover="plates"), "t", [(2, 0.2, face)], others=[(5, 0.5, plate), (2, 0.2, plate)])
    assert [f.index for f in plan.frames] == [2, 5] and plan.version == 2 and plan.box_kinds == ("plates",)
    assert [b.kind for b in plan.frames[0].boxes] == ["faces", "plates"] and plan.frames[1].boxes[0].track == 4
    assert len(plan.faces_for(5)) == 0 and len(plan.regions_for(5)[0]) == 1 and len(plan.regions_for(7)[0]) == 0
    assert plan_from_bytes(dumps(plan).encode(), "plan.json") == plan


def test_looked_for_and_none_found_is_answered_only_by_a_version_2_plan(tmp_path, green):
    # A plan made with --cover text that found no text is version 2 and answers for text: a render
    # does not detect it again. A version 1 plan with the same producer settings (as the one-shot
    # --cover text --save-plan wrote before plans held text) recorded no text: its render detects it.
    face, text = _photo(tmp_path / "p.png")
    plan = make_plan(tmp_path / "p.png", TEXT, detector=MagentaDetector(), thorough=False)
    f0 = plan.frames[0]
    none_found = dataclasses.replace(plan, frames=(dataclasses.replace(f0, boxes=f0.boxes[:1]),))
    assert none_found.version == 2 and none_found.planned_kinds == ("text",) and none_found.box_kinds == ()
    calls = green.calls
    render_plan(tmp_path / "p.png", none_found, tmp_path / "o2.png", TEXT)
    assert green.calls == calls  # answered by the plan: not detected
    save_plan(dataclasses.replace(none_found, version=1), tmp_path / "p.png.plan.json")
    assert json.loads((tmp_path / "p.png.plan.json").read_text())["version"] == 1  # saved again: still 1
    old = load_plan(tmp_path / "p.png.plan.json", media_path=tmp_path / "p.png")
    assert old.version == 1 and old.asked_kinds == ("text",) and old.planned_kinds == ()
    report = render_plan(tmp_path / "p.png", old, tmp_path / "o1.png", TEXT)
    out = np.asarray(Image.open(tmp_path / "o1.png").convert("RGB"))
    assert green.calls == calls + 1 and covered(out, text) == 1.0 and report.details.region_detectors == ["green"]
