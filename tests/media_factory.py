"""Build real image files that carry every kind of metadata a camera or editor leaves behind.

Each builder writes a file in a folder and returns its path. Metadata values hold recognisable
marker strings (``SECRET-...``) so a test can also check, byte for byte, that they are gone.
The EXIF blocks are assembled here by hand (a tiny TIFF writer), so they can carry what Pillow
will not write itself: a maker note, an IFD1 thumbnail, owner and serial numbers.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms
from PIL.PngImagePlugin import PngInfo

# Marker strings: a test asserts none of them survives in an output file.
BODY_SERIAL = "SECRET-BODY-SN-4242"
LENS_SERIAL = "SECRET-LENS-SN-7777"
OWNER = "SECRET-OWNER-Jane-Roe"
MAKER_NOTE = b"SECRET-MAKERNOTE-internal-serial-0099\x00" + bytes(range(64))
XMP_PERSON = "SECRET-XMP-Alice-Example"
IPTC_BYLINE = b"SECRET-IPTC-Byline"
COMMENT = b"SECRET-COMMENT shot at Jane's house"
PNG_AUTHOR = "SECRET-PNG-Author"
MARKERS = (BODY_SERIAL.encode(), LENS_SERIAL.encode(), OWNER.encode(), b"SECRET-MAKERNOTE", XMP_PERSON.encode(),
           IPTC_BYLINE, COMMENT, PNG_AUTHOR.encode(), b"SECRET")  # fmt: skip

EXIF_IFD, GPS_IFD = 0x8769, 0x8825
ASCII, SHORT, LONG, RATIONAL, UNDEFINED = 2, 3, 4, 5, 7


def face_like(h: int = 96, w: int = 128, seed: int = 1) -> np.ndarray:
    """A smooth picture with a bright oval 'face' in it (compresses like a photo)."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    rng = np.random.default_rng(seed)
    img = np.stack([xx / w * 200 + 20, yy / h * 200 + 20, np.full_like(xx, 90)], axis=2)
    oval = ((xx - w * 0.5) / (w * 0.18)) ** 2 + ((yy - h * 0.45) / (h * 0.28)) ** 2 <= 1
    img[oval] = (230, 190, 160)
    img += rng.normal(0, 3, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def asymmetric(h: int = 4, w: int = 6) -> np.ndarray:
    """Every pixel different, so any flip or rotation is visible (exact in lossless formats)."""
    a = np.arange(h * w * 3, dtype=np.uint32).reshape(h, w, 3) * 3 % 256
    a[..., 0] = (np.arange(h * w).reshape(h, w) * 10) % 256
    return a.astype(np.uint8)


# --- EXIF, by hand --------------------------------------------------------------------------


def _payload(typ: int, value) -> tuple[int, bytes]:
    if typ == ASCII:
        raw = value.encode() + b"\x00"
        return len(raw), raw
    if typ == SHORT:
        return len(value), struct.pack(f"<{len(value)}H", *value)
    if typ == LONG:
        return len(value), struct.pack(f"<{len(value)}I", *value)
    if typ == RATIONAL:
        return len(value), b"".join(struct.pack("<II", n, d) for n, d in value)
    if typ == UNDEFINED:
        return len(value), bytes(value)
    raise ValueError(typ)


def _ifd(entries: list[tuple[int, int, object]], offset: int, next_ifd: int) -> bytes:
    entries = sorted(entries, key=lambda e: e[0])
    base = offset + 2 + 12 * len(entries) + 4
    head, extra = struct.pack("<H", len(entries)), b""
    for tag, typ, value in entries:
        count, raw = _payload(typ, value)
        if len(raw) <= 4:
            field = raw.ljust(4, b"\x00")
        else:
            field = struct.pack("<I", base + len(extra))
            extra += raw + (b"\x00" if len(raw) % 2 else b"")
        head += struct.pack("<HHI", tag, typ, count) + field
    return head + struct.pack("<I", next_ifd) + extra


def build_exif(
    *,
    gps: bool = False,
    serials: bool = False,
    owner: bool = False,
    maker_note: bool = False,
    thumbnail: bytes | None = None,
    orientation: int | None = None,
    camera: bool = False,
) -> bytes:
    """A little-endian EXIF block (TIFF structure, without the ``Exif\\0\\0`` prefix)."""
    ifd0: list = []
    if camera:
        ifd0 += [(0x010F, ASCII, "SECRET-Make"), (0x0110, ASCII, "SECRET-Model X1"), (0x0131, ASCII, "Firmware 1.0")]
    if orientation is not None:
        ifd0.append((0x0112, SHORT, [orientation]))
    exif: list = []
    if serials:
        exif += [(0xA431, ASCII, BODY_SERIAL), (0xA435, ASCII, LENS_SERIAL)]
    if owner:
        exif.append((0xA430, ASCII, OWNER))
    if maker_note:
        exif.append((0x927C, UNDEFINED, MAKER_NOTE))
    if camera:
        exif.append((0x9003, ASCII, "2024:05:06 07:08:09"))
    gps_entries: list = []
    if gps:
        gps_entries = [
            (0x0000, UNDEFINED, b"\x02\x03\x00\x00"),
            (0x0001, ASCII, "N"),
            (0x0002, RATIONAL, [(48, 1), (51, 1), (2403, 100)]),
            (0x0003, ASCII, "E"),
            (0x0004, RATIONAL, [(2, 1), (17, 1), (4010, 100)]),
        ]
    if exif:
        ifd0.append((EXIF_IFD, LONG, [0]))
    if gps_entries:
        ifd0.append((GPS_IFD, LONG, [0]))
    if not ifd0 and thumbnail is None:
        ifd0.append((0x011A, RATIONAL, [(72, 1)]))  # something harmless, so the block is not empty
    ifd1 = [(0x0103, SHORT, [6]), (0x0201, LONG, [0]), (0x0202, LONG, [len(thumbnail or b"")])]
    # Offsets: header | IFD0 | Exif IFD | GPS IFD | IFD1 | thumbnail.
    o0 = 8
    o_exif = o0 + len(_ifd(ifd0, 0, 0))
    o_gps = o_exif + (len(_ifd(exif, 0, 0)) if exif else 0)
    o1 = o_gps + (len(_ifd(gps_entries, 0, 0)) if gps_entries else 0)
    o_thumb = o1 + len(_ifd(ifd1, 0, 0))
    ifd0 = [
        (t, ty, [o_exif] if t == EXIF_IFD else [o_gps] if t == GPS_IFD else v) for t, ty, v in ifd0
    ]
    out = b"II*\x00" + struct.pack("<I", o0) + _ifd(ifd0, o0, o1 if thumbnail else 0)
    if exif:
        out += _ifd(exif, o_exif, 0)
    if gps_entries:
        out += _ifd(gps_entries, o_gps, 0)
    if thumbnail is not None:
        ifd1[1] = (0x0201, LONG, [o_thumb])
        out += _ifd(ifd1, o1, 0) + thumbnail
    return out


def thumbnail_jpeg(pixels: np.ndarray, size: int = 40) -> bytes:
    """A small JPEG of the picture, as cameras embed in EXIF: it still shows the face."""
    im = Image.fromarray(pixels[..., :3])
    im.thumbnail((size, size))
    buf = io.BytesIO()
    im.save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def full_exif(pixels: np.ndarray, orientation: int | None = None) -> bytes:
    return build_exif(
        gps=True, serials=True, owner=True, maker_note=True, camera=True,
        thumbnail=thumbnail_jpeg(pixels), orientation=orientation,
    )  # fmt: skip


# --- other metadata blocks ------------------------------------------------------------------


def xmp_packet() -> bytes:
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/">'
        f"<dc:creator><rdf:Seq><rdf:li>{XMP_PERSON}</rdf:li></rdf:Seq></dc:creator>"
        f"<mwg-rs:Regions><mwg-rs:Name>{XMP_PERSON}</mwg-rs:Name></mwg-rs:Regions>"
        '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode()


def iptc_iim() -> bytes:
    """IPTC IIM: record 2 version, By-line (2:80) and City (2:90)."""
    def ds(rec: int, num: int, value: bytes) -> bytes:
        return bytes([0x1C, rec, num]) + struct.pack(">H", len(value)) + value

    return ds(2, 0, b"\x00\x04") + ds(2, 80, IPTC_BYLINE) + ds(2, 90, b"SECRET-City")


def photoshop_block(iim: bytes, thumbnail: bytes | None = None) -> bytes:
    def res(rid: int, data: bytes) -> bytes:
        return b"8BIM" + struct.pack(">H", rid) + b"\x00\x00" + struct.pack(">I", len(data)) + data + (b"\x00" if len(data) % 2 else b"")

    out = res(0x0404, iim)
    if thumbnail is not None:
        out += res(0x040C, b"\x00" * 28 + thumbnail)
    return out


def srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _segment(marker: int, payload: bytes) -> bytes:
    assert len(payload) + 2 <= 0xFFFF
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


# --- files ----------------------------------------------------------------------------------


def jpeg(
    path: Path,
    pixels: np.ndarray | None = None,
    *,
    exif: bytes | None = None,
    xmp: bool = False,
    iptc: bool = False,
    comment: bool = False,
    icc: bool = False,
    photoshop_thumb: bool = False,
    trailer: bytes = b"",
    quality: int = 92,
    subsampling: int = 2,
    progressive: bool = False,
) -> Path:
    """A JPEG with the requested segments spliced in after SOI (as cameras and editors place them)."""
    pixels = face_like() if pixels is None else pixels
    buf = io.BytesIO()
    kw = {"icc_profile": srgb_icc()} if icc else {}
    mode = "L" if pixels.ndim == 2 else "RGB"
    Image.fromarray(pixels, mode).save(buf, format="JPEG", quality=quality, subsampling=subsampling, progressive=progressive, **kw)
    body = buf.getvalue()
    segs = b""
    if exif is not None:
        segs += _segment(0xE1, b"Exif\x00\x00" + exif)
    if xmp:
        segs += _segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + xmp_packet())
    if iptc or photoshop_thumb:
        thumb = thumbnail_jpeg(pixels) if photoshop_thumb else None
        segs += _segment(0xED, b"Photoshop 3.0\x00" + photoshop_block(iptc_iim(), thumb))
    if comment:
        segs += _segment(0xFE, COMMENT)
    path.write_bytes(body[:2] + segs + body[2:] + trailer)
    return path


