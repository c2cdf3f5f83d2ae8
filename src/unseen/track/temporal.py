"""Temporal completeness for video: link faces across frames, fill gaps, hold cover in time.

:class:`TemporalCover` is a streaming stage. Push each frame's detections in order; it returns the
frames whose cover is final, each with the boxes to cover, delayed by a bounded look-ahead
(``max(hold_before, max_gap)`` seconds). What it adds, never removing a detection:

* **gap filling** (``Origin.INTERPOLATED``): a track seen again within ``max_gap`` seconds gets
  boxes interpolated over the frames it was missed in;
* **hold** (``Origin.DILATED``): every detected box, grown a little per second away, is also put
  on the frames of the ``hold_before`` seconds before it and the ``hold_after`` seconds after it
  (a face is there before a detector finds it and after it loses it; a partial or shifted
  detection cannot shrink the cover, because the earlier, larger box is still held);
* **hold along the path** (``Origin.DILATED``): before a track's first sighting and after its last,
  its box is also swept along its measured velocity (back from the first sighting once a later
  one gives the velocity, on the frames still in the look-ahead window; forward from the last
  one, the coast), grown by half the distance moved for the uncertainty of that velocity;
* **a small face seen once** (up to :data:`SMALL_FACE` px, no velocity): its box is held in a box
  growing with the time away, and with a strip growing toward each frame edge it could have come
  in (gone out) at: a small face may be found only by the passes that run once a stride, far
  inside the frame, with its second sighting a stride later. The strip is bounded by that
  premise: it widens as a wedge (only as far off square as the edge-entry model allows at each
  distance), and it reaches no further inside the frame than the face could have got from the edge
  in the rest of the hold (it came in within the hold, or goes out within it). The holds of a track seen once are
  added when a frame leaves the window, by when a track to be seen again within ``max_gap`` has
  been (and then follows its velocity instead);
* **frame edges**: a face first (last) seen within a face size of an edge is held beyond it.

Every held box contains the sighting it is held from (the static hold is kept beside the moved
one), so the first-seen place stays covered; with the frame's size given, boxes are clipped to it.

Rolls: a track keeps the last known roll of its face (CenterFace's landmarks); a sighting without
one (a YuNet cheap tier) and every held or interpolated box of the track takes it, so a tilted head
keeps its turned head region between full detections (:func:`unseen.cover.regions.head_regions`).

A shot cut (``cut=True``) ends every track and stops every hold at the cut.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import numpy as np

from ..types import Faces, Origin
from .association import FIRST_LINK_SPEED, LINK_SPEED, MAX_DISTANCE, match

P = TypeVar("P")

MAX_GAP = 1.0  # seconds a track may go unseen and still be linked (and its gap filled)
GROWTH = 0.2  # held boxes grow by this share of the face size per second away from the evidence
# A box held along a track's velocity also grows, on every side, by this share of the distance it
# was moved: the velocity is measured from a few sightings of a small, jittery (and at a frame
# edge, cut off) box, and may be off by half.
SPEED_UNCERTAINTY = 0.5
# A face up to this size (px, longer side) may be found only by the passes a video runs once a
# stride (the cheap pass on every frame, YuNet at half size, finds faces from about 20 px): seen once,
# it may have moved anywhere since, and gets the two rules below. A larger face seen once is one
# the every-frame pass saw only once (most often not a face): it is held as any sighting is.
SMALL_FACE = 32.0
# A small track seen once has no velocity; its held boxes grow by this many face sizes per second
# away from the sighting, on every side (on top of GROWTH).
UNKNOWN_GROWTH = 1.0
# A track first (last) seen within this many face sizes of a frame edge is taken to have come in
# (gone out) there: its held boxes before (after) reach a face size beyond that edge.
EDGE_NEAR = 1.0
# A small track seen once may have come in (or go out) at an edge this many face sizes a second
# away: it was not found on the way, because the passes that find it run only once a stride (a
# 10 px face at 18 px a frame at 10 fps moves 18 face sizes a second, 180 px between strides).
# The same speed as a first link (association.FIRST_LINK_SPEED): a faster face would not have
# linked to its next sighting either. (15 left a 10 px face at 18 px a frame uncovered for 4
# frames in the leak benchmark's edge_bottom_10fps clip.)
ENTRY_SPEED = FIRST_LINK_SPEED
# ... and on its way in it may have drifted sideways: the strip toward an edge widens, on the two
# sides across it, by this share of its length (a path up to about 27 degrees off square to the
# edge). Without it, the edge_bottom_10fps clip (a 10 px face at 18 px a frame drifting a quarter
# of that sideways) was uncovered on the 4 frames before its first sighting: the strip was only
# as wide as the grown box, and the face 27 px to its side.
ENTRY_SPREAD = 0.5
# The widening is a wedge (no wider than the angle needs at each distance from the sighting), laid as
# this many boxes: a rectangle as wide as the far end needs paints about twice the wedge's area.
WEDGE_STEPS = 4
# Velocities are followed up to this many face sizes per second: a small face at a low frame rate
# moves one or two face sizes a frame (10-20 px a frame at 10-25 fps for a 10-16 px face).
MAX_SPEED = 50.0
# The first sightings (up to this many) extrapolate the hold before the first one along the
# track's velocity as it is then measured (each only adds boxes).
EXTRAPOLATE_SIGHTINGS = 3
_TOUCH = 1.0  # px: a box this close to a frame edge may be cut off by it
_EPS = 1e-6

Frame = tuple[int, int]  # width, height


@dataclass
class _Slot(Generic[P]):
    payload: P
    index: int
    time: float
    segment: int
    # (boxes, scores, origin, track ids, rolls) arrays, made into one validated Faces when the frame
    # is final: a held face adds a part to every frame of its hold, and a Faces each was measurable.
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)

    def add(self, boxes: np.ndarray, origin: Origin, track_ids: np.ndarray | int, roll: np.ndarray | float) -> None:
        """Held or interpolated ``boxes`` with the roll of the sighting they come from (NaN: unknown)."""
        n = len(boxes)
        if n:
            ids = np.broadcast_to(np.asarray(track_ids, np.int64), (n,))
            rolls = np.broadcast_to(np.asarray(roll, np.float32), (n,))
            self.parts.append((boxes, np.zeros(n, np.float32), np.full(n, origin, np.uint8), ids, rolls))

    def faces(self) -> Faces:
        parts = [p for p in self.parts if len(p[0])]
        if not parts:
            return Faces.empty()
        return Faces(*(np.concatenate([p[k] for p in parts]) for k in range(5)))


@dataclass
class _Track:
    id: int
    segment: int
    box: np.ndarray  # last detected box (4,)
    time: float
    index: int
    size: float  # the face's size in px (longer side), not shrunk by boxes cut off at an edge
    centre: np.ndarray  # centre of the last box completed across a frame edge (for the velocity)
    first_box: np.ndarray
    first_time: float
    first_index: int
    sightings: int = 1
    roll: float = math.nan  # the last known roll of its face (a sighting without one keeps it)
    velocity: np.ndarray = field(default_factory=lambda: np.zeros(2, np.float64))  # centre px/s


def _side(box: np.ndarray) -> float:
    return float(max(box[2] - box[0], box[3] - box[1]))


def _gaps(box: np.ndarray, frame: Frame) -> tuple[float, float, float, float]:
    """Distances from ``box`` to the frame's left, top, right and bottom edges."""
    w, h = frame
    return float(box[0]), float(box[1]), float(w - box[2]), float(h - box[3])


