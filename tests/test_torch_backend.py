"""The PyTorch backend: our ONNX->torch converter, the torch nets against onnxruntime, batched
multi-scale detection, the registry's runtime/device choice and its refusals, the CLI.

Everything here runs on the CPU (CI has no GPU); the tests marked ``gpu`` run only where
``torch.cuda.is_available()``. Without torch installed the whole module skips, saying so.
"""

from __future__ import annotations

import io
import sys

import numpy as np
import pytest

try:
    import torch
except ImportError:  # pragma: no cover - CI installs torch
    pytest.skip("PyTorch is not installed (pip install 'unseen[torch]'); the torch backend is optional", allow_module_level=True)

from onnx import TensorProto, helper, numpy_helper
from PIL import Image

from unseen import ModelError, Settings
from unseen.detect import build_detector, registry
from unseen.detect.base import SinglePassNetBase
from unseen.detect.centerface import CenterFaceNet
from unseen.detect.multiscale import MultiScaleDetector, Pass
from unseen.detect.onnx_session import make_session, run
from unseen.detect.torch_graph import to_torch
from unseen.detect.torch_nets import TorchCenterFaceNet, TorchYuNetNet
from unseen.detect.weights import load_weights
from unseen.detect.yunet import YuNetNet
from unseen.types import Faces

from .conftest import EXAMPLE_PHOTO, SHARED_DATA

ORT = {"centerface": CenterFaceNet, "yunet": YuNetNet}
TORCH = {"centerface": TorchCenterFaceNet, "yunet": TorchYuNetNet}
THRESHOLD = {"centerface": 0.05, "yunet": 0.1}  # low: many boxes to compare
needs_gpu = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU visible to torch on this machine")


@pytest.fixture(scope="module")
def nets():
    """(onnxruntime, torch, torch selecting on the device as on CUDA) nets, one thread each."""
    return {n: (ORT[n](device="cpu", threads=1), TORCH[n](device="cpu", threads=1), TORCH[n](device="cpu", threads=1, select_on_device=True)) for n in ORT}


def _photo(size: int | None = None) -> np.ndarray:
    with Image.open(EXAMPLE_PHOTO) as im:
        rgb = np.asarray(im.convert("RGB"))
    return rgb if size is None else np.ascontiguousarray(rgb[:size, :size])


def _wider_image() -> np.ndarray | None:
    root = SHARED_DATA / "widerface_dev"
    found = sorted(root.rglob("*.jpg"))[:1] if root.exists() else []
    if not found:
        return None
    with Image.open(found[0]) as im:
        im = im.convert("RGB")
        im.thumbnail((640, 640))  # small for test speed; the comparison holds at any size
        return np.asarray(im)


def assert_same_faces(a: Faces, b: Faces, px: float = 1.0, score: float = 1e-3, roll: float = 1.0) -> None:
    """Same boxes (within ``px``), scores (within ``score``) and rolls (within ``roll`` degrees, or
    both unknown), in any order."""
    assert len(a) == len(b), f"{len(a)} boxes vs {len(b)}"
    if not len(a):
        return
    d = np.abs(a.boxes[:, None, :] - b.boxes[None, :, :]).max(axis=2)
    j = d.argmin(axis=1)
    assert np.all(d[np.arange(len(a)), j] <= px), d.min(axis=1).max()
    assert len(set(j.tolist())) == len(a)
    assert np.all(np.abs(a.scores - b.scores[j]) <= score)
    ra, rb = a.roll, b.roll[j]
    assert np.array_equal(np.isnan(ra), np.isnan(rb)), "rolls known for different faces"
    known = ~np.isnan(ra)
    assert np.all(np.abs((ra[known] - rb[known] + 180) % 360 - 180) <= roll), (ra, rb)


# --- the converter ---------------------------------------------------------------------------
@pytest.mark.parametrize("name,file", [("centerface", "centerface.onnx"), ("yunet", "yunet_2023mar.onnx")])
def test_converted_graph_computes_what_onnxruntime_computes(nets, name, file):
    ort_net = nets[name][0]
    module = to_torch(load_weights(file))
    rng = np.random.default_rng(0)
    for h, w in [(32, 32), (64, 96), (96, 160)]:
        x = rng.uniform(0, 255, (3, 3, h, w)).astype(np.float32)  # a batch of 3
        with torch.inference_mode():
            got = [t.numpy() for t in module(torch.from_numpy(x))]
        for k in range(3):  # the ORT YuNet session has a fixed batch of 1
            want = run(ort_net.session, {ort_net.input_name: x[k : k + 1]}, name)
            assert len(want) == len(got)
            for wa, ga in zip(want, got):
                assert ga[k : k + 1].shape == wa.shape
                np.testing.assert_allclose(ga[k : k + 1], wa, rtol=1e-4, atol=1e-4)


