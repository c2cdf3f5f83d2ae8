"""`unseen check`: re-scan already-anonymized photos and videos for faces that are still visible.

Every photo, and every frame of every video, goes through the most thorough detector
(``preset="thorough"``). A detection counts as a visible face (a :class:`Finding`) when its score
reaches :data:`MIN_SCORE` and it is not sitting on a cover unseen painted: a box whose centre
area is almost all exactly the fill colour (a solid cover) is reported as ``on_cover`` and does not fail
the check; the detector can fire on the outline of a black box, but there is no face left there
to see. Mosaic and blur covers are not excused this way: if the thorough detector still sees a
face in one, the check fails (docs/PRIVACY.md: those modes are weaker).

A photo with alpha is checked in every picture it shows (its colour channels, composited over
white and over black, and the alpha alone: ``detect.alpha_views``), and a solid cover excuses a
detection only where it is opaque too: black colour channels with a face in the alpha are not a
cover.

A face covered only in parts (the cover fell on an eye and the mouth, the rest shows) scores low:
the cover hides what the networks look for. So a weaker detection, from :data:`PARTIAL_MIN_SCORE`
up, is also a visible face (``partial``) when it lies partly on a solid cover, at least
:data:`PARTIAL_FILL_SHARE` of its box, without sitting on it (:func:`partly_on_cover`). The
thorough detector's context levels see a large face whole, so the box spans the visible rest.

A photo with a solid cover is looked at once more with its covers painted mid-grey
(:func:`grey_partials`): beside the black fill a half-covered face scores lower than beside grey
(the astronaut filling a 2000 px photo, half covered: 0.19 against 0.26), so a face the first look
puts just under :data:`PARTIAL_MIN_SCORE` is still reported. Only boxes partly on a cover of the
real picture count from that look. Video frames get one look (the cost is per frame).

``verify_output`` is the same check on one file, raising :class:`VerificationError` (used by
``--verify`` before an output is committed; faces only).

Other kinds (``unseen check --cover text,plates,people``): the settings' kinds beyond faces are
looked for too, each with the detector that covers it (:func:`unseen.detect.kinds.region_detectors_for`,
built once for all the files), with its own thresholds (``min_score`` is the face detector's). A
region it finds clear of every solid cover is visible (a :class:`Finding` with that ``kind``,
failing the check). One that touches a cover (:data:`REGION_COVER_SHARE` of its box on a patch of
the fill colour at least :data:`COVER_MIN_SIDE` px thick: :func:`cover_mask`) is reported as on a
cover and does not fail: the text network reads the covers themselves as text (two black bars
look like two lines of it; so do the covers blurred or inpainted away, tried and measured), so
near a cover it cannot tell a leak from the cover. The price: text left showing beside a cover
too short for it passes this check (it is listed under ``on_cover``); text nowhere near a cover,
as on an output made without ``--cover text``, fails it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..detect.base import FaceDetector, RegionDetector
from ..detect.cache import detector_for
from ..errors import ExitStatus, InputNotFound, UnseenError, UnsupportedFormat, VerificationError
from ..geometry import iou_matrix
from ..media.kinds import media_kind
from ..settings import Settings
from ..types import Faces, Regions

# Lowest detector score reported as a visible face (measured: docs/BENCHMARKS.md, "check false
# alarms"). Detections below it are counted in the report but do not fail the check.
MIN_SCORE = 0.5

# A detection whose central half is at least this share one flat colour, close to the fill
# colour, sits on a solid cover. Tight on purpose: a dim, tiny or overexposed face must never
# pass as a cover, so only near-constant pixels of the fill's colour count.
FLAT_SHARE = 0.95
# Largest per-channel deviation from the median that still counts as "flat" (JPEG/codec noise).
FLAT_TOLERANCE = 8
# Largest per-channel distance of that median from the fill colour.
FILL_TOLERANCE = 24
# A detection at least this sure, with at least this share of its box exactly the fill colour
# (within FLAT_TOLERANCE) but not sitting on a cover, is a face covered only in parts. Measured:
# docs/BENCHMARKS.md, "Photos: portraits at every size" (false alarms on unseen's own outputs).
PARTIAL_MIN_SCORE = 0.2
PARTIAL_FILL_SHARE = 0.05
# The second look at a photo with solid covers paints them this grey (see the module).
GREY_LEVEL = 128
# Other kinds: a patch of the fill colour (within FLAT_TOLERANCE, opaque) that survives an opening
# of this side is a solid cover; a region with at least REGION_COVER_SHARE of its box on one is
# reported as on a cover, not as visible (docs/BENCHMARKS.md, "check --cover text").
COVER_MIN_SIDE = 5
REGION_COVER_SHARE = 0.05


@dataclass(frozen=True)
class Finding:
    """One face the thorough detector still sees."""

    file: str
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in the displayed (upright) picture
    score: float
    frame: int | None = None  # video: frame index (0-based, decode order)
    time: float | None = None  # video: seconds from the start
    on_cover: bool = False  # lies on a flat fill: reported, not counted as visible
    partial: bool = False  # a weaker detection partly on a cover: a face covered only in parts
    kind: str = "faces"  # or a --cover kind beyond faces: people, text, plates

    def where(self) -> str:
        return "" if self.frame is None else f"frame {self.frame} ({self.time:.3f} s)"

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "file": self.file,
            "box": [round(float(v), 1) for v in self.box],
            "score": round(float(self.score), 4),
            "on_cover": self.on_cover,
            "partial": self.partial,
        }
        if self.kind != "faces":
            d["kind"] = self.kind
        if self.frame is not None:
            d["frame"] = self.frame
            d["time"] = round(float(self.time or 0.0), 3)
        return d


@dataclass
class FileCheck:
    """What the check found in one file."""

    file: str
    kind: str
    frames: int = 0
    findings: list[Finding] = field(default_factory=list)  # visible faces (fail the check)
    excused: list[Finding] = field(default_factory=list)  # on a solid cover (reported only)
    below_threshold: int = 0  # weaker detections, counted only
    error: UnseenError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and not self.findings

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "kind": self.kind,
            "frames": self.frames,
            "faces": [f.to_dict() for f in self.findings if f.kind == "faces"],
            "regions": [f.to_dict() for f in self.findings if f.kind != "faces"],
            "on_cover": [f.to_dict() for f in self.excused],
            "below_threshold": self.below_threshold,
            "error": None if self.error is None else self.error.message,
        }


@dataclass
class CheckReport:
    """The result of ``unseen check`` over every file it was given."""

    files: list[FileCheck] = field(default_factory=list)
    min_score: float = MIN_SCORE
    kinds: tuple[str, ...] = ("faces",)  # what was looked for

    @property
    def findings(self) -> list[Finding]:
        return [f for fc in self.files for f in fc.findings]

    def visible(self, kind: str) -> int:
        return sum(f.kind == kind for f in self.findings)

    @property
    def exit_status(self) -> ExitStatus:
        """FACES_FOUND when any face (or region of a kind looked for) is visible; else the first
        error's status; else OK."""
        if self.findings:
            return ExitStatus.FACES_FOUND
        for fc in self.files:
            if fc.error is not None:
                return fc.error.exit_status
        return ExitStatus.OK

    def lines(self) -> list[str]:
        """Human-readable lines: one per visible face or error, then a summary."""
        out = []
        for fc in self.files:
            if fc.error is not None:
                out.append(f"error: {fc.error.message}")
            for f in fc.findings:
                pos = f" {f.where()}:" if f.frame is not None else ""
                box = ", ".join(f"{v:.0f}" for v in f.box)
                part = " (partly covered)" if f.partial else ""
                what = "FACE" if f.kind == "faces" else f.kind.upper()
                out.append(f"{what} {f.file}:{pos} box ({box}) score {f.score:.2f}{part}")
        n_faces = self.visible("faces")
        others = [k for k in self.kinds if k != "faces"]
        n_err = sum(fc.error is not None for fc in self.files)
        frames = sum(fc.frames for fc in self.files)
        seen = [k.upper() for k in self.kinds if self.visible(k)]
        if seen:
            verdict = "FACES VISIBLE" if seen == ["FACES"] else f"VISIBLE: {', '.join(seen)}"
        else:
            verdict = "incomplete" if n_err else ("nothing visible" if others else "no visible face")
        also = "".join(f", {self.visible(k)} visible {k} region(s)" for k in others)
        out.append(
            f"checked {len(self.files)} file(s), {frames} picture(s): {n_faces} visible face(s){also}, "
            f"{n_err} error(s): {verdict}"
        )
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "min_score": self.min_score,
            "exit_status": int(self.exit_status),
            "kinds": list(self.kinds),
            "visible_faces": self.visible("faces"),
            "visible_regions": {k: self.visible(k) for k in self.kinds if k != "faces"},
            "files": [fc.to_dict() for fc in self.files],
        }


