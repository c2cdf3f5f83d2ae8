"""Fail-closed output: write to a temporary file beside the target, verify, then move into place.

The temporary name is recognisable (``.<name>.unseen-tmp-<pid>-<host>-<random><suffix>``, host: a
short hash of the machine's name) so that a run killed half way leaves nothing that looks like a
finished output, and a later run can clean up. A temporary file is judged stale only when it is
not being written by this process, and its process is dead on this machine; one made on another
machine (a shared network folder, where its pid means nothing here) only after a day untouched.
The final move never replaces an existing file unless ``overwrite`` is set, and never the input.
Missing folders above the output (``-o new/out.jpg``) are created when the temporary file is, and
removed again (those this call created, if still empty) when the output is not committed.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from ..errors import OutputExists, OutputNotWritable, UnseenError

TMP_MARK = ".unseen-tmp-"
# errno values that mean "the output cannot be written" wherever they come from (a full disk, a
# quota, a file size limit, a read-only mount): reported as OutputNotWritable, not as a crash.
_OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS})


_HOST = hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]
FOREIGN_STALE_SECONDS = 24 * 3600  # another machine's temporary file is left alone this long
_active: set[str] = set()  # names of the temporary files this process is writing now (any thread)
_active_lock = threading.Lock()


def temp_path_for(final: Path) -> Path:
    return final.with_name(f".{final.stem}{TMP_MARK}{os.getpid()}-{_HOST}-{secrets.token_hex(4)}{final.suffix}")


def _temp_owner(name: str) -> tuple[int, str | None] | None:
    """(pid, host hash or None for names made before the host was recorded), or None if unparsable."""
    rest = name.split(TMP_MARK, 1)[1].rsplit(".", 1)[0] if TMP_MARK in name else ""
    parts = rest.split("-")
    try:
        pid = int(parts[0])
    except ValueError:
        return None
    return pid, (parts[1] if len(parts) >= 3 else None)


def is_temp_name(name: str) -> bool:
    return name.startswith(".") and TMP_MARK in name


def same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_output_target(src: Path, final: Path, overwrite: bool) -> None:
    """Refuse an output that is the input, or that exists without ``overwrite``."""
    if same_file(src, final) or Path(os.path.abspath(src)) == Path(os.path.abspath(final)):
        raise OutputExists("output would overwrite the input; choose another output path", path=final)
    if final.is_symlink():
        raise OutputNotWritable("output path is a symbolic link; refusing to write through it", path=final)
    if final.exists() and not overwrite:
        raise OutputExists("output exists (use --overwrite to replace it)", path=final)
    parent = _existing_ancestor(final.parent)
    if not parent.is_dir():
        raise OutputNotWritable("output folder is not a folder", path=parent)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputNotWritable("output folder is not writable", path=parent)


def _existing_ancestor(folder: Path) -> Path:
    """``folder`` or the nearest folder above it that exists (it will hold what is created)."""
    cur = Path(os.path.abspath(folder))
    while not cur.exists() and not cur.is_symlink() and cur.parent != cur:
        cur = cur.parent
    return cur


def _make_parents(folder: Path) -> list[Path]:
    """Create ``folder`` and missing folders above it; return those created, deepest last."""
    missing: list[Path] = []
    cur = Path(os.path.abspath(folder))
    while not cur.exists() and not cur.is_symlink() and cur.parent != cur:
        missing.append(cur)
        cur = cur.parent
    created: list[Path] = []
    try:
        for d in reversed(missing):
            d.mkdir()
            created.append(d)
    except OSError as exc:
        _remove_folders(created)
        raise OutputNotWritable(f"cannot create the output folder: {exc.strerror or exc}", path=folder) from exc
    return created


def _remove_folders(created: list[Path]) -> None:
    for d in reversed(created):
        with contextlib.suppress(OSError):
            d.rmdir()  # only if empty: another process may have written there meanwhile


@contextlib.contextmanager
def staged_output(final: Path, *, overwrite: bool) -> Iterator[Path]:
    """Yield a temporary path; on clean exit move it to ``final``; on any error delete it.

    The caller writes and verifies the temporary file inside the ``with`` block. Errors never
    name the temporary file (it is gone): they name ``final``. A full disk, quota, file size limit
    or read-only mount met anywhere inside the block becomes :class:`OutputNotWritable`.
    """
    tmp = temp_path_for(final)
    with _active_lock:
        _active.add(tmp.name)  # by name: the folder may be spelt differently by a caller
    created: list[Path] = []
    try:
        created = _make_parents(final.parent)
        yield tmp
        if not tmp.exists():
            raise OutputNotWritable("nothing was written", path=final)
        _commit(tmp, final, overwrite)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        _remove_folders(created)
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        full = _output_oserror(exc)
        if full is not None and not isinstance(exc, OutputNotWritable):
            where = exc.where if isinstance(exc, UnseenError) else None
            raise OutputNotWritable(f"cannot write the output: {os.strerror(full)}", path=final, where=where) from exc
        if isinstance(exc, UnseenError):
            _name_final(exc, tmp, final)
        raise
    finally:
        with _active_lock:
            _active.discard(tmp.name)


def _output_oserror(exc: BaseException) -> int | None:
    """The errno of an output-side OSError in ``exc`` or its causes (ENOSPC ...), else None."""
    seen = 0
    cur: BaseException | None = exc
    while cur is not None and seen < 8:
        if isinstance(cur, OSError) and cur.errno in _OUTPUT_ERRNOS:
            return cur.errno
        cur = cur.__cause__ or cur.__context__
        seen += 1
    return None


def _name_final(err: UnseenError, tmp: Path, final: Path) -> None:
    """Replace the (deleted) temporary file's name by the output's in an error's path and text."""
    changed = False
    if err.path == str(tmp):
        err.path, changed = str(final), True
    if str(tmp) in err.reason:
        err.reason, changed = err.reason.replace(str(tmp), str(final)), True
    if changed:
        err.args = (err.message,)


