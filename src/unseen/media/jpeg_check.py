"""Tell a damaged JPEG from a whole one: Pillow decodes both without a word.

libjpeg, under Pillow, goes on past junk in the entropy-coded data (it only *warns* "Corrupt JPEG
data", and Pillow silences warnings) and decodes a progressive JPEG whose later scans are missing
into a blurred picture, as long as the file ends with an EOI marker. Either way a garbled or
blurred photo would be anonymized and written as if nothing were wrong. Two checks find them:

* **Structure** (:func:`structural_damage`), from the markers alone (as the container walker,
  :mod:`unseen.media.containers.jpeg`, yields them): every scan's entropy-coded
  segment must end at a marker, restart markers must come in order (RST0..RST7, repeating) and as
  many as the restart interval implies, an EOI must end the image, every component must be coded,
  and in a progressive JPEG every coefficient of every component must reach full precision (a
  scan with Al = 0 covering it): scans cut off leave the picture blurred.
* **Entropy data** (:func:`entropy_damage`): the file is decoded again by OpenCV's libjpeg at 1/8
  scale (the Huffman decoding, where damage shows, is done in full; little memory, a fraction of a
  full decode's time) with file descriptor 2 captured, and libjpeg's damage warnings ("Corrupt
  JPEG data: ...", "Premature end of JPEG file", "Inconsistent progression sequence ...") are
  returned. Harmless warnings (an unknown JFIF revision, an unknown Adobe transform) are not damage.

Junk that happens to decode as valid Huffman codes cannot be told from a picture by any decoder;
it is not found here either. Whether OpenCV's decoder reports its warnings at all (a build could
silence them, as Pillow's does) is probed once per process on a JPEG damaged on purpose
(:func:`entropy_check_works`); where it does not, the reader refuses JPEGs unless told otherwise.
"""

from __future__ import annotations

import functools
import io
import struct

import numpy as np

from .c_stderr import captured_fd2
from .containers import jpeg
from .containers.jpeg import JpegWalk
from .containers.record import Damage

_DAMAGE_WORDS = (
    "corrupt jpeg data",
    "premature end of jpeg file",
    "inconsistent progression",
    "invalid sos parameters",
)


def jpeg_damage(data: bytes) -> str | None:
    """Why the JPEG in ``data`` is damaged (one short phrase), or ``None`` if it looks whole."""
    return structural_damage(data) or entropy_damage(data)


def structural_damage(data: bytes) -> str | None:
    """A missing/out-of-order restart marker, a missing EOI, a component never coded, or (progressive)
    coefficients never refined to full precision; ``None`` if the marker structure is whole."""
    frame: dict | None = None
    restart = 0
    coded: dict[int, list[int]] = {}  # component id -> per coefficient 0..63: 1 once refined to Al=0
    scan: _Scan | None = None  # the scan whose entropy-coded data the walk is in
    walk = JpegWalk(data, restarts=True)
    for rec in walk:
        marker = rec.kind
        if jpeg.is_rst(marker):
            if scan is None:
                return f"a stray restart marker RST{marker - 0xD0} at offset {rec.offset}"
            why = scan.restart_marker(marker, rec.offset)
            if why:
                return why
            continue
        if scan is not None:  # this marker ends the scan's data
            why, scan = scan.count_problem(), None
            if why:
                return why
        if marker in jpeg.SOF:
            frame = _frame(marker, rec.payload())
            if frame is None:
                return "an unreadable frame header"
            coded = {c: [0] * 64 for c in frame["ids"]}
        elif marker == jpeg.DRI and rec.length >= 2:
            restart = struct.unpack_from(">H", rec.payload())[0]
        elif marker == jpeg.SOS:
            if frame is None:
                return "a scan before the frame header"
            header = _scan(rec.payload())
            if header is None or any(c not in coded for c in header["ids"]):
                return "an unreadable scan header"
            scan = _Scan(_expected_restarts(frame, header["ids"], restart))
            lo, hi = (header["ss"], header["se"]) if frame["progressive"] else (0, 63)
            if header["al"] == 0:
                for c in header["ids"]:
                    for k in range(lo, min(hi, 63) + 1):
                        coded[c][k] = 1
    problem = walk.problem
    if problem is not None and problem.damage is Damage.DATA_TRUNCATED:
        return "the file ends inside the image data (no end-of-image marker)"
    if scan is not None:  # the scan's data ended at EOI or at a marker that could not be read
        why = scan.count_problem()
        if why:
            return why
    if problem is not None:
        return _WALK_DAMAGE[problem.damage].format(offset=problem.offset)
    if frame is None:
        return "no frame header before the end-of-image marker"
    for c, ks in coded.items():
        if frame["progressive"] and not all(ks):
            return (
                f"progressive scans missing: {ks.count(0)} of 64 coefficients of component {c} never reach "
                "full precision (the picture would be blurred)"
            )
        if not all(ks):
            return f"component {c} is never coded (its scan is missing)"
    return None


