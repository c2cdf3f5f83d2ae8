"""How many worker processes a batch gets when ``--workers`` is left to ``auto`` (0, the default).

The rule (:func:`auto_workers`): as many as the cores this process may run on
(``os.sched_getaffinity``: a container's or ``taskset``'s share, not the machine's), as fit in the
memory available now at ``WORKER_BYTES`` each, and as there are files to run; at least 1. One file,
or a detector handed down as an object (``detector=``, or pinned for the command line: it cannot be
sent to another process), runs in this process as it always did. The choice and what it came from
(:class:`WorkerChoice`) go into the batch report and its summary line.

``WORKER_BYTES`` is a worker's measured peak, rounded up (docs/BENCHMARKS.md, "--workers auto";
``benchmarks/worker_memory.py``): a worker holds its own detector and one file at a time; on a
24 MP photo it peaked at 1436 MiB (1.51 GB; the photo memory model of
:mod:`unseen.media.image_limits`, 0.6 GB + 36 bytes per pixel, says 1.46 GB) and on a 1080p30
video at 1264 MiB, default preset on the CPU. A batch of 100 MP photos needs ``--workers`` set
lower by hand (a worker that runs out of memory dies: its file is tried once more, then failed,
nothing partial is written).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

WORKER_BYTES = 1_600_000_000  # measured 1.51 GB (24 MP photo) and 1.33 GB (1080p video), rounded up
_MEMINFO = Path("/proc/meminfo")
_CGROUP = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class WorkerChoice:
    """The workers a batch runs on, and (for ``auto``) what the number came from."""

    workers: int
    auto: bool
    cores: int | None = None
    available_bytes: int | None = None
    files: int = 0
    in_process_detector: bool = False

    def describe(self) -> str:
        """A few words for the summary: ``2 worker processes (auto: 2 cores, 16.8 GB available, 5 files)``."""
        what = "this process" if self.workers == 1 else f"{self.workers} worker processes"
        if not self.auto:
            return f"{what} (--workers {self.workers})" if self.workers > 1 else what
        if self.in_process_detector:
            return f"{what} (auto: a detector object given, it cannot go to another process)"
        memory = "memory unknown" if self.available_bytes is None else f"{self.available_bytes / 1e9:.1f} GB available"
        return f"{what} (auto: {self.cores} cores, {memory}, {self.files} file(s))"


def auto_workers(files: int, cores: int, available_bytes: int | None, per_worker_bytes: int = WORKER_BYTES) -> int:
    """min(cores, available memory // per worker, files), at least 1 (unknown memory: no limit)."""
    n = min(cores, files)
    if available_bytes is not None:
        n = min(n, available_bytes // max(1, per_worker_bytes))
    return max(1, int(n))


def cores_available() -> int:
    """The cores this process may run on (its CPU affinity), else the machine's."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def memory_available() -> int | None:
    """Bytes that can be used now: the kernel's MemAvailable, lowered to what is left under a
    cgroup v2 memory limit (a container's); None when neither can be read."""
    found: list[int] = []
    try:
        for line in _MEMINFO.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                found.append(int(line.split()[1]) * 1024)
                break
    except (OSError, ValueError, IndexError):
        pass
    limit = _cgroup_room()
    if limit is not None:
        found.append(limit)
    if not found:
        try:
            found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError, AttributeError):
            return None
    return min(found)


def _cgroup_room() -> int | None:
    """Bytes left under this process's cgroup v2 ``memory.max`` (None: no limit, or not v2)."""
    try:
        rel = next(
            line.split("::", 1)[1]
            for line in Path("/proc/self/cgroup").read_text().splitlines()
            if line.startswith("0::")
        )
        folder = _CGROUP / rel.strip().lstrip("/")
        limit = (folder / "memory.max").read_text().strip()
        if limit == "max":
            return None
        return max(0, int(limit) - int((folder / "memory.current").read_text().strip()))
    except (OSError, ValueError, StopIteration):
        return None


def choose_workers(
    asked: int,
    files: int,
    *,
    in_process_detector: bool,
    cores: int | None = None,
    available_bytes: int | None = None,
) -> WorkerChoice:
    """The workers for ``files`` runnable files: ``asked`` when set (>= 1), else :func:`auto_workers`
    on this process's cores and available memory (or those given, for tests)."""
    if asked:
        return WorkerChoice(workers=max(1, min(asked, files)), auto=False, files=files)
    if in_process_detector or files <= 1:
        return WorkerChoice(workers=1, auto=True, files=files, in_process_detector=in_process_detector)
    cores = cores_available() if cores is None else cores
    available = memory_available() if available_bytes is None else available_bytes
    return WorkerChoice(
        workers=auto_workers(files, cores, available), auto=True, cores=cores, available_bytes=available, files=files
    )


__all__ = [
    "WORKER_BYTES",
    "WorkerChoice",
    "auto_workers",
    "choose_workers",
    "cores_available",
    "memory_available",
]
