"""`unseen` never imports the evaluation package or a face recognizer (dlib, face_recognition_models).

unseen hides faces and never identifies anyone; the recognizer exists only in `unseen_eval` to
measure that covered faces cannot be re-identified. Two checks: what a real run loads, and what
the source could load.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "unseen"
FORBIDDEN = ("unseen_eval", "dlib", "face_recognition_models", "face_recognition")

_RUN = r"""
import json, sys
import numpy as np
import unseen
from unseen import Settings, Faces
from unseen.cli import build_parser, build_check_parser
from unseen.detect import FixedDetector
from unseen.pipeline import api, check
from unseen.pipeline.api import anonymize_array

img = np.random.default_rng(0).integers(0, 255, (96, 128, 3), dtype=np.uint8)
det = FixedDetector(Faces(np.array([[20, 20, 60, 70]], np.float32)))
for mode in ("solid", "mosaic", "blur"):
    anonymize_array(img, Settings(mode=mode), detector=det)
# the real detector too (vendored ONNX), when it can be built here
try:
    anonymize_array(img, Settings(threads=1))
except Exception as exc:
    print("real detector unavailable:", exc, file=sys.stderr)
check.on_solid_cover(img, (0, 0, 10, 10))
print(json.dumps(sorted(sys.modules)))
"""


def _is_forbidden(name: str) -> bool:
    return any(name == f or name.startswith(f + ".") for f in FORBIDDEN)


def test_running_unseen_loads_no_recognizer():
    out = subprocess.run([sys.executable, "-c", _RUN], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert "unseen.pipeline.api" in loaded  # the run really happened
    bad = [m for m in loaded if _is_forbidden(m)]
    assert not bad, f"unseen loaded {bad}"


def _imports(tree: ast.AST) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
        elif isinstance(node, ast.Call):
            # importlib.import_module("x"), __import__("x")
            fn = node.func
            fname = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")
            if fname in ("import_module", "__import__", "find_spec") and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    names.append(arg.value)
    return names


def test_no_unseen_source_imports_a_recognizer():
    files = sorted(SRC.rglob("*.py"))
    assert len(files) > 10
    offenders = []
    for f in files:
        text = f.read_text(encoding="utf-8")
        for name in _imports(ast.parse(text, filename=str(f))):
            if _is_forbidden(name):
                offenders.append(f"{f.relative_to(SRC.parent)}: {name}")
        # no recognizer weights referenced by name either
        for weight in ("dlib_face_recognition_resnet", "shape_predictor_"):
            if weight in text:
                offenders.append(f"{f.relative_to(SRC.parent)}: mentions {weight}")
    assert not offenders, offenders


def test_the_scan_would_catch_an_import():
    tree = ast.parse("import dlib\nfrom unseen_eval.reid import run\nimportlib.import_module('face_recognition_models')")
    assert [n for n in _imports(tree) if _is_forbidden(n)] == ["dlib", "unseen_eval.reid", "face_recognition_models"]
