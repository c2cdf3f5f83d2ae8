"""Structure-aware mutators for video containers (evaluation only; used by :mod:`unseen_eval.fuzz`).

ISO-BMFF (MP4/MOV) files are parsed into a box tree, one header or sample-table field is changed,
and the tree is written back with every size fixed (and chunk offsets moved when the index sits
before the media data), so the damage reaches the demuxer's logic instead of its first size check.
Matroska (MKV/WebM) is walked as EBML and edited in place (same byte width, no size changes).

Every mutator is ``(data, rng) -> data`` and deterministic for a given generator state; when a
file does not have the structure a mutator needs, it falls back to flipping bits.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np

# --- ISO-BMFF --------------------------------------------------------------------------------
_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"udta", b"dinf", b"mvex", b"moof", b"traf"}
# Extreme values that have broken demuxers before: zero, one, sign bit, all ones, just under.
_EXTREMES_32 = (0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFE, 0x10000, 0x00FFFFFF)


@dataclass
class Box:
    type: bytes
    payload: bytes = b""  # leaf boxes (and anything we do not descend into)
    children: list[Box] | None = None
    large: bool = False  # written with a 64-bit size

    def to_bytes(self) -> bytes:
        body = self.payload if self.children is None else b"".join(c.to_bytes() for c in self.children)
        if self.large or len(body) + 8 > 0xFFFFFFFF:
            return struct.pack(">I4sQ", 1, self.type, len(body) + 16) + body
        return struct.pack(">I4s", len(body) + 8, self.type) + body


def parse_boxes(data: bytes, start: int = 0, end: int | None = None) -> list[Box] | None:
    """The boxes of ``data[start:end]``, containers parsed recursively; ``None`` if not ISO-BMFF."""
    end = len(data) if end is None else end
    out: list[Box] = []
    i = start
    while i + 8 <= end:
        size, typ = struct.unpack(">I4s", data[i : i + 8])
        head, large = 8, False
        if size == 1:
            if i + 16 > end:
                return None
            size, head, large = struct.unpack(">Q", data[i + 8 : i + 16])[0], 16, True
        elif size == 0:
            size = end - i
        if size < head or i + size > end:
            return None
        body_start = i + head
        if typ in _CONTAINERS:
            kids = parse_boxes(data, body_start, i + size)
            if kids is None:
                return None
            out.append(Box(typ, children=kids, large=large))
        else:
            out.append(Box(typ, payload=data[body_start : i + size], large=large))
        i += size
    return out if i == end else None


def find_all(boxes: list[Box], typ: bytes) -> list[Box]:
    found = []
    for b in boxes:
        if b.type == typ:
            found.append(b)
        if b.children is not None:
            found.extend(find_all(b.children, typ))
    return found


def serialize(boxes: list[Box], original: bytes) -> bytes:
    """Write ``boxes`` back; when ``moov`` precedes ``mdat`` and changed size, move chunk offsets."""
    kinds = [b.type for b in boxes]
    if b"moov" in kinds and b"mdat" in kinds and kinds.index(b"moov") < kinds.index(b"mdat"):
        old_pos = _top_offset(parse_boxes(original) or [], b"mdat")
        new_pos = len(b"".join(b.to_bytes() for b in boxes[: kinds.index(b"mdat")]))
        delta = new_pos - old_pos if old_pos is not None else 0
        if delta:
            for co in find_all(boxes, b"stco"):
                _shift_offsets(co, delta, 4)
            for co in find_all(boxes, b"co64"):
                _shift_offsets(co, delta, 8)
    return b"".join(b.to_bytes() for b in boxes)


def _top_offset(boxes: list[Box], typ: bytes) -> int | None:
    pos = 0
    for b in boxes:
        if b.type == typ:
            return pos
        pos += len(b.to_bytes())
    return None


def _shift_offsets(box: Box, delta: int, width: int) -> None:
    p = bytearray(box.payload)
    if len(p) < 8:
        return
    n = struct.unpack(">I", p[4:8])[0]
    fmt = ">I" if width == 4 else ">Q"
    for k in range(min(n, (len(p) - 8) // width)):
        o = 8 + k * width
        v = struct.unpack(fmt, p[o : o + width])[0]
        p[o : o + width] = struct.pack(fmt, (v + delta) % (1 << (8 * width)))
    box.payload = bytes(p)


def _put(box: Box, offset: int, fmt: str, value: int) -> bool:
    p = bytearray(box.payload)
    n = struct.calcsize(fmt)
    if offset + n > len(p):
        return False
    bits = 8 * n
    p[offset : offset + n] = struct.pack(fmt, value % (1 << bits) if fmt[-1].isupper() else value)
    box.payload = bytes(p)
    return True


def _get(box: Box, offset: int, fmt: str) -> int | None:
    n = struct.calcsize(fmt)
    if offset + n > len(box.payload):
        return None
    return struct.unpack(fmt, box.payload[offset : offset + n])[0]


def _extreme(rng: np.random.Generator, original: int | None = None) -> int:
    choices = list(_EXTREMES_32)
    if original:
        choices += [original * 1000, max(0, original - 1), original + 1]
    return int(choices[int(rng.integers(0, len(choices)))]) & 0xFFFFFFFF


def _visual_entries(boxes: list[Box]) -> list[tuple[Box, int]]:
    """(stsd box, offset of the first sample entry's payload) for every stsd."""
    return [(s, 8) for s in find_all(boxes, b"stsd") if len(s.payload) >= 8 + 36]


def mp4_dimensions(data: bytes, rng: np.random.Generator) -> bytes:
    """Absurd picture size in the track header and the sample entry (the codec header says less)."""
    boxes = parse_boxes(data)
    if not boxes:
        return _fallback(data, rng)
    w = int(rng.choice([0, 1, 65535, 46341, 16384, 100000]))
    h = int(rng.choice([0, 1, 65535, 46341, 16384, 100000]))
    for tk in find_all(boxes, b"tkhd"):
        off = 76 if tk.payload[:1] == b"\x00" else 88
        _put(tk, off, ">I", w << 16)
        _put(tk, off + 4, ">I", h << 16)
    for stsd, e in _visual_entries(boxes):
        _put(stsd, e + 32, ">H", w)
        _put(stsd, e + 34, ">H", h)
    return serialize(boxes, data)


def mp4_counts(data: bytes, rng: np.random.Generator) -> bytes:
    """Frame counts and durations that lie: sample counts, entry counts, movie/track durations."""
    boxes = parse_boxes(data)
    if not boxes:
        return _fallback(data, rng)
    targets: list[tuple[Box, int, str]] = []
    for b in find_all(boxes, b"stsz"):
        targets += [(b, 8, ">I")]  # sample_count
    for typ in (b"stts", b"ctts", b"stsc", b"stco", b"stss", b"elst"):
        targets += [(b, 4, ">I") for b in find_all(boxes, typ)]  # entry_count
    for b in find_all(boxes, b"stts"):
        targets += [(b, 8, ">I")]  # first entry's sample_count
    for typ, v0, v1 in ((b"mvhd", 16, 24), (b"mdhd", 16, 24), (b"tkhd", 20, 28)):
        for b in find_all(boxes, typ):
            targets += [(b, v0, ">I")] if b.payload[:1] == b"\x00" else [(b, v1, ">Q")]
    if not targets:
        return _fallback(data, rng)
    for _ in range(int(rng.integers(1, 3))):
        box, off, fmt = targets[int(rng.integers(0, len(targets)))]
        _put(box, off, fmt, _extreme(rng, _get(box, off, fmt)))
    return serialize(boxes, data)


def mp4_timestamps(data: bytes, rng: np.random.Generator) -> bytes:
    """Timestamps that jump, repeat, go negative or backwards: stts/ctts/elst/timescale rewritten."""
    boxes = parse_boxes(data)
    stts = find_all(boxes or [], b"stts")
    if not boxes or not stts:
        return _fallback(data, rng)
    n = sum(_get(stsz, 8, ">I") or 0 for stsz in find_all(boxes, b"stsz")[:1]) or 30
    n = min(n, 100_000)
    op = int(rng.integers(0, 6))
    if op == 0:  # one huge jump in dts somewhere in the middle
        at = int(rng.integers(1, max(2, n)))
        deltas = [1] * n
        base = _get(stts[0], 12, ">I") or 1
        deltas = [base] * n
        deltas[at - 1] = int(rng.choice([base * 10_000, 0x7FFFFFFF, 0xFFFFFFFF]))
        _set_stts(stts[0], deltas)
    elif op == 1:  # zero or random deltas: repeated / erratic decode times
        deltas = [int(v) for v in rng.choice([0, 1, 2, 0xFFFFFFFF, 512, 1_000_000], n)]
        _set_stts(stts[0], deltas)
    elif op == 2:  # composition offsets negative or wild (version 1 ctts: signed), pts not monotonic
        offsets = [int(v) for v in rng.integers(-(1 << 20), 1 << 20, n)]
        for tr in _stbls(boxes):
            tr.children = [c for c in tr.children if c.type != b"ctts"] + [_ctts(offsets)]
    elif op == 3:  # edit list that starts before zero, or far in the future
        for el in find_all(boxes, b"elst"):
            _put(el, 12 if el.payload[:1] == b"\x00" else 16, ">i", int(rng.choice([-1, -(1 << 30), 1 << 30, 0x7FFFFFFF])))
    elif op == 4:  # media time scale zero, one or huge
        for md in find_all(boxes, b"mdhd"):
            _put(md, 12 if md.payload[:1] == b"\x00" else 20, ">I", int(rng.choice([0, 1, 0xFFFFFFFF, 7])))
    else:  # decreasing decode times: a wrapped delta for every other sample
        deltas = [(0xFFFFFFFF - 500) if i % 2 else 1500 for i in range(n)]
        _set_stts(stts[0], deltas)
    return serialize(boxes, data)


def _stbls(boxes: list[Box]) -> list[Box]:
    return [b for b in find_all(boxes, b"stbl") if b.children is not None]


def _set_stts(box: Box, deltas: list[int]) -> None:
    runs: list[list[int]] = []
    for d in deltas:
        if runs and runs[-1][1] == d:
            runs[-1][0] += 1
        else:
            runs.append([1, d])
    box.payload = struct.pack(">II", 0, len(runs)) + b"".join(struct.pack(">II", c, d & 0xFFFFFFFF) for c, d in runs)


def _ctts(offsets: list[int]) -> Box:
    return Box(b"ctts", struct.pack(">II", 1 << 24, len(offsets)) + b"".join(struct.pack(">Ii", 1, o) for o in offsets))


def mp4_sample_table(data: bytes, rng: np.random.Generator) -> bytes:
    """Sample-table edits: sizes, chunk maps, chunk offsets and sync samples that disagree."""
    boxes = parse_boxes(data)
    if not boxes or not _stbls(boxes):
        return _fallback(data, rng)
    op = int(rng.integers(0, 6))
    if op == 0:  # one sample size huge or zero
        for sz in find_all(boxes, b"stsz"):
            n = _get(sz, 8, ">I") or 0
            if n and _get(sz, 4, ">I") == 0:
                _put(sz, 12 + 4 * int(rng.integers(0, n)), ">I", int(rng.choice([0, 0x7FFFFFFF, 0xFFFFFFFF, 1 << 24])))
    elif op == 1:  # samples per chunk zero / huge, or a chunk map that starts past chunk 1
        for sc in find_all(boxes, b"stsc"):
            _put(sc, 8 + int(rng.choice([0, 4])), ">I", int(rng.choice([0, 2, 0xFFFFFFFF, 1 << 20])))
    elif op == 2:  # chunk offsets outside the file, or pointing into the index
        for co in find_all(boxes, b"stco"):
            n = _get(co, 4, ">I") or 0
            for k in range(n):
                if rng.random() < 0.5:
                    _put(co, 8 + 4 * k, ">I", int(rng.choice([0, 8, len(data) - 4, 0xFFFFFFF0])))
    elif op == 3:  # sync-sample table that names samples which do not exist, or none at all
        for ss in find_all(boxes, b"stss"):
            ss.payload = struct.pack(">II", 0, 2) + struct.pack(">II", int(rng.choice([0, 1 << 30])), 0xFFFFFFFF)
    elif op == 4:  # a sample-table box removed
        for tr in _stbls(boxes):
            names = [c.type for c in tr.children if c.type != b"stsd"]
            if names:
                gone = names[int(rng.integers(0, len(names)))]
                tr.children = [c for c in tr.children if c.type != gone]
    else:  # a sample-table box duplicated (two answers to one question)
        for tr in _stbls(boxes):
            k = int(rng.integers(0, len(tr.children)))
            tr.children.insert(k, Box(tr.children[k].type, tr.children[k].payload))
    return serialize(boxes, data)


def mp4_huge_metadata(data: bytes, rng: np.random.Generator, megabytes: int = 16) -> bytes:
    """A ``udta``/``meta`` block of many megabytes (comment and a big ``free``-like user box)."""
    boxes = parse_boxes(data)
    moov = [b for b in (boxes or []) if b.type == b"moov" and b.children is not None]
    if not moov:
        return _fallback(data, rng)
    text = rng.integers(32, 127, megabytes << 20, dtype=np.uint8).tobytes()
    cmt = Box(b"\xa9cmt", struct.pack(">HH", len(text) & 0xFFFF, 0x15C7) + text)
    moov[0].children.append(Box(b"udta", children=[cmt, Box(b"XTRA", text[: 1 << 20])]))
    return serialize(boxes, data)


# --- Matroska (EBML) -------------------------------------------------------------------------
_MKV_MASTERS = {0x18538067, 0x1549A966, 0x1654AE6B, 0xAE, 0xE0, 0x1F43B675, 0xA0, 0x1254C367, 0x7373, 0x1C53BB6B}


@dataclass
class _Element:
    id: int
    head: int  # of the element (its ID)
    start: int  # of the data
    size: int
    children: list[_Element] = field(default_factory=list)


def _vint(data: bytes, i: int, keep_marker: bool) -> tuple[int, int] | None:
    if i >= len(data) or data[i] == 0:
        return None
    first = data[i]
    length = 8 - first.bit_length() + 1
    if i + length > len(data):
        return None
    value = first if keep_marker else first & ((1 << (8 - length)) - 1)
    for b in data[i + 1 : i + length]:
        value = (value << 8) | b
    if not keep_marker and value == (1 << (7 * length)) - 1:
        value = -1  # unknown size
    return value, length


def parse_ebml(data: bytes, start: int = 0, end: int | None = None, depth: int = 0) -> list[_Element]:
    end = len(data) if end is None else end
    out: list[_Element] = []
    i = start
    while i < end and depth < 8:
        idv = _vint(data, i, True)
        if idv is None:
            break
        eid, n1 = idv
        sz = _vint(data, i + n1, False)
        if sz is None:
            break
        size, n2 = sz
        body = i + n1 + n2
        if size < 0 or body + size > end:
            size = end - body
        el = _Element(eid, i, body, size)
        if eid in _MKV_MASTERS:
            el.children = parse_ebml(data, body, body + size, depth + 1)
        out.append(el)
        i = body + size
    return out


def _ebml_all(elements: list[_Element], eid: int) -> list[_Element]:
    found = []
    for e in elements:
        if e.id == eid:
            found.append(e)
        found.extend(_ebml_all(e.children, eid))
    return found


def _put_uint(b: bytearray, el: _Element, value: int) -> None:
    if 0 < el.size <= 8:
        b[el.start : el.start + el.size] = (value % (1 << (8 * el.size))).to_bytes(el.size, "big")


def mkv_dimensions(data: bytes, rng: np.random.Generator) -> bytes:
    els = parse_ebml(data)
    b = bytearray(data)
    hit = False
    for eid in (0xB0, 0xBA, 0x54B0, 0x54BA):  # PixelWidth/Height, DisplayWidth/Height
        for el in _ebml_all(els, eid):
            _put_uint(b, el, int(rng.choice([0, 1, (1 << 64) - 1, 0xFFFF, 0xFF])))
            hit = True
    return bytes(b) if hit else _fallback(data, rng)


def mkv_timestamps(data: bytes, rng: np.random.Generator) -> bytes:
    """Cluster timestamps, block offsets (int16), duration (float), time scale: jumps, negatives."""
    els = parse_ebml(data)
    b = bytearray(data)
    op = int(rng.integers(0, 4))
    if op == 0:
        for el in _ebml_all(els, 0xE7):  # Cluster Timestamp
            if rng.random() < 0.5:
                _put_uint(b, el, int(rng.choice([0, 1, 0xFFFF, (1 << 63), (1 << 64) - 1])))
    elif op == 1:
        blocks = _ebml_all(els, 0xA3) + _ebml_all(els, 0xA1)  # SimpleBlock, Block
        for el in blocks:
            if el.size >= 4 and rng.random() < 0.3:
                o = el.start + 1  # after a one-byte track number
                b[o : o + 2] = struct.pack(">h", int(rng.integers(-32768, 32768)))
    elif op == 2:
        for el in _ebml_all(els, 0x4489):  # Duration (float)
            val = float(rng.choice([float("nan"), float("inf"), -1.0, 1e300, 0.0]))
            if el.size == 8:
                b[el.start : el.start + 8] = struct.pack(">d", val)
            elif el.size == 4:
                b[el.start : el.start + 4] = struct.pack(">f", val if abs(val) < 1e38 or val != val else float("inf"))
    else:
        for eid in (0x2AD7B1, 0x23E383):  # TimestampScale, DefaultDuration
            for el in _ebml_all(els, eid):
                _put_uint(b, el, int(rng.choice([0, 1, (1 << 64) - 1, 0x7FFFFFFF])))
    return bytes(b) if b != bytearray(data) else _fallback(data, rng)


def mkv_clusters(data: bytes) -> list[bytes] | None:
    """``data`` cut at the start of each Cluster (for shuffling whole clusters), or ``None``."""
    cuts = sorted(el.head for el in _ebml_all(parse_ebml(data), 0x1F43B675))
    if len(cuts) < 2:
        return None
    bounds = [0] + cuts + [len(data)]
    return [data[a:b] for a, b in zip(bounds, bounds[1:]) if b > a]


def _fallback(data: bytes, rng: np.random.Generator) -> bytes:
    from .fuzz import bitflip

    return bitflip(data, rng)


def video_mutators(kind: str) -> dict:
    """Name -> mutator for a video container kind ("mp4" covers MOV; "mkv" covers WebM)."""
    if kind == "mp4":
        return {
            "mp4_dimensions": mp4_dimensions,
            "mp4_counts": mp4_counts,
            "mp4_timestamps": mp4_timestamps,
            "mp4_sample_table": mp4_sample_table,
        }
    if kind == "mkv":
        return {"mkv_dimensions": mkv_dimensions, "mkv_timestamps": mkv_timestamps}
    return {}


# --- H.264 parameter sets --------------------------------------------------------------------
def _ue(bits: str, i: int) -> tuple[int, int]:
    z = 0
    while bits[i + z] == "0":
        z += 1
    return int(bits[i + z : i + 2 * z + 1], 2) - 1, i + 2 * z + 1


def _ue_bits(v: int) -> str:
    b = bin(v + 1)[2:]
    return "0" * (len(b) - 1) + b


def _unescape(nal: bytes) -> bytes:
    return nal.replace(b"\x00\x00\x03", b"\x00\x00")


def _escape(rbsp: bytes) -> bytes:
    out, zeros = bytearray(), 0
    for byte in rbsp:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def sps_with_size(sps: bytes, width_mbs: int, height_mbs: int) -> bytes:
    """An H.264 SPS NAL unit with ``pic_width_in_mbs`` / ``pic_height_in_map_units`` replaced."""
    raw = _unescape(sps)
    bits = "".join(f"{b:08b}" for b in raw)
    profile = raw[1]
    i = 32  # NAL header, profile, constraints, level
    _, i = _ue(bits, i)  # seq_parameter_set_id
    if profile in (100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135):
        chroma, i = _ue(bits, i)
        if chroma == 3:
            i += 1
        _, i = _ue(bits, i)
        _, i = _ue(bits, i)
        i += 1  # qpprime_y_zero_transform_bypass
        if bits[i] == "1":
            raise ValueError("SPS with scaling matrices is not handled")
        i += 1
    _, i = _ue(bits, i)  # log2_max_frame_num_minus4
    poc, i = _ue(bits, i)
    if poc == 0:
        _, i = _ue(bits, i)
    elif poc == 1:
        raise ValueError("pic_order_cnt_type 1 is not handled")
    _, i = _ue(bits, i)  # max_num_ref_frames
    i += 1  # gaps_in_frame_num_value_allowed_flag
    start = i
    _, i = _ue(bits, i)
    _, i = _ue(bits, i)
    rest = bits[i:].rstrip("0")  # ends with the stop bit
    new = bits[:start] + _ue_bits(width_mbs - 1) + _ue_bits(height_mbs - 1) + rest
    new += "0" * (-len(new) % 8)
    return raw[:1] + _escape(bytes(int(new[k : k + 8], 2) for k in range(8, len(new), 8)))


def mp4_h264_size(data: bytes, width: int, height: int) -> bytes:
    """The MP4's H.264 stream re-declared as ``width`` x ``height`` (multiples of 16) in its SPS
    (avcC), sample entry and track header: a decompression bomb the way a decoder sees it."""
    boxes = parse_boxes(data)
    for stsd in find_all(boxes or [], b"stsd"):
        p = stsd.payload
        if p[12:16] != b"avc1":
            continue
        entry_end = 8 + struct.unpack(">I", p[8:12])[0]
        kids = parse_boxes(p, 8 + 86, entry_end)
        for k in kids or []:
            if k.type == b"avcC":
                c = k.payload
                n = struct.unpack(">H", c[6:8])[0]
                sps = sps_with_size(c[8 : 8 + n], width // 16, height // 16)
                k.payload = c[:6] + struct.pack(">H", len(sps)) + sps + c[8 + n :]
        fields = bytearray(p[16 : 8 + 86])
        fields[24:28] = struct.pack(">HH", width & 0xFFFF, height & 0xFFFF)
        entry_body = bytes(fields) + b"".join(k.to_bytes() for k in kids or [])
        stsd.payload = p[:8] + struct.pack(">I4s", 8 + len(entry_body), b"avc1") + entry_body + p[entry_end:]
    for tk in find_all(boxes or [], b"tkhd"):
        off = 76 if tk.payload[:1] == b"\x00" else 88
        _put(tk, off, ">I", width << 16)
        _put(tk, off + 4, ">I", height << 16)
    return serialize(boxes, data) if boxes else data
