"""GPU speed of unseen on one 1080p30 file: decode, encode floor, detection throughput, end to end.

Made to run ONCE on a lent GPU machine (``benchmarks/gpu_device.sh`` drives it) and to bring back
everything needed to plan the work toward >= 300 fps at 1080p on one H100, even if some steps fail:
every step is wrapped (a failure prints its traceback, the rest still runs), results are written
to ``$OUT/gpu_speed.json`` after every step, the log to ``$OUT/gpu_speed.log``, and a table is
printed at the end. A deadline (``--budget``) skips what no longer fits.

    a  decode only (PyAV, threads auto), and decode + RGB conversion
    b  floor: decode + encode with unseen's encoder settings (libx264 crf/preset; h264_nvenc too
       where PyAV's FFmpeg has it and it opens)
    c  detection only, on ``--device`` with the torch backend: the default preset's passes at
       batch 1/8/16 in fp32 (what unseen ships), tf32 and fp16 autocast as extra rows (NOT what
       unseen ships), the passes the video schedule runs per frame, each default pass alone, and
       the fast preset; "net s" is the time inside the networks' infer_many (upload, network,
       peak selection), the rest is CPU work (scaling, mirroring, tiles, merging)
    d  end to end ``process_video`` with ``--backend torch`` on ``--device`` (default and fast
       presets; a fixed fake detector for the pipeline alone), with the time per stage: per thread
       busy time (reader = demux + decode, writer = encode + mux) and, on the main thread,
       detection, RGB conversion, shot-cut test, tracking, cover; main "other" is the remainder
    e  the same end to end on the CPU (onnxruntime, the shipping CPU path) on the first
       ``--cpu-seconds`` seconds, to compare

    python3 benchmarks/gpu_speed.py --device cuda --video .gpu/hamilton_1080p30_10s.mp4 --out "$OUT"
    .venv/bin/python benchmarks/gpu_speed.py --device cpu --seconds 0.3 --detect-frames 2 --batches 1 2 --cpu-seconds 0.2

A benchmark script, never a timed test.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import defaultdict
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))  # this tree's unseen, installed or not
sys.path.insert(0, str(ROOT / "benchmarks"))

import numpy as np  # noqa: E402

DEFAULT_VIDEO = ROOT / ".gpu" / "hamilton_1080p30_10s.mp4"


# --- bookkeeping -----------------------------------------------------------------------------
class Bench:
    """Runs steps under a deadline; records results or tracebacks; saves JSON after each step."""

    def __init__(self, out: Path, budget: float):
        self.out = out
        out.mkdir(parents=True, exist_ok=True)
        self.t0 = time.monotonic()
        self.budget = budget
        self.results: dict[str, Any] = {"argv": sys.argv, "steps": {}}
        self.rows: list[dict[str, Any]] = []
        self.logf = open(out / "gpu_speed.log", "a", encoding="utf-8")

    def left(self) -> float:
        return self.budget - (time.monotonic() - self.t0)

    def log(self, *parts: Any) -> None:
        line = " ".join(str(p) for p in parts)
        print(line, flush=True)
        self.logf.write(line + "\n")
        self.logf.flush()

    def save(self) -> None:
        self.results["rows"] = self.rows
        self.results["elapsed_s"] = round(time.monotonic() - self.t0, 2)
        tmp = self.out / "gpu_speed.json.part"
        tmp.write_text(json.dumps(self.results, indent=1, default=str))
        tmp.replace(self.out / "gpu_speed.json")

    def step(self, name: str, fn: Callable[[], Any], need: float = 0.0) -> Any:
        """Run ``fn``; skip it when fewer than ``need`` seconds of the budget are left."""
        if self.left() < need:
            self.log(f"--- {name}: SKIPPED ({self.left():.0f} s left, needs ~{need:.0f} s)")
            self.results["steps"][name] = {"ok": False, "skipped": f"{self.left():.0f} s left of the budget"}
            self.save()
            return None
        self.log(f"--- {name} ({self.left():.0f} s of budget left)")
        t0 = time.monotonic()
        try:
            value = fn()
            self.results["steps"][name] = {"ok": True, "seconds": round(time.monotonic() - t0, 2), "result": value}
            self.log(f"    {name}: {json.dumps(value, default=str)[:1500]}")
            return value
        except Exception as exc:
            tb = traceback.format_exc()
            self.log(f"    {name} FAILED: {exc!r}\n{tb}")
            self.results["steps"][name] = {"ok": False, "seconds": round(time.monotonic() - t0, 2), "error": repr(exc), "traceback": tb}
            return None
        finally:
            self.save()

    def row(self, part: str, name: str, frames: int, wall: float, note: str = "", **extra: Any) -> None:
        r = {"part": part, "name": name, "frames": frames, "wall_s": round(wall, 3), "fps": round(frames / wall, 2) if wall > 0 else None, "note": note, **extra}
        self.rows.append(r)
        self.save()


# --- a: machine facts --------------------------------------------------------------------------
def facts(device: str) -> dict[str, Any]:
    out: dict[str, Any] = {"python": sys.version.split()[0], "platform": platform.platform(), "cpus": os.cpu_count()}
    try:
        out["affinity_cpus"] = len(os.sched_getaffinity(0))
    except Exception:
        pass
    for mod in ("numpy", "cv2", "onnxruntime", "onnx", "av", "PIL", "torch"):
        try:
            m = __import__(mod)
            out[f"{mod}_version"] = getattr(m, "__version__", "?")
        except Exception as exc:
            out[f"{mod}_version"] = f"not importable: {exc!r}"
    try:
        import onnxruntime

        out["onnxruntime_providers"] = onnxruntime.get_available_providers()
    except Exception:
        pass
    try:
        import cv2

        out["cv2_threads"] = cv2.getNumThreads()
    except Exception:
        pass
    try:
        import torch

        out["torch_cuda_build"] = torch.version.cuda
        out["torch_threads"] = torch.get_num_threads()
        out["cuda_available"] = torch.cuda.is_available()
        if torch.cuda.is_available():
            p = torch.cuda.get_device_properties(0)
            out["gpu"] = torch.cuda.get_device_name(0)
            out["gpu_memory_gib"] = round(p.total_memory / 2**30, 1)
            out["gpu_capability"] = f"{p.major}.{p.minor}"
            out["gpu_sms"] = p.multi_processor_count
            out["cudnn"] = torch.backends.cudnn.version()
    except Exception as exc:
        out["torch_error"] = repr(exc)
    try:
        smi = subprocess.run(
            ["nvidia-smi", "--query-gpu=name,driver_version,memory.total,clocks.max.sm,power.limit", "--format=csv,noheader"],
            capture_output=True, text=True, timeout=20,
        )
        out["nvidia_smi"] = (smi.stdout or smi.stderr).strip()
    except Exception as exc:
        out["nvidia_smi"] = f"unavailable: {exc!r}"
    try:
        import av

        out["ffmpeg_libraries"] = {k: ".".join(map(str, v)) for k, v in av.library_versions.items()}
        names = set(av.codecs_available)
        for codec in ("h264_nvenc", "hevc_nvenc", "av1_nvenc", "h264_cuvid", "hevc_cuvid", "libx264", "libx265", "libopenh264"):
            out[f"has_{codec}"] = codec in names
        out["nvenc_opens"] = _nvenc_opens("h264_nvenc") if "h264_nvenc" in names else "not in this FFmpeg"
        try:
            from av.codec.hwaccel import hwdevices_available

            out["hw_devices"] = list(hwdevices_available())
        except Exception as exc:
            out["hw_devices"] = f"unavailable: {exc!r}"
    except Exception as exc:
        out["av_error"] = repr(exc)
    return out


def _nvenc_opens(name: str) -> str:
    import av

    try:
        ctx = av.CodecContext.create(name, "w")
        ctx.width, ctx.height, ctx.pix_fmt = 1920, 1080, "yuv420p"
        ctx.time_base = Fraction(1, 30)
        ctx.open()
        return "yes"
    except Exception as exc:
        return f"no: {exc!r}"


# --- a, b: decode and the encode floor -------------------------------------------------------
def decode_only(src: Path, rgb: bool) -> tuple[int, float]:
    import av

    t0 = time.monotonic()
    n = 0
    with av.open(str(src)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        for f in c.decode(s):
            if rgb:
                f.to_ndarray(format="rgb24")
            n += 1
    return n, time.monotonic() - t0


def decode_hw(src: Path) -> tuple[int, float]:
    """Decode on the GPU through PyAV's hwaccel (frames stay in GPU memory where FFmpeg allows)."""
    import av
    from av.codec.hwaccel import HWAccel

    t0 = time.monotonic()
    n = 0
    with av.open(str(src), hwaccel=HWAccel(device_type="cuda", allow_software_fallback=False)) as c:
        for _ in c.decode(c.streams.video[0]):
            n += 1
    return n, time.monotonic() - t0


