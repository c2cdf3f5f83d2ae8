"""The one table of settings: default, help, help group, allowed values, validated at construction.

Every field's metadata says what the setting is (``help``), where ``--help`` shows it (``group``,
one of :data:`GROUPS`), and what it may hold: ``choices`` (a str-valued enum; plain strings are
accepted and stored as plain strings, so ``Settings(mode="solid")`` and JSON reports are unchanged)
or ``range`` (inclusive bounds for a number), with ``auto`` naming the one value outside the range
that means "the preset's/derived value" (e.g. ``box_scale=0``). :meth:`Settings.__post_init__`
checks every field from that metadata, in one place, and raises :class:`ConfigError` (exit 2) with a
one-line message naming the setting and what it allows. The CLI builds its options and help from
:func:`field_help`, so help text, defaults and validation cannot drift apart. ``Settings`` is frozen;
use :meth:`Settings.replace` to derive.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import numbers
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError


class StrEnum(str, enum.Enum):
    """``StrEnum`` (Python 3.11+) for 3.10 too: a member is, prints and formats as its value."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class Mode(StrEnum):
    SOLID = "solid"
    MOSAIC = "mosaic"
    BLUR = "blur"


class Shape(StrEnum):
    RECT = "rect"
    ELLIPSE = "ellipse"


class CoverKind(StrEnum):
    """What ``--cover`` can hide. Faces are always covered; the others are added to them."""

    FACES = "faces"
    PEOPLE = "people"
    TEXT = "text"
    PLATES = "plates"


def cover_kinds(value: str) -> tuple[str, ...]:
    """``"text,faces"`` / ``"all"`` -> the kinds in :class:`CoverKind` order, faces always first.

    Raises :class:`ConfigError` for an empty list or an unknown kind. ``faces`` is added when left
    out: a face found by the face detector stays covered whatever else is asked for.
    """
    if not isinstance(value, str):
        raise ConfigError(f"cover must be a comma-separated list of kinds; got {value!r}")
    names = [n.strip().lower() for n in value.split(",") if n.strip()]
    if not names:
        raise ConfigError("cover must name at least one kind: faces, people, text, plates or all")
    if "all" in names:
        return tuple(k.value for k in CoverKind)
    known = {k.value for k in CoverKind}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError(f"cover kinds are faces, people, text, plates or all; got {', '.join(unknown)}")
    return tuple(k.value for k in CoverKind if k.value in names or k is CoverKind.FACES)


class PeopleMode(StrEnum):
    BOX = "box"
    SILHOUETTE = "silhouette"


class PresetName(StrEnum):
    """Names of the detection presets (the passes behind each live in ``unseen.detect``)."""

    DEFAULT = "default"
    FAST = "fast"
    THOROUGH = "thorough"


class Device(StrEnum):
    CPU = "cpu"
    CUDA = "cuda"


class Engine(StrEnum):
    """What runs a batch's files: local worker processes, or a Ray cluster (the ``ray`` extra)."""

    LOCAL = "local"
    RAY = "ray"


class Backend(StrEnum):
    AUTO = "auto"
    CENTERFACE = "centerface"
    YUNET = "yunet"
    TORCH = "torch"


class Precision(StrEnum):
    AUTO = "auto"
    FP32 = "fp32"
    INT8 = "int8"


class VideoEncoder(StrEnum):
    AUTO = "auto"
    LIBX264 = "libx264"
    H264_NVENC = "h264_nvenc"
    HEVC_NVENC = "hevc_nvenc"


class EncoderPreset(StrEnum):
    """x264's speed presets; the writer maps each to NVENC's p1-p7 and to VP9's speed settings."""

    ULTRAFAST = "ultrafast"
    SUPERFAST = "superfast"
    VERYFAST = "veryfast"
    FASTER = "faster"
    FAST = "fast"
    MEDIUM = "medium"
    SLOW = "slow"
    SLOWER = "slower"
    VERYSLOW = "veryslow"
    PLACEBO = "placebo"


