"""Path confinement: the media the review page may show are the photos and videos under the paths
it was given, each named by an id; a name is resolved (symlinks followed) and must stay inside."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError, InputNotFound
from ..media.kinds import media_kind
from ..pipeline.paths import OUTPUT_TAG, photo_output_name

PLAN_SUFFIX = ".plan.json"


@dataclass(frozen=True)
class MediaFile:
    id: str
    path: Path  # resolved, inside a root
    kind: str  # "image" or "video"


def _inside(path: Path, roots: tuple[Path, ...]) -> bool:
    return any(path == r or path.is_relative_to(r) for r in roots)


class Workspace:
    """The photos and videos under the given paths (files, or folders walked), and where their plans
    and outputs go (beside the file, or mirrored under ``out``)."""

    def __init__(self, paths: list[Path], out: Path | None = None):
        roots: list[Path] = []
        for p in paths:
            if not p.exists():
                raise InputNotFound("no such file or folder", path=p)
            roots.append(p.resolve())
        self.roots = tuple(roots)
        self.out = None if out is None else out.resolve()
        self._files: dict[str, MediaFile] = {}
        self._bases: dict[str, Path] = {}
        for root in self.roots:
            candidates = [root] if root.is_file() else sorted(q for q in root.rglob("*") if q.is_file())
            for q in candidates:
                self._add(q, root)
        if not self._files:
            raise ConfigError("no photos or videos under the given paths")

    def _add(self, q: Path, root: Path) -> None:
        real = q.resolve()
        if not _inside(real, self.roots) or not real.is_file():
            return  # a symlink pointing out of the given paths is not served
        if real.name.endswith(PLAN_SUFFIX) or ".unseen." in real.name:
            return
        kind = media_kind(real)
        if kind is None:
            return
        fid = hashlib.sha256(str(real).encode()).hexdigest()[:16]
        self._files[fid] = MediaFile(fid, real, kind)
        self._bases[fid] = root if root.is_dir() else root.parent

    @property
    def files(self) -> list[MediaFile]:
        return list(self._files.values())

    def get(self, fid: str) -> MediaFile:
        """The file named ``fid``, re-checked to be inside the roots now (a swapped symlink fails)."""
        f = self._files.get(fid)
        if f is None or not _inside(f.path.resolve(), self.roots):
            raise InputNotFound("no such file in this review", path=fid)
        return f

    def _target(self, f: MediaFile, suffix_name: str) -> Path:
        if self.out is None:
            return f.path.with_name(suffix_name)
        rel = f.path.parent.relative_to(self._bases[f.id]) if f.path.is_relative_to(self._bases[f.id]) else Path()
        return self.out / rel / suffix_name

    def plan_path(self, f: MediaFile) -> Path:
        return self._target(f, f.path.name + PLAN_SUFFIX)

    def output_path(self, f: MediaFile) -> Path:
        name = (
            photo_output_name(f.path, OUTPUT_TAG) if f.kind == "image" else f"{f.path.stem}{OUTPUT_TAG}{f.path.suffix}"
        )
        return self._target(f, name)
