"""Video fails closed: bad input, a failing stage or a bad output leaves nothing and says where."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from unseen.errors import (
    CorruptInput,
    InputNotFound,
    LimitExceeded,
    OutputExists,
    PipelineError,
    UnseenError,
    UnsupportedFormat,
)
from unseen.pipeline.commit import TMP_MARK
from unseen.pipeline.video import process_video
from unseen.settings import Settings

from .video_factory import (
    FailingDetector,
    MagentaDetector,
    audio_only,
    corrupt_frame,
    make_clip,
    read_frames,
    truncated,
    zero_frames,
)

S = Settings()


def _no_output(folder: Path, *keep: Path) -> None:
    left = [p for p in folder.iterdir() if p not in keep]
    assert left == [], f"left behind: {left}"


def test_missing_input(tmp_path):
    with pytest.raises(InputNotFound) as e:
        process_video(tmp_path / "nope.mp4", None, S, detector=MagentaDetector())
    assert "nope.mp4" in str(e.value)


def test_empty_file(tmp_path):
    p = tmp_path / "empty.mp4"
    p.write_bytes(b"")
    with pytest.raises(CorruptInput, match="empty"):
        process_video(p, None, S, detector=MagentaDetector())
    _no_output(tmp_path, p)


def test_zero_length_video(tmp_path):
    p = zero_frames(tmp_path / "zero.mp4")
    with pytest.raises((CorruptInput, UnsupportedFormat)) as e:
        process_video(p, None, S, detector=MagentaDetector())
    assert "zero.mp4" in e.value.message
    _no_output(tmp_path, p)


def test_audio_only_is_not_a_video(tmp_path):
    p = audio_only(tmp_path / "voice.mp4")
    with pytest.raises(UnsupportedFormat, match="no video stream"):
        process_video(p, None, S, detector=MagentaDetector())
    _no_output(tmp_path, p)


def test_not_a_video_at_all(tmp_path):
    p = tmp_path / "fake.mp4"
    p.write_bytes(b"this is not a video" * 100)
    with pytest.raises(CorruptInput):
        process_video(p, None, S, detector=MagentaDetector())
    _no_output(tmp_path, p)


def test_huge_dimensions_refused(tmp_path):
    clip = make_clip(tmp_path / "big.mp4", width=320, height=240, n=3)
    with pytest.raises(LimitExceeded, match="320x240"):
        process_video(clip.path, None, S.replace(max_pixels=320 * 240 - 1), detector=MagentaDetector())
    _no_output(tmp_path, clip.path)


@pytest.mark.parametrize("faststart", [False, True])
def test_truncated_input_is_an_error(tmp_path, faststart):
    clip = make_clip(tmp_path / "full.mp4", n=60, faststart=faststart)
    bad = truncated(clip.path, tmp_path / "cut.mp4", keep=0.6)
    with pytest.raises(CorruptInput) as e:
        process_video(bad, None, S, detector=MagentaDetector())
    assert "cut.mp4" in e.value.message
    if faststart:  # the index survives: the reader gets far enough to say which frame
        assert "frame" in e.value.message and "truncated" in e.value.message
    _no_output(tmp_path, clip.path, bad)


def test_truncated_input_accepted_when_allowed(tmp_path):
    clip = make_clip(tmp_path / "full.mp4", n=60, faststart=True)
    bad = truncated(clip.path, tmp_path / "cut.mp4", keep=0.6)
    report = process_video(bad, tmp_path / "o.mp4", S.replace(allow_damaged=True), detector=MagentaDetector())
    assert report.ok and report.details.damage
    assert any("damaged" in w for w in report.warnings)
    frames, _ = read_frames(tmp_path / "o.mp4")
    assert 0 < len(frames) < 60


def test_truncated_mkv_is_an_error(tmp_path):
    clip = make_clip(tmp_path / "full.mkv", n=60)
    bad = truncated(clip.path, tmp_path / "cut.mkv", keep=0.5)
    with pytest.raises(CorruptInput, match="truncated|stops"):
        process_video(bad, None, S, detector=MagentaDetector())
    _no_output(tmp_path, clip.path, bad)


@pytest.mark.parametrize("suffix,codec", [(".mkv", "mpeg4"), (".mp4", "libx264")])
def test_corrupt_frame_is_an_error(tmp_path, suffix, codec):
    clip = make_clip(tmp_path / f"ok{suffix}", n=30, width=96, height=64, codec=codec, pix_fmt="yuv420p", bframes=0)
    bad = corrupt_frame(clip.path, tmp_path / f"bad{suffix}", frame=12)
    with pytest.raises(CorruptInput) as e:
        process_video(bad, None, S, detector=MagentaDetector())
    assert "frame 1" in e.value.message and "0.4" in e.value.message  # packet 12 at 0.400 s
    _no_output(tmp_path, clip.path, bad)


def test_corrupt_frame_accepted_when_allowed_and_reported(tmp_path):
    clip = make_clip(tmp_path / "ok.mp4", n=30, width=96, height=64, bframes=0)
    bad = corrupt_frame(clip.path, tmp_path / "bad.mp4", frame=12)
    report = process_video(bad, tmp_path / "o.mp4", S.replace(allow_damaged=True), detector=MagentaDetector())
    assert report.details.damage and "undecodable" in report.details.damage[0]


def _within(seconds: float, fn):
    """Run ``fn`` in a thread; fail (instead of hanging the suite) if it does not return in time."""
    box: dict = {}

    def target():
        try:
            box["value"] = fn()
        except BaseException as exc:
            box["error"] = exc

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"pipeline still running after {seconds} s: it hangs"
    if "error" in box:
        raise box["error"]
    return box.get("value")


def test_failing_detector_stops_everything_without_hanging(tmp_path):
    clip = make_clip(tmp_path / "a.mp4", n=60, audio=True)
    before = threading.active_count()
    with pytest.raises(PipelineError) as e:
        _within(30, lambda: process_video(clip.path, None, S, detector=FailingDetector(at=10)))
    msg = e.value.message
    assert "a.mp4" in msg and "frame 10" in msg and "detector exploded" in msg
    _no_output(tmp_path, clip.path)
    time.sleep(0.2)
    assert threading.active_count() <= before


@pytest.mark.parametrize("exc,expected", [(ValueError("bar broke"), UnseenError), (KeyboardInterrupt(), KeyboardInterrupt)])
def test_progress_callback_that_raises_stops_cleanly(tmp_path, exc, expected):
    clip = make_clip(tmp_path / "a.mp4", n=40, audio=True)

    def progress(done, total):
        if done == 7:
            raise exc

    with pytest.raises(expected) as e:
        process_video(clip.path, None, S, detector=MagentaDetector(), progress=progress)
    if expected is UnseenError:
        assert "frame 6" in e.value.message and "bar broke" in e.value.message
    _no_output(tmp_path, clip.path)


def test_writer_failure_reaches_the_caller(tmp_path, monkeypatch):
    from unseen.media import video_writer

    def boom(self, frame, pts):
        raise OSError("disk full")

    monkeypatch.setattr(video_writer.VideoWriter, "write_frame", boom)
    clip = make_clip(tmp_path / "a.mp4", n=60)
    with pytest.raises(PipelineError, match="disk full"):
        _within(30, lambda: process_video(clip.path, None, S, detector=MagentaDetector()))
    _no_output(tmp_path, clip.path)


def test_reader_failure_reaches_the_caller(tmp_path, monkeypatch):
    from unseen.media import video_reader

    real = video_reader.VideoReader.items

    def items(self):
        for i, item in enumerate(real(self)):
            if i == 9:
                raise RuntimeError("demuxer fell over")
            yield item

    monkeypatch.setattr(video_reader.VideoReader, "items", items)
    clip = make_clip(tmp_path / "a.mp4", n=60)
    with pytest.raises(PipelineError, match="demuxer fell over"):
        _within(30, lambda: process_video(clip.path, None, S, detector=MagentaDetector()))
    _no_output(tmp_path, clip.path)


def test_existing_output_refused_and_untouched(tmp_path):
    clip = make_clip(tmp_path / "a.mp4", n=5)
    out = tmp_path / "a.unseen.mp4"
    out.write_bytes(b"keep me")
    with pytest.raises(OutputExists):
        process_video(clip.path, None, S, detector=MagentaDetector())
    assert out.read_bytes() == b"keep me"
    process_video(clip.path, None, S.replace(overwrite=True), detector=MagentaDetector())
    assert out.read_bytes() != b"keep me"


def test_output_suffix_that_cannot_be_written(tmp_path):
    clip = make_clip(tmp_path / "a.mp4", n=5)
    with pytest.raises(UnsupportedFormat, match=".gif"):
        process_video(clip.path, tmp_path / "o.gif", S, detector=MagentaDetector())


def test_unwritable_input_container_defaults_to_mp4_with_a_warning(tmp_path):
    clip = make_clip(tmp_path / "a.mp4", n=5)
    odd = tmp_path / "a.3gp"
    odd.write_bytes(clip.path.read_bytes())
    report = process_video(odd, None, S, detector=MagentaDetector())
    assert report.output == str(tmp_path / "a.unseen.mp4")
    assert any("MP4" in w for w in report.warnings)


def test_no_temp_files_left_after_success(tmp_path):
    clip = make_clip(tmp_path / "a.mp4", n=5)
    process_video(clip.path, None, S, detector=MagentaDetector())
    assert not [p for p in tmp_path.iterdir() if TMP_MARK in p.name]


def test_unknown_encoder_preset_is_a_config_error(tmp_path):
    from unseen.errors import ConfigError

    clip = make_clip(tmp_path / "a.mp4", n=5)
    with pytest.raises(ConfigError, match="encoder_preset"):
        process_video(clip.path, None, S.replace(encoder_preset="warp9"), detector=MagentaDetector())
    _no_output(tmp_path, clip.path)


def test_a_frame_that_cannot_be_converted_names_its_own_frame(tmp_path, monkeypatch):
    import unseen.pipeline.video as video

    clip = make_clip(tmp_path / "a.mp4", n=20)
    calls = {"n": 0}
    real = video.to_rgb

    def failing(frame, info):
        calls["n"] += 1
        if calls["n"] == 7:
            raise ValueError("unsupported layout")
        return real(frame, info)

    monkeypatch.setattr(video, "to_rgb", failing)
    with pytest.raises(PipelineError, match=r"frame 6 .*cannot convert the frame to RGB"):
        process_video(clip.path, tmp_path / "b.mp4", Settings(), detector=MagentaDetector())
    assert not (tmp_path / "b.mp4").exists()