# --- the check itself -------------------------------------------------------------------------


def on_solid_cover(rgb: np.ndarray, box: Iterable[float], fill: Iterable[int] = (0, 0, 0)) -> bool:
    """Whether the central half of ``box`` is (almost) exactly the fill colour: a solid cover.

    ``rgb`` is ``(H, W, 3)`` or ``(H, W, 4)``; with alpha, a pixel counts only where it is also
    (almost) opaque, as unseen's covers are: under transparency the colour is not what is seen.
    """
    h, w = rgb.shape[:2]
    x1, y1, x2, y2 = (float(v) for v in box)
    cx, cy, hw, hh = (x1 + x2) / 2, (y1 + y2) / 2, (x2 - x1) / 4, (y2 - y1) / 4
    xa, xb = int(max(0, np.floor(cx - hw))), int(min(w, np.ceil(cx + hw)))
    ya, yb = int(max(0, np.floor(cy - hh))), int(min(h, np.ceil(cy + hh)))
    patch = rgb[ya:yb, xa:xb]
    if patch.size == 0:
        return False
    px = patch[..., :3].reshape(-1, 3).astype(np.int16)
    med = np.median(px, axis=0)
    if np.any(np.abs(med - np.asarray(tuple(fill), np.float64)) > FILL_TOLERANCE):
        return False
    flat = np.all(np.abs(px - med) <= FLAT_TOLERANCE, axis=1)
    if patch.shape[2] == 4:
        flat &= patch[..., 3].reshape(-1) >= 255 - FLAT_TOLERANCE
    return float(flat.mean()) >= FLAT_SHARE


