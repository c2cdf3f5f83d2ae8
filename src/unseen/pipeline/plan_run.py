"""Plans in the pipeline: detect once and write the plan (no media), render from a plan (no
detection), through the same fail-closed commit as a full run (temp file, verify, rename)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from ..detect import FaceDetector
from ..detect.alpha_views import detect_views, views
from ..detect.base import RegionDetector
from ..detect.cache import detector_for
from ..errors import UnseenError
from ..media.image_io import read_image
from ..plan import FlagEvidence, Plan, Region, build_plan, describe_input, load_plan, save_plan
from ..settings import Settings
from ..types import Faces, Regions
from .report import FileReport

Progress = Callable[[int, int | None], None]

PLAN_SUFFIX = ".plan.json"


def plan_path_for(media: str | Path, out_dir: str | Path | None = None, *, root: str | Path | None = None) -> Path:
    """``NAME.plan.json`` beside ``media``, or under ``out_dir`` (mirroring ``media``'s place under
    ``root`` when given)."""
    m = Path(media)
    name = m.name + PLAN_SUFFIX
    if out_dir is None:
        return m.with_name(name)
    if root is not None:
        try:
            rel = m.parent.resolve().relative_to(Path(root).resolve())
        except ValueError:
            rel = Path()
        return Path(out_dir) / rel / name
    return Path(out_dir) / name


def _is_video(path: Path) -> bool:
    from ..media.image_io import format_for_path

    return format_for_path(path) is None


def _threshold(settings: Settings) -> float:
    return float(settings.threshold)


def make_plan(
    path: str | Path,
    settings: Settings | None = None,
    *,
    regions: Iterable[Region] = (),
    detector: FaceDetector | None = None,
    progress: Progress | None = None,
    thorough: bool = True,
    region_detectors: Sequence[RegionDetector] | None = None,
) -> Plan:
    """Detect (and for a video, track) as the full run does and return the plan: every final box
    per frame, the manual ``regions``, and the review flags. Writes nothing. Raises UnseenError.
    ``thorough`` (photos): also run the thorough check's detector for the thorough-miss flag.
    ``region_detectors``: one per other kind to plan (default: one per ``settings.extra_kinds``)."""
    settings = settings or Settings()
    src = Path(path)
    try:
        if _is_video(src):
            return _video_plan(src, settings, tuple(regions), detector, progress, region_detectors)
        return _photo_plan(src, settings, tuple(regions), detector, thorough, region_detectors)
    except UnseenError as err:
        raise err.with_path(src)  # noqa: B904


def _photo_plan(
    src: Path,
    settings: Settings,
    regions: tuple[Region, ...],
    detector: FaceDetector | None,
    thorough: bool,
    region_detectors: Sequence[RegionDetector] | None = None,
) -> Plan:
    loaded = read_image(
        src,
        max_pixels=settings.max_pixels,
        max_metadata=settings.max_metadata_mb << 20,
        allow_damaged=settings.allow_damaged,
    )
    from ..detect.alpha_views import regions_in_views
    from ..detect.kinds import region_detectors_for

    det = detector or detector_for(settings)
    shown = views(loaded.pixels.copy())
    faces = detect_views(det, shown)
    # The other kinds (--cover people/text/plates) as boxes of their kind: rendering covers them
    # from the plan without detecting (a silhouette's mask is not kept: its box is covered).
    if region_detectors is None:
        region_detectors = region_detectors_for(settings)
    others = [(0, None, regions_in_views(d, shown)) for d in region_detectors]
    h, w = loaded.pixels.shape[:2]
    info = describe_input(src, kind="image", width=w, height=h)
    scale, up, ellipse = cover_growth(settings)
    evidence = FlagEvidence(
        threshold=_threshold(settings),
        thorough=_thorough(settings, loaded.pixels) if thorough else (),
        cover_scale=scale,
        cover_up=up,
        cover_ellipse=ellipse,
    )
    return build_plan(info, settings, det.name, [(0, None, faces)], regions=regions, evidence=evidence, others=others)


def cover_growth(settings: Settings) -> tuple[float, float, bool]:
    """How the cover grows each box into the region it paints, as FlagEvidence's ``cover_scale``,
    ``cover_up`` and ``cover_ellipse``."""
    from ..cover import box_scale
    from ..cover.regions import UP_SHIFT

    return box_scale(settings), UP_SHIFT, settings.shape == "ellipse"


def _thorough(settings: Settings, pixels: np.ndarray) -> tuple[tuple[int, Faces], ...]:
    """The thorough check's faces on the photo (frame 0), for the thorough-miss flag."""
    from ..detect.alpha_views import detect_shown
    from .check import check_detector, check_settings

    faces = detect_shown(check_detector(check_settings(settings)), pixels)
    return ((0, faces),) if len(faces) else ()


