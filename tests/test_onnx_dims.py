"""The wire-format edit that makes the vendored graphs' image dimensions symbolic, and the start-up
it buys: nothing on the photo or video path imports the ``onnx`` package."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from unseen.detect.onnx_dims import symbolic_dims
from unseen.detect.weights import load_weights
from unseen.errors import ModelError

from .video_factory import make_clip

GRAPHS = [
    ("centerface.onnx", {0: "n", 2: "h", 3: "w"}, {0: "n", 2: "fh", 3: "fw"}),
    ("yunet_2023mar.onnx", {2: "h", 3: "w"}, {1: "cells"}),
]


def _onnx_edit(model_bytes: bytes, input_dims: dict[int, str], output_dims: dict[int, str]) -> bytes:
    """The same edit made with the onnx package (what the project did before)."""
    onnx = pytest.importorskip("onnx")
    model = onnx.load_from_string(model_bytes)
    dims = model.graph.input[0].type.tensor_type.shape.dim
    for axis, name in input_dims.items():
        dims[axis].ClearField("dim_value")
        dims[axis].dim_param = name
    for out in model.graph.output:
        odims = out.type.tensor_type.shape.dim
        for axis, name in output_dims.items():
            if axis < len(odims):
                odims[axis].ClearField("dim_value")
                odims[axis].dim_param = f"{name}_{out.name}"
    return model.SerializeToString()


@pytest.mark.parametrize("name,inputs,outputs", GRAPHS)
def test_edit_is_byte_identical_to_onnx_packages(name, inputs, outputs):
    model = load_weights(name)
    ours = symbolic_dims(model, inputs, outputs)
    assert ours != model
    assert ours == _onnx_edit(model, inputs, outputs)


@pytest.mark.parametrize("name,inputs,outputs", GRAPHS)
def test_edited_graph_runs_at_other_sizes(name, inputs, outputs):
    import onnxruntime as ort

    session = ort.InferenceSession(symbolic_dims(load_weights(name), inputs, outputs), providers=["CPUExecutionProvider"])
    shape = session.get_inputs()[0].shape
    assert [shape[a] for a in sorted(inputs)] == [inputs[a] for a in sorted(inputs)]
    batch = 1 if 0 in inputs else shape[0]
    session.run(None, {session.get_inputs()[0].name: np.zeros((batch, 3, 64, 96), np.float32)})


@pytest.mark.parametrize("junk", [b"", b"\x08", b"\xff" * 12, b"\x3a\xff\xff\xff\x0f", b"\x12\x03abc"])
def test_garbage_is_a_model_error(junk):
    with pytest.raises(ModelError, match="cannot be parsed as ONNX"):
        symbolic_dims(junk, {2: "h"})


def test_photo_and_video_paths_do_not_import_onnx(tmp_path: Path):
    """Importing onnx costs seconds of start-up; neither pipeline needs it."""
    clip = tmp_path / "clip.mp4"
    make_clip(clip, n=6)
    script = textwrap.dedent(
        f"""
        import sys
        import numpy as np
        from unseen import Settings, anonymize_array, anonymize_video
        anonymize_array(np.full((96, 128, 3), 128, np.uint8), Settings())
        anonymize_video({str(clip)!r}, {str(tmp_path / "out.mp4")!r}, Settings())
        print(sorted(m for m in sys.modules if m == "onnx" or m.startswith("onnx.")))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
