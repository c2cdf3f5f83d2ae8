"""ICC profiles built byte by byte for the tests: real matrix/TRC colour plus everything that can
identify someone (text naming a person and a serial, identifying header fields, private tags, a
whole embedded JPEG), and broken ones (truncated, offsets outside, overlaps, absurd counts)."""

from __future__ import annotations

import struct

import numpy as np

from . import media_factory as mf

NAME = b"SECRET-ICC-Jane-Doe"
SERIAL = b"SECRET-ICC-SN-0042-7781"
HIDDEN = b"SECRET-ICC-hidden-bytes"
PLANTED = (NAME, SERIAL, HIDDEN)

# sRGB primaries adapted to D50 (what littleCMS writes), as s15Fixed16 XYZ triples.
_XYZ = {
    b"wtpt": (0x0000F6D6, 0x00010000, 0x0000D32D),
    b"bkpt": (0, 0, 0),
    b"rXYZ": (0x00006FA0, 0x000038F5, 0x00000390),
    b"gXYZ": (0x00006297, 0x0000B787, 0x000018D9),
    b"bXYZ": (0x0000249F, 0x00000F84, 0x0000B6C3),
}
_CHAD = (0x00010C42, 0x000005DE, -0x00000CDB, 0x00000793, 0x0000FD90, -0x0000045F, -0x0000025E, 0x000003DC, 0x0000C06C)


def xyz(sig: bytes) -> bytes:
    return b"XYZ \x00\x00\x00\x00" + struct.pack(">3i", *_XYZ[sig])


def chad() -> bytes:
    return b"sf32\x00\x00\x00\x00" + struct.pack(">9i", *_CHAD)


def gamma_curve(gamma: float = 2.2) -> bytes:
    return b"curv\x00\x00\x00\x00" + struct.pack(">IH", 1, round(gamma * 256))


def table_curve(points: int = 255) -> bytes:
    """An odd-length sampled curve (so the tag needs padding in the profile)."""
    values = [round(65535 * (i / (points - 1)) ** 2.2) for i in range(points)]
    return b"curv\x00\x00\x00\x00" + struct.pack(f">I{points}H", points, *values)


def srgb_para() -> bytes:
    return b"para\x00\x00\x00\x00" + struct.pack(">HH5i", 3, 0, 0x00026666, 0x0000F2A7, 0x00000D59, 0x000013D0, 0x00000A5B)


def text_desc(text: bytes) -> bytes:
    """v2 textDescriptionType."""
    ascii_ = text + b"\x00"
    return b"desc\x00\x00\x00\x00" + struct.pack(">I", len(ascii_)) + ascii_ + b"\x00" * 78


def text(text_: bytes) -> bytes:
    return b"text\x00\x00\x00\x00" + text_ + b"\x00"


def mluc(text_: bytes) -> bytes:
    utf16 = text_.decode().encode("utf-16-be")
    return b"mluc\x00\x00\x00\x00" + struct.pack(">II2s2sII", 1, 12, b"en", b"US", len(utf16), 28) + utf16


def face_jpeg() -> bytes:
    return mf.thumbnail_jpeg(mf.face_like(), size=48)


def colour_tags(version: int = 2) -> list[tuple[bytes, bytes]]:
    tags = [(s, xyz(s)) for s in (b"wtpt", b"bkpt", b"rXYZ", b"gXYZ", b"bXYZ")]
    tags.append((b"chad", chad()))
    if version >= 4:
        tags += [(b"rTRC", srgb_para()), (b"gTRC", srgb_para()), (b"bTRC", srgb_para())]
    else:
        tags += [(b"rTRC", gamma_curve()), (b"gTRC", table_curve()), (b"bTRC", gamma_curve(1.8))]
    return tags


def identifying_tags(version: int = 2) -> list[tuple[bytes, bytes]]:
    """Description, copyright, device maker and model text with a name and a serial, a private
    tag holding the serial, and a private tag holding a whole JPEG of a face."""
    t = mluc if version >= 4 else text_desc
    return [
        (b"desc", t(NAME + b"'s phone display")),
        (b"cprt", (mluc if version >= 4 else text)(b"Copyright " + NAME)),
        (b"dmnd", t(b"Maker of " + NAME)),
        (b"dmdd", t(b"Model X serial " + SERIAL)),
        (b"zSer", b"data\x00\x00\x00\x00\x00\x00\x00\x00" + SERIAL),
        (b"zJpg", b"data\x00\x00\x00\x00\x00\x00\x00\x01" + face_jpeg()),
    ]


