"""What the damaged-JPEG check costs beside the decode it guards, on real photos.

For every JPEG under the given folders (default: ../shared/data/widerface_dev and identities_dev),
times a full Pillow decode and :func:`unseen.media.jpeg_check.jpeg_damage` (structure walk plus
OpenCV's libjpeg at 1/8 scale) side by side, and lists any photo the check would refuse (there
should be none: these are whole photos).

    .venv/bin/python benchmarks/jpeg_check_cost.py [FOLDER ...]
"""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path

from PIL import Image

from unseen.media.jpeg_check import jpeg_damage

DEFAULT = [Path(__file__).resolve().parents[2] / "shared" / "data" / d for d in ("widerface_dev", "identities_dev")]


def main() -> None:
    folders = [Path(a) for a in sys.argv[1:]] or DEFAULT
    photos = [p for f in folders for p in sorted(f.rglob("*")) if p.is_file() and p.read_bytes()[:3] == b"\xff\xd8\xff"]
    decode = check = 0.0
    refused, progressive, pixels = [], 0, 0
    for p in photos:
        data = p.read_bytes()
        t0 = time.perf_counter()
        im = Image.open(io.BytesIO(data))
        im.load()
        t1 = time.perf_counter()
        why = jpeg_damage(data)
        t2 = time.perf_counter()
        decode, check = decode + t1 - t0, check + t2 - t1
        progressive += bool(im.info.get("progressive") or im.info.get("progression"))
        pixels += im.size[0] * im.size[1]
        if why:
            refused.append(f"{p}: {why}")
    print(f"{len(photos)} JPEGs ({progressive} progressive, {pixels / 1e6:.0f} MP): Pillow decode {decode:.2f} s, "
          f"check {check:.2f} s ({check / max(decode, 1e-9):.0%} of the decode, {1000 * check / max(1, len(photos)):.1f} ms a photo)")
    print(f"refused: {len(refused)}")
    for r in refused:
        print("  " + r)


if __name__ == "__main__":
    main()
