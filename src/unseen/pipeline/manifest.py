"""The audit manifest of a batch: ``OUT/unseen-manifest.json``, what was done to which file.

For every input: its SHA-256, size and kind, the output's path and SHA-256, faces/regions covered,
metadata removed; failures with their reason; the settings, detector name and unseen version once.
It is rewritten atomically (temporary file, fsync, rename) after every file, so a killed batch
leaves the manifest of the files finished so far, never a torn one.

A manifest already in OUT that cannot be read (not a regular file, not UTF-8 JSON, truncated, another
format or an entry of the wrong shape) is never replaced by a fresh one, which would lose the audit
record of the earlier runs: the batch stops before any file with one line naming the file and what is
wrong (:class:`~unseen.errors.CorruptInput`, exit 3), and so does ``unseen verify-manifest``.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any

from ..errors import CorruptInput, InputNotFound, OutputExists, OutputNotWritable
from ..settings import Settings
from .commit import temp_path_for
from .report import FileReport, MediaKind, Status

MANIFEST_NAME = "unseen-manifest.json"
FORMAT = 1
_HOW_TO_START_AFRESH = "move it away to start a new audit record"
_KINDS = frozenset(k.value for k in MediaKind)
_STATUSES = frozenset(s.value for s in Status)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _entry(report: FileReport, root: Path) -> dict[str, Any]:
    src = Path(report.input)
    entry: dict[str, Any] = {"input": report.input, "kind": report.kind.value, "status": report.status.value}
    try:
        entry["input_size"] = src.stat().st_size
        entry["input_sha256"] = sha256_of(src)
    except OSError:
        entry["input_size"] = entry["input_sha256"] = None
    if report.status == Status.OK and report.output is not None:
        entry["output"] = report.output
        try:  # the path below OUT: what verify-manifest opens, from any working folder
            entry["output_relative"] = Path(report.output).resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            entry["output_relative"] = None
        entry["output_sha256"] = sha256_of(Path(report.output))
        entry["faces"] = report.faces
        details = report.details.to_dict() if report.details is not None else {}
        entry["regions_covered"] = details.get("regions_covered", report.faces)
        entry["metadata_removed"] = list(report.metadata_removed)
        entry["detector"] = details.get("detector")
    else:
        entry["error"] = report.error
        entry["exit_status"] = report.exit_status
    return entry


class Manifest:
    """Entries keyed by input path, written to ``root/unseen-manifest.json`` after each ``add``."""

    def __init__(self, root: Path, settings: Settings) -> None:
        from ..version import __version__

        self.path = root / MANIFEST_NAME
        self.head: dict[str, Any] = {
            "format": FORMAT,
            "unseen_version": __version__,
            "settings": {
                k: (v if isinstance(v, (int, float, str, bool)) or v is None else str(v))
                for k, v in settings.to_dict().items()
            },
        }
        self.files: dict[str, dict[str, Any]] = {}
        old = read_manifest(self.path)
        if old is not None:
            self.files = {e["input"]: e for e in old["files"]}

    def add(self, report: FileReport) -> None:
        old = self.files.get(report.input)
        if report.error_kind == "OutputExists" and old is not None and old.get("status") == "ok":
            return  # a run that refused to replace a finished output leaves that output's record
        self.files[report.input] = _entry(report, self.path.parent)
        self.write()

    def write(self) -> None:
        data = dict(self.head, files=list(self.files.values()))
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Named as the commit names its temporary files (owner pid and host), so the next run's
            # clean_stale_temps removes one a killed batch left (a mkstemp name stayed forever).
            tmp = str(temp_path_for(self.path))
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except OSError as exc:  # the batch must end with one line and the output status, not a trace
            raise OutputNotWritable(f"cannot write the manifest: {exc.strerror or exc}", path=self.path) from exc
        try:
            with os.fdopen(fd, "w") as f:
                json.dump(data, f, indent=1)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise OutputNotWritable(f"cannot write the manifest: {exc.strerror or exc}", path=self.path) from exc
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def read_manifest(path: Path) -> dict[str, Any] | None:
    """The manifest at ``path``, checked; None when there is none (nothing at that path).

    Anything else that is not a manifest this version reads is :class:`CorruptInput` naming the
    file and what is wrong: the earlier runs' record is never silently dropped."""
    try:
        st = path.lstat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CorruptInput(f"cannot read the manifest: {exc.strerror or exc}", path=path) from None
    if not stat.S_ISREG(st.st_mode):
        what = "a folder" if stat.S_ISDIR(st.st_mode) else "a symbolic link" if stat.S_ISLNK(st.st_mode) else "special"
        raise CorruptInput(f"the manifest is {what}, not a regular file; {_HOW_TO_START_AFRESH}", path=path)
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except OSError as exc:
        raise CorruptInput(f"cannot read the manifest: {exc.strerror or exc}", path=path) from None
    except UnicodeDecodeError as exc:
        raise CorruptInput(f"the manifest is not UTF-8 (byte {exc.start}); {_HOW_TO_START_AFRESH}", path=path) from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        at_end = exc.pos >= len(exc.doc.rstrip()) or exc.msg.startswith("Unterminated string")
        cut = " (it ends before the JSON does: truncated?)" if at_end else ""
        raise CorruptInput(
            f"the manifest is not valid JSON at {where}: {exc.msg}{cut}; {_HOW_TO_START_AFRESH}", path=path
        ) from None
    except RecursionError:
        raise CorruptInput(f"the manifest is nested too deeply; {_HOW_TO_START_AFRESH}", path=path) from None
    problem = _shape_problem(data)
    if problem is not None:
        raise CorruptInput(f"not an unseen manifest: {problem}; {_HOW_TO_START_AFRESH}", path=path)
    return data  # type: ignore[no-any-return]


