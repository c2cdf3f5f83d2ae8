"""Leak check on video: real clips and generated clips of a real face that moves, turns, is
occluded, is motion-blurred, and enters and leaves the frame.

Each clip is anonymized with the default settings (the real detector), then
``unseen_eval.leak.leak_check`` runs the thorough detector on every ORIGINAL frame and counts the
face-frames left visible in the OUTPUT. Generated clips also know where the face truly is; those
truth face-frames are checked the same way. Prints one Markdown table row per clip.

    .venv/bin/python benchmarks/video_leaks.py                 # real + generated
    .venv/bin/python benchmarks/video_leaks.py --only generated --keep /tmp/leaks
    .venv/bin/python benchmarks/video_leaks.py --only edge     # small fast faces entering at each edge

Needs ../shared/data (skips what is absent). Generated clips are written to a temporary folder,
never into the repository.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np
from PIL import Image

from unseen.detect.cache import detector_for
from unseen.pipeline.video import process_video
from unseen.settings import Settings
from unseen.types import Faces
from unseen_eval.leak import leak_check

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
W, H, FPS, SECONDS = 320, 240, 30, 2.5
N = int(FPS * SECONDS)
CONFIDENT = 0.5  # leaks found with at least this score are rarely false positives (checked by eye)
FACES = ("img1.jpg", "img3.jpg", "img8.jpg", "img13.jpg", "img16.jpg", "img18.jpg")


@dataclass
class Sprite:
    """A head crop (RGB + soft alpha) and the face box inside it."""

    rgb: np.ndarray
    alpha: np.ndarray
    face: np.ndarray  # x1, y1, x2, y2 inside the crop


def load_sprite(path: Path, head_px: int) -> Sprite:
    img = np.asarray(Image.open(path).convert("RGB"))
    det = detector_for(Settings(preset="thorough"))
    faces = det.detect(img)
    if not len(faces):
        raise RuntimeError(f"no face found in {path}")
    b = faces.boxes[int(np.argmax(faces.widths * faces.heights))]
    cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
    side = 1.9 * max(b[2] - b[0], b[3] - b[1])
    x1, y1 = int(max(0, cx - side / 2)), int(max(0, cy - side / 2))
    x2, y2 = int(min(img.shape[1], cx + side / 2)), int(min(img.shape[0], cy + side / 2))
    crop = img[y1:y2, x1:x2]
    s = head_px / max(crop.shape[:2])
    crop = cv2.resize(crop, (max(1, int(crop.shape[1] * s)), max(1, int(crop.shape[0] * s))), interpolation=cv2.INTER_AREA)
    h, w = crop.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    r = np.sqrt(((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2)
    alpha = np.clip((1.0 - r) / 0.15, 0, 1).astype(np.float32)
    face = (np.array([b[0] - x1, b[1] - y1, b[2] - x1, b[3] - y1]) * s).astype(np.float32)
    return Sprite(crop, alpha, face)


def backdrop(seed: int, w: int = W, h: int = H) -> np.ndarray:
    rng = np.random.default_rng(seed)
    small = rng.integers(40, 200, (6, 8, 3)).astype(np.uint8)
    bg = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    noise = rng.integers(-10, 11, (h, w, 3))
    return np.clip(bg.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def transform(sp: Sprite, angle: float, squash: float) -> Sprite:
    """Rotate in-plane by ``angle`` degrees and squash horizontally (a head turning away)."""
    h, w = sp.rgb.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    m[0] *= squash
    m[0, 2] += w * (1 - squash) / 2
    rgb = cv2.warpAffine(sp.rgb, m, (w, h), borderMode=cv2.BORDER_REFLECT)
    alpha = cv2.warpAffine(sp.alpha, m, (w, h))
    fx1, fy1, fx2, fy2 = sp.face
    corners = np.array([[fx1, fy1, 1], [fx2, fy1, 1], [fx1, fy2, 1], [fx2, fy2, 1]]) @ m.T
    face = np.array([corners[:, 0].min(), corners[:, 1].min(), corners[:, 0].max(), corners[:, 1].max()], np.float32)
    return Sprite(rgb, alpha, face)


def paste(bg: np.ndarray, sp: Sprite, x: float, y: float) -> tuple[np.ndarray, np.ndarray]:
    """Composite the sprite with its top-left at (x, y); returns the frame and the face box."""
    out = bg.copy()
    h, w = sp.rgb.shape[:2]
    xi, yi = int(round(x)), int(round(y))
    x1, y1, x2, y2 = max(0, xi), max(0, yi), min(bg.shape[1], xi + w), min(bg.shape[0], yi + h)
    if x2 > x1 and y2 > y1:
        a = sp.alpha[y1 - yi : y2 - yi, x1 - xi : x2 - xi, None]
        src = sp.rgb[y1 - yi : y2 - yi, x1 - xi : x2 - xi].astype(np.float32)
        out[y1:y2, x1:x2] = (a * src + (1 - a) * out[y1:y2, x1:x2]).astype(np.uint8)
    return out, sp.face + np.array([xi, yi, xi, yi], np.float32)


def motion_blur(img: np.ndarray, length: int) -> np.ndarray:
    k = np.zeros((length, length), np.float32)
    k[length // 2, :] = 1.0 / length
    return cv2.filter2D(img, -1, k)


Scenario = Callable[[int, Sprite, np.ndarray], tuple[np.ndarray, np.ndarray | None]]


def moves(i: int, sp: Sprite, bg: np.ndarray):
    t = i / N
    x = 20 + (W - 40 - sp.rgb.shape[1]) * t
    y = (H - sp.rgb.shape[0]) / 2 + 40 * math.sin(2 * math.pi * t)
    return paste(bg, sp, x, y)


def turns(i: int, sp: Sprite, bg: np.ndarray):
    t = i / N
    tr = transform(sp, 35 * math.sin(2 * math.pi * t), 1.0 - 0.55 * abs(math.sin(math.pi * t * 1.5)))
    return paste(bg, tr, (W - sp.rgb.shape[1]) / 2, (H - sp.rgb.shape[0]) / 2)


def occluded(i: int, sp: Sprite, bg: np.ndarray):
    x = 60 + i * 1.5
    y = (H - sp.rgb.shape[0]) / 2
    frame, face = paste(bg, sp, x, y)
    if 30 <= i < 42:  # a pole passes in front of the face for 0.4 s
        frame[:, int(x) - 10 : int(x) + sp.rgb.shape[1] + 10] = (90, 70, 50)
        return frame, None
    return frame, face


def blurred(i: int, sp: Sprite, bg: np.ndarray):
    speed = 7.0
    x = 10 + (i * speed) % (W - sp.rgb.shape[1] - 10)
    frame, face = paste(bg, sp, x, (H - sp.rgb.shape[0]) / 2)
    return motion_blur(frame, 13), face


def enters_leaves(i: int, sp: Sprite, bg: np.ndarray):
    w = sp.rgb.shape[1]
    x = -w + (W + w) * i / (N - 1)
    frame, face = paste(bg, sp, x, (H - sp.rgb.shape[0]) / 2 - 10)
    return frame, face


SCENARIOS: dict[str, tuple[Scenario, int]] = {
    "moves": (moves, 90),
    "turns": (turns, 110),
    "occluded": (occluded, 90),
    "motion_blur": (blurred, 90),
    "enters_leaves": (enters_leaves, 100),
    "small_moving": (moves, 36),
}


def make_generated(folder: Path, name: str, face_file: str, seed: int) -> tuple[Path, list[np.ndarray | None]]:
    scenario, head_px = SCENARIOS[name]
    sp = load_sprite(DATA / "identities_dev" / "images" / face_file, head_px)
    bg = backdrop(seed)
    path = folder / f"{name}_{Path(face_file).stem}.mp4"
    return path, encode(path, (scenario(i, sp, bg) for i in range(N)), FPS, W, H)


def encode(path: Path, frames: Iterable[tuple[np.ndarray, np.ndarray | None]], fps: int, w: int, h: int) -> list[np.ndarray | None]:
    """Write ``frames`` (picture, true face box or None) as H.264; returns the truth per frame."""
    truth: list[np.ndarray | None] = []
    with av.open(str(path), "w") as out:
        s = out.add_stream("libx264", rate=fps)
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        s.codec_context.options = {"crf": "16", "preset": "veryfast"}
        for frame, face in frames:
            # Truth only while the face's centre is inside the picture (half a face out is still shown)
            if face is not None:
                cx, cy = (face[0] + face[2]) / 2, (face[1] + face[3]) / 2
                if not (0 <= cx < w and 0 <= cy < h):
                    face = None
            truth.append(face)
            for p in s.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                out.mux(p)
        for p in s.encode(None):
            out.mux(p)
    return truth


# --- small faces entering fast at the frame's edges (issue 11) ---------------------------------
# A small face (10-16 px) comes in from outside one edge, crosses the picture (with a sideways
# drift of a quarter of its speed) and leaves at the opposite edge, at a low frame rate. The first
# frames are empty, so the frame that gets every pass (the first) does not see it: the face is
# first found late, by the cheap passes or by the thorough passes on their stride.
EDGE_W, EDGE_H = 480, 360
EDGE_LEAD = 0.3  # seconds before the face starts to enter


@dataclass(frozen=True)
class EdgeClip:
    edge: str  # the edge it enters at: left, right, top, bottom
    fps: int
    speed: float  # pixels per frame
    head_px: int  # the head crop's size (the face box is about half of it)
    face: str


EDGE_CLIPS = (
    EdgeClip("right", 10, 15, 26, "img1.jpg"),
    EdgeClip("left", 10, 20, 22, "img3.jpg"),
    EdgeClip("top", 10, 12, 30, "img8.jpg"),
    EdgeClip("bottom", 10, 18, 24, "img13.jpg"),
    EdgeClip("left", 25, 10, 28, "img16.jpg"),
    EdgeClip("right", 25, 20, 24, "img18.jpg"),
    EdgeClip("top", 25, 16, 22, "img1.jpg"),
    EdgeClip("bottom", 25, 14, 30, "img3.jpg"),
)


def edge_path(c: EdgeClip, sp: Sprite, i: int) -> tuple[float, float]:
    """Top-left of the sprite on frame ``i``: outside ``c.edge`` until the lead time, then moving
    inward at ``c.speed`` px/frame with a sideways drift of a quarter of that."""
    h, w = sp.rgb.shape[:2]
    d = max(0.0, i - EDGE_LEAD * c.fps) * c.speed  # distance travelled inward
    drift = d / 4
    if c.edge == "left":
        return -w + d, EDGE_H * 0.35 + drift
    if c.edge == "right":
        return EDGE_W - d, EDGE_H * 0.6 - drift
    if c.edge == "top":
        return EDGE_W * 0.3 + drift, -h + d
    return EDGE_W * 0.65 - drift, EDGE_H - d  # bottom


def flat_backdrop(seed: int, w: int, h: int) -> np.ndarray:
    """Mid grey with pixel noise: nothing the cheap passes take for a large face."""
    rng = np.random.default_rng(seed)
    return np.clip(120 + rng.integers(-10, 11, (h, w, 3)), 0, 255).astype(np.uint8)


def make_edge_clip(folder: Path, c: EdgeClip, seed: int, flat: bool = False) -> tuple[Path, list[np.ndarray | None], float]:
    """The clip, its truth, and the face's size (px, the longer side of its box)."""
    sp = load_sprite(DATA / "identities_dev" / "images" / c.face, c.head_px)
    bg = flat_backdrop(seed, EDGE_W, EDGE_H) if flat else backdrop(seed, EDGE_W, EDGE_H)
    span = (EDGE_W if c.edge in ("left", "right") else EDGE_H) + sp.rgb.shape[0]
    n = int(EDGE_LEAD * c.fps + span / c.speed) + 2
    path = folder / f"edge_{c.edge}_{c.fps}fps_{c.speed:g}px_{Path(c.face).stem}{'_flat' if flat else ''}.mp4"
    truth = encode(path, (paste(bg, sp, *edge_path(c, sp, i)) for i in range(n)), c.fps, EDGE_W, EDGE_H)
    return path, truth, float(max(sp.face[2] - sp.face[0], sp.face[3] - sp.face[1]))


