"""Reading and writing plan files: strict, bounded loading, and atomic, deterministic saving.

Every refusal is one line naming the plan file and, where there is one, the JSON path of the bad
field: ``plan.json: frames[12].boxes[3].box: x2 must be > x1 (got x1=40, x2=12)``. It is raised
as :class:`~unseen.errors.CorruptInput` (a malformed or mismatched plan) or
:class:`~unseen.errors.LimitExceeded` (a size or count beyond :mod:`.limits`), both InputErrors:
exit status 3 (``ExitStatus.INPUT``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..errors import (
    CorruptInput,
    InputError,
    InputNotFound,
    LimitExceeded,
    OutputExists,
    OutputNotWritable,
)
from . import limits
from .encode import dumps
from .model import InputInfo, Plan
from .scan import PlanSyntaxError, parse
from .validate import PlanFieldError, plan_from_json


def file_sha256(path: str | Path, *, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def describe_input(
    path: str | Path,
    *,
    kind: str,
    width: int,
    height: int,
    frame_count: int | None = None,
    time_base: tuple[int, int] | None = None,
    fps: float | None = None,
    duration: float | None = None,
) -> InputInfo:
    """The InputInfo of a media file: its name, size and SHA-256 read here, the rest as given."""
    p = Path(path)
    try:
        size, digest = p.stat().st_size, file_sha256(p)
    except FileNotFoundError:
        raise InputNotFound("media file not found", path=p) from None
    except OSError as exc:
        raise InputError(f"cannot read the media file: {exc.strerror or exc}", path=p) from None
    return InputInfo(p.name, size, digest, kind, width, height, frame_count, time_base, fps, duration)


def _read(path: Path) -> bytes:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputNotFound("plan file not found", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read the plan: {exc.strerror or exc}", path=path) from None
    if not path.is_file():
        raise InputError("the plan is not a regular file", path=path)
    if size > limits.MAX_PLAN_BYTES:
        raise LimitExceeded(f"plan file is {size} bytes, more than MAX_PLAN_BYTES ({limits.MAX_PLAN_BYTES})", path=path)
    try:
        with open(path, "rb") as fh:
            data = fh.read(limits.MAX_PLAN_BYTES + 1)  # the file may grow after the stat
    except OSError as exc:
        raise InputError(f"cannot read the plan: {exc.strerror or exc}", path=path) from None
    if len(data) > limits.MAX_PLAN_BYTES:
        raise LimitExceeded(f"plan file is more than MAX_PLAN_BYTES ({limits.MAX_PLAN_BYTES}) bytes", path=path)
    if not data.strip():
        raise CorruptInput("the plan file is empty", path=path)
    return data


def plan_from_bytes(data: bytes, path: str | Path) -> Plan:
    """Parse and check a plan held in memory; ``path`` only names it in errors."""
    if len(data) > limits.MAX_PLAN_BYTES:
        raise LimitExceeded(f"plan is more than MAX_PLAN_BYTES ({limits.MAX_PLAN_BYTES}) bytes", path=path)
    try:
        return plan_from_json(parse(data))
    except PlanSyntaxError as exc:
        cls = LimitExceeded if exc.limit else CorruptInput
        raise cls(exc.reason, path=path) from None
    except PlanFieldError as exc:
        cls = LimitExceeded if exc.limit else CorruptInput
        raise cls(exc.reason, path=path, where=exc.where or None) from None


def check_media(plan: Plan, plan_path: str | Path, media_path: str | Path) -> None:
    """Refuse a plan made for another file: size, then SHA-256, of ``media_path``."""
    media = Path(media_path)
    try:
        size = media.stat().st_size
    except FileNotFoundError:
        raise InputNotFound("media file not found", path=media) from None
    except OSError as exc:
        raise InputError(f"cannot read the media file: {exc.strerror or exc}", path=media) from None
    name = media.name
    if size != plan.input.size:
        raise CorruptInput(
            f"the plan was made for another file ({plan.input.name}, {plan.input.size} bytes; {name} is {size} bytes)",
            path=plan_path,
            where="input.size",
        )
    try:
        digest = file_sha256(media)
    except OSError as exc:
        raise InputError(f"cannot read the media file: {exc.strerror or exc}", path=media) from None
    if digest != plan.input.sha256:
        raise CorruptInput(
            "the plan was made for another file (its SHA-256 is "
            f"{plan.input.sha256[:16]}..., {name}'s is {digest[:16]}...)",
            path=plan_path,
            where="input.sha256",
        )


def load_plan(path: str | Path, *, media_path: str | Path | None = None) -> Plan:
    """Read, check and return the plan at ``path``; with ``media_path``, also check that it is the
    plan of that file. Raises an InputError subclass (exit status 3) with a one-line message."""
    p = Path(path)
    plan = plan_from_bytes(_read(p), p)
    if media_path is not None:
        check_media(plan, p, media_path)
    return plan


def save_plan(plan: Plan, path: str | Path, *, overwrite: bool = False) -> None:
    """Write ``plan`` to ``path`` atomically (a temporary file beside it, then a rename), never
    replacing an existing file unless ``overwrite``. The text is checked by the loader's own rules
    first: a plan that would not load is not written (CorruptInput / LimitExceeded)."""
    from ..pipeline.commit import staged_output  # the media outputs' fail-closed commit

    final = Path(path)
    text = dumps(plan)
    data = text.encode("utf-8")
    plan_from_bytes(data, final)  # refuse to write what load_plan would refuse
    if final.exists() and not overwrite:
        raise OutputExists("plan file exists (use --overwrite, or overwrite=True, to replace it)", path=final)
    if not final.parent.is_dir():
        raise OutputNotWritable("output folder does not exist", path=final.parent)
    with staged_output(final, overwrite=overwrite) as tmp:  # it syncs the data before the rename
        tmp.write_bytes(data)