def near_edges(box: np.ndarray, size: float, frame: Frame | None, reach: float = EDGE_NEAR) -> tuple[int, ...]:
    """The edges (0 left, 1 top, 2 right, 3 bottom) within ``reach`` face sizes of ``box``."""
    if frame is None:
        return ()
    return tuple(k for k, g in enumerate(_gaps(box, frame)) if g <= reach * size)


def completed(box: np.ndarray, size: float, frame: Frame | None) -> np.ndarray:
    """``box`` grown back to ``size`` across each frame edge that cuts it off (for its centre)."""
    out = box.astype(np.float64).copy()
    if frame is None:
        return out
    gaps = _gaps(out, frame)
    if gaps[0] <= _TOUCH:
        out[0] = min(out[0], out[2] - size)
    if gaps[2] <= _TOUCH:
        out[2] = max(out[2], out[0] + size)
    if gaps[1] <= _TOUCH:
        out[1] = min(out[1], out[3] - size)
    if gaps[3] <= _TOUCH:
        out[3] = max(out[3], out[1] + size)
    return out


def beyond(box: np.ndarray, edges: tuple[int, ...], size: float, frame: Frame) -> np.ndarray:
    """``box`` stretched to ``size`` px beyond each of ``edges``."""
    out = box.copy()
    w, h = frame
    for k in edges:
        if k == 0:
            out[0] = min(out[0], -size)
        elif k == 1:
            out[1] = min(out[1], -size)
        elif k == 2:
            out[2] = max(out[2], w + size)
        else:
            out[3] = max(out[3], h + size)
    return out


