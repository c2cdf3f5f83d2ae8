"""Resource attacks: huge declared sizes, enormous metadata, frames packed densely in time.

Each attack runs in a fresh interpreter that reports its peak resident memory
(``VmHWM``), so "memory stays bounded" is a measured number, not a hope. Baseline for one
small photo or clip through the same harness: about 90 MB.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zlib
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from unseen.media.image_limits import MAX_METADATA_BYTES
from unseen_eval.fuzz_video import mp4_h264_size, mp4_huge_metadata

from .conftest import REPO, noise_image
from .media_factory import png_bomb
from .video_factory import make_clip, plain

HARNESS = r"""
import json, resource, sys
sys.path.insert(0, sys.argv[1])
from pathlib import Path
import unseen
from unseen.errors import UnseenError
from unseen.media.kinds import media_kind
from tests.video_factory import MagentaDetector
src, dst = Path(sys.argv[2]), Path(sys.argv[3])
res = {}
try:
    fn = unseen.anonymize_video if media_kind(src) == "video" else unseen.anonymize_image
    r = fn(src, dst, unseen.Settings(threads=1), detector=MagentaDetector())
    res["outcome"] = "ok"
    res["removed"] = r.metadata_removed
except UnseenError as e:
    res["outcome"] = type(e).__name__
    res["message"] = e.message
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the (large) pytest parent.
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")]
res["peak_mb"] = int(hwm[0].split()[1]) / 1024 if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
res["output_exists"] = dst.exists()
print(json.dumps(res))
"""


def measure(src: Path, dst: Path) -> dict:
    r = subprocess.run([sys.executable, "-c", HARNESS, str(REPO), str(src), str(dst)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def _png_with_text(path: Path, nbytes: int) -> Path:
    Image.fromarray(noise_image()).save(path)
    data = path.read_bytes()
    body = b"Comment\x00" + b"A" * nbytes
    chunk = struct.pack(">I", len(body)) + b"tEXt" + body + struct.pack(">I", zlib.crc32(b"tEXt" + body))
    path.write_bytes(data[:33] + chunk + data[33:])
    return path


def _jpeg_with_comments(path: Path, nbytes: int) -> Path:
    Image.fromarray(noise_image()).save(path, format="JPEG")
    data = path.read_bytes()
    seg = b"\xff\xfe" + struct.pack(">H", 65535) + b"C" * 65533
    path.write_bytes(data[:2] + seg * (nbytes // 65533 + 1) + data[2:])
    return path


# --- huge declared dimensions --------------------------------------------------------------
def test_png_declaring_ten_gigapixels_is_refused_before_decoding(tmp_path):
    src = png_bomb(tmp_path / "bomb.png", 100_000, 100_000)
    res = measure(src, tmp_path / "out.png")
    assert res["outcome"] == "LimitExceeded" and "max_pixels" in res["message"], res
    assert not res["output_exists"]
    assert res["peak_mb"] < 200, res


def test_jpeg_declaring_65535_squared_is_refused_before_decoding(tmp_path):
    src = tmp_path / "bomb.jpg"
    Image.fromarray(noise_image()).save(src, format="JPEG")
    b = bytearray(src.read_bytes())
    i = b.index(b"\xff\xc0")
    b[i + 5 : i + 9] = struct.pack(">HH", 65535, 65535)
    src.write_bytes(bytes(b))
    res = measure(src, tmp_path / "out.jpg")
    assert res["outcome"] == "LimitExceeded" and "max_pixels" in res["message"], res
    assert res["peak_mb"] < 200, res


@pytest.fixture(scope="module")
def small_mp4(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("v") / "small.mp4", n=6, keep_frames=False).path


def test_h264_parameter_set_declaring_a_bomb_is_refused(tmp_path, small_mp4):
    """The codec header (SPS) decides the decoded size; the container's width/height do not."""
    src = tmp_path / "sps.mp4"
    src.write_bytes(mp4_h264_size(small_mp4.read_bytes(), 16000, 16000))
    res = measure(src, tmp_path / "out.mp4")
    assert res["outcome"] == "LimitExceeded" and "16000x16000" in res["message"], res
    assert "max_pixels" in res["message"] and not res["output_exists"]


def test_h264_bomb_refused_before_any_frame_is_decoded(tmp_path, small_mp4):
    """Regression: probing decoded the forged 16000x16000 picture first (~700 MB peak)."""
    src = tmp_path / "sps.mp4"
    src.write_bytes(mp4_h264_size(small_mp4.read_bytes(), 16000, 16000))
    res = measure(src, tmp_path / "out.mp4")
    assert res["outcome"] == "LimitExceeded"
    assert res["peak_mb"] < 250, res


# --- enormous metadata ---------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("make,suffix", [(_png_with_text, ".png"), (_jpeg_with_comments, ".jpg")])
def test_photo_metadata_over_the_limit_is_refused_from_the_headers(tmp_path, make, suffix):
    src = make(tmp_path / f"meta{suffix}", MAX_METADATA_BYTES + (1 << 20))
    res = measure(src, tmp_path / f"out{suffix}")
    assert res["outcome"] == "LimitExceeded" and "max_metadata_mb" in res["message"], res
    assert not res["output_exists"]
    assert res["peak_mb"] < 150, res  # the 65 MB block is never read