def _video_plan(
    src: Path,
    settings: Settings,
    regions: tuple[Region, ...],
    detector: FaceDetector | None,
    progress: Progress | None,
    region_detectors: Sequence[RegionDetector] | None = None,
) -> Plan:
    from .video import scan_video

    info, record, det = scan_video(
        src, settings, detector=detector, progress=progress, region_detectors=region_detectors
    )
    frames = len(record.frames)
    tb = (info.time_base.numerator, info.time_base.denominator)
    pinfo = describe_input(
        src,
        kind="video",
        width=info.width,
        height=info.height,
        frame_count=frames,
        time_base=tb,
        fps=round(info.fps, 6),
        duration=info.stated_duration,
    )
    cheap = frozenset(record.cheap_only) if record.cheap_only else None
    evidence = FlagEvidence(threshold=_threshold(settings), cut_frames=tuple(record.cuts), cheap_only_frames=cheap)
    # The other kinds' final boxes per frame, after tracking (detected, interpolated, held; track
    # ids), as the one-shot run covers them. A silhouette's mask is not kept: its box is covered.
    times = {index: t for index, t, _ in record.frames}
    others = [
        (index, times.get(index), Regions(kind, boxes))
        for index, by_kind in sorted(record.kinds.items())
        for kind, boxes in by_kind.items()
    ]
    return build_plan(pinfo, settings, det.name, record.frames, regions=regions, evidence=evidence, others=others)


def write_plan(
    path: str | Path,
    plan_file: str | Path | None = None,
    settings: Settings | None = None,
    *,
    regions: Iterable[Region] = (),
    detector: FaceDetector | None = None,
    progress: Progress | None = None,
    overwrite: bool = False,
    thorough: bool = True,
    region_detectors: Sequence[RegionDetector] | None = None,
) -> tuple[Plan, Path]:
    """:func:`make_plan`, then save it atomically to ``plan_file`` (default ``NAME.plan.json``
    beside the input). Returns the plan and where it was written."""
    settings = settings or Settings()
    target = Path(plan_file) if plan_file is not None else plan_path_for(path)
    plan = make_plan(
        path,
        settings,
        regions=regions,
        detector=detector,
        progress=progress,
        thorough=thorough,
        region_detectors=region_detectors,
    )
    save_plan(plan, target, overwrite=overwrite or settings.overwrite)
    return plan, target


def with_regions(plan: Plan, regions: Iterable[Region]) -> Plan:
    """The plan with more manual regions (checked against the frame when rendered or saved)."""
    extra = tuple(regions)
    return dataclasses.replace(plan, regions=plan.regions + extra) if extra else plan


def render_plan(
    input: str | Path,
    plan: Plan | str | Path,
    output: str | Path | None = None,
    settings: Settings | None = None,
    *,
    progress: Progress | None = None,
    region_detectors: Sequence[RegionDetector] | None = None,
) -> FileReport:
    """Cover ``input`` from ``plan`` (a Plan or a plan file) without detecting: every box not
    rejected (faces, and the other kinds' boxes), plus the manual regions at each frame, in the
    settings' look. The plan is checked against the input's size and SHA-256 first. Same commit as
    a full run; raises UnseenError. ``region_detectors`` (default: from the settings): for a photo,
    the kinds asked for that the plan does not answer for are detected with them; a video's plan
    must answer for every kind asked for (ConfigError otherwise): its render detects nothing."""
    from ..plan import check_media
    from ..plan.encode import plan_to_json
    from ..plan.validate import PlanFieldError, plan_from_json

    settings = settings or Settings()
    src = Path(input)
    if isinstance(plan, Plan):
        check_media(plan, "<plan>", src)
        try:  # a Plan edited in memory (regions added) must still be a valid plan of this input
            plan_from_json(plan_to_json(plan))
        except PlanFieldError as exc:
            from ..errors import CorruptInput, LimitExceeded

            cls = LimitExceeded if exc.limit else CorruptInput
            raise cls(exc.reason, path=src, where=exc.where or None) from None
    else:
        plan = load_plan(plan, media_path=src)
    dst = None if output is None else Path(output)
    if plan.input.is_video:
        from .video import process_video

        return process_video(src, dst, settings, progress=progress, plan=plan, region_detectors=region_detectors)
    from .image import process_image

    return process_image(src, dst, settings, plan=plan, region_detectors=region_detectors)


__all__ = ["PLAN_SUFFIX", "make_plan", "plan_path_for", "render_plan", "with_regions", "write_plan"]