def _fill_share(rgb: np.ndarray, box: Iterable[float], fill: Iterable[int]) -> float:
    """Share of the pixels in ``box`` within FLAT_TOLERANCE of the fill colour in every channel
    (and, with alpha, opaque)."""
    h, w = rgb.shape[:2]
    x1, y1, x2, y2 = (float(v) for v in box)
    xa, xb = int(max(0, np.floor(x1))), int(min(w, np.ceil(x2)))
    ya, yb = int(max(0, np.floor(y1))), int(min(h, np.ceil(y2)))
    patch = rgb[ya:yb, xa:xb]
    if patch.size == 0:
        return 0.0
    near = np.all(np.abs(patch[..., :3].astype(np.int16) - np.asarray(tuple(fill), np.int16)) <= FLAT_TOLERANCE, axis=2)
    if patch.shape[2] == 4:  # as in on_solid_cover: under transparency the colour is not what is seen
        near &= patch[..., 3] >= 255 - FLAT_TOLERANCE
    return float(near.mean())


def partly_on_cover(rgb: np.ndarray, box: Iterable[float], fill: Iterable[int] = (0, 0, 0)) -> bool:
    """Whether ``box`` overlaps a solid cover (PARTIAL_FILL_SHARE of it) without sitting on one."""
    box = tuple(float(v) for v in box)
    return _fill_share(rgb, box, fill) >= PARTIAL_FILL_SHARE and not on_solid_cover(rgb, box, fill)


