"""ICC colour profiles: only the colour tags survive, in every format, verified on the written file.

The profiles are built byte by byte (tests/icc_factory.py): real matrix/TRC colour plus a
description, copyright, device maker and model text naming a person and a serial, identifying
header fields, a private tag with the serial, a private tag holding a whole JPEG of a face.
"""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
import zlib

import numpy as np
import pytest
from PIL import Image, ImageCms

from unseen import Settings, anonymize_image
from unseen.errors import CorruptInput, PipelineError, UnsupportedFormat, VerificationError
from unseen.media.image_io import heif_available, read_image, write_image
from unseen.scrub.icc import COPYRIGHT, DESCRIPTION, canonical_icc, describe_icc, parse_icc
from unseen.scrub.image import describe_bytes, verify_clean

from . import icc_factory as icc
from . import media_factory as mf
from .video_factory import MagentaDetector

BIG = 10**9
FORMATS = {"jpg": "JPEG", "png": "PNG", "webp": "WEBP", "tif": "TIFF", "heic": "HEIF"}
COLOUR = (b"wtpt", b"bkpt", b"chad", b"rXYZ", b"gXYZ", b"bXYZ", b"rTRC", b"gTRC", b"bTRC")
needs_heif = pytest.mark.skipif(not heif_available(), reason="pillow-heif not installed")


def _formats():
    return [pytest.param(s, marks=needs_heif) if s == "heic" else s for s in FORMATS]


def save(path, profile: bytes, pixels: np.ndarray | None = None):
    """An image whose container carries ``profile``, written by Pillow (pillow-heif for HEIF)."""
    pixels = mf.face_like() if pixels is None else pixels
    fmt = FORMATS[path.suffix[1:]]
    if fmt == "HEIF":
        heif_available()
    Image.fromarray(pixels).save(path, format=fmt, icc_profile=profile, **({"quality": 95} if fmt != "TIFF" else {}))
    return path


def planted(data: bytes) -> list[bytes]:
    """The planted strings (ASCII or UTF-16, as v4 text stores them) and the face JPEG found in ``data``."""
    needles = [s for p in icc.PLANTED for s in (p, p.decode().encode("utf-16-be"))] + [icc.face_jpeg()]
    return [n for n in needles if n in data]


def profile_in(path) -> bytes | None:
    """The profile the written file carries, as Pillow (pillow-heif) reads it."""
    heif_available()
    with Image.open(path) as im:
        raw = im.info.get("icc_profile")
    return bytes(raw) if raw else None


def bodies(profile: bytes) -> dict[bytes, bytes]:
    prof = parse_icc(profile)
    return {t.sig: prof.body(t) for t in prof.tags}


# --- every format: the colour survives, nothing else ------------------------------------------


@pytest.mark.parametrize("version", [2, 4])
@pytest.mark.parametrize("suffix", _formats())
def test_only_the_colour_tags_survive(tmp_path, suffix, version):
    leaky = icc.leaky(version)
    src = save(tmp_path / f"in.{suffix}", leaky)
    assert profile_in(src) == leaky  # the input really carries it
    if suffix != "png":  # PNG compresses its profile
        assert planted(src.read_bytes()), "the planted strings should be visible in the input"
    out = tmp_path / f"out.{suffix}"
    report = anonymize_image(src, out, Settings(threads=1), detector=MagentaDetector())

    data = out.read_bytes()
    assert planted(data) == [], f"planted bytes survived in {suffix}"
    written = profile_in(out)
    assert written is not None and planted(written) == []
    got, had = bodies(written), bodies(leaky)
    assert set(got) == {b"desc", b"cprt", *COLOUR}
    for sig in COLOUR:  # the colour tags are byte-identical in value
        assert got[sig] == had[sig], sig
    head = written[:128]
    for lo, hi in ((4, 8), (24, 36), (40, 64), (80, 84), (100, 128)):
        assert head[lo:hi] == bytes(hi - lo), f"header bytes {lo}-{hi} not zero"
    assert head[8] == version and head[12:24] == b"mntrRGB XYZ "
    prof = ImageCms.ImageCmsProfile(io.BytesIO(written))
    assert ImageCms.getProfileDescription(prof).strip() == DESCRIPTION
    assert ImageCms.getProfileCopyright(prof).strip() == COPYRIGHT

    removed = [m for m in report.metadata_removed if m.startswith("ICC profile")]
    assert len(removed) == 1, report.metadata_removed
    for word in ("description", "copyright", "device maker text", "device model text", "2 private tags", "creator", "date"):
        assert word in removed[0], f"{word!r} not reported in {removed[0]!r}"
    assert describe_bytes(data) == []
    verify_clean(out)


