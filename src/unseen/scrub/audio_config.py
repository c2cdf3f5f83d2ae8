"""Audio codec-private data (extradata) by allow-list: only what a decoder needs is written.

Audio passed through keeps its packets, but its codec-private block is rebuilt here, never copied:
that block can carry text (a Vorbis comment header's vendor string and comments, FLAC
``VORBIS_COMMENT`` and ``PICTURE`` blocks, bytes after an Opus ``OpusHead``, a program config
element's comment in AAC). :func:`clean_extradata` returns the rebuilt block for a codec on the
allow-list, or ``None`` when it cannot be rebuilt safely (an unknown codec, an unknown layout):
the writer then re-encodes that stream. :func:`extradata_problem` is the check of a written file.

Packets themselves: FLAC frames, Opus and Vorbis audio packets carry no metadata; MP3, AC-3 and
AAC packets can (a LAME/Xing header frame, ``addbsi``, data-stream and fill elements) and are
passed as they are (docs/PRIVACY.md).
"""

from __future__ import annotations

import struct

# Codecs whose packets are passed through with no codec-private data at all (decoder names as
# PyAV gives them: mp3float, amrnb ...).
_NO_EXTRADATA = ("mp3", "mp3float", "mp2", "mp2float", "ac3", "eac3", "amrnb", "amrwb", "amr_nb", "amr_wb")
_PCM_PREFIX = "pcm_"

FLAC_STREAMINFO = 34
_VORBIS_EMPTY_COMMENT = b"\x03vorbis" + struct.pack("<I", 0) + struct.pack("<I", 0) + b"\x01"
_AAC_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350)


class _Bits:
    """Big-endian bit reader/writer, enough for an AudioSpecificConfig."""

    def __init__(self, data: bytes = b""):
        self.data = data
        self.pos = 0
        self.out: list[int] = []

    def read(self, n: int) -> int:
        if self.pos + n > len(self.data) * 8:
            raise ValueError("short")
        v = 0
        for _ in range(n):
            v = (v << 1) | ((self.data[self.pos >> 3] >> (7 - (self.pos & 7))) & 1)
            self.pos += 1
        return v

    def left(self) -> int:
        return len(self.data) * 8 - self.pos

    def write(self, n: int, v: int) -> None:
        self.out.extend((v >> (n - 1 - i)) & 1 for i in range(n))

    def bytes(self) -> bytes:
        bits = self.out + [0] * (-len(self.out) % 8)
        return bytes(int("".join(map(str, bits[i : i + 8])), 2) for i in range(0, len(bits), 8))


def _aac(extra: bytes) -> bytes | None:
    """AudioSpecificConfig rebuilt from the fields decoding uses, for the GA object types (AAC
    Main, LC, SSR, LTP) and HE-AAC signalled either way; a program config element (channel
    configuration 0, which holds a free comment), error-resilient types or unknown extensions:
    ``None``."""
    if not extra:
        return b""  # ADTS packets (MPEG-TS): the header is in every packet, no text in it
    r = _Bits(extra)
    w = _Bits()
    try:

        def object_type() -> int:
            t = r.read(5)
            return 32 + r.read(6) if t == 31 else t

        def put_object_type(t: int) -> None:
            if t >= 32:
                w.write(5, 31)
                w.write(6, t - 32)
            else:
                w.write(5, t)

        def rate() -> int | None:
            i = r.read(4)
            if i == 15:
                v = r.read(24)
                w.write(4, 15)
                w.write(24, v)
                return None
            if i >= len(_AAC_RATES):
                raise ValueError("rate")
            w.write(4, i)
            return i

        aot = object_type()
        sbr = aot in (5, 29)
        put_object_type(aot)
        rate()
        channels = r.read(4)
        if channels == 0 or channels > 7:
            return None  # a program config element (it has a comment field) or a reserved value
        w.write(4, channels)
        if sbr:
            rate()  # extension sampling frequency
            aot = object_type()
            put_object_type(aot)
        if aot not in (1, 2, 3, 4):
            return None
        w.write(1, r.read(1))  # frameLengthFlag
        if r.read(1):  # dependsOnCoreCoder
            w.write(1, 1)
            w.write(14, r.read(14))
        else:
            w.write(1, 0)
        if r.read(1):  # extensionFlag: only for error-resilient types
            return None
        w.write(1, 0)
        if r.left() >= 16:
            mark = r.pos
            if r.read(11) == 0x2B7:  # backward-compatible SBR/PS signalling
                ext = object_type()
                if ext != 5:
                    return None
                w.write(11, 0x2B7)
                put_object_type(5)
                present = r.read(1)
                w.write(1, present)
                if present:
                    rate()
                    if r.left() >= 12 and r.read(11) == 0x548:
                        w.write(11, 0x548)
                        w.write(1, r.read(1))
            else:
                r.pos = mark
        while r.left() > 0:
            if r.read(1):
                return None  # bits nobody parses: not written on
    except ValueError:
        return None
    return w.bytes()


