"""A batch on worker processes: the same outputs as one process, a manifest, a dead worker."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from tests.media_factory import face_like
from tests.video_factory import make_clip
from unseen.pipeline.batch import process_paths
from unseen.pipeline.manifest import MANIFEST_NAME, verify_manifest
from unseen.settings import Settings


def _inputs(root: Path) -> Path:
    src = root / "in"
    (src / "sub").mkdir(parents=True)
    for i in range(3):
        Image.fromarray(face_like(240, 320, seed=i)).save(src / f"p{i}.jpg", quality=95)
    Image.fromarray(face_like(200, 200, seed=9)).save(src / "sub" / "q.png")
    make_clip(src / "clip.mp4")
    return src


def test_workers_equal_one_process_and_manifest(tmp_path: Path) -> None:
    src = _inputs(tmp_path)
    one = process_paths([src], tmp_path / "one", Settings(workers=1, threads=1))
    two = process_paths([src], tmp_path / "two", Settings(workers=2, threads=1))
    assert one.exit_status == two.exit_status == 0
    assert [f.input for f in one.files] == [f.input for f in two.files]
    for a, b in zip(one.files, two.files):
        assert a.faces == b.faces
        ra = Path(a.output).relative_to(tmp_path / "one")
        assert Path(b.output).relative_to(tmp_path / "two") == ra
        if a.kind.value == "image":
            assert np.array_equal(np.asarray(Image.open(a.output)), np.asarray(Image.open(b.output)))
        else:
            assert a.details is not None and b.details is not None
            assert a.details.regions_covered == b.details.regions_covered
    data = json.loads((tmp_path / "two" / MANIFEST_NAME).read_text())
    assert len(data["files"]) == 5 and all(e["status"] == "ok" and len(e["output_sha256"]) == 64 for e in data["files"])
    assert verify_manifest(tmp_path / "two") == []
    victim = Path(two.files[0].output)
    victim.write_bytes(victim.read_bytes()[:-10])
    assert len(verify_manifest(tmp_path / "two")) == 1


def test_a_worker_killed_mid_file_is_retried_and_leaves_nothing_partial(tmp_path: Path) -> None:
    import multiprocessing
    import os
    import signal

    from unseen.pipeline.progress import FileStarted

    src = tmp_path / "in"
    src.mkdir()
    for i in range(4):
        Image.fromarray(face_like(480, 640, seed=i)).save(src / f"p{i}.jpg")
    killed: list[int] = []

    def progress(ev) -> None:
        if isinstance(ev, FileStarted) and not killed:
            for child in multiprocessing.active_children():
                if child.pid is not None:
                    os.kill(child.pid, signal.SIGKILL)
                    killed.append(child.pid)
                    break

    rep = process_paths([src], tmp_path / "out", Settings(workers=2, threads=1), progress=progress)
    assert killed
    assert rep.exit_status == 0, [f.error for f in rep.failed]
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["p0.jpg", "p1.jpg", "p2.jpg", "p3.jpg", "unseen-manifest.json"]  # no temp file left
    assert verify_manifest(tmp_path / "out") == []
