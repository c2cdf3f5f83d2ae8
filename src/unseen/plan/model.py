"""The typed redaction plan: what was found in one input, what was decided, and what to cover.

Everything is a frozen dataclass of plain values, built by :func:`~.build.build_plan` or by the
loader (:func:`~.io.load_plan`), and turned back into JSON by :mod:`.encode`. The JSON format is
described field by field in ``docs/PLAN.md``; ``plan.schema.json`` is its JSON Schema.
"""

from __future__ import annotations

import bisect
import enum
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..types import Faces, Origin, Regions

# Origin <-> the name a plan file uses for it. DILATED is written "held": it is a detection held
# on (and grown) over frames around the ones where it was seen.
ORIGIN_NAMES = {
    Origin.DETECTED: "detected",
    Origin.INTERPOLATED: "interpolated",
    Origin.DILATED: "held",
    Origin.MANUAL: "manual",
}
ORIGINS_BY_NAME = {name: origin for origin, name in ORIGIN_NAMES.items()}

# What a box may be besides a face (``--cover``'s other kinds, in CoverKind order). A face box has
# no "kind" in the file; the others say theirs (plan version 2).
FACE_KIND = "faces"
OTHER_KINDS = ("people", "text", "plates")
KINDS_VERSION = 2  # = limits.KINDS_VERSION: the first plan version that records them


class FlagKind(enum.Enum):
    """What a review flag points at; the order below is the risk order, highest first."""

    THOROUGH_MISS = "thorough_miss"  # the thorough check found a face the plan does not cover
    CHEAP_ONLY_APPEARANCE = "cheap_only_appearance"  # a track first seen where only the cheap passes ran
    TRACK_GAP = "track_gap"  # a track not detected for a while, covered only by filling
    SHOT_CUT = "shot_cut"  # a new shot: cover is not held across it
    NEAR_THRESHOLD = "near_threshold"  # a detection barely above the threshold
    TINY_FACE = "tiny_face"  # a face smaller than the detector's reliable size
    SHORT_TRACK = "short_track"  # a face seen only briefly

    @property
    def risk(self) -> int:
        """1 for the riskiest kind, then 2, 3, ... in declaration order."""
        return _RISK[self]


_RISK = {kind: rank for rank, kind in enumerate(FlagKind, start=1)}


@dataclass(frozen=True)
class InputInfo:
    """The input a plan belongs to. Video fields are None for a photo."""

    name: str  # the file's name, without its folder
    size: int  # bytes
    sha256: str  # lowercase hex
    kind: str  # "image" or "video"
    width: int
    height: int
    frame_count: int | None = None
    time_base: tuple[int, int] | None = None  # (numerator, denominator) of the stream's time stamps
    fps: float | None = None
    duration: float | None = None  # seconds

    @property
    def is_video(self) -> bool:
        return self.kind == "video"


@dataclass(frozen=True)
class Producer:
    """What made the plan: the settings (a plain dict of Settings fields) and the detector."""

    detector: str
    settings: dict[str, Any] = field(default_factory=dict)
    unseen_version: str = ""


@dataclass(frozen=True)
class Rejection:
    """An explicit decision that a detected box is not a face (a hand, a logo), and by whom."""

    by: str
    at: str  # when, free text (an ISO 8601 time is a good choice)
    why: str = ""


@dataclass(frozen=True, slots=True)
class PlanBox:
    """One box of a frame: pixels x1, y1, x2, y2 (x2 > x1, y2 > y1), as the cover stage gets it."""

    x1: float
    y1: float
    x2: float
    y2: float
    score: float
    origin: Origin
    track: int = -1  # -1: not tracked
    rejected: Rejection | None = None
    kind: str = FACE_KIND  # or one of OTHER_KINDS: covered as that kind is (as found, not grown)
    roll: float | None = None  # the face's roll in degrees (unseen.types.Faces.roll); None: unknown

    @property
    def box(self) -> tuple[float, float, float, float]:
        return (self.x1, self.y1, self.x2, self.y2)

    @property
    def is_face(self) -> bool:
        return self.kind == FACE_KIND


@dataclass(frozen=True)
class FrameBoxes:
    """The boxes of one frame (index 0 for a photo); ``time`` in seconds, None for a photo."""

    index: int
    boxes: tuple[PlanBox, ...]
    time: float | None = None


@dataclass(frozen=True)
class Keyframe:
    at: float  # a frame index (region unit "frame") or seconds (unit "time")
    box: tuple[float, float, float, float]


@dataclass(frozen=True)
class Region:
    """A manual region: covered from ``start`` to ``end`` (inclusive, in ``unit``), its box linearly
    interpolated between keyframes and held at the first/last keyframe's box out to start/end."""

    unit: str  # "frame" or "time"
    start: float
    end: float
    keyframes: tuple[Keyframe, ...]
    note: str = ""

    def box_at(self, at: float) -> tuple[float, float, float, float] | None:
        """The region's box at frame index or time ``at``, or None outside [start, end]."""
        if not (self.start <= at <= self.end) or not self.keyframes:
            return None
        keys = [k.at for k in self.keyframes]
        i = bisect.bisect_right(keys, at)
        if i == 0:
            return self.keyframes[0].box
        if i == len(keys):
            return self.keyframes[-1].box
        a, b = self.keyframes[i - 1], self.keyframes[i]
        w = (at - a.at) / (b.at - a.at)
        return tuple(float(p + w * (q - p)) for p, q in zip(a.box, b.box, strict=True))  # type: ignore[return-value]


