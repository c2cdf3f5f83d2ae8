"""A batch on local worker processes: each loads the detector once, then takes units of work.

A :class:`WorkUnit` is one file (later: one segment of a video). Workers are started with the
``spawn`` method (no forked model state, same behaviour on every OS); each builds its detector in
:func:`_init_worker` and sends its typed progress back over a queue, which the parent turns into the
usual :mod:`unseen.pipeline.progress` events. A worker that dies (SIGKILL, out of memory) breaks
the pool: its units are tried once more in a fresh pool, then reported failed. The pipeline only
ever renames a verified temporary file into place, so a dead worker leaves no partial output.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import PipelineError
from ..settings import Settings
from .report import FileReport

TRIES = 2  # a unit whose worker died is run once more, then reported failed


@dataclass(frozen=True)
class WorkUnit:
    index: int
    src: Path
    dst: Path | None
    segment: tuple[float, float] | None = None  # reserved: (start, end) seconds of one video segment


_state: dict[str, Any] = {}


ORPHAN_POLL_SECONDS = 0.5


def _exit_when_orphaned(parent: int) -> None:
    """A worker whose batch process died (SIGKILL, out of memory) stops instead of finishing its
    file unseen: that output would be in no manifest, and ``--resume`` would refuse it. Its
    temporary file is left for the next run to clean (its pid is dead by then). The fallback of
    :func:`_die_with_parent` (polled)."""
    while True:
        time.sleep(ORPHAN_POLL_SECONDS)
        if os.getppid() != parent:
            os._exit(1)


_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """On Linux the kernel kills this worker the moment its parent dies (``PR_SET_PDEATHSIG``):
    no window in which an orphan could commit a file. The parent is the thread that started the
    pool, which waits for it to finish. Elsewhere the polling watch alone does it."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _init_worker(settings: Settings, events: Any, parent: int | None = None) -> None:
    from ..detect.registry import build

    if parent is not None:
        _die_with_parent()
        if os.getppid() != parent:  # died before the line above took effect
            os._exit(1)
        threading.Thread(target=_exit_when_orphaned, args=(parent,), daemon=True, name="orphan-watch").start()
    _state["settings"] = settings
    _state["detector"] = build(settings)
    _state["events"] = events


def _run_unit(unit: WorkUnit) -> FileReport:
    from .one_file import run_one

    events = _state["events"]
    events.put(("start", unit.index, 0, None))

    def frames(done: int, total: int | None) -> None:
        events.put(("frames", unit.index, done, total))

    return run_one(unit.src, unit.dst, _state["settings"], _state["detector"], frames)


Event = tuple[str, int, int, "int | None"]


def run_units(
    units: Sequence[WorkUnit],
    settings: Settings,
    workers: int,
    on_event: Callable[[Event], None],
    on_done: Callable[[WorkUnit, FileReport], None],
) -> None:
    """Run ``units`` on ``workers`` processes; ``on_event`` gets start/frames events,
    ``on_done`` each unit's report as it finishes (in finishing order)."""
    ctx = mp.get_context("spawn")
    events = ctx.Queue()
    tries = {u.index: 0 for u in units}
    todo = list(units)
    while todo:
        with ProcessPoolExecutor(
            max_workers=max(1, min(workers, len(todo))),
            mp_context=ctx,
            initializer=_init_worker,
            initargs=(settings, events, os.getpid()),
        ) as pool:
            futures: dict[Future[FileReport], WorkUnit] = {}
            for u in todo:
                tries[u.index] += 1
                futures[pool.submit(_run_unit, u)] = u
            todo = []
            pending = set(futures)
            while pending:
                done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                _drain(events, on_event)
                for fut in done:
                    unit = futures[fut]
                    try:
                        report = fut.result()
                    except BrokenProcessPool:
                        if tries[unit.index] < TRIES:
                            todo.append(unit)
                            continue
                        report = FileReport(input=str(unit.src)).fail(
                            PipelineError(
                                "worker process died (killed or out of memory); no output kept", path=unit.src
                            )
                        )
                    except Exception as exc:  # the worker could not start (detector) or pickle failed
                        report = FileReport(input=str(unit.src)).fail(
                            PipelineError(f"worker failed ({type(exc).__name__}: {exc})", path=unit.src)
                        )
                    on_done(unit, report)
        _drain(events, on_event)
    events.close()


def _drain(events: Any, on_event: Callable[[Event], None]) -> None:
    while True:
        try:
            ev = events.get_nowait()
        except (queue.Empty, OSError, ValueError):
            return
        on_event(ev)
