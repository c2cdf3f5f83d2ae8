"""Video end to end on generated clips: every face frame covered, same size, frames, timestamps, audio."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from unseen.geometry.rotation import boxes_to_stored, upright
from unseen.pipeline.video import process_video
from unseen.settings import Settings
from unseen.types import Faces

from .video_factory import (
    GREEN,
    MAGENTA,
    MagentaDetector,
    UprightDetector,
    background,
    covered,
    magenta_boxes,
    make_clip,
    moving_square,
    packet_times,
    read_frames,
    static_square,
)

S = Settings()


def _assert_every_square_covered(clip, out_path: Path) -> None:
    frames, _ = read_frames(out_path)
    assert len(frames) == len(clip.frames)
    for i, (src, out) in enumerate(zip(clip.frames, frames)):
        for box in magenta_boxes(src):
            assert covered(out, box) >= 0.95, f"frame {i}: square {box} not covered"
        assert len(magenta_boxes(out)) == 0, f"frame {i}: magenta visible in the output"


def test_moving_face_covered_on_every_frame_same_size_and_count(tmp_path):
    clip = make_clip(tmp_path / "a.mp4", n=40)
    report = process_video(clip.path, None, S, detector=MagentaDetector())
    out = tmp_path / "a.unseen.mp4"
    assert report.output == str(out) and out.exists()
    _assert_every_square_covered(clip, out)
    with av.open(str(out)) as c:
        v = c.streams.video[0]
        assert (v.codec_context.width, v.codec_context.height) == (64, 48)
        assert v.codec_context.name == "h264"
    assert report.details.frames == 40 and report.faces >= 40


def test_timestamps_and_duration_kept_for_cfr(tmp_path):
    clip = make_clip(tmp_path / "c.mp4", n=30, fps=25)
    process_video(clip.path, tmp_path / "o.mp4", S, detector=MagentaDetector())
    assert packet_times(tmp_path / "o.mp4") == pytest.approx(packet_times(clip.path), abs=1e-6)
    with av.open(str(clip.path)) as a, av.open(str(tmp_path / "o.mp4")) as b:
        assert b.duration == pytest.approx(a.duration, abs=5000)  # microseconds


def test_variable_frame_rate_timestamps_kept(tmp_path):
    pts = [0, 33, 70, 100, 180, 190, 260, 300, 333, 400, 433, 500, 620, 640, 700, 733]
    clip = make_clip(tmp_path / "vfr.mp4", pts=pts, time_base=Fraction(1, 1000))
    process_video(clip.path, tmp_path / "o.mp4", S, detector=MagentaDetector())
    got = packet_times(tmp_path / "o.mp4")
    assert got == pytest.approx([p / 1000 for p in pts], abs=1e-4)
    _assert_every_square_covered(clip, tmp_path / "o.mp4")


def test_b_frames_input_keeps_order_and_count(tmp_path):
    clip = make_clip(tmp_path / "b.mp4", n=24, bframes=3)
    with av.open(str(clip.path)) as c:
        pk = [(p.pts, p.dts) for p in c.demux(video=0) if p.size]
    assert any(p != d for p, d in pk), "fixture should have reordered (B) frames"
    process_video(clip.path, tmp_path / "o.mp4", S, detector=MagentaDetector())
    _assert_every_square_covered(clip, tmp_path / "o.mp4")


@pytest.mark.parametrize("w,h", [(65, 49), (97, 31)])
def test_odd_sizes_kept_exactly(tmp_path, w, h):
    clip = make_clip(tmp_path / "odd.mkv", width=w, height=h, codec="libx264", pix_fmt="yuv444p", n=12)
    report = process_video(clip.path, None, S, detector=MagentaDetector())
    with av.open(report.output) as c:
        v = c.streams.video[0]
        assert (v.codec_context.width, v.codec_context.height) == (w, h)
    _assert_every_square_covered(clip, Path(report.output))


def test_odd_size_420_input_written_as_444_with_a_note(tmp_path):
    clip = make_clip(tmp_path / "odd.webm", width=65, height=49, codec="libvpx-vp9", pix_fmt="yuv420p", n=10)
    report = process_video(clip.path, tmp_path / "o.mp4", S, detector=MagentaDetector())
    with av.open(report.output) as c:
        v = c.streams.video[0]
        assert (v.codec_context.width, v.codec_context.height) == (65, 49)
    assert any("pixel format" in w for w in report.warnings)


@pytest.mark.parametrize("suffix,codec", [(".mkv", "h264"), (".mov", "h264"), (".webm", "vp9"), (".avi", "h264"), (".ts", "h264")])
def test_output_keeps_the_input_container(tmp_path, suffix, codec):
    src_codec = "libvpx-vp9" if suffix == ".webm" else "libx264"
    clip = make_clip(tmp_path / f"in{suffix}", n=15, codec=src_codec, bframes=0 if suffix == ".avi" else 2)
    report = process_video(clip.path, None, S, detector=MagentaDetector())
    assert report.output.endswith(f"in.unseen{suffix}")
    with av.open(report.output) as c:
        assert c.streams.video[0].codec_context.name == codec
    _assert_every_square_covered(clip, Path(report.output))
    assert len(packet_times(Path(report.output))) == 15


def test_audio_packets_passed_through_unchanged(tmp_path):
    clip = make_clip(tmp_path / "a.mp4", n=30, audio=True)
    report = process_video(clip.path, tmp_path / "o.mp4", S, detector=MagentaDetector())
    with av.open(str(clip.path)) as a, av.open(str(tmp_path / "o.mp4")) as b:
        pa = [(p.pts, bytes(p)) for p in a.demux(audio=0) if p.size]
        pb = [(p.pts, bytes(p)) for p in b.demux(audio=0) if p.size]
        assert a.streams.audio[0].time_base == b.streams.audio[0].time_base
    assert pa == pb  # same bytes, same timestamps: in sync, not re-encoded
    assert report.details.streams_kept == {"video": 1, "audio": 1}
    assert report.details.audio_kept is True  # the CLI's summary reminds that voices identify people


def test_no_audio_drops_audio_and_reminds(tmp_path):
    clip = make_clip(tmp_path / "a.mp4", n=15, audio=True)
    report = process_video(clip.path, tmp_path / "o.mp4", S.replace(audio=False), detector=MagentaDetector())
    with av.open(str(tmp_path / "o.mp4")) as c:
        assert len(c.streams.audio) == 0
    assert any("audio removed" in w for w in report.warnings) and report.details.audio_kept is False
    assert any("audio stream" in m for m in report.metadata_removed)


def test_audio_codec_the_container_cannot_hold_is_reencoded_and_said(tmp_path):
    clip = make_clip(tmp_path / "a.mp4", n=20, audio=True)
    report = process_video(clip.path, tmp_path / "o.webm", S, detector=MagentaDetector())
    with av.open(str(tmp_path / "o.webm")) as c:
        assert c.streams.audio[0].codec_context.name == "opus"
    assert any("re-encoded" in w for w in report.warnings)


def test_short_face_held_before_and_after(tmp_path):
    """A face detected on frames 10-11 only is covered from 0.5 s before to 0.5 s after."""
    clip = make_clip(tmp_path / "s.mp4", n=45, fps=30, draw=static_square(20, 14, 16, frames={10, 11}))
    process_video(clip.path, tmp_path / "o.mp4", S, detector=MagentaDetector())
    frames, times = read_frames(tmp_path / "o.mp4")
    box = np.array([20, 14, 36, 30])
    held = [i for i, f in enumerate(frames) if covered(f, box) >= 0.95]
    assert held[0] <= 0 and held[-1] >= 11 + 14, held  # 0.5 s at 30 fps = 15 frames each way
    assert 30 not in held and 40 not in held


def test_missed_detections_are_filled(tmp_path):
    clip = make_clip(tmp_path / "g.mp4", n=40, draw=moving_square(speed=0.6))
    det = MagentaDetector(miss=set(range(12, 20)))
    process_video(clip.path, tmp_path / "o.mp4", S.replace(hold_before=0, hold_after=0), detector=det)
    _assert_every_square_covered(clip, tmp_path / "o.mp4")


def test_progress_callback_counts_frames(tmp_path):
    clip = make_clip(tmp_path / "p.mp4", n=20)
    calls = []
    process_video(clip.path, tmp_path / "o.mp4", S, detector=MagentaDetector(), progress=lambda d, t: calls.append((d, t)))
    assert calls[0] == (1, 20) and calls[-1] == (20, 20)


def test_memory_window_is_bounded(tmp_path):
    clip = make_clip(tmp_path / "m.mp4", n=90, fps=30, keep_frames=False)
    report = process_video(clip.path, tmp_path / "o.mp4", S, detector=MagentaDetector())
    # look-ahead = max(hold_before, max_gap) = 1 s = 30 frames, plus the current one
    assert report.details.lookahead_frames <= 32


# --- rotation: kept as display metadata, faces found upright -----------------------------------
def _upright_face(w: int, h: int) -> np.ndarray:
    """A portrait picture (w x h) with a magenta 'face' above a green 'chin'."""
    img = background(w, h)
    img[10:22, 8:20] = MAGENTA
    img[22:28, 8:20] = GREEN
    return img


@pytest.mark.parametrize("rotation", [90, -90, 180])
def test_phone_rotation_kept_and_faces_found_upright(tmp_path, rotation):
    k = (rotation // 90) % 4
    display = _upright_face(48, 64)  # portrait as the viewer sees it
    stored = np.ascontiguousarray(np.rot90(display, -k))  # what the camera stores
    sh, sw = stored.shape[:2]
    clip = make_clip(tmp_path / "r.mp4", width=sw, height=sh, n=10, rotation=rotation, draw=lambda i, t, w, h: stored)
    report = process_video(clip.path, tmp_path / "o.mp4", S, detector=UprightDetector())
    assert report.details.rotation % 360 == rotation % 360
    with av.open(str(tmp_path / "o.mp4")) as c:
        v = c.streams.video[0]
        assert (v.codec_context.width, v.codec_context.height) == (sw, sh)
        first = next(c.decode(v))
        assert round(first.rotation) % 360 == rotation % 360
    frames, _ = read_frames(tmp_path / "o.mp4")
    for box in magenta_boxes(stored):
        assert all(covered(f, box) >= 0.95 for f in frames)


def test_upright_without_detector_finds_nothing_in_stored_orientation():
    display = _upright_face(48, 64)
    stored = np.ascontiguousarray(np.rot90(display, -1))
    assert len(UprightDetector().detect(stored)) == 0
    view, k = upright(stored, 90)
    assert k == 1 and len(UprightDetector().detect(view)) == 1


@pytest.mark.parametrize("k", [1, 2, 3])
def test_boxes_map_back_from_upright_view(k):
    stored = np.zeros((30, 50), np.uint8)
    stored[5:9, 30:40] = 1
    view = np.rot90(stored, k)
    ys, xs = np.nonzero(view)
    f = Faces(np.array([[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]], np.float32))
    back = boxes_to_stored(f, k, 50, 30).boxes[0]
    assert back.tolist() == [30, 5, 40, 9]


@pytest.mark.parametrize("pix_fmt", ["yuv422p", "yuv420p10le", "yuvj420p"])
def test_pixel_format_and_range_kept(tmp_path, pix_fmt):
    clip = make_clip(tmp_path / "p.mkv", n=8, pix_fmt=pix_fmt, bframes=0)
    with av.open(str(clip.path)) as c:
        cc = c.streams.video[0].codec_context
        src = (cc.pix_fmt, cc.color_range)
    report = process_video(clip.path, None, S, detector=MagentaDetector())
    with av.open(report.output) as c:
        cc = c.streams.video[0].codec_context
        assert (cc.pix_fmt, cc.color_range) == src
    _assert_every_square_covered(clip, Path(report.output))


def test_face_at_the_frame_edge_is_covered_to_the_last_pixel(tmp_path):
    clip = make_clip(tmp_path / "e.mp4", width=64, height=48, n=10, draw=static_square(52, 36, 12))
    process_video(clip.path, tmp_path / "o.mp4", S, detector=MagentaDetector())
    frames, _ = read_frames(tmp_path / "o.mp4")
    for f in frames:
        assert covered(f, np.array([52, 36, 64, 48])) == 1.0


@pytest.mark.parametrize("mode", ["mosaic", "blur"])
def test_weaker_modes_change_the_face_on_every_frame(tmp_path, mode):
    clip = make_clip(tmp_path / "m.mp4", n=12, width=96, height=64, draw=static_square(30, 20, 24))
    process_video(clip.path, tmp_path / "o.mp4", S.replace(mode=mode), detector=MagentaDetector())
    frames, _ = read_frames(tmp_path / "o.mp4")
    for src, out in zip(clip.frames, frames):
        assert len(magenta_boxes(out, min_area=40)) == 0 or np.abs(out[20:44, 30:54].astype(int) - src[20:44, 30:54]).mean() > 20


def test_shot_cut_stops_the_hold(tmp_path):
    """A face in shot A is not held into shot B (after a hard cut); it is held up to the cut."""

    def draw(i, t, w, h):
        if i < 20:
            img = background(w, h)
            img[10:26, 8:24] = MAGENTA
            return img
        img = np.zeros((h, w, 3), np.uint8)
        img[:] = (30, 160, 60)
        img[h // 2 :] = (200, 200, 40)
        return img

    clip = make_clip(tmp_path / "cut.mp4", n=40, width=96, height=64, draw=draw)
    report = process_video(clip.path, tmp_path / "o.mp4", S, detector=MagentaDetector())
    assert report.details.shot_cuts == 1
    frames, _ = read_frames(tmp_path / "o.mp4")
    box = np.array([8, 10, 24, 26])
    assert all(covered(f, box) >= 0.95 for f in frames[:20])
    assert all(covered(f, box) == 0.0 for f in frames[20:])


@pytest.mark.parametrize("pix_fmt", ["yuv420p", "yuvj420p"])
@pytest.mark.parametrize("shape", ["rect", "ellipse"])
def test_solid_cover_on_420_is_painted_on_the_planes_without_an_rgb_round_trip(tmp_path, monkeypatch, pix_fmt, shape):
    import unseen.pipeline.video_cover as video_cover

    def no_rgb(*a, **k):
        raise AssertionError("RGB round trip used for a solid cover on 4:2:0")

    monkeypatch.setattr(video_cover, "from_rgb", no_rgb)
    clip = make_clip(tmp_path / "y.mkv", n=12, width=96, height=64, pix_fmt=pix_fmt, bframes=0, draw=static_square(31, 21, 24))
    report = process_video(clip.path, None, S.replace(shape=shape), detector=MagentaDetector())
    assert report.details.frames_covered == 12
    frames, _ = read_frames(Path(report.output))
    for out in frames:
        assert len(magenta_boxes(out)) == 0
        # the middle of the head region is the fill colour (black), as the RGB path paints it
        assert covered(out, np.array([37, 27, 49, 39])) == 1.0


@pytest.mark.parametrize("fill", [(255, 255, 255), (20, 200, 90)])
def test_planar_fill_has_the_colour_the_rgb_path_gives(tmp_path, fill):
    from unseen.media.video_reader import probe_video
    from unseen.media.video_writer import fill_yuv, from_rgb, to_rgb

    clip = make_clip(tmp_path / "f.mp4", n=2, width=32, height=32, bframes=0)
    info = probe_video(clip.path)
    yuv = fill_yuv(fill, info, "yuv420p")
    planes = np.empty((48, 32), np.uint8)
    planes[:32], planes[32:40], planes[40:] = yuv
    rgb = to_rgb(av.VideoFrame.from_ndarray(planes, format="yuv420p"), info)
    assert np.abs(rgb.astype(int) - np.array(fill)).max() <= 3
    via_rgb = np.empty((32, 32, 3), np.uint8)
    via_rgb[:] = fill
    assert np.array_equal(from_rgb(via_rgb, info, "yuv420p").to_ndarray(), planes)
