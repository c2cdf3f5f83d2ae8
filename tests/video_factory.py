"""Tiny synthetic clips made with PyAV, one builder per situation the video pipeline must handle.

Every clip shows a noisy grey background and, by default, a magenta square (the "face") moving
left to right; :class:`MagentaDetector` finds magenta squares, so tests run without a real model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Callable

import av
import cv2
import numpy as np

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
    container_tags: dict[str, str] | None = None,
    stream_tags: dict[str, str] | None = None,
    subtitles: bool = False,
    timecode: bool = False,
    klv: bool = False,
    attachment: bool = False,
    faststart: bool = False,
    keep_frames: bool = True,
) -> Clip:
    """Write a clip. ``pts`` (in ``time_base``) makes it variable frame rate."""
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
    for k, v in (stream_tags or {}).items():
        vs.metadata[k] = v
    if timecode:
        vs.metadata["timecode"] = "01:00:00:00"
    if rotation:
        vs.set_display_rotation(rotation)
    aus = None
    if audio:
        aus = out.add_stream("aac", rate=44100)
        aus.layout = "stereo"
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
        for packet in vs.encode(frame):
            out.mux(packet)
        if aus is not None:
            while samples_done < min(t + 0.1, audio_left) * 44100:
                tone = 0.2 * np.sin(2 * np.pi * 440 * (samples_done + np.arange(1024)) / 44100).astype(np.float32)
                af = av.AudioFrame.from_ndarray(np.stack([tone, tone]).reshape(1, -1), format="flt", layout="stereo")
                af.sample_rate = 44100
                af.pts = samples_done
                samples_done += 1024
                for packet in aus.encode(af):
                    out.mux(packet)
        if sub is not None and i % 10 == 0:
            text = b"Alice Smith speaking"
            data = len(text).to_bytes(2, "big") + text if sub_is_mov_text else text
            _mux_raw(out, sub, data, int(t * 1000), 300)
        if klv_s is not None and i % 10 == 0:
            _mux_raw(out, klv_s, b"\x06\x0e\x2b\x34GPS+48.8577+002.2950", int(t * 90000), 0, Fraction(1, 90000))
    for packet in vs.encode(None):
        out.mux(packet)
    if aus is not None:
        for packet in aus.encode(None):
            out.mux(packet)
    out.close()
    return clip


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


class MagentaDetector:
    """Finds magenta squares; optionally misses some frames (by call number) to test gap filling."""

    name = "magenta"

    def __init__(self, miss: set[int] | None = None):
        self.miss = miss or set()
        self.calls = 0
        self.shapes: list[tuple[int, int]] = []

    def detect(self, image: np.ndarray) -> Faces:
        i = self.calls
        self.calls += 1
        self.shapes.append(image.shape[:2])
        if i in self.miss:
            return Faces.empty()
        return Faces(magenta_boxes(image))


class UprightDetector:
    """Finds a magenta square only when a green square sits right BELOW it (an upright "face")."""

    name = "upright"

    def detect(self, image: np.ndarray) -> Faces:
        found = []
        greens = magenta_boxes(image, GREEN)
        for b in magenta_boxes(image):
            cx = (b[0] + b[2]) / 2
            for g in greens:
                if g[0] <= cx <= g[2] and abs(g[1] - b[3]) <= 3:
                    found.append(b)
        return Faces(np.asarray(found, np.float32).reshape(-1, 4))


class FailingDetector:
    """Raises on call ``at`` (a stage that fails mid-video)."""

    name = "failing"

    def __init__(self, at: int = 5):
        self.at = at
        self.calls = 0

    def detect(self, image: np.ndarray) -> Faces:
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
