"""Nothing of the input's bitstream beyond the pictures reaches the output: captions (A/53),
unregistered SEI user data and the encoder's own SEI are gone, from every encoder's input and
from the written file, and the output check refuses a video that still holds SEI units."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from unseen.errors import VerificationError
from unseen.media.video_writer import encoder_options, without_side_data
from unseen.pipeline.video import process_video
from unseen.scrub.container import Expected, verify_video
from unseen.settings import Settings

from .test_video_encoder import _nvenc_usable
from .video_factory import SEI_TEXT, MagentaDetector, make_side_data_clip, sei_units

LEAKY = {"A53_CC", "SEI_UNREGISTERED", "S12M_TIMECODE", "GOP_TIMECODE"}


def _side_data(path: Path) -> set[str]:
    with av.open(str(path)) as c:
        return {sd.type.name for f in c.decode(video=0) for sd in f.side_data}


def test_the_side_data_clip_carries_captions_and_user_data(tmp_path):
    clip = make_side_data_clip(tmp_path / "cc.mp4")
    assert {"A53_CC", "SEI_UNREGISTERED"} <= _side_data(clip.path)
    assert SEI_TEXT in clip.path.read_bytes()


@pytest.mark.parametrize("encoder", ["libx264", "h264_nvenc", "hevc_nvenc"])
def test_every_h26x_encoder_is_told_not_to_write_captions_timecodes_or_user_sei(encoder):
    opts = encoder_options(encoder, "medium", 18)
    assert opts["a53cc"] == "0" and opts["udu_sei"] == "0"
    if encoder.endswith("_nvenc"):
        assert opts["s12m_tc"] == "0"  # NVENC copies SMPTE timecodes by default too


@pytest.mark.parametrize("encoder", ["libx264", "h264_nvenc", "hevc_nvenc", "libvpx-vp9"])
def test_every_encoder_option_we_set_is_one_the_encoder_has(encoder):
    """An option the encoder does not know would be dropped without a word: none is."""
    options = av.CodecContext.create(encoder, "w").supported_options
    names = {o.name for o in options.generic} | {o.name for o in options.private}
    assert set(encoder_options(encoder, "medium", 18)) <= names


def test_frames_reach_the_encoder_without_side_data_and_with_the_same_pictures(tmp_path):
    clip = make_side_data_clip(tmp_path / "cc.mp4", width=66, height=50)  # odd line sizes
    with av.open(str(clip.path)) as c:
        for frame in c.decode(video=0):
            assert {sd.type.name for sd in frame.side_data} >= {"A53_CC", "SEI_UNREGISTERED"}
            kept = frame.reformat(format="yuv444p")
            assert len(kept.side_data)  # reformat keeps it: why a copy is needed
            for f in (frame, kept):
                clean = without_side_data(f)
                assert len(clean.side_data) == 0
                assert np.array_equal(clean.to_ndarray(), f.to_ndarray())
                assert (clean.color_range, clean.colorspace) == (f.color_range, f.colorspace)


@pytest.mark.parametrize("suffix", [".mp4", ".mkv", ".mov"])
def test_output_holds_no_captions_user_data_or_encoder_sei(tmp_path, suffix):
    clip = make_side_data_clip(tmp_path / "cc.mp4")
    out = tmp_path / f"out{suffix}"
    process_video(clip.path, out, Settings(), detector=MagentaDetector())
    data = out.read_bytes()
    assert SEI_TEXT not in data and b"x264 - core" not in data
    assert sei_units(out) == []
    assert not _side_data(out) & LEAKY


def test_verify_rejects_a_video_that_holds_sei_units(tmp_path):
    clip = make_side_data_clip(tmp_path / "cc.mp4", n=6)
    with pytest.raises(VerificationError, match="SEI"):
        verify_video(clip.path, Expected(64, 48, clip.time_base, clip.pts, {"video": 1}))


@pytest.mark.gpu
@pytest.mark.skipif(not _nvenc_usable(), reason="no usable NVIDIA encoder (needs an NVIDIA GPU and driver)")
def test_nvenc_output_holds_no_captions(tmp_path):
    clip = make_side_data_clip(tmp_path / "cc.mp4", width=256, height=144, n=20)
    out = tmp_path / "out.mp4"
    process_video(clip.path, out, Settings(video_encoder="h264_nvenc"), detector=MagentaDetector())
    assert sei_units(out) == [] and not _side_data(out) & LEAKY
