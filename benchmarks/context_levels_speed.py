"""Detection time with the context levels down to 512 px (now) and only above a 2048 px tile (before).

Both detectors share the same networks and passes in one process; they differ only in
``context_side`` (512 now, 2048 reproduces the old rule), and run alternately on each WIDER dev
image, so other load on the machine hits both alike. CPU seconds (all threads) and wall seconds
per image, per preset.

    .venv/bin/python benchmarks/context_levels_speed.py [--presets default,fast] [--limit 30]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from unseen import Settings  # noqa: E402
from unseen.detect.cache import detector_for  # noqa: E402
from unseen.detect.multiscale import CONTEXT_SIDE, MultiScaleDetector  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "widerface_dev" / "WIDER_val" / "images"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--presets", default="default,fast")
    ap.add_argument("--limit", type=int, default=30, help="every k-th of the 122 images, at most this many")
    args = ap.parse_args(argv)
    files = sorted(DATA.rglob("*.jpg"))
    if not files:
        raise SystemExit(f"no images under {DATA}")
    files = files[:: max(1, len(files) // args.limit)][: args.limit]
    images = []
    for f in files:
        with Image.open(f) as im:
            images.append(np.asarray(im.convert("RGB")))
    print(f"# {len(images)} WIDER dev images, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print("| preset | context levels | CPU s/image | wall s/image | CPU ratio | boxes |")
    print("|---|---|---:|---:|---:|---:|")
    for preset in args.presets.split(","):
        now = detector_for(Settings(preset=preset))
        assert isinstance(now, MultiScaleDetector)
        old = MultiScaleDetector(now.nets, now.passes, name="old", tile=now.tile, context_side=now.tile)
        old.detect(images[0]), now.detect(images[0])  # warm-up
        cpu = {"old": 0.0, "now": 0.0}
        wall = {"old": 0.0, "now": 0.0}
        boxes = {"old": 0, "now": 0}
        for im in images:
            for key, det in (("old", old), ("now", now)):
                c0, t0 = time.process_time(), time.perf_counter()
                boxes[key] += len(det.detect(im))
                cpu[key] += time.process_time() - c0
                wall[key] += time.perf_counter() - t0
        n = len(images)
        for key, label in (("old", f"above {now.tile} px (before)"), ("now", f"down to {CONTEXT_SIDE} px (now)")):
            print(f"| {preset} | {label} | {cpu[key] / n:.3f} | {wall[key] / n:.3f} | {cpu[key] / cpu['old']:.2f} | {boxes[key]} |",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
