"""Video output: encode covered frames with their original timestamps, pass other packets through.

One :class:`VideoWriter` writes one (temporary) file. The video is re-encoded (H.264 with libx264,
or VP9 for WebM) at the input's width, height, pixel format where the encoder allows it, colour
range/space, display rotation and exact ``pts``. Streams named in ``passthrough`` are copied packet
for packet; an audio codec the output container cannot hold is re-encoded (and the writer says so
in :attr:`notes`). Nothing else of the input is carried: container and stream tags start empty, so
metadata is an allow-list by construction (``unseen.scrub.container`` checks the result).

Nothing of the input reaches the encoder beside the pictures and their times: frame side data
(A/53 captions, unregistered SEI such as a camera's own strings, timecodes) is dropped from every
frame (:func:`without_side_data`), every encoder is told not to write captions, timecodes or user
SEI, and the SEI units an H.264/HEVC encoder writes by itself (x264's version and options string)
are removed from its packets (``filter_units``), so the video bitstream holds parameter sets and
pictures only.
"""

from __future__ import annotations

import threading
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.error
import numpy as np
from av.bitstream import BitStreamFilterContext
from av.video.reformatter import VideoReformatter

from ..errors import (
    ConfigError,
    CorruptInput,
    ModelError,
    OutputNotWritable,
    PipelineError,
    UnsupportedFormat,
)
from ..scrub.audio_config import clean_extradata
from ..settings import MAX_CRF, Settings
from .video_reader import VideoInfo, where

# Output suffix -> FFmpeg muxer. Anything else is written as MP4.
CONTAINERS: dict[str, str] = {
    ".mp4": "mp4",
    ".m4v": "mp4",
    ".mov": "mov",
    ".mkv": "matroska",
    ".webm": "webm",
    ".avi": "avi",
    ".ts": "mpegts",
    ".mts": "mpegts",
    ".m2ts": "mpegts",
}

# x264 preset -> (libvpx deadline, cpu-used) for VP9.
_VP9_SPEED = {
    "ultrafast": ("realtime", 8),
    "superfast": ("realtime", 7),
    "veryfast": ("realtime", 6),
    "faster": ("good", 5),
    "fast": ("good", 4),
    "medium": ("good", 3),
    "slow": ("good", 2),
    "slower": ("good", 1),
    "veryslow": ("good", 0),
    "placebo": ("best", 0),
}
X264_PRESETS = tuple(_VP9_SPEED)

_MATRICES = (1, 5, 6, 9)  # BT.709, BT.470BG, SMPTE 170M, BT.2020: matrices swscale can apply


def _matrix(info: VideoInfo) -> int | None:
    return info.colorspace if info.colorspace in _MATRICES else None


def _range(info: VideoInfo) -> int:
    return 2 if info.color_range == 2 or info.pix_fmt.startswith("yuvj") else 1


_local = threading.local()


def _reformatter() -> VideoReformatter:
    r = getattr(_local, "reformatter", None)
    if r is None:
        r = _local.reformatter = VideoReformatter()
    return r


def to_rgb(frame: av.VideoFrame, info: VideoInfo) -> np.ndarray:
    """Decoded frame -> ``(H, W, 3)`` uint8 RGB, with the same matrix and range :func:`from_rgb` uses.

    One converter per thread, not ``frame.to_ndarray(format=...)``: that caches a scaler context on
    the frame itself, and every frame waiting in the look-ahead window kept its own (~290 KB for a
    32x32 frame, ~0.5 MB at 720p; 3000 frames 1 us apart peaked at 957 MB, now 110 MB).
    """
    rgb = _reformatter().reformat(frame, format="rgb24", src_colorspace=_matrix(info), src_color_range=_range(info))
    return rgb.to_ndarray()


def from_rgb(rgb: np.ndarray, info: VideoInfo, pix_fmt: str) -> av.VideoFrame:
    """``(H, W, 3)`` RGB -> a frame in ``pix_fmt``, inverse of :func:`to_rgb`."""
    f = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
    return f.reformat(format=pix_fmt, dst_colorspace=_matrix(info), dst_color_range=_range(info))