# The highest crf every encoder takes: x264's crf and NVENC's cq end at 51 (VP9's crf, 0-63, is
# crf + 13, capped at 63: see unseen.media.video_writer.encoder_options).
MAX_CRF = 51

# Help groups, in the order --help shows them: key -> title.
GROUPS: dict[str, str] = {
    "cover": "cover (photos and videos)",
    "detection": "detection",
    "video": "video",
    "output": "output",
    "limits": "limits (what is refused)",
}


@dataclass(frozen=True)
class Range:
    """Inclusive bounds for a number; ``hi=None`` is unbounded above; ``lo_open``/``hi_open`` exclude an end."""

    lo: float
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False

    def __contains__(self, value: float) -> bool:
        above = value > self.lo if self.lo_open else value >= self.lo
        below = self.hi is None or (value < self.hi if self.hi_open else value <= self.hi)
        return above and below

    def describe(self) -> str:
        if self.hi is None:
            return f"above {self.lo}" if self.lo_open else f"at least {self.lo}"
        if self.lo_open and self.hi_open:
            return f"between {self.lo} and {self.hi}, exclusive"
        lo = f"above {self.lo}" if self.lo_open else str(self.lo)
        hi = f"below {self.hi}" if self.hi_open else str(self.hi)
        return f"{lo} to {hi}"


