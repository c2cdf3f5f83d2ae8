"""Video input: probe a file, then demux once, decoding the video and handing other packets on.

``probe_video`` opens the container, checks that it holds a video stream unseen can decode and
returns a :class:`VideoInfo` (exact ``time_base``, stated frame count and duration, colour
properties, display rotation, every other stream and every tag, so the writer and the scrubber can
decide what to keep). :class:`VideoReader` then yields, in demux order, :class:`DecodedFrame` for
the video stream (with its exact ``pts``) and the untouched :class:`av.Packet` of each stream the
caller asked to pass through (audio by default). Nothing is decoded twice and nothing but the
current packet is held.

Damage is detected, not concealed: a packet the decoder rejects, a frame flagged corrupt, or a
stream that ends before the container's stated frame count or duration raises
:class:`unseen.errors.CorruptInput` naming the frame and time, unless ``allow_damaged`` is set,
in which case what decodes is used and the losses are listed in :attr:`VideoReader.damage`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.error

from ..errors import CorruptInput, InputNotFound, LimitExceeded, UnsupportedFormat

# Streams other than the main video, by what they are.
AUDIO, SUBTITLE, DATA, ATTACHMENT, COVER_ART, EXTRA_VIDEO = (
    "audio",
    "subtitle",
    "data",
    "attachment",
    "cover_art",
    "extra_video",
)


@dataclass(frozen=True)
class StreamInfo:
    """One input stream other than the main video."""

    index: int
    role: str  # AUDIO, SUBTITLE, DATA, ATTACHMENT, COVER_ART, EXTRA_VIDEO
    codec: str | None
    tags: dict[str, str]


@dataclass(frozen=True)
class VideoInfo:
    """What the input holds, as stated by its container (and the first decoded frame)."""

    path: Path
    format_name: str
    codec: str
    width: int
    height: int
    pix_fmt: str
    color_range: int
    colorspace: int
    color_primaries: int
    color_trc: int
    time_base: Fraction
    average_rate: Fraction | None
    stated_frames: int | None  # from the container header, when it says
    stated_duration: float | None  # seconds, video stream (else container)
    start_time: float  # seconds of the video stream's first pts
    rotation: int  # display rotation, degrees counter-clockwise (0, 90, 180, -90)
    stream_index: int
    container_tags: dict[str, str]
    video_tags: dict[str, str]
    others: tuple[StreamInfo, ...] = field(default_factory=tuple)
    chapters: int = 0
    max_pixels: int = 200_000_000  # the limit it was probed under (the reader keeps it)

    @property
    def fps(self) -> float:
        """Nominal frame rate (for buffers and progress; timestamps stay exact)."""
        r = self.average_rate
        return float(r) if r else 30.0

    def seconds(self, pts: int | None) -> float:
        return 0.0 if pts is None else float(pts * self.time_base)


@dataclass
class DecodedFrame:
    """One decoded video frame: its position, exact ``pts`` and the frame itself (not converted)."""

    index: int
    pts: int
    time: float
    frame: av.VideoFrame


Item = DecodedFrame | av.Packet


def where(index: int, time: float) -> str:
    return f"frame {index} ({time:.3f} s)"


def _tags(meta: Any) -> dict[str, str]:
    try:
        return {str(k): str(v) for k, v in dict(meta).items()}
    except Exception:  # a tag that cannot be decoded is still a tag: keep its presence visible
        return {"<undecodable>": "?"}


def _role(stream: Any) -> str:
    t = stream.type
    if t == "audio":
        return AUDIO
    if t == "subtitle":
        return SUBTITLE
    if t == "attachment":
        return ATTACHMENT
    if t == "video":
        return COVER_ART if stream.disposition & av.stream.Disposition.attached_pic else EXTRA_VIDEO
    return DATA


def _open(path: Path, max_pixels: int | None = None) -> Any:
    """Open for reading; ``max_pixels`` is also handed to FFmpeg so that probing the streams never
    decodes a picture bigger than the limit (a forged 16000x16000 SPS would cost ~700 MB)."""
    if not path.exists():
        raise InputNotFound("no such file", path=path)
    if not path.is_file():
        raise InputNotFound("not a regular file", path=path)
    if path.stat().st_size == 0:
        raise CorruptInput("file is empty (0 bytes)", path=path)
    options = {"max_pixels": str(max_pixels)} if max_pixels else None
    try:
        return av.open(str(path), "r", metadata_errors="replace", options=options)
    except av.error.FileNotFoundError as exc:
        raise InputNotFound("no such file", path=path) from exc
    except (av.error.InvalidDataError, av.error.EOFError) as exc:
        raise CorruptInput(
            f"not a readable video container (truncated or damaged?): {exc.strerror or exc}", path=path
        ) from exc
    except av.error.FFmpegError as exc:
        raise UnsupportedFormat(f"cannot open as video: {exc.strerror or exc}", path=path) from exc


def _main_video(container: Any, path: Path) -> Any:
    pictures = [s for s in container.streams.video if not (s.disposition & av.stream.Disposition.attached_pic)]
    candidates = [s for s in pictures if s.codec_context is not None]
    if not candidates:
        if pictures:
            raise UnsupportedFormat("the video stream's codec is not one this FFmpeg knows", path=path)
        kinds = sorted({s.type for s in container.streams}) or ["nothing"]
        raise UnsupportedFormat(f"no video stream (holds {', '.join(kinds)})", path=path)
    # The largest picture is the main video; ties go to the first.
    return max(candidates, key=lambda s: ((s.codec_context.width or 0) * (s.codec_context.height or 0), -s.index))


def _first_rotation(path: Path, index: int, max_pixels: int) -> int:
    """Display rotation of the first decodable frame (it is carried as frame side data)."""
    try:
        with av.open(str(path), "r", metadata_errors="replace", options={"max_pixels": str(max_pixels)}) as c:
            s = c.streams[index]
            s.thread_type = "AUTO"
            for packet in c.demux(s):
                try:
                    for f in packet.decode():
                        return int(round(f.rotation or 0))
                except av.error.FFmpegError:
                    continue
    except av.error.FFmpegError:
        return 0
    return 0


def probe_video(path: Path, *, max_pixels: int = 200_000_000) -> VideoInfo:
    """Open ``path`` and describe it; raises an :class:`unseen.errors.InputError` when unusable."""
    container = _open(path, max_pixels)
    try:
        vs = _main_video(container, path)
        cc = vs.codec_context
        if cc.codec is None or not cc.codec.is_decoder:
            raise UnsupportedFormat(f"video codec {cc.name!r} cannot be decoded by this FFmpeg", path=path)
        w, h = int(cc.width or 0), int(cc.height or 0)
        if w <= 0 or h <= 0:
            raise CorruptInput(f"video stream states no picture size ({w}x{h})", path=path)
        if w * h > max_pixels:
            raise LimitExceeded(f"frames of {w}x{h} exceed the limit of {max_pixels} pixels (max_pixels)", path=path)
        tb = Fraction(vs.time_base) if vs.time_base else Fraction(1, 90000)
        stated_frames = int(vs.frames) if vs.frames and vs.frames > 0 else None
        start_time = float((vs.start_time or 0) * tb)
        if vs.duration is not None and vs.duration > 0:
            stated_duration: float | None = float(vs.duration * tb)
        elif container.duration is not None and container.duration > 0:
            stated_duration = container.duration / av.time_base
            if container.format.name == "matroska,webm" and stated_duration > start_time > 0:
                # Matroska states where the segment ends, counted from time 0 (FFmpeg writes the
                # last block's end), not how long the video lasts after its first timestamp.
                stated_duration -= start_time
        else:
            stated_duration = None
        rate = vs.average_rate or vs.guessed_rate or vs.base_rate
        others = tuple(
            StreamInfo(
                s.index,
                _role(s),
                getattr(s.codec_context, "name", None) if s.codec_context else None,
                _tags(s.metadata),
            )
            for s in container.streams
            if s.index != vs.index
        )
        try:
            chapters = len(container.chapters())
        except Exception:
            chapters = 0
        info = VideoInfo(
            path=path,
            format_name=container.format.name,
            codec=cc.name,
            width=w,
            height=h,
            pix_fmt=cc.pix_fmt or "yuv420p",
            color_range=int(cc.color_range or 0),
            colorspace=int(cc.colorspace or 2),
            color_primaries=int(cc.color_primaries or 2),
            color_trc=int(cc.color_trc or 2),
            time_base=tb,
            average_rate=Fraction(rate) if rate else None,
            stated_frames=stated_frames,
            stated_duration=stated_duration,
            start_time=start_time,
            rotation=0,
            stream_index=vs.index,
            container_tags=_tags(container.metadata),
            video_tags=_tags(vs.metadata),
            others=others,
            chapters=chapters,
            max_pixels=max_pixels,
        )
    finally:
        container.close()
    rotation = _first_rotation(path, info.stream_index, max_pixels)
    return VideoInfo(**{**info.__dict__, "rotation": rotation})


class VideoReader:
    """Demux ``info.path`` once: decoded video frames plus the packets of ``passthrough`` streams.

    Iterate :meth:`items`. Call :meth:`close` (or use ``with``) when done.
    """

    def __init__(self, info: VideoInfo, *, passthrough: Iterable[int] = (), allow_damaged: bool = False):
        self.info = info
        self.passthrough = frozenset(passthrough)
        self.allow_damaged = allow_damaged
        self.damage: list[str] = []  # what was lost, when allow_damaged
        self.notes: list[str] = []  # oddities that lose nothing
        self.frames_decoded = 0
        self._container = _open(info.path, info.max_pixels)
        self.input_streams = {s.index: s for s in self._container.streams}

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._container.close()

    def damaged(self, reason: str, index: int, time: float) -> None:
        """Raise ``CorruptInput`` at ``index``/``time``, or record it when damage is allowed."""
        if not self.allow_damaged:
            raise CorruptInput(reason, path=self.info.path, where=where(index, time))
        self.damage.append(f"{where(index, time)}: {reason}")

    def items(self) -> Iterator[Item]:
        """Yield frames and passthrough packets in demux order; check completeness at the end."""
        info = self.info
        vs = self._container.streams[info.stream_index]
        vs.thread_type = "AUTO"
        wanted = [vs] + [self._container.streams[i] for i in sorted(self.passthrough)]
        last_time = info.start_time
        packets = 0
        try:
            for packet in self._container.demux(wanted):
                if packet.stream.index != info.stream_index:
                    if packet.dts is not None and packet.size:
                        yield packet
                    continue
                if packet.size:
                    packets += 1
                    if packet.is_corrupt:
                        self.damaged("packet flagged corrupt by the demuxer", self.frames_decoded, last_time)
                try:
                    frames = packet.decode()
                except av.error.FFmpegError as exc:
                    # Name the damaged packet itself: its place in the stream and its own time.
                    at = info.seconds(packet.pts) if packet.pts is not None else last_time
                    self.damaged(f"undecodable video data ({exc.strerror or exc})", max(packets - 1, 0), at)
                    continue
                for frame in frames:
                    yield from self._frame(frame)
                    last_time = info.seconds(frame.pts)
        except av.error.FFmpegError as exc:
            # The demuxer itself failed (cut-off file, broken index): nothing after this is readable.
            self.damaged(f"reading stopped: {exc.strerror or exc}", self.frames_decoded, last_time)
        self._check_complete(last_time)

    def _frame(self, frame: av.VideoFrame) -> Iterator[DecodedFrame]:
        info = self.info
        index = self.frames_decoded
        if frame.pts is None:
            self.damaged("decoded frame has no timestamp", index, 0.0)
            return
        t = info.seconds(frame.pts)
        if frame.is_corrupt:
            self.damaged("frame decoded with errors (corrupt data)", index, t)
            if not self.allow_damaged:
                return
        if frame.width != info.width or frame.height != info.height:
            raise UnsupportedFormat(
                f"picture size changes mid-stream ({info.width}x{info.height} -> {frame.width}x{frame.height})",
                path=info.path,
                where=where(index, t),
            )
        self.frames_decoded += 1
        yield DecodedFrame(index, int(frame.pts), t, frame)

    def _check_complete(self, last_time: float) -> None:
        info = self.info
        n = self.frames_decoded
        if n == 0:
            raise CorruptInput("no video frame could be decoded (zero-length or damaged video)", path=info.path)
        short_in_time = False
        end = None
        if info.stated_duration is not None:
            end = info.start_time + info.stated_duration
            short_in_time = last_time + max(3.0 / info.fps, 0.25) < end
        if info.stated_frames is not None and n < info.stated_frames:
            if short_in_time or end is None:
                self.damaged(
                    f"only {n} of the {info.stated_frames} frames the container states could be decoded (truncated?)",
                    n,
                    last_time,
                )
            else:
                # The video reaches its stated end: frames outside an edit list, not lost ones.
                self.notes.append(f"{info.stated_frames - n} frame(s) the container lists lie outside its edit list")
        elif short_in_time:
            self.damaged(
                f"video stops at {last_time:.3f} s but the container states {end:.3f} s (truncated?)",
                n,
                last_time,
            )


__all__ = [
    "VideoInfo",
    "StreamInfo",
    "DecodedFrame",
    "VideoReader",
    "probe_video",
    "where",
    "AUDIO",
    "SUBTITLE",
    "DATA",
    "ATTACHMENT",
    "COVER_ART",
    "EXTRA_VIDEO",
]
