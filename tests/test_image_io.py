"""Reading and writing photos: pixels, orientation, modes, formats, and every way an input fails."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest
from PIL import Image, ImageFile, ImageOps

from unseen.errors import (
    CorruptInput,
    InputError,
    InputNotFound,
    LimitExceeded,
    OutputNotWritable,
    PipelineError,
    UnsupportedFormat,
)
from unseen.media.image_io import (
    flatten_alpha,
    format_for_path,
    heif_available,
    read_image,
    write_image,
)

from . import media_factory as mf

BIG = 10**8


def pil(path):
    """Open, decode and close (tests must not leak file handles)."""
    with Image.open(path) as im:
        im.load()
    return im


def roundtrip(src, dst, **kw):
    loaded = read_image(src, max_pixels=BIG)
    write_image(loaded.pixels, dst, format=kw.get("format", loaded.format), icc_profile=loaded.icc_profile,
                save_options=kw.get("save_options", loaded.save_options))  # fmt: skip
    return loaded


# --- formats --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "suffix,fmt,lossless",
    [(".png", "PNG", True), (".tif", "TIFF", True), (".bmp", "BMP", True), (".jpg", "JPEG", False),
     (".webp", "WEBP", False), (".heic", "HEIF", False)],
)  # fmt: skip
def test_roundtrip_keeps_format_size_and_pixels(tmp_path, suffix, fmt, lossless):
    if fmt == "HEIF" and not heif_available():
        pytest.skip("pillow-heif not installed")
    px = mf.face_like(50, 70)
    src = tmp_path / f"in{suffix}"
    Image.fromarray(px).save(src)
    loaded = roundtrip(src, tmp_path / f"out{suffix}")
    assert loaded.format == fmt
    assert loaded.pixels.shape == (50, 70, 3) and loaded.pixels.dtype == np.uint8
    out = pil(tmp_path / f"out{suffix}")
    assert out.format == fmt and out.size == (70, 50)
    back = np.asarray(out.convert("RGB")).astype(int)
    if lossless:
        assert np.array_equal(back, px)
    else:
        assert np.abs(back - px.astype(int)).mean() < 4


def test_format_for_path():
    assert format_for_path(mf.Path("a.JPG")) == "JPEG"
    assert format_for_path(mf.Path("a.jpeg")) == "JPEG"
    assert format_for_path(mf.Path("a.tif")) == "TIFF"
    assert format_for_path(mf.Path("a.webp")) == "WEBP"
    assert format_for_path(mf.Path("a.gif")) is None
    assert format_for_path(mf.Path("a")) is None
    assert format_for_path(mf.Path("a.heic")) == ("HEIF" if heif_available() else None)


def test_cross_format_png_to_jpeg(tmp_path):
    src = mf.png(tmp_path / "in.png")
    loaded = read_image(src, max_pixels=BIG)
    write_image(loaded.pixels, tmp_path / "out.jpg", format="JPEG", icc_profile=None, save_options=None)
    assert pil(tmp_path / "out.jpg").format == "JPEG"


def test_default_quality_when_no_options_come_from_the_input(tmp_path):
    write_image(mf.face_like(), tmp_path / "o.jpg", format="JPEG", icc_profile=None, save_options=None)
    assert pil(tmp_path / "o.jpg").quantization[0][0] <= 3  # quality 95 (Pillow's default 75 gives 8)


def test_mpo_reads_as_jpeg_primary_image(tmp_path):
    loaded = read_image(mf.mpo(tmp_path / "stereo.jpg"), max_pixels=BIG)
    assert loaded.format == "JPEG"
    assert any("MPO" in m for m in loaded.metadata)


# --- save options ---------------------------------------------------------------------------


def test_jpeg_options_quality_and_subsampling(tmp_path):
    from PIL import JpegImagePlugin

    for sub in (0, 2):
        src = mf.jpeg(tmp_path / f"s{sub}.jpg", subsampling=sub, progressive=sub == 0)
        loaded = roundtrip(src, tmp_path / f"o{sub}.jpg")
        assert loaded.save_options["quality"] == 95
        assert loaded.save_options["subsampling"] == sub
        out = pil(tmp_path / f"o{sub}.jpg")
        assert JpegImagePlugin.get_sampling(out) == sub
        assert bool(out.info.get("progressive")) == (sub == 0)


def test_webp_lossless_stays_lossless(tmp_path):
    px = mf.face_like(40, 40)
    loaded = roundtrip(mf.webp(tmp_path / "l.webp", px, lossless=True), tmp_path / "o.webp")
    assert loaded.save_options.get("lossless") is True
    assert np.array_equal(np.asarray(pil(tmp_path / "o.webp").convert("RGB")), px)
    assert not read_image(mf.webp(tmp_path / "y.webp", px), max_pixels=BIG).save_options.get("lossless")


@pytest.mark.parametrize("compression", ["raw", "tiff_lzw", "tiff_adobe_deflate", "packbits", "jpeg"])
def test_tiff_keeps_compression_and_stays_clean(tmp_path, compression):
    from unseen.scrub.image import verify_clean

    src = mf.tiff(tmp_path / "c.tif", tags=True, compression=compression)
    loaded = roundtrip(src, tmp_path / "o.tif")
    assert loaded.save_options["compression"] == compression
    assert pil(tmp_path / "o.tif").info["compression"] == compression
    verify_clean(tmp_path / "o.tif", expected_size=(128, 96))


@pytest.mark.parametrize("key", ["exif", "comment", "pnginfo", "xmp", "icc_profile", "tiffinfo"])
def test_write_refuses_metadata_save_options(tmp_path, key):
    fmt = "PNG" if key in ("pnginfo",) else "TIFF" if key == "tiffinfo" else "JPEG"
    with pytest.raises(PipelineError, match=key):
        write_image(mf.face_like(8, 8), tmp_path / "o.img", format=fmt, icc_profile=None, save_options={key: b"x"})
    assert not (tmp_path / "o.img").exists()


# --- orientation ----------------------------------------------------------------------------


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_applied_png(tmp_path, orientation):
    display = mf.asymmetric(4, 6)
    stored = mf.with_orientation(display, orientation)
    src = mf.png(tmp_path / "o.png", stored, exif=mf.build_exif(orientation=orientation))
    loaded = read_image(src, max_pixels=BIG)
    assert np.array_equal(loaded.pixels, display)
    # Agrees with Pillow's own reading of the tag.
    assert np.array_equal(np.asarray(ImageOps.exif_transpose(pil(src)).convert("RGB")), display)
    if orientation != 1:
        assert "EXIF orientation" in loaded.metadata
        assert f"EXIF orientation {orientation} applied to the pixels" in loaded.notes
    else:
        assert not loaded.notes


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_exif_orientation_applied_jpeg_and_tiff(tmp_path, orientation):
    display = np.kron(mf.asymmetric(2, 3), np.ones((16, 16, 1), np.uint8))  # blocks survive JPEG
    stored = mf.with_orientation(display, orientation)
    jpg = mf.jpeg(tmp_path / "o.jpg", stored, exif=mf.build_exif(orientation=orientation), quality=98, subsampling=0)
    got = read_image(jpg, max_pixels=BIG).pixels
    assert got.shape == display.shape
    assert np.abs(got.astype(int) - display).mean() < 6
    tif = mf.tiff(tmp_path / "o.tif", stored, orientation=orientation)
    assert np.array_equal(read_image(tif, max_pixels=BIG).pixels, display)


@pytest.mark.skipif(not heif_available(), reason="pillow-heif not installed")
@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_heif_rotation_applied_once(tmp_path, orientation):
    # pillow-heif stores the EXIF orientation as the container's rotation (irot/imir), which
    # libheif applies on decoding; the EXIF tag must then not be applied a second time.
    display = np.kron(mf.asymmetric(2, 3), np.ones((32, 32, 1), np.uint8))
    src = mf.heic(tmp_path / "o.heic", mf.with_orientation(display, orientation), exif=mf.build_exif(orientation=orientation))
    got = read_image(src, max_pixels=BIG).pixels
    assert got.shape == display.shape and np.abs(got.astype(int) - display).mean() < 4


def test_output_has_no_orientation_so_it_is_not_applied_twice(tmp_path):
    display = mf.asymmetric(4, 6)
    src = mf.jpeg(tmp_path / "o.jpg", mf.with_orientation(display, 6), exif=mf.build_exif(orientation=6))
    roundtrip(src, tmp_path / "out.jpg")
    reread = read_image(tmp_path / "out.jpg", max_pixels=BIG)
    assert reread.pixels.shape == display.shape and reread.metadata == []


# --- modes ----------------------------------------------------------------------------------


def test_rgba_alpha_kept_png_and_webp(tmp_path):
    px = mf.face_like(20, 30)
    rgba = np.dstack([px, np.tile(np.arange(30, dtype=np.uint8) * 8, (20, 1))])
    for name in ("a.png", "a.webp"):
        src = tmp_path / name
        Image.fromarray(rgba, "RGBA").save(src, lossless=True) if name.endswith("webp") else Image.fromarray(rgba, "RGBA").save(src)
        loaded = roundtrip(src, tmp_path / f"out-{name}")
        assert loaded.pixels.shape == (20, 30, 4)
        out = np.asarray(pil(tmp_path / f"out-{name}"))
        assert out.shape == (20, 30, 4) and np.array_equal(out[..., 3], rgba[..., 3])


def test_alpha_flattened_onto_white_for_jpeg_and_bmp(tmp_path):
    rgba = np.zeros((16, 16, 4), np.uint8)
    rgba[:, :8] = (0, 0, 0, 255)  # opaque black: a covered region stays black
    rgba[:, 8:] = (0, 0, 0, 0)  # fully transparent: becomes white, whatever RGB hid there
    flat = flatten_alpha(rgba)
    assert (flat[:, :8] == 0).all() and (flat[:, 8:] == 255).all()
    for fmt, name in (("JPEG", "f.jpg"), ("BMP", "f.bmp")):
        write_image(rgba, tmp_path / name, format=fmt, icc_profile=None)
        out = np.asarray(pil(tmp_path / name).convert("RGB")).astype(int)
        assert out.shape == (16, 16, 3)
        assert out[:, :6].mean() < 10 and out[:, 10:].mean() > 245


def test_half_transparent_pixel_is_composited(tmp_path):
    rgba = np.array([[[200, 100, 0, 128]]], np.uint8)
    assert flatten_alpha(rgba)[0, 0].tolist() == [227, 177, 127]


def test_palette_with_transparency_becomes_rgba(tmp_path):
    pal = Image.fromarray(mf.face_like(20, 20)).quantize(16)
    pal.info["transparency"] = 0
    pal.save(tmp_path / "p.png", transparency=0)
    loaded = read_image(tmp_path / "p.png", max_pixels=BIG)
    assert loaded.pixels.shape == (20, 20, 4)
    idx = np.asarray(pil(tmp_path / "p.png"))
    assert (loaded.pixels[..., 3][idx == 0] == 0).all() and (loaded.pixels[..., 3][idx != 0] == 255).all()
    plain = Image.fromarray(mf.face_like(20, 20)).quantize(16)
    plain.save(tmp_path / "q.png")
    assert read_image(tmp_path / "q.png", max_pixels=BIG).pixels.shape == (20, 20, 3)


def test_greyscale_stays_greyscale_when_still_grey(tmp_path):
    grey = mf.face_like(20, 30)[..., 0]
    for name in ("g.png", "g.jpg", "g.tif"):
        Image.fromarray(grey, "L").save(tmp_path / name)
        loaded = roundtrip(tmp_path / name, tmp_path / f"out-{name}")
        assert loaded.pixels.shape == (20, 30, 3) and loaded.save_options.get("grayscale") is True
        assert pil(tmp_path / f"out-{name}").mode == "L"
    # A coloured cover on a grey photo keeps its colour: written as RGB.
    loaded = read_image(tmp_path / "g.png", max_pixels=BIG)
    px = loaded.pixels.copy()
    px[:5, :5] = (255, 0, 0)
    write_image(px, tmp_path / "c.png", format="PNG", icc_profile=None, save_options=loaded.save_options)
    assert pil(tmp_path / "c.png").mode == "RGB"


def test_greyscale_with_alpha(tmp_path):
    la = np.dstack([mf.face_like(10, 10)[..., 0], np.full((10, 10), 77, np.uint8)])
    Image.fromarray(la, "LA").save(tmp_path / "la.png")
    loaded = roundtrip(tmp_path / "la.png", tmp_path / "out.png")
    assert loaded.pixels.shape == (10, 10, 4) and (loaded.pixels[..., 3] == 77).all()
    assert pil(tmp_path / "out.png").mode == "LA"


def test_16bit_greyscale_scaled_not_clipped(tmp_path):
    ramp = np.linspace(0, 65535, 64).astype(np.uint16).reshape(8, 8)
    src = mf.png_raw(tmp_path / "g16.png", ramp, color_type=0, bit_depth=16)
    loaded = read_image(src, max_pixels=BIG)
    assert loaded.pixels.dtype == np.uint8 and loaded.pixels.shape == (8, 8, 3)
    expect = np.round(ramp / 257).astype(int)
    assert np.abs(loaded.pixels[..., 0].astype(int) - expect).max() <= 1
    assert loaded.pixels[..., 0].max() == 255 and loaded.pixels[..., 0].min() == 0
    assert any("16-bit" in n for n in loaded.notes)
    tif = mf.tiff(tmp_path / "g16.tif", ramp)
    assert np.abs(read_image(tif, max_pixels=BIG).pixels[..., 0].astype(int) - expect).max() <= 1


def test_16bit_rgb_png(tmp_path):
    rgb16 = np.zeros((4, 4, 3), np.uint16)
    rgb16[..., 0] = 65535
    rgb16[..., 1] = 32896  # 128 * 257
    src = mf.png_raw(tmp_path / "c16.png", rgb16, color_type=2, bit_depth=16)
    loaded = read_image(src, max_pixels=BIG)
    px = loaded.pixels
    assert px.shape == (4, 4, 3)
    assert (px[..., 0] == 255).all() and (np.abs(px[..., 1].astype(int) - 128) <= 1).all() and (px[..., 2] == 0).all()
    assert "16-bit samples reduced to 8 bits" in loaded.notes


def test_16bit_rgb_and_rgba_tiff(tmp_path):
    rgb16 = np.zeros((4, 4, 3), np.uint16)
    rgb16[..., 0] = 65535
    rgb16[..., 1] = 32896
    loaded = read_image(mf.tiff16(tmp_path / "c16.tif", rgb16), max_pixels=BIG)
    assert loaded.pixels[0, 0].tolist() == [255, 128, 0] and "16-bit samples reduced to 8 bits" in loaded.notes
    rgba16 = np.dstack([rgb16, np.full((4, 4), 32896, np.uint16)])
    loaded = read_image(mf.tiff16(tmp_path / "a16.tif", rgba16), max_pixels=BIG)
    assert loaded.pixels.shape == (4, 4, 4) and loaded.pixels[0, 0].tolist() == [255, 128, 0, 128]


@pytest.mark.parametrize("name", ["c.jpg", "c.tif"])
def test_cmyk_converted_to_rgb(tmp_path, name):
    Image.new("CMYK", (16, 16), (0, 255, 0, 0)).save(tmp_path / name)  # magenta ink
    loaded = read_image(tmp_path / name, max_pixels=BIG)
    assert loaded.pixels.shape == (16, 16, 3)
    r, g, b = loaded.pixels[8, 8].astype(int)
    assert r > 200 and g < 60 and b > 200
    assert any("CMYK" in n for n in loaded.notes)
    roundtrip(tmp_path / name, tmp_path / f"out-{name}")
    assert pil(tmp_path / f"out-{name}").mode == "RGB"


def test_icc_profile_kept_as_its_colour_tags(tmp_path):
    from unseen.scrub.icc import canonical_icc

    src = mf.jpeg(tmp_path / "icc.jpg", icc=True)
    loaded = roundtrip(src, tmp_path / "out.jpg")
    assert loaded.icc_profile == canonical_icc(mf.srgb_icc())
    assert pil(tmp_path / "out.jpg").info.get("icc_profile") == canonical_icc(mf.srgb_icc())


def test_non_rgb_icc_profile_dropped_for_rgb_pixels(tmp_path):
    from PIL import ImageCms

    gray_icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()
    Image.fromarray(mf.face_like(8, 8)[..., 0], "L").save(tmp_path / "g.png", icc_profile=gray_icc)
    loaded = read_image(tmp_path / "g.png", max_pixels=BIG)
    assert loaded.icc_profile is None and any("ICC" in n for n in loaded.notes)


# --- fail closed ----------------------------------------------------------------------------


def assert_fails(exc_type, path, max_pixels=BIG, match=None):
    with pytest.raises(exc_type, match=match) as info:
        read_image(path, max_pixels=max_pixels)
    err = info.value
    assert err.path == str(path) and str(path) in str(err)
    assert "\n" not in str(err)
    return err


def test_missing(tmp_path):
    assert_fails(InputNotFound, tmp_path / "nope.jpg", match="no such file")


def test_directory(tmp_path):
    (tmp_path / "dir.jpg").mkdir()
    err = assert_fails(InputError, tmp_path / "dir.jpg", match="folder")
    assert type(err) is InputError


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root reads anything")
def test_unreadable(tmp_path):
    p = mf.jpeg(tmp_path / "locked.jpg")
    p.chmod(0)
    try:
        assert_fails(InputError, p, match="permission")
    finally:
        p.chmod(0o644)


def test_permission_denied_is_an_input_error(tmp_path, monkeypatch):
    from unseen.media import image_io

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(image_io, "open", denied, raising=False)
    assert_fails(InputError, mf.jpeg(tmp_path / "locked.jpg"), match="Permission denied")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_named_pipe_is_not_read(tmp_path):
    os.mkfifo(tmp_path / "pipe.jpg")
    assert_fails(InputError, tmp_path / "pipe.jpg", match="not a regular file")


def test_zero_bytes(tmp_path):
    (tmp_path / "empty.jpg").write_bytes(b"")
    assert_fails(CorruptInput, tmp_path / "empty.jpg", match="empty")


def test_text_file_named_jpg(tmp_path):
    (tmp_path / "notes.jpg").write_text("these are not pixels\n")
    assert_fails(UnsupportedFormat, tmp_path / "notes.jpg", match="not an image")


def test_single_frame_gif_read_animated_gif_refused(tmp_path):
    # issue 11: a GIF is read (written as PNG); an animated one is refused, every frame would need covering
    Image.new("RGB", (8, 8), (200, 10, 10)).save(tmp_path / "a.gif")
    loaded = read_image(tmp_path / "a.gif", max_pixels=BIG)
    assert loaded.format == "GIF" and loaded.pixels.shape == (8, 8, 3) and tuple(loaded.pixels[0, 0]) == (200, 10, 10)
    frames = [Image.new("RGB", (8, 8), (i * 60, 0, 0)) for i in range(3)]
    frames[0].save(tmp_path / "b.gif", save_all=True, append_images=frames[1:])
    assert_fails(UnsupportedFormat, tmp_path / "b.gif", match="GIF with 3 frames")


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_truncated_jpeg(tmp_path, cut):
    full = mf.jpeg(tmp_path / "full.jpg", mf.face_like(200, 200)).read_bytes()
    (tmp_path / "cut.jpg").write_bytes(full[: int(len(full) * cut)])
    assert_fails(CorruptInput, tmp_path / "cut.jpg", match="truncated|decode")


def test_jpeg_cut_inside_header(tmp_path):
    full = mf.jpeg(tmp_path / "full.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(full[:40])
    assert_fails(CorruptInput, tmp_path / "cut.jpg")


@pytest.mark.parametrize("name", ["t.png", "t.webp", "t.tif", "t.bmp"])
def test_truncated_other_formats(tmp_path, name):
    Image.fromarray(mf.face_like(120, 120)).save(tmp_path / name)
    data = (tmp_path / name).read_bytes()
    (tmp_path / name).write_bytes(data[: len(data) // 2])
    assert_fails(CorruptInput, tmp_path / name)


def test_png_with_bad_crc(tmp_path):
    data = bytearray(mf.png(tmp_path / "ok.png").read_bytes())
    idat = data.index(b"IDAT")
    data[idat + 20] ^= 0xFF
    (tmp_path / "bad.png").write_bytes(bytes(data))
    assert_fails(CorruptInput, tmp_path / "bad.png")


def test_over_max_pixels_checked_before_decoding(tmp_path):
    # The header says 1000x1000 but the data is nonsense: the limit must fire first.
    p = mf.png_bomb(tmp_path / "big.png", 1000, 1000)
    assert_fails(LimitExceeded, p, max_pixels=999_999, match="1,000,000 pixels.*999,999")


def test_decompression_bomb(tmp_path):
    p = mf.png_bomb(tmp_path / "bomb.png", 50_000, 50_000)
    assert_fails(LimitExceeded, p, max_pixels=200_000_000)


def test_compressed_text_bomb(tmp_path):
    import struct
    import zlib

    data = mf.png(tmp_path / "a.png").read_bytes()
    body = b"Comment\x00\x00" + zlib.compress(b"A" * (4 * 1024 * 1024), 9)  # ~4 KB -> 4 MB (> MAX_TEXT_CHUNK)
    bomb = struct.pack(">I", len(body)) + b"zTXt" + body + struct.pack(">I", zlib.crc32(b"zTXt" + body))
    at = data.index(b"IDAT") - 4
    (tmp_path / "bomb.png").write_bytes(data[:at] + bomb + data[at:])
    assert_fails(LimitExceeded, tmp_path / "bomb.png", match="decompression bomb")


def test_multi_page_tiff_refused(tmp_path):
    assert_fails(UnsupportedFormat, mf.multi_page_tiff(tmp_path / "pages.tif"), match="2 frames or pages")


@pytest.mark.parametrize("fmt,name", [("WEBP", "anim.webp"), ("PNG", "anim.png")])
def test_animation_refused(tmp_path, fmt, name):
    assert_fails(UnsupportedFormat, mf.animated(tmp_path / name, fmt), match="frames|animated")


def test_refuses_when_pillow_accepts_truncated(tmp_path, monkeypatch):
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    assert_fails(CorruptInput, mf.jpeg(tmp_path / "a.jpg"), match="LOAD_TRUNCATED_IMAGES")


# --- writing fails closed -------------------------------------------------------------------


def test_write_into_missing_folder(tmp_path):
    with pytest.raises(OutputNotWritable) as info:
        write_image(mf.face_like(8, 8), tmp_path / "nope" / "o.png", format="PNG", icc_profile=None)
    assert str(tmp_path / "nope" / "o.png") in str(info.value)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_write_disk_full():
    with pytest.raises(OutputNotWritable, match="space"):
        write_image(mf.face_like(256, 256), mf.Path("/dev/full"), format="PNG", icc_profile=None)


@pytest.mark.parametrize(
    "pixels",
    [np.zeros((4, 4), np.uint8), np.zeros((4, 4, 2), np.uint8), np.zeros((4, 4, 3), np.float32), np.zeros((0, 4, 3), np.uint8)],
)
def test_write_rejects_bad_pixels(tmp_path, pixels):
    with pytest.raises(PipelineError):
        write_image(pixels, tmp_path / "o.png", format="PNG", icc_profile=None)


def test_write_unknown_format(tmp_path):
    with pytest.raises(UnsupportedFormat):
        write_image(mf.face_like(4, 4), tmp_path / "o.gif", format="GIF", icc_profile=None)


def test_max_pixels_is_the_limit_not_pillows_constant(tmp_path, monkeypatch):
    import warnings

    src = mf.png(tmp_path / "a.png", mf.face_like(40, 60))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # Pillow would refuse (and warn) at this size
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_image(src, max_pixels=2400).pixels.shape == (40, 60, 3)
    assert_fails(LimitExceeded, src, max_pixels=2399)


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")  # Pillow's JPEG opener warns; unseen does not rely on it
def test_unreadable_exif_does_not_block_but_is_reported(tmp_path):
    src = mf.jpeg(tmp_path / "a.jpg", exif=b"II*\x00\xff\xff\x00\x00garbage")
    loaded = read_image(src, max_pixels=BIG)
    assert loaded.pixels.shape == (96, 128, 3)
    assert any(m.startswith("EXIF") for m in loaded.metadata)
