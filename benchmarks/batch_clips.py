"""Batch frames/s on a folder of short real clips, side by side in one run: one process, local
workers, Ray (issue 15).

    OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/batch_clips.py [--clips 4]

The clips are cut (re-encoded, x264 crf 20, no audio) from the developers' real videos under
../shared/data/video: the 10 s stage clip in ``--clips`` equal pieces, plus the 4 s carphone clip.
Every configuration processes the same clips into a fresh folder; frames/s = frames of all clips /
wall time of the batch (pool or Ray start-up and detector loads included), the best of
``--repeat`` rounds (each round runs every configuration once, after one untimed warm-up file;
round 1's Ray run includes starting the local Ray instance, later rounds reuse it but start their
actors again).
PYTHONPATH is needed so Ray's worker processes import this tree.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
import av

from unseen.pipeline.batch import process_paths
from unseen.settings import Settings

VIDEO = Path(__file__).resolve().parents[2] / "shared" / "data" / "video"

CONFIGS = [
    ("one process, 1 thread", dict(workers=1, threads=1)),
    ("one process, 2 threads", dict(workers=1, threads=2)),
    ("2 local workers, 1 thread each", dict(workers=2, threads=1)),
    ("Ray, 2 actors, 1 thread each", dict(workers=2, threads=1, engine="ray")),
]


def cut(src: Path, pieces: int, dst: Path) -> int:
    """``src`` re-encoded into ``pieces`` clips of equal frame counts; the frames written."""
    with av.open(str(src)) as c:
        vs = c.streams.video[0]
        rate = vs.average_rate
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    per = len(frames) // pieces
    for k in range(pieces):
        with av.open(str(dst / f"stage{k}.mp4"), "w") as out:
            s = out.add_stream("libx264", rate=rate)
            s.width, s.height, s.pix_fmt = frames[0].shape[1], frames[0].shape[0], "yuv420p"
            s.options = {"crf": "20"}
            for a in frames[k * per : (k + 1) * per]:
                for p in s.encode(av.VideoFrame.from_ndarray(a, format="rgb24")):
                    out.mux(p)
            for p in s.encode():
                out.mux(p)
    return per * pieces


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clips", type=int, default=4, help="pieces the 10 s stage clip is cut into")
    ap.add_argument("--repeat", type=int, default=2, help="rounds over every configuration (best wall time kept)")
    a = ap.parse_args()
    stage, carphone = VIDEO / "short_hamilton_clip.mp4", VIDEO / "carphone_pristine.mp4"
    if not stage.is_file() or not carphone.is_file():
        sys.exit(f"needs the developers' clips under {VIDEO}")
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        src = root / "clips"
        src.mkdir()
        frames = cut(stage, a.clips, src)
        (src / "carphone.mp4").write_bytes(carphone.read_bytes())
        with av.open(str(carphone)) as c:
            frames += sum(1 for _ in c.decode(video=0))
        print(f"{a.clips + 1} clips, {frames} frames; load average before: {os.getloadavg()}", flush=True)
        # Warm-up (not timed): imports, the model files read once, so the first row pays no more.
        process_paths([src / "carphone.mp4"], root / "warm.mp4", Settings(threads=1))
        walls: dict[str, list[float]] = {name: [] for name, _ in CONFIGS}
        faces: dict[str, int] = {}
        for r in range(a.repeat):  # rounds, so a load change hits every configuration alike
            for i, (name, cfg) in enumerate(CONFIGS):
                t = time.perf_counter()
                rep = process_paths([src], root / f"out{r}_{i}", Settings(**cfg))
                dt = time.perf_counter() - t
                assert rep.exit_status == 0, [f.error for f in rep.failed]
                walls[name].append(dt)
                faces[name] = rep.video_face_frames
                print(f"round {r + 1}: {name}: {dt:.1f} s, {frames / dt:.2f} frames/s; load {os.getloadavg()[0]:.1f}")
        base = frames / min(walls[CONFIGS[0][0]])
        print("\n| configuration | wall s (each round) | frames/s (best) | vs one process, 1 thread | face-frames covered |")
        print("|---|---|---:|---:|---:|")
        for name, _ in CONFIGS:
            fps = frames / min(walls[name])
            each = ", ".join(f"{w:.1f}" for w in walls[name])
            print(f"| {name} | {each} | {fps:.1f} | {fps / base:.2f}x | {faces[name]} |")
        print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
