"""Video plans with the other ``--cover`` kinds (plan version 2): ``make_plan`` records each frame's
final people/text/plates boxes after tracking (detected, interpolated, held; track ids), and a render
from the plan covers faces and those kinds without running any detector, at least what the one-shot
run covers on every frame; a rejected kind box is left visible only where it was rejected; a version
1 video plan still loads and renders.

The region detectors are the real :class:`RegionDetector` doubles of ``test_video_kinds`` (a green
patch stands for a sign's text, a cyan bar for a person), missing chosen frames so tracking has
something to fill; faces are magenta squares (``video_factory``)."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest

from unseen.errors import ConfigError
from unseen.pipeline.plan_run import make_plan, render_plan
from unseen.pipeline.video import process_video
from unseen.plan import Rejection, load_plan, save_plan
from unseen.settings import Settings
from unseen.types import Origin, Regions

from .test_video_kinds import CYAN, SkippingRegions
from .video_factory import GREEN, MagentaDetector, background, covered, make_clip, read_frames

N = 24
SIGN = np.array([40, 6, 70, 14])
FACE = np.array([76, 44, 86, 54])


def _scene(i: int, t: float, w: int, h: int) -> np.ndarray:
    """A still sign (green), a person walking right (cyan) and a still face (magenta)."""
    img = background(w, h)
    img[6:14, 40:70] = GREEN
    img[20:60, 8 + i : 20 + i] = CYAN
    img[44:54, 76:86] = (255, 0, 255)
    return img


class SilhouettePeople(SkippingRegions):
    """People as a silhouette: the cyan pixels grown by a round 6 px, reaching past the boxes (grown
    2 px), as the real silhouette's segmentation reaches into a margin beyond its person's box."""

    def detect(self, image: np.ndarray) -> Regions:
        found = super().detect(image)
        if not len(found):
            return found
        near = np.abs(image[..., :3].astype(np.int16) - np.asarray(CYAN, np.int16)).max(axis=2) < 60
        disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (13, 13))
        return Regions(found.kind, found.boxes, cv2.dilate(near.astype(np.uint8), disc).astype(bool))


class NeverCalled:
    """A region detector that fails the test if a render asks it anything."""

    def __init__(self, kind: str):
        self.kind = kind
        self.name = f"{kind}-never"

    def detect(self, image: np.ndarray) -> Regions:
        raise AssertionError(f"the {self.kind} detector ran during a render from a plan")


def _detectors(people: str = "box") -> list:
    person = SilhouettePeople if people == "silhouette" else SkippingRegions
    return [SkippingRegions("text", GREEN, {7, 8}), person("people", CYAN, {3, 12, 13})]


def _dark(frame: np.ndarray) -> np.ndarray:
    return frame.max(axis=2) < 20


@pytest.mark.parametrize("people", ["box", "silhouette"])
def test_video_plan_with_kinds_renders_at_least_the_one_shot_without_detecting(tmp_path, people):
    clip = make_clip(tmp_path / "c.mp4", width=96, height=64, n=N, draw=_scene)
    # Lossless (crf 0), as in test_plan_run: lossy x264 output varies a little from run to run.
    s = Settings(cover="people,text", people=people, crf=0)
    process_video(clip.path, tmp_path / "one.mp4", s, detector=MagentaDetector(), region_detectors=_detectors(people))
    plan = make_plan(clip.path, s, detector=MagentaDetector(), region_detectors=_detectors(people))
    assert plan.version == 2 and plan.box_kinds == ("people", "text")
    # Each frame holds its final kind boxes after tracking (the hold adds grown copies of nearby
    # sightings), with track ids; the missed frames still have boxes (interpolated or held).
    for i in range(N):
        person, text = plan.regions_for(i)
        assert len(text) and len(person), f"frame {i}"
        assert set(text.boxes.track_ids.tolist()) == {0} and (person.boxes.track_ids >= 0).all()
    # The tracking's copies of a kind inside another box of their track are left out (no cover lost).
    for f in plan.frames:
        for a in f.boxes:
            for c in f.boxes:
                if a is c or a.is_face or a.kind != c.kind or a.track != c.track or a.origin == Origin.DETECTED:
                    continue
                assert not (c.x1 <= a.x1 and c.y1 <= a.y1 and c.x2 >= a.x2 and c.y2 >= a.y2), (f.index, a, c)
    for kind, i in ((1, 7), (1, 8), (0, 12), (0, 13)):
        origins = set(plan.regions_for(i)[kind].boxes.origin.tolist())
        assert origins and int(Origin.DETECTED) not in origins, (kind, i)  # filled or held: not seen there
    saved = tmp_path / "c.mp4.plan.json"
    save_plan(plan, saved)
    assert load_plan(saved, media_path=clip.path) == plan
    report = render_plan(
        clip.path, saved, tmp_path / "two.mp4", s, region_detectors=[NeverCalled("people"), NeverCalled("text")]
    )
    assert report.details.region_detectors == ["plan (people)", "plan (text)"]
    assert report.details.kind_frames_covered == {"people": N, "text": N}
    one, _ = read_frames(tmp_path / "one.mp4")
    two, _ = read_frames(tmp_path / "two.mp4")
    assert len(one) == len(two) == N
    for i, (a, b) in enumerate(zip(one, two, strict=True)):
        assert not (_dark(a) & ~_dark(b)).any(), f"frame {i}: the plan render uncovers pixels"
        assert covered(b, SIGN) == 1.0 and covered(b, FACE) == 1.0
        assert covered(b, np.array([8 + i, 20, 20 + i, 60])) == 1.0, f"frame {i}: the person"
    if people == "silhouette":
        # The render paints the person's box solid (its margin too): more than the one-shot's mask
        # where the person was detected (the missed frames' tracked boxes are boxes in both).
        more = [i for i, (a, b) in enumerate(zip(one, two, strict=True)) if (_dark(b) & ~_dark(a)).any()]
        assert set(more) >= set(range(N)) - {3, 12, 13}


def test_a_rejected_kind_box_is_left_visible_only_where_it_was_rejected(tmp_path):
    clip = make_clip(tmp_path / "c.mp4", width=96, height=64, n=N, draw=_scene)
    s = Settings(cover="people,text", crf=0)
    plan = make_plan(clip.path, s, detector=MagentaDetector(), region_detectors=_detectors())
    frames = list(plan.frames)
    at = next(k for k, f in enumerate(frames) if f.index == 10)
    no = Rejection("tester", "2026-12-02T20:00:00Z", "a shop sign, not private")
    boxes = tuple(dataclasses.replace(b, rejected=no) if b.kind == "text" else b for b in frames[at].boxes)
    frames[at] = dataclasses.replace(frames[at], boxes=boxes)
    plan = dataclasses.replace(plan, frames=tuple(frames))
    report = render_plan(clip.path, plan, tmp_path / "o.mp4", s, region_detectors=[NeverCalled("text")])
    out, _ = read_frames(tmp_path / "o.mp4")
    assert report.details.plan_rejected == sum(b.kind == "text" for b in boxes) > 0
    for i, f in enumerate(out):
        assert covered(f, SIGN) == (0.0 if i == 10 else 1.0), f"frame {i}"
        assert covered(f, FACE) == 1.0  # only the rejected box is left


def test_a_version_1_video_plan_still_loads_and_renders(tmp_path):
    clip = make_clip(tmp_path / "c.mp4", width=96, height=64, n=12, draw=_scene)
    plan = make_plan(clip.path, Settings(), detector=MagentaDetector())
    assert plan.version == 1 and plan.box_kinds == ()
    saved = tmp_path / "c.mp4.plan.json"
    save_plan(plan, saved)
    loaded = load_plan(saved, media_path=clip.path)
    assert loaded.version == 1 and loaded == plan
    render_plan(clip.path, saved, tmp_path / "o.mp4", Settings())
    out, _ = read_frames(tmp_path / "o.mp4")
    assert all(covered(f, FACE) == 1.0 for f in out) and not any(covered(f, SIGN) for f in out)
    # A kind asked for now that the plan does not hold is refused (a video render detects nothing).
    with pytest.raises(ConfigError, match="the video's plan does not hold text"):
        render_plan(clip.path, saved, tmp_path / "t.mp4", Settings(cover="text"))
    assert not (tmp_path / "t.mp4").exists()


def test_a_plan_looked_for_a_kind_and_found_none_answers_for_it(tmp_path):
    # --cover plates on a clip with no plates: version 2, no plate boxes, and the render with
    # --cover plates neither refuses nor detects (looked for and none found is an answer).
    clip = make_clip(tmp_path / "c.mp4", width=96, height=64, n=8, draw=_scene)
    s = Settings(cover="plates")
    plan = make_plan(clip.path, s, detector=MagentaDetector(), region_detectors=[SkippingRegions("plates", (1, 2, 3))])
    assert plan.version == 2 and plan.box_kinds == () and plan.planned_kinds == ("plates",)
    render_plan(clip.path, plan, tmp_path / "o.mp4", s, region_detectors=[NeverCalled("plates")])
    assert len(read_frames(tmp_path / "o.mp4")[0]) == 8


def test_the_command_line_plans_a_video_with_kinds_and_renders_it_without_detecting(tmp_path, monkeypatch):
    import io
    import json

    from unseen.cli import main
    from unseen.detect import kinds
    from unseen.detect.cache import pinned

    def run(*argv):
        out, err = io.StringIO(), io.StringIO()
        return main(list(argv), stdout=out, stderr=err), err.getvalue()

    clip = make_clip(tmp_path / "c.mp4", width=96, height=64, n=12, draw=_scene)
    found = dict(zip(("text", "people"), _detectors(), strict=True))
    for kind, det in found.items():
        monkeypatch.setitem(kinds.BUILDERS, kind, lambda settings, det=det: det)
    with pinned(MagentaDetector()):
        code, err = run("plan", str(clip.path), "--cover", "people,text")
        assert code == 0, err
        doc = json.loads((tmp_path / "c.mp4.plan.json").read_text())
        assert doc["version"] == 2 and {b.get("kind") for f in doc["frames"] for b in f["boxes"]} >= {"people", "text"}
        for kind in found:
            monkeypatch.setitem(kinds.BUILDERS, kind, lambda settings, kind=kind: NeverCalled(kind))
        code, err = run(str(clip.path), "--plan", str(tmp_path / "c.mp4.plan.json"), "--cover", "people,text")
        assert code == 0, err
    out, _ = read_frames(tmp_path / "c.unseen.mp4")
    assert len(out) == 12 and all(covered(f, SIGN) > 0.95 and covered(f, FACE) > 0.95 for f in out)


def test_a_plan_box_holds_a_silhouette_that_reaches_past_its_box():
    # Photo or video: build_plan keeps boxes, grown to hold the mask (a part touching no detected
    # box is a box of its own), so painting them covers at least the mask.
    from unseen.cover.kinds import box_regions
    from unseen.plan import InputInfo, build_plan
    from unseen.types import Faces

    mask = np.zeros((48, 64), bool)
    mask[8:40, 10:30] = True  # the person, past its box (12..28, 10..38) on every side
    mask[2:5, 50:60] = True  # a part far from any box
    found = Regions("people", Faces(np.array([[12, 10, 28, 38]], np.float32)), mask)
    info = InputInfo("p.png", 10, "0" * 64, "image", 64, 48)
    plan = build_plan(info, Settings(cover="people"), "t", [(0, None, Faces.empty())], others=[(0, None, found)])
    painted = np.zeros_like(mask)
    for x1, y1, x2, y2 in box_regions(plan.regions_for(0)[0].boxes, 64, 48):
        painted[y1:y2, x1:x2] = True
    assert not (mask & ~painted).any() and len(plan.regions_for(0)[0]) == 2
