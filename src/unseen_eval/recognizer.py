"""dlib's ResNet face descriptor, for evaluation only (extra ``eval``).

Weights come from the ``face_recognition_models`` 0.3.0 sdist on PyPI (CC0), installed as a
package: only ``dlib_face_recognition_resnet_model_v1.dat`` and
``shape_predictor_5_face_landmarks.dat`` are ever opened (the 68-point model in the same package
is not for commercial use). The package is located without importing it: its ``__init__`` needs
``pkg_resources``, which recent setuptools no longer ships.

``unseen`` itself never imports this module (``tests/test_eval_isolation.py`` enforces it).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

RESNET_FILE = "dlib_face_recognition_resnet_model_v1.dat"
LANDMARKS_FILE = "shape_predictor_5_face_landmarks.dat"
ALLOWED_FILES = frozenset({RESNET_FILE, LANDMARKS_FILE})

INSTALL_HINT = "the re-identification harness needs the eval extra: pip install 'unseen[eval]'"

# dlib's own threshold on descriptor distance for "same person" (LFW-tuned).
SAME_PERSON_DISTANCE = 0.6


class RecognizerUnavailable(RuntimeError):
    """dlib or the face_recognition_models weights are not installed."""


def models_dir() -> Path:
    """Folder holding the weights of the installed ``face_recognition_models`` package."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise RecognizerUnavailable(f"face_recognition_models is not installed; {INSTALL_HINT}")
    for loc in spec.submodule_search_locations:
        d = Path(loc) / "models"
        if all((d / f).is_file() for f in ALLOWED_FILES):
            return d
    raise RecognizerUnavailable(f"face_recognition_models has no {RESNET_FILE}/{LANDMARKS_FILE}; {INSTALL_HINT}")


def model_path(name: str) -> Path:
    if name not in ALLOWED_FILES:
        raise ValueError(f"only {sorted(ALLOWED_FILES)} may be used (the 68-point model is not for commercial use)")
    return models_dir() / name


def available() -> str | None:
    """``None`` when the recognizer can run, else the reason it cannot (for pytest skips)."""
    if importlib.util.find_spec("dlib") is None:
        return f"dlib is not installed; {INSTALL_HINT}"
    try:
        models_dir()
    except RecognizerUnavailable as exc:
        return str(exc)
    return None


@dataclass(frozen=True)
class Embedding:
    """One 128-d descriptor and the box (x1, y1, x2, y2) it was computed from."""

    vector: np.ndarray
    box: tuple[int, int, int, int]
    found: bool  # True: dlib's own detector found a face overlapping the box; False: forced


def _iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


class Recognizer:
    """HOG face detector + 5-point alignment + ResNet descriptor (all dlib)."""

    def __init__(self, upsample: int = 1):
        try:
            import dlib
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise RecognizerUnavailable(f"dlib is not installed; {INSTALL_HINT}") from exc
        self._dlib = dlib
        self.upsample = upsample
        self._detector = dlib.get_frontal_face_detector()
        self._shape = dlib.shape_predictor(str(model_path(LANDMARKS_FILE)))
        self._net = dlib.face_recognition_model_v1(str(model_path(RESNET_FILE)))

    def detect(self, rgb: np.ndarray, upsample: int | None = None) -> list[tuple[tuple[int, int, int, int], float]]:
        """Faces dlib's HOG detector finds: ``[((x1, y1, x2, y2), score), ...]``, best first."""
        img = np.ascontiguousarray(rgb[..., :3])
        rects, scores, _ = self._detector.run(img, self.upsample if upsample is None else upsample, 0.0)
        found = [((r.left(), r.top(), r.right(), r.bottom()), float(s)) for r, s in zip(rects, scores)]
        return sorted(found, key=lambda t: -t[1])

    def embed_box(self, rgb: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
        """Descriptor of the face assumed to be in ``box``, whatever the pixels there look like."""
        img = np.ascontiguousarray(rgb[..., :3])
        rect = self._dlib.rectangle(int(box[0]), int(box[1]), int(box[2]), int(box[3]))
        shape = self._shape(img, rect)
        return np.asarray(self._net.compute_face_descriptor(img, shape), np.float32)

    def embed(self, rgb: np.ndarray, known_box: tuple[int, int, int, int], min_iou: float = 0.3) -> Embedding:
        """Embed the face at ``known_box``: re-detected when dlib still finds it, else forced.

        An attacker knows where the face was, so a cover that merely hides the face from dlib's
        detector still gets embedded (``found=False``) rather than counted as safe.
        """
        best = None
        for box, _score in self.detect(rgb):
            ov = _iou(box, known_box)
            if ov >= min_iou and (best is None or ov > best[0]):
                best = (ov, box)
        if best is not None:
            return Embedding(self.embed_box(rgb, best[1]), best[1], True)
        return Embedding(self.embed_box(rgb, known_box), tuple(int(v) for v in known_box), False)  # type: ignore[arg-type]