@dataclass(frozen=True)
class Flag:
    """A review flag: somewhere a person should look before trusting the plan."""

    kind: FlagKind
    frame: int
    message: str
    time: float | None = None
    box: tuple[float, float, float, float] | None = None
    score: float | None = None
    track: int | None = None

    @property
    def risk(self) -> int:
        return self.kind.risk


@dataclass(frozen=True)
class Plan:
    """A versioned redaction plan for one input."""

    input: InputInfo
    producer: Producer
    frames: tuple[FrameBoxes, ...] = ()  # frames with boxes, by increasing index
    regions: tuple[Region, ...] = ()
    flags: tuple[Flag, ...] = ()  # by risk, highest first
    version: int = 1  # as loaded; the writer writes the oldest version that holds the plan

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_index", {f.index: f for f in self.frames})

    def frame(self, index: int) -> FrameBoxes | None:
        return self._by_index.get(index)  # type: ignore[attr-defined,no-any-return]

    def time_of(self, index: int) -> float | None:
        """A frame's time: as recorded in the plan, else index / fps; None for a photo."""
        entry = self.frame(index)
        if entry is not None and entry.time is not None:
            return entry.time
        if self.input.fps:
            return index / self.input.fps
        return None

    def faces_for(self, index: int, time: float | None = None) -> Faces:
        """The boxes to cover in frame ``index`` (0 for a photo): every box not explicitly rejected,
        plus each manual region's box there (Origin.MANUAL). ``time`` (seconds) places time-keyed
        regions; by default the frame's recorded time, else index / fps."""
        entry = self.frame(index)
        boxes: list[tuple[float, float, float, float]] = []
        scores: list[float] = []
        origins: list[int] = []
        tracks: list[int] = []
        rolls: list[float] = []
        if entry is not None:
            for b in entry.boxes:
                if b.rejected is None and b.is_face:
                    boxes.append(b.box)
                    scores.append(b.score)
                    origins.append(int(b.origin))
                    tracks.append(b.track)
                    rolls.append(math.nan if b.roll is None else b.roll)
        for region in self.regions:
            if region.unit == "frame":
                at: float | None = float(index)
            else:
                at = self.time_of(index) if time is None else time
            box = None if at is None else region.box_at(at)
            if box is not None:
                boxes.append(box)
                scores.append(1.0)
                origins.append(int(Origin.MANUAL))
                tracks.append(-1)
                rolls.append(math.nan)
        if not boxes:
            return Faces.empty()
        return Faces(
            np.asarray(boxes, np.float32),
            np.asarray(scores, np.float32),
            np.asarray(origins, np.uint8),
            np.asarray(tracks, np.int64),
            np.asarray(rolls, np.float32),
        )

    def regions_for(self, index: int) -> tuple[Regions, ...]:
        """The other kinds' boxes to cover in frame ``index`` (people, text, plates; not rejected),
        one :class:`Regions` per kind the plan has boxes of anywhere, in OTHER_KINDS order."""
        entry = self.frame(index)
        out = []
        for kind in self.box_kinds:
            boxes = [] if entry is None else [b for b in entry.boxes if b.kind == kind and b.rejected is None]
            faces = Faces(
                np.asarray([b.box for b in boxes], np.float32).reshape(-1, 4),
                np.asarray([b.score for b in boxes], np.float32),
                np.asarray([int(b.origin) for b in boxes], np.uint8),
                np.asarray([b.track for b in boxes], np.int64),
            )
            out.append(Regions(kind, faces))
        return tuple(out)

    @property
    def has_rolls(self) -> bool:
        """Whether any box records a face's roll (a version 2 field)."""
        return any(b.roll is not None for f in self.frames for b in f.boxes)

    @property
    def box_kinds(self) -> tuple[str, ...]:
        """The kinds other than faces the plan has boxes of, in OTHER_KINDS order (computed once)."""
        cached: tuple[str, ...] | None = self.__dict__.get("_box_kinds")
        if cached is None:
            seen = {b.kind for f in self.frames for b in f.boxes if not b.is_face}
            cached = tuple(k for k in OTHER_KINDS if k in seen)
            object.__setattr__(self, "_box_kinds", cached)
        return cached

    @property
    def asked_kinds(self) -> tuple[str, ...]:
        """The kinds other than faces its producer's ``cover`` setting names (none if unreadable)."""
        cover = self.producer.settings.get("cover")
        if not isinstance(cover, str):
            return ()
        from ..errors import ConfigError
        from ..settings import cover_kinds

        try:
            return tuple(k for k in cover_kinds(cover) if k in OTHER_KINDS)
        except ConfigError:  # a hand-edited setting; the boxes still count
            return ()

    @property
    def planned_kinds(self) -> tuple[str, ...]:
        """The kinds other than faces this plan answers for: those it has boxes of, and, in a plan of
        version 2 or later (made by an unseen that records them), those its producer asked for:
        looked for and none found is an answer too. A version 1 plan made with ``--cover text``
        recorded no text, so its text is not answered for (a render detects it)."""
        have = set(self.box_kinds) | (set(self.asked_kinds) if self.version >= KINDS_VERSION else set())
        return tuple(k for k in OTHER_KINDS if k in have)

    @property
    def box_count(self) -> int:
        return sum(len(f.boxes) for f in self.frames)

    @property
    def rejected_count(self) -> int:
        """Boxes explicitly rejected in the plan (for the report)."""
        return sum(1 for f in self.frames for b in f.boxes if b.rejected is not None)
