"""A small ONNX -> PyTorch converter for the two vendored graphs (our own; no onnx2torch).

:func:`to_torch` turns the ONNX bytes (the same SHA-checked bytes the onnxruntime nets load) into a
``torch.nn.Module`` that runs the graph's nodes in order with ``torch.nn.functional``. It supports
exactly the operators the vendored graphs use, with the attributes they may carry:

    Conv, ConvTranspose, BatchNormalization, MaxPool   (2-D, any pads/strides/groups/dilations)
    Relu, Sigmoid, Add, Transpose
    Reshape   (constant target shape; a leading dim equal to the graph's batch follows the input)
    Resize    (nearest, asymmetric coordinates, floor rounding, integer scales: the upsampling
               the graphs use)

Anything else (another operator, an attribute value outside these) is a :class:`ModelError` naming
it: a graph we cannot run exactly is refused, never approximated. Weights become buffers, so
``.to(device)`` moves them; the module takes any batch and any height/width the graph's strides
allow (multiples of 32 for ours). Nodes not needed for the requested outputs are dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ModelError

SUPPORTED = (
    "Add",
    "BatchNormalization",
    "Conv",
    "ConvTranspose",
    "MaxPool",
    "Relu",
    "Reshape",
    "Resize",
    "Sigmoid",
    "Transpose",
)


def import_torch():  # type: ignore[no-untyped-def]
    """``torch``, or a ModelError saying how to install it."""
    try:
        import torch
    except ImportError as exc:
        raise ModelError(
            f"PyTorch is not installed ({exc}); pip install 'unseen[torch]' (or use --backend auto on onnxruntime)"
        ) from exc
    return torch


def import_onnx():  # type: ignore[no-untyped-def]
    """``onnx`` (only the converter needs it: the onnxruntime path never imports it), or a
    ModelError saying how to install it."""
    try:
        import onnx
    except ImportError as exc:
        raise ModelError(f"the onnx package is not installed ({exc}); pip install 'unseen[torch]'") from exc
    return onnx


def _attrs(node) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    from onnx import helper

    out = {}
    for a in node.attribute:
        v = helper.get_attribute_value(a)
        out[a.name] = v.decode() if isinstance(v, bytes) else v
    return out


def _pairs(pads: Sequence[int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """ONNX 2-D pads ``[h_begin, w_begin, h_end, w_end]`` -> ((h_begin, h_end), (w_begin, w_end))."""
    if len(pads) != 4:
        raise ValueError
    return (int(pads[0]), int(pads[2])), (int(pads[1]), int(pads[3]))


class _Node:
    """One graph node, its attributes checked and turned into call arguments at conversion."""

    __slots__ = ("op", "inputs", "outputs", "args", "label")

    def __init__(self, op: str, inputs: list[str], outputs: list[str], args: dict[str, Any], label: str):
        self.op, self.inputs, self.outputs, self.args, self.label = op, inputs, outputs, args, label


def _check_known(node, attrs: dict[str, Any], known: set[str], label: str) -> None:  # type: ignore[no-untyped-def]
    extra = set(attrs) - known
    if extra:
        raise ModelError(
            f"{label}: {node.op_type} attribute(s) {', '.join(sorted(extra))} not supported by unseen's torch converter"
        )


def _conv_args(node, attrs: dict[str, Any], weight: np.ndarray, label: str, transpose: bool) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    known = {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"}
    if transpose:
        known |= {"output_padding"}
    _check_known(node, attrs, known, label)
    if weight.ndim != 4:
        raise ModelError(f"{label}: {node.op_type} with a {weight.ndim - 2}-D kernel is not supported (2-D only)")
    auto = attrs.get("auto_pad", "NOTSET")
    if auto not in ("NOTSET", "VALID"):
        raise ModelError(f"{label}: {node.op_type} auto_pad={auto} is not supported")
    ks = tuple(attrs.get("kernel_shape", weight.shape[2:]))
    if ks != tuple(weight.shape[2:]):
        raise ModelError(f"{label}: {node.op_type} kernel_shape {ks} does not match the weight {weight.shape}")
    try:
        pads = _pairs(attrs.get("pads", [0, 0, 0, 0]) if auto == "NOTSET" else [0, 0, 0, 0])
    except ValueError:
        raise ModelError(f"{label}: {node.op_type} pads {attrs.get('pads')} are not 2-D") from None
    args = {
        "stride": tuple(int(s) for s in attrs.get("strides", [1, 1])),
        "dilation": tuple(int(d) for d in attrs.get("dilations", [1, 1])),
        "groups": int(attrs.get("group", 1)),
        "pads": pads,
    }
    if transpose:
        args["output_padding"] = tuple(int(p) for p in attrs.get("output_padding", [0, 0]))
    return args


def _convert_node(node, index: int, consts: dict[str, np.ndarray], batch: int | None, opset: int) -> _Node:  # type: ignore[no-untyped-def]
    op = node.op_type
    label = f"node {index} ({node.name or op})"
    if op not in SUPPORTED:
        raise ModelError(
            f"{label}: operator {op} is not supported by unseen's torch converter (supported: {', '.join(SUPPORTED)})"
        )
    if node.domain not in ("", "ai.onnx"):
        raise ModelError(f"{label}: operator domain {node.domain!r} is not supported")
    attrs = _attrs(node)
    inputs = [i for i in node.input]
    outputs = [o for o in node.output]
    args: dict[str, Any] = {}
    if op in ("Conv", "ConvTranspose"):
        if len(inputs) < 2 or inputs[1] not in consts:
            raise ModelError(f"{label}: {op} needs a constant weight")
        args = _conv_args(node, attrs, consts[inputs[1]], label, op == "ConvTranspose")
    elif op == "BatchNormalization":
        _check_known(node, attrs, {"epsilon", "momentum", "spatial"}, label)
        if int(attrs.get("spatial", 1)) != 1 or len(outputs) != 1 or any(i not in consts for i in inputs[1:5]):
            raise ModelError(
                f"{label}: only inference-mode BatchNormalization (one output, constant statistics) is supported"
            )
        args = {"eps": float(attrs.get("epsilon", 1e-5))}
    elif op == "MaxPool":
        _check_known(
            node,
            attrs,
            {"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"},
            label,
        )
        if len(outputs) != 1:
            raise ModelError(f"{label}: MaxPool with an indices output is not supported")
        if attrs.get("auto_pad", "NOTSET") not in ("NOTSET", "VALID"):
            raise ModelError(f"{label}: MaxPool auto_pad={attrs['auto_pad']} is not supported")
        ks = tuple(int(k) for k in attrs["kernel_shape"])
        if len(ks) != 2:
            raise ModelError(f"{label}: only 2-D MaxPool is supported")
        try:
            pads = _pairs(
                attrs.get("pads", [0, 0, 0, 0]) if attrs.get("auto_pad", "NOTSET") == "NOTSET" else [0, 0, 0, 0]
            )
        except ValueError:
            raise ModelError(f"{label}: MaxPool pads {attrs.get('pads')} are not 2-D") from None
        args = {
            "kernel_size": ks,
            "stride": tuple(int(s) for s in attrs.get("strides", [1, 1])),
            "dilation": tuple(int(d) for d in attrs.get("dilations", [1, 1])),
            "ceil_mode": bool(attrs.get("ceil_mode", 0)),
            "pads": pads,
        }
    elif op in ("Relu", "Sigmoid", "Add"):
        _check_known(node, attrs, set(), label)
    elif op == "Transpose":
        _check_known(node, attrs, {"perm"}, label)
        args = {"perm": tuple(int(p) for p in attrs["perm"]) if "perm" in attrs else None}
    elif op == "Reshape":
        _check_known(node, attrs, {"allowzero"}, label)
        if len(inputs) != 2 or inputs[1] not in consts:
            raise ModelError(f"{label}: Reshape needs a constant target shape")
        if int(attrs.get("allowzero", 0)):
            raise ModelError(f"{label}: Reshape allowzero=1 is not supported")
        shape = [int(s) for s in consts[inputs[1]].reshape(-1)]
        if not shape or shape[0] not in (0, batch):
            raise ModelError(f"{label}: Reshape to {shape} does not keep the batch dimension ({batch}) first")
        args = {"shape": shape[1:]}  # the batch (first) dimension always follows the input
        inputs = inputs[:1]
    elif op == "Resize":
        _check_known(
            node,
            attrs,
            {
                "coordinate_transformation_mode",
                "cubic_coeff_a",
                "exclude_outside",
                "extrapolation_value",
                "mode",
                "nearest_mode",
            },
            label,
        )
        mode = attrs.get("mode", "nearest")
        coord = attrs.get("coordinate_transformation_mode", "asymmetric" if opset < 11 else "half_pixel")
        rounding = attrs.get("nearest_mode", "round_prefer_floor")
        if mode != "nearest" or coord != "asymmetric" or rounding != "floor":
            raise ModelError(
                f"{label}: Resize mode={mode} coordinate_transformation_mode={coord} nearest_mode={rounding} "
                "is not supported (only nearest/asymmetric/floor)"
            )
        scales_name = inputs[1] if opset < 11 else (inputs[2] if len(inputs) > 2 else "")
        if len(inputs) > 3 and inputs[3]:
            raise ModelError(f"{label}: Resize by sizes is not supported (only constant integer scales)")
        if scales_name not in consts:
            raise ModelError(f"{label}: Resize needs constant scales")
        scales = consts[scales_name].reshape(-1)
        if len(scales) != 4 or scales[0] != 1 or scales[1] != 1 or any(s < 1 or s != int(s) for s in scales[2:]):
            raise ModelError(
                f"{label}: Resize scales {scales.tolist()} are not supported (only integer upsampling of H and W)"
            )
        args = {"scales": (int(scales[2]), int(scales[3]))}
        inputs = inputs[:1]
    return _Node(op, inputs, outputs, args, label)


def _make_module_class():  # type: ignore[no-untyped-def]
    torch = import_torch()
    F = torch.nn.functional

    class OnnxModule(torch.nn.Module):  # type: ignore[name-defined]  # torch is imported at run time
        """Runs converted ONNX nodes in graph order; returns the requested outputs as a tuple."""

        def __init__(self, nodes: list[_Node], consts: dict[str, np.ndarray], input_name: str, outputs: list[str]):
            super().__init__()
            self.nodes = nodes
            self.input_name = input_name
            self.output_names = list(outputs)
            self._const_attr: dict[str, str] = {}
            for i, (name, value) in enumerate(consts.items()):
                attr = f"c{i}"
                self.register_buffer(attr, torch.from_numpy(np.array(value, copy=True)), persistent=True)
                self._const_attr[name] = attr

        def _get(self, env: dict[str, Any], name: str):  # type: ignore[no-untyped-def]
            if name in env:
                return env[name]
            return getattr(self, self._const_attr[name])

        def forward(self, x):  # type: ignore[no-untyped-def]
            env: dict[str, Any] = {self.input_name: x}
            for n in self.nodes:
                a = n.args
                ins: list[Any] = [self._get(env, i) if i else None for i in n.inputs]
                if n.op == "Conv":
                    (hb, he), (wb, we) = a["pads"]
                    x0 = ins[0]
                    if hb == he and wb == we:
                        pad: Any = (hb, wb)
                    else:
                        x0, pad = F.pad(x0, (wb, we, hb, he)), 0
                    y = F.conv2d(
                        x0, ins[1], ins[2] if len(ins) > 2 else None, a["stride"], pad, a["dilation"], a["groups"]
                    )
                elif n.op == "ConvTranspose":
                    (hb, he), (wb, we) = a["pads"]
                    y = F.conv_transpose2d(
                        ins[0],
                        ins[1],
                        ins[2] if len(ins) > 2 else None,
                        a["stride"],
                        0,
                        a["output_padding"],
                        a["groups"],
                        a["dilation"],
                    )
                    if hb or he or wb or we:
                        y = y[:, :, hb : y.shape[2] - he, wb : y.shape[3] - we]
                elif n.op == "BatchNormalization":
                    y = F.batch_norm(ins[0], ins[3], ins[4], ins[1], ins[2], False, 0.0, a["eps"])
                elif n.op == "MaxPool":
                    (hb, he), (wb, we) = a["pads"]
                    x0 = ins[0]
                    if hb == he and wb == we and 2 * hb <= a["kernel_size"][0] and 2 * wb <= a["kernel_size"][1]:
                        pad = (hb, wb)
                    else:
                        x0, pad = F.pad(x0, (wb, we, hb, he), value=float("-inf")), 0
                    y = F.max_pool2d(x0, a["kernel_size"], a["stride"], pad, a["dilation"], a["ceil_mode"])
                elif n.op == "Relu":
                    y = F.relu(ins[0])
                elif n.op == "Sigmoid":
                    y = torch.sigmoid(ins[0])
                elif n.op == "Add":
                    y = ins[0] + ins[1]
                elif n.op == "Transpose":
                    perm = a["perm"] or tuple(reversed(range(ins[0].dim())))
                    y = ins[0].permute(perm)
                elif n.op == "Reshape":
                    x0 = ins[0]
                    shape = [x0.shape[i + 1] if s == 0 else s for i, s in enumerate(a["shape"])]
                    y = x0.reshape(x0.shape[0], *shape)
                elif n.op == "Resize":
                    sh, sw = a["scales"]
                    y = ins[0]
                    if sh > 1:
                        y = y.repeat_interleave(sh, dim=2)
                    if sw > 1:
                        y = y.repeat_interleave(sw, dim=3)
                else:  # pragma: no cover - refused at conversion
                    raise ModelError(f"{n.label}: operator {n.op} is not supported")
                env[n.outputs[0]] = y
            return tuple(env[o] for o in self.output_names)

    return OnnxModule


def to_torch(model_bytes: bytes, outputs: Sequence[str | int] | None = None):  # type: ignore[no-untyped-def]
    """Convert ONNX bytes to a torch module computing ``outputs`` (names or indices; default all).

    The module is in eval mode on the CPU in float32; move it with ``.to(device)``.
    """
    onnx = import_onnx()
    from onnx import numpy_helper

    import_torch()
    try:
        model = onnx.load_from_string(model_bytes)
    except Exception as exc:  # onnx raises DecodeError and others; all mean "not a model"
        raise ModelError(f"model bytes cannot be parsed as ONNX: {exc}") from exc
    g = model.graph
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
    consts = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    real_inputs = [i for i in g.input if i.name not in consts]
    if len(real_inputs) != 1:
        raise ModelError(f"the graph has {len(real_inputs)} non-constant inputs; exactly one image input is supported")
    image = real_inputs[0]
    dims = image.type.tensor_type.shape.dim
    batch = dims[0].dim_value if len(dims) and dims[0].HasField("dim_value") else None
    names = [o.name for o in g.output]
    try:
        wanted = [names[o] if isinstance(o, int) else o for o in outputs] if outputs is not None else names
    except IndexError:
        raise ModelError(f"the graph has {len(names)} outputs; asked for {list(outputs or ())}") from None
    graph_outputs = {o.name for o in g.output}
    missing = [o for o in wanted if o not in graph_outputs]
    if missing:
        raise ModelError(f"the graph has no output(s) {', '.join(missing)}")
    # Keep only the nodes the wanted outputs depend on (walking back from the end).
    needed = set(wanted)
    kept = []
    for index in range(len(g.node) - 1, -1, -1):
        node = g.node[index]
        if any(o in needed for o in node.output):
            kept.append(index)
            needed.update(i for i in node.input if i)
    kept.reverse()
    nodes = []
    produced = {image.name} | set(consts)
    for index in kept:
        node = g.node[index]
        conv = _convert_node(node, index, consts, batch, opset)
        if len(conv.outputs) != 1:
            raise ModelError(f"{conv.label}: {conv.op} with {len(conv.outputs)} outputs is not supported")
        for i in conv.inputs:
            if i and i not in produced:
                raise ModelError(
                    f"node {index} ({node.name or node.op_type}): input "
                    f"{i!r} is not produced before it (graph not sorted)"
                )
        produced.update(conv.outputs)
        nodes.append(conv)
    used = {i for n in nodes for i in n.inputs if i in consts}
    float_consts = {}
    for name in consts:
        if name in used:
            value = consts[name]
            float_consts[name] = value.astype(np.float32) if value.dtype == np.float64 else value
    module = _make_module_class()(nodes, float_consts, image.name, wanted)
    return module.eval()
