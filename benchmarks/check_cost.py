"""What the check's second look (covers painted grey) costs: per photo, the first look
(``detect_shown``) and the grey look (``grey_partials``) timed one after the other on unseen's own
output, CPU time of this process, one thread.

    .venv/bin/python benchmarks/check_cost.py --wider 20
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from unseen.detect.alpha_views import detect_shown
from unseen.media.image_io import read_image
from unseen.pipeline.api import anonymize_image
from unseen.pipeline.check import check_detector, check_settings, cover_mask, grey_partials
from unseen.settings import Settings

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wider", type=int, default=20, help="every k-th WIDER dev photo, this many")
    args = ap.parse_args(argv)
    photos = sorted((SHARED / "widerface_dev").rglob("*.jpg"))
    if not photos:
        print(f"no photos under {SHARED / 'widerface_dev'}", file=sys.stderr)
        return 2
    photos = photos[:: max(1, len(photos) // args.wider)][: args.wider]
    settings = Settings(threads=1)
    det = check_detector(check_settings(settings))
    first, grey, looked = [], [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for k, src in enumerate(photos):
            dst = Path(tmp) / f"{k}.jpg"
            anonymize_image(src, dst, settings)
            px = read_image(dst, max_pixels=settings.max_pixels).pixels
            t0 = time.process_time()
            detect_shown(det, px)
            t1 = time.process_time()
            covers = cover_mask(px, settings.fill)
            grey_partials(det, px, covers, settings.fill)
            t2 = time.process_time()
            first.append(t1 - t0)
            grey.append(t2 - t1)
            looked += bool(covers.any())
    f, g = float(np.sum(first)), float(np.sum(grey))
    print(f"{len(photos)} photos ({looked} with a solid cover): first look {f / len(photos):.2f} CPU s/photo, "
          f"grey look {g / len(photos):.2f}; the check's detection {(f + g) / f:.2f}x the first look alone")
    return 0


if __name__ == "__main__":
    sys.exit(main())
