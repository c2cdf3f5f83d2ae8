"""A batch on Ray: an actor pool, each actor loads the detector once (GPUs asked for with cuda).

Ray is the ``ray`` extra; without it :func:`run_units_on_ray` raises a ConfigError with the install
hint. With no address a local Ray instance is started. Inputs and outputs are paths: they must be on
storage every node sees. An actor that dies (killed, out of memory, node lost) fails its file's task;
the file is tried once more on a fresh actor, then reported failed. Outputs are committed by the
pipeline (temporary file, verify, rename), so a dead actor leaves nothing partial.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..errors import ConfigError, PipelineError
from ..settings import Settings
from .report import FileReport
from .workers import WorkUnit

TRIES = 2


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

    def run(self, unit: WorkUnit) -> FileReport:
        from .one_file import run_one

        return run_one(unit.src, unit.dst, self.settings, self.detector, None)


def run_units_on_ray(
    units: Sequence[WorkUnit],
    settings: Settings,
    workers: int,
    on_start: Callable[[WorkUnit], None],
    on_done: Callable[[WorkUnit, FileReport], None],
) -> None:
    ray = _ray()
    if not ray.is_initialized():
        if settings.ray_address:
            ray.init(address=settings.ray_address)
        else:
            ray.init(num_cpus=max(1, workers) * max(1, settings.threads or 1), include_dashboard=False)
    gpus = 1 if settings.device == "cuda" else 0
    actor_cls = ray.remote(num_cpus=settings.threads or 1, num_gpus=gpus, max_restarts=0)(_Worker)
    actors = [actor_cls.remote(settings) for _ in range(max(1, min(workers, len(units))))]
    free = list(actors)
    todo = list(units)
    tries = {u.index: 0 for u in units}
    running: dict[Any, tuple[WorkUnit, Any]] = {}
    while todo or running:
        while todo and free:
            unit, actor = todo.pop(0), free.pop()
            tries[unit.index] += 1
            on_start(unit)
            running[actor.run.remote(unit)] = (unit, actor)
        ready, _ = ray.wait(list(running), num_returns=1)
        for ref in ready:
            unit, actor = running.pop(ref)
            try:
                report = ray.get(ref)
                free.append(actor)
            except (
                ray.exceptions.RayActorError,
                ray.exceptions.WorkerCrashedError,
                ray.exceptions.ObjectLostError,
            ) as exc:
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
                report = FileReport(input=str(unit.src)).fail(PipelineError(f"Ray task failed: {exc}", path=unit.src))
            on_done(unit, report)
