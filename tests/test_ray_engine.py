"""--engine ray on a real local Ray instance: the same outputs as one process; a killed actor's file retried."""

from __future__ import annotations

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
