"""Tracking stage: association, gap filling, holds, shot cuts, and the only-adds contract."""

from __future__ import annotations

import numpy as np
import pytest

from unseen.track import ShotCutDetector, TemporalCover, iou_matrix, match
from unseen.types import Faces, Origin

FPS = 30.0


def _box(x, y, s=20):
    return [x, y, x + s, y + s]


def _run(detections: list[list[list[float]]], cuts: set[int] = frozenset(), **kw) -> list[Faces]:
    tc: TemporalCover[int] = TemporalCover(**kw)
    out: dict[int, Faces] = {}
    for i, boxes in enumerate(detections):
        for idx, faces in tc.push(i, i / FPS, Faces(np.asarray(boxes, np.float32).reshape(-1, 4)), cut=i in cuts):
            out[idx] = faces
    for idx, faces in tc.flush():
        out[idx] = faces
    assert sorted(out) == list(range(len(detections))), "every frame comes out exactly once, in order"
    return [out[i] for i in range(len(detections))]


def _contains(outer: np.ndarray, inner: np.ndarray) -> bool:
    return bool(np.any(np.all((outer[:, :2] <= inner[:2] + 1e-4) & (outer[:, 2:] >= inner[2:] - 1e-4), axis=1)))


def _covers_point(faces: Faces, x: float, y: float) -> bool:
    b = faces.boxes
    return bool(np.any((b[:, 0] <= x) & (x <= b[:, 2]) & (b[:, 1] <= y) & (y <= b[:, 3])))


# --- association -------------------------------------------------------------------------------
def test_iou_matrix_basics():
    a = np.array([_box(0, 0, 10)], np.float32)
    b = np.array([_box(0, 0, 10), _box(5, 0, 10), _box(50, 50, 10)], np.float32)
    assert iou_matrix(a, b)[0].tolist() == pytest.approx([1.0, 50 / 150, 0.0])
    assert iou_matrix(a[:0], b).shape == (0, 3)


def test_match_prefers_overlap_then_near_and_refuses_far():
    tracks = np.array([_box(0, 0), _box(100, 100)], np.float32)
    dets = np.array([_box(102, 101), _box(3, 2), _box(300, 300)], np.float32)
    assert sorted(match(tracks, dets)) == [(0, 1), (1, 0)]
    assert match(tracks[:1], np.array([_box(25, 0)], np.float32)) == []  # 1.25 sizes: too far
    assert match(tracks[:1], np.array([_box(15, 0)], np.float32)) == [(0, 0)]
    assert match(tracks[:1], np.array([_box(45, 0)], np.float32)) == []


# --- the contract: later stages only add ------------------------------------------------------
@pytest.mark.parametrize("seed", range(5))
def test_contract_every_input_box_is_in_the_output(seed):
    rng = np.random.default_rng(seed)
    dets = []
    for _ in range(90):
        n = int(rng.integers(0, 4))
        xy = rng.uniform(0, 300, (n, 2))
        s = rng.uniform(2, 60, (n, 1))
        dets.append(np.concatenate([xy, xy + s], axis=1).tolist())
    cuts = set(rng.choice(90, 3, replace=False).tolist())
    out = _run(dets, cuts=cuts, hold_before=float(rng.uniform(0, 1)), hold_after=float(rng.uniform(0, 1)))
    for i, (inp, got) in enumerate(zip(dets, out)):
        detected = got.origin == Origin.DETECTED
        assert int(detected.sum()) == len(inp), f"frame {i}: detections lost or invented"
        for b in np.asarray(inp, np.float32).reshape(-1, 4):
            assert _contains(got.boxes, b), f"frame {i}: input box {b} missing from output"


def test_detections_get_stable_track_ids():
    dets = [[_box(10 + 2 * i, 10)] for i in range(20)]
    out = _run(dets)
    ids = {int(f.track_ids[f.origin == Origin.DETECTED][0]) for f in out}
    assert len(ids) == 1


