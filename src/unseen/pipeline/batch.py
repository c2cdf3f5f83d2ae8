"""Files and folders: dispatch each file to the photo or video pipeline, record every outcome.

A folder is walked recursively and mirrored into the output folder. Symbolic links below it
(:func:`walk_media`): one to a regular photo or video file is followed: the file is read where the
link points (inside the input tree or not) and its output written as a plain file at the link's
place under the output folder, never through a link; one that is dangling or loops, one to a folder
(never walked: loops, trees outside the input), and one into the output folder fail, naming the
link, so the batch exits non-zero rather than leave a photo unprocessed behind a success.

What a file is comes from its content (:func:`unseen.media.kinds.media_kind`), so a
``.jfif``, a JPEG without a suffix or a GIF is processed; a photo whose suffix unseen does not write
gets one it does (``x.gif`` -> ``x.png``, ``IMG_1`` -> ``IMG_1.jpg``). Media that cannot be
processed (an animated GIF, AVIF ...) fail, so the batch exits non-zero; only files that are not
photos or videos are skipped and listed. One file's failure never stops the batch, and never goes
unreported. A folder named ``*.unseen`` (an output folder) is refused as input, and below an input
skipped (unless ``-o`` is given, as for ``*.unseen.*`` files): outputs are not processed again.

Several inputs (:func:`process_paths`) are walked first, then processed in order into one report;
``progress`` gets each file's typed events (:mod:`unseen.pipeline.progress`).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..detect import FaceDetector
from ..errors import (
    ConfigError,
    InputError,
    InputNotFound,
    OutputNotWritable,
    UnseenError,
    printable,
)
from ..media.kinds import media_kind
from ..settings import Settings
from .commit import clean_stale_temps, is_temp_name
from .one_file import kind_of, run_one
from .paths import is_unseen_output, is_unseen_output_folder, photo_output_name
from .progress import FileFinished, FileStarted, FrameProgress, FramesDone, ProgressCallback
from .report import BatchReport, FileReport, MediaKind

# Workers asked of a Ray cluster (or of a pool spreading segments) on auto: capped by what it holds.
RAY_CLUSTER_AUTO = 1 << 16

if TYPE_CHECKING:
    from .manifest import Manifest
    from .workers import WorkUnit

DIR_SUFFIX = ".unseen"

# How one file is processed: (input, output or None, settings, detector, frame progress) -> its
# report, never raising (``one_file.guarded``). The default is ``one_file.run_one`` (detect and
# cover); ``plan_batch`` passes runners that render from plans.
Runner = Callable[[Path, Path | None, Settings, FaceDetector | None, FrameProgress | None], FileReport]


def default_output_dir(src_dir: Path) -> Path:
    """``photos/`` -> ``photos.unseen/`` beside it."""
    return src_dir.with_name(src_dir.name + DIR_SUFFIX)


@dataclass(frozen=True)
class Found:
    """One entry below an input folder: to process, to list as skipped (``skip``), or failed
    (``error``: the batch exits non-zero); ``link_target``: a symbolic link followed to that file."""

    path: Path
    skip: str | None = None
    error: InputError | None = None
    link_target: Path | None = None


def walk_media(root: Path, exclude: Path | None, *, skip_outputs: bool = False) -> Iterator[Found]:
    """Every entry below ``root`` in a stable order; symbolic links as :func:`_link` says.

    ``skip_outputs``: folders named ``*.unseen`` are yielded with a reason, not walked."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        kept = []
        for d in sorted(dirnames):
            p = here / d
            if exclude is not None and _same_path(p, exclude):
                continue  # the output tree inside the input tree: never re-process outputs
            if p.is_symlink():
                yield Found(p, error=_folder_link_error(p))
                continue
            if skip_outputs and is_unseen_output_folder(p):
                yield Found(p, skip="an unseen output folder, not processed again")
                continue
            kept.append(d)
        dirnames[:] = kept
        for name in sorted(filenames):
            p = here / name
            if is_temp_name(name):
                continue
            if p.is_symlink():
                yield _link(p, exclude)
            elif not _is_regular(p):  # a FIFO would block the sniffer's open(); a device is no photo
                yield Found(p, skip="not a regular file (a pipe, socket or device), not a photo or video")
            elif media_kind(p) is None:
                yield Found(p, skip="not a photo or video")
            else:
                yield Found(p)


def _is_regular(p: Path) -> bool:
    try:
        return stat.S_ISREG(p.lstat().st_mode)
    except OSError:
        return True  # gone or unreadable: the reader says why, as a failure


def _folder_link_error(p: Path) -> InputError:
    try:
        target = str(p.resolve(strict=True))
    except (OSError, RuntimeError):
        target = os.readlink(p) if p.is_symlink() else "?"
    return InputError(
        f"symbolic link to a folder ({printable(target)}), not followed: what it holds is not processed; "
        "give that folder as an input to process it",
        path=p,
    )


