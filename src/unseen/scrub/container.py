"""Container metadata by allow-list, and the check of a written video before it is committed.

The writer copies no tag from the input, so what the output carries is what the muxer itself
writes. :func:`verify_video` re-opens the written file and fails (``VerificationError``) on any
tag outside :data:`ALLOWED_CONTAINER_TAGS` / :data:`ALLOWED_STREAM_TAGS`, on chapters, on a stream
that should not be there, and on a frame count, timestamp, size or duration that differs from the
input. :func:`removed_metadata` lists, for the report, what of the input was left behind.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import av.error

from ..errors import VerificationError
from ..media.video_reader import (
    ATTACHMENT,
    COVER_ART,
    DATA,
    EXTRA_VIDEO,
    SUBTITLE,
    VideoInfo,
)
from .audio_config import extradata_problem

# Tag name (lower case) -> test of its value. Only structural tags written by the muxer itself.
_BRAND = re.compile(r"^[\x20-\x7e]{0,64}$")
ALLOWED_CONTAINER_TAGS: dict[str, Callable[[str], bool]] = {
    "major_brand": lambda v: bool(_BRAND.match(v)),
    "minor_version": lambda v: v.isdigit(),
    "compatible_brands": lambda v: bool(_BRAND.match(v)),
    # Matroska always names its own muxer ("Lavf" with bitexact): ours, not the camera's.
    "encoder": lambda v: bool(re.fullmatch(r"Lav[fc][0-9.]*( libx264| libvpx-vp9)?", v)),
}
ALLOWED_STREAM_TAGS: dict[str, Callable[[str], bool]] = {
    "language": lambda v: bool(re.fullmatch(r"[a-z]{2,3}", v)),
    "handler_name": lambda v: v in ("VideoHandler", "SoundHandler", "SubtitleHandler", "DataHandler", ""),
    "vendor_id": lambda v: v in ("[0][0][0][0]", "FFMP"),
    "duration": lambda v: bool(re.fullmatch(r"[0-9:.]+", v)),  # Matroska's per-stream length
    "encoder": lambda v: bool(re.fullmatch(r"Lav[fc][0-9.]*( libx264| libvpx-vp9| aac| libopus)?", v)),
}

# Tags the report names in plain words when they are removed.
_SENSITIVE = {
    "creation_time": "creation time",
    "location": "location",
    "location-eng": "location",
    "com.apple.quicktime.location.iso6709": "location",
    "©xyz": "location",
    "make": "camera make",
    "com.apple.quicktime.make": "camera make",
    "model": "camera model",
    "com.apple.quicktime.model": "camera model",
    "encoder": "encoder string",
    "software": "encoder string",
    "com.apple.quicktime.software": "encoder string",
    "title": "title",
    "comment": "comment",
    "description": "description",
    "artist": "artist",
    "author": "author",
    "copyright": "copyright",
}


@dataclass
class Expected:
    """What the verified output must hold."""

    width: int
    height: int
    time_base: Fraction  # of the input video, in which ``pts`` are given
    pts: list[int]  # every frame written, in order
    streams: dict[str, int]  # type -> count, e.g. {"video": 1, "audio": 1}
    rotation: int = 0
    frame_tolerance: float = 0.0  # seconds two timestamps may differ (the output's tick)
    # AVI stores no timestamps, only frame order; FFmpeg's AVI reader guesses a one-frame H.264
    # delay, so the whole sequence may be shifted by up to this many seconds (spacing still exact).
    max_offset: float = 0.0
    # Matroska/WebM cannot store a time before 0 (beyond an audio stream's stated codec delay):
    # the muxer then moves every stream later by one amount, up to this many seconds
    # (VideoWriter.timeline_shift). The video may sit that much later, and every stream in
    # ``stream_starts`` exactly as much as the video (sync kept).
    max_shift: float = 0.0
    # Output stream index -> the time (s) of its first copied packet, before ``shift``: the audio
    # must keep its place beside the video.
    stream_starts: dict[int, float] = field(default_factory=dict)


def _bad_tags(tags: dict[str, str], allowed: dict[str, Callable[[str], bool]]) -> list[str]:
    bad = []
    for k, v in tags.items():
        test = allowed.get(k.lower())
        if test is None or not test(str(v)):
            bad.append(f"{k}={v!r}")
    return bad


def _tags(meta: object) -> dict[str, str]:
    return {str(k): str(v) for k, v in dict(meta).items()}  # type: ignore[call-overload]


def verify_video(path: Path, expected: Expected, *, label: Path | None = None) -> None:
    """Re-open ``path`` and check it against ``expected``; raise ``VerificationError`` on any gap."""
    who = label or path

    def fail(reason: str, where: str | None = None) -> VerificationError:
        return VerificationError(f"output check failed: {reason}", path=who, where=where)

    try:
        c = av.open(str(path), "r", metadata_errors="replace")
    except av.error.FFmpegError as exc:
        raise fail(f"the written file cannot be re-opened ({exc})") from exc
    with c:
        bad = _bad_tags(_tags(c.metadata), ALLOWED_CONTAINER_TAGS)
        if bad:
            raise fail(f"container tags not on the allow-list: {', '.join(bad)}")
        try:
            chapters = c.chapters()
        except Exception:
            chapters = []
        if chapters:
            raise fail(f"{len(chapters)} chapter(s) present")
        counts: dict[str, int] = {}
        for s in c.streams:
            counts[s.type] = counts.get(s.type, 0) + 1
            bad = _bad_tags(_tags(s.metadata), ALLOWED_STREAM_TAGS)
            if bad:
                raise fail(f"{s.type} stream {s.index} tags not on the allow-list: {', '.join(bad)}")
            if s.type == "video" and s.disposition & av.stream.Disposition.attached_pic:
                raise fail("an attached picture (cover art) is present")
            if s.type == "audio" and s.codec_context is not None:
                problem = extradata_problem(s.codec_context.name, s.codec_context.extradata)
                if problem:
                    raise fail(f"audio stream {s.index}: {problem}")
        if counts != {k: v for k, v in expected.streams.items() if v}:
            raise fail(f"streams are {counts}, expected {expected.streams}")
        vs = c.streams.video[0]
        if (vs.codec_context.width, vs.codec_context.height) != (expected.width, expected.height):
            raise fail(
                f"picture is {vs.codec_context.width}x{vs.codec_context.height}, "
                f"input was {expected.width}x{expected.height}"
            )
        tb = Fraction(vs.time_base)  # type: ignore[arg-type]  # a decoded stream has one
        got: list[int] = []
        rotation = None
        firsts: dict[int, float] = {}
        sei = _SEI_TYPES.get(vs.codec_context.name)
        length_size = _nal_length_size(vs.codec_context.name, bytes(vs.codec_context.extradata or b""))
        wanted = [vs] + [c.streams[i] for i in expected.stream_starts if i < len(c.streams)]
        for packet in c.demux(wanted):
            if packet.stream.index != vs.index:
                ts = packet.pts if packet.pts is not None else packet.dts
                if ts is not None and packet.size:
                    t = float(ts * packet.time_base)
                    firsts[packet.stream.index] = min(t, firsts.get(packet.stream.index, t))
                continue
            if packet.pts is None:
                if packet.size:
                    raise fail("a video packet has no timestamp", f"packet {len(got)}")
                continue
            if sei is not None and sei & set(_nal_types(bytes(packet), vs.codec_context.name, length_size)):
                raise fail("the video holds SEI units (captions or user data)", f"packet {len(got)}")
            got.append(packet.pts)
            if rotation is None:
                try:
                    for f in packet.decode():  # a video stream's packets decode to VideoFrames
                        assert isinstance(f, av.VideoFrame)
                        rotation = int(round(f.rotation or 0))
                        kinds = {sd.type.name for sd in f.side_data} - _FRAME_SIDE_DATA  # type: ignore[attr-defined]  # PyAV yields SideData here; its stub says str
                        if kinds:
                            raise fail(f"the first frame carries side data {', '.join(sorted(kinds))}")
                except av.error.FFmpegError:
                    pass
    shift = _check_frames(got, tb, expected, fail)
    tol = max(expected.frame_tolerance, float(tb) / 2) + 1e-6
    for index, want in expected.stream_starts.items():
        have = firsts.get(index)
        if have is not None and abs(have - (want + shift)) > tol:
            raise fail(
                f"stream {index} starts at {have:.6f} s where {want + shift:.6f} s keeps it in sync with the video"
            )
    if rotation is not None and (rotation % 360) != (expected.rotation % 360):
        raise fail(f"display rotation is {rotation}, input was {expected.rotation}")


def _check_frames(got: list[int], tb: Fraction, expected: Expected, fail: Callable[..., VerificationError]) -> float:
    """Check every frame time; return the shift of the whole timeline that was allowed (0 but
    for Matroska/WebM, see :attr:`Expected.max_shift`)."""
    want = expected.pts
    if len(got) != len(want):
        raise fail(f"{len(got)} frames written, {len(want)} expected")
    got_s = sorted(float(p * tb) for p in got)
    want_s = [float(p * expected.time_base) for p in want]
    tol = max(expected.frame_tolerance, float(tb) / 2, float(expected.time_base) / 2) + 1e-6
    shift = 0.0
    if got_s and want_s and expected.max_offset:
        offset = got_s[0] - want_s[0]
        if abs(offset) <= expected.max_offset + 1e-6:
            got_s = [g - offset for g in got_s]
    elif got_s and want_s and expected.max_shift:
        offset = got_s[0] - want_s[0]
        if tol < offset <= expected.max_shift + tol:
            shift = offset
            got_s = [g - offset for g in got_s]
    for i, (g, w) in enumerate(zip(got_s, want_s, strict=True)):
        if abs(g - w) > tol:
            raise fail(f"timestamp {g + shift:.6f} s where the input has {w:.6f} s", f"frame {i}")
    return shift


# SEI NAL unit types by codec: captions, user data and timecodes travel in them.
_SEI_TYPES = {"h264": {6}, "hevc": {39, 40}}
# Side data a decoded frame of our output may carry: the display rotation the container states.
_FRAME_SIDE_DATA = {"DISPLAYMATRIX"}


def _nal_length_size(codec: str, extradata: bytes) -> int:
    """Bytes of each NAL unit's length prefix (avcC / hvcC), 0 for Annex B start codes."""
    if codec == "h264" and len(extradata) > 4 and extradata[0] == 1:
        return (extradata[4] & 3) + 1
    if codec == "hevc" and len(extradata) > 21 and extradata[0] == 1:
        return (extradata[21] & 3) + 1
    return 0


