"""Metadata: every kind is named on the way in, gone on the way out, and caught if it is left."""

from __future__ import annotations

import os
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from unseen.errors import UnsupportedFormat, VerificationError
from unseen.media.image_io import heif_available, read_image, write_image
from unseen.scrub.exif import describe_exif
from unseen.scrub.icc import canonical_icc
from unseen.scrub.image import describe_metadata, verify_clean

from . import media_factory as mf

BIG = 10**8


def pil(path):
    """Open, decode and close (tests must not leak file handles)."""
    with Image.open(path) as im:
        im.load()
    return im
needs_heif = pytest.mark.skipif(not heif_available(), reason="pillow-heif not installed")

EXIF_ITEMS = {
    "EXIF GPS position",
    "EXIF camera serial number",
    "EXIF lens serial number",
    "EXIF camera owner name",
    "EXIF maker note",
    "EXIF thumbnail",
    "EXIF camera make and model",
    "EXIF date and time",
}


def full_jpeg(tmp_path):
    px = mf.face_like()
    return mf.jpeg(tmp_path / "cam.jpg", px, exif=mf.full_exif(px), xmp=True, iptc=True, comment=True, icc=True,
                   photoshop_thumb=True, trailer=b"SECRET-motion-photo-video")  # fmt: skip


def full_png(tmp_path):
    px = mf.face_like()
    return mf.png(tmp_path / "shot.png", px, text=True, ztxt=True, itxt=True, xmp=True, exif=mf.full_exif(px),
                  time_chunk=True, icc=True)  # fmt: skip


def full_webp(tmp_path):
    px = mf.face_like()
    return mf.webp(tmp_path / "shot.webp", px, exif=mf.full_exif(px), xmp=True, icc=True)


def full_tiff(tmp_path):
    return mf.tiff(tmp_path / "scan.tif", tags=True, exif=True, icc=True)


def full_heic(tmp_path):
    px = mf.face_like()
    return mf.heic(tmp_path / "phone.heic", px, exif=mf.full_exif(px), xmp=True, thumbnail=True)


def full_bmp(tmp_path):
    return mf.bmp(tmp_path / "old.bmp", trailer=b"SECRET-appended")


FULL = {
    "jpeg": (full_jpeg, EXIF_ITEMS | {"XMP", "IPTC", "JPEG comment", "Photoshop thumbnail"}),
    "png": (full_png, EXIF_ITEMS | {"XMP", "PNG text 'Author'", "PNG text 'Comment'", "PNG text 'Description'",
                                    "PNG modification time"}),
    "webp": (full_webp, EXIF_ITEMS | {"XMP"}),
    "tiff": (full_tiff, {"TIFF image description", "TIFF camera make and model", "TIFF artist", "TIFF copyright",
                         "TIFF software", "TIFF tag XMP (700)", "TIFF tag IptcNaaInfo (33723)", "EXIF GPS position",
                         "EXIF camera serial number", "EXIF lens serial number", "EXIF camera owner name"}),
    "heic": (full_heic, EXIF_ITEMS | {"XMP", "HEIF thumbnail"}),
    "bmp": (full_bmp, {"data after the end of the BMP image (15 bytes)"}),
}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(FULL))
def test_everything_named_then_gone(tmp_path, kind):
    if kind == "heic" and not heif_available():
        pytest.skip("pillow-heif not installed")
    build, expected = FULL[kind]
    src = build(tmp_path)
    loaded = read_image(src, max_pixels=BIG)
    missing = expected - set(loaded.metadata)
    assert not missing, f"not reported as removed: {missing}; reported {loaded.metadata}"
    out = tmp_path / f"out{src.suffix}"
    write_image(loaded.pixels, out, format=loaded.format, icc_profile=loaded.icc_profile, save_options=loaded.save_options)
    verify_clean(out, expected_size=(loaded.pixels.shape[1], loaded.pixels.shape[0]))
    assert describe_metadata(out) == []
    data = out.read_bytes()
    for marker in mf.MARKERS:
        assert marker not in data, f"{marker!r} survived in the output"