def run_one(src: Path, folder: Path, truth: list[np.ndarray | None] | None = None, settings: Settings | None = None) -> dict:
    out = folder / f"{src.stem}.unseen{src.suffix}"
    t0 = time.monotonic()
    report = process_video(src, out, (settings or Settings()).replace(overwrite=True))
    seconds = time.monotonic() - t0
    tf = None
    if truth is not None:
        tf = lambda i: Faces(truth[i][None]) if truth[i] is not None else Faces.empty()  # noqa: E731
    rep = leak_check(src, out, truth=tf)
    return {
        "clip": src.name,
        "frames": rep.frames,
        "found": rep.face_frames,
        "leaked": rep.leaked,
        "leaked_confident": sum(1 for lk in rep.leaks if lk.source == "detector" and lk.score >= CONFIDENT),
        "truth": rep.truth_face_frames,
        "truth_leaked": rep.truth_leaked,
        "covered_frames": report.details.frames_covered,
        "cuts": report.details.shot_cuts,
        "seconds": round(seconds, 1),
        "leaks": [(lk.frame, lk.source, lk.box, lk.score, lk.covered) for lk in rep.leaks[:10]],
        "truth_leak_frames": [lk.frame for lk in rep.leaks if lk.source == "truth"],
    }


def _value(text: str) -> object:
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=("real", "generated", "edge"), default=None)
    ap.add_argument("--keep", type=Path, default=None, help="folder to keep clips and outputs in")
    ap.add_argument("--faces", type=int, default=2, help="how many identities per scenario")
    ap.add_argument(
        "--flat", action="store_true",
        help="edge clips on a flat grey backdrop (the coloured one makes the cheap passes find large false faces)",
    )
    ap.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE",
        help="a setting for the anonymizing run (e.g. preset=fast, detect_stride=1.0); repeatable",
    )
    args = ap.parse_args(argv)
    settings = Settings.from_mapping({k: _value(v) for k, v in (a.split("=", 1) for a in args.set)})
    print(f"settings: {', '.join(args.set) or 'defaults'}", file=sys.stderr)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="unseen-leaks-"))
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    if args.only in (None, "real"):
        for clip in sorted((DATA / "video").glob("*.mp4")):
            rows.append(run_one(clip, folder, settings=settings))
            print(rows[-1], file=sys.stderr, flush=True)
    if args.only in (None, "generated"):
        if not (DATA / "identities_dev").exists():
            print("skipped generated clips: ../shared/data/identities_dev is absent", file=sys.stderr)
        else:
            for k, name in enumerate(SCENARIOS):
                for j in range(args.faces):
                    face = FACES[(k + j) % len(FACES)]
                    path, truth = make_generated(folder, name, face, seed=k * 10 + j)
                    rows.append(run_one(path, folder, truth, settings=settings))
                    print(rows[-1], file=sys.stderr, flush=True)
    if args.only in (None, "edge"):
        if not (DATA / "identities_dev").exists():
            print("skipped edge clips: ../shared/data/identities_dev is absent", file=sys.stderr)
        else:
            for k, c in enumerate(EDGE_CLIPS):
                path, truth, face_px = make_edge_clip(folder, c, seed=100 + k, flat=args.flat)
                rows.append(run_one(path, folder, truth, settings=settings))
                rows[-1]["clip"] += f" ({face_px:.0f} px face)"
                print(rows[-1], file=sys.stderr, flush=True)
    print(
        "| clip | frames | face-frames found (thorough, original) | leaked | leaked, score >= 0.5"
        " | true face-frames | true leaked | frames covered | cuts | seconds |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        truth = "-" if not r["truth"] else str(r["truth"])
        tl = "-" if not r["truth"] else str(r["truth_leaked"])
        print(
            f"| {r['clip']} | {r['frames']} | {r['found']} | {r['leaked']} | {r['leaked_confident']} | {truth} | {tl}"
            f" | {r['covered_frames']} | {r['cuts']} | {r['seconds']} |"
        )
    return 1 if any(r["leaked"] or r["truth_leaked"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
