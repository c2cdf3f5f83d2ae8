"""Command line: argv -> one validated Settings -> library call -> summary and exit code.

Commands: ``unseen INPUT...`` anonymizes (the default command, so it has no name to type) and
``unseen COMMAND ...`` runs one of :data:`COMMANDS` (``check``), each with its own ``--help``. argparse
cannot make a subcommand optional beside a positional list, so :func:`main` looks at argv[0]: a
command's name goes to the command parser (``add_subparsers``, one sub-parser per command), anything
else to the default command's parser. A file named like a command is reached as ``./check`` or
``unseen -- check``. A new command is one :class:`Command` entry: its name, one line of help, a
function adding its arguments and one running it.

The default command's options are built from the settings table (``unseen.settings.field_help``):
its help, group, choices and range, so help text, defaults and validation cannot drift apart;
``--help`` shows one section per settings group. Usage errors are one line that points to
``--help``, exit 2. stdout/stderr are injectable for in-process tests.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NoReturn

from . import __version__
from .cli_help import DERIVED_DEFAULTS, HelpFormatter
from .errors import ConfigError, ExitStatus, UnseenError, printable
from .pipeline.progress import FileFinished, FileStarted, FramesDone, ProgressEvent
from .pipeline.report import BatchReport, FileReport, ImageDetails, MediaKind, VideoDetails
from .settings import GROUPS, Settings, allowed, field_help

_FLAG_OVERRIDES = {"audio": "--no-audio"}  # boolean settings whose default is True
_NOT_FLAGS = {"fill", "keep_icc"}
_MAX_LISTED_CHOICES = 4  # more choices than this are named in the help text, not in the option's metavar

USAGE = """\
unseen [OPTIONS] INPUT...        anonymize photos, videos and folders
       unseen COMMAND [OPTIONS] ...     one of the commands below"""

DESCRIPTION = """\
Hide every face in photos and videos, offline. Writes NAME.unseen.EXT beside each input file
(a folder DIR goes to DIR.unseen/, mirrored), or where -o says. The default cover is a solid fill
over the whole head region: irreversible. Metadata (EXIF, GPS, XMP, IPTC, comments, container tags,
data streams) is removed and the written file is checked again. In a folder, a symbolic link to a
photo or video is followed (its output is a plain file under the output folder); a link to a folder,
a dangling or looping one, or one into the output folder fails, naming it (exit 3).
"""

EPILOG = """\
exit status: 0 ok, 2 bad usage, 3 bad input, 4 cannot write output, 5 model/device problem,
6 output failed verification, 7 `check` found a visible face (with --cover: or text, a plate, a
person), 1 other failure.
unseen hides faces only: bodies, clothing, tattoos, voices, places and context can still identify
people. See docs/PRIVACY.md.
"""


@dataclass(frozen=True)
class Command:
    """A named subcommand: ``unseen NAME ...``, with its own parser and ``--help``."""

    name: str
    summary: str  # one line, shown in ``unseen --help``
    description: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, IO[str], IO[str]], int]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse exits 2 itself; keep the 2, via ConfigError
        raise ConfigError(f"{message}; see '{self.prog} --help'")


def _add_settings_options(groups: dict[str, argparse._ArgumentGroup]) -> None:
    """One option per setting, in its group, with its choices, range and default in the help."""
    for name, meta in field_help().items():
        if not meta["cli"] or name in _NOT_FLAGS:
            continue
        group = groups[meta["group"]]
        default = meta["default"]
        flag = "--" + name.replace("_", "-")
        help_text = meta["help"].replace("%", "%%")  # argparse %-formats help strings
        if isinstance(default, bool):
            if default:
                group.add_argument(
                    _FLAG_OVERRIDES.get(name, "--no-" + name.replace("_", "-")),
                    dest=name,
                    action="store_const",
                    const=False,
                    default=None,
                    help=meta["off_help"].replace("%", "%%"),
                )
            else:
                group.add_argument(flag, dest=name, action="store_const", const=True, default=None, help=help_text)
            continue
        kwargs: dict[str, Any] = {"dest": name, "default": None, "type": _typed(type(default), meta["auto"])}
        choices = meta["choices"]
        if choices is not None:
            kwargs["choices"] = [c.value for c in choices]
            if len(choices) > _MAX_LISTED_CHOICES:
                kwargs["metavar"] = "NAME"
                help_text += f"; {allowed(name)}"
        else:
            kwargs["metavar"] = "N" if isinstance(default, int) else "X"
            if meta["range"] is not None:
                help_text += f"; {meta['range'].describe()}"
        if name not in DERIVED_DEFAULTS:  # those get theirs from the help formatter, when printed
            help_text += f" (default: {default})"
        group.add_argument(flag, help=help_text, **kwargs)


def _typed(kind: type, auto: tuple[float, str] | None) -> Callable[[str], Any]:
    """The option's type; where the setting has a derived default, the word ``auto`` also names it
    (``--workers auto`` is ``--workers 0``)."""
    if auto is None:
        return kind

    def parse(text: str) -> Any:
        return kind(auto[0]) if text.strip().lower() == "auto" else kind(text)

    parse.__name__ = kind.__name__  # argparse names the type in "invalid int value"
    return parse


def _commands_list() -> str:
    width = max(len(c.name) for c in COMMANDS)
    lines = [f"  unseen {c.name.ljust(width)}  {c.summary}" for c in COMMANDS]
    return "commands (each has its own --help: unseen COMMAND --help):\n" + "\n".join(lines) + "\n"


def build_parser() -> argparse.ArgumentParser:
    """The default command's parser: ``unseen [OPTIONS] INPUT...`` (anonymize)."""
    p = _Parser(
        prog="unseen",
        usage=USAGE,
        description=DESCRIPTION + "\n" + _commands_list(),
        epilog=EPILOG,
        formatter_class=HelpFormatter,
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="photo, video or folder")
    p.add_argument("--config", metavar="FILE", help="JSON file of settings (command-line options win)")
    p.add_argument("--version", action="version", version=f"unseen {__version__}")
    groups = {key: p.add_argument_group(title) for key, title in GROUPS.items()}
    groups["detection"].add_argument("--fast", action="store_true", help="shorthand for --preset fast")
    out = groups["output"]
    out.add_argument("-o", "--output", metavar="PATH", help="output file, or folder (for a folder or several inputs)")
    out.add_argument("--json", action="store_true", help="print a machine-readable report on stdout")
    out.add_argument("-q", "--quiet", action="store_true", help="no progress bar, only errors and the summary")
    plan = p.add_argument_group("plan (docs/PLAN.md)")
    plan.add_argument(
        "--plan",
        metavar="PATH",
        help="render INPUT from this plan file, without detecting; a folder INPUT: the folder of its plans, "
        "mirrored (the input folder itself for plans beside each file)",
    )
    plan.add_argument(
        "--save-plan", action="store_true", help="also write NAME.EXT.plan.json beside each output (not replaced)"
    )
    _region_argument(plan)
    _add_settings_options(groups)
    return p