def test_exif_thumbnail_showing_the_face_is_gone(tmp_path):
    px = mf.face_like()
    thumb = mf.thumbnail_jpeg(px)
    src = mf.jpeg(tmp_path / "t.jpg", px, exif=mf.build_exif(thumbnail=thumb))
    assert thumb in src.read_bytes()
    loaded = read_image(src, max_pixels=BIG)
    assert "EXIF thumbnail" in loaded.metadata
    write_image(loaded.pixels, tmp_path / "o.jpg", format="JPEG", icc_profile=None, save_options=loaded.save_options)
    out = (tmp_path / "o.jpg").read_bytes()
    assert thumb not in out and out.count(b"\xff\xd8") == 1  # one image, no embedded JPEG
    verify_clean(tmp_path / "o.jpg")


def test_icc_profile_is_the_only_extra_kept(tmp_path):
    src = full_jpeg(tmp_path)
    loaded = read_image(src, max_pixels=BIG)
    write_image(loaded.pixels, tmp_path / "o.jpg", format="JPEG", icc_profile=loaded.icc_profile)
    verify_clean(tmp_path / "o.jpg")
    assert pil(tmp_path / "o.jpg").info["icc_profile"] == canonical_icc(mf.srgb_icc())  # its colour tags only


def test_cross_format_output_is_clean(tmp_path):
    loaded = read_image(full_jpeg(tmp_path), max_pixels=BIG)
    for fmt, name in (("PNG", "o.png"), ("WEBP", "o.webp"), ("TIFF", "o.tif"), ("BMP", "o.bmp")):
        write_image(loaded.pixels, tmp_path / name, format=fmt, icc_profile=loaded.icc_profile)
        verify_clean(tmp_path / name, expected_size=(128, 96))


# --- verify_clean catches every leftover ----------------------------------------------------

