"""Files and folders: dispatch each file to the photo or video pipeline, record every outcome.

A folder is walked recursively (symbolic links are never followed) and mirrored into the output
folder. What a file is comes from its content (:func:`unseen.media.kinds.media_kind`), so a
``.jfif``, a JPEG without a suffix or a GIF is processed; a photo whose suffix unseen does not write
gets one it does (``x.gif`` -> ``x.png``, ``IMG_1`` -> ``IMG_1.jpg``). Media that cannot be
processed (an animated GIF, AVIF ...) fail, so the batch exits non-zero; only files that are not
photos or videos are skipped and listed. One file's failure never stops the batch, and never goes
unreported. A folder named ``*.unseen`` (an output folder) is refused as input, and below an input
skipped (unless ``-o`` is given, as for ``*.unseen.*`` files): outputs are not processed again.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterator

from ..detect import FaceDetector
from ..errors import InputError, InputNotFound, OutputNotWritable, PipelineError, UnseenError, UnsupportedFormat
from ..media.kinds import RAW_SUFFIXES, media_kind
from ..settings import Settings
from .commit import clean_stale_temps, is_temp_name
from .paths import is_unseen_output, is_unseen_output_folder, photo_output_name
from .report import BatchReport, FileReport

DIR_SUFFIX = ".unseen"


def default_output_dir(src_dir: Path) -> Path:
    """``photos/`` -> ``photos.unseen/`` beside it."""
    return src_dir.with_name(src_dir.name + DIR_SUFFIX)


def process_file(
    src: Path, dst: Path | None, settings: Settings, *, detector: FaceDetector | None = None, progress: Callable | None = None
) -> FileReport:
    kind = media_kind(src)
    if kind == "image" and src.suffix.lower() in RAW_SUFFIXES:
        raise UnsupportedFormat(
            "camera raw files are not read (only their small embedded preview would be); "
            "convert it to TIFF or JPEG first", path=src)
    if kind == "image":
        from .image import process_image

        return process_image(src, dst, settings, detector=detector)
    if kind == "video":
        from .video import process_video

        return process_video(src, dst, settings, detector=detector, progress=progress)
    raise InputError(f"not a photo or video unseen knows (suffix {src.suffix or 'none'!r})", path=src)


def _run_one(src: Path, dst: Path | None, settings: Settings, detector: FaceDetector | None, progress: Callable | None) -> FileReport:
    try:
        return process_file(src, dst, settings, detector=detector, progress=progress)
    except UnseenError as err:
        return FileReport(input=str(src), kind=media_kind(src) or "unknown").fail(err.with_path(src))
    except (MemoryError, RecursionError) as exc:
        return FileReport(input=str(src), kind=media_kind(src) or "unknown").fail(
            PipelineError(f"out of resources: {type(exc).__name__}", path=src)
        )
    except Exception as exc:  # a bug, not an input problem: still fail this file loudly, go on
        return FileReport(input=str(src), kind=media_kind(src) or "unknown").fail(
            PipelineError(f"internal error ({type(exc).__name__}: {exc}); please report it", path=src)
        )


def walk_media(root: Path, exclude: Path | None, *, skip_outputs: bool = False) -> Iterator[tuple[Path, str | None]]:
    """Yield (file, skip reason or None) below ``root`` in a stable order, never following links.

    ``skip_outputs``: folders named ``*.unseen`` are yielded with a reason, not walked."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        kept = []
        for d in sorted(dirnames):
            p = here / d
            if exclude is not None and _same_path(p, exclude):
                continue  # the output tree inside the input tree: never re-process outputs
            if p.is_symlink():
                yield p, "symbolic link to a folder, not followed"
                continue
            if skip_outputs and is_unseen_output_folder(p):
                yield p, "an unseen output folder, not processed again"
                continue
            kept.append(d)
        dirnames[:] = kept
        for name in sorted(filenames):
            p = here / name
            if is_temp_name(name):
                continue
            if p.is_symlink():
                yield p, "symbolic link, not followed"
            elif media_kind(p) is None:
                yield p, "not a photo or video"
            else:
                yield p, None


def _same_path(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def process_path(
    src: Path,
    dst: Path | None,
    settings: Settings,
    *,
    detector: FaceDetector | None = None,
    progress: bool = False,
) -> BatchReport:
    batch = BatchReport()
    if not src.exists() and not src.is_symlink():
        batch.files.append(FileReport(input=str(src), kind="unknown").fail(InputNotFound("no such file or folder", path=src)))
        return batch
    if not src.is_dir():
        target = dst
        if dst is not None and dst.is_dir():
            target = dst / (photo_output_name(src) if media_kind(src) == "image" else src.name)
        # The default output goes beside the input: a killed run left its temporary file there.
        clean_stale_temps((target if target is not None else src).parent)
        batch.files.append(_run_one(src, target, settings, detector, _video_progress(progress)))
        return batch

    if is_unseen_output_folder(src):
        batch.files.append(FileReport(input=str(src), kind="folder").fail(InputError(
            f"is an unseen output folder (named *{DIR_SUFFIX}); not processed again "
            "(`unseen check` re-scans it; rename it to process it anyway)", path=src)))
        return batch
    out_root = dst if dst is not None else default_output_dir(src)
    if out_root.exists() and not out_root.is_dir():
        batch.files.append(
            FileReport(input=str(src), kind="folder").fail(OutputNotWritable("output for a folder must be a folder", path=out_root))
        )
        return batch
    todo: list[Path] = []
    for p, reason in walk_media(src, out_root, skip_outputs=dst is None):
        if reason is not None:
            batch.skipped.append(f"{p}: {reason}")
        elif dst is None and is_unseen_output(p):
            batch.skipped.append(f"{p}: looks like an unseen output, not processed again")
        else:
            todo.append(p)
    bar = _bar(len(todo)) if progress else None
    cleaned: set[Path] = set()  # each output folder once, not once per file
    try:
        for p in todo:
            target = out_root / p.relative_to(src)
            if media_kind(p) == "image":
                target = target.with_name(photo_output_name(p))
            try:
                _make_dirs(target.parent, out_root)
            except UnseenError as err:
                batch.files.append(FileReport(input=str(p), kind=media_kind(p) or "unknown").fail(err))
                continue
            if target.parent not in cleaned:
                clean_stale_temps(target.parent)
                cleaned.add(target.parent)
            batch.files.append(_run_one(p, target, settings, detector, None))
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
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


def _bar(total: int):
    from tqdm import tqdm

    return tqdm(total=total, unit="file", desc="unseen", leave=False, dynamic_ncols=True)


def _video_progress(enabled: bool) -> Callable | None:
    if not enabled:
        return None
    from tqdm import tqdm

    state: dict = {}

    def update(done: int, total: int | None) -> None:
        bar = state.get("bar")
        if bar is None:
            bar = state["bar"] = tqdm(total=total, unit="frame", desc="unseen", leave=False, dynamic_ncols=True)
        bar.update(done - bar.n)
        if total is not None and done >= total:
            bar.close()

    return update