def _sort(
    faces: Faces,
    pixels: np.ndarray,  # RGB, or RGBA for a photo with alpha
    file: str,
    fc: FileCheck,
    min_score: float,
    fill: tuple[int, int, int],
    frame: int | None = None,
    t: float | None = None,
) -> None:
    for box, score in zip(faces.boxes, faces.scores, strict=True):
        if score < min_score:
            if score >= min(min_score, PARTIAL_MIN_SCORE) and partly_on_cover(pixels, box, fill):
                fc.findings.append(Finding(file, tuple(float(v) for v in box), float(score), frame, t, partial=True))  # type: ignore[arg-type]
            else:
                fc.below_threshold += 1
            continue
        f = Finding(file, tuple(float(v) for v in box), float(score), frame, t)  # type: ignore[arg-type]
        if on_solid_cover(pixels, box, fill):
            fc.excused.append(Finding(f.file, f.box, f.score, frame, t, on_cover=True))
        else:
            fc.findings.append(f)


def grey_partials(
    detector: FaceDetector, pixels: np.ndarray, covers: np.ndarray, fill: Iterable[int] = (0, 0, 0)
) -> list[tuple[tuple[float, float, float, float], float]]:
    """``(box, score)`` of the faces seen with the picture's solid covers (``covers``, its
    :func:`cover_mask`) painted ``GREY_LEVEL`` that reach :data:`PARTIAL_MIN_SCORE` and lie partly
    on a cover of the real ``pixels`` (see the module). Empty when the picture has no solid cover."""
    if not covers.any():
        return []
    grey = np.array(pixels[..., :3], dtype=np.uint8)
    grey[covers] = GREY_LEVEL
    found = detector.detect(np.ascontiguousarray(grey))
    return [
        (tuple(float(v) for v in box), float(score))  # type: ignore[misc]
        for box, score in zip(found.boxes, found.scores, strict=True)
        if score >= PARTIAL_MIN_SCORE and partly_on_cover(pixels, box, fill)
    ]


def _sort_grey(partials: list[tuple[tuple[float, float, float, float], float]], file: str, fc: FileCheck) -> None:
    """The second look's boxes as partial findings, but for those the first look already reported."""
    for box, score in partials:
        known = np.asarray([f.box for f in fc.findings], np.float64).reshape(-1, 4)
        if not (iou_matrix(np.asarray([box], np.float64), known) >= 0.5).any():
            fc.findings.append(Finding(file, box, score, partial=True))


def cover_mask(pixels: np.ndarray, fill: Iterable[int] = (0, 0, 0)) -> np.ndarray:
    """``(H, W)`` bool: the solid covers of a picture, pixels of the fill colour (within
    FLAT_TOLERANCE, opaque) in patches at least :data:`COVER_MIN_SIDE` px thick (an opening), so
    the thin dark strokes of letters are not taken for a cover."""
    import cv2

    px = pixels[..., :3].astype(np.int16)
    near = np.all(np.abs(px - np.asarray(tuple(fill), np.int16)) <= FLAT_TOLERANCE, axis=2)
    if pixels.shape[2] == 4:
        near &= pixels[..., 3] >= 255 - FLAT_TOLERANCE
    k = np.ones((COVER_MIN_SIDE, COVER_MIN_SIDE), np.uint8)
    return cv2.morphologyEx(near.astype(np.uint8), cv2.MORPH_OPEN, k).astype(bool)


