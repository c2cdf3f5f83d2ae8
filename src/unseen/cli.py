"""Command line: argv -> one validated Settings -> library call -> summary and exit code.

Options are built from the settings table (``unseen.settings.field_help``) so help text, defaults
and validation cannot drift apart. stdout/stderr are injectable for in-process tests.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from . import __version__
from .errors import ConfigError, ExitStatus, UnseenError, printable
from .pipeline.progress import FileFinished, FileStarted, FramesDone, ProgressEvent
from .pipeline.report import BatchReport, FileReport, MediaKind, VideoDetails
from .settings import Settings, field_help

_FLAG_OVERRIDES = {"audio": "--no-audio"}  # boolean settings whose default is True
_NOT_FLAGS = {"fill", "keep_icc"}

DESCRIPTION = """\
Hide every face in photos and videos, offline. Writes NAME.unseen.EXT beside each input file
(a folder DIR goes to DIR.unseen/, mirrored), or where -o says. The default cover is a solid fill
over the whole head region: irreversible. Metadata (EXIF, GPS, XMP, IPTC, comments, container tags,
data streams) is removed and the written file is checked again.
"""

EPILOG = """\
exit status: 0 ok, 2 bad usage, 3 bad input, 4 cannot write output, 5 model/device problem,
6 output failed verification, 7 `check` found a visible face, 1 other failure.
unseen hides faces only: bodies, clothing, tattoos, voices, places and context can still identify
people. See docs/PRIVACY.md.
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 by default; keep it, via ConfigError
        raise ConfigError(message)


def _add_settings_options(p: argparse.ArgumentParser) -> None:
    for name, meta in field_help().items():
        if not meta.get("cli", True) or name in _NOT_FLAGS:
            continue
        default = meta["default"]
        flag = "--" + name.replace("_", "-")
        help_text = meta["help"].replace("%", "%%")  # argparse %-formats help strings
        if isinstance(default, bool):
            if default:
                p.add_argument(_FLAG_OVERRIDES.get(name, "--no-" + name.replace("_", "-")), dest=name,
                               action="store_const", const=False, default=None, help=help_text.replace("keep", "drop", 1))
            else:
                p.add_argument(flag, dest=name, action="store_const", const=True, default=None, help=help_text)
            continue
        kwargs: dict = {"dest": name, "default": None, "help": f"{help_text} (default: {default})"}
        if meta.get("choices"):
            kwargs["choices"] = meta["choices"]
        kwargs["type"] = type(default)
        p.add_argument(flag, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="unseen", description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="photo, video or folder (use `unseen check FILE...` to re-scan outputs)")
    p.add_argument("-o", "--output", help="output file, or folder (for a folder or several inputs)")
    p.add_argument("--fast", action="store_true", help="shorthand for --preset fast")
    p.add_argument("--config", help="JSON file of settings (command-line options win)")
    p.add_argument("--json", action="store_true", help="print a machine-readable report on stdout")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar, only errors and the summary")
    p.add_argument("--version", action="version", version=f"unseen {__version__}")
    _add_settings_options(p)
    return p


def build_check_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="unseen check", description="Re-scan anonymized photos/videos with the most thorough detector; "
                "exit 7 if any face is still visible.")
    p.add_argument("inputs", nargs="+", metavar="FILE")
    p.add_argument("--json", action="store_true", help="print a machine-readable report on stdout")
    p.add_argument("--threads", type=int, default=0, help="CPU threads (0 = all cores)")
    p.add_argument("--step", type=int, default=1, help="videos: check every Nth frame (default 1: every frame)")
    p.add_argument("--min-score", type=float, default=0.5,
                   help="report detections scoring at least this (default 0.5; lower finds more, with more false alarms)")
    return p


def settings_from_args(ns: argparse.Namespace) -> Settings:
    base = Settings.from_file(ns.config) if getattr(ns, "config", None) else Settings()
    changes = {name: getattr(ns, name) for name in field_help() if getattr(ns, name, None) is not None}
    if getattr(ns, "fast", False):
        if changes.get("preset", "fast") != "fast":
            raise ConfigError("--fast contradicts --preset")
        changes["preset"] = "fast"
    if "fill" in changes:
        changes.pop("fill")
    return base.replace(**changes)