# --- gap filling ---------------------------------------------------------------------------
def test_gap_filled_by_interpolation_along_the_motion():
    dets = [[_box(10 + 4 * i, 10)] if not 10 <= i < 20 else [] for i in range(30)]
    out = _run(dets, hold_before=0, hold_after=0)
    for i in range(10, 20):
        x = 10 + 4 * i + 10  # where the face's centre really was
        assert _covers_point(out[i], x, 20), f"frame {i} not covered at x={x}"
        assert Origin.INTERPOLATED in out[i].origin


def test_gap_longer_than_max_gap_is_not_interpolated():
    dets = [[_box(10, 10)] if i in (0, 40) else [] for i in range(41)]
    out = _run(dets, hold_before=0, hold_after=0, max_gap=1.0)
    assert all(len(out[i]) == 0 for i in range(1, 40))


# --- holds -----------------------------------------------------------------------------------
def test_hold_before_and_after_half_a_second():
    dets = [[_box(100, 100)] if i == 30 else [] for i in range(61)]
    out = _run(dets, hold_before=0.5, hold_after=0.5)
    held = [i for i, f in enumerate(out) if _covers_point(f, 110, 110)]
    assert held == list(range(15, 46))
    assert all(Origin.DILATED in out[i].origin for i in held if i != 30)


def test_held_box_follows_the_velocity_and_grows():
    dets = [[_box(10 + 6 * i, 50)] if i < 10 else [] for i in range(25)]
    out = _run(dets, hold_before=0, hold_after=0.5)
    # at frame 14 the face would be at x = 10 + 84 .. 30 + 84
    assert _covers_point(out[14], 10 + 6 * 14 + 10, 60)
    b = out[14].boxes
    assert (b[:, 2] - b[:, 0]).max() > 20


def test_zero_holds_add_nothing():
    dets = [[_box(100, 100)] if i == 5 else [] for i in range(12)]
    out = _run(dets, hold_before=0, hold_after=0, max_gap=0)
    assert [len(f) for f in out] == [0] * 5 + [1] + [0] * 6


def test_lookahead_buffer_is_bounded():
    tc: TemporalCover[int] = TemporalCover(0.5, 0.5, max_gap=1.0)
    for i in range(300):
        tc.push(i, i / FPS, Faces.empty())
        assert len(tc) <= 31 + 1
    assert tc.max_buffered <= 32


# --- cuts ------------------------------------------------------------------------------------
def test_cut_ends_tracks_and_stops_holds():
    dets = [[_box(100, 100)] if i in (10, 25) else [] for i in range(40)]
    out = _run(dets, cuts={20}, hold_before=0.5, hold_after=0.5, max_gap=1.0)
    # without the cut frames 11-24 would be interpolated/held; with it, holds stop at the cut
    assert _covers_point(out[19], 110, 110)  # held after frame 10 up to the cut
    assert not any(Origin.INTERPOLATED in out[i].origin for i in range(40))
    assert _covers_point(out[20], 110, 110)  # hold-before of frame 25, within its shot
    ids10 = out[10].track_ids[out[10].origin == Origin.DETECTED]
    ids25 = out[25].track_ids[out[25].origin == Origin.DETECTED]
    assert ids10[0] != ids25[0]
    dets2 = [[_box(100, 100)] if i == 25 else [] for i in range(40)]
    out2 = _run(dets2, cuts={20}, hold_before=0.5, hold_after=0.5)
    assert not _covers_point(out2[19], 110, 110)  # nothing held back across the cut


def _scene(seed: int, w=160, h=90) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.zeros((h, w, 3), np.uint8)
    img[:] = rng.integers(0, 255, 3)
    for _ in range(6):
        x, y = rng.integers(0, w - 30), rng.integers(0, h - 30)
        img[y : y + 30, x : x + 30] = rng.integers(0, 255, 3)
    return img


