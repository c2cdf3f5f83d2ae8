"""Make a plan and render from it, for the review page: the pipeline's plan API
(`pipeline/plan_run.py`: `make_plan`, `render_plan`) for photos and videos, so the page has no
detector or renderer of its own; rendering is the same fail-closed commit (temp, verify, rename)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..pipeline.plan_run import make_plan, render_plan
from ..pipeline.report import FileReport
from ..plan import Plan
from ..settings import Settings


def make_file_plan(path: Path, settings: Settings) -> Plan:
    """Detect faces in the photo or video at ``path`` and return its plan (not saved)."""
    return make_plan(path, settings)


def render_file(
    path: Path,
    plan: Plan,
    output: Path,
    settings: Settings,
    progress: Callable[[int, int | None], None] | None = None,
) -> FileReport:
    """Cover the plan's boxes and regions in ``path`` and write ``output`` fail-closed."""
    return render_plan(path, plan, output, settings, progress=progress)
