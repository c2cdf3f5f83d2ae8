"""The settings table: every field says its help, group, choices or range, and is validated from it at
construction; the choices and ranges are what the code that uses the setting accepts."""

from __future__ import annotations

import io
import json

import av
import numpy as np
import pytest

from unseen.errors import ConfigError, ExitStatus
from unseen.media import video_writer
from unseen.settings import (
    GROUPS,
    MAX_CRF,
    EncoderPreset,
    Mode,
    Range,
    Settings,
    Shape,
    StrEnum,
    VideoEncoder,
    field_help,
)


def test_every_setting_has_help_a_group_and_what_it_allows():
    for name, meta in field_help().items():
        assert meta["help"] and meta["group"] in GROUPS, name
        default = meta["default"]
        if meta["choices"] is not None:
            assert issubclass(meta["choices"], StrEnum) and default in {c.value for c in meta["choices"]}, name
        elif isinstance(default, (int, float)) and not isinstance(default, bool):
            rng, auto = meta["range"], meta["auto"]
            assert isinstance(rng, Range), f"{name} has no range"
            assert default in rng or (auto is not None and default == auto[0]), name


@pytest.mark.parametrize(
    "change, allowed",
    [
        ({"crf": MAX_CRF + 1}, "crf must be 0 to 51"),
        ({"crf": -1}, "crf must be 0 to 51"),
        ({"mosaic_blocks": 9}, "2 to 8"),
        ({"box_scale": 0.5}, "0.0 (the preset's) or 1.0 to 4.0"),
        ({"threshold": 1.0}, "between 0.0 and 1.0, exclusive"),
        ({"detect_stride": 2.5}, "-1.0 (auto) or 0.0 to 2.0"),
        ({"hold_after": 11}, "hold_after must be 0.0 to 10.0"),
        ({"threads": -1}, "0 (all cores) or at least 1"),
        ({"max_pixels": 0}, "max_pixels must be at least 1"),
        ({"mode": "pixelate"}, "solid, mosaic, blur"),
        ({"encoder_preset": "warp9"}, "encoder_preset must be one of ultrafast"),
        ({"video_encoder": "x265"}, "libx264"),
        ({"crf": "18"}, "crf must be a whole number"),
        ({"threshold": "0.3"}, "threshold must be a number"),
        ({"audio": "no"}, "audio must be true or false"),
    ],
)
def test_out_of_table_values_name_the_setting_and_what_it_allows(change, allowed):
    (name,) = change
    with pytest.raises(ConfigError, match="^" + name) as info:
        Settings(**change)
    assert allowed in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize(
    "change",
    [{"crf": 0}, {"crf": MAX_CRF}, {"box_scale": 0}, {"box_scale": 4}, {"threshold": 0.99}, {"detect_stride": -1},
     {"detect_stride": 0}, {"hold_before": 0}, {"threads": 0}, {"threads": 3}, {"mosaic_blocks": 2}],
)
def test_values_inside_the_table_are_accepted(change):
    ((name, value),) = change.items()
    assert getattr(Settings(**change), name) == value


def test_numbers_are_stored_as_their_field_type():
    s = Settings(box_scale=2, hold_before=1, threads=np.int64(2))
    assert type(s.box_scale) is float and type(s.hold_before) is float and type(s.threads) is int


def test_enum_members_and_plain_strings_both_work_and_are_stored_as_plain_strings():
    a, b = Settings(mode=Mode.MOSAIC, shape=Shape.ELLIPSE), Settings(mode="mosaic", shape="ellipse")
    assert a == b and type(a.mode) is str and a.mode == "mosaic"
    assert json.loads(json.dumps(a.to_dict()))["mode"] == "mosaic"


def test_a_config_file_is_validated_from_the_table(tmp_path):
    p = tmp_path / "c.json"
    p.write_text('{"crf": 60}')
    with pytest.raises(ConfigError, match="crf must be 0 to 51; got 60"):
        Settings.from_file(p)


def test_an_unknown_encoder_preset_is_refused_before_any_video_is_read():
    from unseen.cli import main

    err = io.StringIO()
    # no such input file: before, the preset was checked only once the video was probed
    assert main(["no-such-clip.mp4", "--encoder-preset", "warp9"], stdout=io.StringIO(), stderr=err) == ExitStatus.USAGE
    assert "warp9" in err.getvalue()


# --- the table agrees with the code that applies each setting --------------------------------


def _open_encoder(encoder: str, options: dict[str, str], container: str = "mp4") -> None:
    """Encode two 64x64 frames with ``options``; raises where the encoder refuses them."""
    out = av.open(io.BytesIO(), "w", format=container)
    stream = out.add_stream(encoder, rate=10)
    stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
    stream.codec_context.options = options
    for _ in range(2):
        frame = av.VideoFrame.from_ndarray(np.zeros((64, 64, 3), np.uint8), format="rgb24")
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)
    out.close()


def test_every_encoder_preset_of_the_table_is_one_the_writer_maps():
    assert {p.value for p in EncoderPreset} == set(video_writer.X264_PRESETS)
    for preset in EncoderPreset:
        for encoder in ("libx264", "h264_nvenc", "hevc_nvenc", "libvpx-vp9"):
            for crf in (0, MAX_CRF):
                video_writer.encoder_options(encoder, preset.value, crf)


@pytest.mark.parametrize("preset", [p.value for p in EncoderPreset])
def test_x264_takes_every_encoder_preset_and_the_whole_crf_range(preset):
    for crf in (0, MAX_CRF):
        _open_encoder("libx264", video_writer.encoder_options("libx264", preset, crf))


def test_vp9_takes_the_whole_crf_range():
    """crf 51 was VP9 crf 64, which libvpx refuses: every WebM at --crf 51-63 failed."""
    if not video_writer.has_encoder("libvpx-vp9"):
        pytest.skip("this FFmpeg has no libvpx-vp9")
    for crf in (0, 18, MAX_CRF):
        _open_encoder("libvpx-vp9", video_writer.encoder_options("libvpx-vp9", "veryfast", crf), "webm")


def test_nvenc_quality_stays_inside_its_cq_range():
    """NVENC's cq is 1-51 for a quality (0 means 'automatic'), whatever crf the table allows."""
    for crf in range(MAX_CRF + 1):
        cq = int(video_writer.encoder_options("h264_nvenc", "medium", crf)["cq"])
        assert 1 <= cq <= 51 and (cq == crf or crf == 0)


def test_every_video_encoder_choice_names_an_ffmpeg_encoder():
    for enc in VideoEncoder:
        if enc is not VideoEncoder.AUTO:
            assert av.codec.Codec(enc.value, "w").is_encoder


def test_every_mode_and_shape_of_the_table_has_a_cover():
    from unseen.cover import apply_cover
    from unseen.types import Faces

    faces = Faces(np.array([[20, 20, 60, 70]], np.float32))
    for mode in Mode:
        for shape in Shape:
            frame = np.full((96, 128, 3), 200, np.uint8)
            apply_cover(frame, faces, Settings(mode=mode.value, shape=shape.value))
            assert (frame != 200).any(), (mode, shape)