def test_shot_cut_detector_finds_hard_cuts_only():
    det = ShotCutDetector()
    a, b = _scene(1), _scene(2)
    frames = []
    for i in range(10):  # a pan: shift scene a by one pixel per frame
        frames.append(np.roll(a, i, axis=1))
    frames.append(b)
    for i in range(5):  # brightness change within the shot
        frames.append(np.clip(b.astype(int) + 4 * i, 0, 255).astype(np.uint8))
    cuts = [i for i, f in enumerate(frames) if det.is_cut(f)]
    assert cuts == [10]


def test_moving_square_is_not_a_cut():
    det = ShotCutDetector()
    bg = np.full((48, 64, 3), 110, np.uint8)
    for i in range(30):
        f = bg.copy()
        f[10:26, i : i + 16] = (255, 0, 255)
        assert not det.is_cut(f)


def test_partial_detection_does_not_shrink_the_held_cover():
    """Regression (generated 'turns' clip): a small, partial detection of a turning face took over
    the track and the larger box stopped being held, leaving most of the face visible."""
    big, small = _box(100, 100, 40), [100, 100, 112, 118]
    dets = [[big] if i <= 10 else [small] if i == 14 else [] for i in range(40)]
    out = _run(dets, hold_before=0.5, hold_after=0.5)
    for i in range(10, 26):  # 0.5 s after the last big box
        assert _covers_point(out[i], 135, 135), f"frame {i}: big box no longer held"


def test_every_detection_is_held_not_only_track_ends():
    dets = [[_box(10 + 10 * i, 50)] for i in range(30)]  # a fast face, detected every frame
    out = _run(dets, hold_before=0.5, hold_after=0.5)
    # frame 20 also carries where the face was 0.5 s earlier and will be 0.3 s later
    assert _covers_point(out[20], 10 + 10 * 5 + 10, 60)
    assert _covers_point(out[20], 10 + 10 * 29 + 10, 60)


# --- small fast faces, frame edges (issue 11) ------------------------------------------------------
def _run_at(fps: float, detections: list[list[list[float]]], **kw) -> list[Faces]:
    tc: TemporalCover[int] = TemporalCover(**kw)
    out: dict[int, Faces] = {}
    for i, boxes in enumerate(detections):
        for idx, faces in tc.push(i, i / fps, Faces(np.asarray(boxes, np.float32).reshape(-1, 4))):
            out[idx] = faces
    for idx, faces in tc.flush():
        out[idx] = faces
    return [out[i] for i in range(len(detections))]


def _fast(i: int) -> list[float]:
    """A 12 px face moving 15 px a frame (at 10 fps, 12.5 face sizes a second) to the right."""
    return _box(20 + 15 * i, 40, 12)


def test_a_small_fast_face_links_from_its_second_sighting():
    # 22 px a frame: nearly two face sizes between the first two sightings, before any velocity
    out = _run_at(10, [[_box(10 + 22 * i, 40, 12)] for i in range(8)], hold_before=0, hold_after=0)
    ids = {int(f.track_ids[f.origin == Origin.DETECTED][0]) for f in out}
    assert len(ids) == 1


def test_hold_before_the_first_sighting_follows_the_velocity_back():
    dets = [[_fast(i)] if i >= 6 else [] for i in range(12)]
    out = _run_at(10, dets, hold_before=0.5, hold_after=0)
    for i in range(1, 6):
        x, y = _fast(i)[0] + 6, 46  # where the face's centre was before it was found
        assert _covers_point(out[i], x, y), f"frame {i}: the face's path before its first sighting not covered"
        assert _contains(out[i].boxes, np.asarray(_fast(6), np.float32)), f"frame {i}: first-seen place not held"


