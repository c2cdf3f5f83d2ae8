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
data streams) is removed and the written file is checked again.
"""

EPILOG = """\
exit status: 0 ok, 2 bad usage, 3 bad input, 4 cannot write output, 5 model/device problem,
6 output failed verification, 7 `check` found a visible face, 1 other failure.
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
                group.add_argument(_FLAG_OVERRIDES.get(name, "--no-" + name.replace("_", "-")), dest=name,
                                   action="store_const", const=False, default=None,
                                   help=meta["off_help"].replace("%", "%%"))
            else:
                group.add_argument(flag, dest=name, action="store_const", const=True, default=None, help=help_text)
            continue
        kwargs: dict[str, Any] = {"dest": name, "default": None, "type": type(default)}
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


def _commands_list() -> str:
    width = max(len(c.name) for c in COMMANDS)
    lines = [f"  unseen {c.name.ljust(width)}  {c.summary}" for c in COMMANDS]
    return "commands (each has its own --help: unseen COMMAND --help):\n" + "\n".join(lines) + "\n"


def build_parser() -> argparse.ArgumentParser:
    """The default command's parser: ``unseen [OPTIONS] INPUT...`` (anonymize)."""
    p = _Parser(prog="unseen", usage=USAGE, description=DESCRIPTION + "\n" + _commands_list(), epilog=EPILOG,
                formatter_class=HelpFormatter)
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="photo, video or folder")
    p.add_argument("--config", metavar="FILE", help="JSON file of settings (command-line options win)")
    p.add_argument("--version", action="version", version=f"unseen {__version__}")
    groups = {key: p.add_argument_group(title) for key, title in GROUPS.items()}
    groups["detection"].add_argument("--fast", action="store_true", help="shorthand for --preset fast")
    out = groups["output"]
    out.add_argument("-o", "--output", metavar="PATH", help="output file, or folder (for a folder or several inputs)")
    out.add_argument("--json", action="store_true", help="print a machine-readable report on stdout")
    out.add_argument("-q", "--quiet", action="store_true", help="no progress bar, only errors and the summary")
    _add_settings_options(groups)
    return p


def _check_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("inputs", nargs="+", metavar="FILE", help="anonymized photo or video")
    p.add_argument("--json", action="store_true", help="print a machine-readable report on stdout")
    p.add_argument("--threads", type=int, default=0, metavar="N", help="CPU threads")  # default: HelpFormatter
    p.add_argument("--step", type=int, default=1, metavar="N",
                   help="videos: check every Nth frame (default: 1, every frame)")
    p.add_argument("--min-score", type=float, default=0.5, metavar="X",
                   help="report detections scoring at least this (default: 0.5; lower finds more, with more "
                   "false alarms)")


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


def _run(argv: list[str], out: IO[str], err: IO[str]) -> int:
    ns = build_parser().parse_args(argv)
    settings = settings_from_args(ns)
    from .pipeline.batch import process_path
    from .pipeline.report import BatchReport

    inputs = [Path(i) for i in ns.inputs]
    output = Path(ns.output) if ns.output else None
    if len(inputs) > 1 and output is not None:
        if output.exists() and not output.is_dir():
            raise ConfigError("with several inputs, -o must be a folder")
        output.mkdir(parents=True, exist_ok=True)
    progress = not ns.quiet and not ns.json and err.isatty()
    total = BatchReport()
    for src in inputs:
        dst = output
        if output is not None and len(inputs) > 1 and src.is_dir():
            dst = output / src.name  # a file goes into the folder under the name its kind gives it
        r = process_path(src, dst, settings, progress=progress)
        total.files.extend(r.files)
        total.skipped.extend(r.skipped)
    if ns.json:
        json.dump(total.to_dict(), out, indent=2)
        out.write("\n")
    _print_summary(total, settings, out if not ns.json else err, err, quiet=ns.quiet)
    return int(total.exit_status)


def _print_summary(batch, settings: Settings, out: IO[str], err: IO[str], *, quiet: bool) -> None:
    for f in batch.failed:
        print(f"unseen: error: {f.error}", file=err)
    for f in [] if quiet else batch.files:  # -q: errors and the summary below only
        if f.status != "ok":
            continue
        unit = "face-frames" if f.kind == "video" else "faces"
        line = f"{printable(f.input)} -> {printable(str(f.output))}: {f.faces} {unit} covered"
        if f.metadata_removed:
            line += f"; removed: {', '.join(f.metadata_removed)}"
        print(line, file=out)
        for w in f.warnings:
            print(f"  warning: {w}", file=out)
    for s in [] if quiet else batch.skipped:
        print(f"skipped: {printable(s)}", file=out)
    ok = sum(1 for f in batch.files if f.status == "ok")
    faces = sum(f.faces for f in batch.files if f.status == "ok")
    summary = f"{ok} of {len(batch.files)} file(s) anonymized ({faces} covered)"
    if batch.failed:
        summary += f"; {len(batch.failed)} FAILED: NOT anonymized, no output written for them"
    if batch.skipped:
        summary += f"; {len(batch.skipped)} skipped"
    print(summary, file=out)
    if any(f.kind == "video" and f.status == "ok" and f.details.get("audio_kept") for f in batch.files):
        print("note: audio was kept; voices can identify people (use --no-audio to drop it)", file=out)
    if settings.mode != "solid":
        print(f"note: --mode {settings.mode} is NOT anonymization: re-identified above chance in our tests; "
              "see docs/PRIVACY.md", file=out)


def _run_check(ns: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from .pipeline.check import check_paths

    settings = Settings(preset="thorough", threads=ns.threads)
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


# The named commands (the default command, anonymize, is build_parser + _run). Future ones (plan,
# review, verify-manifest) are an entry here each.
COMMANDS: tuple[Command, ...] = (
    Command(
        "check",
        "re-scan outputs with the thorough detector; exit 7 if a face is visible",
        "Re-scan anonymized photos/videos with the most thorough detector; exit 7 if any face is still visible.",
        _check_arguments,
        _run_check,
    ),
)