def _opt(
    default: Any,
    help: str,
    *,
    group: str,
    choices: type[StrEnum] | None = None,
    bounds: Range | None = None,
    auto: tuple[float, str] | None = None,
    cli: bool = True,
    off_help: str | None = None,
) -> Any:
    """A setting: ``auto`` is (value, meaning) for the one value outside ``range`` that means a derived
    default; ``off_help`` is the help of the ``--no-X`` flag of a boolean that defaults to True."""
    meta = {"help": help, "group": group, "choices": choices, "range": bounds, "auto": auto, "cli": cli}
    if off_help is not None:
        meta["off_help"] = off_help
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Settings:
    """Every knob of unseen. Defaults are the safe choice; see ``docs/PRIVACY.md``."""

    # --- cover --------------------------------------------------------------------------------
    mode: str = _opt(
        "solid",
        "how faces are hidden: solid paints an opaque fill over the whole head region (it left every "
        "re-identification attack at chance). mosaic and blur are NOT anonymization, only WEAKER looks: "
        "an attacker with other photos of the people re-identified up to 30 % of blurred and 25 % of "
        "mosaicked faces (chance 7.7 %, docs/PRIVACY.md)",
        group="cover",
        choices=Mode,
    )
    shape: str = _opt(
        "rect",
        "shape of the covered region; an ellipse leaves hair and outline in its corners and was "
        "re-identified 25 % of the time at the default size: use --box-scale 1.6 or more with it",
        group="cover",
        choices=Shape,
    )
    box_scale: float = _opt(
        0.0,
        "grow each face box by this factor so hair, ears and chin are covered; at 1.0 the outline "
        "identified 28 % of people (chance 7.7 %)",
        group="cover",
        bounds=Range(1.0, 4.0),
        auto=(0.0, "the preset's"),
    )
    mosaic_blocks: int = _opt(
        4,
        "mosaic/blur: cells across the face. No value makes mosaic or blur safe: most strengths were "
        "re-identified above chance (docs/BENCHMARKS.md)",
        group="cover",
        bounds=Range(2, 8),
    )
    cover: str = _opt(
        "faces",
        "what to hide, comma-separated: faces (always), people (every person's box or silhouette: "
        "covers people seen from behind or too small for the face detector, hides clothing and "
        "build; costs most of the picture in crowds), text (names, badges, signs, screens, "
        "captions: found by a text detector, never read; hides the point of protest signs and "
        "captions), plates (number plates, found as text), or all. Each added kind runs its own "
        "detector at native resolution and costs time (docs/BENCHMARKS.md)",
        group="cover",
    )
    people: str = _opt(
        "box",
        "with --cover people: box covers each person's whole box (the safer look: build, clothing "
        "and outline all hidden); silhouette covers a mask that follows the body, grown a little "
        "(keeps the scene readable; the outline stays)",
        group="cover",
        choices=PeopleMode,
    )
    fill: tuple[int, int, int] = _opt((0, 0, 0), "solid fill colour as R,G,B, each 0-255", group="cover", cli=False)

    # --- detection ----------------------------------------------------------------------------
    preset: str = _opt(
        "default",
        "detection effort: default (CenterFace at native size and mirrored, plus an upscaled YuNet "
        "pass for tiny faces), fast (YuNet only at 1x, mirrored, 1.5x and 0.5x: quicker, lower recall), "
        "thorough (every pass, lowest thresholds, slowest; used by `unseen check`)",
        group="detection",
        choices=PresetName,
    )
    backend: str = _opt(
        "auto", "detector networks; torch runs the preset's own on PyTorch", group="detection", choices=Backend
    )
    threshold: float = _opt(
        0.0,
        "detector score threshold for every pass; lower finds more",
        group="detection",
        bounds=Range(0.0, 1.0, lo_open=True, hi_open=True),
        auto=(0.0, "each pass's own"),
    )
    device: str = _opt(
        "cpu", "where inference runs; cuda fails with an error when no GPU is usable", group="detection", choices=Device
    )
    threads: int = _opt(0, "CPU threads for inference", group="detection", bounds=Range(1), auto=(0, "all cores"))
    precision: str = _opt(
        "auto",
        "CenterFace's numbers on the CPU: int8 runs its 8-bit build (about 4x faster; its WIDER FACE "
        "coverage was at least fp32's in every face-size bin for the default preset), fp32 the "
        "original. YuNet always runs fp32",
        group="detection",
        choices=Precision,
    )

    # --- files --------------------------------------------------------------------------------
    workers: int = _opt(
        0,
        "worker processes for a batch of several files, each loading the detector once (1: this "
        "process alone). auto: as many as the cores this process may use, the memory available now "
        "at ~1.6 GB per worker (measured on a 24 MP photo and a 1080p video) and the files allow; one file, or a "
        "detector given as an object, runs in this process. Lower it for very large photos",
        group="output",
        bounds=Range(1),
        auto=(0, "from the cores, the memory and the files"),
    )
    engine: str = _opt(
        "local",
        "what runs a batch: local worker processes, or Ray (pip install 'unseen[ray]'; inputs and outputs "
        "must be on storage every node sees)",
        group="output",
        choices=Engine,
    )
    ray_address: str = _opt("", "the Ray cluster to join (ray engine; empty: start a local Ray)", group="output")
    resume: bool = _opt(
        False,
        "skip inputs whose output exists and matches the folder's unseen-manifest.json (input and output "
        "SHA-256); an output there that does not match fails that file",
        group="output",
    )
    overwrite: bool = _opt(False, "replace an existing output file (never the input)", group="output")
    max_pixels: int = _opt(
        110_000_000,
        "refuse images or frames larger than this, from the header. A photo run needs about 0.6 GB + "
        "36 bytes per pixel: 4.6 GB at the default (100 MP cameras); 200 MP needs 7.8 GB",
        group="limits",
        bounds=Range(1),
    )
    max_metadata_mb: int = _opt(
        64,
        "refuse photos whose metadata blocks (text, comments, EXIF/XMP, trailing data) total more MB, "
        "from block headers",
        group="limits",
        bounds=Range(1),
    )
    keep_icc: bool = _opt(
        True,
        "keep the ICC colour profile's colour tags (the rest of the profile is always dropped)",
        group="output",
        cli=False,
    )
    verify: bool = _opt(False, "re-scan the output with the thorough detector before committing it", group="output")

    # --- video --------------------------------------------------------------------------------
    crf: int = _opt(
        18,
        "quality, lower is better: x264's crf; NVENC's cq (0 runs as 1: NVENC reads 0 as 'automatic'); "
        "VP9's crf + 13, at most 63",
        group="video",
        bounds=Range(0, MAX_CRF),
    )
    encoder_preset: str = _opt(
        "veryfast",
        "encoder speed, x264's names (NVENC and VP9 get the nearest of theirs)",
        group="video",
        choices=EncoderPreset,
    )
    video_encoder: str = _opt(
        "auto",
        "auto = libx264, VP9 for .webm; h264_nvenc / hevc_nvenc encode on an NVIDIA GPU and fail with "
        "an error where none is usable, never falling back",
        group="video",
        choices=VideoEncoder,
    )
    hold_before: float = _opt(
        0.5,
        "seconds a face's cover starts before it is first seen (at least one stride)",
        group="video",
        bounds=Range(0.0, 10.0),
    )
    hold_after: float = _opt(
        0.5,
        "seconds a face's cover lasts after it is last seen (at least one stride)",
        group="video",
        bounds=Range(0.0, 10.0),
    )
    detect_stride: float = _opt(
        -1.0,
        "seconds between runs of the preset's thorough passes; cheap passes (YuNet, CenterFace with "
        "--backend centerface: at 0.5x every frame, at 1x every 0.1 s, 0.2 s with --fast) run between, "
        "and every cover is held for at least one stride; 0 = every pass on every frame",
        group="video",
        bounds=Range(0.0, 2.0),
        auto=(-1.0, "auto"),
    )
    kinds_stride: float = _opt(
        0.0,
        "seconds between runs of the --cover people/text/plates detectors on a video (a shot cut runs "
        "them at once); their regions are tracked, gap-filled and held at least one stride between "
        "runs; 0 = every frame (the default: recall first)",
        group="video",
        bounds=Range(0.0, 1.0),
    )
    audio: bool = _opt(
        True, "keep audio streams", group="video", off_help="drop audio streams (voices can identify people)"
    )
    allow_damaged: bool = _opt(
        False,
        "accept damaged input, with a warning: a truncated or corrupt video (covering what decodes, "
        "reporting what was lost), a JPEG with junk in its image data or scans missing (read as it "
        "decodes). Refused by default",
        group="limits",
    )
    keep_data_streams: bool = _opt(False, "keep data streams (GPS/telemetry tracks): NOT recommended", group="video")
    keep_subtitles: bool = _opt(False, "keep subtitle streams", group="video")
    segment_seconds: float = _opt(
        0.0,
        "split a long video at keyframes into segments of about this many seconds, detected and "
        "tracked in parallel worker processes (each with overlap for holds, gap filling and shot "
        "cuts; covers at least what one process covers), then encoded once; 0 = one process",
        group="video",
        bounds=Range(1.0),
        auto=(0.0, "off"),
    )
    segment_workers: int = _opt(
        0,
        "worker processes for --segment-seconds",
        group="video",
        bounds=Range(1),
        auto=(0, "all cores"),
    )
    max_lookahead_frames: int = _opt(
        10_000,
        "refuse a video whose look-ahead window would hold more frames (frames packed densely in time)",
        group="limits",
        bounds=Range(1),
    )
    max_lookahead_mb: int = _opt(
        2048,
        "refuse a video whose look-ahead window would hold more MB of decoded frames",
        group="limits",
        bounds=Range(1),
    )

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            object.__setattr__(self, f.name, _checked(f, getattr(self, f.name)))
        if self.precision == "int8" and (self.device != "cpu" or self.backend == "torch"):
            raise ConfigError(
                "precision int8 runs on onnxruntime on the CPU only; use --precision fp32 (or auto) "
                f"with device {self.device!r} and backend {self.backend!r}"
            )

    def replace(self, **changes: Any) -> Settings:
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        return dataclasses.replace(self, **changes)

    @property
    def cover_kinds(self) -> tuple[str, ...]:
        """The kinds to cover, faces first (``("faces",)`` by default)."""
        return tuple(self.cover.split(","))

    @property
    def extra_kinds(self) -> tuple[str, ...]:
        """The kinds beyond faces, each needing a :class:`unseen.detect.base.RegionDetector`."""
        return self.cover_kinds[1:]

    @property
    def n_threads(self) -> int:
        return self.threads or (os.cpu_count() or 1)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Settings:
        """Build from a mapping (a config file), rejecting unknown keys."""
        return cls().replace(**dict(data))

    @classmethod
    def from_file(cls, path: str | Path) -> Settings:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read config file: {exc}", path=path) from exc
        if not isinstance(data, dict):
            raise ConfigError("config file must hold a JSON object", path=path)
        return cls.from_mapping(data)


