"""Render-from-plan time against a full run, side by side in one process: a photo batch (WIDER
dev) and a video clip. Usage: plan_render.py [--photos N] [--video PATH | --hd SECONDS]

``--hd S``: the video is a 1920x1080 clip made in a temporary folder from the first S seconds of
``short_hamilton_clip.mp4`` (640x360, upscaled with PyAV's scaler and encoded as H.264), so the
render's cost at full-HD size is measured without storing a large clip."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from unseen.detect.cache import detector_for
from unseen.pipeline.image import process_image
from unseen.pipeline.plan_run import make_plan, render_plan
from unseen.pipeline.video import process_video
from unseen.settings import Settings

DATA = Path("/work/shared/data")


def _hd_clip(src: Path, dst: Path, seconds: float) -> Path:
    """The first ``seconds`` of ``src`` scaled to 1920x1080, H.264, no audio."""
    import av

    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        vin = inp.streams.video[0]
        rate = vin.average_rate
        vout = out.add_stream("libx264", rate=rate)
        vout.codec_context.time_base = 1 / rate
        vout.width, vout.height, vout.pix_fmt = 1920, 1080, "yuv420p"
        vout.options = {"crf": "18", "preset": "veryfast"}
        for n, frame in enumerate(inp.decode(vin)):
            if n >= seconds * float(rate):
                break
            big = frame.reformat(width=1920, height=1080, format="yuv420p")
            big.pts, big.time_base = n, 1 / rate
            for pkt in vout.encode(big):
                out.mux(pkt)
        for pkt in vout.encode():
            out.mux(pkt)
    return dst


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--photos", type=int, default=30)
    ap.add_argument("--video", default=str(DATA / "video" / "carphone_pristine.mp4"))
    ap.add_argument("--hd", type=float, default=0.0, metavar="SECONDS", help="use a 1080p clip of this length instead")
    a = ap.parse_args()
    s = Settings()
    det = detector_for(s)
    names = (DATA / "widerface_dev" / "image_list.txt").read_text().split()[: a.photos]
    photos = [DATA / "widerface_dev" / "WIDER_val" / "images" / n for n in names]
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        process_image(photos[0], t / "warm.png", s, detector=det)
        t0 = time.perf_counter()
        for i, p in enumerate(photos):
            process_image(p, t / f"full{i}.png", s, detector=det)
        full = time.perf_counter() - t0
        t0 = time.perf_counter()
        plans = [make_plan(p, s, detector=det, thorough=False) for p in photos]
        mk = time.perf_counter() - t0
        t0 = time.perf_counter()
        for i, (p, plan) in enumerate(zip(photos, plans, strict=True)):
            render_plan(p, plan, t / f"plan{i}.png", s)
        rend = time.perf_counter() - t0
        print(
            f"photos n={len(photos)}: full {full:.2f}s, make_plan {mk:.2f}s, render_plan {rend:.2f}s, "
            f"full/render {full / rend:.1f}x"
        )
        v = _hd_clip(DATA / "video" / "short_hamilton_clip.mp4", t / "hd.mp4", a.hd) if a.hd else Path(a.video)
        t0 = time.perf_counter()
        rep = process_video(v, t / "full.mp4", s, detector=det)
        vfull = time.perf_counter() - t0
        t0 = time.perf_counter()
        plan = make_plan(v, s, detector=det)
        vmk = time.perf_counter() - t0
        t0 = time.perf_counter()
        render_plan(v, plan, t / "plan.mp4", s)
        vrend = time.perf_counter() - t0
        d = rep.details
        print(
            f"video {v.name} {d.width}x{d.height} {d.frames} frames: full {vfull:.2f}s, make_plan {vmk:.2f}s, "
            f"render_plan {vrend:.2f}s, full/render {vfull / vrend:.1f}x"
        )


if __name__ == "__main__":
    main()
