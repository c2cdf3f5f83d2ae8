"""``unseen check --cover KIND`` on unseen's own ``--cover KIND`` outputs of WIDER dev photos: how
often the check still finds that kind clear of the covers (false alarms, or things the cover run
missed that the check now sees), and how much it finds on the untouched photos.

Faces are left out on both sides (a detector that finds none), so only the kind is measured.

    OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/check_kinds.py --images 40
    OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/check_kinds.py --cover people --people box --images 12
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from unseen.detect.base import FixedDetector
from unseen.detect.kinds import region_detectors_for
from unseen.pipeline.check import check_image
from unseen.pipeline.image import process_image
from unseen.settings import Settings
from unseen.types import Faces

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "widerface_dev"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=40)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--cover", default="text", help="the kind to cover and check (text, plates, people)")
    ap.add_argument("--people", default="box", help="--people mode when --cover people")
    a = ap.parse_args()
    names = (DATA / "image_list.txt").read_text().split()[: a.images]
    none = FixedDetector(Faces.empty())
    s = Settings(cover=a.cover, people=a.people, threads=a.threads)
    dets = region_detectors_for(s)
    before = after = excused = flagged_photos = 0
    cpu = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for i, name in enumerate(names):
            src = DATA / "WIDER_val" / "images" / name
            out = Path(tmp) / f"{i}.png"
            process_image(src, out, s, detector=none, region_detectors=dets)
            before += len(check_image(src, s, detector=none, region_detectors=dets).findings)
            t0 = time.process_time()
            fc = check_image(out, s, detector=none, region_detectors=dets)
            cpu += time.process_time() - t0
            after += len(fc.findings)
            excused += len(fc.excused)
            flagged_photos += bool(fc.findings)
            if fc.findings:
                boxes = "; ".join(", ".join(f"{v:.0f}" for v in f.box) for f in fc.findings)
                print(f"  {name}: {len(fc.findings)} region(s) clear of the covers: {boxes}")
    print(
        f"{len(names)} photos, --cover {s.cover} ({a.people if 'people' in s.cover else ''}): "
        f"regions the check finds on the inputs {before}; on the outputs {after} clear of the covers, "
        f"{excused} touching one"
    )
    print(f"  outputs failing the check: {flagged_photos}/{len(names)}; check CPU-s per output {cpu / len(names):.2f}")


if __name__ == "__main__":
    main()