def toward(
    box: np.ndarray, edge: int, by: float, size: float, frame: Frame, within: float = float("inf")
) -> np.ndarray:
    """The boxes ``(N, 4)`` covering where a face held at ``box`` may have been on its way in from
    (or out to) ``edge``: from ``box``'s side facing the edge up to ``by`` px toward it (at most
    ``size`` past it) and no further inside the frame than ``within`` px from the edge, widening on
    the two sides across by :data:`ENTRY_SPREAD` of the distance from that side (a face need not come
    in square to the edge). The widening is a wedge, laid as :data:`WEDGE_STEPS` boxes each as wide as
    the face boxes reaching into it need. None (``(0, 4)``) when the face could not have been between
    ``box`` and the edge."""
    b = box.astype(np.float64)
    w, h = frame
    # Distances from the edge (along) and the extent across it, in the edge's own coordinates.
    if edge == 0:
        near, across = b[0], (b[1], b[3])
    elif edge == 1:
        near, across = b[1], (b[0], b[2])
    elif edge == 2:
        near, across = w - b[2], (b[1], b[3])
    else:
        near, across = h - b[3], (b[0], b[2])
    # A face on the way whose side facing the edge is at ``u`` spans ``u`` to ``u + size`` and is off
    # to the side by at most ENTRY_SPREAD * (near - u): the strip reaches a face size past ``near``
    # (beyond it ``box`` holds the faces that have moved less than its growth) and each piece is as
    # wide as the faces that reach into it need. ``within`` has that face size of margin.
    lo, hi = max(near - by, -size), min(near + size, within)
    if hi <= lo + _EPS:
        return np.zeros((0, 4), np.float64)
    out = []
    cuts = np.linspace(lo, hi, WEDGE_STEPS + 1)
    for p, q in zip(cuts[:-1], cuts[1:], strict=True):
        spread = ENTRY_SPREAD * max(0.0, min(near - p + size, near - lo))
        a1, a2 = across[0] - spread, across[1] + spread
        if edge == 0:
            out.append((p, a1, q, a2))
        elif edge == 1:
            out.append((a1, p, a2, q))
        elif edge == 2:
            out.append((w - q, a1, w - p, a2))
        else:
            out.append((a1, h - q, a2, h - p))
    return np.array(out, np.float64)


def clip_to(boxes: np.ndarray, frame: Frame) -> np.ndarray:
    """Boxes ``(N, 4)`` clipped to the frame."""
    w, h = frame
    return np.clip(boxes, 0, np.array([w, h, w, h], np.float64))