@pytest.mark.parametrize("version", [2, 4])
def test_canonical_profile_gives_the_same_colours(version):
    """littleCMS converts through the canonical profile exactly as through the original."""
    leaky = icc.leaky(version)
    rgb = Image.fromarray(np.random.default_rng(3).integers(0, 256, (48, 48, 3), dtype=np.uint8))
    lab = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB"))

    def convert(profile):
        return np.asarray(ImageCms.profileToProfile(rgb, ImageCms.ImageCmsProfile(io.BytesIO(profile)), lab, outputMode="LAB"))

    assert np.array_equal(convert(leaky), convert(canonical_icc(leaky)))


def test_canonical_form_is_fixed_and_verifiable():
    leaky = icc.leaky(4)
    canon = canonical_icc(leaky)
    assert canonical_icc(canon) == canon and describe_icc(canon) == []
    assert parse_icc(canon).data[84:100] != bytes(16)  # v4: the MD5 of the new profile
    # Any byte of an identifying header field, or a tag added back, is seen by the verifier.
    for pos in (4, 26, 41, 47, 50, 54, 60, 82, 110):
        bad = bytearray(canon)
        bad[pos] ^= 0x41
        assert describe_icc(bytes(bad)), f"a change at header byte {pos} went unseen"
    with_serial = icc.build(icc.colour_tags(4) + [(b"zSer", b"data" + bytes(8) + icc.SERIAL)], version=4)
    assert "1 private tag" in describe_icc(with_serial)
    assert icc.SERIAL not in canonical_icc(with_serial)


def test_hidden_bytes_inside_colour_tags_and_between_tags_are_dropped():
    tags = icc.colour_tags()
    tags[2] = (b"rXYZ", icc.xyz(b"rXYZ") + icc.HIDDEN)  # trailing bytes inside a kept tag
    profile = icc.build(tags)
    assert icc.HIDDEN in profile
    assert "extra bytes in 'rXYZ'" in describe_icc(profile)
    canon = canonical_icc(profile)
    assert icc.HIDDEN not in canon and bodies(canon)[b"rXYZ"] == icc.xyz(b"rXYZ")

    # Bytes no tag points at, between the tag table and the tag data.
    moved = icc.build(icc.colour_tags())
    n = len(icc.entries(moved))
    hidden = bytearray(moved[: 132 + 12 * n]) + icc.HIDDEN + b"\x00" * (-len(icc.HIDDEN) % 4)
    shift = len(hidden) - (132 + 12 * n)
    for i, (sig, off, size) in enumerate(icc.entries(moved)):
        struct.pack_into(">4sII", hidden, 132 + 12 * i, sig, off + shift, size)
    hidden += moved[132 + 12 * n :]
    struct.pack_into(">I", hidden, 0, len(hidden))
    assert any("bytes outside any tag" in p for p in describe_icc(bytes(hidden)))
    assert icc.HIDDEN not in canonical_icc(bytes(hidden))


def test_lookup_tables_beside_a_matrix_are_dropped_and_named():
    mft = icc.lut_only(np.eye(3) * 0.5)
    a2b0 = bodies(mft)[b"A2B0"]
    profile = icc.build(icc.colour_tags() + [(b"A2B0", a2b0)])
    assert "lookup tables (A2B0)" in describe_icc(profile)
    assert a2b0 not in canonical_icc(profile)


# --- the verifier can fail ------------------------------------------------------------------


@pytest.mark.parametrize("suffix", _formats())
def test_verify_clean_rejects_an_output_carrying_a_whole_profile(tmp_path, suffix):
    out = save(tmp_path / f"planted.{suffix}", icc.leaky())
    with pytest.raises(VerificationError, match="ICC profile: .*description"):
        verify_clean(out)


def test_verify_clean_rejects_lcms_own_profile_unreduced(tmp_path):
    """Even a stock profile is not allowed as it came: it names its creator and date."""
    out = save(tmp_path / "stock.jpg", mf.srgb_icc())
    with pytest.raises(VerificationError, match="ICC profile: header"):
        verify_clean(out)