PLANAR_420 = ("yuv420p", "yuvj420p")  # formats whose I420 buffer a solid cover is painted on directly


def fill_yuv(fill: tuple[int, int, int], info: VideoInfo, pix_fmt: str) -> tuple[int, int, int]:
    """The solid fill ``fill`` (RGB) as ``pix_fmt`` (a 4:2:0 format) codes it: the same conversion
    :func:`from_rgb` applies, so a cover painted on the planes has the colour the RGB path gives."""
    rgb = np.empty((16, 16, 3), np.uint8)
    rgb[:] = fill
    a = from_rgb(rgb, info, pix_fmt).to_ndarray()  # I420: 16 Y rows, then U (4 rows), V (4 rows)
    return int(a[8, 8]), int(a[17, 8]), int(a[21, 8])


def container_for(suffix: str) -> str | None:
    """The muxer for an output suffix, or ``None`` when unseen does not write that container."""
    return CONTAINERS.get(suffix.lower())


def has_encoder(name: str) -> bool:
    try:
        av.codec.Codec(name, "w")
    except Exception:
        return False
    return True


def video_encoder_for(container: str, requested: str = "auto") -> str:
    """libx264 everywhere; VP9 (libvpx) for WebM, which cannot hold H.264; or the one asked for."""
    if requested != "auto":
        if container == "webm":
            raise ConfigError(f"WebM cannot hold {requested} video; write .mp4 or .mkv, or use --video-encoder auto")
        if not has_encoder(requested):
            raise ConfigError(f"this FFmpeg has no {requested} encoder; use --video-encoder auto")
        return requested
    if container == "webm":
        if has_encoder("libvpx-vp9"):
            return "libvpx-vp9"
        raise UnsupportedFormat("this FFmpeg has no VP9 encoder (libvpx-vp9) for WebM output; write .mp4 or .mkv")
    if not has_encoder("libx264"):
        raise UnsupportedFormat("this FFmpeg has no H.264 encoder (libx264)")
    return "libx264"


# x264 preset names -> NVENC presets (p1 fastest ... p7 best)
_NVENC_PRESET = {
    "ultrafast": "p1",
    "superfast": "p1",
    "veryfast": "p2",
    "faster": "p3",
    "fast": "p4",
    "medium": "p5",
    "slow": "p6",
    "slower": "p7",
    "veryslow": "p7",
    "placebo": "p7",
}


def encoder_options(encoder: str, preset: str, crf: int) -> dict[str, str]:
    """Options for ``encoder``: quality and speed, and every input-data pass-through turned off.

    FFmpeg's x264 and NVENC wrappers copy A/53 closed captions from the frames by default
    (``a53cc``), NVENC also SMPTE 12M timecodes (``s12m_tc``); both can write unregistered SEI
    (``udu_sei``). Frames reach the encoder without side data anyway (:func:`without_side_data`);
    these keep it so whatever a future frame carries."""
    # Settings validates both (crf 0 to MAX_CRF, the presets of EncoderPreset); this guards direct callers.
    if preset not in _VP9_SPEED or not (0 <= crf <= MAX_CRF):
        raise ConfigError(
            f"encoder_preset must be one of {', '.join(_VP9_SPEED)} and crf 0 to {MAX_CRF}; got {preset!r} and {crf}"
        )
    if encoder == "libx264":
        return {"crf": str(crf), "preset": preset, "a53cc": "0", "udu_sei": "0"}
    if encoder.endswith("_nvenc"):
        # Constant quality like x264's crf: variable bitrate with a cq target and no cap. NVENC's cq
        # is 0-51 like crf, but reads 0 as "automatic": the best quality it takes is 1.
        return {
            "preset": _NVENC_PRESET[preset],
            "rc": "vbr",
            "cq": str(max(crf, 1)),
            "b": "0",
            "a53cc": "0",
            "s12m_tc": "0",
            "udu_sei": "0",
        }
    deadline, cpu = _VP9_SPEED[preset]
    # VP9's crf runs 0-63: ours + 13, capped at 63 (libvpx refuses more).
    return {"crf": str(min(crf + 13, 63)), "b": "0", "deadline": deadline, "cpu-used": str(cpu), "row-mt": "1"}