def grown(box: np.ndarray, dt: float, velocity: np.ndarray | None = None) -> np.ndarray:
    """``box`` moved ``dt`` seconds along ``velocity`` (at most :data:`MAX_SPEED` face sizes per
    second), unioned with where it was, grown by :data:`GROWTH` of its size per second and by
    :data:`SPEED_UNCERTAINTY` of the distance moved."""
    b = box.astype(np.float64)
    w, h = b[2] - b[0], b[3] - b[1]
    out = b.copy()
    spread = 0.0
    if velocity is not None and np.any(velocity):
        shift = velocity * dt
        cap = max(w, h) * MAX_SPEED * abs(dt)
        norm = float(np.hypot(*shift))
        if norm > cap:
            shift = shift * (cap / norm)
            norm = cap
        moved = b + np.array([shift[0], shift[1], shift[0], shift[1]])
        out = np.array([min(b[0], moved[0]), min(b[1], moved[1]), max(b[2], moved[2]), max(b[3], moved[3])])
        spread = SPEED_UNCERTAINTY * norm
    g = GROWTH * abs(dt)
    return out + np.array([-g * w - spread, -g * h - spread, g * w + spread, g * h + spread])


def grown_all(boxes: np.ndarray, dt: float) -> np.ndarray:
    """Every box of ``boxes (N, 4)`` grown by :data:`GROWTH` of its size per second of ``dt``."""
    b = boxes.astype(np.float64)
    g = GROWTH * abs(dt)
    w = (b[:, 2] - b[:, 0]) * g
    h = (b[:, 3] - b[:, 1]) * g
    return b + np.stack([-w, -h, w, h], axis=1)


