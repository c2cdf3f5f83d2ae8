"""Faces in the alpha channel: what detecting on every view finds, and what it costs.

Each photo (examples/astronaut.jpg, then WIDER dev images) is made into:

* ``rgb``       the photo as it is (3 channels),
* ``opaque``    the photo with an alpha channel of 255 everywhere,
* ``stencil``   black colour channels, alpha = 255 - luma (over white it *is* the grey photo),
* ``half``      the photo with alpha = luma (semi-transparent everywhere: all four views differ),
* ``dithered``  black colour channels, alpha = the grey photo dithered to 1 bit (Floyd-Steinberg),

and detection runs the old way (the colour channels only) and the new way
(``detect.alpha_views.detect_shown``), interleaved in one process, default preset on the CPU.
Printed: seconds per image for each, the ratio new/old, and for WIDER the share of ground-truth
faces (central half inside a head region) found in the grey photo, and in the stencil old and new;
for the dithered stencil, "sharp" is every view but the smoothed ones (what ran before they were
added), "smoothed" all views; ``--dither-only`` skips the rest (a quick before/after).
``--check N``: N WIDER images, as a grey PNG and as a stencil PNG, go through ``anonymize_image``
and ``unseen check`` (every view, thorough preset): photos whose output still raises an alarm.

    .venv/bin/python benchmarks/alpha_views.py [--wider 30] [--repeat 3] [--check 0] [--dither-only]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from unseen.cover import regions_for
from unseen.cover.regions import region_mask
from unseen.detect.alpha_views import detect_shown, detect_views, views
from unseen.detect.cache import detector_for
from unseen.detect.multiscale import iou_matrix
from unseen.pipeline.api import anonymize_image
from unseen.pipeline.check import check_image
from unseen.settings import Settings
from unseen_eval import widerface

REPO = Path(__file__).resolve().parents[1]
WIDER = REPO.parent / "shared" / "data" / "widerface_dev"


ASTRONAUT_FACE = np.array([[180, 56, 272, 180]], np.float32)


def variants(rgb: np.ndarray) -> dict[str, np.ndarray]:
    luma = np.asarray(Image.fromarray(rgb).convert("L"))
    alpha = luma[..., None]
    dots = np.asarray(Image.fromarray(luma).convert("1"), dtype=np.uint8)[..., None] * 255  # 0 = ink
    return {
        "rgb": rgb,
        "opaque": np.concatenate([rgb, np.full_like(alpha, 255)], axis=2),
        "stencil": np.concatenate([np.zeros_like(rgb), 255 - alpha], axis=2),
        "half": np.concatenate([rgb, alpha], axis=2),
        "dithered": np.concatenate([np.zeros_like(rgb), 255 - dots], axis=2),
    }


def sharp_detect(det, pixels: np.ndarray):
    """Every view but the smoothed ones: what ran before a dithered alpha got them."""
    return detect_views(det, [v for v in views(pixels) if not v.name.endswith("smoothed")])


def dither_before_after(det, rgb: np.ndarray, repeat: int) -> None:
    px = variants(rgb)["dithered"]
    print(f"\nastronaut as a dithered 1-bit stencil, views {[v.name for v in views(px)]}, median of {repeat} runs:")
    print(f"{'detection':<9} {'best score on the face':>23} {'boxes':>6} {'s':>7}")
    for name, fn in (("sharp", sharp_detect), ("smoothed", detect_shown)):
        runs = [timed(lambda fn=fn: fn(det, px)) for _ in range(repeat)]
        faces = runs[0][1]
        on = faces.scores[iou_matrix(faces.boxes, ASTRONAUT_FACE)[:, 0] > 0.5] if len(faces) else np.zeros(0)
        best = f"{float(on.max()):.3f}" if on.size else "none"
        print(f"{name:<9} {best:>23} {len(faces):>6} {statistics.median(t for t, _ in runs):7.3f}")


def old_detect(det, pixels: np.ndarray):
    """What the photo pipeline did before: the colour channels only."""
    return det.detect(pixels[..., :3].copy() if pixels.shape[2] == 4 else pixels)


def timed(fn) -> tuple[float, object]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--wider", type=int, default=30, help="WIDER dev images (0: astronaut only)")
    ap.add_argument("--repeat", type=int, default=3, help="timing repeats on the astronaut")
    ap.add_argument("--check", type=int, default=0, help="WIDER images anonymized, then checked")
    ap.add_argument("--dither-only", action="store_true", help="only the dithered stencil, sharp vs smoothed views")
    args = ap.parse_args()
    settings = Settings()
    det = detector_for(settings)
    print(f"machine: {platform.machine()} {platform.system()}, detector: {det.name}")
    det.detect(np.zeros((64, 64, 3), np.uint8))  # warm-up

    with Image.open(REPO / "examples" / "astronaut.jpg") as im:
        astro_rgb = np.asarray(im.convert("RGB"))
    astro = variants(astro_rgb)
    dither_before_after(det, astro_rgb, args.repeat)
    if args.dither_only:
        return dither_wider(det, settings, args.wider)
    print("\nastronaut 512x512, median of", args.repeat, "runs (s):")
    print(f"{'variant':<8} {'views':>5} {'old':>7} {'new':>7} {'new/old':>8}")
    for name, px in astro.items():
        old_t, new_t = [], []
        for _ in range(args.repeat):
            old_t.append(timed(lambda px=px: old_detect(det, px))[0])
            new_t.append(timed(lambda px=px: detect_shown(det, px))[0])
        o, n = statistics.median(old_t), statistics.median(new_t)
        print(f"{name:<8} {len(views(px)):>5} {o:7.3f} {n:7.3f} {n / o:8.2f}")

    big = np.tile(astro["rgb"], (6, 8, 1))  # 3072 x 4096 = 12.6 MP
    for name, px in variants(big).items():
        old = min(timed(lambda px=px: px[..., :3].copy() if px.shape[2] == 4 else px)[0] for _ in range(3))
        t = min(timed(lambda px=px: views(px))[0] for _ in range(3))
        n = len(views(px))
        print(f"4096x3072 {name}: old colour copy {old * 1000:.0f} ms, views() {t * 1000:.0f} ms ({n} view(s))")

    if args.check > 0 and WIDER.exists():
        check_outputs(args.check)
    if args.wider <= 0 or not WIDER.exists():
        print("\nWIDER dev not found or not asked for: recall part skipped")
        return 0
    truth = widerface.load(WIDER)
    truth = [t for t in truth if len(t.boxes)][: args.wider]
    found = {"grey photo": 0, "stencil old": 0, "stencil new": 0}
    secs = {k: 0.0 for k in found}
    total = 0
    for t in truth:
        with Image.open(WIDER / "WIDER_val" / "images" / t.name) as im:
            rgb = np.asarray(im.convert("RGB"))
        v = variants(rgb)
        grey = np.repeat(np.asarray(Image.fromarray(rgb).convert("L"))[..., None], 3, axis=2)
        h, w = rgb.shape[:2]
        valid = ~t.invalid
        total += int(valid.sum())
        for key, fn in (
            ("grey photo", lambda grey=grey: old_detect(det, grey)),
            ("stencil old", lambda v=v: old_detect(det, v["stencil"])),
            ("stencil new", lambda v=v: detect_shown(det, v["stencil"])),
        ):
            dt, faces = timed(fn)
            secs[key] += dt
            mask = region_mask(regions_for(faces, w, h, settings), w, h, settings.shape)
            found[key] += int(widerface.faces_covered(t, mask)[valid].sum())
    print(f"\nWIDER dev, first {len(truth)} images with faces, {total} valid ground-truth faces:")
    print(f"{'input':<12} {'faces covered':>14} {'share':>7} {'s/image':>8}")
    for key, n in found.items():
        print(f"{key:<12} {n:>14} {n / total:7.3f} {secs[key] / len(truth):8.3f}")
    return 0


def dither_wider(det, settings: Settings, n: int) -> int:
    """WIDER ground-truth faces covered in dithered stencils: sharp views vs all views."""
    if n <= 0 or not WIDER.exists():
        print("\nWIDER dev not found or not asked for: recall part skipped")
        return 0
    truth = [t for t in widerface.load(WIDER) if len(t.boxes)][:n]
    found = {"grey photo": 0, "dithered sharp": 0, "dithered smoothed": 0}
    secs = {k: 0.0 for k in found}
    total = 0
    for t in truth:
        with Image.open(WIDER / "WIDER_val" / "images" / t.name) as im:
            rgb = np.asarray(im.convert("RGB"))
        px = variants(rgb)["dithered"]
        grey = np.repeat(np.asarray(Image.fromarray(rgb).convert("L"))[..., None], 3, axis=2)
        h, w = rgb.shape[:2]
        valid = ~t.invalid
        total += int(valid.sum())
        for key, fn in (
            ("grey photo", lambda grey=grey: old_detect(det, grey)),
            ("dithered sharp", lambda px=px: sharp_detect(det, px)),
            ("dithered smoothed", lambda px=px: detect_shown(det, px)),
        ):
            dt, faces = timed(fn)
            secs[key] += dt
            mask = region_mask(regions_for(faces, w, h, settings), w, h, settings.shape)
            found[key] += int(widerface.faces_covered(t, mask)[valid].sum())
    print(f"\nWIDER dev, first {len(truth)} images with faces, {total} valid ground-truth faces, dithered stencils:")
    print(f"{'input':<18} {'faces covered':>14} {'share':>7} {'s/image':>8}")
    for key, k in found.items():
        print(f"{key:<18} {k:>14} {k / total:7.3f} {secs[key] / len(truth):8.3f}")
    return 0


def check_outputs(n: int) -> None:
    """Anonymize grey and stencil copies of ``n`` WIDER images, then check each output."""
    truth = [t for t in widerface.load(WIDER) if len(t.boxes)][:n]
    alarms = {"grey photo": [0, 0], "stencil": [0, 0]}  # photos with a finding, findings
    with tempfile.TemporaryDirectory() as tmp:
        for i, t in enumerate(truth):
            with Image.open(WIDER / "WIDER_val" / "images" / t.name) as im:
                luma = np.asarray(im.convert("L"))
            inputs = {
                "grey photo": Image.fromarray(luma, "L"),
                "stencil": Image.fromarray(np.stack([np.zeros_like(luma), 255 - luma], axis=2), "LA"),
            }
            for key, im in inputs.items():
                src, out = Path(tmp) / f"{i}-{key[:5]}.png", Path(tmp) / f"{i}-{key[:5]}.unseen.png"
                im.save(src)
                anonymize_image(src, out, Settings())
                fc = check_image(out)
                alarms[key][0] += bool(fc.findings)
                alarms[key][1] += len(fc.findings)
    print(f"\nunseen check on unseen's outputs, {len(truth)} WIDER dev images (default settings, then check):")
    for key, (photos, findings) in alarms.items():
        print(f"{key:<12} photos with an alarm {photos:>3}, findings {findings:>3}")


if __name__ == "__main__":
    raise SystemExit(main())