def _shape_problem(data: Any) -> str | None:
    """What keeps ``data`` from being a format-1 manifest, or None."""
    if not isinstance(data, dict):
        return f"the top level is a JSON {type(data).__name__}, not an object"
    fmt = data.get("format")
    if fmt != FORMAT or isinstance(fmt, bool):
        shown = json.dumps(fmt)[:40] if "format" in data else "missing"
        return f"format {shown}, this unseen reads format {FORMAT}"
    files = data.get("files")
    if not isinstance(files, list):
        return "'files' is not a list"
    for i, e in enumerate(files):
        if not isinstance(e, dict):
            return f"files[{i}] is not an object"
        if not isinstance(e.get("input"), str):
            return f"files[{i}].input is not a path"
        if e.get("kind") not in _KINDS:
            return f"files[{i}].kind is not one of {', '.join(sorted(_KINDS))}"
        if e.get("status") not in _STATUSES:
            return f"files[{i}].status is not one of {', '.join(sorted(_STATUSES))}"
        faces = e.get("faces", 0)
        if not isinstance(faces, int) or isinstance(faces, bool):
            return f"files[{i}].faces is not a whole number"
        for key in ("input_sha256", "output_sha256", "output", "output_relative"):
            if e.get(key) is not None and not isinstance(e[key], str):
                return f"files[{i}].{key} is not a string"
        if not isinstance(e.get("metadata_removed", []), list):
            return f"files[{i}].metadata_removed is not a list"
    return None


def verify_manifest(root: Path) -> list[str]:
    """Re-hash every output the manifest of ``root`` lists; the mismatches, one line each."""
    data = read_manifest(root / MANIFEST_NAME)
    if data is None:
        raise InputNotFound(f"no {MANIFEST_NAME} in this folder", path=root)
    problems = []
    for e in data["files"]:
        out = e.get("output")
        if e.get("status") != "ok" or not out:
            continue
        rel = e.get("output_relative")
        target = root / rel if rel else Path(out)
        try:
            digest = sha256_of(target)
        except OSError as exc:
            problems.append(f"{out}: missing or unreadable ({exc.strerror or exc})")
            continue
        if digest != e.get("output_sha256"):
            problems.append(f"{out}: SHA-256 differs from the manifest")
    return problems


def resumable(manifest: Manifest, src: Path, dst: Path) -> FileReport | None:
    """``--resume``: the report of an input already done (its output at ``dst`` and the input both
    match the manifest), None when it is still to do (no output yet). An output that is there but
    does not match is an error: a truncated or foreign file is never taken for a finished one."""
    if not dst.exists() and not dst.is_symlink():
        return None
    entry = manifest.files.get(str(src))
    why = "not in the manifest"
    if entry is not None and entry.get("status") == "ok":
        try:
            same_out = dst.is_file() and not dst.is_symlink() and sha256_of(dst) == entry.get("output_sha256")
            same_in = sha256_of(src) == entry.get("input_sha256")
        except OSError as exc:
            raise OutputExists(
                f"output exists and cannot be read to verify it ({exc.strerror or exc})", path=dst
            ) from exc
        if same_out and same_in:
            return FileReport(
                input=str(src),
                output=str(dst),
                kind=MediaKind(entry["kind"]),
                faces=int(entry.get("faces", 0)),
                metadata_removed=list(entry.get("metadata_removed", [])),
                warnings=["done by an earlier run (resume): output verified against the manifest"],
            )
        why = "its SHA-256 differs from the manifest" if not same_out else "the input changed since"
    raise OutputExists(f"output exists but does not verify ({why}); not resumed (remove it to redo)", path=dst)
