"""Video metadata by allow-list: tags, chapters, data streams, subtitles and attachments are gone."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import pytest

from unseen.errors import VerificationError
from unseen.pipeline.video import process_video
from unseen.scrub.container import Expected, verify_video
from unseen.settings import Settings

from .video_factory import MagentaDetector, make_clip

S = Settings()
TAGS = {
    "creation_time": "2021-06-01T12:00:00.000000Z",
    "location": "+48.8577+002.2950/",
    "make": "Apple",
    "model": "iPhone 12 Pro",
    "title": "Birthday at Anna's",
    "comment": "serial C02XK1",
    "encoder": "Apple camera 15.1",
}
STREAM_TAGS = {"handler_name": "Core Media Video", "creation_time": "2021-06-01T12:00:00.000000Z", "encoder": "H.264 camera"}
SECRETS = ("2021-06-01", "48.8577", "Apple", "iPhone", "Anna", "C02XK1", "Core Media", "camera", "Alice", "GPS")


def _all_text(path: Path) -> str:
    with av.open(str(path)) as c:
        parts = [str(dict(c.metadata))] + [str(dict(s.metadata)) for s in c.streams]
        try:
            parts.append(str(c.chapters()))
        except Exception:
            pass
    return " ".join(parts)


@pytest.mark.parametrize("suffix", [".mov", ".mkv", ".mp4"])
def test_container_and_stream_tags_dropped(tmp_path, suffix):
    clip = make_clip(tmp_path / f"t{suffix}", n=10, audio=True, container_tags=TAGS, stream_tags=STREAM_TAGS)
    before = _all_text(clip.path)
    assert "48.8577" in before or "2021-06-01" in before  # the fixture carries them
    report = process_video(clip.path, None, S, detector=MagentaDetector())
    after = _all_text(Path(report.output))
    for secret in SECRETS:
        assert secret not in after, f"{secret!r} survived in {after}"
    raw = Path(report.output).read_bytes()
    for secret in (b"48.8577", b"iPhone", b"Anna", b"C02XK1", b"Core Media"):
        assert secret not in raw
    assert any("location" in m for m in report.metadata_removed)
    assert any("creation time" in m for m in report.metadata_removed)


def test_timecode_data_track_dropped_by_default_and_kept_when_allowed(tmp_path):
    clip = make_clip(tmp_path / "tc.mov", n=10, timecode=True)
    with av.open(str(clip.path)) as c:
        assert len(c.streams.data) == 1
    report = process_video(clip.path, tmp_path / "o.mov", S, detector=MagentaDetector())
    with av.open(str(tmp_path / "o.mov")) as c:
        assert len(c.streams.data) == 0
    assert any("data stream" in m for m in report.metadata_removed)


def test_gps_klv_data_stream_dropped_unless_allowed(tmp_path):
    clip = make_clip(tmp_path / "k.ts", n=20, klv=True)
    with av.open(str(clip.path)) as c:
        assert len(c.streams.data) == 1
    process_video(clip.path, tmp_path / "o.ts", S, detector=MagentaDetector())
    with av.open(str(tmp_path / "o.ts")) as c:
        assert len(c.streams.data) == 0
    assert b"GPS" not in (tmp_path / "o.ts").read_bytes()
    process_video(clip.path, tmp_path / "kept.ts", S.replace(keep_data_streams=True), detector=MagentaDetector())
    with av.open(str(tmp_path / "kept.ts")) as c:
        assert len(c.streams.data) == 1


@pytest.mark.parametrize("suffix", [".mkv", ".mp4"])
def test_subtitles_dropped_unless_allowed(tmp_path, suffix):
    clip = make_clip(tmp_path / f"s{suffix}", n=30, subtitles=True)
    with av.open(str(clip.path)) as c:
        assert len(c.streams.subtitles) == 1
    report = process_video(clip.path, tmp_path / f"o{suffix}", S, detector=MagentaDetector())
    with av.open(str(tmp_path / f"o{suffix}")) as c:
        assert len(c.streams.subtitles) == 0
    assert b"Alice" not in (tmp_path / f"o{suffix}").read_bytes()
    assert any("subtitle" in m for m in report.metadata_removed)
    process_video(clip.path, tmp_path / f"k{suffix}", S.replace(keep_subtitles=True), detector=MagentaDetector())
    with av.open(str(tmp_path / f"k{suffix}")) as c:
        assert len(c.streams.subtitles) == 1


def test_attachments_and_cover_art_dropped(tmp_path):
    clip = make_clip(tmp_path / "a.mkv", n=10, attachment=True)
    with av.open(str(clip.path)) as c:
        assert len(c.streams) >= 2
    report = process_video(clip.path, None, S, detector=MagentaDetector())
    with av.open(report.output) as c:
        assert [s.type for s in c.streams] == ["video"]
    assert b"font.ttf" not in Path(report.output).read_bytes()
    assert any("attachment" in m or "cover art" in m for m in report.metadata_removed)


def test_verify_rejects_a_leftover_tag(tmp_path):
    clip = make_clip(tmp_path / "v.mov", n=5, container_tags={"location": "+48.8577+002.2950/"})
    exp = Expected(64, 48, clip.time_base, clip.pts, {"video": 1})
    with pytest.raises(VerificationError, match="location"):
        verify_video(clip.path, exp)


def test_verify_rejects_wrong_frame_count_and_timestamps(tmp_path):
    clip = make_clip(tmp_path / "v.mp4", n=6, sei=False)
    with pytest.raises(VerificationError, match="frames"):
        verify_video(clip.path, Expected(64, 48, clip.time_base, clip.pts + [99], {"video": 1}))
    shifted = [p + 1 for p in clip.pts]
    with pytest.raises(VerificationError, match="timestamp"):
        verify_video(clip.path, Expected(64, 48, clip.time_base, shifted, {"video": 1}))
    with pytest.raises(VerificationError, match="streams"):
        verify_video(clip.path, Expected(64, 48, clip.time_base, clip.pts, {"video": 1, "audio": 1}))
    with pytest.raises(VerificationError, match="64x48"):
        verify_video(clip.path, Expected(64, 50, clip.time_base, clip.pts, {"video": 1}))
    verify_video(clip.path, Expected(64, 48, clip.time_base, clip.pts, {"video": 1}))


def test_verify_rejects_chapters(tmp_path):
    path = tmp_path / "ch.mkv"
    make_clip(path, n=5)
    out = tmp_path / "ch2.mkv"
    with av.open(str(path)) as src, av.open(str(out), "w", options={"fflags": "+bitexact"}) as dst:
        s = dst.add_stream_from_template(src.streams.video[0])
        dst.set_chapters([{"id": 1, "start": 0, "end": 100, "time_base": Fraction(1, 1000), "metadata": {"title": "Anna"}}])
        for p in src.demux(video=0):
            if p.dts is None:
                continue
            p.stream = s
            dst.mux(p)
    with av.open(str(out)) as c:
        if not c.chapters():
            pytest.skip("this PyAV cannot write chapters")
        tb = c.streams.video[0].time_base
    pts = [int(round(t / tb)) for t in [i / 30 for i in range(5)]]
    with pytest.raises(VerificationError, match="chapter"):
        verify_video(out, Expected(64, 48, Fraction(tb), pts, {"video": 1}, frame_tolerance=0.002))


def test_exiftool_cross_check_finds_no_identifying_metadata(tmp_path):
    """An independent reader (exiftool) sees no place, camera, date or title in the output."""
    import shutil
    import subprocess

    if shutil.which("exiftool") is None:
        pytest.skip("exiftool not installed (CI installs it for this cross-check)")
    clip = make_clip(tmp_path / "t.mov", n=10, audio=True, container_tags=TAGS, stream_tags=STREAM_TAGS, timecode=True)
    before = subprocess.run(["exiftool", "-a", "-G1", "-s", str(clip.path)], capture_output=True, text=True).stdout
    assert "2021:06:01" in before and "Apple" in before  # exiftool sees them in the input
    report = process_video(clip.path, None, S, detector=MagentaDetector())
    out = subprocess.run(["exiftool", "-a", "-G1", "-s", report.output], capture_output=True, text=True, check=True).stdout
    for word in ("GPS", "Make", "Model", "2021:06:01", "Anna", "C02XK1", "iPhone", "Core Media", "TimeCode"):
        assert word not in out, f"exiftool still reports {word}:\n{out}"
    dates = [line for line in out.splitlines() if "Date" in line and "[System]" not in line]
    assert all("0000:00:00 00:00:00" in line for line in dates), dates
