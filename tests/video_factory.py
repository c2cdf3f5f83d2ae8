"""Tiny synthetic clips made with PyAV, one builder per situation the video pipeline must handle.

Every clip shows a noisy grey background and, by default, a magenta square (the "face") moving
left to right; :class:`MagentaDetector` finds magenta squares, so tests run without a real model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
from av.bitstream import BitStreamFilterContext

from unseen.detect.base import Detector
from unseen.detect.passes import Pass
from unseen.types import Faces

MAGENTA = (255, 0, 255)
GREEN = (0, 255, 0)

Draw = Callable[[int, float, int, int], np.ndarray]


def background(w: int, h: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = np.full((h, w, 3), 110, np.uint8)
    noise = rng.integers(-12, 13, (h, w, 1), dtype=np.int16)
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def moving_square(size: int | None = None, speed: float = 1.0) -> Draw:
    """A magenta square crossing the frame (left to right) once per clip."""

    def draw(i: int, t: float, w: int, h: int) -> np.ndarray:
        img = background(w, h)
        s = size or max(6, min(w, h) // 4)
        x = int((w - s) * min(1.0, (t * speed) % 1.0001))
        y = (h - s) // 2
        img[y : y + s, x : x + s] = MAGENTA
        return img

    return draw


def static_square(x: int, y: int, s: int, frames: set[int] | None = None) -> Draw:
    """A magenta square at a fixed place, shown only on ``frames`` (all when None)."""

    def draw(i: int, t: float, w: int, h: int) -> np.ndarray:
        img = background(w, h)
        if frames is None or i in frames:
            img[y : y + s, x : x + s] = MAGENTA
        return img

    return draw


def plain(i: int, t: float, w: int, h: int) -> np.ndarray:
    return background(w, h)


@dataclass
class Clip:
    """What a builder wrote, for the assertions."""

    path: Path
    width: int
    height: int
    pts: list[int]
    time_base: Fraction
    frames: list[np.ndarray] = field(default_factory=list)  # the RGB pictures encoded (stored orientation)


def make_clip(
    path: Path,
    *,
    width: int = 64,
    height: int = 48,
    n: int = 30,
    fps: int = 30,
    pts: list[int] | None = None,
    time_base: Fraction | None = None,
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    bframes: int = 2,
    draw: Draw | None = None,
    rotation: int = 0,
    audio: bool = False,
    audio_seconds: float | None = None,
    audio_codec: str = "aac",
    container_tags: dict[str, str] | None = None,
    stream_tags: dict[str, str] | None = None,
    subtitles: bool = False,
    timecode: bool = False,
    klv: bool = False,
    attachment: bool = False,
    faststart: bool = False,
    keep_frames: bool = True,
    sei: bool = True,
    gop: int | None = None,
) -> Clip:
    """Write a clip. ``pts`` (in ``time_base``) makes it variable frame rate. ``sei=False`` drops
    the SEI unit x264 writes (its version string), as unseen's own output does."""
    draw = draw or moving_square()
    tb = time_base or (Fraction(1, 1000) if pts is not None else Fraction(1, fps))
    pts = pts if pts is not None else [int(round(i / fps / tb)) for i in range(n)]
    options = {"movflags": "+faststart"} if faststart else {}
    out = av.open(str(path), "w", options=options)
    for k, v in (container_tags or {}).items():
        out.metadata[k] = v
    vs = out.add_stream(codec, rate=fps)
    vs.width, vs.height, vs.pix_fmt = width, height, pix_fmt
    vs.codec_context.time_base = tb
    vs.time_base = tb
    if codec == "libx264":
        vs.codec_context.max_b_frames = bframes
        vs.codec_context.options = {"preset": "ultrafast" if not bframes else "veryfast", "crf": "12"}
        if gop:
            vs.codec_context.gop_size = gop
    for k, v in (stream_tags or {}).items():
        vs.metadata[k] = v
    if timecode:
        vs.metadata["timecode"] = "01:00:00:00"
    if rotation:
        vs.set_display_rotation(rotation)
    aus = None
    if audio:
        aus = out.add_stream(audio_codec, rate=48000 if "opus" in audio_codec else 44100)
        aus.layout = "stereo"
        aus.format = aus.codec.audio_formats[0].name
        if audio_codec == "vorbis":
            aus.codec_context.options = {"strict": "experimental"}  # FFmpeg's own Vorbis encoder
        if stream_tags:
            for k, v in stream_tags.items():
                aus.metadata[k] = v
    sub = None
    sub_is_mov_text = path.suffix in (".mp4", ".mov")
    if subtitles:
        sub = out.add_mux_stream("mov_text" if path.suffix in (".mp4", ".mov") else "subrip")
        sub.time_base = Fraction(1, 1000)
    klv_s = out.add_data_stream("klv") if klv else None
    if attachment:
        out.add_attachment("font.ttf", "application/x-truetype-font", b"\x00\x01\x00\x00" + b"F" * 200)
        out.add_attachment("cover.jpg", "image/jpeg", _tiny_jpeg())
    clip = Clip(path, width, height, list(pts), tb)
    sei_filter = None

    def mux_video(packets: list[av.Packet]) -> None:
        nonlocal sei_filter
        for packet in packets:
            if sei or codec != "libx264":
                out.mux(packet)
                continue
            if sei_filter is None:
                sei_filter = BitStreamFilterContext("filter_units=remove_types=6", vs)
            for clean in sei_filter.filter(packet):
                out.mux(clean)

    duration = float(pts[-1] * tb) + 1 / fps if pts else 0.0
    audio_left = audio_seconds if audio_seconds is not None else duration
    samples_done = 0
    for i, p in enumerate(pts):
        t = float(p * tb)
        rgb = draw(i, t, width, height)
        if keep_frames:
            clip.frames.append(rgb)
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        frame.pts = p
        frame.time_base = tb
        mux_video(vs.encode(frame))
        if aus is not None:
            rate = aus.codec_context.sample_rate
            size = aus.codec_context.frame_size or 1024
            while samples_done < min(t + 0.1, audio_left) * rate:
                af = _tone(samples_done, size, rate, aus.format.name)
                af.pts = samples_done
                samples_done += size
                for packet in aus.encode(af):
                    out.mux(packet)
        if sub is not None and i % 10 == 0:
            text = b"Alice Smith speaking"
            data = len(text).to_bytes(2, "big") + text if sub_is_mov_text else text
            _mux_raw(out, sub, data, int(t * 1000), 300)
        if klv_s is not None and i % 10 == 0:
            _mux_raw(out, klv_s, b"\x06\x0e\x2b\x34GPS+48.8577+002.2950", int(t * 90000), 0, Fraction(1, 90000))
    mux_video(vs.encode(None))
    if sei_filter is not None:
        for packet in sei_filter.filter(None):
            out.mux(packet)
    if aus is not None:
        for packet in aus.encode(None):
            out.mux(packet)
    out.close()
    return clip


