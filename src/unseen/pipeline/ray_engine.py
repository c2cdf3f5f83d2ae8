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
from .report import FileReport
from .workers import WorkUnit

TRIES = 2
PROGRESS_EVERY = 0.1  # seconds between an actor's frame events (each is a call to the queue actor)
WAIT = 0.2  # seconds the driver waits for a result before draining the progress queue


def _dead_actor_errors(ray: Any) -> tuple[type[BaseException], ...]:
    """The task errors that mean its actor (or its node) is gone: replace it, try the file again."""
    ex = ray.exceptions
    names = ("RayActorError", "WorkerCrashedError", "ObjectLostError", "NodeDiedError", "OutOfMemoryError")
    return tuple(getattr(ex, n) for n in names if hasattr(ex, n))


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

    def run(self, unit: WorkUnit, events: Any = None) -> FileReport:
        from .one_file import run_one

        frames = _Frames(events, unit.index) if events is not None else None
        report = run_one(unit.src, unit.dst, self.settings, self.detector, frames)
        if frames is not None:
            frames.flush()
        return report


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
    actors = [actor_cls.remote(settings) for _ in range(max(1, min(workers, len(units))))]
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
    todo = list(units)
    tries = {u.index: 0 for u in units}
    running: dict[Any, tuple[WorkUnit, Any]] = {}
    while todo or running:
        while todo and free:
            unit, actor = todo.pop(0), free.pop()
            tries[unit.index] += 1
            on_start(unit)
            running[actor.run.remote(unit, events)] = (unit, actor)
        ready, _ = ray.wait(list(running), num_returns=1, timeout=WAIT)
        drain()  # a file's frame events come before its report
        for ref in ready:
            unit, actor = running.pop(ref)
            try:
                report = ray.get(ref)
                free.append(actor)
            except dead as exc:
                ray.kill(actor)
                free.append(actor_cls.remote(settings))  # a fresh actor, its detector built again
                if tries[unit.index] < TRIES:
                    todo.append(unit)
                    continue
                report = FileReport(input=str(unit.src)).fail(
                    PipelineError(f"Ray worker died ({type(exc).__name__}); no output kept", path=unit.src)
                )
            except ray.exceptions.RayError as exc:
                free.append(actor)
                report = FileReport(input=str(unit.src)).fail(
                    PipelineError(f"Ray task failed: {' '.join(str(exc).split())}", path=unit.src)
                )
            on_done(unit, report)
    if events is not None:
        events.shutdown()