def png(
    path: Path,
    pixels: np.ndarray | None = None,
    *,
    mode: str | None = None,
    text: bool = False,
    ztxt: bool = False,
    itxt: bool = False,
    xmp: bool = False,
    exif: bytes | None = None,
    time_chunk: bool = False,
    icc: bool = False,
    transparency: int | None = None,
) -> Path:
    pixels = face_like() if pixels is None else pixels
    im = Image.fromarray(pixels, mode) if mode else Image.fromarray(pixels)
    info = PngInfo()
    if text:
        info.add_text("Author", PNG_AUTHOR)
    if ztxt:
        info.add_text("Comment", "SECRET-zTXt comment " * 8, zip=True)
    if itxt:
        info.add_itxt("Description", "SECRET-iTXt description", lang="en", tkey="Beschreibung")
    if xmp:
        info.add_itxt("XML:com.adobe.xmp", xmp_packet().decode())
    if time_chunk:
        info.add(b"tIME", struct.pack(">HBBBBB", 2024, 5, 6, 7, 8, 9))
    kw: dict = {"pnginfo": info}
    if exif is not None:
        kw["exif"] = b"Exif\x00\x00" + exif
    if icc:
        kw["icc_profile"] = srgb_icc()
    if transparency is not None:
        kw["transparency"] = transparency
    im.save(path, format="PNG", **kw)
    return path


