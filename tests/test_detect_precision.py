"""CenterFace's int8 build: which settings run it, that it finds what fp32 finds, and that the
shipped file is the one tools/quantize_centerface.py makes."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from unseen import ConfigError, Settings
from unseen.cli import main
from unseen.detect import build_detector, registry
from unseen.detect.centerface import CenterFaceNet
from unseen.detect.multiscale import iou_matrix

from .conftest import EXAMPLE_PHOTO, REPO, shared_data


def _rgb(path) -> np.ndarray:  # type: ignore[no-untyped-def]
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


@pytest.fixture(scope="module")
def builds():
    return {p: CenterFaceNet(device="cpu", threads=1, precision=p) for p in ("fp32", "int8")}


# --- which build runs where ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "want"),
    [
        ({}, "int8"),  # the default preset on the CPU
        ({"preset": "thorough"}, "fp32"),  # checks and --verify keep the original
        ({"preset": "fast"}, "fp32"),  # (no CenterFace pass at all)
        ({"backend": "centerface"}, "fp32"),  # not measured in int8: the original
        ({"backend": "torch"}, "fp32"),
        ({"precision": "fp32"}, "fp32"),
        ({"precision": "int8", "preset": "thorough"}, "int8"),
    ],
)
def test_auto_takes_int8_only_where_it_was_measured(kwargs, want):
    assert registry.precision_for(Settings(**kwargs)) == want


def test_auto_is_fp32_on_the_gpu():
    assert registry.precision_for(Settings(device="cuda")) == "fp32"


def test_default_detector_runs_the_int8_build_at_its_own_threshold():
    det = build_detector(Settings(threads=1))
    assert det.name == "centerface-int8+yunet/default@onnxruntime-cpu"
    assert det.nets["centerface"].precision == "int8"
    cf = [p.threshold for p in det.passes if p.net == "centerface"]
    assert cf == [0.075, 0.075]
    assert [p.threshold for p in det.passes if p.net == "yunet"] == [0.3]  # YuNet unchanged
    fp32 = build_detector(Settings(threads=1, precision="fp32"))
    assert fp32.name == "centerface+yunet/default@onnxruntime-cpu"
    assert [p.threshold for p in fp32.passes if p.net == "centerface"] == [0.08, 0.08]


def test_a_threshold_setting_still_replaces_every_pass_threshold():
    det = build_detector(Settings(threads=1, threshold=0.42))
    assert {p.threshold for p in det.passes} == {0.42}


@pytest.mark.parametrize("kwargs", [{"device": "cuda"}, {"backend": "torch"}])
def test_int8_off_the_cpu_onnxruntime_is_a_config_error(kwargs):
    with pytest.raises(ConfigError, match="int8 runs on onnxruntime on the CPU only"):
        Settings(precision="int8", **kwargs)


def test_cli_refuses_int8_on_cuda_with_exit_2(tmp_path, capsys):
    out = tmp_path / "out.jpg"
    rc = main([str(EXAMPLE_PHOTO), "-o", str(out), "--precision", "int8", "--device", "cuda"])
    assert rc == 2
    assert "int8 runs on onnxruntime on the CPU only" in capsys.readouterr().err
    assert not out.exists()


def test_cli_precision_choices_are_checked(capsys):
    assert main([str(EXAMPLE_PHOTO), "--precision", "int4"]) == 2
    assert "invalid choice: 'int4'" in capsys.readouterr().err


# --- what the int8 build finds ------------------------------------------------------------------
def test_int8_finds_the_astronauts_face_where_fp32_does(builds):
    img = _rgb(EXAMPLE_PHOTO)
    a, b = builds["fp32"].infer(img, 0.3), builds["int8"].infer(img, 0.3)
    assert len(a) == 1 and len(b) == 1
    assert iou_matrix(a.boxes, b.boxes)[0, 0] > 0.85
    assert abs(float(a.scores[0]) - float(b.scores[0])) < 0.1


def test_int8_finds_nothing_in_a_flat_image(builds):
    assert len(builds["int8"].infer(np.full((256, 320, 3), 128, np.uint8), 0.075)) == 0


def test_int8_default_covers_the_crowd_faces_fp32_covers():
    """A WIDER dev crowd (39 faces, most 10-30 px): the int8 default detector covers as many of the
    true faces as the fp32 one (one fewer at most), with collateral in the same budget."""
    from unseen.cover import apply_cover
    from unseen_eval import widerface as wf

    root = shared_data("widerface_dev")
    name = "0--Parade/0_Parade_Parade_0_102.jpg"
    truth = next(t for t in wf.load(root) if t.name == name)
    rgb = _rgb(root / "WIDER_val" / "images" / name)
    valid = ~truth.invalid
    covered = {}
    for precision in ("fp32", "int8"):
        settings = Settings(threads=1, precision=precision)
        out = rgb.copy()
        apply_cover(out, build_detector(settings).detect(rgb), settings)
        score = wf.score_arrays(truth, rgb, out)
        covered[precision] = int(score.covered[valid].sum())
        assert score.collateral < 0.06, precision  # fp32: 5.0 % at 1.3x, 5.3 % at the default's 1.35x
        if precision == "int8":
            big = valid & (truth.heights >= 10)
            assert score.covered[big].mean() >= 0.9, f"{score.covered[big].sum()} of {big.sum()} faces >= 10 px"
    assert covered["int8"] >= covered["fp32"] - 1, covered


# --- the shipped file is the tool's output ------------------------------------------------------
def test_the_shipped_int8_file_is_what_the_tool_builds():
    shared_data("identities_dev", "images")
    shared_data("video")
    import onnx
    import onnxruntime

    if (onnxruntime.__version__, onnx.__version__) != ("1.32.0", "1.23.2"):
        pytest.skip(f"the file was made with onnxruntime 1.32.0 / onnx 1.23.2; here {onnxruntime.__version__} / {onnx.__version__}")
    done = subprocess.run(
        [sys.executable, str(REPO / "tools" / "quantize_centerface.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "same" in done.stdout


# --- the pipeline's detector cache -----------------------------------------------------------------
def test_the_pipeline_builds_one_detector_per_precision():
    from unseen.detect.cache import detector_for

    int8, fp32 = detector_for(Settings(threads=1)), detector_for(Settings(threads=1, precision="fp32"))
    assert int8 is not fp32
    assert int8.name.startswith("centerface-int8+") and fp32.name.startswith("centerface+")
    assert detector_for(Settings(threads=1, precision="int8")) is not fp32


class _Recording:
    """Settings that note which of their fields are read."""

    def __init__(self, settings: Settings):
        object.__setattr__(self, "_settings", settings)
        object.__setattr__(self, "read", set())

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        self.read.add("threads" if name == "n_threads" else name)
        return getattr(self._settings, name)


@pytest.mark.parametrize(
    "settings",
    [Settings(threads=1), Settings(threads=1, preset="thorough", threshold=0.2), Settings(threads=1, backend="torch")],
    ids=["default", "thorough", "torch"],
)
def test_the_detector_cache_key_holds_every_setting_the_registry_reads(settings):
    """A setting read by build() but missing from the cache key would hand one setting's detector to
    another (as precision once was: --precision fp32 after a default run got the int8 detector)."""
    if settings.backend == "torch":
        pytest.importorskip("torch", reason="PyTorch is not installed (pip install 'unseen[torch]')")
    rec = _Recording(settings)
    registry.build(rec)  # type: ignore[arg-type]
    assert rec.read, "nothing recorded"
    assert rec.read <= set(registry.DETECTOR_SETTINGS), rec.read - set(registry.DETECTOR_SETTINGS)


def test_photo_and_video_reports_name_the_detector_that_ran(tmp_path):
    """A published output's report says which networks and which precision covered it."""
    from unseen.pipeline.api import anonymize_image, anonymize_video

    from .video_factory import make_clip

    photo = anonymize_image(EXAMPLE_PHOTO, tmp_path / "a.png", Settings(threads=1))
    assert photo.details.detector == "centerface-int8+yunet/default@onnxruntime-cpu"
    photo32 = anonymize_image(EXAMPLE_PHOTO, tmp_path / "b.png", Settings(threads=1, precision="fp32"))
    assert photo32.details.detector == "centerface+yunet/default@onnxruntime-cpu"
    clip = tmp_path / "c.mp4"
    make_clip(clip, n=6)
    video = anonymize_video(clip, tmp_path / "c.out.mp4", Settings(threads=1, precision="fp32"))
    assert video.details.detector == "centerface+yunet/default@onnxruntime-cpu"