def test_writer_refuses_a_profile_that_is_not_canonical(tmp_path):
    with pytest.raises(PipelineError, match="ICC profile not reduced"):
        write_image(mf.face_like(), tmp_path / "o.png", format="PNG", icc_profile=icc.leaky())
    assert not (tmp_path / "o.png").exists()


def test_jpeg_profile_split_over_app2_segments_is_checked_whole(tmp_path):
    """A profile over 64 KB (a big embedded image) spans several APP2 segments."""
    big = icc.build(icc.colour_tags() + [(b"zBig", b"data" + bytes(8) + np.random.default_rng(1).bytes(150_000) + icc.SERIAL)])
    src = save(tmp_path / "big.jpg", big)
    assert src.read_bytes().count(b"ICC_PROFILE\x00") >= 3
    assert any("1 private tag" in m for m in describe_bytes(src.read_bytes()))
    report = anonymize_image(src, tmp_path / "o.jpg", Settings(threads=1), detector=MagentaDetector())
    data = (tmp_path / "o.jpg").read_bytes()
    assert icc.SERIAL not in data and data.count(b"ICC_PROFILE\x00") == 1
    assert any("private tag" in m for m in report.metadata_removed)


def test_png_profile_name_is_reported_and_replaced(tmp_path):
    src = save(tmp_path / "n.png", canonical_icc(icc.leaky()))
    data = bytearray(src.read_bytes())
    pos = data.index(b"iCCP")
    length = struct.unpack_from(">I", data, pos - 4)[0]
    body = bytes(data[pos + 4 : pos + 4 + length]).replace(b"ICC Profile", b"Jane Doe MBP", 1)
    chunk = struct.pack(">I", len(body)) + b"iCCP" + body + struct.pack(">I", zlib.crc32(b"iCCP" + body))
    renamed = bytes(data[: pos - 4]) + chunk + bytes(data[pos + 8 + length :])
    (tmp_path / "r.png").write_bytes(renamed)
    assert "PNG ICC profile name 'Jane Doe MBP'" in describe_bytes(renamed)
    anonymize_image(tmp_path / "r.png", tmp_path / "o.png", Settings(threads=1), detector=MagentaDetector())
    assert b"Jane Doe" not in (tmp_path / "o.png").read_bytes()


def test_bmp_with_an_embedded_or_linked_profile_is_named():
    header = bytearray(b"BM" + struct.pack("<IHHI", 200, 0, 0, 138) + struct.pack("<I", 124) + bytes(120))
    header[14 + 56 : 14 + 60] = struct.pack("<I", 0x4D424544)  # 'MBED'
    assert "BMP embedded ICC profile" in describe_bytes(bytes(header) + bytes(62), "BMP")


# --- broken profiles: refused cleanly, never kept -------------------------------------------


