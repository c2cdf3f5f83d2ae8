"""--segment-seconds: a video detected in segments (parallel) and encoded once covers every frame
at least as the one-process run does, with the same frames, timestamps and audio."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from unseen.errors import CorruptInput, PipelineError
from unseen.media.video_reader import probe_video
from unseen.pipeline.segments import overlap_seconds, plan_segments, scan_keyframes
from unseen.pipeline.video import process_video
from unseen.settings import Settings

from .video_factory import MAGENTA, MagentaDetector, background, corrupt_frame, make_clip, packet_times, read_frames


def _faces(i: int, t: float, w: int, h: int) -> np.ndarray:
    """Two squares: one crossing the frame, one appearing, vanishing for a few frames, coming back;
    a shot cut (new background) at 2.5 s."""
    img = background(w, h, seed=0 if t < 2.5 else 7)
    if t >= 2.5:
        img = (img // 2 + 60).astype(np.uint8)
    s = 14
    x = int((w - s) * ((t / 4.0) % 1.0))
    img[20 : 20 + s, x : x + s] = MAGENTA
    if 0.6 < t < 3.6 and not (1.9 < t < 2.2):  # missed for a while: gap filling across a boundary
        y = int(60 + 30 * np.sin(t * 3))
        img[y : y + 10, 100 : 110] = MAGENTA
    return img


def _clip(path: Path, audio: bool = True):
    return make_clip(path, width=160, height=120, n=120, fps=30, draw=_faces, audio=audio, gop=15)


def _masks(path: Path) -> list[np.ndarray]:
    frames, _ = read_frames(path)
    return [np.all(f < 40, axis=2) for f in frames]


def _run(src: Path, dst: Path, **kw) -> None:
    process_video(src, dst, Settings(**kw), detector=MagentaDetector())


def test_segments_start_at_keyframes_and_overlap(tmp_path):
    clip = _clip(tmp_path / "a.mp4", audio=False)
    info = probe_video(clip.path)
    keys = scan_keyframes(info)
    assert len(keys) >= 8  # gop 15 at 30 fps: one every 0.5 s
    overlap = overlap_seconds(Settings(), info.fps)
    assert overlap >= 0.5 + 1.0  # holds + the gap-fill limit at least
    segs = plan_segments(info, keys, 1.0, overlap)
    assert len(segs) == 4
    assert all(s.start in keys for s in segs[1:])
    for a, b in zip(segs, segs[1:], strict=False):
        assert a.end == b.start and a.stop is not None and a.stop > b.start
    assert segs[0].seek is None and segs[-1].end is None


@pytest.mark.parametrize("workers", [1, 2])
def test_segmented_run_covers_at_least_the_one_process_run(tmp_path, workers):
    clip = _clip(tmp_path / "a.mp4")
    one, seg = tmp_path / "one.mp4", tmp_path / "seg.mp4"
    _run(clip.path, one)
    rep = process_video(
        clip.path, seg, Settings(segment_seconds=1.0, segment_workers=workers), detector=MagentaDetector()
    )
    a, b = _masks(one), _masks(seg)
    assert len(a) == len(b) == 120 == rep.details.frames
    kernel = np.ones((3, 3), np.uint8)
    for i, (ma, mb) in enumerate(zip(a, b, strict=True)):
        grown = cv2.dilate(mb.astype(np.uint8), kernel).astype(bool)  # codec ringing at region edges
        assert not np.any(ma & ~grown), f"frame {i}: covered by one process, not by the segmented run"
    assert sum(int(m.sum()) for m in a) > 0
    assert packet_times(one) == packet_times(seg)  # exact timestamps
    assert packet_times(one, "audio") == packet_times(seg, "audio") == packet_times(clip.path, "audio")
    with av.open(str(seg)) as c:
        assert len(c.streams.audio) == 1  # audio passed through once
        assert dict(c.metadata).keys() == dict(av.open(str(one)).metadata).keys()


def test_a_failing_segment_leaves_no_output(tmp_path):
    clip = _clip(tmp_path / "a.mp4", audio=False)
    bad = corrupt_frame(clip.path, tmp_path / "bad.mp4", frame=70)
    out = tmp_path / "o.mp4"
    with pytest.raises((CorruptInput, PipelineError)) as e:
        process_video(bad, out, Settings(segment_seconds=1.0), detector=MagentaDetector())
    assert str(bad) in str(e.value) and " s" in str(e.value) and "\n" not in str(e.value)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp4", "bad.mp4"]


def test_segment_seconds_is_validated():
    with pytest.raises(Exception, match="segment_seconds"):
        Settings(segment_seconds=0.5)
    assert dataclasses.replace(Settings(), segment_seconds=2.0).segment_seconds == 2.0


def test_cli_a_failing_segment_exits_non_zero_with_one_line(tmp_path):
    """The command line, worker processes and all: the first pass (shot-cut signatures) meets the
    damaged frame in its segment's worker; no output, one line naming the file and the time."""
    import io

    from unseen.cli import main

    clip = _clip(tmp_path / "a.mp4", audio=False)
    bad = corrupt_frame(clip.path, tmp_path / "bad.mp4", frame=70)
    out, err = io.StringIO(), io.StringIO()
    code = main([str(bad), "-o", str(tmp_path / "o.mp4"), "--segment-seconds", "1", "-q"], stdout=out, stderr=err)
    lines = [line for line in err.getvalue().splitlines() if str(bad) in line]
    assert code != 0 and len(lines) == 1, err.getvalue()
    assert "segment" in lines[0] and " s" in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp4", "bad.mp4"]
