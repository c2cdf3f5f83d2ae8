"""A small, fast face entering (and leaving) at a frame edge, found late (issue 11, part 4).

A 12 px magenta square crosses a 10 fps clip at 15 px a frame, entering at one edge and leaving at
the opposite one. The detector sees it only from a few frames after it came in and only until a
few frames before it went out, as a real detector finds a small face late: every frame where any
of it shows must still be covered. With the holds before the first sighting and after the last
one kept at the sighted box, the frames of the entry (and of the exit) were left visible.
"""

from __future__ import annotations

import numpy as np
import pytest

from unseen.detect.base import SinglePassNetBase
from unseen.detect.multiscale import MultiScaleDetector
from unseen.detect.registry import passes_for
from unseen.pipeline.video import process_video
from unseen.settings import Settings
from unseen.types import Faces

from .video_factory import (
    MAGENTA,
    MagentaDetector,
    background,
    covered,
    magenta_boxes,
    make_clip,
    read_frames,
    static_square,
)

W, H, FPS = 192, 144, 10
SIDE, SPEED = 12, 15  # px, px per frame
LEAD = 2  # frames before the square starts to show
N = 20


def _top_left(w: int, h: int, edge: str, i: int) -> tuple[int, int]:
    """Half of the square shows on frame LEAD, then it moves SPEED px a frame inward."""
    d = (i - LEAD) * SPEED - SIDE // 2  # how far its leading side is inside the frame
    if edge == "left":
        return d - SIDE, h // 2 - 12
    if edge == "right":
        return w - d, h // 2 - 12
    if edge == "top":
        return w // 2 - 6, d - SIDE
    return w // 2 - 6, h - d  # bottom


def _draw_at(w: int, h: int, edge: str):
    def draw(i: int, t: float, width: int, height: int) -> np.ndarray:
        img = background(width, height)
        x, y = _top_left(w, h, edge, i)
        img[max(0, y) : max(0, y + SIDE), max(0, x) : max(0, x + SIDE)] = MAGENTA
        return img

    return draw


def _draw(edge: str):
    return _draw_at(W, H, edge)


class _SeenBetween(MagentaDetector):
    """Finds the square only on frames ``first`` to ``last`` (a detector that finds it late and
    loses it early)."""

    def __init__(self, first: int, last: int):
        super().__init__(miss=set(range(first)) | set(range(last + 1, 10_000)))


