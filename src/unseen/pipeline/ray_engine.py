"""A batch on Ray: an actor pool, each actor loads the detector once (GPUs asked for with cuda).

Ray is the ``ray`` extra; without it :func:`run_units_on_ray` raises a ConfigError with the install
hint. With no address a local Ray instance is started. Inputs and outputs are paths: they must be on
storage every node sees. An actor that dies (killed, out of memory, node lost) fails its file's task;
the file is tried once more on a fresh actor, then reported failed. Outputs are committed by the
pipeline (temporary file, verify, rename), so a dead actor leaves nothing partial.

Frame progress: each actor puts ``(index, done, total)`` on a Ray queue (an actor of no CPU) at
most every :data:`PROGRESS_EVERY` seconds, plus the first and the last frame of a file; the driver
drains it while it waits and hands each to ``on_frames`` (the batch turns them into
:class:`~unseen.pipeline.progress.FramesDone`, as the local pool does).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import ConfigError, PipelineError
from ..settings import Settings
from .jobs import Job, SegmentedJob, Task, WorkUnit, jobs_for, run_task, starts_file
from .report import FileReport

TRIES = 2
PROGRESS_EVERY = 0.1  # seconds between an actor's frame events (each is a call to the queue actor)
WAIT = 0.2  # seconds the driver waits for a result before draining the progress queue


def _dead_actor_errors(ray: Any) -> tuple[type[BaseException], ...]:
    """The task errors that mean its actor (or its node) is gone: replace it, try the file again."""
    ex = ray.exceptions
    names = ("RayActorError", "WorkerCrashedError", "ObjectLostError", "NodeDiedError", "OutOfMemoryError")
    return tuple(getattr(ex, n) for n in names if hasattr(ex, n))


def _room(ray: Any, settings: Settings) -> int:
    """Actors the cluster can hold at once: more would wait for cores forever (each keeps its own)."""
    res = ray.cluster_resources()
    n = int(res.get("CPU", 1) // max(1, settings.threads or 1))
    if settings.device == "cuda":
        n = min(n, int(res.get("GPU", 0)))
    return max(1, n)


class _Frames:
    """An actor's frame callback: (index, done, total) onto the queue, throttled; ``flush`` sends
    the last one held back, so the driver sees every file's final count."""

    def __init__(self, events: Any, index: int) -> None:
        self.events, self.index = events, index
        self.last = 0.0
        self.held: tuple[int, int | None] | None = None

    def __call__(self, done: int, total: int | None) -> None:
        now = time.monotonic()
        if done <= 1 or done == total or now - self.last >= PROGRESS_EVERY:
            self.events.put((self.index, done, total))
            self.last, self.held = now, None
        else:
            self.held = (done, total)

    def flush(self) -> None:
        if self.held is not None:
            self.events.put((self.index, *self.held))
            self.held = None


def _ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise ConfigError("--engine ray needs Ray: pip install 'unseen[ray]'") from exc
    return ray


class _Worker:
    def __init__(self, settings: Settings) -> None:
        from ..detect.registry import build

        self.settings = settings
        self.detector = build(settings)

    def run(self, task: Task, events: Any = None) -> Any:
        frames = _Frames(events, task.unit.index) if events is not None else None
        result = run_task(task, self.settings, self.detector, frames)
        if frames is not None:
            frames.flush()
        return result


