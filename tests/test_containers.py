"""The one container walker and the one allow-list: the metadata limit and the verifier agree.

Before issue 12 the size limit (media/image_limits.py) and the verifier (scrub/image.py) each had
their own list of what is pixels; these tests hold both to the one in scrub/allow.py.
"""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from PIL import Image

from unseen.errors import UnsupportedFormat, VerificationError
from unseen.media.containers.buffer import FileBuffer
from unseen.media.containers.jpeg import JpegWalk
from unseen.media.containers.png import PngWalk
from unseen.media.containers.record import Damage
from unseen.media.containers.webp import WebpWalk
from unseen.media.image_io import read_image
from unseen.media.image_limits import metadata_bytes
from unseen.scrub.allow import Role, jpeg_role, webp_role
from unseen.scrub.image import describe_bytes, verify_clean

from . import media_factory as mf

PAYLOAD = b"SECRET-name-and-place " * 40  # 880 bytes


def _jpeg(**save) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(mf.face_like(32, 48)).save(buf, "JPEG", quality=90, **save)
    return buf.getvalue()


def _with_segment(data: bytes, marker: int, payload: bytes) -> bytes:
    sos = data.index(b"\xff\xda")
    return data[:sos] + bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload + data[sos:]


def _limit_count(data: bytes) -> int:
    return metadata_bytes(io.BytesIO(data), len(data))


def _webp_chunk(fourcc: bytes, payload: bytes) -> bytes:
    return fourcc + struct.pack("<I", len(payload)) + payload + b"\x00" * (len(payload) % 2)


def _webp_with(data: bytes, *chunks: bytes) -> bytes:
    body = data[12:] + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


def _lossless_webp() -> bytes:
    buf = io.BytesIO()
    Image.fromarray(mf.face_like(16, 16)).save(buf, "WEBP", lossless=True)
    return buf.getvalue()


# Every JPEG marker that has a length field, except SOS (its entropy data would follow).
_SEGMENT_MARKERS = [m for m in range(0xC0, 0xFF) if not (0xD0 <= m <= 0xDA)]


@pytest.mark.parametrize("marker", _SEGMENT_MARKERS, ids=lambda m: f"0x{m:02X}")
def test_limit_and_verifier_agree_on_every_jpeg_marker(marker):
    # Old code: DNL/DHP/EXP (0xDC/0xDE/0xDF) counted as metadata by the limit, allowed by the verifier.
    clean = _jpeg()
    data = _with_segment(clean, marker, PAYLOAD)
    counted = _limit_count(data) > _limit_count(clean)  # the JFIF header counts in both
    reported = bool(describe_bytes(data, "JPEG"))
    assert counted == reported, (counted, reported)
    assert counted == (jpeg_role(marker, PAYLOAD[:14]) is Role.METADATA)


@pytest.mark.parametrize("marker", [0xDC, 0xDE, 0xDF])
def test_dnl_dhp_exp_are_metadata(marker):
    data = _with_segment(_jpeg(), marker, PAYLOAD)
    assert describe_bytes(data, "JPEG") == [f"JPEG marker 0x{marker:02X}"]
    assert _limit_count(data) == _limit_count(_jpeg()) + len(PAYLOAD) + 2


def test_text_in_a_dnl_segment_decodes_unseen_and_fails_verification(tmp_path):
    # libjpeg skips a DNL segment whatever it holds: the pixels are the same, the text travels.
    clean = _jpeg()
    data = _with_segment(clean, 0xDC, PAYLOAD)
    same = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    assert np.array_equal(same, np.asarray(Image.open(io.BytesIO(clean)).convert("RGB")))
    out = tmp_path / "out.jpg"
    out.write_bytes(data)
    with pytest.raises(VerificationError, match="JPEG marker 0xDC"):
        verify_clean(out)
    (tmp_path / "clean.jpg").write_bytes(clean)
    verify_clean(tmp_path / "clean.jpg")


@pytest.mark.parametrize("fourcc", [b"EXIF", b"XMP ", b"ABCD", b"ANIM", b"ANMF", b"VP8X", b"ALPH"])
def test_limit_and_verifier_agree_on_webp_chunks(fourcc):
    payload = b"\x00" * 16 + PAYLOAD if fourcc == b"ANMF" else PAYLOAD
    data = _webp_with(_lossless_webp(), _webp_chunk(fourcc, payload))
    role = webp_role(fourcc)
    assert (_limit_count(data) > 0) == (role is Role.METADATA)
    items = describe_bytes(data, "WEBP")
    if role is Role.ANIMATION:
        assert items == ["WebP animation"]  # picture data, not metadata; still never in an output
    else:
        assert bool(items) == (role is Role.METADATA)


def test_unknown_chunk_inside_an_animation_frame_counts_as_metadata():
    # Old code treated a whole ANMF chunk as pixels, so the limit never saw what a frame hides.
    frame = b"\x00" * 16 + _webp_chunk(b"VP8L", b"\x2f" + b"\x00" * 40) + _webp_chunk(b"ZZZZ", PAYLOAD)
    data = _webp_with(_lossless_webp(), _webp_chunk(b"ANMF", frame))
    assert _limit_count(data) == len(PAYLOAD)


