"""--video-encoder: an explicit encoder is used or refused with a usage error, never swapped."""

from __future__ import annotations

import av
import pytest

from unseen.cli import main
from unseen.errors import ConfigError, ExitStatus
from unseen.media.video_writer import has_encoder
from unseen.pipeline.video import process_video
from unseen.settings import Settings

from .video_factory import MagentaDetector, make_clip


def _nvenc_usable() -> bool:
    if not has_encoder("h264_nvenc"):
        return False
    try:
        cc = av.CodecContext.create("h264_nvenc", "w")
        cc.width, cc.height, cc.pix_fmt = 128, 96, "yuv420p"
        cc.time_base = 1 / 30  # type: ignore[assignment]
        cc.open()
        return True
    except Exception:
        return False


def test_explicit_libx264_is_used(tmp_path):
    clip = make_clip(tmp_path / "a.mp4", width=128, height=96, n=10)
    r = process_video(clip.path, tmp_path / "b.mp4", Settings(video_encoder="libx264"), detector=MagentaDetector())
    assert r.details.video_codec == "libx264"
    with av.open(str(tmp_path / "b.mp4")) as c:
        assert c.streams.video[0].codec_context.name == "h264"


def test_h264_into_webm_is_a_usage_error(tmp_path):
    clip = make_clip(tmp_path / "a.mp4", width=128, height=96, n=5)
    with pytest.raises(ConfigError, match="WebM cannot hold h264_nvenc"):
        process_video(clip.path, tmp_path / "b.webm", Settings(video_encoder="h264_nvenc"), detector=MagentaDetector())
    assert not (tmp_path / "b.webm").exists()


def test_unknown_encoder_is_refused_by_the_settings():
    with pytest.raises(ConfigError, match="video_encoder must be one of"):
        Settings(video_encoder="mpeg4")


@pytest.mark.skipif(_nvenc_usable(), reason="an NVIDIA encoder works here; the refusal cannot be shown")
def test_nvenc_without_a_gpu_fails_closed_with_exit_5(tmp_path, capsys):
    """A GPU encoder that cannot start is a device problem: the documented exit 5 (README), as
    ``--device cuda`` without a GPU; it was a usage error (exit 2)."""
    clip = make_clip(tmp_path / "a.mp4", width=128, height=96, n=5)
    out = tmp_path / "b.mp4"
    code = main([str(clip.path), "-o", str(out), "--video-encoder", "h264_nvenc"])
    assert code == ExitStatus.MODEL
    err = capsys.readouterr().err
    assert "h264_nvenc" in err and ("cannot start" in err or "has no" in err)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp4"]


@pytest.mark.gpu
@pytest.mark.skipif(not _nvenc_usable(), reason="no usable NVIDIA encoder (needs an NVIDIA GPU and driver)")
def test_nvenc_encodes_when_a_gpu_is_there(tmp_path):
    clip = make_clip(tmp_path / "a.mp4", width=128, height=96, n=20)
    r = process_video(clip.path, tmp_path / "b.mp4", Settings(video_encoder="h264_nvenc"), detector=MagentaDetector())
    assert r.details.video_codec == "h264_nvenc" and r.details.frames == 20
