"""What a run did, per file: faces covered, metadata removed, warnings, or the error."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ..errors import ExitStatus, UnseenError


@dataclass
class FileReport:
    input: str
    output: str | None = None
    kind: str = "image"  # image | video
    status: str = "ok"  # ok | failed | skipped
    faces: int = 0  # boxes covered (for video: face-frames covered)
    metadata_removed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    exit_status: int = int(ExitStatus.OK)
    seconds: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def fail(self, err: UnseenError) -> FileReport:
        self.status = "failed"
        self.error = err.message
        self.exit_status = int(err.exit_status)
        self.output = None
        return self

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class BatchReport:
    files: list[FileReport] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # not media, listed for the user

    @property
    def failed(self) -> list[FileReport]:
        return [f for f in self.files if f.status == "failed"]

    @property
    def exit_status(self) -> ExitStatus:
        """OK when every file succeeded; else the status of the first failure."""
        for f in self.files:
            if f.status == "failed":
                return ExitStatus(f.exit_status)
        return ExitStatus.OK

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": [f.to_dict() for f in self.files],
            "skipped": list(self.skipped),
            "failed": len(self.failed),
            "exit_status": int(self.exit_status),
        }