def webp(path: Path, pixels: np.ndarray | None = None, *, exif: bytes | None = None, xmp: bool = False,
         icc: bool = False, lossless: bool = False) -> Path:  # fmt: skip
    pixels = face_like() if pixels is None else pixels
    kw: dict = {"lossless": lossless, "quality": 90}
    if exif is not None:
        kw["exif"] = b"Exif\x00\x00" + exif
    if xmp:
        kw["xmp"] = xmp_packet()
    if icc:
        kw["icc_profile"] = srgb_icc()
    Image.fromarray(pixels).save(path, format="WEBP", **kw)
    return path


def tiff(path: Path, pixels: np.ndarray | None = None, *, tags: bool = False, exif: bool = False,
         icc: bool = False, compression: str = "raw", orientation: int | None = None) -> Path:  # fmt: skip
    """A TIFF whose IFD0 carries description, make/model, artist, copyright, XMP and IPTC tags
    (``tags``), and an EXIF sub-IFD with serial numbers and owner plus a GPS sub-IFD (``exif``)."""
    from PIL.TiffImagePlugin import ImageFileDirectory_v2

    pixels = face_like() if pixels is None else pixels
    ifd = ImageFileDirectory_v2()
    if tags:
        ifd[270] = "SECRET-description"
        ifd[271] = "SECRET-Make"
        ifd[272] = "SECRET-Model"
        ifd[305] = "SECRET-Software"
        ifd[315] = "SECRET-Artist"
        ifd[33432] = "SECRET-Copyright"
        ifd[700] = xmp_packet()
        ifd.tagtype[700] = 1
        ifd[33723] = iptc_iim()
        ifd.tagtype[33723] = 7
    if orientation is not None:
        ifd[274] = orientation
    if exif:
        ifd[EXIF_IFD] = {0xA431: BODY_SERIAL, 0xA435: LENS_SERIAL, 0xA430: OWNER}
        ifd[GPS_IFD] = {1: "N", 2: (48.0, 51.0, 24.03), 3: "E", 4: (2.0, 17.0, 40.1)}
    kw: dict = {"tiffinfo": ifd, "compression": compression}
    if icc:
        kw["icc_profile"] = srgb_icc()
    Image.fromarray(pixels).save(path, format="TIFF", **kw)
    return path


