"""Video speed at 1080p30: unseen (default, --fast) beside deface 1.5.0 and the decode+encode floor.

Builds the benchmark input once into a cache folder (``.bench/speed`` by default): real footage
(``../shared/data/video/short_hamilton_clip.mp4``, 640x360) upscaled to 1920x1080, looped to
``--seconds`` at 30 fps, H.264 (x264 crf 18, veryfast) with AAC audio (the clip's own sound, looped).
Then measures, in one run so the ratios hold on a noisy shared machine:

  floor    PyAV decode + x264 encode of the same file with unseen's encoder settings (crf, preset,
           threads), audio packets copied: what no anonymizer can beat here
  default  unseen, default preset (``process_video`` as the CLI calls it)
  fast     unseen ``--fast``
  deface   deface 1.5.0 at its defaults (``deface FILE -o OUT.mp4``, own venv) on the first
           ``--deface-seconds`` of the same input (cut with stream copy): about 2.3 fps at 1080p
           here (13 minutes per minute of video), so a prefix keeps the run short
  leaks    the thorough detector on every ``--leak-step``-th ORIGINAL frame; face-frames whose
           central half is < 90 % covered in unseen's output (``unseen_eval.leak`` rules)

Stage shares: the real detector is wrapped to time its calls (they run on the main thread), and
the pipeline is run once more with a fixed fake detector (one box on every frame) so everything
except detection (decode, RGB conversion, shot-cut test, tracking, cover, encode, verify) is timed.

    .venv/bin/python benchmarks/video_speed.py                  # 60 s, deface on 5 s
    .venv/bin/python benchmarks/video_speed.py --seconds 10 --deface-seconds 3 --json /tmp/s.json

A benchmark script, never a timed test.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from unseen.detect.base import Detector, FaceDetector

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "data" / "video" / "short_hamilton_clip.mp4"
DEFACE = ROOT / ".bench" / "deface-venv" / "bin" / "deface"
W, H, FPS = 1920, 1080, 30


# --- input ---------------------------------------------------------------------------------
def build_input(path: Path, seconds: float, source: Path = SOURCE, height: int = H) -> None:
    """``height``p30 (16:9) H.264 + AAC from ``source``, upscaled and looped to ``seconds``."""
    w, h = height * 16 // 9 // 2 * 2, height
    n = int(round(seconds * FPS))
    with av.open(str(source)) as c:  # the clip's sound, decoded once (10 s of stereo 44.1 kHz)
        a = c.streams.audio[0]
        rate = a.codec_context.sample_rate
        chunks = [f.to_ndarray() for f in c.decode(a)]  # fltp: (channels, samples)
    sound = np.concatenate(chunks, axis=1).astype(np.float32)
    tmp = path.with_suffix(".part.mp4")
    with av.open(str(tmp), "w") as out:
        vs = out.add_stream("libx264", rate=FPS)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        vs.codec_context.options = {"crf": "18", "preset": "veryfast"}
        aus = out.add_stream("aac", rate=rate)
        aus.layout = "stereo"
        done = 0
        while done < n:
            with av.open(str(source)) as c:
                for f in c.decode(c.streams.video[0]):
                    if done >= n:
                        break
                    g = f.reformat(width=w, height=h, format="yuv420p", interpolation="BICUBIC")
                    g.pts, g.time_base = done, Fraction(1, FPS)
                    for p in vs.encode(g):
                        out.mux(p)
                    done += 1
        for p in vs.encode(None):
            out.mux(p)
        total = int(round(n / FPS * rate))
        pcm = np.tile(sound, (1, total // sound.shape[1] + 1))[:, :total]
        for start in range(0, total, 1024):
            af = av.AudioFrame.from_ndarray(np.ascontiguousarray(pcm[:, start : start + 1024]), format="fltp", layout="stereo")
            af.sample_rate, af.pts, af.time_base = rate, start, Fraction(1, rate)
            for p in aus.encode(af):
                out.mux(p)
        for p in aus.encode(None):
            out.mux(p)
    tmp.rename(path)


def cut_prefix(src: Path, dst: Path, seconds: float) -> int:
    """The first ``seconds`` of ``src`` by stream copy (no re-encode); returns the video frames kept."""
    frames = 0
    with av.open(str(src)) as c, av.open(str(dst), "w") as out:
        vin, ain = c.streams.video[0], c.streams.audio[0]
        vout, aout = out.add_stream_from_template(vin), out.add_stream_from_template(ain)
        for pkt in c.demux(vin, ain):
            if pkt.dts is None or pkt.pts is None:
                continue
            if float(pkt.pts * pkt.time_base) >= seconds:
                continue
            if pkt.stream is vin:
                pkt.stream = vout
                frames += 1
            else:
                pkt.stream = aout
            out.mux(pkt)
    return frames


# --- measurements --------------------------------------------------------------------------
def floor(src: Path, dst: Path, crf: int, preset: str) -> dict:
    """Decode + encode with unseen's encoder settings (threads as unseen sets them), audio copied."""
    t0 = time.monotonic()
    frames = 0
    with av.open(str(src)) as c, av.open(str(dst), "w") as out:
        vin, ain = c.streams.video[0], c.streams.audio[0]
        vin.thread_type = "AUTO"
        vs = out.add_stream("libx264", rate=vin.average_rate)
        vs.width, vs.height, vs.pix_fmt = vin.codec_context.width, vin.codec_context.height, "yuv420p"
        vs.codec_context.time_base = vin.time_base
        vs.codec_context.options = {"crf": str(crf), "preset": preset, "a53cc": "0"}
        vs.codec_context.thread_count = 0
        aout = out.add_stream_from_template(ain)
        for pkt in c.demux(vin, ain):
            if pkt.stream is ain:
                if pkt.dts is not None:
                    pkt.stream = aout
                    out.mux(pkt)
                continue
            for f in pkt.decode():
                frames += 1
                for p in vs.encode(f):
                    out.mux(p)
        for p in vs.encode(None):
            out.mux(p)
    wall = time.monotonic() - t0
    return {"name": "floor (decode + encode)", "frames": frames, "wall": wall}