def _broken() -> dict[str, bytes]:
    good = icc.leaky()
    huge = bytearray(good)
    struct.pack_into(">I", huge, 128, 0x7FFFFFFF)
    table_over = bytearray(good[:300])  # 23 tags fit the limit but not a 300-byte profile
    struct.pack_into(">I", table_over, 0, 300)
    dup = bytearray(good)
    dup[132 + 12 : 136 + 12] = dup[132:136]
    text_trc = icc.build(icc.colour_tags()[:6] + [(b"rTRC", icc.text(icc.SERIAL)), (b"gTRC", icc.gamma_curve()), (b"bTRC", icc.gamma_curve())])
    return {
        "truncated": good[: len(good) // 2],
        "size field disagrees": good + b"\x00" * 8,
        "no acsp": good[:36] + b"xxxx" + good[40:],
        "huge tag count": bytes(huge),
        "tag table past the end": bytes(table_over),
        "offset outside": icc.patch_entry(good, 3, offset=len(good) + 100),
        "size past the end": icc.patch_entry(good, 3, size=len(good)),
        "offset inside the tag table": icc.patch_entry(good, 3, offset=132),
        "overlapping tags": icc.patch_entry(good, 3, offset=icc.entries(good)[2][1] + 4),
        "repeated tag": bytes(dup),
        "curve count absurd": icc.build(icc.colour_tags()[:6] + [(b"rTRC", b"curv" + bytes(4) + struct.pack(">I", 2**31)), (b"gTRC", icc.gamma_curve()), (b"bTRC", icc.gamma_curve())]),
        "colour tag holding text": text_trc,
    }  # fmt: skip


@pytest.mark.parametrize("case", sorted(_broken()))
def test_broken_profiles_are_refused_and_never_written(tmp_path, case):
    profile = _broken()[case]
    with pytest.raises((CorruptInput, UnsupportedFormat)):
        canonical_icc(profile)
    assert describe_icc(profile), "a broken profile must be named"
    src = save(tmp_path / "in.tif", profile)  # TIFF stores the profile bytes as they are
    assert profile_in(src) == profile
    loaded = read_image(src, max_pixels=BIG)
    assert loaded.icc_profile is None
    assert any("ICC profile dropped" in n for n in loaded.notes), loaded.notes
    out = tmp_path / "out.tif"
    report = anonymize_image(src, out, Settings(threads=1), detector=MagentaDetector())
    assert profile_in(out) is None and planted(out.read_bytes()) == []
    assert any(m.startswith("ICC profile") for m in report.metadata_removed)


# --- lookup-table profiles: pixels converted to sRGB, profile dropped -------------------------


def test_lookup_table_profile_converts_the_pixels_and_is_dropped(tmp_path):
    matrix = np.array([[0.4361, 0.3851, 0.1431], [0.2225, 0.7169, 0.0606], [0.0139, 0.0971, 0.7141]])
    lut = icc.lut_only(matrix)
    with pytest.raises(UnsupportedFormat, match="lookup tables"):
        canonical_icc(lut)
    pixels = mf.face_like()
    src = save(tmp_path / "in.png", lut, pixels)
    loaded = read_image(src, max_pixels=BIG)
    assert loaded.icc_profile is None
    assert any("converted to sRGB" in n for n in loaded.notes), loaded.notes
    # The same colours written as a matrix/TRC profile, converted by littleCMS, give the same pixels.
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    matrix_profile = ImageCms.ImageCmsProfile(io.BytesIO(icc.linear_matrix_profile(matrix)))
    expected = np.asarray(ImageCms.profileToProfile(Image.fromarray(pixels), matrix_profile, srgb, outputMode="RGB"))
    assert np.abs(loaded.pixels.astype(int) - expected.astype(int)).max() <= 2
    assert np.abs(loaded.pixels.astype(int) - pixels.astype(int)).max() > 20  # really converted
    out = tmp_path / "out.png"
    report = anonymize_image(src, out, Settings(threads=1), detector=MagentaDetector())
    assert profile_in(out) is None and planted(out.read_bytes()) == []
    assert any("lookup tables (A2B0)" in m for m in report.metadata_removed)
    assert any("converted to sRGB" in w for w in report.warnings)


def test_keep_icc_off_drops_the_colour_tags_too_and_says_so(tmp_path):
    src = save(tmp_path / "in.jpg", icc.leaky())
    report = anonymize_image(src, tmp_path / "o.jpg", Settings(threads=1, keep_icc=False), detector=MagentaDetector())
    assert profile_in(tmp_path / "o.jpg") is None
    assert any("keep_icc is off" in m for m in report.metadata_removed)


def test_bmp_output_says_the_colour_tags_went_too(tmp_path):
    src = save(tmp_path / "in.png", icc.leaky())
    report = anonymize_image(src, tmp_path / "o.bmp", Settings(threads=1), detector=MagentaDetector())
    assert b"acsp" not in (tmp_path / "o.bmp").read_bytes()
    assert any("BMP without one" in m for m in report.metadata_removed)


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool not installed (optional cross-check)")
@pytest.mark.parametrize("suffix", ["jpg", "png", "webp", "tif"])
def test_exiftool_sees_only_the_fixed_profile_text(tmp_path, suffix):
    src = save(tmp_path / f"in.{suffix}", icc.leaky())
    before = subprocess.run(["exiftool", "-a", "-G1", "-s", str(src)], capture_output=True, text=True).stdout
    assert "SECRET-ICC" in before
    anonymize_image(src, tmp_path / f"o.{suffix}", Settings(threads=1), detector=MagentaDetector())
    after = subprocess.run(["exiftool", "-a", "-G1", "-s", str(tmp_path / f"o.{suffix}")], capture_output=True, text=True, check=True).stdout
    assert "SECRET" not in after and "jdoe" not in after.lower() and DESCRIPTION in after


# --- mutated profiles: never a crash, never a planted byte kept -------------------------------


def mutate(profile: bytes, rng: np.random.Generator) -> bytes:
    """One random damage: flipped bytes, a tag-table field overwritten, a cut or a size fix-up."""
    data = bytearray(profile)
    n = len(icc.entries(profile))
    kind = rng.integers(0, 4)
    if kind == 0:
        for pos in rng.integers(0, len(data), rng.integers(1, 8)):
            data[pos] ^= int(rng.integers(1, 256))
    elif kind == 1:  # a tag's signature, offset or size set to another tag's or to a random value
        i, field = int(rng.integers(0, n)), int(rng.integers(0, 3))
        pos = 132 + 12 * i + 4 * field
        other = 132 + 12 * int(rng.integers(0, n)) + 4 * field
        data[pos : pos + 4] = data[other : other + 4] if rng.random() < 0.5 else struct.pack(">I", int(rng.integers(0, 2**32)))
    elif kind == 2:
        data = data[: int(rng.integers(0, len(data)))]
    else:  # the tag count changed, the size field kept right
        struct.pack_into(">I", data, 128, int(rng.integers(0, 2 * n + 2)))
    if rng.random() < 0.5 and len(data) >= 4:
        struct.pack_into(">I", data, 0, len(data))
    return bytes(data)


def test_mutated_profiles_are_refused_or_reduced_never_kept():
    rng = np.random.default_rng(11)
    outcomes = {"reduced": 0, "refused": 0}
    for version in (2, 4):
        leaky = icc.leaky(version)
        for _ in range(400):
            bad = mutate(leaky, rng)
            assert isinstance(describe_icc(bad), list)  # never raises
            try:
                canon = canonical_icc(bad)
            except (CorruptInput, UnsupportedFormat):
                outcomes["refused"] += 1
                continue
            outcomes["reduced"] += 1
            assert describe_icc(canon) == [] and canonical_icc(canon) == canon
            assert planted(canon) == [], "a planted byte survived a mutation"
            assert {t.sig for t in parse_icc(canon).tags} <= {b"desc", b"cprt", *COLOUR}
            ImageCms.ImageCmsProfile(io.BytesIO(canon))  # littleCMS reads every canonical profile
    assert outcomes["reduced"] > 50 and outcomes["refused"] > 50, outcomes  # both paths exercised


@needs_heif
def test_heif_profile_is_found_by_our_own_box_walk(tmp_path):
    """The colr property is read from the boxes, not only from what libheif reports."""
    from unseen.scrub.heif import _structure

    data = save(tmp_path / "p.heic", icc.leaky()).read_bytes()
    assert any(item.startswith("ICC profile: ") and "private tags" in item for item in _structure(data))
    clean = save(tmp_path / "c.heic", canonical_icc(icc.leaky())).read_bytes()
    assert not any(item.startswith("ICC profile") for item in _structure(clean))


# --- video: frames may carry a profile; the output never does ---------------------------------


def test_video_frames_carrying_a_profile_leave_none_in_the_output(tmp_path):
    """PNG frames in MOV each carry the profile (FFmpeg's decoder hands it on as ICC_PROFILE frame
    side data). The writer encodes fresh frames on a fresh stream, so none of it reaches the
    output: no planted byte and no profile at all (a MOV stores one uncompressed, in 'colr' 'prof',
    so its 'acsp' signature would show). A regression guard: this held before the ICC change too."""
    from fractions import Fraction

    import av

    from unseen import anonymize_video

    from .video_factory import static_square

    src = tmp_path / "in.mov"
    leaky = icc.leaky()
    draw = static_square(10, 10, 16)
    with av.open(str(src), "w") as out:
        vs = out.add_stream("png", rate=10)
        vs.width, vs.height, vs.pix_fmt, vs.time_base = 64, 48, "rgb24", Fraction(1, 10)
        for i in range(10):
            buf = io.BytesIO()
            Image.fromarray(draw(i, i / 10, 64, 48)).save(buf, "PNG", icc_profile=leaky)
            packet = av.Packet(buf.getvalue())
            packet.stream, packet.time_base, packet.pts, packet.dts, packet.duration = vs, Fraction(1, 10), i, i, 1
            packet.is_keyframe = True
            out.mux(packet)
    with av.open(str(src)) as c:
        frames = [bytes(p) for p in c.demux(c.streams.video[0]) if p.size]
    assert len(frames) == 10 and all(profile_in(io.BytesIO(f)) == leaky for f in frames)  # each carries it whole
    anonymize_video(src, tmp_path / "out.mov", Settings(threads=1), detector=MagentaDetector())
    data = (tmp_path / "out.mov").read_bytes()
    assert planted(data) == [] and b"acsp" not in data