def test_photo_metadata_under_the_limit_is_dropped(tmp_path):
    src = _jpeg_with_comments(tmp_path / "meta.jpg", 4 << 20)
    res = measure(src, tmp_path / "out.jpg")
    assert res["outcome"] == "ok" and "JPEG comment" in res["removed"], res
    assert res["peak_mb"] < 200, res


@pytest.mark.slow
def test_video_with_a_64_mb_metadata_block_is_scrubbed_in_bounded_memory(tmp_path, small_mp4):
    src = tmp_path / "meta.mp4"
    src.write_bytes(mp4_huge_metadata(small_mp4.read_bytes(), np.random.default_rng(0), megabytes=64))
    res = measure(src, tmp_path / "out.mp4")
    assert res["outcome"] == "ok", res
    assert any("comment" in r for r in res["removed"]), res
    assert res["peak_mb"] < 200, res


# --- many tiny frames ----------------------------------------------------------------------
@pytest.mark.slow
def test_frames_packed_densely_in_time_keep_memory_bounded(tmp_path):
    """Regression: 1500 frames 1 us apart peaked at ~530 MB (each held frame kept a scaler)."""
    n = 1500
    src = tmp_path / "dense.mp4"
    make_clip(src, width=32, height=32, n=n, pts=list(range(n)), time_base=Fraction(1, 1_000_000),
              draw=plain, keep_frames=False, bframes=0)
    res = measure(src, tmp_path / "out.mp4")
    assert res["outcome"] in ("ok", "LimitExceeded"), res
    assert res["peak_mb"] < 300, res


def test_metadata_size_counts_text_and_comments_not_pixels_or_icc(tmp_path):
    import io

    from unseen.errors import LimitExceeded
    from unseen.media.image_limits import check_metadata_size, metadata_bytes

    from .media_factory import srgb_icc

    png = _png_with_text(tmp_path / "t.png", 1000)
    with open(png, "rb") as fh:
        assert metadata_bytes(fh, png.stat().st_size) == len(b"Comment\x00") + 1000
    jpg = _jpeg_with_comments(tmp_path / "c.jpg", 10)
    with open(jpg, "rb") as fh:
        assert 65535 <= metadata_bytes(fh, jpg.stat().st_size) < 65535 + 64  # + the JFIF header
        with pytest.raises(LimitExceeded, match="max_metadata_mb"):
            check_metadata_size(fh, jpg.stat().st_size, limit=1000)
    buf = io.BytesIO()
    Image.fromarray(noise_image()).save(buf, format="JPEG", icc_profile=srgb_icc())
    Image.fromarray(noise_image()).save(tmp_path / "icc.webp", icc_profile=srgb_icc())
    assert metadata_bytes(buf, len(buf.getvalue())) == 16  # the JFIF header only; the ICC profile is not counted
    with open(tmp_path / "icc.webp", "rb") as fh:
        assert metadata_bytes(fh, (tmp_path / "icc.webp").stat().st_size) == 0


def test_frames_packed_past_the_look_ahead_budget_are_refused(tmp_path):
    from unseen.errors import LimitExceeded
    from unseen.pipeline.video import process_video
    from unseen.settings import Settings

    from .video_factory import MagentaDetector

    n = 300
    src = tmp_path / "dense.mp4"
    make_clip(src, width=32, height=32, n=n, pts=list(range(n)), time_base=Fraction(1, 1_000_000),
              draw=plain, keep_frames=False, bframes=0)
    # 2 MB: ~115 frames of 32x32
    with pytest.raises(LimitExceeded, match="max-lookahead-mb") as e:
        process_video(src, tmp_path / "out.mp4", Settings(threads=1, max_lookahead_mb=2), detector=MagentaDetector())
    assert "frame" in e.value.message and "look-ahead" in e.value.message
    assert not (tmp_path / "out.mp4").exists()
    with pytest.raises(LimitExceeded, match="101 frames .*max-lookahead-frames"):
        process_video(src, tmp_path / "out.mp4", Settings(threads=1, max_lookahead_frames=100), detector=MagentaDetector())
    assert not (tmp_path / "out.mp4").exists()


def test_metadata_limit_is_a_setting(tmp_path):
    """Settings.max_metadata_mb reaches the reader: a 2 MB text chunk passes at 64, is refused at 1."""
    from PIL import Image, PngImagePlugin

    import unseen
    from unseen.detect import FixedDetector
    from unseen.errors import LimitExceeded

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "x" * (2 << 20))
    src = tmp_path / "big_meta.png"
    Image.new("RGB", (32, 32), (90, 90, 90)).save(src, pnginfo=info)
    det = FixedDetector(unseen.Faces.empty())
    unseen.anonymize_image(src, tmp_path / "ok.png", unseen.Settings(), detector=det)
    with pytest.raises(LimitExceeded, match="max_metadata_mb"):
        unseen.anonymize_image(src, tmp_path / "no.png", unseen.Settings(max_metadata_mb=1), detector=det)
    assert not (tmp_path / "no.png").exists()
