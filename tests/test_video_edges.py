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

from unseen.pipeline.video import process_video
from unseen.settings import Settings

from .video_factory import MAGENTA, MagentaDetector, background, covered, magenta_boxes, make_clip, read_frames

W, H, FPS = 192, 144, 10
SIDE, SPEED = 12, 15  # px, px per frame
LEAD = 2  # frames before the square starts to show
N = 20


def _top_left(edge: str, i: int) -> tuple[int, int]:
    """Half of the square shows on frame LEAD, then it moves SPEED px a frame inward."""
    d = (i - LEAD) * SPEED - SIDE // 2  # how far its leading side is inside the frame
    if edge == "left":
        return d - SIDE, 60
    if edge == "right":
        return W - d, 60
    if edge == "top":
        return 90, d - SIDE
    return 90, H - d  # bottom


def _draw(edge: str):
    def draw(i: int, t: float, w: int, h: int) -> np.ndarray:
        img = background(w, h)
        x, y = _top_left(edge, i)
        img[max(0, y) : max(0, y + SIDE), max(0, x) : max(0, x + SIDE)] = MAGENTA
        return img

    return draw


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