def run_units_on_ray(
    units: Sequence[WorkUnit],
    settings: Settings,
    workers: int,
    on_start: Callable[[WorkUnit], None],
    on_done: Callable[[WorkUnit, FileReport], None],
    on_frames: Callable[[WorkUnit, int, int | None], None] | None = None,
) -> None:
    """Run ``units`` on ``workers`` actors: ``on_start`` as each is handed to an actor, ``on_frames``
    with a video's frames done, ``on_done`` with each report (in finishing order)."""
    ray = _ray()
    if not ray.is_initialized():
        if settings.ray_address:
            ray.init(address=settings.ray_address)
        else:
            ray.init(num_cpus=max(1, workers) * max(1, settings.threads or 1), include_dashboard=False)
    gpus = 1 if settings.device == "cuda" else 0
    actor_cls = ray.remote(num_cpus=settings.threads or 1, num_gpus=gpus, max_restarts=0)(_Worker)
    jobs = jobs_for(list(units), settings, workers=workers, auto=True)
    spread = any(isinstance(j, SegmentedJob) for j in jobs)  # more tasks than files
    wanted = workers if spread else min(workers, len(units))
    actors = [actor_cls.remote(settings) for _ in range(max(1, min(wanted, _room(ray, settings))))]
    events = None
    if on_frames is not None:
        from ray.util.queue import Queue

        events = Queue(actor_options={"num_cpus": 0})  # needs no core: every actor may hold one
    by_index = {u.index: u for u in units}

    def drain() -> None:
        if events is None or on_frames is None:
            return
        n = events.qsize()
        for index, done, total in events.get_nowait_batch(n) if n else []:
            on_frames(by_index[index], done, total)

    dead = _dead_actor_errors(ray)
    free = list(actors)
    todo: list[tuple[Job, Task]] = []
    tries = {u.index: 0 for u in units}
    running: dict[Any, tuple[Job, Task, Any]] = {}

    def finish(job: Job, report: FileReport) -> None:
        job.done = True
        on_done(job.unit, report)

    def begin(job: Job) -> None:
        tries[job.unit.index] += 1
        first = job.start()
        if isinstance(first, FileReport):  # failed before any task (a video that cannot be probed)
            on_start(job.unit)
        queue(job, first)

    def queue(job: Job, tasks: list[Task] | FileReport) -> None:
        if isinstance(tasks, FileReport):
            finish(job, tasks)
        else:
            todo.extend((job, t) for t in tasks)

    for job in jobs:
        begin(job)
    while todo or running:
        while todo and free:
            (job, task), actor = todo.pop(0), free.pop()
            if job.done or task.generation != job.generation:
                free.append(actor)
                continue
            if starts_file(task):
                on_start(job.unit)
            running[actor.run.remote(task, events)] = (job, task, actor)
        if not running:
            continue
        ready, _ = ray.wait(list(running), num_returns=1, timeout=WAIT)
        drain()  # a file's frame events come before its report
        for ref in ready:
            job, task, actor = running.pop(ref)
            try:
                result = ray.get(ref)
                free.append(actor)
            except dead as exc:
                ray.kill(actor)
                free.append(actor_cls.remote(settings))  # a fresh actor, its detector built again
                if job.done or task.generation != job.generation:
                    continue
                if tries[job.unit.index] < TRIES:
                    begin(job)  # the whole file again (a new generation: its other tasks' results go)
                    continue
                finish(
                    job,
                    FileReport(input=str(job.unit.src)).fail(
                        PipelineError(f"Ray worker died ({type(exc).__name__}); no output kept", path=job.unit.src)
                    ),
                )
                continue
            except ray.exceptions.RayTaskError as exc:  # a segment task raised: its one line
                free.append(actor)
                if not job.done and task.generation == job.generation:
                    cause = exc.cause if isinstance(getattr(exc, "cause", None), BaseException) else exc
                    finish(job, job.failure(cause))
                continue
            except ray.exceptions.RayError as exc:
                free.append(actor)
                if not job.done and task.generation == job.generation:
                    finish(
                        job,
                        FileReport(input=str(job.unit.src)).fail(
                            PipelineError(f"Ray task failed: {' '.join(str(exc).split())}", path=job.unit.src)
                        ),
                    )
                continue
            if not job.done and task.generation == job.generation:
                queue(job, job.step(task, result))
    for actor in free:  # all idle now: free their cores for the next batch (not when garbage collected)
        ray.kill(actor)
    if events is not None:
        events.shutdown()