LEFTOVERS = {
    "jpeg GPS": (lambda p: mf.jpeg(p / "a.jpg", exif=mf.build_exif(gps=True)), "GPS"),
    "jpeg serials": (lambda p: mf.jpeg(p / "a.jpg", exif=mf.build_exif(serials=True)), "serial number"),
    "jpeg owner": (lambda p: mf.jpeg(p / "a.jpg", exif=mf.build_exif(owner=True)), "owner"),
    "jpeg maker note": (lambda p: mf.jpeg(p / "a.jpg", exif=mf.build_exif(maker_note=True)), "maker note"),
    "jpeg thumbnail": (lambda p: mf.jpeg(p / "a.jpg", exif=mf.build_exif(thumbnail=mf.thumbnail_jpeg(mf.face_like()))), "thumbnail"),
    "jpeg orientation only": (lambda p: mf.jpeg(p / "a.jpg", exif=mf.build_exif(orientation=1)), "EXIF"),
    "jpeg empty exif": (lambda p: mf.jpeg(p / "a.jpg", exif=b"II*\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00"), "EXIF"),
    "jpeg xmp": (lambda p: mf.jpeg(p / "a.jpg", xmp=True), "XMP"),
    "jpeg iptc": (lambda p: mf.jpeg(p / "a.jpg", iptc=True), "IPTC"),
    "jpeg comment": (lambda p: mf.jpeg(p / "a.jpg", comment=True), "JPEG comment"),
    "jpeg trailer": (lambda p: mf.jpeg(p / "a.jpg", trailer=b"ftypmp42 video"), "after the end"),
    "mpo": (lambda p: mf.mpo(p / "a.jpg"), "MPO"),
    "png tEXt": (lambda p: mf.png(p / "a.png", text=True), "PNG text 'Author'"),
    "png zTXt": (lambda p: mf.png(p / "a.png", ztxt=True), "PNG text 'Comment'"),
    "png iTXt": (lambda p: mf.png(p / "a.png", itxt=True), "PNG text 'Description'"),
    "png xmp": (lambda p: mf.png(p / "a.png", xmp=True), "XMP"),
    "png eXIf": (lambda p: mf.png(p / "a.png", exif=mf.build_exif(gps=True)), "GPS"),
    "png tIME": (lambda p: mf.png(p / "a.png", time_chunk=True), "modification time"),
    "webp exif": (lambda p: mf.webp(p / "a.webp", exif=mf.build_exif(serials=True)), "serial"),
    "webp xmp": (lambda p: mf.webp(p / "a.webp", xmp=True), "XMP"),
    "tiff tags": (lambda p: mf.tiff(p / "a.tif", tags=True), "TIFF artist"),
    "tiff exif": (lambda p: mf.tiff(p / "a.tif", exif=True), "GPS"),
    "tiff orientation": (lambda p: mf.tiff(p / "a.tif", orientation=6), "orientation"),
    "tiff pages": (lambda p: mf.multi_page_tiff(p / "a.tif"), "second image"),
    "bmp trailer": (lambda p: mf.bmp(p / "a.bmp", trailer=b"xyz"), "after the end"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(LEFTOVERS))
def test_verify_clean_raises_on_leftover(tmp_path, case):
    build, expect = LEFTOVERS[case]
    path = build(tmp_path)
    with pytest.raises(VerificationError, match="metadata left in output") as info:
        verify_clean(path)
    assert expect in str(info.value) and info.value.path == str(path)


@needs_heif
@pytest.mark.parametrize(
    "kw,expect",
    [({"exif": mf.build_exif(gps=True)}, "GPS"), ({"xmp": True}, "XMP"), ({"thumbnail": True}, "HEIF thumbnail")],
)
def test_verify_clean_raises_on_heif_leftover(tmp_path, kw, expect):
    path = mf.heic(tmp_path / "a.heic", **kw)
    with pytest.raises(VerificationError, match=expect):
        verify_clean(path)


def test_verify_clean_checks_size(tmp_path):
    write_image(mf.face_like(10, 20), tmp_path / "o.png", format="PNG", icc_profile=None)
    verify_clean(tmp_path / "o.png", expected_size=(20, 10))
    with pytest.raises(VerificationError, match="20x10 pixels, expected 10x20"):
        verify_clean(tmp_path / "o.png", expected_size=(10, 20))


@pytest.mark.parametrize("name", ["o.jpg", "o.png", "o.webp"])
def test_verify_clean_rejects_truncated_output(tmp_path, name):
    write_image(mf.face_like(64, 64), tmp_path / name, format=name.split(".")[1].upper().replace("JPG", "JPEG"),
                icc_profile=None)  # fmt: skip
    data = (tmp_path / name).read_bytes()
    (tmp_path / name).write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(VerificationError):
        verify_clean(tmp_path / name)


def test_verify_clean_rejects_non_image_and_missing(tmp_path):
    (tmp_path / "x.jpg").write_text("not an image")
    with pytest.raises(VerificationError, match="not a readable image"):
        verify_clean(tmp_path / "x.jpg")
    with pytest.raises(VerificationError, match="cannot re-open"):
        verify_clean(tmp_path / "missing.jpg")


def test_verify_clean_rejects_corrupt_pixels_behind_clean_structure(tmp_path):
    write_image(mf.face_like(64, 64), tmp_path / "o.png", format="PNG", icc_profile=None)
    data = bytearray((tmp_path / "o.png").read_bytes())
    data[data.index(b"IDAT") + 30] ^= 0xFF  # chunk layout intact, CRC and data wrong
    (tmp_path / "o.png").write_bytes(bytes(data))
    with pytest.raises(VerificationError, match="does not decode"):
        verify_clean(tmp_path / "o.png")


# --- describe ------------------------------------------------------------------------------


def test_describe_clean_files_is_empty(tmp_path):
    for name in ("a.jpg", "a.png", "a.webp", "a.tif", "a.bmp"):
        Image.fromarray(mf.face_like(16, 16)).save(tmp_path / name)
        assert describe_metadata(tmp_path / name) == [], name


def test_describe_unknown_format(tmp_path):
    (tmp_path / "a.txt").write_text("hello")
    with pytest.raises(UnsupportedFormat):
        describe_metadata(tmp_path / "a.txt")


def test_describe_exif_on_hostile_blocks():
    # Loops, offsets past the end and absurd counts are named, never crash or hang.
    loop = b"II*\x00\x08\x00\x00\x00\x01\x00\x69\x87\x04\x00\x01\x00\x00\x00\x08\x00\x00\x00\x08\x00\x00\x00"
    assert describe_exif(loop)
    assert describe_exif(b"II*\x00\xff\xff\xff\x00")
    assert describe_exif(b"II*\x00\x08\x00\x00\x00\xff\xff")
    assert describe_exif(b"garbage")
    big_endian = b"MM\x00*\x00\x00\x00\x08\x00\x01\xa4\x31\x00\x02\x00\x00\x00\x02X\x00\x00\x00\x00\x00\x00"
    # (tag in IFD0 here, so it is counted, not named as the Exif-IFD serial)
    assert describe_exif(big_endian) == ["EXIF (1 other tag)"]


def test_describe_photoshop_and_jfif_thumbnails(tmp_path):
    src = mf.jpeg(tmp_path / "p.jpg", photoshop_thumb=True)
    assert "Photoshop thumbnail" in describe_metadata(src)
    data = bytearray(mf.jpeg(tmp_path / "j.jpg").read_bytes())
    # JFIF APP0 with a declared 1x1 thumbnail (3 bytes of RGB) in place of the plain one.
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x01\x01" + b"\x10\x20\x30"
    seg = b"\xff\xe0" + (len(app0) + 2).to_bytes(2, "big") + app0
    old_len = int.from_bytes(data[4:6], "big")
    data[2 : 4 + old_len] = seg
    (tmp_path / "j.jpg").write_bytes(bytes(data))
    assert "JFIF thumbnail" in describe_metadata(tmp_path / "j.jpg")


# --- independent cross-check ---------------------------------------------------------------


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool not installed (optional cross-check)")
@pytest.mark.parametrize("kind", ["jpeg", "png", "webp", "tiff"])
def test_exiftool_sees_nothing_in_output(tmp_path, kind):
    build, _ = FULL[kind]
    src = build(tmp_path)
    loaded = read_image(src, max_pixels=BIG)
    out = tmp_path / f"out{src.suffix}"
    write_image(loaded.pixels, out, format=loaded.format, icc_profile=loaded.icc_profile, save_options=loaded.save_options)
    before = subprocess.run(["exiftool", "-G1", "-a", "-s", str(src)], capture_output=True, text=True, check=True).stdout
    after = subprocess.run(["exiftool", "-G1", "-a", "-s", str(out)], capture_output=True, text=True, check=True).stdout
    assert "SerialNumber" in before or "Artist" in before
    seen = [(line[1:].split("]", 1)[0], line.split("]", 1)[1].split(":", 1)[0].strip()) for line in after.splitlines()]
    groups = {g for g, _ in seen}
    forbidden = groups & {"IFD0", "IFD1", "ExifIFD", "GPS", "XMP-dc", "XMP-x", "IPTC", "Photoshop", "MakerNotes",
                          "PNG-tEXt", "PNG-zTXt", "PNG-iTXt", "PNG-tIME", "Comment"}  # fmt: skip
    if kind == "tiff":  # a TIFF's IFD0 is where its pixel layout lives
        forbidden.discard("IFD0")
        ifd0 = {t for g, t in seen if g == "IFD0"}
        assert ifd0 <= TIFF_LAYOUT, ifd0 - TIFF_LAYOUT
    assert not forbidden, after
    assert "SECRET" not in after


TIFF_LAYOUT = {"ImageWidth", "ImageHeight", "BitsPerSample", "Compression", "PhotometricInterpretation",
               "StripOffsets", "SamplesPerPixel", "RowsPerStrip", "StripByteCounts", "PlanarConfiguration",
               "XResolution", "YResolution", "ResolutionUnit", "Predictor"}  # fmt: skip


def test_exif_orientation_reader_both_byte_orders():
    from unseen.scrub.exif import exif_orientation

    assert exif_orientation(mf.build_exif(orientation=6)) == 6
    be = b"MM\x00*\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x08\x00\x00\x00\x00\x00\x00"
    assert exif_orientation(be) == 8
    assert exif_orientation(b"Exif\x00\x00" + be) == 8
    assert exif_orientation(mf.build_exif(orientation=9)) == 1
    assert exif_orientation(b"junk") == 1


# --- HEIF ----------------------------------------------------------------------------------


@needs_heif
def test_heif_own_box_walk_finds_exif_xmp_thumbnail(tmp_path):
    from unseen.scrub.heif import _structure

    data = mf.heic(tmp_path / "a.heic", exif=mf.build_exif(gps=True), xmp=True, thumbnail=True).read_bytes()
    found = _structure(data)
    assert {"HEIF EXIF item", "XMP", "HEIF thumbnail"} <= set(found)
    assert _structure(mf.heic(tmp_path / "b.heic").read_bytes()) == []


@needs_heif
def test_heif_rgba_roundtrip_is_clean(tmp_path):
    rgba = np.dstack([mf.face_like(), np.full((96, 128), 100, np.uint8)])
    write_image(rgba, tmp_path / "a.heic", format="HEIF", icc_profile=canonical_icc(mf.srgb_icc()))
    verify_clean(tmp_path / "a.heic", expected_size=(128, 96))  # the alpha plane is not "metadata"
    loaded = read_image(tmp_path / "a.heic", max_pixels=BIG)
    assert loaded.pixels.shape == (96, 128, 4) and abs(int(loaded.pixels[..., 3].mean()) - 100) <= 1


@needs_heif
def test_heif_truncated_output_rejected(tmp_path):
    write_image(mf.face_like(), tmp_path / "a.heic", format="HEIF", icc_profile=None)
    data = (tmp_path / "a.heic").read_bytes()
    (tmp_path / "a.heic").write_bytes(data[: len(data) - 200])
    with pytest.raises(VerificationError):
        verify_clean(tmp_path / "a.heic")


def test_malformed_icc_profile_is_not_kept(tmp_path):
    bad = b"\x00\x00\x00\x10" + b"not a profile"
    Image.fromarray(mf.face_like(8, 8)).save(tmp_path / "a.png", icc_profile=bad)
    loaded = read_image(tmp_path / "a.png", max_pixels=BIG)
    assert loaded.icc_profile is None and any("ICC" in n for n in loaded.notes)


# --- mutated inputs: read cleanly or fail with a typed error, never anything else ------------


SEEDS = int(os.environ.get("UNSEEN_FUZZ_SEEDS", "24"))  # more: UNSEEN_FUZZ_SEEDS=400 (~30 s)


def _mutate(data: bytes, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    b = bytearray(data)
    op = seed % 4
    if op == 0:  # truncate
        return bytes(b[: int(rng.integers(1, len(b)))])
    if op == 1:  # flip bytes
        for i in rng.integers(0, len(b), 1 + seed % 7):
            b[int(i)] ^= int(rng.integers(1, 256))
        return bytes(b)
    if op == 2:  # insert junk
        i = int(rng.integers(0, len(b)))
        return bytes(b[:i] + rng.integers(0, 256, 1 + seed % 40, dtype=np.uint8).tobytes() + b[i:])
    i, n = int(rng.integers(0, len(b))), 1 + seed % 64  # zero a run (lengths, offsets)
    b[i : i + n] = bytes(len(b[i : i + n]))
    return bytes(b)


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow warns about the broken tags it skips
@pytest.mark.parametrize("kind", ["jpeg", "png", "webp", "tiff", "heic", "bmp"])
def test_mutated_inputs_fail_closed_and_any_output_is_clean(tmp_path, kind):
    from unseen.errors import InputError
    from unseen.scrub.image import describe_bytes

    if kind == "heic" and not heif_available():
        pytest.skip("pillow-heif not installed")
    original = FULL[kind][0](tmp_path).read_bytes()
    for seed in range(SEEDS):
        data = _mutate(original, seed)
        try:
            describe_bytes(data)
        except UnsupportedFormat:
            pass
        src = tmp_path / f"m{seed}.img"
        src.write_bytes(data)
        try:
            loaded = read_image(src, max_pixels=10**6)
        except InputError as err:
            assert err.path == str(src) and "\n" not in str(err)
            continue
        out = tmp_path / f"o{seed}.img"
        write_image(loaded.pixels, out, format=loaded.format, icc_profile=loaded.icc_profile,
                    save_options=loaded.save_options)  # fmt: skip
        verify_clean(out, expected_size=(loaded.pixels.shape[1], loaded.pixels.shape[0]))


# --- real photos ---------------------------------------------------------------------------


def test_real_photos_with_metadata_come_out_clean(tmp_path):
    from .conftest import shared_data

    folder = shared_data("identities_dev")
    photos = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    carrying = [p for p in photos if describe_metadata(p)][:10]
    assert carrying, "expected some real photos with EXIF/XMP/IPTC"
    for src in carrying:
        loaded = read_image(src, max_pixels=BIG)
        assert loaded.metadata
        out = tmp_path / f"{src.stem}.out{src.suffix}"
        fmt = "JPEG" if src.suffix.lower() in (".jpg", ".jpeg") else "PNG"
        write_image(loaded.pixels, out, format=fmt, icc_profile=loaded.icc_profile,
                    save_options=loaded.save_options if fmt == loaded.format else None)  # fmt: skip
        verify_clean(out, expected_size=(loaded.pixels.shape[1], loaded.pixels.shape[0]))


def test_verify_is_not_limited_by_pillows_bomb_constant(tmp_path, monkeypatch):
    write_image(mf.face_like(40, 60), tmp_path / "o.png", format="PNG", icc_profile=None)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # as if the output were a 200 MP photo
    verify_clean(tmp_path / "o.png", expected_size=(60, 40))