def _nal_types(data: bytes, codec: str, length_size: int) -> list[int]:
    """NAL unit types in one H.264 or HEVC packet (length-prefixed, or Annex B start codes)."""
    starts: list[int] = []
    if length_size:
        pos = 0
        while pos + length_size < len(data):
            size = int.from_bytes(data[pos : pos + length_size], "big")
            starts.append(pos + length_size)
            pos += length_size + size
    else:
        pos = data.find(b"\x00\x00\x01")
        while pos >= 0 and pos + 3 < len(data):
            starts.append(pos + 3)
            pos = data.find(b"\x00\x00\x01", pos + 3)
    if codec == "hevc":
        return [(data[i] >> 1) & 0x3F for i in starts if i < len(data)]
    return [data[i] & 0x1F for i in starts if i < len(data)]


def removed_metadata(info: VideoInfo, kept_stream_indexes: set[int]) -> list[str]:
    """Human-readable list of what the output leaves out (tags, chapters, streams)."""
    out: list[str] = []
    seen: set[str] = set()

    def note(item: str) -> None:
        if item not in seen:
            seen.add(item)
            out.append(item)

    for k in list(info.container_tags) + list(info.video_tags):
        kl = k.lower()
        if kl in (
            "major_brand",
            "minor_version",
            "compatible_brands",
            "language",
            "handler_name",
            "vendor_id",
            "duration",
        ):
            continue
        note(f"{_SENSITIVE[kl]} ({k})" if kl in _SENSITIVE else f"tag {k}")
    for s in info.others:
        for k in s.tags:
            kl = k.lower()
            if kl not in ("language", "handler_name", "vendor_id", "duration"):
                note(f"{s.role} stream tag {k}")
        if s.index in kept_stream_indexes:
            continue
        label = {
            DATA: "data stream (e.g. GPS/telemetry)",
            SUBTITLE: "subtitle stream",
            ATTACHMENT: "attachment",
            COVER_ART: "cover art",
            EXTRA_VIDEO: "extra video stream",
        }.get(s.role, f"{s.role} stream")
        note(f"{label} #{s.index}{f' ({s.codec})' if s.codec else ''}")
    if info.chapters:
        note(f"{info.chapters} chapter(s)")
    return out


__all__ = ["Expected", "verify_video", "removed_metadata", "ALLOWED_CONTAINER_TAGS", "ALLOWED_STREAM_TAGS"]