_WALK_DAMAGE = {
    Damage.TRUNCATED: "the file ends before the end-of-image marker (EOI)",
    Damage.NOT_A_RECORD: "bytes where a marker belongs at offset {offset}",
    Damage.HEADER_TRUNCATED: "the file ends inside a marker segment",
    Damage.OVERRUN: "a marker segment cut short at offset {offset}",
}


class _Scan:
    """The restart markers of one scan's entropy-coded data: in order, and as many as belong."""

    def __init__(self, expected: int | None) -> None:
        self.expected = expected  # None: unknown (the height comes later, in a DNL segment)
        self.seen = 0

    def restart_marker(self, marker: int, offset: int) -> str | None:
        if marker - 0xD0 != self.seen % 8:
            want = self.seen % 8
            return f"restart marker RST{marker - 0xD0} where RST{want} belongs (data lost before offset {offset})"
        self.seen += 1
        return None

    def count_problem(self) -> str | None:
        if self.expected is not None and self.seen != self.expected:
            return f"{self.seen} restart markers in a scan where {self.expected} belong (data lost)"
        return None


def _frame(marker: int, seg: bytes) -> dict | None:
    if len(seg) < 6:
        return None
    _, h, w, nc = struct.unpack_from(">BHHB", seg)
    if len(seg) < 6 + 3 * nc or nc < 1 or w < 1:
        return None
    comps = {seg[6 + 3 * i]: (seg[7 + 3 * i] >> 4, seg[7 + 3 * i] & 15) for i in range(nc)}
    return {"progressive": marker in jpeg.SOF_PROGRESSIVE, "w": w, "h": h, "ids": list(comps), "sampling": comps}


def _scan(seg: bytes) -> dict | None:
    if not seg:
        return None
    ns = seg[0]
    if len(seg) < 1 + 2 * ns + 3 or ns < 1:
        return None
    ids = [seg[1 + 2 * i] for i in range(ns)]
    ss, se, a = seg[1 + 2 * ns], seg[2 + 2 * ns], seg[3 + 2 * ns]
    return {"ids": ids, "ss": ss, "se": se, "ah": a >> 4, "al": a & 15}


def _expected_restarts(frame: dict, ids: list[int], interval: int) -> int | None:
    """How many RST markers a scan of ``ids`` holds with restart ``interval`` (None: unknown)."""
    if interval == 0 or frame["h"] == 0:  # height 0: given later by a DNL marker
        return 0 if interval == 0 else None
    hmax = max(s[0] for s in frame["sampling"].values()) or 1
    vmax = max(s[1] for s in frame["sampling"].values()) or 1
    if len(ids) == 1:  # a non-interleaved scan: one block per MCU, of that component's size
        hs, vs = frame["sampling"][ids[0]]
        cw, ch = -(-frame["w"] * hs // hmax), -(-frame["h"] * vs // vmax)
        mcus = -(-cw // 8) * -(-ch // 8)
    else:
        mcus = -(-frame["w"] // (8 * hmax)) * -(-frame["h"] // (8 * vmax))
    return max(0, -(-mcus // interval) - 1)


def entropy_damage(data: bytes) -> str | None:
    """libjpeg's damage warnings for ``data`` (decoded by OpenCV at 1/8 scale), or ``None``."""
    import cv2

    buf = np.frombuffer(data, np.uint8)
    with captured_fd2() as said:
        decoded = cv2.imdecode(buf, cv2.IMREAD_REDUCED_GRAYSCALE_8 | cv2.IMREAD_IGNORE_ORIENTATION)
    damage = [line for line in said if any(w in line.lower() for w in _DAMAGE_WORDS)]
    if damage:
        return f"damaged image data (libjpeg: {damage[0][:120]})"
    if decoded is None:
        return "libjpeg cannot decode the image data"
    return None


@functools.lru_cache(maxsize=1)
def entropy_check_works() -> bool:
    """Whether :func:`entropy_damage` can see libjpeg's warnings here: it must find the damage in a
    small JPEG spoiled on purpose (a run of junk in its image data)."""
    from PIL import Image

    yy, xx = np.mgrid[0:64, 0:64]
    buf = io.BytesIO()
    Image.fromarray(np.stack([xx * 4, yy * 4, (xx + yy) * 2], -1).astype(np.uint8)).save(buf, "JPEG", quality=90)
    data = bytearray(buf.getvalue())
    start = data.index(b"\xff\xda") + 30
    data[start : start + 100] = b"\x55" * 100
    return entropy_damage(bytes(data)) is not None
