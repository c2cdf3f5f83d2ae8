"""What a run did, per file: faces covered, metadata removed, warnings, or the error.

A :class:`FileReport` has a :class:`MediaKind`, a :class:`Status` and, once a file succeeded, its
kind's details (:class:`ImageDetails` or :class:`VideoDetails`). ``to_dict`` gives the ``--json``
form: enums as their plain values (``"image"``, ``"ok"``), details as a flat dict.

What is counted, and under which name:

* a photo's ``faces``: the regions covered (one per face box);
* a video's ``faces``: **face-frames covered**, the tracked faces covered summed over frames
  (one face on 120 frames: 120). :class:`VideoDetails` also has the frames with at least one cover
  (``frames_covered``), the distinct tracked faces covered (``tracks``), the detector's boxes
  before tracking (``detections``: frames the tracker filled are not in it, a false detection is)
  and the cover rectangles painted (``regions_covered``: every held copy of a face counts);
* a video's kinds beyond faces (``--cover people,text,plates``), per kind: tracked regions covered
  summed over frames (``kind_frames_covered``), of which filled (``kind_frames_interpolated``) or
  held (``kind_frames_held``) on frames where the detector missed them, distinct tracks
  (``kind_tracks``) and the detector's boxes before tracking (``kind_detections``);
* a batch keeps photo faces and video face-frames apart (:attr:`BatchReport.photo_faces`,
  :attr:`BatchReport.video_face_frames`): they are different units and are never added.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any

import numpy as np

from ..errors import ExitStatus, UnseenError
from ..types import Faces, Origin, Regions


class MediaKind(str, Enum):
    """What an input is; the JSON value is the plain string."""

    IMAGE = "image"
    VIDEO = "video"
    FOLDER = "folder"  # only on a report of a folder that could not be processed at all
    UNKNOWN = "unknown"  # a failure before the content was recognised (missing, unreadable)

    def __str__(self) -> str:
        return self.value


class Status(str, Enum):
    OK = "ok"
    FAILED = "failed"

    def __str__(self) -> str:
        return self.value


@dataclass
class ImageDetails:
    width: int
    height: int
    format: str  # the written format (Pillow's name: JPEG, PNG, ...)
    boxes: list[list[float]]  # detector boxes, before growing to head regions
    views: list[str]  # the pictures detection ran on (with alpha: over white, over black, ...)
    detector: str  # which networks, precision, device
    covered: dict[str, int] = field(default_factory=dict)  # regions covered per --cover kind (faces too)
    region_detectors: list[str] = field(default_factory=list)  # the detectors of kinds beyond faces
    plan_rejected: int = 0  # boxes the plan rendered from rejected explicitly (not covered)
    manual_regions: int = 0  # manual regions of the plan (or --region) covered

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class VideoCounters:
    """The covers of a video, counted frame by frame as they are painted."""

    frames_covered: int = 0
    face_frames_covered: int = 0
    regions_covered: int = 0
    track_ids: set[int] = field(default_factory=set)
    # Kinds beyond faces, per kind: tracked regions covered summed over frames (one person on 120
    # frames: 120), those of them covered on a frame where the detector missed them (filled between
    # two sightings; else held: before the first, after the last, across a gap too long to fill), and
    # the distinct tracks covered.
    kind_frames: dict[str, int] = field(default_factory=dict)
    kind_interpolated: dict[str, int] = field(default_factory=dict)
    kind_held: dict[str, int] = field(default_factory=dict)
    kind_track_ids: dict[str, set[int]] = field(default_factory=dict)

    def covered_kind(self, regions: Regions, width: int, height: int) -> None:
        """One frame's final ``regions`` of one kind (people, text, plates), after they are painted."""
        boxes = regions.boxes.clipped(width, height)  # a held box wholly outside the frame covers nothing
        if not len(boxes):
            return
        kind = regions.kind
        ids = boxes.track_ids
        tracked = np.unique(ids[ids >= 0])
        n = len(tracked) + int(np.count_nonzero(ids < 0))  # an untracked box: one region
        interpolated = held = 0
        for i in tracked:
            origins = boxes.origin[ids == i]
            if Origin.DETECTED in origins:
                continue
            if Origin.INTERPOLATED in origins:
                interpolated += 1
            else:
                held += 1
        self.kind_frames[kind] = self.kind_frames.get(kind, 0) + n
        self.kind_interpolated[kind] = self.kind_interpolated.get(kind, 0) + interpolated
        self.kind_held[kind] = self.kind_held.get(kind, 0) + held
        self.kind_track_ids.setdefault(kind, set()).update(int(i) for i in tracked)

    @property
    def tracks(self) -> int:
        return len(self.track_ids)

    def covered(self, faces: Faces, regions: np.ndarray, width: int, height: int) -> None:
        """One frame's final faces (with their track ids) and the regions painted for them."""
        if len(regions) == 0:
            return
        self.frames_covered += 1
        self.regions_covered += len(regions)
        ids = faces.clipped(width, height).track_ids  # a held box wholly outside the frame covers nothing
        tracked = ids[ids >= 0]
        self.face_frames_covered += len(np.unique(tracked)) + int(
            np.count_nonzero(ids < 0)
        )  # an untracked box: one face
        self.track_ids.update(int(i) for i in tracked)