@pytest.mark.parametrize("edge", ["left", "right", "top", "bottom"])
def test_small_fast_face_is_covered_from_its_entry_at_the_edge_to_its_exit(tmp_path, edge):
    span = W if edge in ("left", "right") else H
    n = min(N, LEAD + (span + SIDE) // SPEED + 1)
    clip = make_clip(tmp_path / "a.mp4", width=W, height=H, n=n, fps=FPS, draw=_draw(edge))
    shown = [i for i, f in enumerate(clip.frames) if len(magenta_boxes(f))]
    first, last = shown[0] + 3, shown[-1] - 2  # found 3 frames after it came in, lost 2 before it left
    det = _SeenBetween(first, last)
    process_video(clip.path, tmp_path / "o.mp4", Settings(), detector=det)
    frames, _ = read_frames(tmp_path / "o.mp4")
    seen = {i for i in range(n) if i not in det.miss}
    assert seen == set(range(first, last + 1)) and len(shown) > last - first + 5
    for i in shown:
        for box in magenta_boxes(clip.frames[i]):
            assert covered(frames[i], box) >= 0.95, f"{edge}: frame {i} (seen {first}-{last}): square {box} not covered"


def test_the_held_cover_keeps_the_first_seen_place_too(tmp_path):
    # Recall first: the extrapolated hold is added to the held box at the first sighting, not put
    # instead of it (a face may also have stood there before it was found).
    edge = "right"
    clip = make_clip(tmp_path / "a.mp4", width=W, height=H, n=14, fps=FPS, draw=_draw(edge))
    shown = [i for i, f in enumerate(clip.frames) if len(magenta_boxes(f))]
    first = shown[0] + 3
    process_video(clip.path, tmp_path / "o.mp4", Settings(), detector=_SeenBetween(first, 13))
    frames, _ = read_frames(tmp_path / "o.mp4")
    at_first = magenta_boxes(clip.frames[first])[0]
    for i in range(max(0, first - 5), first):
        assert covered(frames[i], at_first) >= 0.95, f"frame {i}: the first-seen place {at_first} not covered"


class _Net(SinglePassNetBase):
    """A single-pass net that finds magenta squares, or nothing."""

    multiple = 32

    def __init__(self, name: str, finds: bool):
        self.name = name
        self.finds = finds

    def infer(self, rgb: np.ndarray, threshold: float) -> Faces:
        return Faces(magenta_boxes(rgb)) if self.finds else Faces.empty()


def test_small_fast_face_found_only_by_the_stride_passes_is_covered_from_the_edge(tmp_path):
    # The default schedule over fake nets: only the thorough network sees the square, on the
    # stride's frames (0, 10, 20 at 10 fps). The square comes in at the right edge on frame 2 and is
    # first found on frame 10, 126 px inside; the next sighting is a second later.
    settings = Settings()
    det = MultiScaleDetector(
        {"centerface": _Net("centerface", True), "yunet": _Net("yunet", False)}, passes_for(settings), name="fake"
    )
    w = 320
    clip = make_clip(tmp_path / "a.mp4", width=w, height=96, n=24, fps=FPS, draw=_draw_at(w, 96, "right"))
    report = process_video(clip.path, tmp_path / "o.mp4", settings, detector=det)
    assert report.details.detect_stride == 1.0 and report.details.thorough_frames == 3
    frames, _ = read_frames(tmp_path / "o.mp4")
    for i, src in enumerate(clip.frames):
        for box in magenta_boxes(src):
            assert covered(frames[i], box) >= 0.95, f"frame {i}: square {box} not covered"


def test_a_ten_px_face_at_18_px_a_frame_found_only_on_the_stride_is_covered_from_the_edge(tmp_path):
    # 18 face sizes a second (the leak benchmark's edge_bottom_10fps clip): faster than the 15 the
    # seen-once strips first grew at, which left four frames of its entry uncovered.
    side, speed, w, h = 10, 18, 360, 96

    def draw(i: int, t: float, width: int, height: int) -> np.ndarray:
        img = background(width, height)
        x = w - ((i - LEAD) * speed - side // 2)
        img[h // 2 - 5 : h // 2 + 5, max(0, x) : max(0, x + side)] = MAGENTA
        return img

    _assert_every_square_covered(tmp_path, draw, w, h, n=24, min_seen=18, label="")


@pytest.mark.parametrize("edge", ["left", "right", "top", "bottom"])
def test_a_small_fast_face_drifting_sideways_on_its_way_in_is_covered_from_the_edge(tmp_path, edge):
    # The leak benchmark's edge_bottom_10fps clip: a 10 px face at 18 px a frame, drifting sideways
    # a quarter of that, found only on the stride's frames (0, 10, 20). The strip held toward the
    # edge it came in at was as wide as the grown sighting, and the face was 27 px to its side on
    # the frames before its first sighting.
    side, speed, w, h = 10, 18, 240, 240
    lead = 2

    def draw(i: int, t: float, width: int, height: int) -> np.ndarray:
        img = background(width, height)
        d = (i - lead) * speed  # how far its leading side is inside the frame
        drift = int(d / 4)
        x0, y0 = {
            "left": (d - side, h // 3 + drift),
            "right": (w - d, h // 2 - drift),
            "top": (w // 3 + drift, d - side),
            "bottom": (w // 2 - drift, h - d),
        }[edge]
        if d > 0:
            img[max(0, y0) : max(0, y0 + side), max(0, x0) : max(0, x0 + side)] = MAGENTA
        return img

    _assert_every_square_covered(tmp_path, draw, w, h, n=22, min_seen=12, label=f"{edge}: ")


def _assert_every_square_covered(tmp_path, draw, w: int, h: int, *, n: int, min_seen: int, label: str) -> None:
    """Run the default settings with the fake stride-only detector on the clip ``draw`` makes; every
    magenta square of the input must be covered in the output (and at least ``min_seen`` exist)."""
    settings = Settings()
    det = MultiScaleDetector(
        {"centerface": _Net("centerface", True), "yunet": _Net("yunet", False)}, passes_for(settings), name="fake"
    )
    clip = make_clip(tmp_path / "a.mp4", width=w, height=h, n=n, fps=FPS, draw=draw)
    process_video(clip.path, tmp_path / "o.mp4", settings, detector=det)
    frames, _ = read_frames(tmp_path / "o.mp4")
    seen = 0
    for i, src in enumerate(clip.frames):
        for box in magenta_boxes(src):
            seen += 1
            assert covered(frames[i], box) >= 0.95, f"{label}frame {i}: square {box} not covered"
    assert seen >= min_seen


def test_a_small_face_seen_once_in_the_middle_does_not_paint_the_whole_picture(tmp_path):
    # Issue 11 follow-up: a 12 px square shown on one stride frame (10) in the middle of a 480x360
    # picture is seen once. Its held strips toward the edges (it may have come in at one, and gone
    # out at one, within the hold) were rectangles as wide as their far end needed and held at full
    # length for the whole hold: the whole picture was painted on the frames a second away, and on
    # real clips (carphone, the stage clip) a stray 14 px detection painted every pixel for two
    # seconds. The sighting itself stays covered; the frames next to it keep the strips it needs.
    w, h, side = 480, 360, 12
    x, y = (w - side) // 2, (h - side) // 2
    settings = Settings()
    det = MultiScaleDetector(
        {"centerface": _Net("centerface", True), "yunet": _Net("yunet", False)}, passes_for(settings), name="fake"
    )
    clip = make_clip(tmp_path / "a.mp4", width=w, height=h, n=24, fps=FPS, draw=static_square(x, y, side, frames={10}))
    process_video(clip.path, tmp_path / "o.mp4", settings, detector=det)
    frames, _ = read_frames(tmp_path / "o.mp4")
    assert covered(frames[10], np.array([x, y, x + side, y + side], np.float32)) >= 0.95
    painted = [float((f.max(axis=2) <= 45).mean()) for f in frames]
    assert painted[9] > 0.01 and painted[11] > 0.01  # the hold is still there
    # Old: every pixel painted on frames 0-2 and 18-21, 58 % on average; now at most 78 %, 38 %.
    assert max(painted) <= 0.85, [round(p, 2) for p in painted]
    assert np.mean(painted) <= 0.45, [round(p, 2) for p in painted]
