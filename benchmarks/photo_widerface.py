"""Photos: face coverage on the WIDER FACE dev subset, unseen presets side by side with deface.

Both tools read the same lossless PNG copies of the JPEGs (decoded once by Pillow) and write PNG
outputs into a temporary folder; each is timed over the whole folder in one process (model load
included once), and every output is scored with :mod:`unseen_eval.widerface`. Wall time and CPU
time (all threads; less sensitive to other load on the machine) are both reported.

    .venv/bin/python benchmarks/photo_widerface.py [--presets default,fast,thorough]
        [--deface .bench/deface-venv/bin/deface] [--limit N] [--threads 0]

deface runs in its own venv (``python3 -m venv .bench/deface-venv && .bench/deface-venv/bin/pip
install deface==1.5.0``) with ``--replacewith solid`` and its other defaults.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from unseen_eval import widerface as wf  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "widerface_dev"


def flat(name: str) -> str:
    return name.replace("/", "__").rsplit(".", 1)[0]


def read_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def prepare(truth: list[wf.ImageTruth], data: Path, folder: Path) -> dict[str, np.ndarray]:
    folder.mkdir(parents=True)
    originals = {}
    for t in truth:
        rgb = read_rgb(data / "WIDER_val" / "images" / t.name)
        Image.fromarray(rgb).save(folder / f"{flat(t.name)}.png")
        originals[t.name] = rgb
    return originals


def run_deface(deface: str, inputs: Path, truth: list[wf.ImageTruth], originals: dict) -> wf.Summary:
    work = inputs.parent / "deface"
    shutil.copytree(inputs, work)
    files = sorted(str(p) for p in work.glob("*.png"))
    c0 = _children_cpu()
    t0 = time.perf_counter()
    proc = subprocess.run([deface, "--replacewith", "solid", *files], capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    cpu = _children_cpu() - c0
    if proc.returncode != 0:
        raise SystemExit(f"deface failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    scores = []
    for t in truth:
        out = read_rgb(work / f"{flat(t.name)}_anonymized.png")
        s = wf.score_arrays(t, originals[t.name], out)
        s.seconds = elapsed / len(truth)
        scores.append(s)
    summary = wf.summarize(truth, scores)
    summary.cpu_per_image = cpu / len(truth)
    return summary


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_unseen(
    preset: str,
    threads: int,
    inputs: Path,
    truth: list[wf.ImageTruth],
    originals: dict,
    *,
    folder: Path | None = None,
    precision: str = "auto",
    detector=None,  # in place of the one the settings name (threshold sweeps)
) -> wf.Summary:
    import unseen
    from unseen.pipeline.api import anonymize_array

    settings = unseen.Settings(preset=preset, threads=threads, precision=precision)
    outdir = folder / "out" if folder else inputs.parent / f"unseen-{preset}"
    outdir.mkdir()
    c0 = time.process_time()
    t0 = time.perf_counter()
    for t in truth:  # read, detect, cover, write: the same work deface does per image
        rgb = read_rgb(inputs / f"{flat(t.name)}.png")
        result = anonymize_array(rgb, settings, detector=detector)
        Image.fromarray(result.image).save(outdir / f"{flat(t.name)}.png")
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - c0
    scores = []
    for t in truth:
        s = wf.score_arrays(t, originals[t.name], read_rgb(outdir / f"{flat(t.name)}.png"))
        s.seconds = elapsed / len(truth)
        scores.append(s)
    summary = wf.summarize(truth, scores)
    summary.cpu_per_image = cpu / len(truth)
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="unseen vs deface coverage on WIDER FACE dev")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--presets", default="default,fast,thorough")
    ap.add_argument("--deface", default=str(REPO / ".bench" / "deface-venv" / "bin" / "deface"), help="'' to skip")
    ap.add_argument("--limit", type=int, default=0, help="only every k-th image so that at most N are used")
    ap.add_argument("--threads", type=int, default=0, help="unseen inference threads (0 = all cores, as deface)")
    args = ap.parse_args(argv)
    if not args.data.exists():
        raise SystemExit(f"no data at {args.data}")
    truth = wf.load(args.data)
    if args.limit and args.limit < len(truth):
        step = len(truth) / args.limit
        truth = [truth[int(i * step)] for i in range(args.limit)]
    rows: list[tuple[str, wf.Summary]] = []
    with tempfile.TemporaryDirectory(prefix="unseen-bench-") as tmp:
        inputs = Path(tmp) / "inputs"
        originals = prepare(truth, args.data, inputs)
        if args.deface:
            rows.append(("deface 1.5.0 solid", run_deface(args.deface, inputs, truth, originals)))
            print(f"deface done: {rows[-1][1].seconds_per_image:.3f} s/image", file=sys.stderr)
        for preset in [p for p in args.presets.split(",") if p]:
            rows.append((f"unseen {preset}", run_unseen(preset, args.threads, inputs, truth, originals)))
            print(f"{preset} done: {rows[-1][1].seconds_per_image:.3f} s/image", file=sys.stderr)
    print(f"# {len(truth)} images, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(wf.table(rows, baseline="deface 1.5.0 solid" if args.deface else None))
    print(wf.counts_line(rows[0][1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