def _sort_regions(
    found: Regions,
    pixels: np.ndarray,
    covers: np.ndarray,
    file: str,
    fc: FileCheck,
    frame: int | None = None,
    t: float | None = None,
) -> None:
    """Each region a kind's detector still finds is visible unless it touches a solid cover
    (:data:`REGION_COVER_SHARE` of its box on ``covers``): then it is reported as on a cover."""
    h, w = covers.shape
    for box, score in zip(found.boxes.boxes, found.boxes.scores, strict=True):
        f = Finding(file, tuple(float(v) for v in box), float(score), frame, t, kind=found.kind)  # type: ignore[arg-type]
        x1, y1 = int(max(0, np.floor(box[0]))), int(max(0, np.floor(box[1])))
        x2, y2 = int(min(w, np.ceil(box[2]))), int(min(h, np.ceil(box[3])))
        patch = covers[y1:y2, x1:x2]
        if patch.size and float(patch.mean()) >= REGION_COVER_SHARE:
            fc.excused.append(Finding(f.file, f.box, f.score, frame, t, on_cover=True, kind=found.kind))
        else:
            fc.findings.append(f)


def region_checkers(settings: Settings | None) -> list[RegionDetector]:
    """The detectors of the settings' kinds beyond faces (none for faces only)."""
    from ..detect.kinds import region_detectors_for

    base = settings or Settings()
    return region_detectors_for(base) if base.extra_kinds else []


def check_detector(s: Settings) -> FaceDetector:
    """The detector the check runs for check settings ``s``: the thorough one without the
    mirrored edges and quarter turns (see :meth:`MultiScaleDetector.unrefined`)."""
    from ..detect.multiscale import MultiScaleDetector

    det = detector_for(s)
    return det.unrefined() if isinstance(det, MultiScaleDetector) else det


def check_settings(settings: Settings | None) -> Settings:
    """The thorough preset, keeping only the caller's device, threads, limits and fill colour."""
    base = settings or Settings()
    return Settings(
        preset="thorough",
        device=base.device,
        threads=base.threads,
        max_pixels=base.max_pixels,
        allow_damaged=base.allow_damaged,
        fill=base.fill,
    )


def check_image(
    path: Path,
    settings: Settings | None = None,
    *,
    min_score: float = MIN_SCORE,
    detector: FaceDetector | None = None,
    region_detectors: Sequence[RegionDetector] | None = None,
) -> FileCheck:
    """Re-scan one photo (orientation applied, as it is displayed; with alpha, every view of it).
    ``detector``: in place of the thorough one the check settings name. ``region_detectors``: the
    other kinds to look for (None: those of ``settings``, built here; ``()``: faces only)."""
    from ..detect.alpha_views import detect_shown, regions_in_views, views
    from ..media.image_io import read_image

    s = check_settings(settings)
    fc = FileCheck(str(path), "image")
    try:
        loaded = read_image(path, max_pixels=s.max_pixels)
        det = detector or check_detector(s)
        _sort(detect_shown(det, loaded.pixels), loaded.pixels, str(path), fc, min_score, s.fill)
        covers = cover_mask(loaded.pixels, s.fill)
        _sort_grey(grey_partials(det, loaded.pixels, covers, s.fill), str(path), fc)
        others = region_checkers(settings) if region_detectors is None else region_detectors
        if others:
            shown = views(loaded.pixels)
            for rd in others:
                _sort_regions(regions_in_views(rd, shown), loaded.pixels, covers, str(path), fc)
        fc.frames = 1
    except UnseenError as err:
        fc.error = err.with_path(path)
    return fc


def _video_frames(path: Path, settings: Settings) -> Iterator[tuple[int, float, np.ndarray]]:
    """Every decoded frame of ``path`` as displayed (rotation applied), with index and time."""
    from ..geometry.rotation import upright
    from ..media.video_reader import DecodedFrame, VideoReader, probe_video
    from ..media.video_writer import to_rgb

    info = probe_video(path, max_pixels=settings.max_pixels)
    with VideoReader(info, allow_damaged=settings.allow_damaged) as reader:
        for item in reader.items():
            if not isinstance(item, DecodedFrame):
                continue
            rgb, _k = upright(to_rgb(item.frame, info), info.rotation)
            yield item.index, item.time, rgb


