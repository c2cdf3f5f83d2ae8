"""A worker (or Ray actor) that dies after committing its file, before its report reaches the
driver: the retried job may replace that output, and only when the path was free when the job
first started (what the Ray test's killed actor hit in CI: "output exists" on the retry)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
from PIL import Image

from tests.media_factory import face_like
from tests.video_factory import make_clip
from unseen.detect.registry import build
from unseen.pipeline.jobs import Job, SegmentedJob, Task, WorkUnit, run_task
from unseen.pipeline.report import FileReport
from unseen.settings import Settings


def _photo(tmp_path: Path) -> WorkUnit:
    src = tmp_path / "in.jpg"
    Image.fromarray(face_like(240, 320, seed=2)).save(src)
    return WorkUnit(0, src, tmp_path / "out" / "in.jpg")


def _tasks(job: Job) -> list[Task]:
    tasks = job.start()
    assert isinstance(tasks, list)
    return tasks


def test_a_retry_replaces_the_output_its_dead_first_try_committed(tmp_path: Path) -> None:
    unit = _photo(tmp_path)
    settings = Settings(threads=1)
    detector = build(settings)
    job = Job(unit)
    [first] = _tasks(job)
    assert not first.replace
    done = run_task(first, settings, detector, None)  # the first try commits ...
    assert isinstance(done, FileReport) and done.ok and unit.dst is not None and unit.dst.exists()
    before = np.asarray(Image.open(unit.dst))
    # ... and its worker dies before the report gets back: the engine starts the job again
    [second] = _tasks(job)
    assert second.replace and second.generation == 2
    again = run_task(second, settings, detector, None)
    assert isinstance(again, FileReport) and again.ok, again.error
    assert again.faces == done.faces
    assert np.array_equal(np.asarray(Image.open(unit.dst)), before)
    # without the flag the same retry is refused: what the engines did before
    refused = run_task(dataclasses.replace(second, replace=False), settings, detector, None)
    assert not refused.ok and "output exists" in (refused.error or "")


def test_an_output_that_was_there_before_the_batch_is_never_replaced_by_a_retry(tmp_path: Path) -> None:
    unit = _photo(tmp_path)
    assert unit.dst is not None
    unit.dst.parent.mkdir()
    unit.dst.write_bytes(b"the user's own file")
    settings = Settings(threads=1)
    job = Job(unit)
    [first] = _tasks(job)
    [second] = _tasks(job)
    assert not first.replace and not second.replace
    report = run_task(second, settings, build(settings), None)
    assert not report.ok and "output exists" in (report.error or "")
    assert unit.dst.read_bytes() == b"the user's own file"


def test_a_restarted_segmented_job_may_replace_its_own_output(tmp_path: Path) -> None:
    """A short video under --segment-seconds runs as one whole task; the second try's carries the flag."""
    clip = tmp_path / "clip.mp4"
    make_clip(clip, width=96, height=64, n=10, fps=10)
    dst = tmp_path / "out.mp4"
    job = SegmentedJob(WorkUnit(0, clip, dst), settings=Settings(threads=1, segment_seconds=30.0))
    [first] = _tasks(job)
    assert first.stage == "file" and not first.replace
    dst.write_bytes(b"committed by the first try")
    [second] = _tasks(job)
    assert second.stage == "file" and second.replace
