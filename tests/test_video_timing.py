"""Exact timing into every container: an MP4 whose AAC starts before 0 (encoder priming, as on
every phone clip) written as MKV, and clips whose streams start late, read and checked whole."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import pytest

from unseen.errors import UnsupportedFormat, VerificationError
from unseen.pipeline.check import check_video
from unseen.pipeline.video import process_video
from unseen.scrub.container import Expected, verify_video
from unseen.settings import Settings

from .video_factory import MagentaDetector, make_clip

S = Settings()


def _times(path: Path) -> tuple[list[float], float]:
    """Sorted video packet times, and the first audio packet time (seconds)."""
    with av.open(str(path)) as c:
        video, audio = [], []
        for p in c.demux():
            if p.pts is None or not p.size:
                continue
            (video if p.stream.type == "video" else audio).append(float(p.pts * p.time_base))
    return sorted(video), min(audio)


def _clip(path: Path, start: float) -> Path:
    tb = Fraction(1, 90000)
    pts = [int(round((start + i / 30) * 90000)) for i in range(30)]
    make_clip(path, width=96, height=64, pts=pts, time_base=tb, audio=True, bframes=2)
    return path


@pytest.mark.parametrize("start", [0.0, 1.5])
@pytest.mark.parametrize("src_suffix", [".mp4", ".mkv"])
@pytest.mark.parametrize("suffix", [".mkv", ".mp4", ".mov"])
def test_b_frames_and_aac_keep_exact_timing_and_sync_in_every_container(tmp_path, start, src_suffix, suffix):
    src = _clip(tmp_path / f"in{src_suffix}", start)
    out = tmp_path / f"out{suffix}"
    process_video(src, out, S, detector=MagentaDetector())
    v_in, a_in = _times(src)
    v_out, a_out = _times(out)
    assert len(v_out) == len(v_in) == 30
    shift = v_out[0] - v_in[0]  # Matroska cannot start before 0: the whole timeline may move
    assert -0.0011 <= shift <= 1024 / 44100 + 0.0011
    assert shift == pytest.approx(0.0, abs=0.0011) or suffix == ".mkv"
    assert max(abs(o - i - shift) for o, i in zip(v_out, v_in)) <= 0.0011  # spacing exact
    assert a_out - a_in == pytest.approx(shift, abs=0.0011)  # audio moved alike: sync kept


@pytest.mark.parametrize("start", [0.0, 1.5])
@pytest.mark.parametrize("src_suffix", [".mp4", ".mkv"])
def test_b_frames_into_mpegts_keep_exact_timing(tmp_path, start, src_suffix):
    """MPEG-TS goes by decode times: B-frames decode two frames before the first is shown, and
    the muxer moved the whole video that much later; the check refused it."""
    tb = Fraction(1, 90000)
    pts = [int(round((start + i / 30) * 90000)) for i in range(30)]
    src = make_clip(tmp_path / f"in{src_suffix}", width=96, height=64, pts=pts, time_base=tb, bframes=2).path
    out = tmp_path / "out.ts"
    process_video(src, out, S, detector=MagentaDetector())
    with av.open(str(src)) as c:
        v_in = sorted(float(p.pts * p.time_base) for p in c.demux(video=0) if p.pts is not None)
    with av.open(str(out)) as c:
        v_out = sorted(float(p.pts * p.time_base) for p in c.demux(video=0) if p.pts is not None)
    shift = v_out[0] - v_in[0]
    assert len(v_out) == 30 and -0.0011 <= shift <= 2 / 30 + 0.0011
    assert max(abs(o - i - shift) for o, i in zip(v_out, v_in)) <= 0.0011


@pytest.mark.parametrize("n", [10, 60])
@pytest.mark.parametrize("src_suffix", [".mp4", ".mkv"])
def test_constant_rate_video_into_avi_keeps_its_frame_times(tmp_path, n, src_suffix):
    """AVI counts frames: its stream ticked in the input's time base (1/15360 came out as 1/600
    with every 20th tick a frame) and the last frame landed one tick after the one before."""
    src = make_clip(tmp_path / f"in{src_suffix}", width=96, height=64, n=n, audio=True).path
    out = tmp_path / "out.avi"
    r = process_video(src, out, S, detector=MagentaDetector())
    with av.open(str(out)) as c:
        got = sorted(float(p.pts * p.time_base) for p in c.demux(video=0) if p.pts is not None)
    assert r.details.frames == n == len(got)
    steps = [b - a for a, b in zip(got, got[1:])]
    assert max(abs(d - 1 / 30) for d in steps) < 1e-6


def test_mkv_input_starting_late_is_not_taken_for_truncated(tmp_path):
    src = _clip(tmp_path / "late.mkv", 1.5)
    fc = check_video(src, detector=MagentaDetector())  # `unseen check` reads it whole
    assert fc.error is None and fc.frames == 30
    r = process_video(src, tmp_path / "out.mp4", S, detector=MagentaDetector())
    assert r.details.frames == 30 and not r.warnings


@pytest.mark.parametrize("suffix", [".mkv", ".mp4"])
def test_check_accepts_unseens_own_output_of_a_clip_starting_late(tmp_path, suffix):
    src = _clip(tmp_path / "late.mp4", 0.885)
    out = tmp_path / f"out{suffix}"
    process_video(src, out, S, detector=MagentaDetector())
    fc = check_video(out, detector=MagentaDetector())
    assert fc.error is None and fc.frames == 30


def test_verify_rejects_audio_out_of_sync_and_a_shift_beyond_the_allowed(tmp_path):
    src = _clip(tmp_path / "in.mp4", 0.0)
    out = tmp_path / "out.mkv"
    process_video(src, out, S, detector=MagentaDetector())
    with av.open(str(out)) as c:
        tb = Fraction(c.streams.video[0].time_base)
        audio = next(s.index for s in c.streams if s.type == "audio")
    v_in, a_in = _times(src)
    pts = [int(round(t * 90000)) for t in v_in]
    base = dict(time_base=Fraction(1, 90000), pts=pts, streams={"video": 1, "audio": 1}, frame_tolerance=0.0011)
    ok = Expected(96, 64, max_shift=0.03, stream_starts={audio: a_in}, **base)
    verify_video(out, ok)
    with pytest.raises(VerificationError, match="sync"):
        verify_video(out, Expected(96, 64, max_shift=0.03, stream_starts={audio: a_in + 0.2}, **base))
    with pytest.raises(VerificationError, match="timestamp"):
        verify_video(out, Expected(96, 64, max_shift=0.0, stream_starts={audio: a_in}, **base))
    assert tb == Fraction(1, 1000)


def test_variable_rate_video_into_avi_fails_closed(tmp_path):
    """AVI cannot hold irregular frame times: refused with a reason (it was a raw muxer error,
    "encoder failed ... returned 22", exit 1), nothing is left."""
    pts = [0, 33, 50, 100, 117, 200, 233, 250, 300, 333, 350, 400]
    src = make_clip(tmp_path / "vfr.mp4", width=96, height=64, pts=pts, time_base=Fraction(1, 1000)).path
    with pytest.raises(UnsupportedFormat, match="variable frame rate"):
        process_video(src, tmp_path / "out.avi", S, detector=MagentaDetector())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vfr.mp4"]