class TemporalCover(Generic[P]):
    """Streaming link / fill / hold stage. Output boxes always include every input box."""

    def __init__(
        self, hold_before: float = 0.5, hold_after: float = 0.5, max_gap: float = MAX_GAP, frame: Frame | None = None
    ):
        """``frame`` (width, height) enables the frame-edge rules and clips held boxes to it."""
        if hold_before < 0 or hold_after < 0 or max_gap < 0:
            raise ValueError("hold_before, hold_after and max_gap must be >= 0")
        self.frame = frame
        self.hold_before = hold_before
        self.hold_after = hold_after
        self.max_gap = max_gap
        self.lookahead = max(hold_before, max_gap)
        self._slots: deque[_Slot[P]] = deque()
        self._tracks: list[_Track] = []
        self._single: list[_Track] = []  # tracks seen once whose holds are still to be put on frames
        self._recent: deque[tuple[float, int, np.ndarray, np.ndarray, np.ndarray]] = deque()  # detections to hold after
        self._segment = 0
        self._next_id = 0
        self._index = 0
        self.max_buffered = 0  # for tests and memory reports

    def __len__(self) -> int:
        return len(self._slots)

    # --- streaming -------------------------------------------------------------------------
    def push(self, payload: P, time: float, detections: Faces, *, cut: bool = False) -> list[tuple[P, Faces]]:
        """Add one frame (in display order, ``time`` in seconds); return frames now final."""
        if self._slots and time < self._slots[-1].time - _EPS:
            raise ValueError(f"frames must come in time order ({time} after {self._slots[-1].time})")
        if cut:
            self._segment += 1
            self._tracks = []
        slot: _Slot[P] = _Slot(payload, self._index, float(time), self._segment)
        self._index += 1
        keep_for = max(self.hold_after, self.max_gap)
        self._tracks = [t for t in self._tracks if time - t.time <= keep_for + _EPS]

        boxes = detections.boxes.astype(np.float64)
        ids = np.full(len(detections), -1, np.int64)
        rolls = detections.roll.copy()
        predicted = np.array([grown(t.box, time - t.time, t.velocity) for t in self._tracks]).reshape(-1, 4)
        gaps = np.array([time - t.time for t in self._tracks], np.float64)
        # Without a velocity a track may have moved at any speed; with one, it is predicted.
        speeds = np.array([LINK_SPEED if t.sightings > 1 else FIRST_LINK_SPEED for t in self._tracks], np.float64)
        sizes = np.array([t.size for t in self._tracks], np.float64)
        pairs = match(predicted, boxes, MAX_DISTANCE + speeds * gaps, sizes)
        matched_tracks = set()
        for trow, drow in pairs:
            track = self._tracks[trow]
            matched_tracks.add(trow)
            ids[drow] = track.id
            self._link(track, slot, boxes[drow], float(rolls[drow]))
            rolls[drow] = track.roll  # a sighting without a roll (YuNet, a cheap tier) takes its track's
        for drow in range(len(boxes)):
            if ids[drow] < 0:
                track = self._new_track(slot, boxes[drow], float(rolls[drow]))
                ids[drow] = track.id
        for trow, track in enumerate(self._tracks):
            # The coast of a track seen once is added when its frames are emitted (see _emit).
            if trow in matched_tracks or track.sightings == 1:
                continue
            dt = slot.time - track.time
            if dt <= self.hold_after + _EPS:
                slot.add(self._held(track, track.box, dt), Origin.DILATED, track.id, track.roll)
        self._hold(slot, boxes, ids, rolls)

        slot.parts.insert(0, (detections.boxes, detections.scores, detections.origin, ids, rolls))
        self._slots.append(slot)
        self.max_buffered = max(self.max_buffered, len(self._slots))
        return self._emit(lambda s: slot.time - s.time > self.lookahead + _EPS)

    def flush(self) -> list[tuple[P, Faces]]:
        """Every remaining frame (call at the end of the video)."""
        return self._emit(lambda s: True)

    # --- internals -------------------------------------------------------------------------
    def _emit(self, ready: Any) -> list[tuple[P, Faces]]:
        out = []
        while self._slots and ready(self._slots[0]):
            s = self._slots.popleft()
            self._hold_single(s)
            out.append((s.payload, s.faces()))
        return out

    def _hold_single(self, s: _Slot[P]) -> None:
        """Hold the tracks seen once (so far) on ``s``, the last moment that can be done: by the time
        a frame is emitted, a track that was to be seen again within ``max_gap`` of its sighting has
        been (the look-ahead is at least that long), and was extrapolated along its velocity."""
        keep = []
        for track in self._single:
            if track.sightings > 1 or s.time - track.first_time > self.hold_after + _EPS:
                continue  # done with: it has a velocity, or its hold after has passed
            keep.append(track)
            dt = s.time - track.first_time
            if s.segment == track.segment and s.index != track.first_index and -dt <= self.hold_before + _EPS:
                s.add(self._held(track, track.first_box, dt), Origin.DILATED, track.id, track.roll)
        self._single = keep

    def _new_track(self, slot: _Slot[P], box: np.ndarray, roll: float) -> _Track:
        size = _side(box)
        track = _Track(
            self._next_id, self._segment, box.copy(), slot.time, slot.index, size,
            _centre(completed(box, size, self.frame)), box.copy(), slot.time, slot.index, roll=roll,
        )  # fmt: skip
        self._next_id += 1
        self._tracks.append(track)
        if self.hold_before > 0 or self.hold_after > 0:
            self._single.append(track)
        return track

    def _held(self, track: _Track, box: np.ndarray, dt: float) -> np.ndarray:
        """The boxes ``(N, 4)`` to hold ``dt`` seconds (negative: before) away from ``track``'s
        sighting ``box``, clipped to the frame; the first contains ``box``.

        With a velocity: ``box`` swept along it. A small face seen once: ``box`` grown with the time
        and, toward each frame edge the face could have come in (gone out) at in the hold at
        :data:`ENTRY_SPEED`, a strip growing at that speed (a wedge, and no further inside than the
        rest of the hold's travel from the edge). Within :data:`EDGE_NEAR` of an edge: held beyond
        it in any case."""
        small_once = track.sightings == 1 and track.size <= SMALL_FACE
        if track.sightings > 1:
            out = grown(box, dt, track.velocity)
        elif small_once:
            g = (GROWTH + UNKNOWN_GROWTH) * abs(dt) * track.size
            out = box + np.array([-g, -g, g, g])
        else:
            out = grown(box, dt)
        if self.frame is None:
            return out[None]
        size, frame = track.size, self.frame
        boxes = [out]
        if small_once:
            hold = self.hold_before if dt < 0 else self.hold_after
            by = ENTRY_SPEED * abs(dt) * size
            # Came in within the hold (went out within it): ``dt`` away from the sighting, the face
            # is at most the rest of the hold's travel inside the edge.
            within = (EDGE_NEAR + ENTRY_SPEED * max(0.0, hold - abs(dt))) * size
            for k in near_edges(box, size, frame, EDGE_NEAR + ENTRY_SPEED * hold):
                boxes.extend(toward(out, k, by, size, frame, within))
        for k in near_edges(box, size, frame):
            boxes.append(beyond(out, (k,), size, frame))
        return clip_to(np.array(boxes), frame)

    def _before_first(self, track: _Track) -> None:
        """Hold ``track``'s first box along its velocity over the frames still buffered of the
        ``hold_before`` seconds before its first sighting."""
        if self.hold_before <= 0:
            return
        for s in reversed(self._slots):
            if s.index >= track.first_index:
                continue
            dt = s.time - track.first_time
            if -dt > self.hold_before + _EPS or s.segment != track.segment:
                break
            s.add(self._held(track, track.first_box, dt), Origin.DILATED, track.id, track.roll)

    def _link(self, track: _Track, slot: _Slot[P], box: np.ndarray, roll: float) -> None:
        if not math.isnan(roll):
            track.roll = roll
        dt = slot.time - track.time
        if slot.index - track.index > 1 and dt <= self.max_gap + _EPS:
            for s in self._slots:
                if track.index < s.index < slot.index and s.segment == track.segment:
                    a = (s.time - track.time) / dt if dt > 0 else 0.5
                    s.add(((1 - a) * track.box + a * box)[None], Origin.INTERPOLATED, track.id, track.roll)
        cut_off = self.frame is not None and min(_gaps(box, self.frame)) <= _TOUCH
        track.size = max(track.size, _side(box)) if cut_off else _side(box)
        centre = _centre(completed(box, track.size, self.frame))
        if dt > 0:
            v = (centre - track.centre) / dt
            track.velocity = v if track.sightings == 1 else 0.5 * track.velocity + 0.5 * v
        track.box = box.copy()
        track.centre = centre
        track.time = slot.time
        track.index = slot.index
        track.sightings += 1
        if track.sightings <= EXTRAPOLATE_SIGHTINGS and dt > 0:
            self._before_first(track)

    def _hold(self, slot: _Slot[P], boxes: np.ndarray, ids: np.ndarray, rolls: np.ndarray) -> None:
        """Hold this frame's detections back over earlier frames, and earlier ones onto this."""
        while self._recent and (
            slot.time - self._recent[0][0] > self.hold_after + _EPS or self._recent[0][1] != slot.segment
        ):
            self._recent.popleft()
        for t, _, b, i, r in self._recent:
            slot.add(grown_all(b, slot.time - t), Origin.DILATED, i, r)
        if len(boxes) == 0:
            return
        if self.hold_before > 0:
            for s in reversed(self._slots):
                dt = slot.time - s.time
                if dt > self.hold_before + _EPS or s.segment != slot.segment:
                    break
                s.add(grown_all(boxes, dt), Origin.DILATED, ids, rolls)
        if self.hold_after > 0:
            self._recent.append((slot.time, slot.segment, boxes.copy(), ids.copy(), rolls.copy()))


def _centre(box: np.ndarray) -> np.ndarray:
    return (box[:2] + box[2:]) / 2


__all__ = ["TemporalCover", "grown", "grown_all", "near_edges", "completed", "MAX_GAP", "GROWTH"]
