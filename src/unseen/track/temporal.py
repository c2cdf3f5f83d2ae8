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
* **coast** (``Origin.DILATED``): a track not seen in a frame also keeps its last box moved along
  its measured velocity, for ``hold_after`` seconds.

A shot cut (``cut=True``) ends every track and stops every hold at the cut.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import numpy as np

from ..types import Faces, Origin
from .association import LINK_SPEED, MAX_DISTANCE, match

P = TypeVar("P")

MAX_GAP = 1.0  # seconds a track may go unseen and still be linked (and its gap filled)
GROWTH = 0.2  # held boxes grow by this share of the face size per second away from the evidence
_EPS = 1e-6


@dataclass
class _Slot(Generic[P]):
    payload: P
    index: int
    time: float
    segment: int
    # (boxes, scores, origin, track ids) arrays, made into one validated Faces when the frame is
    # final: a held face adds a part to every frame of its hold, and a Faces each was measurable.
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)

    def add(self, boxes: np.ndarray, origin: Origin, track_ids: np.ndarray | int) -> None:
        n = len(boxes)
        if n:
            ids = np.broadcast_to(np.asarray(track_ids, np.int64), (n,))
            self.parts.append((boxes, np.zeros(n, np.float32), np.full(n, origin, np.uint8), ids))

    def faces(self) -> Faces:
        parts = [p for p in self.parts if len(p[0])]
        if not parts:
            return Faces.empty()
        return Faces(*(np.concatenate([p[k] for p in parts]) for k in range(4)))


@dataclass
class _Track:
    id: int
    segment: int
    box: np.ndarray  # last detected box (4,)
    time: float
    index: int
    velocity: np.ndarray = field(default_factory=lambda: np.zeros(2, np.float64))  # centre px/s


def grown(box: np.ndarray, dt: float, velocity: np.ndarray | None = None) -> np.ndarray:
    """``box`` moved ``dt`` seconds along ``velocity`` (capped at one face size, or
    :data:`LINK_SPEED` face sizes per second when longer), unioned with where it was, and grown by
    :data:`GROWTH` of its size per second."""
    b = box.astype(np.float64)
    w, h = b[2] - b[0], b[3] - b[1]
    out = b.copy()
    if velocity is not None and np.any(velocity):
        shift = velocity * dt
        cap = max(w, h) * max(1.0, LINK_SPEED * abs(dt))
        norm = float(np.hypot(*shift))
        if norm > cap:
            shift = shift * (cap / norm)
        moved = b + np.array([shift[0], shift[1], shift[0], shift[1]])
        out = np.array([min(b[0], moved[0]), min(b[1], moved[1]), max(b[2], moved[2]), max(b[3], moved[3])])
    g = GROWTH * abs(dt)
    return out + np.array([-g * w, -g * h, g * w, g * h])


def grown_all(boxes: np.ndarray, dt: float) -> np.ndarray:
    """Every box of ``boxes (N, 4)`` grown by :data:`GROWTH` of its size per second of ``dt``."""
    b = boxes.astype(np.float64)
    g = GROWTH * abs(dt)
    w = (b[:, 2] - b[:, 0]) * g
    h = (b[:, 3] - b[:, 1]) * g
    return b + np.stack([-w, -h, w, h], axis=1)


class TemporalCover(Generic[P]):
    """Streaming link / fill / hold stage. Output boxes always include every input box."""

    def __init__(self, hold_before: float = 0.5, hold_after: float = 0.5, max_gap: float = MAX_GAP):
        if hold_before < 0 or hold_after < 0 or max_gap < 0:
            raise ValueError("hold_before, hold_after and max_gap must be >= 0")
        self.hold_before = hold_before
        self.hold_after = hold_after
        self.max_gap = max_gap
        self.lookahead = max(hold_before, max_gap)
        self._slots: deque[_Slot[P]] = deque()
        self._tracks: list[_Track] = []
        self._recent: deque[tuple[float, int, np.ndarray, np.ndarray]] = deque()  # detections to hold after
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
        predicted = np.array([grown(t.box, time - t.time, t.velocity) for t in self._tracks]).reshape(-1, 4)
        gaps = np.array([time - t.time for t in self._tracks], np.float64)
        pairs = match(predicted, boxes, MAX_DISTANCE + LINK_SPEED * gaps)
        matched_tracks = set()
        for trow, drow in pairs:
            track = self._tracks[trow]
            matched_tracks.add(trow)
            ids[drow] = track.id
            self._link(track, slot, boxes[drow])
        for drow in range(len(boxes)):
            if ids[drow] < 0:
                track = _Track(self._next_id, self._segment, boxes[drow].copy(), slot.time, slot.index)
                self._next_id += 1
                self._tracks.append(track)
                ids[drow] = track.id
        for trow, track in enumerate(self._tracks):
            if trow in matched_tracks or track.index == slot.index:
                continue
            dt = slot.time - track.time
            if dt <= self.hold_after + _EPS:
                slot.add(grown(track.box, dt, track.velocity)[None], Origin.DILATED, track.id)
        self._hold(slot, boxes, ids)

        slot.parts.insert(0, (detections.boxes, detections.scores, detections.origin, ids))
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
            out.append((s.payload, s.faces()))
        return out

    def _link(self, track: _Track, slot: _Slot[P], box: np.ndarray) -> None:
        dt = slot.time - track.time
        if slot.index - track.index > 1 and dt <= self.max_gap + _EPS:
            for s in self._slots:
                if track.index < s.index < slot.index and s.segment == track.segment:
                    a = (s.time - track.time) / dt if dt > 0 else 0.5
                    s.add(((1 - a) * track.box + a * box)[None], Origin.INTERPOLATED, track.id)
        if dt > 0:
            c_old = (track.box[:2] + track.box[2:]) / 2
            c_new = (box[:2] + box[2:]) / 2
            v = (c_new - c_old) / dt
            track.velocity = v if not np.any(track.velocity) else 0.5 * track.velocity + 0.5 * v
        track.box = box.copy()
        track.time = slot.time
        track.index = slot.index

    def _hold(self, slot: _Slot[P], boxes: np.ndarray, ids: np.ndarray) -> None:
        """Hold this frame's detections back over earlier frames, and earlier ones onto this."""
        while self._recent and (
            slot.time - self._recent[0][0] > self.hold_after + _EPS or self._recent[0][1] != slot.segment
        ):
            self._recent.popleft()
        for t, _, b, i in self._recent:
            slot.add(grown_all(b, slot.time - t), Origin.DILATED, i)
        if len(boxes) == 0:
            return
        if self.hold_before > 0:
            for s in reversed(self._slots):
                dt = slot.time - s.time
                if dt > self.hold_before + _EPS or s.segment != slot.segment:
                    break
                s.add(grown_all(boxes, dt), Origin.DILATED, ids)
        if self.hold_after > 0:
            self._recent.append((slot.time, slot.segment, boxes.copy(), ids.copy()))


__all__ = ["TemporalCover", "grown", "grown_all", "MAX_GAP", "GROWTH"]