class Timed(Detector):
    """Wraps a detector and sums the time spent in ``detect`` (the pipeline calls it per frame)."""

    def __init__(self, det: FaceDetector):
        self.det, self.seconds, self.calls = det, 0.0, 0
        self.name = det.name
        self.passes = det.passes  # a multi-pass detector: the pipeline schedules its passes

    def detect(self, image, passes=None):  # type: ignore[no-untyped-def]
        t0 = time.monotonic()
        try:
            return self.det.detect(image) if passes is None else self.det.detect(image, passes)
        finally:
            self.seconds += time.monotonic() - t0
            self.calls += 1


def run_unseen(src: Path, dst: Path, preset: str | None, fake: bool = False, rgb_cover: bool = False) -> dict:
    import unseen.pipeline.video_cover as video_cover
    from unseen.detect.base import FixedDetector
    from unseen.detect.cache import detector_for
    from unseen.pipeline.video import process_video
    from unseen.settings import Settings
    from unseen.types import Faces

    settings = Settings(overwrite=True, **({"preset": preset} if preset else {}))
    t0 = time.monotonic()
    if fake:
        det = FixedDetector(Faces(np.array([[800, 300, 1000, 560]], np.float32)))
    else:
        det = detector_for(settings)
    build = time.monotonic() - t0
    timed = Timed(det)
    planar = video_cover.PLANAR_420
    if rgb_cover:  # the cover path before solid covers were painted on the YUV planes (A/B only)
        video_cover.PLANAR_420 = ()
    try:
        rep = process_video(src, dst, settings, detector=timed)
    finally:
        video_cover.PLANAR_420 = planar
    wall = time.monotonic() - t0
    name = "unseen pipeline, fixed fake detector (no detection)" if fake else f"unseen {'--fast' if preset == 'fast' else 'default'}"
    if rgb_cover:
        name += ", cover via RGB round trip"
    return {
        "name": name,
        "frames": rep.details.frames,
        "wall": wall,
        "build": build,
        "detect": timed.seconds,
        "frames_covered": rep.details.frames_covered,
        "face_frames_covered": rep.details.face_frames_covered,
        "detector": timed.name,
        "detect_stride": rep.details.detect_stride,
    }


def run_deface(src: Path, dst: Path, frames: int) -> dict:
    t0 = time.monotonic()
    proc = subprocess.run([str(DEFACE), str(src), "-o", str(dst)], capture_output=True, text=True)
    wall = time.monotonic() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"deface failed: {proc.stderr[-2000:]}")
    return {"name": "deface 1.5.0 defaults", "frames": frames, "wall": wall}


def sampled_leaks(original: Path, output: Path, step: int, detector) -> dict:  # type: ignore[no-untyped-def]
    """``unseen_eval.leak`` rules on every ``step``-th frame (the thorough pass is seconds per frame)."""
    from unseen_eval.leak import MIN_COVER, covered_share

    checked = found = leaked = 0
    leaks = []
    with av.open(str(original)) as a, av.open(str(output)) as b:
        sa, sb = a.streams.video[0], b.streams.video[0]
        sa.thread_type = sb.thread_type = "AUTO"
        for i, (fa, fb) in enumerate(zip(a.decode(sa), b.decode(sb))):
            if i % step:
                continue
            orig, out = fa.to_ndarray(format="rgb24"), fb.to_ndarray(format="rgb24")
            h, w = orig.shape[:2]
            faces = detector.detect(orig).clipped(w, h)
            checked += 1
            for box, score in zip(faces.boxes, faces.scores):
                found += 1
                share = covered_share(orig, out, box)
                if share < MIN_COVER:
                    leaked += 1
                    leaks.append({"frame": i, "box": [round(float(v)) for v in box], "covered": round(share, 3), "score": round(float(score), 3)})
    return {"frames_checked": checked, "face_frames": found, "leaked": leaked, "leaks": leaks}


