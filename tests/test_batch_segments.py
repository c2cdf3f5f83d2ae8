"""--segment-seconds on a batch's pool (issue 15): a long video's segments are tasks on the same
workers (or Ray actors) as the other files, and the result is the segmented run's exactly; on Ray a
video much longer than its share of the batch is segmented without being asked."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.media_factory import face_like
from tests.video_factory import make_clip, read_frames
from unseen.pipeline.batch import process_paths
from unseen.pipeline.jobs import Job, SegmentedJob, WorkUnit, jobs_for
from unseen.pipeline.manifest import verify_manifest
from unseen.pipeline.video import process_video
from unseen.settings import Settings


def _face(i: int, t: float, w: int, h: int) -> np.ndarray:
    """A face-like picture sliding sideways (the real detector sees it on some frames)."""
    base = face_like(h, w + 40, seed=1)
    x = int(20 + 20 * np.sin(t * 2))
    return np.ascontiguousarray(base[:, x : x + w])


def _batch(root: Path, *, n: int, fps: int, gop: int, size: tuple[int, int] = (160, 120)) -> Path:
    src = root / "in"
    src.mkdir()
    make_clip(src / "clip.mp4", width=size[0], height=size[1], n=n, fps=fps, draw=_face, gop=gop, bframes=0)
    Image.fromarray(face_like(240, 320, seed=3)).save(src / "photo.jpg")
    return src


def test_a_long_video_is_segmented_across_the_local_pool(tmp_path):
    """Two workers, --segment-seconds 1 on a 4 s clip: four segments as tasks on the pool; the
    frames written equal the one-process segmented run's (same segments, same covers)."""
    src = _batch(tmp_path, n=120, fps=30, gop=15)
    clip = src / "clip.mp4"
    settings = Settings(workers=2, threads=1, segment_seconds=1.0)
    jobs = jobs_for([WorkUnit(0, clip, None), WorkUnit(1, src / "photo.jpg", None)], settings, workers=2, auto=False)
    assert [type(j) for j in jobs] == [SegmentedJob, Job]
    rep = process_paths([src], tmp_path / "pool", settings)
    assert rep.exit_status == 0, [f.error for f in rep.failed]
    video = next(f for f in rep.files if f.input == str(clip))
    ref = process_video(clip, tmp_path / "ref.mp4", Settings(threads=1, segment_seconds=1.0, segment_workers=1))
    assert video.details is not None and ref.details is not None
    assert video.details.segments == ref.details.segments == 4
    assert video.faces == ref.faces and video.details.regions_covered == ref.details.regions_covered
    a, _ = read_frames(Path(video.output))
    b, _ = read_frames(tmp_path / "ref.mp4")
    assert len(a) == len(b) == 120 and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert verify_manifest(tmp_path / "pool") == []


@pytest.mark.parametrize("segment_seconds", [0.0, 2.0])
def test_a_short_video_on_the_local_pool_runs_whole(tmp_path, segment_seconds):
    """Without --segment-seconds, or with segments longer than the (1 s) video: one task, one pass."""
    src = _batch(tmp_path, n=30, fps=30, gop=15)
    rep = process_paths([src], tmp_path / "pool", Settings(workers=2, threads=1, segment_seconds=segment_seconds))
    assert rep.exit_status == 0, [f.error for f in rep.failed]
    video = next(f for f in rep.files if f.input.endswith("clip.mp4"))
    assert video.details is not None and video.details.segments == 0


def test_ray_segments_a_video_much_longer_than_its_share(tmp_path):
    """200 s at 1 fps with 2 actors: the video is twice its share (100 s), so it is detected in
    segments of 100 s on the actors without --segment-seconds, then encoded once."""
    ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'unseen[ray]')")
    src = _batch(tmp_path, n=200, fps=1, gop=10, size=(96, 72))
    clip = src / "clip.mp4"
    settings = Settings(threads=1, workers=2, engine="ray")
    jobs = jobs_for([WorkUnit(0, clip, None), WorkUnit(1, src / "photo.jpg", None)], settings, workers=2, auto=True)
    assert isinstance(jobs[0], SegmentedJob) and jobs[0].settings is not None
    assert jobs[0].settings.segment_seconds == pytest.approx(100.0)
    assert jobs_for([WorkUnit(0, clip, None)], settings, workers=2, auto=False)[0].__class__ is Job  # local: asked only
    ray.init(num_cpus=2, include_dashboard=False)
    try:
        rep = process_paths([src], tmp_path / "ray", settings)
    finally:
        ray.shutdown()
    assert rep.exit_status == 0, [f.error for f in rep.failed]
    video = next(f for f in rep.files if f.input == str(clip))
    assert video.details is not None and video.details.segments == 2 and video.details.frames == 200
    assert verify_manifest(tmp_path / "ray") == []


def test_a_real_video_segmented_on_the_pool_equals_the_segmented_run(tmp_path):
    """The developers' clip with faces (10 s, keyframes ~2 s apart), --segment-seconds 2 on two
    workers beside a photo: the same frames as the one-process segmented run, faces found."""
    from .conftest import shared_data

    clip = shared_data("video", "short_hamilton_clip.mp4")
    photo = tmp_path / "photo.jpg"
    Image.fromarray(face_like(240, 320, seed=3)).save(photo)
    settings = Settings(workers=2, threads=1, segment_seconds=2.0, preset="fast")
    rep = process_paths([clip, photo], tmp_path / "pool", settings)
    assert rep.exit_status == 0, [f.error for f in rep.failed]
    video = rep.files[0]
    ref = process_video(clip, tmp_path / "ref.mp4", settings.replace(workers=1, segment_workers=1))
    assert video.details is not None and ref.details is not None
    assert video.details.segments == ref.details.segments >= 4
    assert video.faces == ref.faces > 0
    a, _ = read_frames(Path(video.output))
    b, _ = read_frames(tmp_path / "ref.mp4")
    assert len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_a_failing_segment_on_the_pool_fails_its_file_alone(tmp_path):
    """A damaged frame in one segment, a video that cannot even be probed, a good clip: the two bad
    ones fail with one line each (the segment and time named), each with its FileStarted; the good
    one and the photo are done; no output for the bad ones."""
    from tests.video_factory import corrupt_frame
    from unseen.pipeline.progress import FileFinished, FileStarted

    src = _batch(tmp_path, n=120, fps=30, gop=15)
    corrupt_frame(src / "clip.mp4", src / "bad.mp4", frame=70)
    (src / "cut.mp4").write_bytes((src / "clip.mp4").read_bytes()[:2000])  # the header only, truncated
    events: list[object] = []
    out = tmp_path / "pool"
    rep = process_paths([src], out, Settings(workers=2, threads=1, segment_seconds=1.0), progress=events.append)
    failed = {Path(f.input).name: f.error or "" for f in rep.failed}
    assert set(failed) == {"bad.mp4", "cut.mp4"}, failed
    assert "segment" in failed["bad.mp4"] and " s" in failed["bad.mp4"]
    assert all("\n" not in e and e.startswith(str(src)) for e in failed.values())
    started = {e.path.name for e in events if isinstance(e, FileStarted)}
    finished = {Path(e.report.input).name for e in events if isinstance(e, FileFinished)}
    assert started == finished == {"bad.mp4", "cut.mp4", "clip.mp4", "photo.jpg"}
    assert sorted(p.name for p in out.iterdir()) == ["clip.mp4", "photo.jpg", "unseen-manifest.json"]
