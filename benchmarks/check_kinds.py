"""``unseen check --cover text`` on unseen's own ``--cover text`` outputs of WIDER dev photos: how
often the check still finds text after the cover (false alarms, or text the cover run missed and
the check, blending the covers away, now sees), and how much it finds on the untouched photos.

Faces are left out on both sides (a detector that finds none), so only the text side is measured.

    OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/check_kinds.py --images 40
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from unseen.detect.base import FixedDetector
from unseen.detect.text import SharedText, TextDetector, TextNet
from unseen.pipeline.check import check_image
from unseen.pipeline.image import process_image
from unseen.settings import Settings
from unseen.types import Faces

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "widerface_dev"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=40)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    names = (DATA / "image_list.txt").read_text().split()[: a.images]
    net = TextNet(threads=a.threads)
    none = FixedDetector(Faces.empty())
    s = Settings(cover="text", threads=a.threads)
    before = after = flagged_photos = 0
    cpu = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for i, name in enumerate(names):
            src = DATA / "WIDER_val" / "images" / name
            out = Path(tmp) / f"{i}.png"
            process_image(src, out, s, detector=none, region_detectors=[TextDetector("text", shared=SharedText(net))])
            det = [TextDetector("text", shared=SharedText(net))]
            before += len(check_image(src, s, detector=none, region_detectors=det).findings)
            t0 = time.process_time()
            fc = check_image(out, s, detector=none, region_detectors=[TextDetector("text", shared=SharedText(net))])
            cpu += time.process_time() - t0
            after += len(fc.findings)
            flagged_photos += bool(fc.findings)
            if fc.findings:
                print(f"  {name}: {len(fc.findings)} text region(s) after the cover, e.g. {fc.findings[0].box}")
    print(
        f"{len(names)} photos: text regions found by the check on the inputs {before}, on the --cover text outputs {after}"
    )
    print(
        f"  outputs failing check --cover text: {flagged_photos}/{len(names)}; check CPU-s per output {cpu / len(names):.2f}"
    )


if __name__ == "__main__":
    main()