def identifying_header(version: int = 2) -> dict[int, bytes]:
    return {
        4: b"jdoe",  # preferred CMM
        24: struct.pack(">6H", 2024, 5, 6, 7, 8, 9),  # date
        40: b"APPL",  # platform
        44: struct.pack(">I", 3),  # flags
        48: b"JDOE",  # device maker
        52: b"SN42",  # device model
        56: b"ATTRSN42",  # device attributes
        80: b"jdoe",  # creator
        84: b"\x5a" * 16,  # profile ID (not the MD5: an identifier)
        100: b"SN-in-reserved",  # reserved
    }


def build(
    tags: list[tuple[bytes, bytes]],
    *,
    version: int = 2,
    header: dict[int, bytes] | None = None,
    device_class: bytes = b"mntr",
    space: bytes = b"RGB ",
    pcs: bytes = b"XYZ ",
    share: bool = True,
) -> bytes:
    """A profile with ``tags`` laid out in order (4-byte aligned; identical data shared when
    ``share``), the header's colour fields set, and ``header`` bytes written at their offsets."""
    table_end = 128 + 4 + 12 * len(tags)
    table, blobs, placed = bytearray(struct.pack(">I", len(tags))), bytearray(), {}
    for sig, body in tags:
        if not (share and body in placed):
            placed[body] = table_end + len(blobs)
            blobs += body + b"\x00" * (-len(body) % 4)
        table += struct.pack(">4sII", sig, placed[body], len(body))
    head = bytearray(128)
    head[8:10] = bytes([version, 0x30 if version >= 4 else 0x10])
    head[12:24] = device_class + space + pcs
    head[36:40] = b"acsp"
    head[68:80] = struct.pack(">3i", 0x0000F6D6, 0x00010000, 0x0000D32D)
    for pos, raw in (header or {}).items():
        head[pos : pos + len(raw)] = raw
    out = head + table + blobs
    struct.pack_into(">I", out, 0, len(out))
    return bytes(out)


def leaky(version: int = 2) -> bytes:
    """A real matrix/TRC RGB profile carrying every identifying thing above."""
    return build(identifying_tags(version)[:2] + colour_tags(version) + identifying_tags(version)[2:],
                 version=version, header=identifying_header(version))  # fmt: skip


def lut_only(matrix: np.ndarray) -> bytes:
    """An RGB input profile whose colours live only in an A2B0 lut16 table: linear RGB -> XYZ by
    ``matrix`` (a 2x2x2 grid, exact for a linear map), plus the identifying tags."""
    grid = []
    for r in (0, 1):
        for g in (0, 1):
            for b in (0, 1):
                x, y, z = matrix @ np.array([r, g, b], float)
                grid += [min(65535, round(v * 32768)) for v in (x, y, z)]  # lut16 XYZ: 1.0 = 0x8000
    identity = struct.pack(">9i", 65536, 0, 0, 0, 65536, 0, 0, 0, 65536)
    ramp = struct.pack(">2H", 0, 65535)
    mft2 = (b"mft2\x00\x00\x00\x00" + bytes([3, 3, 2, 0]) + identity + struct.pack(">HH", 2, 2)
            + ramp * 3 + struct.pack(f">{len(grid)}H", *grid) + ramp * 3)  # fmt: skip
    tags = identifying_tags()[:2] + [(b"wtpt", xyz(b"wtpt")), (b"A2B0", mft2)] + identifying_tags()[2:]
    return build(tags, device_class=b"scnr", header=identifying_header())


def linear_matrix_profile(matrix: np.ndarray) -> bytes:
    """The same colours as :func:`lut_only` expressed as a matrix/TRC profile (linear curves)."""
    cols = [struct.pack(">3i", *(round(v * 65536) for v in matrix[:, i])) for i in range(3)]
    tags = [(b"wtpt", xyz(b"wtpt"))]
    tags += [(s, b"XYZ \x00\x00\x00\x00" + c) for s, c in zip((b"rXYZ", b"gXYZ", b"bXYZ"), cols)]
    tags += [(s, gamma_curve(1.0)) for s in (b"rTRC", b"gTRC", b"bTRC")]
    return build(tags, device_class=b"scnr")


def entries(profile: bytes) -> list[tuple[bytes, int, int]]:
    n = struct.unpack_from(">I", profile, 128)[0]
    return [struct.unpack_from(">4sII", profile, 132 + 12 * i) for i in range(n)]


def patch_entry(profile: bytes, index: int, *, offset: int | None = None, size: int | None = None) -> bytes:
    out = bytearray(profile)
    sig, off, sz = entries(profile)[index]
    struct.pack_into(">4sII", out, 132 + 12 * index, sig, off if offset is None else offset, sz if size is None else size)
    return bytes(out)