def _region_argument(g: Any) -> None:
    g.add_argument(
        "--region",
        action="append",
        default=[],
        metavar="X1,Y1,X2,Y2[@T0-T1]",
        help="always cover this box (pixels; a video: from T0 to T1 seconds); repeatable",
    )


def _plan_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="photo, video or folder")
    p.add_argument(
        "-o", "--output", metavar="DIR", help="write the plans under DIR, mirrored (default: beside each file)"
    )
    p.add_argument("--config", metavar="FILE", help="JSON file of settings (command-line options win)")
    p.add_argument("--json", action="store_true", help="print the plans' paths and flag counts as JSON")
    p.add_argument("--no-thorough", action="store_true", help="photos: skip the thorough check (no missed-face flags)")
    _region_argument(p)
    groups = {key: p.add_argument_group(title) for key, title in GROUPS.items()}
    groups["detection"].add_argument("--fast", action="store_true", help="shorthand for --preset fast")
    _add_settings_options(groups)


def _check_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("inputs", nargs="+", metavar="FILE", help="anonymized photo or video")
    p.add_argument("--json", action="store_true", help="print a machine-readable report on stdout")
    p.add_argument("--threads", type=int, default=0, metavar="N", help="CPU threads")  # default: HelpFormatter
    p.add_argument(
        "--step", type=int, default=1, metavar="N", help="videos: check every Nth frame (default: 1, every frame)"
    )
    p.add_argument(
        "--min-score",
        type=float,
        default=0.5,
        metavar="X",
        help="report detections scoring at least this (default: 0.5; lower finds more, with more false alarms)",
    )
    p.add_argument(
        "--cover",
        default="faces",
        metavar="KINDS",
        help="also look for these kinds still visible: people, text, plates, all (default: faces only)",
    )