@dataclass
class VideoDetails:
    frames: int
    frames_covered: int  # frames with at least one cover
    face_frames_covered: int  # tracked faces covered, summed over frames (= the report's ``faces``)
    tracks: int  # distinct tracked faces covered
    detections: int  # detector boxes before tracking
    regions_covered: int  # cover rectangles painted, summed over frames (held copies included)
    shot_cuts: int
    width: int
    height: int
    rotation: int
    fps: float  # nominal (timestamps are kept exactly)
    duration: float | None  # seconds, as the container states it
    video_codec: str
    pix_fmt: str
    container: str
    streams_kept: dict[str, int]
    audio_kept: bool  # the CLI reminds that voices identify people
    damage: list[str]
    lookahead_frames: int
    hold_seconds: list[float]
    detect_stride: float
    thorough_frames: int  # frames the preset's own (thorough) passes ran on; all without a schedule
    detector: str
    # Kinds beyond faces (--cover), per kind: tracked regions covered summed over frames (one person
    # on 120 frames: 120); of those, the ones the detector missed on that frame, filled between two
    # sightings (interpolated) or held before the first / after the last (held); distinct tracks
    # covered; the detector's boxes before tracking; and the kinds' detectors.
    kind_frames_covered: dict[str, int] = field(default_factory=dict)
    kind_frames_interpolated: dict[str, int] = field(default_factory=dict)
    kind_frames_held: dict[str, int] = field(default_factory=dict)
    kind_tracks: dict[str, int] = field(default_factory=dict)
    kind_detections: dict[str, int] = field(default_factory=dict)  # the kinds' detector boxes before tracking
    kind_detect_frames: int = 0  # frames the kinds' detectors ran on (all, without --kinds-stride)
    kinds_stride: float = 0.0  # --kinds-stride in effect (0: every frame)
    region_detectors: list[str] = field(default_factory=list)
    plan_rejected: int = 0  # boxes the plan rendered from rejected explicitly (not covered)
    manual_regions: int = 0  # manual regions of the plan (or --region) covered
    segments: int = 0  # --segment-seconds: segments detected apart (0: one detection pass)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


Details = ImageDetails | VideoDetails


@dataclass
class FileReport:
    input: str
    output: str | None = None
    kind: MediaKind = MediaKind.IMAGE
    status: Status = Status.OK
    faces: int = 0  # photo: faces covered; video: face-frames covered (see the module docstring)
    metadata_removed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    exit_status: int = int(ExitStatus.OK)
    seconds: float = 0.0
    details: Details | None = None  # set on success
    error_kind: str | None = None  # the error's class name on failure (not in the JSON form)

    @property
    def ok(self) -> bool:
        return self.status == Status.OK

    def fail(self, err: UnseenError) -> FileReport:
        self.status = Status.FAILED
        self.error = err.message
        self.error_kind = type(err).__name__
        self.exit_status = int(err.exit_status)
        self.output = None
        return self

    def to_dict(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "output": self.output,
            "kind": self.kind.value,
            "status": self.status.value,
            "faces": self.faces,
            "metadata_removed": list(self.metadata_removed),
            "warnings": list(self.warnings),
            "error": self.error,
            "exit_status": self.exit_status,
            "seconds": self.seconds,
            "details": {} if self.details is None else self.details.to_dict(),
        }


@dataclass
class BatchReport:
    files: list[FileReport] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # not media, listed for the user
    workers: int = 1  # processes the files ran on (1: this process)
    workers_how: str = ""  # how that number was chosen, in words (pipeline/worker_count.py)

    @property
    def failed(self) -> list[FileReport]:
        return [f for f in self.files if f.status == Status.FAILED]

    @property
    def succeeded(self) -> list[FileReport]:
        return [f for f in self.files if f.status == Status.OK]

    @property
    def photo_faces(self) -> int:
        """Faces covered in the photos that succeeded."""
        return sum(f.faces for f in self.succeeded if f.kind == MediaKind.IMAGE)

    @property
    def video_face_frames(self) -> int:
        """Face-frames covered in the videos that succeeded (a different unit: never added to faces)."""
        return sum(f.faces for f in self.succeeded if f.kind == MediaKind.VIDEO)

    @property
    def exit_status(self) -> ExitStatus:
        """OK when every file succeeded; else the status of the first failure."""
        for f in self.files:
            if f.status == Status.FAILED:
                return ExitStatus(f.exit_status)
        return ExitStatus.OK

    def extend(self, other: BatchReport) -> None:
        self.files.extend(other.files)
        self.skipped.extend(other.skipped)

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": [f.to_dict() for f in self.files],
            "skipped": list(self.skipped),
            "failed": len(self.failed),
            "photo_faces": self.photo_faces,
            "video_face_frames": self.video_face_frames,
            "exit_status": int(self.exit_status),
            "workers": self.workers,
        }
