"""Batch throughput side by side in one run: one process, local workers, Ray (photos/s on WIDER dev).

    OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/batch_throughput.py --photos 40 [--tiny 40]

Each configuration processes the same photos into a fresh folder (threads=1 per worker); --tiny adds
a batch of 32x32 photos to show the per-file overhead of local workers and of Ray.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
import numpy as np
from PIL import Image

from unseen.pipeline.batch import process_paths
from unseen.settings import Settings

WIDER = Path("/work/shared/data/widerface_dev")


def photos(n: int, dst: Path) -> Path:
    found = sorted(WIDER.rglob("*.jpg"))[:n]
    if len(found) < n:
        sys.exit(f"need {n} photos under {WIDER}")
    dst.mkdir()
    for i, p in enumerate(found):
        (dst / f"{i:04d}.jpg").write_bytes(p.read_bytes())
    return dst


def tiny(n: int, dst: Path) -> Path:
    dst.mkdir()
    rng = np.random.default_rng(0)
    for i in range(n):
        Image.fromarray(rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(dst / f"{i:04d}.png")
    return dst


CONFIGS = [
    ("one process", dict(workers=1)),
    ("2 workers", dict(workers=2)),
    ("ray, 2 workers", dict(workers=2, engine="ray")),
]


def run(src: Path, out: Path, n: int) -> list[tuple[str, float]]:
    rows = []
    for name, cfg in CONFIGS:
        settings = Settings(threads=1, **cfg)
        t = time.perf_counter()
        rep = process_paths([src], out / name.replace(" ", "_").replace(",", ""), settings)
        dt = time.perf_counter() - t
        assert rep.exit_status == 0, [f.error for f in rep.failed]
        rows.append((name, n / dt))
        print(f"{src.name}: {name}: {n} files in {dt:.1f} s, {n / dt:.2f} files/s", flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--photos", type=int, default=40)
    ap.add_argument("--tiny", type=int, default=0)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        run(photos(a.photos, root / "wider"), root / "out_wider", a.photos)
        if a.tiny:
            run(tiny(a.tiny, root / "tiny"), root / "out_tiny", a.tiny)


if __name__ == "__main__":
    main()