# Codecs a muxer lists but refuses when writing (FFmpeg's MOV mode: "only supported in MP4").
_MUXER_REFUSES = {"mov": ("flac", "opus")}

# Encoder -> the SEI NAL unit types of its codec (H.264: 6; HEVC: prefix and suffix SEI, 39 and
# 40), dropped from its packets.
_SEI_UNITS = {"libx264": "6", "h264_nvenc": "6", "hevc_nvenc": "39|40"}


def without_side_data(frame: av.VideoFrame) -> av.VideoFrame:
    """``frame`` itself when it carries no side data, else a copy of its pictures without any.

    A decoded frame brings the input's side data (A/53 captions, unregistered SEI, timecodes,
    HDR and display metadata) and ``reformat`` keeps it; PyAV cannot delete it, so the planes are
    copied into a fresh frame (only frames that carry some: typically the first of a clip)."""
    if not len(frame.side_data):
        return frame
    fresh = av.VideoFrame(frame.width, frame.height, frame.format.name)
    for src, dst in zip(frame.planes, fresh.planes, strict=True):
        rows = min(src.height, dst.height)
        width = min(src.line_size, dst.line_size)
        a = np.frombuffer(memoryview(src), np.uint8)[: rows * src.line_size].reshape(rows, src.line_size)
        b = np.frombuffer(memoryview(dst), np.uint8)[: rows * dst.line_size].reshape(rows, dst.line_size)
        b[:, :width] = a[:, :width]
    fresh.color_range = frame.color_range
    fresh.colorspace = frame.colorspace
    fresh.color_primaries = frame.color_primaries
    fresh.color_trc = frame.color_trc
    return fresh


def choose_pix_fmt(encoder: str, info: VideoInfo) -> str:
    """Keep the input's pixel format where the encoder can; else the nearest it can."""
    formats = [f.name for f in (av.codec.Codec(encoder, "w").video_formats or ())]
    src = info.pix_fmt
    odd = info.width % 2 or info.height % 2
    if encoder == "libx264" and odd:
        # x264 cannot code odd sizes in 4:2:0/4:2:2; 4:4:4 keeps the exact size.
        return "yuv444p10le" if "10" in src else "yuv444p"
    if src in formats and not src.startswith("nv"):
        return src
    if "10" in src or "12" in src:
        for cand in ("yuv420p10le", "yuv444p10le"):
            if cand in formats:
                return cand
    if src.startswith(("yuv444", "gbr", "rgb", "bgr")) and "yuv444p" in formats:
        return "yuv444p"
    if src.startswith("yuv422") and "yuv422p" in formats:
        return "yuv422p"
    return "yuv420p"


