#!/usr/bin/env bash
# Run ONCE on a lent GPU machine, from the repository root, with the ignored folders carried along:
#   .whl/  wheels the machine lacks (PyAV; pytest and its dependencies), installed with no network
#   .gpu/  the input, hamilton_1080p30_10s.mp4 (1080p30 H.264 + AAC, 10 s)
#     bash benchmarks/gpu_device.sh
# Making them here (both folders are listed in .git/info/exclude, never committed):
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#     --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 -d .whl av==18.1.0 pytest==9.2.0 \
#     iniconfig pluggy packaging pygments   # (pytest's own needs; the GPU image has numpy, torch, cv2, onnx)
#   mkdir -p .gpu && cp .bench/speed/hamilton_1080p30_10s.mp4 .gpu/   # made by benchmarks/video_speed.py --seconds 10
# Runs the torch backend's tests (the GPU ones included), then benchmarks/gpu_speed.py; everything
# lands in $OUT (versions.txt, nvidia-smi.txt, pytest.txt, gpu_speed.json/.log/.stdout) and the
# table is printed last. About 6 minutes. Locally (to test this script): PY=.venv/bin/python
# GPU_SPEED_ARGS='--device cpu ...' OUT=/tmp/x bash benchmarks/gpu_device.sh
PY=${PY:-python3}
$PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site:$PWD/src || exit 1
OUT=${OUT:-/tmp/gpu_out}
export OUT
mkdir -p "$OUT" || exit 1
T0=$(date +%s)
{ nvidia-smi; nvidia-smi -q -d CLOCK,POWER,PERFORMANCE; } > "$OUT/nvidia-smi.txt" 2>&1
head -20 "$OUT/nvidia-smi.txt"

echo "=== versions"
$PY - > "$OUT/versions.txt" 2>&1 <<'EOF'
import os, sys
print("python", sys.version.split()[0], "cpus", os.cpu_count())
for mod in ("torch", "av", "numpy", "cv2", "onnxruntime", "onnx", "PIL", "pytest", "unseen"):
    try:
        m = __import__(mod)
        print(mod, getattr(m, "__version__", ""), getattr(m, "__file__", ""))
    except Exception as exc:
        print(mod, "NOT IMPORTABLE", repr(exc))
import torch
print("torch cuda build", torch.version.cuda, "available", torch.cuda.is_available(),
      torch.cuda.get_device_name(0) if torch.cuda.is_available() else "-", "cudnn", torch.backends.cudnn.version())
import onnxruntime
print("onnxruntime providers", onnxruntime.get_available_providers())
EOF
cat "$OUT/versions.txt"

echo "=== pytest: torch backend, device path, video encoder; GPU tests included ($(( $(date +%s) - T0 )) s so far)"
timeout "${PYTEST_TIMEOUT:-150}" $PY -m pytest -q -p no:cacheprovider -rs ${PYTEST_FILES:-tests/test_torch_backend.py tests/test_device_multiscale.py tests/test_video_encoder.py} > "$OUT/pytest.txt" 2>&1
echo "pytest rc=$?"
tail -12 "$OUT/pytest.txt"

echo "=== benchmarks/gpu_speed.py ($(( $(date +%s) - T0 )) s so far)"
# shellcheck disable=SC2086  # GPU_SPEED_ARGS is a list of words on purpose
timeout "${GPU_SPEED_TIMEOUT:-330}" $PY benchmarks/gpu_speed.py --device cuda --video .gpu/hamilton_1080p30_10s.mp4 \
  --out "$OUT" --budget "${GPU_SPEED_BUDGET:-285}" ${GPU_SPEED_ARGS:-} > "$OUT/gpu_speed.stdout" 2>&1
rc=$?
grep -E "FAILED|SKIPPED|Error" "$OUT/gpu_speed.stdout" | head -20
echo "--- the table (full log: gpu_speed.log, numbers: gpu_speed.json)"
sed -n '/^| part /,$p' "$OUT/gpu_speed.stdout" | tail -c 7000
echo "=== done: gpu_speed rc=$rc, $(( $(date +%s) - T0 )) s in all"