def main(argv: Sequence[str] | None = None, *, stdout: IO[str] | None = None, stderr: IO[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # Pillow warns on stderr about broken EXIF it then ignores; our report says what was removed.
    warnings.filterwarnings("ignore", module=r"PIL\.")
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    try:
        if argv and argv[0] == "check":
            return _run_check(argv[1:], out, err)
        return _run(argv, out, err)
    except ConfigError as exc:
        print(f"unseen: error: {exc.message}", file=err)
        return int(ExitStatus.USAGE)
    except UnseenError as exc:
        print(f"unseen: error: {exc.message}", file=err)
        return int(exc.exit_status)
    except KeyboardInterrupt:
        print("unseen: interrupted; no partial output was kept", file=err)
        return int(ExitStatus.INTERRUPTED)


def _run(argv: list[str], out: IO[str], err: IO[str]) -> int:
    ns = build_parser().parse_args(argv)
    settings = settings_from_args(ns)
    from .pipeline.batch import process_paths

    bars = _ProgressBars(err) if not ns.quiet and not ns.json and err.isatty() else None
    try:
        total = process_paths([Path(i) for i in ns.inputs], Path(ns.output) if ns.output else None, settings,
                              progress=bars)
    finally:
        if bars is not None:
            bars.close()
    if ns.json:
        json.dump(total.to_dict(), out, indent=2)
        out.write("\n")
    _print_summary(total, settings, out if not ns.json else err, err, quiet=ns.quiet)
    return int(total.exit_status)


class _ProgressBars:
    """The library's progress events drawn as tqdm bars on stderr: one per file of a folder (or
    several inputs), one per frame of a single video."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._files: Any = None
        self._frames: Any = None

    def __call__(self, event: ProgressEvent) -> None:
        from tqdm import tqdm

        if isinstance(event, FileStarted):
            if event.total > 1 and self._files is None:
                self._files = tqdm(total=event.total, unit="file", desc="unseen", leave=False, dynamic_ncols=True,
                                   file=self._stream)
        elif isinstance(event, FramesDone):
            if self._files is not None:
                return  # a folder shows files, not the frames of each video
            if self._frames is None:
                self._frames = tqdm(total=event.total, unit="frame", desc="unseen", leave=False, dynamic_ncols=True,
                                    file=self._stream)
            self._frames.update(event.done - self._frames.n)
        elif isinstance(event, FileFinished):
            self._close_frames()
            if self._files is not None:
                self._files.update(1)

    def _close_frames(self) -> None:
        if self._frames is not None:
            self._frames.close()
            self._frames = None

    def close(self) -> None:
        self._close_frames()
        if self._files is not None:
            self._files.close()
            self._files = None


def _file_line(f: FileReport) -> str:
    """One succeeded file: what was covered, in its own unit, and what metadata was removed."""
    line = f"{printable(f.input)} -> {printable(str(f.output))}: "
    d = f.details
    if isinstance(d, VideoDetails):
        line += (f"{d.face_frames_covered} face-frames covered ({d.tracks} tracked face(s), "
                 f"{d.frames_covered} of {d.frames} frames covered)")
    else:
        line += f"{f.faces} faces covered"
    if f.metadata_removed:
        line += f"; removed: {', '.join(f.metadata_removed)}"
    return line


def _totals(batch: BatchReport) -> str:
    """Photo faces and video face-frames are different units: said apart, never added."""
    videos = [f for f in batch.succeeded if f.kind == MediaKind.VIDEO]
    photos = len(batch.succeeded) - len(videos)
    if not videos:
        return f"{batch.photo_faces} covered"
    parts = [f"{batch.photo_faces} faces covered in {photos} photo(s)"] if photos else []
    parts.append(f"{batch.video_face_frames} face-frames covered in {len(videos)} video(s)")
    return "; ".join(parts)


def _print_summary(batch: BatchReport, settings: Settings, out: IO[str], err: IO[str], *, quiet: bool) -> None:
    for f in batch.failed:
        print(f"unseen: error: {f.error}", file=err)
    for f in [] if quiet else batch.succeeded:  # -q: errors and the summary below only
        print(_file_line(f), file=out)
        for w in f.warnings:
            print(f"  warning: {w}", file=out)
    for s in [] if quiet else batch.skipped:
        print(f"skipped: {printable(s)}", file=out)
    summary = f"{len(batch.succeeded)} of {len(batch.files)} file(s) anonymized ({_totals(batch)})"
    if batch.failed:
        summary += f"; {len(batch.failed)} FAILED: NOT anonymized, no output written for them"
    if batch.skipped:
        summary += f"; {len(batch.skipped)} skipped"
    print(summary, file=out)
    if any(isinstance(f.details, VideoDetails) and f.details.audio_kept for f in batch.succeeded):
        print("note: audio was kept; voices can identify people (use --no-audio to drop it)", file=out)
    if settings.mode != "solid":
        print(f"note: --mode {settings.mode} is NOT anonymization: re-identified above chance in our tests; "
              "see docs/PRIVACY.md", file=out)


def _run_check(argv: list[str], out: IO[str], err: IO[str]) -> int:
    ns = build_check_parser().parse_args(argv)
    from .pipeline.check import check_paths

    settings = Settings(preset="thorough", threads=ns.threads)
    if ns.step < 1 or not (0.0 < ns.min_score < 1.0):
        raise ConfigError("--step must be >= 1 and --min-score between 0 and 1")
    report = check_paths([Path(i) for i in ns.inputs], settings, min_score=ns.min_score, step=ns.step)
    if ns.json:
        json.dump(report.to_dict(), out, indent=2)
        out.write("\n")
    else:
        for line in report.lines():
            print(line, file=out)
    return int(report.exit_status)
