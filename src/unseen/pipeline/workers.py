"""A batch on local worker processes: each loads the detector once, then takes units of work.

A :class:`WorkUnit` is one file; its job (:mod:`unseen.pipeline.jobs`) is one task, or a long
video's segment tasks (``--segment-seconds``) spread over the same workers. Workers are started with the
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
from typing import Any

from ..errors import PipelineError
from ..settings import Settings
from .jobs import Job, SegmentedJob, Task, WorkUnit, jobs_for, run_task, starts_file
from .report import FileReport

__all__ = ["Event", "WorkUnit", "run_jobs", "run_units"]

TRIES = 2  # a unit whose worker died is run once more, then reported failed

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


def _run_task(task: Task) -> Any:
    events = _state["events"]
    index = task.unit.index
    if starts_file(task):
        events.put(("start", index, 0, None))

    def frames(done: int, total: int | None) -> None:
        events.put(("frames", index, done, total))

    return run_task(task, _state["settings"], _state["detector"], frames)


Event = tuple[str, int, int, "int | None"]


def run_units(
    units: Sequence[WorkUnit],
    settings: Settings,
    workers: int,
    on_event: Callable[[Event], None],
    on_done: Callable[[WorkUnit, FileReport], None],
) -> None:
    """Run ``units`` on ``workers`` processes; ``on_event`` gets start/frames events,
    ``on_done`` each unit's report as it finishes (in finishing order). A video with
    ``--segment-seconds`` is spread over the workers segment by segment (:mod:`.jobs`)."""
    run_jobs(jobs_for(list(units), settings, workers=workers, auto=False), settings, workers, on_event, on_done)


def run_jobs(
    jobs: Sequence[Job],
    settings: Settings,
    workers: int,
    on_event: Callable[[Event], None],
    on_done: Callable[[WorkUnit, FileReport], None],
) -> None:
    """Run ``jobs`` on ``workers`` processes: rounds of one pool each, a round's dead-worker jobs
    in the next (each job at most :data:`TRIES` times)."""
    ctx = mp.get_context("spawn")
    events = ctx.Queue()
    tries = {j.unit.index: 0 for j in jobs}
    todo = list(jobs)
    while todo:
        spread = any(isinstance(j, SegmentedJob) for j in todo)  # more tasks than files
        with ProcessPoolExecutor(
            max_workers=max(1, workers if spread else min(workers, len(todo))),
            mp_context=ctx,
            initializer=_init_worker,
            initargs=(settings, events, os.getpid()),
        ) as pool:
            todo = _Round(pool, tries, on_done, on_event).run(todo, events)
        _drain(events, on_event)
    events.close()


class _Round:
    """One pool's life: submit each job's tasks, feed results back to the job, until all are done
    or the pool broke (a worker died): those jobs are what :meth:`run` returns, to run again."""

    def __init__(
        self,
        pool: ProcessPoolExecutor,
        tries: dict[int, int],
        on_done: Callable[[WorkUnit, FileReport], None],
        on_event: Callable[[Event], None],
    ) -> None:
        self.pool, self.tries, self.on_done, self.on_event = pool, tries, on_done, on_event
        self.futures: dict[Future[Any], tuple[Job, Task]] = {}
        self.retry: dict[int, Job] = {}

    def run(self, jobs: list[Job], events: Any) -> list[Job]:
        for job in jobs:
            self.tries[job.unit.index] += 1
            first = job.start()
            if isinstance(first, FileReport):  # failed before any task (a video that cannot be probed)
                self.on_event(("start", job.unit.index, 0, None))
            self.submit(job, first)
        while self.futures:
            done, _ = wait(list(self.futures), timeout=0.2, return_when=FIRST_COMPLETED)
            _drain(events, self.on_event)
            for fut in done:
                job, task = self.futures.pop(fut)
                if job.done or job.unit.index in self.retry or task.generation != job.generation:
                    continue  # the job failed (or starts again) already: its other tasks' results go
                try:
                    result = fut.result()
                except BrokenProcessPool:
                    self.died(job)
                    continue
                except Exception as exc:  # a segment failed, the worker could not start, or pickling
                    if task.stage in ("file", "encode"):
                        exc = PipelineError(f"worker failed ({type(exc).__name__}: {exc})")
                    self.finish(job, job.failure(exc))
                    continue
                self.submit(job, job.step(task, result))
        return list(self.retry.values())

    def finish(self, job: Job, report: FileReport) -> None:
        job.done = True
        self.on_done(job.unit, report)

    def died(self, job: Job) -> None:
        """The pool broke under one of the job's tasks: the job again in a fresh pool, or failed."""
        if job.done or job.unit.index in self.retry:
            return
        if self.tries[job.unit.index] < TRIES:
            self.retry[job.unit.index] = job
            return
        err = PipelineError("worker process died (killed or out of memory); no output kept", path=job.unit.src)
        self.finish(job, FileReport(input=str(job.unit.src)).fail(err))

    def submit(self, job: Job, tasks: list[Task] | FileReport) -> None:
        if isinstance(tasks, FileReport):
            self.finish(job, tasks)
            return
        for t in tasks:
            try:
                self.futures[self.pool.submit(_run_task, t)] = (job, t)
            except BrokenProcessPool:
                self.died(job)
                return


def _drain(events: Any, on_event: Callable[[Event], None]) -> None:
    while True:
        try:
            ev = events.get_nowait()
        except (queue.Empty, OSError, ValueError):
            return
        on_event(ev)