def check_video(
    path: Path,
    settings: Settings | None = None,
    *,
    min_score: float = MIN_SCORE,
    detector: FaceDetector | None = None,
    step: int = 1,
    region_detectors: Sequence[RegionDetector] | None = None,
) -> FileCheck:
    """Re-scan every ``step``-th frame of a video (every frame by default); ``region_detectors``
    as for :func:`check_image`."""
    if step < 1:
        raise ValueError(f"step must be >= 1, got {step}")
    s = check_settings(settings)
    fc = FileCheck(str(path), "video")
    try:
        det = detector or check_detector(s)
        others = region_checkers(settings) if region_detectors is None else region_detectors
        for index, t, rgb in _video_frames(path, s):
            if index % step:
                continue
            _sort(det.detect(rgb), rgb, str(path), fc, min_score, s.fill, index, t)
            if others:
                covers = cover_mask(rgb, s.fill)
                for rd in others:
                    _sort_regions(rd.detect(rgb), rgb, covers, str(path), fc, index, t)
            fc.frames += 1
    except UnseenError as err:
        fc.error = err.with_path(path)
    return fc


def _expand(paths: Iterable[Path]) -> Iterator[tuple[Path, str | None]]:
    for p in paths:
        p = Path(p)
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs.sort()
                for name in sorted(files):
                    q = Path(root) / name
                    kind = media_kind(q)
                    if kind is not None:
                        yield q, kind
        else:
            yield p, media_kind(p)


def check_paths(
    paths: Iterable[str | Path],
    settings: Settings | None = None,
    *,
    min_score: float = MIN_SCORE,
    step: int = 1,
    detector: FaceDetector | None = None,
) -> CheckReport:
    """Check photos and videos (folders are walked for both). Never raises for a bad file: each
    file's error is recorded in its :class:`FileCheck` and sets the report's exit status.

    ``step`` > 1 checks only every step-th video frame (quicker, and no longer a full check).
    ``detector``: in place of the thorough one the check settings name. The kinds of
    ``settings.cover`` beyond faces are looked for too, their detectors built once here (a kind
    with no detector in this build is a :class:`ConfigError`, raised)."""
    others = region_checkers(settings)
    report = CheckReport(min_score=min_score, kinds=("faces", *(d.kind for d in others)))
    for path, kind in _expand(Path(p) for p in paths):
        if kind == "image":
            report.files.append(
                check_image(path, settings, min_score=min_score, detector=detector, region_detectors=others)
            )
        elif kind == "video":
            report.files.append(
                check_video(path, settings, min_score=min_score, step=step, detector=detector, region_detectors=others)
            )
        else:
            fc = FileCheck(str(path), "unknown")
            err: UnseenError = (
                InputNotFound("no such file", path=path)
                if not path.exists()
                else UnsupportedFormat("not a photo or video unseen knows (by its suffix)", path=path)
            )
            fc.error = err
            report.files.append(fc)
    return report


def verify_output(
    path: str | Path,
    kind: str,
    settings: Settings | None = None,
    *,
    min_score: float = MIN_SCORE,
    detector: FaceDetector | None = None,
) -> None:
    """Fail closed: raise :class:`VerificationError` when a face is still visible in ``path``.

    Raises:
        VerificationError: a visible face (the message says where and how sure), or the file
            could not be re-read for the check.
    """
    path = Path(path)
    if kind == "image":
        fc = check_image(path, settings, min_score=min_score, detector=detector, region_detectors=())
    elif kind == "video":
        fc = check_video(path, settings, min_score=min_score, detector=detector, region_detectors=())
    else:
        raise VerificationError(f"cannot verify a {kind!r} output", path=path)
    if fc.error is not None:
        raise VerificationError(f"the output could not be re-read for checking: {fc.error.reason}", path=path)
    if fc.findings:
        f = max(fc.findings, key=lambda f: f.score)
        box = ", ".join(f"{v:.0f}" for v in f.box)
        more = f" (and {len(fc.findings) - 1} more)" if len(fc.findings) > 1 else ""
        raise VerificationError(
            f"a face is still visible at box ({box}), score {f.score:.2f}{more}; nothing was written",
            path=path,
            where=f.where() or None,
        )
