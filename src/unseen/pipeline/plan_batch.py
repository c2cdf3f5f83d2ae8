"""Plans for files and folders: ``unseen plan DIR`` writes a plan per media file, and
``unseen DIR --plan PLANS`` / ``unseen DIR --save-plan`` render a folder from plans (or while
writing them) through the main batch (:func:`.batch.process_paths`, with a runner): the same walk,
skipping and mirroring, one report per file, and a non-zero exit when any file fails.

Where plans are written and looked for (``docs/PLAN.md``, "Folders"):

* ``unseen plan FILE...``: ``NAME.EXT.plan.json`` beside each file; with ``-o DIR`` under DIR,
  mirroring the files' folders below their common parent.
* ``unseen plan DIR``: beside each photo and video below DIR; with ``-o OUT``, OUT mirrors DIR
  (with several inputs, ``OUT/DIR-NAME`` mirrors DIR, as the main batch does for outputs).
* ``unseen DIR --plan PLANS``: the plan of ``DIR/a/x.jpg`` is ``PLANS/a/x.jpg.plan.json``, as
  ``unseen plan DIR -o PLANS`` writes it; ``--plan DIR`` (the input folder itself) reads the plans
  beside each file, as ``unseen plan DIR`` writes them. A file without a plan fails (nothing is
  detected in its place). ``unseen FILE --plan P``: P is the plan file, or a folder holding it.
* ``--save-plan``: beside each output, named after its input (``x.jpg.plan.json`` beside
  ``x.unseen.jpg``, or in the folder of ``-o``), never replacing one unless ``--overwrite``.

``--region`` with a folder is refused: a region is pixels of one frame size, for one file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..detect import FaceDetector
from ..errors import ConfigError, ExitStatus, InputError, InputNotFound, OutputExists, PipelineError, UnseenError
from ..plan import Region, load_plan, save_plan
from ..settings import Settings
from .batch import DIR_SUFFIX, Runner, _make_dirs, walk_media
from .one_file import guarded
from .paths import is_unseen_output, is_unseen_output_folder
from .plan_run import PLAN_SUFFIX, make_plan, plan_path_for, render_plan, with_regions, write_plan
from .progress import FrameProgress
from .report import FileReport

REGION_FOLDER = "--region is per file (pixels of one frame size): give files, not a folder, with --region"


@dataclass
class PlanOutcome:
    """One media file of ``unseen plan``: where its plan went, or why it failed."""

    input: Path
    plan: Path | None
    boxes: int = 0
    flags: int = 0
    error: UnseenError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class PlanBatch:
    outcomes: list[PlanOutcome] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # not media (plan files are not listed)

    @property
    def failed(self) -> list[PlanOutcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def exit_status(self) -> ExitStatus:
        """OK when every plan was written; else the status of the first failure."""
        for o in self.outcomes:
            if o.error is not None:
                return ExitStatus(o.error.exit_status)
        return ExitStatus.OK


def _folder_targets(folder: Path, base: Path | None, skip_outputs: bool, batch: PlanBatch) -> None:
    if is_unseen_output_folder(folder):
        err = InputError(
            f"is an unseen output folder (named *{DIR_SUFFIX}); not processed again (rename it to plan it anyway)",
            path=folder,
        )
        batch.outcomes.append(PlanOutcome(folder, None, error=err))
        return
    for found in walk_media(folder, base, skip_outputs=skip_outputs):
        p, reason = found.path, found.skip
        if found.error is not None:  # a dangling, looping or escaping link: fails, named
            batch.outcomes.append(PlanOutcome(p, None, error=found.error))
        elif reason is not None:
            if not p.name.endswith(PLAN_SUFFIX):
                batch.skipped.append(f"{p}: {reason}")
        elif skip_outputs and is_unseen_output(p):
            batch.skipped.append(f"{p}: looks like an unseen output, not processed again")
        else:
            target = plan_path_for(p) if base is None else base / p.relative_to(folder).parent / (p.name + PLAN_SUFFIX)
            batch.outcomes.append(PlanOutcome(p, target))


def plan_targets(inputs: Sequence[Path], out_dir: Path | None) -> PlanBatch:
    """Every media file below ``inputs`` with the plan path it gets (module docstring); files that
    are not media, unseen outputs and links are skipped by the main batch's rules (``walk_media``)."""
    batch = PlanBatch()
    files = [p for p in inputs if not p.is_dir()]
    root = Path(os.path.commonpath([str(p.parent.resolve()) for p in files])) if out_dir and files else None
    for src in inputs:
        if src.is_dir():
            base = None if out_dir is None else (out_dir if len(inputs) == 1 else out_dir / src.name)
            _folder_targets(src, base, out_dir is None, batch)
        elif not src.exists() and not src.is_symlink():
            batch.outcomes.append(PlanOutcome(src, None, error=InputNotFound("no such file or folder", path=src)))
        else:
            batch.outcomes.append(PlanOutcome(src, plan_path_for(src, out_dir, root=root)))
    return batch


