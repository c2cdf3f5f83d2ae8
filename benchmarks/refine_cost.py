"""What the detector's refinements cost: detection with and without the quarter turns and the
mirrored edges (``MultiScaleDetector.turns`` / ``.edges``), on WIDER FACE dev photos.

Four detectors (neither, turns, edges, both) run on each photo in turn, their order rotated photo
by photo so load on a shared machine falls on all of them alike; process CPU time, one thread.

    .venv/bin/python benchmarks/refine_cost.py [--every 3] [--preset default]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "benchmarks"))

import photo_widerface as pw  # noqa: E402

from unseen import Settings  # noqa: E402
from unseen.detect.registry import build  # noqa: E402
from unseen_eval import widerface as wf  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--every", type=int, default=3, help="every k-th of the 122 photos")
    ap.add_argument("--preset", default="default")
    args = ap.parse_args(argv)
    truth = wf.load(pw.DATA)[:: args.every]
    settings = Settings(preset=args.preset, threads=1)
    dets = {}
    for name, turns, edges in (
        ("neither", False, False),
        ("turns", True, False),
        ("edges", False, True),
        ("both", True, True),
    ):
        det = build(settings)
        det.turns, det.edges = turns, edges
        dets[name] = det
    images = [pw.read_rgb(pw.DATA / "WIDER_val" / "images" / t.name) for t in truth]
    for det in dets.values():  # warm-up
        det.detect(images[0])
    total = dict.fromkeys(dets, 0.0)
    names = list(dets)
    for k, image in enumerate(images):
        for name in names[k % 4 :] + names[: k % 4]:
            t0 = time.process_time()
            dets[name].detect(image)
            total[name] += time.process_time() - t0
    print(
        f"# {len(images)} WIDER dev photos, {args.preset}, 1 thread, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    print("| detector | CPU s / photo | vs neither |")
    print("|---|---:|---:|")
    for name in names:
        print(f"| {name} | {total[name] / len(images):.3f} | {total[name] / total['neither']:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
