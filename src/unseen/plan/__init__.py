"""The redaction plan: a versioned JSON file of every box to cover in one input, with the manual
regions, the explicit rejections and the review flags (``docs/PLAN.md``; schema:
``plan.schema.json`` beside this file)."""

from __future__ import annotations

from pathlib import Path

from .build import build_plan, json_settings
from .flags import FlagEvidence, FlagOptions, compute_flags
from .io import (
    check_media,
    describe_input,
    file_sha256,
    load_plan,
    plan_from_bytes,
    save_plan,
)
from .model import (
    Flag,
    FlagKind,
    FrameBoxes,
    InputInfo,
    Keyframe,
    Plan,
    PlanBox,
    Producer,
    Region,
    Rejection,
)
from .regions import parse_region

SCHEMA_PATH = Path(__file__).with_name("plan.schema.json")

__all__ = [
    "SCHEMA_PATH",
    "Flag",
    "FlagEvidence",
    "FlagKind",
    "FlagOptions",
    "FrameBoxes",
    "InputInfo",
    "Keyframe",
    "Plan",
    "PlanBox",
    "Producer",
    "Region",
    "Rejection",
    "build_plan",
    "check_media",
    "compute_flags",
    "describe_input",
    "file_sha256",
    "json_settings",
    "load_plan",
    "parse_region",
    "plan_from_bytes",
    "save_plan",
]
