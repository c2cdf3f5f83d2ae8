"""Peak memory of one batch worker process: what ``--workers auto`` divides the available memory by.

Makes a folder with a synthetic 1080p30 clip and a synthetic photo (the generators of
``video_memory.py`` and ``photo_memory.py``), runs ``unseen DIR -o OUT --workers 2 -q`` (default
preset, real detector) in a fresh process, and samples every worker's ``VmHWM`` (its own peak
resident memory, from /proc) every 0.2 s until it exits; the batch's own process too. Each worker
takes one of the two files. Compared with ``unseen.pipeline.worker_count.WORKER_BYTES``.

    PYTHONPATH=src .venv/bin/python benchmarks/worker_memory.py [--seconds 5] [--mp 24]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from photo_memory import make_photo  # noqa: E402
from video_memory import make_clip  # noqa: E402

from unseen.pipeline.worker_count import WORKER_BYTES  # noqa: E402


def _status(pid: int) -> dict[str, str]:
    try:
        with open(f"/proc/{pid}/status") as f:
            return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
    except OSError:
        return {}


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline") as f:
            return f.read()
    except OSError:
        return ""


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=5.0, help="length of the 1080p clip")
    ap.add_argument("--mp", type=float, default=24.0, help="megapixels of the photo")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in"
        src.mkdir()
        make_clip(src / "clip.mp4", args.seconds)
        w, h = make_photo(src / "photo.jpg", args.mp)
        cmd = [sys.executable, "-m", "unseen", str(src), "-o", str(Path(tmp) / "out"), "--workers", "2", "-q"]
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        peaks: dict[int, float] = {}
        main_peak = 0.0
        while proc.poll() is None:
            hwm = _status(proc.pid).get("VmHWM")
            if hwm:
                main_peak = max(main_peak, int(hwm.split()[0]) / 1024)
            for child in _children(proc.pid):
                st = _status(child)
                if st.get("VmHWM") and "resource_tracker" not in _cmdline(child):
                    peaks[child] = max(peaks.get(child, 0.0), int(st["VmHWM"].split()[0]) / 1024)
            time.sleep(0.2)
        out, err = proc.communicate()
        seconds = time.perf_counter() - started
    print(
        f"1080p30 clip {args.seconds:g} s + photo {w}x{h} ({args.mp:g} MP), --workers 2, exit {proc.returncode}, "
        f"{seconds:.0f} s"
    )
    print(out.strip())
    if proc.returncode:
        print(err.strip())
    print(f"batch process peak: {main_peak:.0f} MiB")
    for pid, peak in sorted(peaks.items(), key=lambda kv: -kv[1]):
        print(f"worker {pid}: peak {peak:.0f} MiB")
    if peaks:
        print(f"largest worker: {max(peaks.values()) * 2**20 / 1e9:.2f} GB; WORKER_BYTES {WORKER_BYTES / 1e9:.2f} GB")
    return proc.returncode


if __name__ == "__main__":
    raise SystemExit(main())