def _link(p: Path, exclude: Path | None) -> Found:
    """A symbolic link to a file: followed to a regular photo or video, else why not (never silent)."""
    try:
        target = p.resolve(strict=True)
    except FileNotFoundError:
        dangling = InputNotFound(f"symbolic link to nothing ({printable(os.readlink(p))}); not processed", path=p)
        return Found(p, error=dangling)
    except (OSError, RuntimeError):  # ELOOP (RuntimeError before Python 3.13)
        return Found(p, error=InputError("symbolic link that loops; not processed", path=p))
    try:
        mode = target.stat().st_mode
    except OSError as exc:
        return Found(p, error=InputError(f"symbolic link to {target}: {exc.strerror or exc}; not processed", path=p))
    if stat.S_ISDIR(mode):
        return Found(p, error=_folder_link_error(p))
    if not stat.S_ISREG(mode):
        return Found(p, skip="symbolic link to a pipe, socket or device, not a photo or video")
    if exclude is not None:
        try:
            out = exclude.resolve()
        except OSError:
            out = None
        if out is not None and target.is_relative_to(out):
            return Found(
                p,
                error=InputError(
                    f"symbolic link into the output folder ({printable(str(target))}); not processed: "
                    "an output is never an input, nor overwritten through a link",
                    path=p,
                ),
            )
    if media_kind(target) is None:
        return Found(p, skip=f"symbolic link to {target}, not a photo or video")
    return Found(p, link_target=target)


