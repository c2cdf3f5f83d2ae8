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
* a batch keeps photo faces and video face-frames apart (:attr:`BatchReport.photo_faces`,
  :attr:`BatchReport.video_face_frames`): they are different units and are never added.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any

import numpy as np

from ..errors import ExitStatus, UnseenError
from ..types import Faces


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
    kind_frames: dict[str, int] = field(default_factory=dict)  # kinds beyond faces: regions painted, over frames

    def covered_kind(self, kind: str, painted: int) -> None:
        """``painted`` regions of ``kind`` (people, text, plates) covered on one frame."""
        self.kind_frames[kind] = self.kind_frames.get(kind, 0) + painted

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
    # Kinds beyond faces (--cover): regions painted summed over frames, and their detectors.
    kind_frames_covered: dict[str, int] = field(default_factory=dict)
    region_detectors: list[str] = field(default_factory=list)
    plan_rejected: int = 0  # boxes the plan rendered from rejected explicitly (not covered)
    manual_regions: int = 0  # manual regions of the plan (or --region) covered

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