def _model(nodes, inits, in_shape=(1, 4, 9, 11), out="y"):  # type: ignore[no-untyped-def]
    graph = helper.make_graph(
        nodes,
        "t",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(in_shape))],
        [helper.make_tensor_value_info(out, TensorProto.FLOAT, None)],
        [numpy_helper.from_array(v, k) for k, v in inits.items()],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)], ir_version=6).SerializeToString()


def test_converter_handles_asymmetric_pads_groups_dilations_and_output_padding():
    rng = np.random.default_rng(1)
    f = lambda *s: rng.standard_normal(s).astype(np.float32)  # noqa: E731
    inits = {
        "w1": f(6, 2, 3, 3), "b1": f(6),
        "w2": f(6, 3, 2, 3), "b2": f(6),
        "g": f(6), "be": f(6), "m": f(6), "v": np.abs(f(6)) + 0.5,
        "w3": f(6, 6, 1, 1),
    }
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[0, 1, 2, 0], strides=[2, 1], group=2, dilations=[2, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("ConvTranspose", ["r1", "w2", "b2"], ["t1"], strides=[2, 2], pads=[1, 0, 0, 1], output_padding=[1, 1], group=2),
        helper.make_node("BatchNormalization", ["t1", "g", "be", "m", "v"], ["n1"], epsilon=1e-3),
        helper.make_node("MaxPool", ["n1"], ["p1"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 0, 0, 1], ceil_mode=1),
        helper.make_node("Conv", ["p1", "w3"], ["c3"]),
        helper.make_node("Add", ["c3", "p1"], ["a1"]),
        helper.make_node("Sigmoid", ["a1"], ["y"]),
    ]
    model = _model(nodes, inits)
    x = rng.uniform(-3, 3, (1, 4, 9, 11)).astype(np.float32)
    want = run(make_session(model, device="cpu", threads=1, name="t"), {"x": x}, "t")[0]
    with torch.inference_mode():
        got = to_torch(model)(torch.from_numpy(x))[0].numpy()
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_converter_refuses_an_unknown_operator():
    model = _model([helper.make_node("LeakyRelu", ["x"], ["y"], alpha=0.1)], {})
    with pytest.raises(ModelError, match="LeakyRelu"):
        to_torch(model)


def test_converter_refuses_a_resize_mode_it_does_not_implement_exactly():
    inits = {"roi": np.zeros(0, np.float32), "s": np.array([1, 1, 2, 2], np.float32)}
    node = helper.make_node("Resize", ["x", "roi", "s"], ["y"], mode="linear")
    with pytest.raises(ModelError, match="Resize mode=linear"):
        to_torch(_model([node], inits))


def test_converter_refuses_a_reshape_that_moves_the_batch():
    node = helper.make_node("Reshape", ["x", "s"], ["y"])
    with pytest.raises(ModelError, match="batch"):
        to_torch(_model([node], {"s": np.array([4, -1], np.int64)}))


def test_converter_refuses_bytes_that_are_not_onnx():
    with pytest.raises(ModelError, match="ONNX"):
        to_torch(b"not a model")


def test_converted_module_keeps_weights_as_buffers():
    module = to_torch(load_weights("yunet_2023mar.onnx"))
    assert len(list(module.buffers())) > 50 and all(b.dtype in (torch.float32, torch.int64) for b in module.buffers())


# --- the nets --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(ORT))
def test_torch_nets_match_onnxruntime_on_a_real_photo(nets, name):
    ort_net, torch_net, on_device = nets[name]
    images = [_photo(), _photo(200)]
    wider = _wider_image()
    if wider is not None:
        images.append(wider)
    for img in images:
        want = ort_net.infer(img, THRESHOLD[name])
        assert len(want) >= 1
        assert_same_faces(want, torch_net.infer(img, THRESHOLD[name]))
        assert_same_faces(want, on_device.infer(img, THRESHOLD[name]))


@pytest.mark.parametrize("name", sorted(ORT))
def test_infer_many_batches_mixed_shapes_like_single_calls(nets, name):
    ort_net, torch_net, on_device = nets[name]
    photo = _photo()
    images = [photo[:160, :192], photo[100:260, 50:242], photo[:150, :180], np.zeros((0, 5, 3), np.uint8), photo[:37, :70], photo[200:360, 300:492]]
    images = [np.ascontiguousarray(im) for im in images]
    want = [ort_net.infer(im, THRESHOLD[name]) for im in images]
    for net in (torch_net, on_device, ort_net):
        got = net.infer_many(images, THRESHOLD[name])
        assert len(got) == len(images)
        for w, g in zip(want, got):
            assert_same_faces(w, g)


