"""Make a vendored ONNX graph's image dimensions symbolic, without importing the ``onnx`` package.

The vendored CenterFace and YuNet graphs declare fixed input sizes; onnxruntime runs any size only
where the dimension is named instead. ``onnx`` could do this edit, but importing it costs about
2.5 s of start-up (it pulls in ml_dtypes) for a change of a few bytes. The protobuf wire format is
simple enough to edit directly: an ONNX file is a ``ModelProto`` whose ``graph`` (field 7) lists
``input`` (11) and ``output`` (12) ``ValueInfoProto``s; each has ``type`` (2) -> ``tensor_type`` (1)
-> ``shape`` (2) -> ``dim`` (1, repeated), and a dimension is ``dim_value`` (1, varint) or
``dim_param`` (2, string). Only those messages are decoded; every other field is copied byte for
byte, so the weights are untouched. ``tests/test_onnx_dims.py`` checks the result against the
``onnx`` package's own edit.
"""

from __future__ import annotations

from ..errors import ModelError

_VARINT, _I64, _LEN, _I32 = 0, 1, 2, 5

# (field number, wire type, raw bytes of the whole field including its key), in file order.
_Field = tuple[int, int, bytes]


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ModelError("model bytes cannot be parsed as ONNX: bad varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _fields(data: bytes) -> list[tuple[int, int, bytes, bytes]]:
    """Split a message into ``(number, wire type, payload, whole field)``; payload is the value
    bytes of a length-delimited field (other wire types: the raw value bytes)."""
    out = []
    pos = 0
    while pos < len(data):
        start = pos
        key, pos = _read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == _VARINT:
            _, end = _read_varint(data, pos)
            payload = data[pos:end]
        elif wire == _I64:
            end = pos + 8
            payload = data[pos:end]
        elif wire == _I32:
            end = pos + 4
            payload = data[pos:end]
        elif wire == _LEN:
            length, pos = _read_varint(data, pos)
            end = pos + length
            payload = data[pos:end]
        else:
            raise ModelError(f"model bytes cannot be parsed as ONNX: wire type {wire}")
        if end > len(data):
            raise ModelError("model bytes cannot be parsed as ONNX: field runs past the end")
        out.append((number, wire, payload, data[start:end]))
        pos = end
    return out


def _len_field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | _LEN) + _varint(len(payload)) + payload


def _rewrite(data: bytes, number: int, edit) -> bytes:  # type: ignore[no-untyped-def]
    """Copy ``data`` with every length-delimited field ``number`` replaced by ``edit(payload, i)``
    (``i`` counts those fields; ``edit`` returns the new payload)."""
    out = bytearray()
    seen = 0
    for num, wire, payload, whole in _fields(data):
        if num == number and wire == _LEN:
            out += _len_field(num, edit(payload, seen))
            seen += 1
        else:
            out += whole
    return bytes(out)


def _named_dims(shape: bytes, names: dict[int, str]) -> bytes:
    """A ``TensorShapeProto`` with the dimensions at ``names``' axes made ``dim_param``."""

    def dim(payload: bytes, axis: int) -> bytes:
        if axis not in names:
            return payload
        # protobuf writes fields in number order: dim_param (2) before denotation (3)
        rest = b"".join(whole for num, _, _, whole in _fields(payload) if num not in (1, 2))
        return _len_field(2, names[axis].encode()) + rest

    return _rewrite(shape, 1, dim)


def _value_info(info: bytes, names: dict[int, str]) -> bytes:
    """``ValueInfoProto`` -> type (2) -> tensor_type (1) -> shape (2), dims renamed."""
    return _rewrite(
        info, 2, lambda t, _: _rewrite(t, 1, lambda tt, _: _rewrite(tt, 2, lambda s, _: _named_dims(s, names)))
    )


def _output_name(info: bytes) -> str:
    for num, wire, payload, _ in _fields(info):
        if num == 1 and wire == _LEN:
            return payload.decode("utf-8", "replace")
    return ""


def symbolic_dims(model_bytes: bytes, input_dims: dict[int, str], output_dims: dict[int, str] | None = None) -> bytes:
    """Return the model with the given input/output dimensions made symbolic (named).

    ``input_dims`` maps an axis index to a name for the first graph input (the image);
    ``output_dims`` does the same for every output (the name is suffixed with the output's name).
    """
    outputs = output_dims or {}

    def graph(payload: bytes, _: int) -> bytes:
        payload = _rewrite(payload, 11, lambda info, i: _value_info(info, input_dims) if i == 0 else info)
        if not outputs:
            return payload
        return _rewrite(
            payload,
            12,
            lambda info, _: _value_info(info, {a: f"{n}_{_output_name(info)}" for a, n in outputs.items()}),
        )

    if not model_bytes:
        raise ModelError("model bytes cannot be parsed as ONNX: empty")
    if not any(num == 7 and wire == _LEN for num, wire, _, _ in _fields(model_bytes)):
        raise ModelError("model bytes cannot be parsed as ONNX: no graph")
    return _rewrite(model_bytes, 7, graph)