def allowed(name: str) -> str:
    """What setting ``name`` may hold, in words ("0 to 51", "solid, mosaic or blur", ...)."""
    meta = _FIELDS[name].metadata
    choices: type[StrEnum] | None = meta["choices"]
    if choices is not None:
        names = [c.value for c in choices]
        return ", ".join(names[:-1]) + " or " + names[-1]
    bounds: Range | None = meta["range"]
    if bounds is not None:
        auto: tuple[float, str] | None = meta["auto"]
        text = bounds.describe()
        return f"{auto[0]} ({auto[1]}) or {text}" if auto else text
    return "a value of its type"


def _checked(f: dataclasses.Field[Any], value: Any) -> Any:
    """``value`` for field ``f`` as stored (plain str, int, float, bool or tuple), or ConfigError."""
    name, default, meta = f.name, f.default, f.metadata
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{name} must be true or false; got {value!r}")
        return value
    if name == "cover":
        return ",".join(cover_kinds(value))
    if name == "fill":
        try:
            fill = tuple(int(c) for c in value)
        except (TypeError, ValueError):
            fill = ()
        if len(fill) != 3 or any(not (0 <= c <= 255) for c in fill):
            raise ConfigError(f"fill must be three values 0-255; got {value!r}")
        return fill
    choices: type[StrEnum] | None = meta["choices"]
    if choices is not None:
        if not isinstance(value, str) or value not in {c.value for c in choices}:
            raise ConfigError(f"{name} must be one of {', '.join(c.value for c in choices)}; got {value!r}")
        return str(choices(value).value)  # a plain str, also when given an enum member
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise ConfigError(f"{name} must be a whole number, {allowed(name)}; got {value!r}")
        value = int(value)
    elif isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ConfigError(f"{name} must be a number, {allowed(name)}; got {value!r}")
        value = float(value)
    bounds: Range | None = meta["range"]
    auto: tuple[float, str] | None = meta["auto"]
    if bounds is not None and value not in bounds and not (auto is not None and value == auto[0]):
        raise ConfigError(f"{name} must be {allowed(name)}; got {value}")
    return value


_FIELDS: dict[str, dataclasses.Field[Any]] = {f.name: f for f in dataclasses.fields(Settings)}


def field_help() -> dict[str, Mapping[str, Any]]:
    """Name -> metadata (help, group, choices, range, auto, cli) and default of every setting; the CLI reads this."""
    return {name: {**f.metadata, "default": f.default} for name, f in _FIELDS.items()}


__all__ = [
    "GROUPS",
    "MAX_CRF",
    "Backend",
    "CoverKind",
    "Device",
    "EncoderPreset",
    "Mode",
    "Precision",
    "PresetName",
    "Range",
    "Settings",
    "Shape",
    "VideoEncoder",
    "allowed",
    "cover_kinds",
    "field_help",
]