def test_hold_after_the_last_sighting_keeps_up_with_a_fast_face():
    dets = [[_fast(i)] if i <= 5 else [] for i in range(11)]
    out = _run_at(10, dets, hold_before=0, hold_after=0.5)
    for i in range(6, 11):
        assert _covers_point(out[i], _fast(i)[0] + 6, 46), f"frame {i}: the face's path after its last sighting"


def test_a_face_first_seen_at_the_edge_is_held_back_to_and_beyond_it():
    # Seen once, 8 px from the right edge of a 200 px frame: it came in there.
    dets = [[_box(180, 40, 12)] if i == 5 else [] for i in range(8)]
    out = _run_at(10, dets, hold_before=0.5, hold_after=0.5, frame=(200, 100))
    for i in range(5):
        assert _covers_point(out[i], 199.5, 46), f"frame {i}: the strip to the edge it came from not covered"
        assert _covers_point(out[i], 186, 46)
        assert out[i].boxes[:, 2].max() <= 200 and out[i].boxes[:, 0].min() >= 0, "held boxes clipped to the frame"
    assert _covers_point(out[7], 199.5, 46)  # and after: it may have gone out there again


def test_a_face_seen_once_inside_the_frame_is_held_in_a_box_growing_with_the_time():
    dets = [[_box(200, 150, 12)] if i == 5 else [] for i in range(11)]
    out = _run_at(10, dets, hold_before=0.5, hold_after=0.5, frame=(400, 300))
    wide = [float(np.max(f.boxes[:, 2] - f.boxes[:, 0])) for f in out]
    assert wide[0] > wide[3] > wide[4] > 12 and wide[10] > wide[7] > wide[6] > 12
    assert _covers_point(out[0], 200 - 6, 156) and _covers_point(out[10], 212 + 6, 156)  # half a face out, 0.5 s away
    assert not _covers_point(out[0], 5, 156), "not stretched to an edge it cannot have come from in the time"


def test_a_small_face_seen_only_once_a_stride_is_covered_back_to_the_edge_it_came_in_at():
    # 15 px a frame at 10 fps from the right edge of a 480 px frame, found only on every 10th
    # frame (the thorough passes' stride): its first sighting, on frame 10, is 126 px inside, and
    # the second comes when the frames of its entry have left the look-ahead window.
    def place(i):
        return _box(480 - 6 - 15 * (i - 2), 100, 12)

    dets = [[place(i)] if i % 10 == 0 and i else [] for i in range(34)]
    out = _run_at(10, dets, hold_before=1.1, hold_after=1.1, frame=(480, 360))
    for i in range(3, 34):  # its centre is inside from frame 3 on
        b = place(i)
        assert _covers_point(out[i], min(b[0] + 6, 479.5), 106), f"frame {i}: face at x={b[0]} not covered"


def test_a_large_box_seen_once_is_held_as_any_sighting_not_stretched_to_the_edges():
    # A 60 px box seen once: the every-frame cheap pass would have seen such a face again, so this
    # is most often not a face; it gets the plain hold, no growth with the time or strips.
    dets = [[_box(100, 100, 60)] if i == 5 else [] for i in range(11)]
    out = _run_at(10, dets, hold_before=0.5, hold_after=0.5, frame=(400, 300))
    for i in (0, 10):
        b = out[i].boxes
        assert len(b) and (b[:, 2] - b[:, 0]).max() <= 60 * (1 + 2 * 0.2 * 0.5) + 1e-3


def test_a_large_false_box_seen_once_does_not_take_over_a_small_face_s_first_sighting():
    # A 70 px false box on frame 0, then a 16 px face coming in from the bottom edge, first found on
    # frame 12 and again on 15 (25 fps): linked to the false box, the face's first sighting would
    # be a continuation and its hold before would not follow its path back to the edge.
    def face(i):
        return _box(310, 360 - 6 - 14 * (i - 9), 16)

    dets = [[_box(106, 300, 70)] if i == 0 else [face(i)] if i in (12, 15, 18) else [] for i in range(20)]
    out = _run_at(25, dets, hold_before=1.1, hold_after=1.1, frame=(480, 360))
    for i in (9, 10, 11):
        b = face(i)
        assert _covers_point(out[i], b[0] + 8, min(b[1] + 8, 359.5)), f"frame {i}: the face's way in not covered"


