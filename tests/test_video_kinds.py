"""Kinds beyond faces on video are tracked and held like faces: a person or a sign the detector misses
on some frames between two frames where it was found (or just before the first, after the last) is
still covered, and tracking only ever adds cover.

The region detectors here are real :class:`RegionDetector` implementations of a simple kind (a green
patch stands for a line of text, a cyan bar for a person) that also miss chosen frames by call
number: doubles of the detector, run through the real video pipeline and tracker.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from unseen.cover.kinds import box_regions, cover_regions
from unseen.errors import ConfigError
from unseen.pipeline.video import process_video
from unseen.settings import Settings
from unseen.track.kinds import KindTracks
from unseen.types import Faces, Origin, Regions

from .video_factory import GREEN, MagentaDetector, background, covered, magenta_boxes, make_clip, read_frames

CYAN = (0, 255, 255)


class SkippingRegions:
    """A region detector of ``kind`` that finds patches of ``colour`` (grown by 2 px) and finds
    nothing on the calls (frames, in order) in ``miss``."""

    def __init__(self, kind: str, colour: tuple[int, int, int], miss: set[int] | None = None):
        self.kind = kind
        self.name = f"{kind}-patches"
        self.colour = colour
        self.miss = miss or set()
        self.calls = 0

    def detect(self, image: np.ndarray) -> Regions:
        i = self.calls
        self.calls += 1
        h, w = image.shape[:2]
        if i in self.miss:
            return Regions.empty(self.kind)
        boxes = magenta_boxes(image, self.colour)
        if len(boxes):
            boxes = boxes + np.array([-2, -2, 2, 2], np.float32)
        return Regions(self.kind, Faces(boxes).clipped(w, h))


def _sign_and_person(i: int, t: float, w: int, h: int) -> np.ndarray:
    """A sign (green, still) and a person (cyan, walking right 1 px a frame); no face."""
    img = background(w, h)
    img[6:14, 40:70] = GREEN
    img[20:60, 8 + i : 20 + i] = CYAN
    return img


def _run(tmp_path, detectors, n=30, draw=_sign_and_person, **settings):
    clip = make_clip(tmp_path / "in.mp4", width=96, height=64, n=n, draw=draw)
    kinds = ",".join(d.kind for d in detectors)
    report = process_video(
        clip.path,
        tmp_path / "out.mp4",
        Settings(cover=kinds, **settings),
        detector=MagentaDetector(),
        region_detectors=detectors,
    )
    frames, _ = read_frames(tmp_path / "out.mp4")
    assert len(frames) == n
    return clip, frames, report


def test_a_sign_and_a_person_missed_on_some_frames_are_still_covered(tmp_path):
    # Missed between sightings (filled), and on the first and last frames (held).
    text_miss = {0, 1, 9, 10, 11, 12, 20, 28, 29}
    people_miss = {0, 1, 2, 13, 14, 15, 16, 26, 27, 28, 29}
    text = SkippingRegions("text", GREEN, text_miss)
    people = SkippingRegions("people", CYAN, people_miss)
    clip, frames, report = _run(tmp_path, [text, people])
    for i, (src, out) in enumerate(zip(clip.frames, frames, strict=True)):
        for colour, name in ((GREEN, "sign"), (CYAN, "person")):
            for box in magenta_boxes(src, colour):
                assert covered(out, box) >= 0.95, f"frame {i}: the {name} is visible"
    d = report.details
    assert d.kind_frames_covered == {"text": 30, "people": 30}  # one tracked region of each on every frame
    assert d.kind_tracks == {"text": 1, "people": 1}
    assert d.kind_detections == {"text": 30 - len(text_miss), "people": 30 - len(people_miss)}
    assert d.kind_frames_interpolated == {"text": 5, "people": 4}  # the misses between two sightings
    assert d.kind_frames_held == {"text": 4, "people": 7}  # the misses before the first / after the last
    assert d.kind_detect_frames == 30 and d.kinds_stride == 0.0  # the default: every frame


def test_tracking_only_adds_to_what_each_frame_detects(tmp_path):
    # The per-frame mask with tracking contains the per-frame-detection mask: every box the detector
    # found on a frame is covered on that frame, whatever the tracker adds around it. (An invariant:
    # per-frame detection alone passes it too.)
    text = SkippingRegions("text", GREEN, {4, 5, 17})
    people = SkippingRegions("people", CYAN, {3, 8, 9, 22})
    clip, frames, _ = _run(tmp_path, [text, people])
    decoded, _ = read_frames(clip.path)  # what the pipeline's detectors saw
    for i, (src, out) in enumerate(zip(decoded, frames, strict=True)):
        probe_t = SkippingRegions("text", GREEN)
        probe_p = SkippingRegions("people", CYAN)
        for d in (probe_t, probe_p):
            if (d.kind == "text" and i in text.miss) or (d.kind == "people" and i in people.miss):
                continue
            for box in d.detect(src).boxes.boxes:
                assert covered(out, box) >= 0.95, f"frame {i}: a detected {d.kind} region is not covered"


def test_on_a_kinds_stride_every_frame_between_runs_is_covered(tmp_path):
    # --kinds-stride 0.2: the detectors run on every 6th frame of 30 fps (0, 6, ..., 24); the tracks
    # link those sightings, fill the frames between and hold a stride past the last (frames 25-29).
    text = SkippingRegions("text", GREEN)
    people = SkippingRegions("people", CYAN)
    clip, frames, report = _run(tmp_path, [text, people], kinds_stride=0.2, hold_before=0.1, hold_after=0.1)
    assert text.calls == people.calls == 5
    for i, (src, out) in enumerate(zip(clip.frames, frames, strict=True)):
        for colour, name in ((GREEN, "sign"), (CYAN, "person")):
            for box in magenta_boxes(src, colour):
                assert covered(out, box) >= 0.95, f"frame {i}: the {name} is visible"
    d = report.details
    assert d.kind_detect_frames == 5 and d.kinds_stride == 0.2
    assert d.hold_seconds[0] >= 0.2 and d.hold_seconds[1] >= 0.2  # held at least a stride (asked 0.1)
    assert d.kind_frames_covered == {"text": 30, "people": 30}


def test_a_shot_cut_ends_the_tracks_of_other_kinds(tmp_path):
    # A sign on the first shot only; the second shot (a different picture) starts at frame 15. The
    # sign's hold after must stop at the cut: its place in the second shot stays uncovered.
    def draw(i, t, w, h):
        if i < 15:
            img = background(w, h)
            img[6:14, 40:70] = GREEN
            return img
        img = np.full((h, w, 3), 220, np.uint8)
        img[:, : w // 2] = (20, 20, 200)
        return img

    text = SkippingRegions("text", GREEN)
    clip, frames, report = _run(tmp_path, [text], n=24, draw=draw)
    assert report.details.shot_cuts == 1
    for i in range(15):
        assert covered(frames[i], np.array([40, 6, 70, 14])) >= 0.95, f"frame {i}: the sign is visible"
    for i in range(15, 24):
        assert covered(frames[i], np.array([40, 6, 70, 14])) == 0.0, f"frame {i}: held across the cut"


def _boxes(*rows, origin=Origin.DETECTED):
    return Faces(np.asarray(rows, np.float32).reshape(-1, 4), origin=np.full(len(rows), origin, np.uint8))


def test_kind_tracks_keep_every_detected_box_and_fill_between():
    rng = np.random.default_rng(3)
    tracks = KindTracks(["people", "text"], 0.3, 0.3, frame=(200, 100))
    pushed: dict[int, dict[str, np.ndarray]] = {}
    out: dict[int, dict[str, Regions]] = {}
    for i in range(40):
        found = []
        for kind in ("people", "text"):
            if rng.random() < 0.3:
                continue  # missed on this frame
            x = 10 + 2 * i + (0 if kind == "people" else 80)
            b = _boxes([x, 20, x + 20 + rng.integers(0, 3), 80])
            pushed.setdefault(i, {})[kind] = b.boxes
            found.append(Regions(kind, b))
        out.update(tracks.push(i, i / 10, found))
    out.update(tracks.flush())
    assert sorted(out) == list(range(40)) and len(tracks) == 0
    for i, kinds in pushed.items():
        for kind, boxes in kinds.items():
            got = out[i][kind].boxes
            # the detected box is in the output unchanged, as detected
            assert any(np.array_equal(b, boxes[0]) for b in got.boxes[got.origin == Origin.DETECTED])
            # and the pixels it covers are covered (the tracked mask contains the detected one)
            x1, y1, x2, y2 = box_regions(Faces(boxes), 200, 100)[0]
            white = np.full((100, 200, 3), 255, np.uint8)
            cover_regions(white, out[i][kind], Settings(cover="faces," + kind))
            assert (white[y1:y2, x1:x2] == 0).all()
    # a frame between two sightings of a kind is filled for that kind
    for kind in ("people", "text"):
        seen = sorted(i for i in pushed if kind in pushed[i])
        for i in range(seen[0], seen[-1] + 1):
            assert len(out[i][kind]), f"{kind} frame {i} has no box between sightings"


def test_a_silhouette_mask_is_kept_and_the_missed_frames_get_boxes():
    # --people silhouette: a frame where the person is detected is painted by its mask only (the
    # tracker's held boxes of that person do not turn it into a box); a frame where it was missed
    # gets the tracked boxes (no mask stands for it there).
    w, h = 60, 40
    tracks = KindTracks(["people"], 0.2, 0.2, frame=(w, h))
    out: dict[int, dict[str, Regions]] = {}
    for i in range(10):
        mask = np.zeros((h, w), bool)
        if i == 5:
            found = [Regions("people", Faces.empty(), mask)]  # missed
        else:
            mask[10:30, 10 + i : 16 + i] = True
            found = [Regions("people", _boxes([8 + i, 8, 18 + i, 32]), mask)]
        out.update(tracks.push(i, i / 10, found))
    out.update(tracks.flush())
    settings = Settings(cover="people", people="silhouette")
    for i in range(10):
        canvas = np.full((h, w, 3), 255, np.uint8)
        cover_regions(canvas, out[i]["people"], settings)
        painted = (canvas == 0).all(axis=2)
        if i == 5:
            assert painted[10:30, 15:21].all(), "the missed frame is not covered"
            assert out[i]["people"].mask is not None and not out[i]["people"].mask.any()
        else:
            assert np.array_equal(painted, out[i]["people"].mask), f"frame {i}: silhouette lost to boxes"


class FlaggedRegions(SkippingRegions):
    """As :class:`SkippingRegions`, but misses the frames that carry a white flag in their top-left
    corner (by content, not call number: a segmented run decodes some frames twice)."""

    def detect(self, image: np.ndarray) -> Regions:
        if image[0:4, 0:4].mean() > 200:
            self.calls += 1
            return Regions.empty(self.kind)
        return super().detect(image)


FLAGGED = {0, 1, 14, 15, 16, 31, 44, 45, 46, 47, 59, 74, 75, 88, 89}  # around the 0.5 s keyframes too


def _flagged(i: int, t: float, w: int, h: int) -> np.ndarray:
    img = background(w, h)
    img[6:14, 40:70] = GREEN
    x = 8 + (i * 60) // 90
    img[20:60, x : x + 12] = CYAN
    if i in FLAGGED:
        img[0:4, 0:4] = 255
    return img


@pytest.mark.parametrize("workers", [1, 2])
def test_a_segmented_run_tracks_the_other_kinds_and_covers_at_least_one_process(tmp_path, workers):
    clip = make_clip(tmp_path / "in.mp4", width=96, height=64, n=90, fps=30, draw=_flagged, gop=15)

    def run(dst, **kw):
        dets = [FlaggedRegions("text", GREEN), FlaggedRegions("people", CYAN)]
        s = Settings(cover="text,people", **kw)
        return process_video(clip.path, dst, s, detector=MagentaDetector(), region_detectors=dets)

    one = run(tmp_path / "one.mp4")
    seg = run(tmp_path / "seg.mp4", segment_seconds=1.0, segment_workers=workers)
    a, _ = read_frames(tmp_path / "one.mp4")
    b, _ = read_frames(tmp_path / "seg.mp4")
    assert len(a) == len(b) == 90
    kernel = np.ones((3, 3), np.uint8)
    for i, (src, fa, fb) in enumerate(zip(clip.frames, a, b, strict=True)):
        for colour, name in ((GREEN, "sign"), (CYAN, "person")):
            for box in magenta_boxes(src, colour):
                assert covered(fb, box) >= 0.95, f"frame {i}: the {name} is visible in the segmented run"
        ma, mb = np.all(fa < 40, axis=2), np.all(fb < 40, axis=2)
        grown = cv2.dilate(mb.astype(np.uint8), kernel).astype(bool)  # codec ringing at region edges
        assert not np.any(ma & ~grown), f"frame {i}: covered by one process, not by the segmented run"
    # Counted once per frame, by the segment that owns it: the one-process counts.
    for key in ("kind_frames_covered", "kind_detections", "kind_detect_frames"):
        assert getattr(seg.details, key) == getattr(one.details, key), key
    assert one.details.kind_frames_covered == {"text": 90, "people": 90}
    assert one.details.kind_detections == {"text": 90 - len(FLAGGED), "people": 90 - len(FLAGGED)}


def test_segments_refuse_silhouettes_rather_than_leave_them_as_boxes(tmp_path):
    clip = make_clip(tmp_path / "in.mp4", n=6)
    out = tmp_path / "out.mp4"
    with pytest.raises(ConfigError, match="silhouette"):
        process_video(
            clip.path,
            out,
            Settings(cover="people", people="silhouette", segment_seconds=1),
            detector=MagentaDetector(),
            region_detectors=[SkippingRegions("people", CYAN)],
        )
    assert not out.exists()


def test_a_recorded_run_keeps_each_frames_kinds_after_tracking_for_a_plan(tmp_path):
    # PlanRecord.kinds: frame index -> kind -> the final boxes after tracking (what a plan stores).
    from unseen.pipeline.video import PlanRecord

    clip = make_clip(tmp_path / "in.mp4", width=96, height=64, n=20, draw=_sign_and_person)
    record = PlanRecord()
    process_video(
        clip.path,
        tmp_path / "out.mp4",
        Settings(cover="text"),
        detector=MagentaDetector(),
        region_detectors=[SkippingRegions("text", GREEN, {7, 8})],
        record=record,
    )
    assert sorted(record.kinds) == list(range(20))
    for i in (7, 8):
        boxes = record.kinds[i]["text"]
        assert Origin.DETECTED not in boxes.origin and Origin.INTERPOLATED in boxes.origin
        assert set(boxes.track_ids.tolist()) == {0}
    assert Origin.DETECTED in record.kinds[6]["text"].origin