def bmp(path: Path, pixels: np.ndarray | None = None, *, trailer: bytes = b"") -> Path:
    pixels = face_like() if pixels is None else pixels
    Image.fromarray(pixels).save(path, format="BMP")
    if trailer:
        path.write_bytes(path.read_bytes() + trailer)
    return path


def heic(path: Path, pixels: np.ndarray | None = None, *, exif: bytes | None = None, xmp: bool = False,
         thumbnail: bool = False) -> Path:  # fmt: skip
    import pillow_heif

    pixels = face_like() if pixels is None else pixels
    heif = pillow_heif.from_pillow(Image.fromarray(pixels))
    if exif is not None:
        heif.info["exif"] = b"Exif\x00\x00" + exif
    if xmp:
        heif.info["xmp"] = xmp_packet()
    heif.save(path, quality=90, thumbnails=[32] if thumbnail else [])
    return path


def multi_page_tiff(path: Path) -> Path:
    frames = [Image.fromarray(face_like(seed=s)) for s in (1, 2)]
    frames[0].save(path, format="TIFF", save_all=True, append_images=frames[1:])
    return path


def animated(path: Path, fmt: str) -> Path:
    frames = [Image.fromarray(face_like(seed=s)) for s in (1, 2, 3)]
    frames[0].save(path, format=fmt, save_all=True, append_images=frames[1:], duration=100)
    return path


def mpo(path: Path) -> Path:
    frames = [Image.fromarray(face_like(seed=s)) for s in (1, 2)]
    frames[0].save(path, format="MPO", save_all=True, append_images=frames[1:])
    return path


def png_bomb(path: Path, width: int, height: int) -> Path:
    """A PNG header declaring ``width x height`` pixels with almost no data behind it."""
    import zlib

    def chunk(ctype: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))
    return path


def with_orientation(display: np.ndarray, orientation: int) -> np.ndarray:
    """The stored pixels that, shown with EXIF ``orientation``, look like ``display``."""
    inverse = {
        1: lambda a: a,
        2: lambda a: a[:, ::-1],
        3: lambda a: a[::-1, ::-1],
        4: lambda a: a[::-1, :],
        5: lambda a: a.transpose(1, 0, 2),
        6: lambda a: a[:, ::-1].transpose(1, 0, 2),  # shown rotated 90 cw: store rotated 90 ccw
        7: lambda a: a[::-1, ::-1].transpose(1, 0, 2),
        8: lambda a: a[::-1, :].transpose(1, 0, 2),
    }
    return np.ascontiguousarray(inverse[orientation](display))


def png_raw(path: Path, pixels: np.ndarray, *, color_type: int, bit_depth: int) -> Path:
    """A PNG written by hand (e.g. 16-bit RGB, which Pillow cannot write from an array)."""
    import zlib

    def chunk(ctype: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data) & 0xFFFFFFFF)

    h, w = pixels.shape[:2]
    raw = pixels.astype(">u2" if bit_depth == 16 else "u1").reshape(h, -1).tobytes()
    stride = len(raw) // h
    rows = b"".join(b"\x00" + raw[i * stride : (i + 1) * stride] for i in range(h))
    ihdr = struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    return path


def tiff16(path: Path, pixels: np.ndarray) -> Path:
    """A 16-bit RGB or RGBA TIFF written by hand (Pillow cannot write one from an array)."""
    h, w, spp = pixels.shape
    raw = pixels.astype("<u2").tobytes()
    entries: list = [(256, LONG, [w]), (257, LONG, [h]), (258, SHORT, [16] * spp), (259, SHORT, [1]),
                     (262, SHORT, [2]), (273, LONG, [0]), (277, SHORT, [spp]), (278, LONG, [h]),
                     (279, LONG, [len(raw)])]  # fmt: skip
    if spp == 4:
        entries.append((338, SHORT, [2]))
    data_at = 8 + len(_ifd(entries, 8, 0))
    entries = [(t, ty, [data_at] if t == 273 else v) for t, ty, v in entries]
    path.write_bytes(b"II*\x00" + struct.pack("<I", 8) + _ifd(entries, 8, 0) + raw)
    return path