def test_torch_net_chunks_a_batch_larger_than_its_pixel_budget():
    net = TorchYuNetNet(device="cpu", threads=1, max_batch_pixels=64 * 64 * 2)
    photo = _photo()
    images = [np.ascontiguousarray(photo[i * 40 : i * 40 + 64, :64]) for i in range(5)]
    ref = TorchYuNetNet(device="cpu", threads=1)
    for w, g in zip([ref.infer(im, 0.1) for im in images], net.infer_many(images, 0.1)):
        assert_same_faces(w, g)


def test_torch_net_refuses_precisions_the_cpu_lacks():
    with pytest.raises(ModelError, match="fp16"):
        TorchYuNetNet(device="cpu", precision="fp16")


def test_torch_missing_is_a_model_error_saying_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch -> ImportError
    with pytest.raises(ModelError, match=r"unseen\[torch\]"):
        TorchCenterFaceNet(device="cpu")
    with pytest.raises(ModelError, match=r"unseen\[torch\]"):
        build_detector(Settings(backend="torch", threads=1))


# --- batched multi-scale detection -----------------------------------------------------------
def _images() -> list[np.ndarray]:
    photo = _photo()
    return [
        np.ascontiguousarray(photo[:200, :256]),
        np.ascontiguousarray(photo[50:250, 100:356]),  # the same shape as the first: one batch
        np.ascontiguousarray(photo[:90, :130]),
        np.zeros((40, 2600, 3), np.uint8),  # several tiles in the 2x pass, context levels
        np.zeros((0, 0, 3), np.uint8),
    ]


def _same(a: Faces, b: Faces) -> bool:
    return len(a) == len(b) and np.array_equal(a.boxes, b.boxes) and np.array_equal(a.scores, b.scores)


@pytest.mark.parametrize("preset", ["default", "thorough"])
def test_detect_many_gives_exactly_what_detect_gives(preset):
    det = build_detector(Settings(preset=preset, threads=1))
    images = _images()
    many = det.detect_many(images)
    assert len(many) == len(images)
    for im, got in zip(images, many):
        assert _same(det.detect(im), got)
    assert len(many[0]) >= 1
    subset = [p for p in det.passes if p.net == "yunet"] or det.passes[:1]
    for im, got in zip(images, det.detect_many(images, subset)):
        assert _same(det.detect(im, subset), got)


class _CountingNet(SinglePassNetBase):
    """A fake network that 'finds' a fixed box in every tile and records its batch sizes."""

    multiple = 32

    def __init__(self, name: str):
        self.name = name
        self.batches: list[int] = []

    def infer(self, rgb, threshold):  # type: ignore[no-untyped-def]
        return self.infer_many([rgb], threshold)[0]

    def infer_many(self, images, threshold):  # type: ignore[no-untyped-def]
        self.batches.append(len(images))
        return [Faces(np.array([[2, 2, 12, 14]], np.float32), [0.9]).clipped(im.shape[1], im.shape[0]) for im in images]


def test_detect_many_sends_all_tiles_of_a_network_and_threshold_in_one_call():
    cf, yn = _CountingNet("centerface"), _CountingNet("yunet")
    passes = [Pass("centerface", 1, 0.1), Pass("centerface", 1, 0.1, flip=True), Pass("yunet", 2, 0.3)]
    det = MultiScaleDetector(
        {"centerface": cf, "yunet": yn}, passes, name="t", tile=256, overlap=64, batch=4, edges=False
    )  # (the mirrored-edge pass is one picture per frame, after the batch)
    assert det.batch == 4
    frames = [np.zeros((120, 200, 3), np.uint8) for _ in range(4)]
    many = det.detect_many(frames)
    assert cf.batches == [8]  # 4 frames x (plain + mirrored)
    assert yn.batches == [4 * 2 * 1]  # 4 frames x 2 tiles across the 2x image (400 x 240)
    single = [det.detect(f) for f in frames]
    assert all(_same(a, b) for a, b in zip(single, many))


def test_torch_detector_detect_many_matches_detect():
    det = build_detector(Settings(backend="torch", preset="fast", threads=1))
    images = _images()[:3]
    for im, got in zip(images, det.detect_many(images)):
        assert_same_faces(det.detect(im), got)


# --- registry: runtime and device ------------------------------------------------------------
def test_torch_backend_runs_the_preset_passes_on_torch():
    det = build_detector(Settings(backend="torch", threads=1))
    assert det.name == "centerface+yunet/default@torch-cpu"
    assert det.passes == registry.passes_for(Settings(threads=1, precision="fp32"))  # torch runs fp32
    assert isinstance(det.nets["centerface"], TorchCenterFaceNet) and isinstance(det.nets["yunet"], TorchYuNetNet)
    assert det.batch == 1
    ort = build_detector(Settings(threads=1, precision="fp32"))  # the same graph on onnxruntime
    assert ort.name == "centerface+yunet/default@onnxruntime-cpu"
    img = _photo(256)
    assert_same_faces(ort.detect(img), det.detect(img))


