"""unseen: hide every face in photos and videos, offline and irreversibly.

Public API (everything else is private)::

    import unseen
    report = unseen.anonymize_path("photo.jpg")                  # file or folder, photos and videos
    report = unseen.anonymize_paths(["a.jpg", "clips/"], "out/")  # several inputs, one report
    report = unseen.anonymize_image("in.jpg", "out.png", unseen.Settings(mode="solid"))
    report = unseen.anonymize_video("in.mp4", "out.mp4")
    result = unseen.anonymize_array(rgb_array)                   # in memory: result.image, result.faces
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import (
    ConfigError,
    CorruptInput,
    ExitStatus,
    InputError,
    InputNotFound,
    LimitExceeded,
    ModelError,
    OutputError,
    OutputExists,
    OutputNotWritable,
    PipelineError,
    UnseenError,
    UnsupportedFormat,
    VerificationError,
)
from .pipeline.progress import FileFinished, FileStarted, FramesDone, ProgressEvent
from .pipeline.report import BatchReport, FileReport, ImageDetails, MediaKind, Status, VideoDetails
from .settings import Settings
from .types import Faces, Origin
from .version import __version__

__all__ = [
    "BatchReport",
    "ConfigError",
    "CorruptInput",
    "ExitStatus",
    "Faces",
    "FileFinished",
    "FileReport",
    "FileStarted",
    "FramesDone",
    "ImageDetails",
    "InputError",
    "InputNotFound",
    "LimitExceeded",
    "MediaKind",
    "ModelError",
    "Origin",
    "OutputError",
    "OutputExists",
    "OutputNotWritable",
    "PipelineError",
    "ProgressEvent",
    "Settings",
    "Status",
    "UnseenError",
    "UnsupportedFormat",
    "VerificationError",
    "VideoDetails",
    "__version__",
    "anonymize_array",
    "anonymize_image",
    "anonymize_path",
    "anonymize_paths",
    "anonymize_video",
    "make_plan",
    "render_plan",
    "write_plan",
]

if TYPE_CHECKING:
    from .pipeline.api import anonymize_array, anonymize_image, anonymize_path, anonymize_paths, anonymize_video
    from .pipeline.plan_run import make_plan, render_plan, write_plan


def __getattr__(name: str) -> Any:
    # Heavy modules (onnxruntime, cv2, av) load on first use, not at `import unseen`.
    if name in ("anonymize_array", "anonymize_image", "anonymize_video", "anonymize_path", "anonymize_paths"):
        from .pipeline import api

        return getattr(api, name)
    if name in ("make_plan", "render_plan", "write_plan"):
        from .pipeline import plan_run

        return getattr(plan_run, name)
    raise AttributeError(f"module 'unseen' has no attribute {name!r}")