def _same_path(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


@dataclass
class _Job:
    """One file to process, or a failure found while planning (``failed``)."""

    src: Path
    dst: Path | None
    out_root: Path | None = None  # a folder's output root: the job creates its folders below it
    failed: FileReport | None = None
    note: str | None = None  # a warning its report gets (a symbolic link followed)


def _plan(src: Path, dst: Path | None, batch: BatchReport) -> list[_Job]:
    """The files below one input (skipped ones go to ``batch.skipped``), with their outputs."""
    if not src.exists() and not src.is_symlink():
        return [
            _Job(
                src,
                dst,
                failed=FileReport(input=str(src), kind=MediaKind.UNKNOWN).fail(
                    InputNotFound("no such file or folder", path=src)
                ),
            )
        ]
    if not src.is_dir():
        target = dst
        if dst is not None and dst.is_dir():
            target = dst / (photo_output_name(src) if media_kind(src) == "image" else src.name)
        return [_Job(src, target)]
    if is_unseen_output_folder(src):
        return [
            _Job(
                src,
                dst,
                failed=FileReport(input=str(src), kind=MediaKind.FOLDER).fail(
                    InputError(
                        f"is an unseen output folder (named *{DIR_SUFFIX}); not processed again "
                        "(`unseen check` re-scans it; rename it to process it anyway)",
                        path=src,
                    )
                ),
            )
        ]
    out_root = dst if dst is not None else default_output_dir(src)
    if out_root.exists() and not out_root.is_dir():
        return [
            _Job(
                src,
                dst,
                failed=FileReport(input=str(src), kind=MediaKind.FOLDER).fail(
                    OutputNotWritable("output for a folder must be a folder", path=out_root)
                ),
            )
        ]
    jobs = []
    for found in walk_media(src, out_root, skip_outputs=dst is None):
        p = found.path
        if found.error is not None:
            kind = MediaKind.FOLDER if p.is_dir() else MediaKind.UNKNOWN
            jobs.append(_Job(p, None, out_root, failed=FileReport(input=str(p), kind=kind).fail(found.error)))
        elif found.skip is not None:
            batch.skipped.append(f"{p}: {found.skip}")
        elif dst is None and is_unseen_output(p):
            batch.skipped.append(f"{p}: looks like an unseen output, not processed again")
        else:
            target = out_root / p.relative_to(src)
            if media_kind(p) == "image":
                target = target.with_name(photo_output_name(p))
            note = None
            if found.link_target is not None:
                note = f"symbolic link, followed: read from {found.link_target}; output written as a file"
            jobs.append(_Job(p, target, out_root, note=note))
    return jobs


def _run_jobs(
    jobs: list[_Job],
    batch: BatchReport,
    settings: Settings,
    detector: FaceDetector | None,
    progress: ProgressCallback | None,
    runner: Runner | None = None,
) -> None:
    from .manifest import Manifest, resumable

    cleaned: set[Path] = set()  # each output folder once, not once per file
    # Every manifest is read before any file is touched: one that cannot be read stops the batch
    # (CorruptInput), rather than being replaced and the earlier runs' record lost.
    manifests: dict[Path, Manifest] = {}
    for job in jobs:
        if job.failed is None and job.out_root is not None and job.dst is not None and job.out_root not in manifests:
            manifests[job.out_root] = Manifest(job.out_root, settings)
    reports: dict[int, FileReport] = {}
    runnable: list[int] = []
    resumed: set[int] = set()  # their manifest entries stay as the earlier run wrote them
    for index, job in enumerate(jobs):
        src = job.src
        report = job.failed
        if report is None and job.out_root is not None and job.dst is not None:
            try:
                _make_dirs(job.dst.parent, job.out_root)
            except UnseenError as err:
                report = FileReport(input=str(src), kind=kind_of(src)).fail(err)
        if report is None and settings.resume and job.dst is not None and job.out_root in manifests:
            try:
                report = resumable(manifests[job.out_root], src, job.dst)
                if report is not None:
                    resumed.add(index)
            except UnseenError as err:
                report = FileReport(input=str(src), kind=kind_of(src)).fail(err)
        if report is None:
            # The default output goes beside the input: a killed run left its temporary file there.
            folder = (job.dst if job.dst is not None else src).parent
            if folder not in cleaned:
                clean_stale_temps(folder)
                cleaned.add(folder)
            runnable.append(index)
        else:
            reports[index] = report

    def finished(index: int, report: FileReport) -> None:
        note = jobs[index].note
        if note is not None and report.ok:
            report.warnings.append(note)
        reports[index] = report
        root = jobs[index].out_root
        if root is not None and root in manifests and index not in resumed:
            report = _recorded(manifests[root], report)
        reports[index] = report
        if progress is not None:
            progress(FileFinished(report, index, len(jobs)))

    planned = dict(reports)  # failed while planning

    def report_planned(index: int) -> None:
        if progress is not None:
            progress(FileStarted(jobs[index].src, planned[index].kind, index, len(jobs)))
        finished(index, planned[index])

    from ..detect.cache import is_pinned
    from .worker_count import auto_workers, choose_workers, cores_available, memory_available

    in_process = detector is not None or is_pinned()
    choice = choose_workers(settings.workers, len(runnable), in_process_detector=in_process)
    workers = choice.workers
    if runner is None and settings.segment_seconds > 0 and len(runnable) > 1 and not in_process:
        # A long video's segments spread over every worker: the pool is not capped by the file count.
        workers = settings.workers or auto_workers(RAY_CLUSTER_AUTO, cores_available(), memory_available())
    if settings.engine == "ray" and settings.ray_address and not settings.workers:
        workers = RAY_CLUSTER_AUTO  # auto on a cluster: as many actors as the cluster holds (ray_engine caps)
    how = choice.describe()
    if workers == RAY_CLUSTER_AUTO:
        how += "; on the Ray cluster: as many actors as it holds"
    elif workers != choice.workers:
        how += f"; {workers} for the videos' segments"
    batch.workers, batch.workers_how = (choice.workers if workers == RAY_CLUSTER_AUTO else workers), how
    if runner is None and ((settings.engine == "ray" and runnable) or workers > 1):
        for index in planned:  # reported first: the engines finish files in their own order
            report_planned(index)
        if settings.engine == "ray":
            _run_on_ray(jobs, runnable, settings, workers, progress, finished)
        else:
            _run_on_workers(jobs, runnable, settings, workers, progress, finished)
        # A worker or actor killed mid-file left its temporary file: its process is gone now.
        folders: set[Path] = set()
        for i in runnable:
            dst = jobs[i].dst
            folders.add((dst if dst is not None else jobs[i].src).parent)
        for folder in sorted(folders):
            clean_stale_temps(folder)
    else:
        todo = set(runnable)
        for index in range(len(jobs)):  # one process: events in input order
            if index in planned:
                report_planned(index)
            elif index in todo:
                src = jobs[index].src
                if progress is not None:
                    progress(FileStarted(src, kind_of(src), index, len(jobs)))
                run = runner or run_one
                finished(index, run(src, jobs[index].dst, settings, detector, _frames_of(src, progress)))
    batch.files.extend(reports[i] for i in range(len(jobs)))


def _recorded(manifest: Manifest, report: FileReport) -> FileReport:
    """``report`` once the manifest lists it. When the manifest cannot be rewritten (a full disk),
    an output it cannot list is removed and its file fails: every output under OUT stays in the
    manifest, and the batch goes on (each later file is reported the same way, or recorded once
    the manifest can be written again)."""
    try:
        manifest.add(report)
        return report
    except OutputNotWritable as err:
        if report.ok and report.output is not None:
            Path(report.output).unlink(missing_ok=True)
            failed = FileReport(input=report.input, kind=report.kind, seconds=report.seconds).fail(
                OutputNotWritable(f"its output was removed: {err.reason} ({err.path})", path=report.input)
            )
        else:
            failed = report  # already failed: its own error says why (the manifest shows the last one written)
        try:
            manifest.add(failed)  # not listed as done: a later write records the failure
        except OutputNotWritable:
            pass
        return failed


def _done_with_kind(finished: Callable[[int, FileReport], None]) -> Callable[[WorkUnit, FileReport], None]:
    """An engine's per-unit callback: a dead worker's (or actor's) report knows only the path, so
    its kind is read from the file before it is recorded."""

    def on_done(unit: WorkUnit, report: FileReport) -> None:
        if not report.ok and report.details is None:
            report.kind = kind_of(unit.src)
        finished(unit.index, report)

    return on_done


def _run_on_ray(
    jobs: list[_Job],
    runnable: list[int],
    settings: Settings,
    workers: int,
    progress: ProgressCallback | None,
    finished: Callable[[int, FileReport], None],
) -> None:
    from .ray_engine import run_units_on_ray
    from .workers import WorkUnit

    def on_start(unit: WorkUnit) -> None:
        if progress is not None:
            progress(FileStarted(unit.src, kind_of(unit.src), unit.index, len(jobs)))

    def on_frames(unit: WorkUnit, done: int, total: int | None) -> None:
        if progress is not None:
            progress(FramesDone(unit.src, done, total))

    units = [WorkUnit(i, jobs[i].src, jobs[i].dst) for i in runnable]
    run_units_on_ray(
        units, settings, workers, on_start, _done_with_kind(finished), on_frames if progress is not None else None
    )


def _run_on_workers(
    jobs: list[_Job],
    runnable: list[int],
    settings: Settings,
    workers: int,
    progress: ProgressCallback | None,
    finished: Callable[[int, FileReport], None],
) -> None:
    from .workers import Event, WorkUnit, run_units

    def on_event(ev: Event) -> None:
        what, index, done, total = ev
        if progress is None:
            return
        src = jobs[index].src
        if what == "start":
            progress(FileStarted(src, kind_of(src), index, len(jobs)))
        else:
            progress(FramesDone(src, done, total))

    units = [WorkUnit(i, jobs[i].src, jobs[i].dst) for i in runnable]
    run_units(units, settings, workers, on_event, _done_with_kind(finished))


def _frames_of(src: Path, progress: ProgressCallback | None) -> FrameProgress | None:
    if progress is None:
        return None
    callback = progress

    def frames(done: int, total: int | None) -> None:
        callback(FramesDone(src, done, total))

    return frames


def process_path(
    src: Path,
    dst: Path | None,
    settings: Settings,
    *,
    detector: FaceDetector | None = None,
    progress: ProgressCallback | None = None,
) -> BatchReport:
    """Anonymize a file or a folder tree into ``dst`` (default: beside it). Failures are recorded."""
    return process_paths([src], dst, settings, detector=detector, progress=progress)


def process_paths(
    inputs: Sequence[Path],
    output: Path | None,
    settings: Settings,
    *,
    detector: FaceDetector | None = None,
    progress: ProgressCallback | None = None,
    runner: Runner | None = None,
) -> BatchReport:
    """Anonymize several files and folders into one report.

    With one input, ``output`` is its output file or folder. With several, ``output`` (when given)
    must be a folder (created if missing): a file goes into it under the name its kind gives it, a
    folder ``DIR`` into ``output/DIR``. Without it, each output goes beside its input. ``runner``
    replaces how each file is processed (rendering from plans); it runs in this process, in order."""
    if not inputs:
        raise ConfigError("no input given")
    several = len(inputs) > 1
    if several and output is not None:
        if output.exists() and not output.is_dir():
            raise ConfigError("with several inputs, -o must be a folder")
        try:
            output.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputNotWritable(f"cannot create output folder: {exc.strerror or exc}", path=output) from exc
    batch = BatchReport()
    jobs: list[_Job] = []
    for src in inputs:
        dst = output
        if output is not None and several and src.is_dir():
            dst = output / src.name
        jobs.extend(_plan(src, dst, batch))
    _run_jobs(jobs, batch, settings, detector, progress, runner)
    return batch


def _make_dirs(folder: Path, root: Path) -> None:
    """Create ``folder`` below ``root``, refusing to write through a symbolic link."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        rel = folder.relative_to(root)
        cur = root
        for part in rel.parts:
            cur = cur / part
            if cur.is_symlink():
                raise OutputNotWritable("output folder is a symbolic link; refusing to write through it", path=cur)
            cur.mkdir(exist_ok=True)
    except OSError as exc:
        raise OutputNotWritable(f"cannot create output folder: {exc.strerror or exc}", path=folder) from exc