def floor_encode(src: Path, dst: Path, codec: str, options: dict[str, str]) -> tuple[int, float]:
    """Decode + encode (video only) with ``codec``; libx264 gets unseen's settings as video_speed does."""
    import av

    t0 = time.monotonic()
    frames = 0
    with av.open(str(src)) as c, av.open(str(dst), "w") as out:
        vin = c.streams.video[0]
        vin.thread_type = "AUTO"
        vs = out.add_stream(codec, rate=vin.average_rate)
        vs.width, vs.height, vs.pix_fmt = vin.codec_context.width, vin.codec_context.height, "yuv420p"
        vs.codec_context.time_base = vin.time_base
        vs.codec_context.options = options
        vs.codec_context.thread_count = 0
        for f in c.decode(vin):
            frames += 1
            for p in vs.encode(f):
                out.mux(p)
        for p in vs.encode(None):
            out.mux(p)
    return frames, time.monotonic() - t0


def cut_prefix(src: Path, dst: Path, seconds: float) -> int:
    """The first ``seconds`` (from the video's first timestamp) by stream copy; returns the video frames kept."""
    import av

    frames = 0
    with av.open(str(src)) as c, av.open(str(dst), "w") as out:
        vin = c.streams.video[0]
        ins = [vin] + list(c.streams.audio[:1])
        outs = {s.index: out.add_stream_from_template(s) for s in ins}
        start: dict[int, float] = {}
        for pkt in c.demux(*ins):
            if pkt.dts is None or pkt.pts is None:
                continue
            t = float(pkt.pts * pkt.time_base)
            t0 = start.setdefault(pkt.stream.index, t)
            if t - t0 >= seconds:
                continue
            frames += pkt.stream is vin
            pkt.stream = outs[pkt.stream.index]
            out.mux(pkt)
    return frames


