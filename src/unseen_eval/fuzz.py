"""Mutation fuzzing of photo and video inputs (evaluation only).

Every mutated file must end in a clean success (a complete, verified output) or an
``UnseenError`` with no output file: never another exception, a hang or a crash. The mutators are
seeded and deterministic, so a failing case can be replayed from its ``(seed, mutator)``.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

Mutator = Callable[[bytes, np.random.Generator], bytes]


def bitflip(data: bytes, rng: np.random.Generator) -> bytes:
    b = bytearray(data)
    for _ in range(int(rng.integers(1, 33))):
        i = int(rng.integers(0, len(b)))
        b[i] ^= 1 << int(rng.integers(0, 8))
    return bytes(b)


def truncate(data: bytes, rng: np.random.Generator) -> bytes:
    return data[: int(rng.integers(0, len(data)))]


def overwrite(data: bytes, rng: np.random.Generator) -> bytes:
    b = bytearray(data)
    start = int(rng.integers(0, len(b)))
    n = int(rng.integers(1, 64))
    val = rng.choice([0x00, 0xFF, -1])
    for i in range(start, min(len(b), start + n)):
        b[i] = int(rng.integers(0, 256)) if val == -1 else int(val)
    return bytes(b)


def insert_garbage(data: bytes, rng: np.random.Generator) -> bytes:
    i = int(rng.integers(0, len(data) + 1))
    return data[:i] + rng.integers(0, 256, int(rng.integers(1, 4096)), dtype=np.uint8).tobytes() + data[i:]


def _chunks(data: bytes, kind: str) -> list[bytes] | None:
    """Split into PNG chunks, JPEG segments or ISO-BMFF boxes; None when the layout is not found."""
    out: list[bytes] = []
    if kind == "png" and data[:8] == b"\x89PNG\r\n\x1a\n":
        out.append(data[:8])
        i = 8
        while i + 12 <= len(data):
            n = struct.unpack(">I", data[i : i + 4])[0]
            out.append(data[i : i + 12 + n])
            i += 12 + n
        return out
    if kind == "jpeg" and data[:2] == b"\xff\xd8":
        idx = [i for i in range(2, len(data) - 1) if data[i] == 0xFF and data[i + 1] not in (0x00, 0xFF) and not 0xD0 <= data[i + 1] <= 0xD7]
        cuts = [0, 2] + idx + [len(data)]
        return [data[a:b] for a, b in zip(cuts, cuts[1:]) if b > a]
    if kind == "mkv" and data[:4] == b"\x1aE\xdf\xa3":
        from .fuzz_video import mkv_clusters

        return mkv_clusters(data)
    if kind == "mp4" and data[4:8] in (b"ftyp", b"moov", b"mdat", b"free"):
        i = 0
        while i + 8 <= len(data):
            n = struct.unpack(">I", data[i : i + 4])[0]
            if n < 8:
                n = len(data) - i
            out.append(data[i : i + n])
            i += n
        return out
    return None


def shuffle_chunks(data: bytes, rng: np.random.Generator, kind: str) -> bytes:
    parts = _chunks(data, kind)
    if not parts or len(parts) < 3:
        return bitflip(data, rng)
    head, rest = parts[0], parts[1:]
    op = int(rng.integers(0, 3))
    if op == 0:
        i, j = rng.choice(len(rest), 2, replace=False)
        rest[i], rest[j] = rest[j], rest[i]
    elif op == 1:
        del rest[int(rng.integers(0, len(rest)))]
    else:
        i = int(rng.integers(0, len(rest)))
        rest.insert(i, rest[i])
    return head + b"".join(rest)


def absurd_dimensions(data: bytes, rng: np.random.Generator, kind: str) -> bytes:
    """Huge declared width/height in the header (a decompression bomb), with valid checksums."""
    w, h = int(rng.choice([65535, 100000, 1 << 24])), int(rng.choice([65535, 100000, 1 << 24]))
    if kind == "png" and data[12:16] == b"IHDR":
        body = struct.pack(">II", w, h) + data[24:29]
        return data[:16] + body + struct.pack(">I", zlib.crc32(b"IHDR" + body)) + data[33:]
    if kind == "jpeg":
        b = bytearray(data)
        for i in range(2, len(b) - 9):
            if b[i] == 0xFF and b[i + 1] in (0xC0, 0xC1, 0xC2):
                b[i + 5 : i + 9] = struct.pack(">HH", min(h, 65535), min(w, 65535))
                return bytes(b)
    return overwrite(data, rng)


def huge_metadata(data: bytes, rng: np.random.Generator, kind: str) -> bytes:
    """A multi-megabyte metadata block (text chunk / comment) in an otherwise valid file."""
    blob = rng.integers(32, 127, 4 << 20, dtype=np.uint8).tobytes()
    if kind == "png" and data[:8] == b"\x89PNG\r\n\x1a\n":
        body = b"Comment\x00" + blob
        chunk = struct.pack(">I", len(body)) + b"tEXt" + body + struct.pack(">I", zlib.crc32(b"tEXt" + body))
        return data[:33] + chunk + data[33:]
    if kind == "jpeg" and data[:2] == b"\xff\xd8":
        segs = b"".join(b"\xff\xfe" + struct.pack(">H", 65535) + blob[i : i + 65533] for i in range(0, 64 * 65533, 65533))
        return data[:2] + segs + data[2:]
    if kind == "mp4":
        from .fuzz_video import mp4_huge_metadata

        return mp4_huge_metadata(data, rng, megabytes=4)
    return insert_garbage(data, rng)


def mutators_for(kind: str) -> dict[str, Mutator]:
    """The byte-level mutators, then the structure-aware ones for ``kind``."""
    from .fuzz_video import video_mutators

    muts: dict[str, Mutator] = {
        "bitflip": bitflip,
        "truncate": truncate,
        "overwrite": overwrite,
        "insert_garbage": insert_garbage,
        "shuffle_chunks": lambda d, r: shuffle_chunks(d, r, kind),
        "huge_metadata": lambda d, r: huge_metadata(d, r, kind),
    }
    if kind in ("mp4", "mkv"):  # video sizes are edited by the container-aware mutators
        muts.update(video_mutators(kind))
    else:
        muts["absurd_dimensions"] = lambda d, r: absurd_dimensions(d, r, kind)
    return muts


def kind_of(path: Path) -> str:
    s = path.suffix.lower()
    return {
        ".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".mp4": "mp4", ".m4v": "mp4", ".mov": "mp4",
        ".mkv": "mkv", ".webm": "mkv",
    }.get(s, "other")  # fmt: skip


@dataclass
class Case:
    seed: int
    mutator: str
    outcome: str  # "ok", "error:<Class>", "BUG:<exception>", "LEFT-OUTPUT", "HANG"
    message: str = ""


def mutate(data: bytes, kind: str, seed: int) -> tuple[str, bytes]:
    rng = np.random.default_rng(seed)
    muts = mutators_for(kind)
    name = sorted(muts)[seed % len(muts)]
    return name, muts[name](data, rng)


def run_case(
    seed: int,
    original: Path,
    workdir: Path,
    settings,
    detector=None,
    *,
    via: str = "api",
    leak_check: Callable[[Path], str | None] | None = None,
) -> Case:
    """Mutate ``original`` with ``seed``, run it through the API (or the CLI), classify the outcome.

    ``via="cli"`` runs ``unseen IN -o OUT`` in-process and also requires a non-zero exit status and
    exactly one ``unseen: error:`` line on stderr for a failure. ``leak_check(output)`` may return a
    reason the output is not anonymized (outcome ``UNMASKED``).
    """
    from unseen.errors import UnseenError

    kind = kind_of(original)
    name, data = mutate(original.read_bytes(), kind, seed)
    case_dir = workdir / f"{original.name}-{via}-{seed}"
    case_dir.mkdir(parents=True, exist_ok=True)
    src = case_dir / f"in{original.suffix}"
    src.write_bytes(data)
    out_dir = case_dir / "out"
    out_dir.mkdir(exist_ok=True)
    dst = out_dir / f"out{original.suffix}"
    try:
        if via == "cli":
            failure = _run_cli(src, dst, settings, detector)
            if failure is not None:
                left = list(out_dir.iterdir())
                if left:
                    return Case(seed, name, "LEFT-OUTPUT", f"{failure[1]}; left {[p.name for p in left]}")
                return Case(seed, name, failure[0], failure[1])
        else:
            _run_api(src, dst, settings, detector)
    except UnseenError as err:
        left = list(out_dir.iterdir())
        if left:
            return Case(seed, name, "LEFT-OUTPUT", f"{err.message}; left {[p.name for p in left]}")
        if internal_error(err.reason):
            return Case(seed, name, "BUG:internal", err.message[:300])
        return Case(seed, name, f"error:{type(err).__name__}", err.message)
    except Exception as exc:  # noqa: BLE001 - this is what the fuzzer hunts for
        return Case(seed, name, f"BUG:{type(exc).__name__}", str(exc)[:300])
    if [p.name for p in out_dir.iterdir()] != [dst.name]:
        return Case(seed, name, "LEFT-OUTPUT", f"unexpected files {[p.name for p in out_dir.iterdir()]}")
    if leak_check is not None:
        problem = leak_check(dst)
        if problem:
            return Case(seed, name, "UNMASKED", problem)
    return Case(seed, name, "ok")


# A Python exception's name at the start of a reason: a bug wrapped as PipelineError, not a reason.
_INTERNAL = ("AttributeError", "TypeError", "KeyError", "IndexError", "NameError", "UnboundLocalError",
             "ZeroDivisionError", "AssertionError", "RecursionError", "OverflowError", "internal error")


def internal_error(reason: str) -> bool:
    """Whether an error's reason is an internal exception passed through (a bug to fix)."""
    return reason.startswith(_INTERNAL) or any(f": {name}:" in reason for name in _INTERNAL)