def _commit(tmp: Path, final: Path, overwrite: bool) -> None:
    try:
        with open(tmp, "rb+") as fh:  # flush the data to disk before the name appears
            os.fsync(fh.fileno())
        if overwrite:
            os.replace(tmp, final)
        else:
            # link() fails if `final` appeared meanwhile (another process): never clobber.
            try:
                os.link(tmp, final)
            except FileExistsError:
                raise OutputExists(
                    "output appeared while writing (another process?); not replaced", path=final
                ) from None
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.EXDEV, errno.ENOTSUP, errno.EOPNOTSUPP):
                    raise
                if final.exists():
                    raise OutputExists("output appeared while writing; not replaced", path=final) from None
                os.replace(tmp, final)  # filesystems without hard links
            else:
                tmp.unlink()
    except OSError as exc:
        raise OutputNotWritable(f"cannot move the finished file into place: {exc.strerror or exc}", path=final) from exc


def clean_stale_temps(folder: Path) -> list[Path]:
    """Delete temporary files left in ``folder`` by killed runs (see the module docstring for
    which count as left: never one this process is writing, nor a live process's on this machine)."""
    removed: list[Path] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for p in entries:
        if not is_temp_name(p.name):
            continue
        owner = _temp_owner(p.name)
        if owner is None:
            continue
        pid, host = owner
        with _active_lock:
            if p.name in _active:
                continue  # another thread of this process is writing it
        if host is not None and host != _HOST:
            try:
                if time.time() - p.stat().st_mtime < FOREIGN_STALE_SECONDS:
                    continue
            except OSError:
                continue
        elif pid != os.getpid() and _pid_alive(pid):
            continue
        with contextlib.suppress(OSError):
            p.unlink()
            removed.append(p)
    return removed


def _pid_alive(pid: int) -> bool:
    """Whether process ``pid`` can still write: a zombie (killed, not yet reaped; a killed batch's
    worker waits for whoever adopts it) cannot."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            state = f.read().rsplit(b")", 1)[1].split()[0]
        return state not in (b"Z", b"X")
    except (OSError, IndexError):
        return True