def read_frames(src: Path, n: int) -> list[np.ndarray]:
    import av

    out = []
    with av.open(str(src)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        for f in c.decode(s):
            out.append(f.to_ndarray(format="rgb24"))
            if len(out) >= n:
                break
    return out


# --- c: detection only -----------------------------------------------------------------------
NET_METHODS = ("infer_many", "infer_tensor")  # tiles as arrays; pictures already on the device


class NetClock:
    """Wraps each net's ``infer_many``/``infer_tensor`` on the instance; sums the seconds in them."""

    def __init__(self, nets: dict[str, Any]):
        self.seconds = 0.0
        self.calls = 0
        for net in nets.values():
            for method in NET_METHODS:
                inner = getattr(net, method, None)
                if inner is None:
                    continue

                def timed(images, threshold, _inner=inner):  # type: ignore[no-untyped-def]
                    t0 = time.perf_counter()
                    try:
                        return _inner(images, threshold)
                    finally:
                        self.seconds += time.perf_counter() - t0
                        self.calls += 1

                setattr(net, method, timed)


def _sync() -> None:
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.synchronize()
    except Exception:
        pass


def _on_gpu(det) -> bool:  # type: ignore[no-untyped-def]
    return any(getattr(n, "device", "cpu") == "cuda" for n in getattr(det, "nets", {}).values())


def _reset_peak() -> None:
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()
    except Exception:
        pass


def _peak_gib() -> float | None:
    try:
        import torch

        if torch.cuda.is_available():
            return round(torch.cuda.max_memory_allocated() / 2**30, 2)
    except Exception:
        pass
    return None


def make_detector(device: str, preset: str, precision: str = "fp32", channels_last: bool | None = None):  # type: ignore[no-untyped-def]
    """The detector the registry builds for ``--backend torch --device DEVICE --preset PRESET``
    (whatever class that is), its nets rebuilt at ``precision`` / ``channels_last`` when asked,
    and a YuNet net added where the preset lacks one (the video schedule's cheap passes use it)."""
    from unseen.detect.registry import build
    from unseen.detect.torch_nets import TorchYuNetNet
    from unseen.settings import Settings

    settings = Settings(preset=preset, backend="torch", device=device)
    det = build(settings)
    if precision != "fp32" or channels_last is not None:
        det.nets = {n: type(net)(device=device, threads=settings.n_threads, precision=precision, channels_last=channels_last) for n, net in det.nets.items()}
    if "yunet" not in det.nets:
        det.nets["yunet"] = TorchYuNetNet(device=device, threads=settings.n_threads, precision=precision, channels_last=channels_last)
    return det, settings


def detect_throughput(bench: Bench, det, frames: list[np.ndarray], batch: int, passes, label: str, note: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Warm up (cuDNN tunes each new shape), then time detect_many over ``frames`` in ``batch``es."""
    clock = NetClock(det.nets)
    t0 = time.monotonic()
    for _ in range(2 if _on_gpu(det) else 1):
        det.detect_many(frames[:batch], passes)
    _sync()
    warm = time.monotonic() - t0
    clock.seconds, clock.calls = 0.0, 0
    _reset_peak()
    found = 0
    t0 = time.monotonic()
    n = len(frames) // batch * batch
    for i in range(0, n, batch):
        found += sum(len(f) for f in det.detect_many(frames[i : i + batch], passes))
    _sync()
    wall = time.monotonic() - t0
    for net in det.nets.values():  # undo the instance wrappers
        for method in NET_METHODS:
            net.__dict__.pop(method, None)
    extra = {"batch": batch, "detector": f"{type(det).__name__} {det.name}", "net_s": round(clock.seconds, 3), "net_share": round(clock.seconds / wall, 3) if wall else None,
             "warmup_s": round(warm, 2), "boxes_per_frame": round(found / max(n, 1), 2), "gpu_peak_gib": _peak_gib()}
    bench.row("c", label, n, wall, note, **extra)
    return {"frames": n, "wall_s": round(wall, 3), "fps": round(n / wall, 2), **extra}


# --- d, e: end to end with stage times ---------------------------------------------------------
class Stages:
    """Per-stage seconds from wrappers patched onto the pipeline's functions (restored after).

    A stage entered again inside itself (detect -> detect_many) is counted once, at the outside.
    """

    def __init__(self) -> None:
        self.t: dict[str, float] = defaultdict(float)
        self.n: dict[str, int] = defaultdict(int)
        self.lock = threading.Lock()
        self.active = threading.local()
        self.undo: list[Callable[[], None]] = []
        self.notes: list[str] = []

    def wrap(self, owner: Any, attr: str, key: str | Callable[[], str]) -> None:
        """Replace ``owner.attr`` (a module's, a class's or an instance's) by a timed version."""
        try:
            inner = getattr(owner, attr)
        except AttributeError:
            self.notes.append(f"no {getattr(owner, '__name__', type(owner).__name__)}.{attr}: not timed")
            return
        stages = self

        def timed(*a, **k):  # type: ignore[no-untyped-def]
            name = key() if callable(key) else key
            running = stages.active.__dict__.setdefault("keys", set())
            if name in running:
                return inner(*a, **k)
            running.add(name)
            t0 = time.perf_counter()
            try:
                return inner(*a, **k)
            finally:
                dt = time.perf_counter() - t0
                running.discard(name)
                with stages.lock:
                    stages.t[name] += dt
                    stages.n[name] += 1

        own = vars(owner)
        had = attr in own
        original = own.get(attr)
        setattr(owner, attr, timed)
        self.undo.append((lambda: setattr(owner, attr, original)) if had else (lambda: delattr(owner, attr)))

    def wrap_methods(self, cls: type, key: str) -> None:
        """Every public plain method defined on ``cls``."""
        for name, value in list(vars(cls).items()):
            if not name.startswith("_") and inspect.isfunction(value):
                self.wrap(cls, name, key)

    def restore(self) -> None:
        for u in reversed(self.undo):
            with contextlib.suppress(Exception):
                u()
        self.undo.clear()


def run_e2e(bench: Bench, part: str, label: str, src: Path, dst: Path, settings, fake: bool = False) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    import unseen.pipeline.video as video
    import unseen.pipeline.video_cover as video_cover
    import unseen.pipeline.video_threads as video_threads
    from unseen.detect.base import FixedDetector
    from unseen.detect.cache import detector_for
    from unseen.types import Faces

    t_build = time.monotonic()
    det = FixedDetector(Faces(np.array([[800, 300, 1000, 560]], np.float32))) if fake else detector_for(settings)
    build = time.monotonic() - t_build
    st = Stages()
    thread = lambda: threading.current_thread().name  # noqa: E731
    st.wrap(video, "to_rgb", "reader: rgb conversion")  # made on the reader thread, beside decoding
    for f in ("solid_i420", "apply_cover", "from_rgb", "regions_for"):
        st.wrap(video_cover, f, "main: cover")
    st.wrap(video.ShotCutDetector, "is_cut", "main: shot-cut test")
    st.wrap_methods(video.TemporalCover, "main: tracking")
    st.wrap(video_threads.Shared, "get", lambda: f"wait: {thread()}")
    st.wrap(video_threads.Shared, "put", lambda: f"wait: {thread()}")
    st.wrap(video_threads.Worker, "run", lambda: f"life: {thread()}")
    st.wrap(video.VideoWriter, "write_frame", "writer: encode")
    if not fake:
        st.wrap(det, "detect", "main: detection")
        st.wrap(det, "detect_many", "main: detection")
        for net in getattr(det, "nets", {}).values():
            for method in NET_METHODS:
                if hasattr(net, method):
                    st.wrap(net, method, "main: detection: networks")
    _reset_peak()
    t0 = time.monotonic()
    try:
        rep = video.process_video(src, dst, settings, detector=det)
    finally:
        wall = time.monotonic() - t0
        st.restore()
    frames = int(rep.details.frames)
    waits = {k[len("wait: "):]: v for k, v in st.t.items() if k.startswith("wait: ")}
    lives = {k[len("life: "):]: v for k, v in st.t.items() if k.startswith("life: ")}
    busy = {name: round(lives[name] - waits.get(name, 0.0), 2) for name in lives}
    main_name = threading.main_thread().name
    main_busy = wall - waits.get(main_name, 0.0)
    main_parts = {k: round(v, 2) for k, v in st.t.items() if k.startswith("main: ")}
    named = sum(v for k, v in st.t.items() if k.startswith("main: ") and k != "main: detection: networks")
    result = {
        "frames": frames,
        "wall_s": round(wall, 2),
        "fps": round(frames / wall, 2),
        "build_s": round(build, 2),
        "detector": rep.details.detector,
        "video_codec": rep.details.video_codec,
        "detect_stride": rep.details.detect_stride,
        "frames_covered": rep.details.frames_covered,
        "face_frames_covered": rep.details.face_frames_covered,
        "thread_busy_s": {**busy, f"{main_name} (main)": round(main_busy, 2)},
        "main_thread_s": {**main_parts, "main: other (queues, schedule, bookkeeping)": round(main_busy - named, 2)},
        "share_of_wall": {k: round(v / wall, 3) for k, v in {**main_parts, **{f"thread {k}": v for k, v in busy.items()}}.items()},
        "gpu_peak_gib": _peak_gib(),
        "notes": st.notes,
    }
    det_s = st.t.get("main: detection", 0.0)
    bench.row(part, label, frames, wall, f"detect {det_s:.1f} s ({100 * det_s / wall:.0f} %)" if not fake else "no detection",
              detector=result["detector"], encoder=result["video_codec"], detect_s=round(det_s, 2), net_s=round(st.t.get("main: detection: networks", 0.0), 2),
              rgb_s=round(st.t.get("reader: rgb conversion", 0.0), 2), cover_s=main_parts.get("main: cover"), track_s=main_parts.get("main: tracking"),
              reader_busy_s=next((v for k, v in busy.items() if "reader" in k), None),
              writer_busy_s=next((v for k, v in busy.items() if "writer" in k), None))
    return result


# --- the table -------------------------------------------------------------------------------
def table(rows: list[dict[str, Any]]) -> str:
    out = [
        "| part | run | frames | wall s | fps | net s | batch | notes |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in rows:
        fps = f"{r['fps']:.1f}" if r.get("fps") is not None else "-"
        net = f"{r['net_s']:.2f}" if r.get("net_s") is not None else "-"
        note = r.get("note", "")
        if r["part"] in ("d", "e"):
            note += f"; encoder {r.get('encoder')}; rgb {r.get('rgb_s')} s, cover {r.get('cover_s')} s, track {r.get('track_s')} s, reader busy {r.get('reader_busy_s')} s, writer busy {r.get('writer_busy_s')} s"
        out.append(f"| {r['part']} | {r['name']} | {r['frames']} | {r['wall_s']:.2f} | {fps} | {net} | {r.get('batch', '-')} | {note} |")
    return "\n".join(out)


# --- main ------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--video", type=Path, default=DEFAULT_VIDEO, help="1080p input (default .gpu/hamilton_1080p30_10s.mp4)")
    p.add_argument("--device", default="cuda", choices=("cuda", "cpu"), help="device for parts c and d (default cuda)")
    p.add_argument("--out", type=Path, default=Path(os.environ.get("OUT") or "/tmp/gpu_speed"), help="results folder (default $OUT)")
    p.add_argument("--seconds", type=float, default=0.0, help="end to end on the first S seconds only (0 = the whole file)")
    p.add_argument("--detect-frames", type=int, default=48, help="frames for detection-only throughput (default 48)")
    p.add_argument("--batches", type=int, nargs="+", default=[1, 8, 16], help="fp32 batch sizes for part c")
    p.add_argument("--cpu-seconds", type=float, default=2.0, help="part e: seconds of the file on the CPU (0 = skip)")
    p.add_argument("--budget", type=float, default=330.0, help="seconds for the whole run; later steps are skipped past it")
    ns = p.parse_args(argv)

    bench = Bench(ns.out, ns.budget)
    work = Path(tempfile.mkdtemp(prefix="gpu_speed_"))
    bench.log(f"gpu_speed: video {ns.video} device {ns.device} out {ns.out} work {work} budget {ns.budget:.0f} s")
    bench.results["facts"] = bench.step("facts", lambda: facts(ns.device))
    if not ns.video.exists():
        bench.log(f"input {ns.video} is missing")
        return 2

    from unseen.settings import Settings

    d = Settings()
    src = ns.video
    if ns.seconds > 0:  # a prefix by stream copy (video_speed's helper)
        def cut() -> dict[str, Any]:
            nonlocal src
            prefix = work / f"prefix_{ns.seconds:g}s.mp4"
            n = cut_prefix(ns.video, prefix, ns.seconds)
            src = prefix
            return {"frames": n, "path": str(prefix)}

        bench.step("prefix", cut)

    # a: decode
    def dec(rgb: bool) -> dict[str, Any]:
        n, wall = decode_only(src, rgb)
        bench.row("a", "decode + RGB conversion (rgb24)" if rgb else "decode only (PyAV, threads auto)", n, wall)
        return {"frames": n, "wall_s": round(wall, 3), "fps": round(n / wall, 1)}

    bench.step("a_decode", lambda: dec(False), need=10)
    bench.step("a_decode_rgb", lambda: dec(True), need=10)
    if ns.device == "cuda":
        def hwdec() -> dict[str, Any]:
            n, wall = decode_hw(src)
            bench.row("a", "decode on the GPU (PyAV hwaccel cuda, frames not downloaded)", n, wall)
            return {"frames": n, "wall_s": round(wall, 3)}

        bench.step("a_decode_hw", hwdec, need=15)

    # b: floor
    def floor(codec: str, options: dict[str, str], label: str) -> dict[str, Any]:
        n, wall = floor_encode(src, work / f"floor_{codec}.mp4", codec, options)
        bench.row("b", label, n, wall)
        return {"frames": n, "wall_s": round(wall, 3), "fps": round(n / wall, 1)}

    x264 = {"crf": str(d.crf), "preset": d.encoder_preset, "a53cc": "0"}
    bench.step("b_floor_libx264", lambda: floor("libx264", x264, f"floor: decode + libx264 crf {d.crf} {d.encoder_preset} (unseen's)"), need=20)
    facts_now = bench.results.get("facts") or {}
    if facts_now.get("nvenc_opens") == "yes":
        bench.step("b_floor_nvenc", lambda: floor("h264_nvenc", {"preset": "p4", "cq": str(d.crf)}, "floor: decode + h264_nvenc p4"), need=20)
    else:
        bench.log(f"--- b_floor_nvenc: skipped, h264_nvenc does not open here: {facts_now.get('nvenc_opens')}")

    # c: detection only
    frames: list[np.ndarray] = []

    def load() -> dict[str, Any]:
        frames.extend(read_frames(src, ns.detect_frames))
        return {"frames": len(frames), "shape": list(frames[0].shape)}

    bench.step("c_load_frames", load)
    cache: dict[tuple, Any] = {}

    def detector(preset: str, precision: str = "fp32", channels_last: bool | None = None):  # type: ignore[no-untyped-def]
        key = (preset, precision, channels_last)
        if key not in cache:
            cache[key] = make_detector(ns.device, preset, precision, channels_last)
        return cache[key]

    if frames:
        dev = ns.device
        for b in ns.batches:
            bench.step(f"c_default_fp32_b{b}", lambda b=b: detect_throughput(
                bench, detector("default")[0], frames, b, None, f"detect default preset, torch {dev} fp32, batch {b}", "what unseen ships"), need=25)
        bm = 8 if 8 in ns.batches else ns.batches[-1]

        def schedule_row() -> dict[str, Any]:
            from unseen.detect.schedule import video_schedule

            det, settings = detector("default")
            sched = video_schedule(settings, det.passes)
            passes = sched.passes_at(0.0, True) if sched is not None else det.passes
            return detect_throughput(bench, det, frames, bm, passes, f"detect video schedule passes (first frame: {len(passes)} passes), fp32, batch {bm}",
                                     "what process_video runs on a frame at stride 0 (--detect-stride 0)")

        bench.step("c_schedule_fp32", schedule_row, need=25)
        if dev == "cuda":
            bench.step("c_default_tf32", lambda: detect_throughput(bench, detector("default", "tf32")[0], frames, bm, None,
                                                                   f"detect default, tf32, batch {bm}", "NOT what unseen ships (tf32 convolutions)"), need=25)
            bench.step("c_default_fp16", lambda: detect_throughput(bench, detector("default", "fp16")[0], frames, bm, None,
                                                                   f"detect default, fp16 autocast, batch {bm}", "NOT what unseen ships (fp16)"), need=25)
            bench.step("c_default_fp16_nhwc", lambda: detect_throughput(bench, detector("default", "fp16", True)[0], frames, bm, None,
                                                                        f"detect default, fp16 autocast channels_last, batch {bm}", "NOT what unseen ships"), need=25)

        def per_pass() -> dict[str, Any]:
            det = detector("default")[0]
            out = {}
            for pa in det.passes:
                label = f"{pa.net} x{pa.scale:g}{' mirrored' if pa.flip else ''}"
                out[label] = detect_throughput(bench, det, frames, bm, [pa], f"  one pass: {label}, fp32, batch {bm}", "part of the default preset")["fps"]
            return out

        bench.step("c_per_pass", per_pass, need=40)
        bench.step("c_fast_fp32", lambda: detect_throughput(bench, detector("fast")[0], frames, bm, None,
                                                            f"detect fast preset, fp32, batch {bm}", "what unseen ships for --fast"), need=25)
    frames.clear()
    cache.clear()

    # d: end to end on the device
    dev = ns.device
    bench.step("d_e2e_default", lambda: run_e2e(bench, "d", f"end to end default, --backend torch --device {dev}", src, work / "out_default.mp4",
                                                  Settings(device=dev, backend="torch", overwrite=True)), need=40)
    if facts_now.get("nvenc_opens") == "yes" and "video_encoder" in Settings.__dataclass_fields__:
        bench.step("d_e2e_default_nvenc", lambda: run_e2e(bench, "d", f"end to end default, --backend torch --device {dev} --video-encoder h264_nvenc",
                                                            src, work / "out_default_nvenc.mp4",
                                                            Settings(device=dev, backend="torch", overwrite=True, video_encoder="h264_nvenc")), need=40)
        bench.step("d_e2e_fake_nvenc", lambda: run_e2e(bench, "d", "end to end, fixed fake detector, --video-encoder h264_nvenc (pipeline ceiling)",
                                                         src, work / "out_fake_nvenc.mp4",
                                                         Settings(overwrite=True, video_encoder="h264_nvenc"), fake=True), need=30)
        bench.step("d_e2e_stride_nvenc", lambda: run_e2e(bench, "d", f"end to end default, --device {dev} --detect-stride 1 --video-encoder h264_nvenc (CPU schedule on the GPU)",
                                                           src, work / "out_stride_nvenc.mp4",
                                                           Settings(device=dev, backend="torch", overwrite=True, video_encoder="h264_nvenc", detect_stride=1.0)), need=30)
    bench.step("d_e2e_fast", lambda: run_e2e(bench, "d", f"end to end --fast, --backend torch --device {dev}", src, work / "out_fast.mp4",
                                               Settings(device=dev, backend="torch", preset="fast", overwrite=True)), need=30)
    bench.step("d_e2e_fake", lambda: run_e2e(bench, "d", "end to end, fixed fake detector (pipeline without detection)", src, work / "out_fake.mp4",
                                               Settings(overwrite=True), fake=True), need=25)

    # e: end to end on the CPU, a prefix
    if ns.cpu_seconds > 0:
        def cpu(preset: str) -> dict[str, Any]:
            prefix = work / f"cpu_prefix_{ns.cpu_seconds:g}s.mp4"
            if not prefix.exists():
                cut_prefix(src, prefix, ns.cpu_seconds)
            return run_e2e(bench, "e", f"end to end {preset} on the CPU (onnxruntime), first {ns.cpu_seconds:g} s", prefix, work / f"out_cpu_{preset}.mp4",
                           Settings(device="cpu", preset=preset, overwrite=True))

        bench.step("e_cpu_default", lambda: cpu("default"), need=45)
        bench.step("e_cpu_fast", lambda: cpu("fast"), need=25)

    bench.log("")
    bench.log(f"{src.name}; unseen encoder libx264 crf {d.crf} {d.encoder_preset}; device {ns.device}; "
              f"{(bench.results.get('facts') or {}).get('gpu', 'no GPU')}; {os.cpu_count()} cpus; {time.monotonic() - bench.t0:.0f} s in all")
    bench.log(table(bench.rows))
    failed = [k for k, v in bench.results["steps"].items() if not v.get("ok")]
    bench.log(f"steps failed or skipped: {', '.join(failed) or 'none'}")
    bench.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