class VideoWriter:
    """Encode frames and mux packets into ``path``; call :meth:`close` to finish, :meth:`abort` on error."""

    def __init__(
        self,
        path: Path,
        info: VideoInfo,
        settings: Settings,
        *,
        input_streams: dict[int, Any],
        passthrough: list[int],
    ):
        self.path = path
        self.info = info
        self.notes: list[str] = []
        self.damage: list[str] = []  # passthrough packets dropped (only when allow_damaged)
        self.allow_damaged = settings.allow_damaged
        self._last_dts: dict[int, int] = {}
        self.frames_written = 0
        self.written_pts: list[int] = []  # input-time_base pts of every frame encoded, in order
        self._sei_filter: BitStreamFilterContext | None = None
        self._avi_tick: int | None = None  # AVI: the frame slot of the last frame written
        self.first_times: dict[int, float] = {}  # output stream index -> earliest copied timestamp (s)
        self._first_dts: dict[int, float] = {}  # output stream index -> earliest decode time muxed (s)
        fmt = container_for(path.suffix)
        if fmt is None:
            raise UnsupportedFormat(f"unseen does not write {path.suffix!r} files", path=path)
        self.format = fmt
        self.encoder = video_encoder_for(fmt, settings.video_encoder)
        self.pix_fmt = choose_pix_fmt(self.encoder, info)
        if self.pix_fmt != info.pix_fmt and not (info.pix_fmt == "yuvj420p" and self.pix_fmt == "yuv420p"):
            self.notes.append(f"pixel format {info.pix_fmt} written as {self.pix_fmt} (the encoder's nearest)")
        try:
            self._out = av.open(str(path), "w", format=fmt, options={"fflags": "+bitexact"})
        except av.error.FFmpegError as exc:
            raise OutputNotWritable(f"cannot create the output file: {exc}", path=path) from exc
        try:
            self._video = self._add_video(settings)
            self._map: dict[int, Any] = {}
            self._transcode: dict[int, tuple[Any, Any]] = {}
            for idx in passthrough:
                self._add_passthrough(input_streams[idx])
        except BaseException:
            self.abort()
            raise

    # --- setup -----------------------------------------------------------------------------
    def _add_video(self, settings: Settings) -> Any:
        info = self.info
        rate = info.average_rate if info.average_rate and info.average_rate > 0 else Fraction(30)
        s = self._out.add_stream(self.encoder, rate=rate)
        assert isinstance(s, av.video.stream.VideoStream)  # a video encoder's stream
        cc = s.codec_context
        cc.width, cc.height = info.width, info.height
        cc.pix_fmt = self.pix_fmt
        cc.time_base = info.time_base
        # AVI counts frames: its stream ticks once per frame (packets are rescaled to it).
        s.time_base = 1 / rate if self.format == "avi" else info.time_base
        for attr, value in (
            ("color_range", info.color_range),
            ("colorspace", info.colorspace),
            ("color_primaries", info.color_primaries),
            ("color_trc", info.color_trc),
        ):
            try:
                setattr(cc, attr, value)
            except Exception:  # an encoder that rejects a colour tag still encodes correctly
                self.notes.append(f"colour property {attr} not kept")
        if info.pix_fmt == "yuvj420p":
            cc.color_range = 2  # full range, as the j-format said
        cc.options = encoder_options(self.encoder, settings.encoder_preset, settings.crf)
        if self.format == "avi" and self.encoder != "libvpx-vp9":
            cc.max_b_frames = 0  # AVI has no composition times: B-frames would break timing
        cc.thread_count = 0
        if info.rotation:
            s.set_display_rotation(info.rotation)
        if self.encoder.endswith("_nvenc"):
            try:  # opened now, so a machine without a usable NVIDIA GPU fails before any frame
                cc.open()
            except av.error.FFmpegError as exc:  # a device problem (exit 5), like --device cuda without a GPU
                raise ModelError(
                    f"the {self.encoder} encoder cannot start (no usable NVIDIA GPU or driver?): {exc}; "
                    "use --video-encoder auto"
                ) from exc
        return s

    def _add_passthrough(self, ins: Any) -> None:
        if ins.type == "audio" and ins.codec_context is None:
            raise CorruptInput(
                f"audio stream {ins.index} has no codec parameters (damaged header?)", path=self.info.path
            )
        codec = ins.codec_context.name if ins.codec_context else None
        supported = self._out.supported_codecs
        out = None
        # Audio keeps its packets but never its codec-private block as it came: that is rebuilt
        # from an allow-list (scrub.audio_config), or the stream is re-encoded.
        private = clean_extradata(codec, ins.codec_context.extradata) if ins.type == "audio" and codec else None
        why = f"{self.format} cannot hold {codec}"
        if ins.type == "audio" and private is None:
            why = f"its {codec} codec-private data cannot be rebuilt from an allow-list"
        elif codec in _MUXER_REFUSES.get(self.format, ()):
            pass  # listed as supported, refused at the first packet: re-encoded below
        elif (codec and codec in supported) or (codec is None and ins.type == "data"):
            try:
                out = self._out.add_stream_from_template(ins)
            except (ValueError, av.error.FFmpegError):
                out = None
        if out is not None:
            if private is not None and private != bytes(ins.codec_context.extradata or b""):
                out.codec_context.extradata = private
            out.metadata.clear() if hasattr(out.metadata, "clear") else None
            lang = ins.metadata.get("language")
            if lang and lang != "und":
                out.metadata["language"] = lang
            self._map[ins.index] = out
            return
        if ins.type != "audio":
            self.notes.append(f"{ins.type} stream {ins.index} ({codec}) cannot be stored in {self.format}: dropped")
            return
        target = "libopus" if self.format == "webm" else "aac"
        if not has_encoder(target):
            raise UnsupportedFormat(
                f"audio codec {codec} cannot be stored in {self.format} and no {target} encoder is available"
            )
        enc = self._out.add_stream(target, rate=48000 if target == "libopus" else ins.codec_context.sample_rate)
        # Without bitexact FFmpeg's AAC encoder writes its version ("Lavc62.28.102") into the first packet.
        enc.codec_context.flags |= av.codec.context.Flags.bitexact
        src = ins.codec_context
        dec = av.codec.CodecContext.create(src.name, "r")
        dec.extradata = src.extradata
        # What the container states: PCM and other headerless codecs cannot open without it.
        dec.sample_rate, dec.layout, dec.format = src.sample_rate, src.layout, src.format
        self._transcode[ins.index] = (dec, enc)
        self.notes.append(f"audio stream {ins.index} ({codec}) re-encoded to {target}: {why}")

    def kept_streams(self) -> dict[str, int]:
        """Stream type -> count the output holds (for the verification)."""
        counts = {"video": 1}
        for out in list(self._map.values()) + [enc for _, enc in self._transcode.values()]:
            counts[out.type] = counts.get(out.type, 0) + 1
        return counts

    # --- writing ---------------------------------------------------------------------------
    def write_frame(self, frame: av.VideoFrame, pts: int) -> None:
        """Encode one frame at input ``pts`` (in the input video's time base)."""
        info = self.info
        if frame.format.name != self.pix_fmt:
            frame = frame.reformat(
                format=self.pix_fmt,
                src_color_range=_range(info),
                dst_colorspace=_matrix(info),
                dst_color_range=_range(info),
            )
        if self.format == "avi":
            self._check_avi_time(pts)
        frame = without_side_data(frame)
        frame.pts = pts
        frame.time_base = info.time_base
        self._mux_video(self._video.encode(frame))
        self.frames_written += 1
        self.written_pts.append(pts)

    def _check_avi_time(self, pts: int) -> None:
        """AVI holds one frame per tick of a constant rate: a frame off that grid (variable frame
        rate) cannot keep its time there, so it is refused before anything is committed."""
        ticks = Fraction(pts) * self.info.time_base / Fraction(self._video.time_base)
        tick = round(ticks)
        if abs(ticks - tick) <= Fraction(1, 10) and (self._avi_tick is None or tick > self._avi_tick):
            self._avi_tick = tick
            return
        rate = 1 / Fraction(self._video.time_base)
        t = self.info.seconds(pts)
        raise UnsupportedFormat(
            f"AVI holds one frame every 1/{float(rate):g} s and this frame is off that grid "
            "(variable frame rate); write .mp4, .mov or .mkv",
            path=self.info.path,
            where=where(self.frames_written, t),
        )

    def _mux_video(self, packets: list[av.Packet]) -> None:
        """Mux encoded video packets, without the SEI units the encoder wrote (H.264/HEVC)."""
        sei = _SEI_UNITS.get(self.encoder)
        for packet in packets:
            self._note_dts(self._video.index, packet)
            if sei is None:
                self._out.mux(packet)
                continue
            if self._sei_filter is None:  # made at the first packet: the stream's parameters are known then
                self._sei_filter = BitStreamFilterContext(f"filter_units=remove_types={sei}", self._video)
            for clean in self._sei_filter.filter(packet):
                self._out.mux(clean)

    def _note_dts(self, index: int, packet: av.Packet) -> None:
        if packet.dts is not None and packet.time_base:
            t = float(packet.dts * packet.time_base)
            self._first_dts[index] = min(t, self._first_dts.get(index, t))

    def write_packet(self, packet: av.Packet) -> None:
        """Copy (or re-encode, for audio the container cannot hold) one input packet."""
        idx = packet.stream.index
        kind = packet.stream.type
        if packet.dts is not None:
            last = self._last_dts.get(idx)
            # Muxers need audio decode times to increase strictly, others not to go back.
            if last is not None and (packet.dts < last or (packet.dts == last and kind == "audio")):
                self._bad_packet(packet, f"timestamps do not increase (dts {packet.dts} after {last})")
                return
            self._last_dts[idx] = packet.dts
        out = self._map.get(idx)
        if out is not None:
            ts = packet.pts if packet.pts is not None else packet.dts
            if ts is not None and packet.time_base:
                t = float(ts * packet.time_base)
                self.first_times[out.index] = min(t, self.first_times.get(out.index, t))
            self._note_dts(out.index, packet)
            packet.stream = out
            try:
                self._out.mux(packet)
            except av.error.FFmpegError as exc:
                self._bad_packet(packet, f"the muxer rejected a packet ({exc.strerror or exc})")
            return
        pair = self._transcode.get(idx)
        if pair is None:
            return
        dec, enc = pair
        for frame in dec.decode(packet):
            frame.pts = None
            for p in enc.encode(frame):
                self._out.mux(p)

    def timeline_shift(self) -> float:
        """The most seconds the muxer may move every stream later: Matroska and WebM cannot store
        a time before 0, so when a stream starts earlier (AAC priming from an MP4 edit list: 2112
        samples, 48 ms, on a phone clip) all of them move together and keep their sync. (An audio
        stream that states its codec delay may start that much before 0 unmoved.)"""
        if self.format in ("matroska", "webm"):  # the muxer goes by presentation times
            starts = list(self.first_times.values())
            if self.written_pts:
                starts.append(float(min(self.written_pts) * self.info.time_base))
        elif self.format == "mpegts":
            # MPEG-TS goes by decode times, and B-frames decode before their first shown time:
            # an MP4 with B-frames starting at 0 moves two frames later (x264's reorder delay).
            starts = list(self._first_dts.values())
        else:
            return 0.0
        return max(0.0, -min(starts)) if starts else 0.0

    def stream_starts(self) -> dict[int, float]:
        """Output stream index -> the time its first copied packet must have in the written file
        (before :meth:`timeline_shift`), for containers that store timestamps as given."""
        kept = ("mp4", "mov", "matroska", "webm", "mpegts")
        return dict(self.first_times) if self.format in kept else {}

    def _bad_packet(self, packet: av.Packet, reason: str) -> None:
        t = float(packet.dts * packet.time_base) if packet.dts is not None and packet.time_base else None
        where = f"{packet.stream.type} at {t:.3f} s" if t is not None else None
        message = f"{packet.stream.type} stream {packet.stream.index}: {reason}"
        if not self.allow_damaged:
            raise CorruptInput(message, path=self.info.path, where=where)
        self.damage.append(f"{where or packet.stream.type}: {message} (packet dropped)")

    def close(self) -> None:
        """Flush every encoder and finish the file."""
        try:
            self._mux_video(self._video.encode(None))
            if self._sei_filter is not None:
                for packet in self._sei_filter.filter(None):
                    self._out.mux(packet)
            for dec, enc in self._transcode.values():
                for frame in dec.decode(None):
                    frame.pts = None
                    for p in enc.encode(frame):
                        self._out.mux(p)
                for p in enc.encode(None):
                    self._out.mux(p)
        except av.error.FFmpegError as exc:
            self.abort()
            raise PipelineError(f"encoder failed while finishing the file: {exc}", path=self.path) from exc
        self._out.close()

    def abort(self) -> None:
        """Close without flushing (the caller deletes the temporary file)."""
        try:
            self._out.close()
        except Exception:
            pass


def output_suffix_for(src: Path) -> tuple[str, str | None]:
    """The suffix the default output keeps, and a warning when it cannot be the input's."""
    if container_for(src.suffix) is not None:
        return src.suffix, None
    return ".mp4", f"{src.suffix or 'this'} container cannot be written; output is MP4"


__all__ = [
    "VideoWriter",
    "CONTAINERS",
    "container_for",
    "video_encoder_for",
    "choose_pix_fmt",
    "has_encoder",
    "encoder_options",
    "without_side_data",
    "output_suffix_for",
    "X264_PRESETS",
    "to_rgb",
    "from_rgb",
]