def _tone(start: int, n: int, rate: int, fmt: str) -> av.AudioFrame:
    """``n`` samples of a 440 Hz stereo tone in sample format ``fmt``."""
    tone = 0.2 * np.sin(2 * np.pi * 440 * (start + np.arange(n)) / rate)
    planar = np.stack([tone, tone])
    scale = {"s16": 32767, "s32": 2**31 - 1}.get(fmt.rstrip("p"), 1)
    dtype = {"s16": np.int16, "s32": np.int32}.get(fmt.rstrip("p"), np.float32)
    data = (planar * scale).astype(dtype)
    arr = data if fmt.endswith("p") else data.T.reshape(1, -1)
    af = av.AudioFrame.from_ndarray(np.ascontiguousarray(arr), format=fmt, layout="stereo")
    af.sample_rate = rate
    return af


def with_audio_private(src: Path, dst: Path, transform: Callable[[bytes], bytes]) -> Path:
    """Remux ``src`` with its audio stream's codec-private block replaced by ``transform(block)``
    (what a recorder that writes its name or the owner's into it leaves)."""
    with av.open(str(src)) as i:
        out = av.open(str(dst), "w")
        streams = {}
        for s in i.streams:
            t = out.add_stream_from_template(s)
            if s.type == "audio":
                t.codec_context.extradata = transform(bytes(s.codec_context.extradata or b""))
            streams[s.index] = t
        for p in i.demux():
            if not p.size:  # the demuxer's end-of-stream marker (Matroska gives B-frames no dts)
                continue
            p.stream = streams[p.stream.index]
            out.mux(p)
        out.close()
    return dst


def _mux_raw(out: av.container.OutputContainer, stream, data: bytes, pts: int, duration: int, tb: Fraction | None = None) -> None:
    p = av.Packet(data)
    p.stream = stream
    p.time_base = tb or stream.time_base
    p.pts = p.dts = pts
    p.duration = duration
    out.mux(p)


