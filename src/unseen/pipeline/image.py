"""Photo pipeline: read -> detect -> cover -> write (pixels and the ICC colour tags only) -> verify -> commit."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from ..cover import apply_cover
from ..cover.kinds import cover_regions
from ..detect import FaceDetector
from ..detect.alpha_views import detect_views, regions_in_views, views
from ..detect.base import RegionDetector
from ..detect.cache import detector_for
from ..detect.kinds import region_detectors_for
from ..errors import UnseenError, UnsupportedFormat, VerificationError
from ..media.image_io import format_for_path, read_image, write_image
from ..plan.model import Plan
from ..scrub.image import verify_clean
from ..settings import Settings
from .commit import check_output_target, staged_output
from .paths import default_photo_output
from .report import FileReport, ImageDetails, MediaKind


def process_image(
    src: Path,
    dst: Path | None,
    settings: Settings,
    *,
    detector: FaceDetector | None = None,
    region_detectors: Sequence[RegionDetector] | None = None,
    plan: Plan | None = None,
) -> FileReport:
    """Anonymize one photo. Raises :class:`UnseenError` (with the path) and leaves no output.

    ``region_detectors``: one per kind in ``settings.extra_kinds`` (built from the settings when
    None; none by default). They look at the picture before any cover and paint after the faces.
    With ``plan`` (already checked against ``src``), its boxes and regions are covered and no face
    detection runs; the other kinds it answers for (``Plan.planned_kinds``: its boxes of them, and
    the kinds its producer asked for) are covered from it too, and kinds asked for now that it does
    not answer for are detected (they only add)."""
    started = time.perf_counter()
    dst = dst if dst is not None else default_photo_output(src)
    try:
        out_format = format_for_path(dst)
        if out_format is None:
            raise UnsupportedFormat(f"cannot tell the output image format from the suffix {dst.suffix!r}", path=dst)
        check_output_target(src, dst, settings.overwrite)
        loaded = read_image(
            src,
            max_pixels=settings.max_pixels,
            max_metadata=settings.max_metadata_mb << 20,
            allow_damaged=settings.allow_damaged,
        )
        pixels = loaded.pixels.copy()
        shown = views(pixels)  # with alpha: the colour, over white, over black, the alpha itself
        if plan is not None:
            faces = plan.faces_for(0)
            detector_name = f"plan ({plan.producer.detector})"
        else:
            if detector is None:
                detector = detector_for(settings)
            faces = detect_views(detector, shown)
            detector_name = detector.name
        planned = plan.planned_kinds if plan is not None else ()
        if region_detectors is None:
            # The kinds a plan answers for are covered from it; the others are detected (they only add).
            wanted = [k for k in settings.extra_kinds if k not in planned]
            region_detectors = region_detectors_for(settings.replace(cover=",".join(["faces", *wanted])))
        detectors_run = [d for d in region_detectors if d.kind not in planned]
        found = [regions_in_views(d, shown) for d in detectors_run]
        if plan is not None:
            found = [*plan.regions_for(0), *found]
        regions = apply_cover(pixels, faces, settings)
        covered = {"faces": len(regions)}
        for extra in found:
            covered[extra.kind] = covered.get(extra.kind, 0) + len(cover_regions(pixels, extra, settings))
        h, w = pixels.shape[:2]
        same_format = out_format == loaded.format
        with staged_output(dst, overwrite=settings.overwrite) as tmp:
            write_image(
                pixels,
                tmp,
                format=out_format,
                icc_profile=loaded.icc_profile if settings.keep_icc else None,
                save_options=loaded.save_options if same_format else None,
            )
            verify_clean(tmp, expected_size=(w, h))
            if settings.verify:
                _verify_no_face(tmp, settings)
    except UnseenError as err:
        raise err.with_path(src)  # noqa: B904 - the same error, given its path
    removed = list(loaded.metadata)
    if loaded.icc_profile is not None and not settings.keep_icc:
        removed.append("ICC profile (colour tags too: keep_icc is off)")
    elif loaded.icc_profile is not None and out_format == "BMP":
        removed.append("ICC profile (colour tags too: unseen writes BMP without one)")
    report = FileReport(
        input=str(src),
        output=str(dst),
        kind=MediaKind.IMAGE,
        faces=len(regions),
        metadata_removed=removed,
        seconds=round(time.perf_counter() - started, 3),
        details=ImageDetails(
            width=w,
            height=h,
            format=out_format,
            boxes=faces.to_dict()["boxes"],
            views=[v.name for v in shown],
            detector=detector_name,
            covered=covered,
            region_detectors=[f"plan ({k})" for k in planned] + [d.name for d in detectors_run],
            plan_rejected=plan.rejected_count if plan is not None else 0,
            manual_regions=len(plan.regions) if plan is not None else 0,
        ),
    )
    report.warnings.extend(loaded.notes)
    if loaded.pixels.shape[2] == 4 and out_format in ("JPEG", "BMP"):
        report.warnings.append(f"alpha channel composited onto white: {out_format} cannot store it")
    return report


def _verify_no_face(path: Path, settings: Settings) -> None:
    try:
        from .check import verify_output
    except ImportError as exc:  # pragma: no cover - check.py ships with the package
        raise VerificationError("--verify is unavailable: the check module is missing", path=path) from exc
    verify_output(path, "image", settings)
