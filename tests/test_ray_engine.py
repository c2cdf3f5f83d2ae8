"""--engine ray on a real local Ray instance: the same outputs as one process; a killed actor's file retried."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.media_factory import face_like
from unseen.pipeline.batch import process_paths
from unseen.pipeline.manifest import verify_manifest
from unseen.pipeline.progress import FileStarted
from unseen.settings import Settings

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'unseen[ray]')")
psutil = pytest.importorskip("psutil", reason="psutil comes with Ray")


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False)
    yield
    ray.shutdown()


def test_ray_batch_equals_one_process_and_survives_a_killed_actor(tmp_path: Path, local_ray) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for i in range(4):
        Image.fromarray(face_like(240, 320, seed=i)).save(src / f"p{i}.jpg")
    one = process_paths([src], tmp_path / "one", Settings(threads=1))
    killed: list[int] = []

    def progress(ev) -> None:
        if isinstance(ev, FileStarted) and not killed:
            for p in psutil.process_iter(["cmdline"]):
                if any("_Worker" in part for part in (p.info["cmdline"] or [])):
                    os.kill(p.pid, signal.SIGKILL)
                    killed.append(p.pid)
                    return

    on_ray = process_paths([src], tmp_path / "ray", Settings(threads=1, workers=2, engine="ray"), progress=progress)
    assert on_ray.exit_status == 0, [f.error for f in on_ray.failed]
    for a, b in zip(one.files, on_ray.files):
        assert np.array_equal(np.asarray(Image.open(a.output)), np.asarray(Image.open(b.output)))
    assert verify_manifest(tmp_path / "ray") == []
    assert sorted(p.name for p in (tmp_path / "ray").iterdir()) == [f"p{i}.jpg" for i in range(4)] + ["unseen-manifest.json"]


def _live_actors(killed: set[int]) -> list[int]:
    """Live actor processes not in ``killed`` (pass an earlier test's, which may still be exiting)."""
    out = []
    for p in psutil.process_iter(["cmdline", "status"]):
        if p.pid in killed or p.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        if any("_Worker" in part for part in (p.info["cmdline"] or [])):
            out.append(p.pid)
    return out


def test_a_file_whose_actor_dies_every_time_fails_alone(tmp_path: Path, local_ray) -> None:
    """The actor running p1 is SIGKILLed each time p1 is handed to one (a worker lost twice, as a
    node going away would): p1 is tried on a fresh actor, then reported failed; the other files
    are done, the batch exits non-zero and nothing partial is left."""
    import time

    src = tmp_path / "in"
    src.mkdir()
    for i in range(3):
        Image.fromarray(face_like(240, 320, seed=i)).save(src / f"p{i}.jpg")
    leftover = set(_live_actors(set()))  # an earlier test's actors, if still exiting: not this batch's
    killed: set[int] = set()

    def progress(ev) -> None:
        if not (isinstance(ev, FileStarted) and ev.path.name == "p1.jpg"):
            return
        end = time.monotonic() + 60  # a replacement actor is started asynchronously: wait for it
        while time.monotonic() < end and not (live := _live_actors(killed | leftover)):
            time.sleep(0.05)
        for pid in live:  # one actor (workers=1): the one p1 goes to
            os.kill(pid, signal.SIGKILL)
            killed.add(pid)

    out = tmp_path / "ray"
    rep = process_paths([src], out, Settings(threads=1, workers=1, engine="ray"), progress=progress)
    assert len(killed) == 2
    assert rep.exit_status != 0
    assert [f.input for f in rep.failed] == [str(src / "p1.jpg")]
    assert "Ray worker died" in (rep.failed[0].error or "") and rep.failed[0].kind.value == "image"
    assert sorted(p.name for p in out.iterdir()) == ["p0.jpg", "p2.jpg", "unseen-manifest.json"]
    assert verify_manifest(out) == []
    entries = {Path(e["input"]).name: e["status"] for e in json.loads((out / "unseen-manifest.json").read_text())["files"]}
    assert entries == {"p0.jpg": "ok", "p1.jpg": "failed", "p2.jpg": "ok"}


def test_a_video_on_ray_sends_frame_progress(tmp_path: Path, local_ray) -> None:
    """Per-frame progress of a video on an actor reaches the caller as FramesDone events, in
    order, ending at the last frame, before its FileFinished (as the local pool's do)."""
    from tests.video_factory import make_clip
    from unseen.pipeline.progress import FileFinished, FramesDone

    src = tmp_path / "in"
    src.mkdir()
    make_clip(src / "clip.mp4", width=160, height=120, n=90)
    Image.fromarray(face_like(240, 320, seed=1)).save(src / "p.jpg")
    events: list[object] = []
    rep = process_paths([src], tmp_path / "ray", Settings(threads=1, workers=2, engine="ray"), progress=events.append)
    assert rep.exit_status == 0, [f.error for f in rep.failed]
    clip = src / "clip.mp4"
    frames = [e for e in events if isinstance(e, FramesDone) and e.path == clip]
    assert len(frames) >= 2 and frames[0].done == 1 and frames[-1].done == 90
    assert [f.done for f in frames] == sorted(f.done for f in frames)
    finished = next(i for i, e in enumerate(events) if isinstance(e, FileFinished) and e.report.input == str(clip))
    assert events.index(frames[-1]) < finished


def test_more_workers_than_the_cluster_holds(tmp_path: Path, local_ray) -> None:
    """--workers 4 on the 2-CPU instance: two actors (each keeps its CPU), not two that never start."""
    src = tmp_path / "in"
    src.mkdir()
    for i in range(4):
        Image.fromarray(face_like(120, 160, seed=i)).save(src / f"p{i}.jpg")
    rep = process_paths([src], tmp_path / "ray", Settings(threads=1, workers=4, engine="ray"))
    assert rep.exit_status == 0 and len(rep.succeeded) == 4, [f.error for f in rep.failed]


def test_a_segmented_video_whose_actor_dies_starts_again(tmp_path: Path, local_ray) -> None:
    """--segment-seconds 1 on one actor: the actor is killed as the video's first segment is handed
    to it; the video's job starts again on a fresh actor (the dead start's queued tasks dropped)
    and its four segments are detected and encoded once."""
    import time

    from tests.video_factory import make_clip

    src = tmp_path / "in"
    src.mkdir()
    make_clip(src / "clip.mp4", width=160, height=120, n=120, gop=15, bframes=0)
    leftover = set(_live_actors(set()))  # an earlier test's actors, if still exiting: not this batch's
    killed: set[int] = set()

    def progress(ev) -> None:
        if not (isinstance(ev, FileStarted) and not killed):
            return
        end = time.monotonic() + 60
        while time.monotonic() < end and not (live := _live_actors(killed | leftover)):
            time.sleep(0.05)
        for pid in live:
            os.kill(pid, signal.SIGKILL)
            killed.add(pid)

    rep = process_paths(
        [src], tmp_path / "ray", Settings(threads=1, workers=1, engine="ray", segment_seconds=1.0), progress=progress
    )
    assert len(killed) == 1
    assert rep.exit_status == 0, [f.error for f in rep.failed]
    assert rep.files[0].details is not None and rep.files[0].details.segments == 4
    assert sorted(p.name for p in (tmp_path / "ray").iterdir()) == ["clip.mp4", "unseen-manifest.json"]