def _inside_union(box: np.ndarray, boxes: np.ndarray, frame: tuple[int, int]) -> bool:
    """Every point (on a 1 px grid) of ``box`` clipped to the frame lies in one of ``boxes``."""
    w, h = frame
    x1, y1, x2, y2 = max(box[0], 0.0), max(box[1], 0.0), min(box[2], w), min(box[3], h)
    if x2 <= x1 or y2 <= y1:
        return True  # not in the picture
    xs = np.linspace(x1 + 0.01, x2 - 0.01, max(2, int(x2 - x1) + 1))
    ys = np.linspace(y1 + 0.01, y2 - 0.01, max(2, int(y2 - y1) + 1))
    px, py = (a.ravel() for a in np.meshgrid(xs, ys))
    b = boxes[:, None, :]
    inside = (b[..., 0] <= px) & (px <= b[..., 2]) & (b[..., 1] <= py) & (py <= b[..., 3])
    return bool(inside.any(axis=0).all())


@pytest.mark.parametrize("where", [(60, 40), (150, 100), (20, 110), (230, 20)])
def test_a_face_seen_once_is_held_on_every_straight_way_in_and_out_the_strips_allow(where):
    # The bounded strips of a small face seen once (a wedge, no further inside than the rest of the
    # hold allows) still hold every path of the edge-entry model: from outside any edge, entering
    # within the hold before the sighting, at up to ENTRY_SPEED face sizes a second along the edge's
    # normal and up to ENTRY_SPREAD off square (and the same ways out after it).
    from unseen.track.temporal import ENTRY_SPEED, ENTRY_SPREAD

    frame, fps, side, n0 = (256, 144), 10.0, 12.0, 12
    hold = 1.0 + 1 / fps
    sx, sy = where
    sight = np.array([sx, sy, sx + side, sy + side], np.float64)
    tc: TemporalCover[int] = TemporalCover(hold, hold, frame=frame)
    out: dict[int, np.ndarray] = {}
    for i in range(2 * n0 + 1):
        det = Faces(sight[None].astype(np.float32)) if i == n0 else Faces.empty()
        for k, f in tc.push(i, i / fps, det):
            out[k] = f.boxes.astype(np.float64)
    for k, f in tc.flush():
        out[k] = f.boxes.astype(np.float64)
    w, h = frame
    v = ENTRY_SPEED * side
    checked = 0
    for edge in range(4):
        # where the face is when just outside this edge, on the normal through the sighting
        if edge == 0:
            along, normal = sx + side, np.array([-1.0, 0.0])
        elif edge == 1:
            along, normal = sy + side, np.array([0.0, -1.0])
        elif edge == 2:
            along, normal = w - sx, np.array([1.0, 0.0])
        else:
            along, normal = h - sy, np.array([0.0, 1.0])
        lateral = np.array([normal[1], normal[0]])
        for off in (-1.0, -0.5, 0.0, 0.5, 1.0):
            move = normal * along + lateral * off * ENTRY_SPREAD * along
            for speed in (0.1, 0.3, 0.6, 1.0):
                took = along / (speed * v)  # seconds from the edge to the sighting
                if took > hold:
                    continue
                for k in range(2 * n0 + 1):
                    dt = (k - n0) / fps
                    if k == n0 or abs(dt) > took + 1e-9:
                        continue
                    d = move * abs(dt) / took  # the same way out after the sighting
                    box = sight + np.array([d[0], d[1], d[0], d[1]])
                    checked += 1
                    assert _inside_union(box, out[k], frame), f"edge {edge}, off {off}, speed {speed}, frame {k}"
    assert checked > 20
