"""Make a plan and render from it, for the review page. The pipeline's own stages do the work:
the plan's boxes reach the photo pipeline (temp file, verify, rename) as the detector's answer, so
the review page has no renderer of its own. Video plans and renders wait for the plan API of issue
13's CLI part (docs/REVIEW.md, "Left to do")."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..detect.alpha_views import detect_views, views
from ..detect.base import Detector
from ..detect.cache import detector_for
from ..detect.passes import Pass
from ..errors import ConfigError
from ..media.image_io import read_image
from ..pipeline.image import process_image
from ..pipeline.report import FileReport
from ..plan import Plan, build_plan, describe_input
from ..settings import Settings
from ..types import Faces


class PlanBoxes(Detector):
    """A detector whose answer is the plan's boxes for a photo (rejected ones left out, manual
    regions in): what rendering from a plan hands the cover stage."""

    name = "plan"

    def __init__(self, plan: Plan):
        self._faces = plan.faces_for(0)

    def detect(self, image: np.ndarray, passes: Sequence[Pass] | None = None) -> Faces:
        return self._faces


def make_photo_plan(path: Path, settings: Settings) -> Plan:
    """Detect faces in the photo at ``path`` and return its plan (not saved)."""
    loaded = read_image(path, max_pixels=settings.max_pixels, max_metadata=settings.max_metadata_mb << 20)
    detector = detector_for(settings)
    faces = detect_views(detector, views(loaded.pixels.copy()))
    h, w = loaded.pixels.shape[:2]
    info = describe_input(path, kind="image", width=w, height=h)
    return build_plan(info, settings, detector.name, [(0, None, faces)])


def render_photo(path: Path, plan: Plan, output: Path, settings: Settings) -> FileReport:
    """Cover the plan's boxes in the photo at ``path`` and write ``output`` fail-closed."""
    if plan.input.kind != "image":
        raise ConfigError("rendering a video from the review page is not there yet (docs/REVIEW.md)")
    return process_image(path, output, settings, detector=PlanBoxes(plan))
