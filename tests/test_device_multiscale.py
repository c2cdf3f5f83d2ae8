"""The GPU path's multi-scale detector (pictures scaled, mirrored and tiled by torch) finds the
same faces as the CPU path; run here on torch's CPU device."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install 'unseen[torch]')")

from unseen.detect.device_multiscale import DeviceMultiScaleDetector  # noqa: E402
from unseen.detect.multiscale import MultiScaleDetector, Pass, iou_matrix  # noqa: E402
from unseen.detect.registry import build, passes_for  # noqa: E402
from unseen.detect.torch_nets import TorchCenterFaceNet, TorchYuNetNet  # noqa: E402
from unseen.settings import Settings  # noqa: E402

from .conftest import SHARED_DATA  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def nets():
    return {"centerface": TorchCenterFaceNet(device="cpu", threads=2), "yunet": TorchYuNetNet(device="cpu", threads=2)}


def _load(path: Path) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(path).convert("RGB"))


def _same_faces(a, b) -> None:
    assert abs(len(a) - len(b)) <= max(1, len(a) // 50), (len(a), len(b))
    if len(a):
        best = iou_matrix(a.boxes, b.boxes).max(axis=1)
        assert np.mean(best >= 0.5) >= 0.98
        assert np.median(best) >= 0.95


def _photos() -> list[np.ndarray]:
    out = [_load(ROOT / "examples" / "astronaut.jpg")]
    folder = SHARED_DATA / "widerface_dev" / "WIDER_val" / "images"
    if folder.exists():  # real crowds where ../shared is present; the astronaut alone elsewhere
        images = sorted(folder.glob("*/*.jpg"))
        out += [_load(images[0])[:400, :640].copy(), _load(images[3])]  # part of a crowd, a 275 x 1024 strip
    return out


@pytest.mark.parametrize("preset", ["default", "fast"])
def test_device_path_finds_what_the_cpu_path_finds(nets, preset):
    s = Settings(preset=preset, precision="fp32")  # the torch nets are the fp32 graphs
    cpu = build(s)  # onnxruntime, OpenCV scaling
    dev = DeviceMultiScaleDetector(nets, passes_for(s), name="dev", device="cpu", batch=2)
    photos = _photos()
    for image, found in zip(photos, dev.detect_many(photos)):  # mixed sizes in one call
        _same_faces(cpu.detect(image), found)


def test_subsets_mirror_and_upscale_map_back_to_native_pixels(nets):
    img = _load(ROOT / "examples" / "astronaut.jpg")
    ref = MultiScaleDetector(nets, (Pass("centerface", 1, 0.3),), name="ref")
    dev = DeviceMultiScaleDetector(nets, (Pass("centerface", 1, 0.3),), name="dev", device="cpu")
    want = ref.detect(img)
    assert len(want) == 1
    for p in (Pass("centerface", 1, 0.3, flip=True), Pass("centerface", 1.5, 0.3), Pass("yunet", 0.5, 0.5, grow=1.2)):
        got = dev.detect(img, (p,))
        assert len(got) >= 1
        assert iou_matrix(want.boxes, got.boxes).max() > 0.6, p


def test_batches_equal_single_frames(nets):
    img = _load(ROOT / "examples" / "astronaut.jpg")[::2, ::2].copy()
    frames = [img, img[:, ::-1].copy(), np.zeros((40, 70, 3), np.uint8), img[:150, :200].copy()]
    dev = DeviceMultiScaleDetector(nets, passes_for(Settings()), name="dev", device="cpu", batch=3)
    together = dev.detect_many(frames)
    for frame, got in zip(frames, together):
        one = dev.detect(frame)
        assert np.allclose(one.boxes, got.boxes, atol=1e-3) and np.allclose(one.scores, got.scores, atol=1e-5)


def test_registry_builds_the_device_path_for_torch_on_cuda(monkeypatch):
    import unseen.detect.registry as registry
    import unseen.detect.torch_nets as tn

    monkeypatch.setattr(registry, "runtime_for", lambda settings: "torch")

    class _FakeNet:
        multiple = 32

        def __init__(self, **kw):
            self.kw = kw

    monkeypatch.setattr(tn, "TorchCenterFaceNet", _FakeNet)
    monkeypatch.setattr(tn, "TorchYuNetNet", _FakeNet)
    det = registry.build(Settings(device="cuda", backend="torch"))
    assert isinstance(det, DeviceMultiScaleDetector) and det.device == "cuda" and det.batch > 1
    assert det.name.endswith("@torch-cuda")
