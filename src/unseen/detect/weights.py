"""Vendored model weights: located inside the package and SHA-256 checked at every load.

Nothing is ever downloaded. A missing or altered file is a :class:`ModelError`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..errors import ModelError

MODELS_DIR = Path(__file__).with_name("models")

# file name -> SHA-256 of the bytes shipped: the upstream bytes unchanged (see THIRD_PARTY_NOTICES.md),
# the people models converted from TF.js by tools/convert_people_models.py,
# and CenterFace's int8 build made from them by tools/quantize_centerface.py (``--check`` rebuilds it).
PINS: dict[str, str] = {
    "centerface.onnx": "09189deaaf8646c5c51a68447e3c744ea1e211798155d4728c20507b9f5aefbc",
    "centerface_int8.onnx": "0eda607a2f0d7b29be653fec3b07a2ed415e4648397b09c33ea751a4430e5c9f",
    "nanodet_g_416.onnx": "6c45be1cc23262091d1e4662dd821019e081603728ab074d4af913570d87a825",
    "selfie_seg_256.onnx": "13fdcdc93bd494d44acafa9811c3da3f52dceacf16b2605ac8c27f73bf0ab8d9",
    "PP-OCRv6_det_small.onnx": "090f04abcd9d9a7498bc4ebf677e4cb9bdce1fe4197ddb7e529f1ef44e1ff94f",
    "yunet_2023mar.onnx": "8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4",
}


def load_weights(name: str, *, models_dir: Path | None = None) -> bytes:
    """Return the bytes of a vendored model after checking its SHA-256 pin."""
    if name not in PINS:
        raise ModelError(f"unknown model {name!r}; known: {', '.join(sorted(PINS))}")
    path = (models_dir or MODELS_DIR) / name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(
            f"model file missing or unreadable ({exc.strerror or exc}); reinstall unseen", path=path
        ) from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != PINS[name]:
        raise ModelError(
            f"model file altered: SHA-256 {digest} does not match the pinned {PINS[name]}; reinstall unseen",
            path=path,
        )
    return data