def test_technical_fields_are_allowed_and_counted(tmp_path):
    # The JFIF header (resolution) may stay in an output, and counts as the non-pixel block it is.
    data = _jpeg(dpi=(300, 300))
    assert data[6:11] == b"JFIF\x00" and _limit_count(data) == 16
    assert describe_bytes(data, "JPEG") == []
    thumb = data[:2] + data[2:6] + b"JFIF\x00\x01\x02\x00\x00\x01\x00\x01\x01\x01" + data[20:]
    assert describe_bytes(thumb, "JPEG") == ["JFIF thumbnail"]  # a thumbnail size makes it metadata


def test_apng_frames_are_animation_not_metadata(tmp_path):
    # Old code counted fcTL/fdAT frames against the metadata limit (and the reader refused the
    # file by its size, not as the animation it is).
    path = mf.animated(tmp_path / "a.png", "PNG")
    data = path.read_bytes()
    assert b"fdAT" in data
    assert _limit_count(data) == 0
    assert describe_bytes(data, "PNG") == ["PNG animation (APNG)"]
    with pytest.raises(UnsupportedFormat, match="PNG with 3 frames"):
        read_image(path, max_pixels=10**8, max_metadata=100)


# --- the walker ------------------------------------------------------------------------------


def _restart_jpeg() -> bytes:
    buf = io.BytesIO()
    Image.fromarray(mf.face_like(64, 64)).save(buf, "JPEG", quality=90, restart_marker_blocks=1)
    return buf.getvalue()


def test_jpeg_walk_yields_restart_markers_in_order_and_ends_at_eoi():
    data = _restart_jpeg()
    walk = JpegWalk(data, restarts=True)
    kinds = [rec.kind for rec in walk]
    rst = [k for k in kinds if 0xD0 <= k <= 0xD7]
    assert len(rst) > 8 and rst[:9] == [0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD0]
    assert 0xDA in kinds and 0xDB in kinds and 0xC4 in kinds
    assert walk.problem is None and walk.end == len(data)
    assert not any(0xD0 <= rec.kind <= 0xD7 for rec in JpegWalk(data))  # only when asked


def test_walks_over_a_file_read_on_demand_match_the_walks_over_bytes(tmp_path):
    jpeg = _restart_jpeg()
    png = mf.png(tmp_path / "p.png", text=True, time_chunk=True).read_bytes()
    webp = mf.webp(tmp_path / "w.webp", xmp=True, exif=mf.build_exif(orientation=3)).read_bytes()
    for walker, data in ((JpegWalk, jpeg), (PngWalk, png), (WebpWalk, webp)):
        in_memory = [(r.kind, r.offset, r.start, r.length, r.end, r.payload()) for r in walker(data)]
        on_disk = [(r.kind, r.offset, r.start, r.length, r.end, r.payload())
                   for r in walker(FileBuffer(io.BytesIO(data), len(data)))]  # fmt: skip
        assert in_memory == on_disk and len(in_memory) > 3


def test_file_buffer_find_across_its_read_chunks():
    data = b"\x00" * 70_000 + b"\xff\xd9" + b"\x00" * 10
    buf = FileBuffer(io.BytesIO(data), len(data))
    assert buf.find(b"\xff\xd9", 0) == 70_000
    assert buf.find(b"\xff\xd9", 70_001) == -1
    data = b"\x00" * 65_535 + b"\xff\xd9"  # the match straddles the first chunk's end
    assert FileBuffer(io.BytesIO(data), len(data)).find(b"\xff\xd9", 0) == 65_535


@pytest.mark.parametrize(
    ("cut", "damage"),
    [
        (lambda d: d[:-2], Damage.DATA_TRUNCATED),  # no EOI: the scan's data runs to the end
        (lambda d: d[: d.index(b"\xff\xdb") + 10], Damage.OVERRUN),  # a table cut short
        (lambda d: d[:2] + b"\x00" + d[2:], Damage.NOT_A_RECORD),
        (lambda d: d[: d.index(b"\xff\xdb") + 2], Damage.HEADER_TRUNCATED),
        (lambda d: d[: d.index(b"\xff\xdb")], Damage.TRUNCATED),
    ],
)
def test_jpeg_walk_says_how_it_stopped(cut, damage):
    walk = JpegWalk(cut(_jpeg()))
    list(walk)
    assert walk.problem is not None and walk.problem.damage is damage and walk.end is None


def test_records_never_reach_past_their_container():
    data = _webp_with(_lossless_webp(), b"EXIF" + struct.pack("<I", 10_000) + b"short")
    walk = WebpWalk(data)
    records = list(walk)
    assert all(r.end <= len(data) for r in records)
    assert walk.problem is not None and walk.problem.damage is Damage.OVERRUN and walk.problem.kind == b"EXIF"
    assert "WebP chunk 'EXIF' runs past the end of the RIFF data" in describe_bytes(data, "WEBP")


def test_a_file_that_shrinks_while_its_headers_are_walked_is_an_os_error(tmp_path):
    data = mf.png(tmp_path / "p.png", text=True).read_bytes()
    with pytest.raises(OSError, match="changed while being read"):
        list(PngWalk(FileBuffer(io.BytesIO(data[:40]), len(data))))