def _tiny_jpeg() -> bytes:
    ok, buf = cv2.imencode(".jpg", np.zeros((8, 8, 3), np.uint8))
    return buf.tobytes()


# --- pathological inputs ---------------------------------------------------------------------
def truncated(src: Path, dst: Path, keep: float = 0.6) -> Path:
    data = src.read_bytes()
    dst.write_bytes(data[: int(len(data) * keep)])
    return dst


def corrupt_frame(src: Path, dst: Path, frame: int = 12) -> Path:
    """Overwrite most of one video packet (not a keyframe) with garbage."""
    with av.open(str(src)) as c:
        packets = [(p.pos, p.size) for p in c.demux(video=0) if p.size]
    pos, size = packets[frame]
    data = bytearray(src.read_bytes())
    rng = np.random.default_rng(1)
    start = pos + min(4, size // 4)
    data[start : pos + size] = rng.integers(0, 256, pos + size - start, dtype=np.uint8).tobytes()
    dst.write_bytes(bytes(data))
    return dst


def zero_frames(path: Path) -> Path:
    """A container with a video stream and no frames."""
    out = av.open(str(path), "w")
    vs = out.add_stream("libx264", rate=30)
    vs.width, vs.height, vs.pix_fmt = 64, 48, "yuv420p"
    out.start_encoding()  # header (and trailer) with a video stream, but no frame
    out.close()
    return path


def audio_only(path: Path, seconds: float = 1.0) -> Path:
    out = av.open(str(path), "w")
    aus = out.add_stream("aac", rate=44100)
    aus.layout = "stereo"
    n = 0
    while n < seconds * 44100:
        af = av.AudioFrame.from_ndarray(np.zeros((1, 2048), np.float32), format="flt", layout="stereo")
        af.sample_rate = 44100
        af.pts = n
        n += 1024
        for p in aus.encode(af):
            out.mux(p)
    for p in aus.encode(None):
        out.mux(p)
    out.close()
    return path


# --- reading outputs -------------------------------------------------------------------------
def read_frames(path: Path) -> tuple[list[np.ndarray], list[float]]:
    """Decoded RGB frames (stored orientation) and their times in seconds."""
    frames, times = [], []
    with av.open(str(path)) as c:
        for f in c.decode(video=0):
            frames.append(f.to_ndarray(format="rgb24"))
            times.append(float(f.time))
    return frames, times


def packet_times(path: Path, kind: str = "video") -> list[float]:
    with av.open(str(path)) as c:
        s = c.streams.video[0] if kind == "video" else c.streams.audio[0]
        return sorted(float(p.pts * p.time_base) for p in c.demux(s) if p.pts is not None)


# --- fake detectors --------------------------------------------------------------------------
def magenta_boxes(rgb: np.ndarray, colour: tuple[int, int, int] = MAGENTA, min_area: int = 4) -> np.ndarray:
    c = np.asarray(colour, np.int16)
    diff = np.abs(rgb.astype(np.int16) - c).max(axis=2)
    mask = (diff < 70).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    boxes = [
        [x, y, x + w, y + h]
        for x, y, w, h, area in stats[1:]
        if area >= min_area
    ]
    return np.asarray(boxes, np.float32).reshape(-1, 4)


class MagentaDetector(Detector):
    """Finds magenta squares; optionally misses some frames (by call number) to test gap filling."""

    name = "magenta"

    def __init__(self, miss: set[int] | None = None):
        self.miss = miss or set()
        self.calls = 0
        self.shapes: list[tuple[int, int]] = []

    def detect(self, image: np.ndarray, passes: Sequence[Pass] | None = None) -> Faces:
        i = self.calls
        self.calls += 1
        self.shapes.append(image.shape[:2])
        if i in self.miss:
            return Faces.empty()
        return Faces(magenta_boxes(image))


class UprightDetector(Detector):
    """Finds a magenta square only when a green square sits right BELOW it (an upright "face")."""

    name = "upright"

    def detect(self, image: np.ndarray, passes: Sequence[Pass] | None = None) -> Faces:
        found = []
        greens = magenta_boxes(image, GREEN)
        for b in magenta_boxes(image):
            cx = (b[0] + b[2]) / 2
            for g in greens:
                if g[0] <= cx <= g[2] and abs(g[1] - b[3]) <= 3:
                    found.append(b)
        return Faces(np.asarray(found, np.float32).reshape(-1, 4))


class FailingDetector(Detector):
    """Raises on call ``at`` (a stage that fails mid-video)."""

    name = "failing"

    def __init__(self, at: int = 5):
        self.at = at
        self.calls = 0

    def detect(self, image: np.ndarray, passes: Sequence[Pass] | None = None) -> Faces:
        self.calls += 1
        if self.calls > self.at:
            raise RuntimeError("detector exploded")
        return Faces.empty()


def covered(rgb: np.ndarray, box: np.ndarray, dark: int = 45) -> float:
    """Share of the pixels of ``box`` that are (near) black: the solid cover."""
    x1, y1, x2, y2 = [int(round(v)) for v in box]
    patch = rgb[y1:y2, x1:x2]
    if patch.size == 0:
        return 1.0
    return float((patch.max(axis=2) <= dark).mean())


# --- side data in the bitstream ------------------------------------------------------------------
CAPTION_TEXT = b"ALICE SMITH"  # what the planted A/53 captions spell (CEA-608 byte pairs)
SEI_TEXT = b"owner=Alice Smith; serial=CAM-0042"  # planted unregistered SEI user data


def _sei_nal(payload_type: int, payload: bytes) -> bytes:
    """One H.264 SEI NAL unit (Annex B, with start code) holding one message."""
    body = bytearray([payload_type])
    size = len(payload)
    while size >= 255:
        body.append(255)
        size -= 255
    body.append(size)
    body += payload
    body.append(0x80)  # rbsp trailing bits
    out = bytearray()
    zeros = 0
    for b in body:  # emulation prevention
        if zeros >= 2 and b <= 3:
            out.append(3)
            zeros = 0
        out.append(b)
        zeros = zeros + 1 if b == 0 else 0
    return b"\x00\x00\x00\x01\x06" + bytes(out)


def _a53_payload(text: bytes) -> bytes:
    pairs = [text[i : i + 2].ljust(2, b"\x80") for i in range(0, len(text), 2)]
    cc = b"".join(b"\xfc" + bytes(c | 0x80 if bin(c).count("1") % 2 == 0 else c for c in pair) for pair in pairs)
    return b"\xb5\x00\x31GA94\x03" + bytes([0xC0 | len(pairs), 0xFF]) + cc + b"\xff"


def make_side_data_clip(path: Path, *, width: int = 64, height: int = 48, n: int = 12, fps: int = 30) -> Clip:
    """An H.264 clip (no face) whose every access unit carries A/53 captions spelling
    :data:`CAPTION_TEXT` and an unregistered SEI holding :data:`SEI_TEXT`, as a camera or
    broadcast recorder writes them; decoded frames carry both as side data."""
    out = av.open(str(path), "w")
    vs = out.add_stream("libx264", rate=fps)
    vs.width, vs.height, vs.pix_fmt = width, height, "yuv420p"
    vs.codec_context.options = {"preset": "ultrafast", "crf": "12"}
    tb = Fraction(1, fps)
    vs.codec_context.time_base = tb
    uuid = bytes(range(16))
    extra = _sei_nal(4, _a53_payload(CAPTION_TEXT)) + _sei_nal(5, uuid + SEI_TEXT)
    clip = Clip(path, width, height, list(range(n)), tb)

    def mux(packets: list[av.Packet]) -> None:
        for p in packets:
            q = av.Packet(extra + bytes(p))
            q.stream = vs
            q.time_base = p.time_base
            q.pts, q.dts = p.pts, p.dts
            q.is_keyframe = p.is_keyframe
            out.mux(q)

    for i in range(n):
        frame = av.VideoFrame.from_ndarray(plain(i, i / fps, width, height), format="rgb24")
        frame.pts = i
        frame.time_base = tb
        mux(vs.encode(frame))
    mux(vs.encode(None))
    out.close()
    return clip


def sei_units(path: Path) -> list[int]:
    """SEI NAL units (H.264 type 6) in the video packets of ``path`` (length-prefixed or Annex B)."""
    found = []
    with av.open(str(path)) as c:
        vs = c.streams.video[0]
        for i, p in enumerate(c.demux(vs)):
            data = bytes(p)
            if not data:
                continue
            if data[:4] == b"\x00\x00\x00\x01" or data[:3] == b"\x00\x00\x01":
                types = [data[m + 3] & 0x1F for m in range(len(data) - 3) if data[m : m + 3] == b"\x00\x00\x01"]
            else:
                types, pos = [], 0
                while pos + 4 < len(data):
                    size = int.from_bytes(data[pos : pos + 4], "big")
                    types.append(data[pos + 4] & 0x1F)
                    pos += 4 + size
            found += [i for t in types if t == 6]
    return found
