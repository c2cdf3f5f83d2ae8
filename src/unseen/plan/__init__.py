"""The redaction plan: a versioned JSON file of every box to cover in one input, with the manual
regions, the explicit rejections and the review flags (``docs/PLAN.md``; schema:
``plan.schema.json`` beside this file)."""

from __future__ import annotations

from pathlib import Path

from .build import build_plan, json_settings
from .flags import FlagEvidence, FlagOptions, compute_flags
from .io import check_media, file_sha256, load_plan, plan_from_bytes, save_plan
from .model import Flag, FlagKind, FrameBoxes, InputInfo, Keyframe, Plan, PlanBox, Producer, Region, Rejection
from .regions import parse_region

SCHEMA_PATH = Path(__file__).with_name("plan.schema.json")

__all__ = [
    "Plan", "InputInfo", "Producer", "FrameBoxes", "PlanBox", "Rejection", "Region", "Keyframe", "Flag", "FlagKind",
    "FlagEvidence", "FlagOptions", "build_plan", "compute_flags", "json_settings", "load_plan", "save_plan",
    "plan_from_bytes", "check_media", "file_sha256", "parse_region", "SCHEMA_PATH",
]