def write_plans(
    inputs: Sequence[Path],
    out_dir: Path | None,
    settings: Settings,
    *,
    regions: Iterable[Region] = (),
    thorough: bool = True,
    detector: FaceDetector | None = None,
) -> PlanBatch:
    """``unseen plan``: a plan per media file below ``inputs`` (no media written). One file's
    failure is recorded and the others go on. ``regions`` with a folder input: ConfigError."""
    extra = tuple(regions)
    if extra and any(p.is_dir() for p in inputs):
        raise ConfigError(REGION_FOLDER)
    batch = plan_targets(inputs, out_dir)
    for o in batch.outcomes:
        if o.error is not None or o.plan is None:
            continue
        try:
            if out_dir is not None:
                _make_dirs(o.plan.parent, out_dir)
            plan, _ = write_plan(o.input, o.plan, settings, regions=extra, detector=detector, thorough=thorough)
            o.boxes, o.flags = plan.box_count, len(plan.flags)
        except UnseenError as err:
            o.error = err.with_path(o.input)
        except Exception as exc:  # a bug: fail this file loudly, go on
            o.error = PipelineError(f"internal error ({type(exc).__name__}: {exc}); please report it", path=o.input)
    return batch


def plan_lookup(inputs: Sequence[Path], plan: Path) -> Callable[[Path], Path]:
    """Where ``unseen INPUT --plan PLAN`` finds each file's plan (module docstring)."""
    if len(inputs) != 1:
        raise ConfigError("--plan takes one INPUT (a file, or a folder with --plan naming the folder of its plans)")
    src = inputs[0]
    if src.is_dir():
        if not plan.is_dir():
            raise ConfigError(
                "--plan with a folder INPUT names the folder of its plans (as 'unseen plan DIR -o PLANS' writes "
                "them; the input folder itself for plans beside each file)"
            )
        return lambda p: plan / p.relative_to(src).parent / (p.name + PLAN_SUFFIX)
    if plan.is_dir():
        return lambda p: plan / (p.name + PLAN_SUFFIX)
    return lambda p: plan


def saved_plan_path(src: Path, dst: Path | None) -> Path:
    """``--save-plan``'s target: beside the output (``dst``; None: the default output, beside the
    input), named after the input."""
    return plan_path_for(src) if dst is None else dst.parent / (src.name + PLAN_SUFFIX)


def render_runner(lookup: Callable[[Path], Path], regions: Iterable[Region] = ()) -> Runner:
    """A batch runner covering each file from its plan (``lookup(file)``), with ``regions`` added."""
    extra = tuple(regions)

    def run(
        src: Path, dst: Path | None, settings: Settings, detector: FaceDetector | None, progress: FrameProgress | None
    ) -> FileReport:
        def work() -> FileReport:
            pf = lookup(src)
            if not pf.is_file():
                raise InputNotFound(f"no plan {pf} for it (write one with 'unseen plan'); nothing was written")
            plan = with_regions(load_plan(pf, media_path=src), extra)
            return render_plan(src, plan, dst, settings, progress=progress)

        return guarded(src, work)

    return run


def one_shot_runner(regions: Iterable[Region] = (), *, save_plans: bool = False) -> Runner:
    """A batch runner that detects into a plan (with ``regions``), renders from it, and with
    ``save_plans`` saves it beside the output (:func:`saved_plan_path`) once the output is committed.
    An existing plan there is refused before anything is done, unless ``settings.overwrite``."""
    extra = tuple(regions)

    def run(
        src: Path, dst: Path | None, settings: Settings, detector: FaceDetector | None, progress: FrameProgress | None
    ) -> FileReport:
        def work() -> FileReport:
            target = saved_plan_path(src, dst) if save_plans else None
            if target is not None and target.exists() and not settings.overwrite:
                raise OutputExists("plan file exists (use --overwrite to replace it); nothing was written", path=target)
            plan = make_plan(src, settings, regions=extra, detector=detector, progress=progress, thorough=False)
            report = render_plan(src, plan, dst, settings, progress=progress)
            if target is not None:
                save_plan(plan, target, overwrite=settings.overwrite)
            return report

        return guarded(src, work)

    return run


__all__ = [
    "PlanBatch",
    "PlanOutcome",
    "one_shot_runner",
    "plan_lookup",
    "plan_targets",
    "render_runner",
    "saved_plan_path",
    "write_plans",
]