def _add_commands(root: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    sub = root.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=_Parser)
    parsers: dict[str, argparse.ArgumentParser] = {}
    for cmd in COMMANDS:
        sp = sub.add_parser(cmd.name, help=cmd.summary, description=cmd.description, formatter_class=HelpFormatter)
        cmd.add_arguments(sp)
        sp.set_defaults(run=cmd.run)
        parsers[cmd.name] = sp
    return parsers


def _run_command(argv: list[str], out: IO[str], err: IO[str]) -> int:
    root = _Parser(prog="unseen", formatter_class=HelpFormatter)
    parsers = _add_commands(root)
    ns, extra = root.parse_known_args(argv)
    if extra:  # argparse would report these from the root parser; say which command's help to read
        parsers[ns.command].error(f"unrecognized arguments: {' '.join(extra)}")
    return int(ns.run(ns, out, err))


def build_check_parser() -> argparse.ArgumentParser:
    """``unseen check``'s own parser (prog ``unseen check``)."""
    return _add_commands(_Parser(prog="unseen"))["check"]


def settings_from_args(ns: argparse.Namespace) -> Settings:
    try:
        base = Settings.from_file(ns.config) if ns.config else Settings()
        changes = {name: getattr(ns, name) for name in field_help() if getattr(ns, name, None) is not None}
        if ns.fast:
            if changes.get("preset", "fast") != "fast":
                raise ConfigError("--fast contradicts --preset")
            changes["preset"] = "fast"
        return base.replace(**changes)
    except ConfigError as exc:
        raise ConfigError(f"{exc.message}; see 'unseen --help'") from exc