def _run_api(src: Path, dst: Path, settings, detector) -> None:
    import unseen
    from unseen.media.kinds import media_kind

    if media_kind(src) == "video":
        unseen.anonymize_video(src, dst, settings, detector=detector)
    else:
        unseen.anonymize_image(src, dst, settings, detector=detector)


def _run_cli(src: Path, dst: Path, settings, detector) -> tuple[str, str] | None:
    """None on success; else (outcome, message). The CLI must fail with one line and exit != 0."""
    import contextlib
    import io

    from unseen import cli
    from unseen.detect.cache import pinned
    from unseen.errors import ExitStatus

    argv = [str(src), "-o", str(dst), "-q", "--threads", str(settings.threads or 1)]
    argv += ["--max-pixels", str(settings.max_pixels)]
    from unseen.media.c_stderr import captured_fd2

    out, err = io.StringIO(), io.StringIO()
    with contextlib.ExitStack() as stack:
        if detector is not None:
            stack.enter_context(pinned(detector))
        with captured_fd2() as native:  # what C libraries print goes to the user's terminal too
            code = cli.main(argv, stdout=out, stderr=err)
    lines = err.getvalue().splitlines() + native
    if code == 0:
        return None
    bad_lines = [ln for ln in lines if not ln.startswith("unseen: error: ")]
    if not lines or bad_lines:
        return "BUG:stderr", f"exit {code}; stderr {err.getvalue()[:300]!r}"
    try:
        status = ExitStatus(code).name
    except ValueError:
        return "BUG:exit", f"exit status {code}: {lines[0]}"
    if code == ExitStatus.FAILURE and internal_error(lines[0]):
        return "BUG:internal", lines[0][:300]
    return f"exit:{status}", lines[0][len("unseen: error: ") :][:300]