# --- table ---------------------------------------------------------------------------------
def table(rows: list[dict], deface_fps: float | None, floor_fps: float) -> str:
    out = [
        "| run | frames | wall s | fps | time vs deface (x faster) | time vs floor (x slower) | detect s (share of wall) | leak check: face-frames found / leaked |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        fps = r["frames"] / r["wall"]
        vs_deface = f"{fps / deface_fps:.1f}" if deface_fps else "-"
        vs_floor = f"{floor_fps / fps:.1f}"
        det = f"{r['detect']:.1f} ({100 * r['detect'] / r['wall']:.0f} %)" if "detect" in r else "-"
        lk = f"{r['leaks']['face_frames']} / {r['leaks']['leaked']}" if "leaks" in r else "-"
        out.append(f"| {r['name']} | {r['frames']} | {r['wall']:.1f} | {fps:.2f} | {vs_deface} | {vs_floor} | {det} | {lk} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=60.0, help="length of the benchmark clip (default 60)")
    p.add_argument("--height", type=int, default=H, help="picture height, 16:9 (default 1080; 720 for the fast target)")
    p.add_argument("--deface-seconds", type=float, default=5.0, help="deface runs on this prefix (default 5; 0 = skip)")
    p.add_argument("--leak-step", type=int, default=15, help="leak check on every N-th frame (default 15; 0 = skip)")
    p.add_argument("--only", nargs="*", default=["floor", "fake", "default", "fast", "deface"], help="runs to do")
    p.add_argument("--ab", type=int, default=0, help="A/B of the cover path: N alternating fake-detector runs, YUV planes vs RGB")
    p.add_argument("--cache", type=Path, default=ROOT / ".bench" / "speed")
    p.add_argument("--json", type=Path, help="also write the raw numbers here")
    ns = p.parse_args(argv)

    from unseen.settings import Settings

    ns.cache.mkdir(parents=True, exist_ok=True)
    src = ns.cache / f"hamilton_{ns.height}p30_{ns.seconds:g}s.mp4"
    if not src.exists():
        t0 = time.monotonic()
        build_input(src, ns.seconds, height=ns.height)
        print(f"built {src} in {time.monotonic() - t0:.0f} s", file=sys.stderr)
    d = Settings()
    print(f"input {src.name}; unseen encoder: libx264 crf {d.crf} preset {d.encoder_preset}; cpus {os.cpu_count()}", file=sys.stderr)

    rows: list[dict] = []
    fl = floor(src, ns.cache / "out_floor.mp4", d.crf, d.encoder_preset)
    print(f"floor: {fl}", file=sys.stderr)
    floor_fps = fl["frames"] / fl["wall"]
    rows.append(fl)
    if "fake" in ns.only:
        r = run_unseen(src, ns.cache / "out_fake.mp4", None, fake=True)
        print(f"fake: {r}", file=sys.stderr)
        rows.append(r)
    for _ in range(ns.ab):
        for rgb in (False, True):
            r = run_unseen(src, ns.cache / "out_ab.mp4", None, fake=True, rgb_cover=rgb)
            print(f"ab: {r}", file=sys.stderr)
            rows.append(r)
    thorough = None
    for preset in ("default", "fast"):
        if preset not in ns.only:
            continue
        out = ns.cache / f"out_{preset}.mp4"
        r = run_unseen(src, out, None if preset == "default" else preset)
        print(f"{preset}: {r}", file=sys.stderr)
        if ns.leak_step:
            if thorough is None:
                from unseen.detect.cache import detector_for

                thorough = detector_for(Settings(preset="thorough"))
            t0 = time.monotonic()
            r["leaks"] = sampled_leaks(src, out, ns.leak_step, thorough)
            print(f"{preset} leaks ({time.monotonic() - t0:.0f} s): {r['leaks']}", file=sys.stderr)
        rows.append(r)
    deface_fps = None
    if "deface" in ns.only and ns.deface_seconds > 0:
        prefix = ns.cache / f"prefix_{ns.height}p_{ns.deface_seconds:g}s.mp4"
        n = cut_prefix(src, prefix, ns.deface_seconds)
        r = run_deface(prefix, ns.cache / "out_deface.mp4", n)
        r["name"] = f"deface 1.5.0 defaults (first {ns.deface_seconds:g} s only)"
        print(f"deface: {r}", file=sys.stderr)
        deface_fps = r["frames"] / r["wall"]
        rows.append(r)
    print(f"\n{ns.height}p30 H.264 + AAC, {ns.seconds:g} s ({fl['frames']} frames); leak check every {ns.leak_step}th frame\n")
    print(table(rows, deface_fps, floor_fps))
    if ns.json:
        ns.json.write_text(json.dumps({"seconds": ns.seconds, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