def _no_cuda_anywhere(monkeypatch):  # type: ignore[no-untyped-def]
    import onnxruntime

    monkeypatch.setattr(onnxruntime, "get_available_providers", lambda: ["CPUExecutionProvider"])
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


@pytest.mark.parametrize("backend", ["auto", "centerface", "yunet"])
def test_cuda_without_any_gpu_runtime_names_both_ways(monkeypatch, backend):
    _no_cuda_anywhere(monkeypatch)
    with pytest.raises(ModelError) as info:
        build_detector(Settings(device="cuda", backend=backend, threads=1))
    msg = str(info.value)
    assert "unseen[gpu]" in msg and "CUDA build of torch" in msg and "--device cpu" in msg


def test_torch_backend_on_cuda_without_cuda_is_refused(monkeypatch):
    _no_cuda_anywhere(monkeypatch)
    with pytest.raises(ModelError, match="backend 'torch' on device 'cuda'"):
        build_detector(Settings(device="cuda", backend="torch", threads=1))
    with pytest.raises(ModelError, match="refusing to run on CPU"):
        TorchYuNetNet(device="cuda")


def test_cuda_prefers_onnxruntime_cuda_when_it_is_there(monkeypatch):
    import onnxruntime

    monkeypatch.setattr(onnxruntime, "get_available_providers", lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"])
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert registry.runtime_for(Settings(device="cuda")) == "onnxruntime"
    assert registry.runtime_for(Settings(device="cuda", backend="torch")) == "torch"
    assert registry.runtime_for(Settings(device="cpu")) == "onnxruntime"


def test_cuda_takes_torch_when_only_torch_has_cuda(monkeypatch):
    import onnxruntime

    monkeypatch.setattr(onnxruntime, "get_available_providers", lambda: ["CPUExecutionProvider"])
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert registry.runtime_for(Settings(device="cuda", backend="yunet")) == "torch"
    built = []
    monkeypatch.setattr(registry, "_net", lambda name, runtime, device, threads, precision: built.append((name, runtime, device, precision)) or _CountingNet(name))
    det = build_detector(Settings(device="cuda", threads=1))
    assert det.name == "centerface+yunet/default@torch-cuda"
    assert det.batch > 1
    assert built == [("centerface", "torch", "cuda", "fp32"), ("yunet", "torch", "cuda", "fp32")]


# --- the CLI ---------------------------------------------------------------------------------
def test_cli_backend_torch_end_to_end(tmp_path):
    from unseen.cli import main

    src = tmp_path / "face.png"
    Image.fromarray(_photo(256)).save(src)
    out, err = io.StringIO(), io.StringIO()
    code = main([str(src), "--backend", "torch", "--threads", "1"], stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    dst = tmp_path / "face.unseen.png"
    assert dst.exists() and "1 faces covered" in out.getvalue()
    covered = np.asarray(Image.open(dst))
    assert (covered == 0).all(axis=2).sum() > 2000  # the face (about 80 x 100 px) is painted black


def test_cli_cuda_without_gpu_exits_with_the_model_status(tmp_path, monkeypatch):
    from unseen.cli import main
    from unseen.errors import ExitStatus

    _no_cuda_anywhere(monkeypatch)
    src = tmp_path / "face.png"
    Image.fromarray(_photo(64)).save(src)
    out, err = io.StringIO(), io.StringIO()
    code = main([str(src), "--backend", "torch", "--device", "cuda"], stdout=out, stderr=err)
    assert code == ExitStatus.MODEL
    assert "cuda" in err.getvalue() and not (tmp_path / "face.unseen.png").exists()


# --- a real GPU ------------------------------------------------------------------------------
@needs_gpu
@pytest.mark.gpu
@pytest.mark.parametrize("name", sorted(ORT))
def test_cuda_nets_match_the_cpu(nets, name):
    ort_net = nets[name][0]
    gpu = TORCH[name](device="cuda")
    img = _photo()
    want = ort_net.infer(img, THRESHOLD[name])
    assert_same_faces(want, gpu.infer(img, THRESHOLD[name]), px=1.5, score=2e-3)
    many = gpu.infer_many([img, img[:300, :200].copy(), img], THRESHOLD[name])
    assert_same_faces(want, many[0], px=1.5, score=2e-3)
    assert_same_faces(want, many[2], px=1.5, score=2e-3)
    half = TORCH[name](device="cuda", precision="fp16")
    assert len(half.infer(img, THRESHOLD[name])) >= 1


@needs_gpu
@pytest.mark.gpu
def test_cuda_detector_builds_and_batches():
    det = build_detector(Settings(device="cuda", backend="torch"))
    assert det.name.endswith("@torch-cuda") and det.batch > 1
    img = _photo()
    many = det.detect_many([img] * 3)
    assert len(many) == 3 and all(len(f) >= 1 for f in many)