def _flac(extra: bytes) -> bytes | None:
    """STREAMINFO only, from either form FFmpeg keeps: the bare 34 bytes or ``fLaC`` + blocks."""
    if len(extra) == FLAC_STREAMINFO:
        return extra
    if extra[:4] != b"fLaC":
        return None
    pos = 4
    while pos + 4 <= len(extra):
        kind, size = extra[pos] & 0x7F, int.from_bytes(extra[pos + 1 : pos + 4], "big")
        if kind == 0 and size == FLAC_STREAMINFO and pos + 4 + size <= len(extra):
            return extra[pos + 4 : pos + 4 + size]
        if extra[pos] & 0x80:
            break
        pos += 4 + size
    return None


def _opus(extra: bytes) -> bytes | None:
    """The ``OpusHead`` identification header, cut to its own length (no ``OpusTags``)."""
    if len(extra) < 19 or extra[:8] != b"OpusHead" or extra[8] >> 4 != 0:
        return None
    channels, family = extra[9], extra[18]
    size = 19 if family == 0 else 21 + channels
    if channels == 0 or len(extra) < size:
        return None
    return extra[:size]


def _xiph_split(extra: bytes) -> list[bytes] | None:
    """The three Vorbis headers, from Xiph lacing (Matroska) or 16-bit sizes (FFmpeg's own form)."""
    if len(extra) >= 6 and extra[0] == 0 and extra[1] == 30:
        out, pos = [], 0
        for _ in range(3):
            size = int.from_bytes(extra[pos : pos + 2], "big")
            out.append(extra[pos + 2 : pos + 2 + size])
            pos += 2 + size
        return out if pos <= len(extra) and all(out) else None
    if not extra or extra[0] != 2:
        return None
    pos, sizes = 1, []
    for _ in range(2):
        size = 0
        while pos < len(extra) and extra[pos] == 255:
            size += 255
            pos += 1
        if pos >= len(extra):
            return None
        size += extra[pos]
        pos += 1
        sizes.append(size)
    a, b = pos, pos + sizes[0]
    c = b + sizes[1]
    if c >= len(extra):
        return None
    return [extra[a:b], extra[b:c], extra[c:]]


def _xiph_join(headers: list[bytes]) -> bytes:
    out = bytearray([2])
    for h in headers[:2]:
        out += b"\xff" * (len(h) // 255) + bytes([len(h) % 255])
    return bytes(out) + b"".join(headers)


def _vorbis(extra: bytes) -> bytes | None:
    """Identification and setup headers as they are; the comment header (vendor string and every
    comment) replaced by an empty one, as FFmpeg's own Vorbis encoder writes it."""
    headers = _xiph_split(extra)
    if headers is None:
        return None
    ident, _comment, setup = headers
    if ident[:7] != b"\x01vorbis" or len(ident) != 30 or setup[:7] != b"\x05vorbis":
        return None
    return _xiph_join([ident, _VORBIS_EMPTY_COMMENT, setup])


def _alac(extra: bytes) -> bytes | None:
    """The 24-byte ALACSpecificConfig (numbers only) in FFmpeg's 36-byte ``alac`` atom form; a
    channel layout atom after it is left out."""
    if len(extra) >= 36 and extra[4:8] == b"alac":
        config = extra[12:36]
    elif len(extra) == 24:
        config = extra
    else:
        return None
    return struct.pack(">I4sI", 36, b"alac", 0) + config


_REBUILD = {"aac": _aac, "flac": _flac, "opus": _opus, "vorbis": _vorbis, "alac": _alac}


def clean_extradata(codec: str, extradata: bytes | None) -> bytes | None:
    """The codec-private bytes to write for passed-through ``codec`` audio, rebuilt from what
    decoding needs; ``None`` when the stream must be re-encoded instead (codec not on the
    allow-list, or a block that cannot be rebuilt)."""
    extra = bytes(extradata or b"")
    rebuild = _REBUILD.get(codec)
    if rebuild is not None:
        return rebuild(extra)
    if codec in _NO_EXTRADATA or codec.startswith(_PCM_PREFIX):
        return b"" if not extra else None
    return None


def extradata_problem(codec: str, extradata: bytes | None) -> str | None:
    """Why a written audio stream's codec-private block is not what :func:`clean_extradata`
    makes of it (``None`` when it is). Muxers write some blocks of their own: Matroska FLAC as
    ``fLaC`` + STREAMINFO (accepted with STREAMINFO as its only block), AVI a 12-byte MP3 one."""
    extra = bytes(extradata or b"")
    if codec in ("mp3", "mp3float") and len(extra) == 12:
        return None  # AVI's MPEGLAYER3WAVEFORMAT tail, five numbers the muxer writes itself
    clean = clean_extradata(codec, extra)
    if clean is None:
        return f"{codec} codec-private data ({len(extra)} bytes) is not on the allow-list"
    if codec == "flac" and extra[:4] == b"fLaC":
        size = FLAC_STREAMINFO.to_bytes(3, "big")
        if extra in (b"fLaC\x00" + size + clean, b"fLaC\x80" + size + clean):
            return None
        return "FLAC metadata blocks beside STREAMINFO"
    if clean != extra:
        return f"{codec} codec-private data holds {len(extra) - len(clean)} byte(s) beyond what decoding needs"
    return None


__all__ = ["clean_extradata", "extradata_problem"]
