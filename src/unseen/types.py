"""The one type for faces that every stage takes and returns.

``Faces`` holds parallel NumPy arrays: boxes ``(N, 4)`` as ``x1, y1, x2, y2`` in pixels of the
frame they belong to (float32), detector scores ``(N,)``, where each box came from ``(N,)`` (see
:class:`Origin`), track ids ``(N,)`` (``-1`` when untracked) and the face's roll ``(N,)`` in degrees
(NaN when unknown: boxes from a source without landmarks). It is validated on creation, supports
boolean/integer indexing, and serializes to plain lists (for a future redaction plan).

Roll: the in-plane angle of the face's up axis, clockwise on screen from the image's up; the up
axis in pixel coordinates (x right, y down) is ``(sin r, -cos r)``, values in ``(-180, 180]``.
Every transform of the boxes (scale, mirror, quarter turns) maps that axis with them.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


class Origin(enum.IntEnum):
    """Where a box came from. Later stages may add boxes of any origin, never remove one."""

    DETECTED = 0
    INTERPOLATED = 1
    DILATED = 2
    MANUAL = 3


def _as(arr: Any, dtype: Any, name: str, shape_msg: str, ndim: int) -> np.ndarray:
    a = np.asarray(arr, dtype=dtype)
    if a.ndim != ndim:
        raise ValueError(f"Faces.{name} must have shape {shape_msg}, got {a.shape}")
    return a


def normal_roll(roll: np.ndarray) -> np.ndarray:
    """Angles in degrees brought into ``(-180, 180]`` (float32; NaN stays NaN)."""
    r = np.asarray(roll, np.float64)
    r = 180.0 - np.mod(180.0 - r, 360.0)
    return r.astype(np.float32)


def roll_of_up(ux: np.ndarray, uy: np.ndarray) -> np.ndarray:
    """The roll (degrees) whose up axis points along ``(ux, uy)`` in pixel coordinates (y down);
    NaN where the vector is zero or not finite."""
    ux, uy = np.asarray(ux, np.float64), np.asarray(uy, np.float64)
    ok = np.isfinite(ux) & np.isfinite(uy) & ((ux != 0) | (uy != 0))
    with np.errstate(invalid="ignore"):
        r = np.degrees(np.arctan2(ux, -uy))
    return normal_roll(np.where(ok, r, np.nan))


@dataclass(frozen=True, eq=False)
class Faces:
    """Face boxes of one frame or image, with scores, origins, track ids and rolls."""

    boxes: np.ndarray
    scores: np.ndarray = field(default=None)  # type: ignore[arg-type]  # None: derived in __post_init__
    origin: np.ndarray = field(default=None)  # type: ignore[arg-type]  # None: derived in __post_init__
    track_ids: np.ndarray = field(default=None)  # type: ignore[arg-type]  # None: derived in __post_init__
    roll: np.ndarray = field(default=None)  # type: ignore[arg-type]  # None: all NaN (unknown)

    def __post_init__(self) -> None:
        boxes = np.asarray(self.boxes, dtype=np.float32)
        if boxes.size == 0:
            boxes = boxes.reshape(0, 4)
        if boxes.ndim != 2 or boxes.shape[1] != 4:
            raise ValueError(f"Faces.boxes must have shape (N, 4) as x1, y1, x2, y2; got {boxes.shape}")
        n = boxes.shape[0]
        if not np.all(np.isfinite(boxes)):
            raise ValueError("Faces.boxes must be finite")
        if n and (np.any(boxes[:, 2] < boxes[:, 0]) or np.any(boxes[:, 3] < boxes[:, 1])):
            raise ValueError("Faces.boxes need x2 >= x1 and y2 >= y1")
        scores = np.ones(n, np.float32) if self.scores is None else _as(self.scores, np.float32, "scores", "(N,)", 1)
        origin = (
            np.full(n, Origin.DETECTED, np.uint8)
            if self.origin is None
            else _as(self.origin, np.uint8, "origin", "(N,)", 1)
        )
        tids = (
            np.full(n, -1, np.int64)
            if self.track_ids is None
            else _as(self.track_ids, np.int64, "track_ids", "(N,)", 1)
        )
        roll = np.full(n, np.nan, np.float32) if self.roll is None else _as(self.roll, np.float32, "roll", "(N,)", 1)
        for name, a in (("scores", scores), ("origin", origin), ("track_ids", tids), ("roll", roll)):
            if a.shape[0] != n:
                raise ValueError(f"Faces.{name} must have shape ({n},) to match boxes, got {a.shape}")
        if n and origin.max() > max(Origin):
            raise ValueError(f"Faces.origin values must be in {[int(o) for o in Origin]}")
        if np.any(np.isinf(roll)):
            raise ValueError("Faces.roll must be finite degrees or NaN (unknown)")
        object.__setattr__(self, "boxes", boxes)
        object.__setattr__(self, "scores", scores)
        object.__setattr__(self, "origin", origin)
        object.__setattr__(self, "track_ids", tids)
        object.__setattr__(self, "roll", normal_roll(roll))

    # --- construction -------------------------------------------------------------------
    @classmethod
    def empty(cls) -> Faces:
        return cls(np.zeros((0, 4), np.float32))

    @classmethod
    def merge(cls, parts: Iterable[Faces]) -> Faces:
        """Concatenate (no de-duplication: overlapping boxes are harmless for covering)."""
        parts = [p for p in parts if len(p)]
        if not parts:
            return cls.empty()
        return cls(
            np.concatenate([p.boxes for p in parts]),
            np.concatenate([p.scores for p in parts]),
            np.concatenate([p.origin for p in parts]),
            np.concatenate([p.track_ids for p in parts]),
            np.concatenate([p.roll for p in parts]),
        )

    # --- access -------------------------------------------------------------------------
    def __len__(self) -> int:
        return int(self.boxes.shape[0])

    def __getitem__(self, index: Any) -> Faces:
        if isinstance(index, (int, np.integer)):
            index = [int(index)]
        return Faces(self.boxes[index], self.scores[index], self.origin[index], self.track_ids[index], self.roll[index])

    def __repr__(self) -> str:
        return f"Faces(n={len(self)})"

    @property
    def widths(self) -> np.ndarray:
        return self.boxes[:, 2] - self.boxes[:, 0]

    @property
    def heights(self) -> np.ndarray:
        return self.boxes[:, 3] - self.boxes[:, 1]

    @property
    def centers(self) -> np.ndarray:
        return np.stack([(self.boxes[:, 0] + self.boxes[:, 2]) / 2, (self.boxes[:, 1] + self.boxes[:, 3]) / 2], axis=1)

    def with_origin(self, origin: Origin) -> Faces:
        return Faces(self.boxes, self.scores, np.full(len(self), origin, np.uint8), self.track_ids, self.roll)

    def with_boxes(self, boxes: np.ndarray) -> Faces:
        """The same faces (scores, origins, ids, rolls) with new boxes of the same frame."""
        return Faces(boxes, self.scores, self.origin, self.track_ids, self.roll)

    def with_track_ids(self, track_ids: np.ndarray) -> Faces:
        return Faces(self.boxes, self.scores, self.origin, track_ids, self.roll)

    def scaled(self, sx: float, sy: float | None = None) -> Faces:
        """Boxes multiplied by a scale (e.g. from a resized detection input back to the frame);
        the up axes are scaled with them (an unequal scale turns them)."""
        sy = sx if sy is None else sy
        r = np.radians(self.roll.astype(np.float64))
        roll = self.roll if sx == sy else roll_of_up(sx * np.sin(r), -sy * np.cos(r))
        boxes = self.boxes * np.array([sx, sy, sx, sy], np.float32)
        return Faces(boxes, self.scores, self.origin, self.track_ids, roll)

    def mirrored(self, width: float) -> Faces:
        """Boxes of a frame ``width`` px wide mirrored left to right (rolls change sign)."""
        b = self.boxes.copy()
        b[:, [0, 2]] = width - self.boxes[:, [2, 0]]
        return Faces(b, self.scores, self.origin, self.track_ids, -self.roll)

    def shifted(self, dx: float, dy: float) -> Faces:
        return self.with_boxes(self.boxes + np.array([dx, dy, dx, dy], np.float32))

    def clipped(self, width: int, height: int) -> Faces:
        """Boxes clipped to the frame; boxes entirely outside are dropped (they cover nothing)."""
        b = self.boxes.copy()
        b[:, [0, 2]] = np.clip(b[:, [0, 2]], 0, width)
        b[:, [1, 3]] = np.clip(b[:, [1, 3]], 0, height)
        keep = (b[:, 2] > b[:, 0]) & (b[:, 3] > b[:, 1])
        return Faces(b[keep], self.scores[keep], self.origin[keep], self.track_ids[keep], self.roll[keep])

    # --- serialization ------------------------------------------------------------------
    def to_dict(self) -> dict[str, list]:
        """Plain lists (JSON): roll as degrees, ``None`` where unknown."""
        return {
            "boxes": [[round(float(v), 2) for v in b] for b in self.boxes],
            "scores": [round(float(s), 4) for s in self.scores],
            "origin": [Origin(int(o)).name.lower() for o in self.origin],
            "track_ids": [int(t) for t in self.track_ids],
            "roll": [None if math.isnan(r) else round(float(r), 2) for r in self.roll],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Faces:
        origin = [Origin[o.upper()] if isinstance(o, str) else int(o) for o in d.get("origin", [])]
        n = len(d.get("boxes", []))
        return cls(
            np.asarray(d.get("boxes", []), np.float32).reshape(n, 4),
            d.get("scores"),  # type: ignore[arg-type]  # None: derived in __post_init__
            origin or None,  # type: ignore[arg-type]
            d.get("track_ids"),  # type: ignore[arg-type]
            None if d.get("roll") is None else [math.nan if r is None else r for r in d["roll"]],  # type: ignore[arg-type]
        )


@dataclass(frozen=True, eq=False)
class Regions:
    """What one :class:`unseen.detect.base.RegionDetector` found in one frame: people, text, plates.

    ``kind`` is a :class:`unseen.settings.CoverKind` value other than ``faces``. ``boxes`` are the
    regions to cover, already grown to their covering margin, as :class:`Faces` (so the video
    tracker and hold stage take them unchanged; scores and origins mean what they mean there).
    ``mask``: optional ``(H, W)`` bool of the frame, the pixels to cover instead of the boxes (a
    silhouette union); when set, the cover paints the mask and the boxes are only counted and
    reported. A region detector never removes a face cover: these are painted after the faces.
    """

    kind: str
    boxes: Faces
    mask: np.ndarray | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.boxes, Faces):
            raise ValueError(f"Regions.boxes must be Faces, got {type(self.boxes).__name__}")
        if self.kind == "faces":
            raise ValueError("Regions are for kinds other than faces (faces go through Faces)")
        if self.mask is not None:
            m = np.asarray(self.mask)
            if m.ndim != 2 or m.dtype != np.bool_:
                raise ValueError(f"Regions.mask must be an (H, W) bool array, got {m.shape} {m.dtype}")

    def __len__(self) -> int:
        return len(self.boxes)

    @classmethod
    def empty(cls, kind: str) -> Regions:
        return cls(kind, Faces(np.zeros((0, 4), np.float32)))
