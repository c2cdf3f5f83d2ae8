"""Every (preset, backend, stride) the command line accepts runs a photo and a video to the end.

The picture is the example photo's face at 256 x 256 (as a photo, and as every frame of a short
clip); every combination must exit 0 and leave the face solidly covered in every output frame.
Issue 12: ``--backend centerface`` failed on every video (``KeyError: 'yunet'``: the video
schedule's cheap tiers were YuNet, for which a CenterFace-only detector had no network), also with
``--preset fast`` and with ``--preset thorough --detect-stride 1``.
"""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from unseen.cli import main
from unseen.detect.presets import preset_for
from unseen.settings import Backend, PresetName

from .conftest import EXAMPLE_PHOTO
from .video_factory import make_clip, read_frames

PRESETS = [p.value for p in PresetName]  # every choice the command line accepts
BACKENDS = [b.value for b in Backend]
SIZE = 256
FACE_CENTRE = (slice(50, 70), slice(102, 122))  # rows, columns inside the face of the example photo

STRIDES = [None, "0"]  # the preset's own stride, and every pass on every frame
CASES = [(p, b, s) for p in PRESETS for b in BACKENDS for s in STRIDES]
CASES += [("thorough", b, "1") for b in BACKENDS]  # thorough runs every frame unless a stride is given


def _needs(backend: str) -> None:
    if backend == "torch":
        pytest.importorskip("torch", reason="--backend torch needs PyTorch (pip install 'unseen[torch]')")


def _face() -> np.ndarray:
    rgb = np.asarray(Image.open(EXAMPLE_PHOTO).convert("RGB"))
    return cv2.resize(rgb, (SIZE, SIZE), interpolation=cv2.INTER_AREA)


def _cli(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([*argv, "-q", "--threads", "1"], stdout=out, stderr=err)
    return code, err.getvalue()


def _covered(rgb: np.ndarray) -> bool:
    return int(rgb[FACE_CENTRE].max()) <= 24  # the solid black fill, give or take codec noise


def _options(preset: str, backend: str, stride: str | None = None) -> list[str]:
    opts = ["--preset", preset, "--backend", backend]
    return opts + (["--detect-stride", stride] if stride is not None else [])


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("backend", BACKENDS)
def test_photo_through_every_preset_and_backend(tmp_path: Path, preset: str, backend: str) -> None:
    _needs(backend)
    src = tmp_path / "face.png"
    Image.fromarray(_face()).save(src)
    dst = tmp_path / "out.png"
    code, err = _cli(str(src), "-o", str(dst), *_options(preset, backend))
    assert code == 0, err
    assert _covered(np.asarray(Image.open(dst).convert("RGB")))


@pytest.mark.parametrize("preset,backend,stride", CASES)
def test_video_through_every_preset_backend_and_stride(tmp_path: Path, preset: str, backend: str, stride: str | None) -> None:
    _needs(backend)
    face = _face()
    clip = make_clip(tmp_path / "face.mp4", width=SIZE, height=SIZE, n=12, fps=10, bframes=0, draw=lambda i, t, w, h: face)
    dst = tmp_path / "out.mp4"
    code, err = _cli(str(clip.path), "-o", str(dst), *_options(preset, backend, stride))
    assert code == 0, err
    frames, _ = read_frames(dst)
    assert len(frames) == 12
    assert all(_covered(f) for f in frames), [i for i, f in enumerate(frames) if not _covered(f)]


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_preset_names_only_the_networks_its_backend_asks_for(preset: str, backend: str) -> None:
    p = preset_for(preset, backend)
    if backend in ("centerface", "yunet"):
        assert set(p.nets) == {backend}  # the cheap tiers too: no other network added silently
    assert set(p.nets) >= {q.net for q in p.passes}
    assert any(q.scale == 1 for q in p.passes)
    assert p.box_scale > 1