def main(argv: Sequence[str] | None = None, *, stdout: IO[str] | None = None, stderr: IO[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # Pillow warns on stderr about broken EXIF it then ignores; our report says what was removed.
    warnings.filterwarnings("ignore", module=r"PIL\.")
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    try:
        if argv and argv[0] in {c.name for c in COMMANDS}:
            return _run_command(argv, out, err)
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


def _regions(ns: argparse.Namespace) -> list[Any]:
    from .plan import parse_region

    return [parse_region(r) for r in ns.region]


def _run_plan(ns: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from .pipeline.plan_batch import write_plans

    settings = settings_from_args(ns)
    regions = _regions(ns)
    inputs = [Path(i) for i in ns.inputs]
    batch = write_plans(
        inputs, Path(ns.output) if ns.output else None, settings, regions=regions, thorough=not ns.no_thorough
    )
    done: list[dict[str, Any]] = []
    for o in batch.outcomes:
        if o.error is not None:
            print(f"unseen: error: {o.error.message}", file=err)
            done.append({"input": str(o.input), "plan": None, "error": o.error.message})
            continue
        done.append({"input": str(o.input), "plan": str(o.plan), "boxes": o.boxes, "flags": o.flags})
        if not ns.json:
            print(
                f"{printable(str(o.input))} -> {printable(str(o.plan))}: {o.boxes} box(es), {o.flags} review flag(s)",
                file=out,
            )
    summary_to = err if ns.json else out
    for s in batch.skipped:
        print(f"skipped: {printable(s)}", file=summary_to)
    n, bad = len(batch.outcomes), len(batch.failed)
    line = f"{n - bad} of {n} plan(s) written"
    if bad:
        line += f"; {bad} FAILED: no plan written for them"
    if batch.skipped:
        line += f"; {len(batch.skipped)} skipped"
    print(line, file=summary_to)
    if ns.json:
        json.dump(done, out, indent=2)
        out.write("\n")
    return int(batch.exit_status)


def _run_with_plan(ns: argparse.Namespace, settings: Settings, out: IO[str], err: IO[str]) -> int:
    """--plan, --region or --save-plan: detect once into a plan (or load one), render from it; files
    and folders go through the main batch (pipeline/plan_batch.py says where plans are found/saved)."""
    from .pipeline.batch import process_paths
    from .pipeline.plan_batch import REGION_FOLDER, one_shot_runner, plan_lookup, render_runner

    regions = _regions(ns)
    inputs = [Path(i) for i in ns.inputs]
    if regions and any(i.is_dir() for i in inputs):
        raise ConfigError(REGION_FOLDER)
    if ns.plan:
        if ns.save_plan:
            raise ConfigError("--save-plan with --plan: the plan is already saved; drop --save-plan")
        runner = render_runner(plan_lookup(inputs, Path(ns.plan)), regions)
    else:
        runner = one_shot_runner(regions, save_plans=ns.save_plan)
    bars = _ProgressBars(err) if not ns.quiet and not ns.json and err.isatty() else None
    try:
        total = process_paths(inputs, Path(ns.output) if ns.output else None, settings, progress=bars, runner=runner)
    finally:
        if bars is not None:
            bars.close()
    if ns.json:
        json.dump([r.to_dict() for r in total.files], out, indent=2)
        out.write("\n")
    _print_summary(total, settings, out if not ns.json else err, err, quiet=ns.quiet, plans=True)
    return int(total.exit_status)


def _run(argv: list[str], out: IO[str], err: IO[str]) -> int:
    ns = build_parser().parse_args(argv)
    settings = settings_from_args(ns)
    if ns.plan or ns.region or ns.save_plan:
        return _run_with_plan(ns, settings, out, err)
    from .pipeline.batch import process_paths

    bars = _ProgressBars(err) if not ns.quiet and not ns.json and err.isatty() else None
    try:
        total = process_paths(
            [Path(i) for i in ns.inputs], Path(ns.output) if ns.output else None, settings, progress=bars
        )
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
                self._files = tqdm(
                    total=event.total, unit="file", desc="unseen", leave=False, dynamic_ncols=True, file=self._stream
                )
        elif isinstance(event, FramesDone):
            if self._files is not None:
                return  # a folder shows files, not the frames of each video
            if self._frames is None:
                self._frames = tqdm(
                    total=event.total, unit="frame", desc="unseen", leave=False, dynamic_ncols=True, file=self._stream
                )
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


def _file_line(f: FileReport, *, plans: bool = False) -> str:
    """One succeeded file: what was covered, in its own unit, and what metadata was removed."""
    line = f"{printable(f.input)} -> {printable(str(f.output))}: "
    d = f.details
    if isinstance(d, VideoDetails):
        line += (
            f"{d.face_frames_covered} face-frames covered ({d.tracks} tracked face(s), "
            f"{d.frames_covered} of {d.frames} frames covered)"
        )
    else:
        line += f"{f.faces} faces covered"
    if plans and isinstance(d, (ImageDetails, VideoDetails)):
        line += f"; {d.plan_rejected} rejected box(es) left uncovered; {d.manual_regions} manual region(s)"
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


def _print_summary(
    batch: BatchReport, settings: Settings, out: IO[str], err: IO[str], *, quiet: bool, plans: bool = False
) -> None:
    for f in batch.failed:
        print(f"unseen: error: {f.error}", file=err)
    for f in [] if quiet else batch.succeeded:  # -q: errors and the summary below only
        print(_file_line(f, plans=plans), file=out)
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
    if len(batch.files) > 1 and batch.workers_how:
        print(f"ran on {batch.workers_how}", file=out)
    if any(isinstance(f.details, VideoDetails) and f.details.audio_kept for f in batch.succeeded):
        print("note: audio was kept; voices can identify people (use --no-audio to drop it)", file=out)
    if settings.mode != "solid":
        print(
            f"note: --mode {settings.mode} is NOT anonymization: re-identified above chance in our tests; "
            "see docs/PRIVACY.md",
            file=out,
        )


def _run_check(ns: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from .pipeline.check import check_paths

    settings = Settings(preset="thorough", threads=ns.threads, cover=ns.cover)
    if ns.step < 1 or not (0.0 < ns.min_score < 1.0):
        raise ConfigError("--step must be >= 1 and --min-score between 0 and 1; see 'unseen check --help'")
    report = check_paths([Path(i) for i in ns.inputs], settings, min_score=ns.min_score, step=ns.step)
    if ns.json:
        json.dump(report.to_dict(), out, indent=2)
        out.write("\n")
    else:
        for line in report.lines():
            print(line, file=out)
    return int(report.exit_status)


def _review_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("inputs", nargs="+", metavar="PATH", help="photos, videos or folders to review")
    p.add_argument(
        "-o", "--output", metavar="DIR", help="plans and outputs go here (mirrored; default: beside each file)"
    )
    p.add_argument("--port", type=int, default=0, metavar="N", help="port to listen on (default: a free one)")
    p.add_argument("--host", default="127.0.0.1", metavar="H", help="address to bind (default: 127.0.0.1)")
    p.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a --host that is not loopback (with a warning)",
    )
    p.add_argument("--no-browser", action="store_true", help="print the URL only; do not open a browser")


def _run_review(ns: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from .review.server import serve

    if not 0 <= ns.port <= 65535:
        raise ConfigError("--port must be 0 to 65535; see 'unseen review --help'")
    return serve(
        [Path(i) for i in ns.inputs],
        out=None if ns.output is None else Path(ns.output),
        host=ns.host,
        port=ns.port,
        open_browser=not ns.no_browser,
        allow_remote=ns.allow_remote,
        stdout=out,
        err=err,
    )


def _verify_manifest_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("folder", metavar="OUT", help="an output folder with an unseen-manifest.json")


def _run_verify_manifest(ns: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from .pipeline.manifest import verify_manifest

    problems = verify_manifest(Path(ns.folder))
    for line in problems:
        print(f"unseen: mismatch: {line}", file=err)
    if problems:
        print(f"{len(problems)} output(s) differ from the manifest", file=out)
        return int(ExitStatus.VERIFY)
    print("every output matches the manifest", file=out)
    return int(ExitStatus.OK)


# The named commands (the default command, anonymize, is build_parser + _run). Future ones (plan,
# review) are an entry here each.
COMMANDS: tuple[Command, ...] = (
    Command(
        "plan",
        "detect and write NAME.plan.json (boxes, regions, review flags); no media output",
        "Detect faces and write a redaction plan per input (docs/PLAN.md), to review and render with --plan.",
        _plan_arguments,
        _run_plan,
    ),
    Command(
        "check",
        "re-scan outputs with the thorough detector; exit 7 if a face is visible",
        "Re-scan anonymized photos/videos with the most thorough detector; exit 7 if any face is still visible "
        "(with --cover, or any person, text or plate the covering detectors still find off a solid cover).",
        _check_arguments,
        _run_check,
    ),
    Command(
        "review",
        "open a local review page: see, correct and re-render the plans (needs unseen[review])",
        "Start a local web page (loopback only, behind a random token) to review each file's redaction plan: "
        "see the boxes and flags, draw regions, reject or restore boxes, render. Prints the URL on its own line.",
        _review_arguments,
        _run_review,
    ),
    Command(
        "verify-manifest",
        "re-hash the outputs an unseen-manifest.json lists; exit 6 on any mismatch",
        "Re-hash every output listed in OUT/unseen-manifest.json and report any that is missing or differs.",
        _verify_manifest_arguments,
        _run_verify_manifest,
    ),
)
