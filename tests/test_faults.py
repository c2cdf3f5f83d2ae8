"""Faults: a run killed at random points of a long video, a full disk, a file size limit, a
read-only output folder. Each ends in a complete output or none, and a clear one-line error.

The full-disk and read-only cases mount a small tmpfs (root only; skipped elsewhere, with the
reason). The file-size-limit case (RLIMIT_FSIZE) simulates a full disk without privileges.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from unseen.errors import ExitStatus
from unseen.pipeline.commit import TMP_MARK, is_temp_name

from .conftest import REPO, noise_image
from .video_factory import make_clip

# The CLI in a fresh interpreter, with the magenta test detector instead of the real models.
RUN_CLI = r"""
import resource, signal, sys
sys.path.insert(0, sys.argv[1])
limit = int(sys.argv[2])
if limit:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
from tests.video_factory import MagentaDetector
from unseen.cli import main
from unseen.detect.cache import pinned
with pinned(MagentaDetector()):
    code = main(sys.argv[3:])
sys.exit(code)
"""


def cli(*argv, fsize_limit: int = 0, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", RUN_CLI, str(REPO), str(fsize_limit), *map(str, argv)],
                          capture_output=True, text=True, timeout=300, **kw)


def cli_popen(*argv) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", RUN_CLI, str(REPO), "0", *map(str, argv)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def frame_count(path: Path) -> int:
    with av.open(str(path)) as c:
        return sum(1 for _ in c.decode(video=0))


def one_error_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("unseen: error: "), stderr
    return lines[0]


# --- SIGKILL during a long video -----------------------------------------------------------
LONG_FRAMES = 600

@pytest.fixture(scope="module")
def long_clip(tmp_path_factory):
    """20 s at 30 fps with audio (LONG_FRAMES): a few seconds of work for the pipeline (10 s ran in
    1.2 s once solid covers were painted on the YUV planes: too short for kills at up to 2.5 s)."""
    return make_clip(tmp_path_factory.mktemp("long") / "long.mp4", width=160, height=120, n=LONG_FRAMES,
                     audio=True, keep_frames=False, bframes=0).path


def _wait_for_temp(folder: Path, proc: subprocess.Popen, timeout: float = 60.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end and proc.poll() is None:
        if any(is_temp_name(p.name) for p in folder.iterdir()):
            return True
        time.sleep(0.02)
    return False


@pytest.mark.slow
def test_sigkill_at_random_points_of_a_long_video(tmp_path, long_clip):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    final = out_dir / "long.mp4"
    rng = np.random.default_rng(6)
    killed_mid_write = 0
    for delay in rng.uniform(0.0, 2.5, 3):
        p = cli_popen(long_clip, "-o", final, "-q", "--threads", "1")
        writing = _wait_for_temp(out_dir, p)
        time.sleep(float(delay))
        finished = p.poll() is not None
        if not finished:  # a finished run was reaped by poll(): its process group is gone
            os.killpg(p.pid, signal.SIGKILL)
        p.wait(timeout=30)
        if finished:  # it beat the kill: then the output must be whole
            assert frame_count(final) == LONG_FRAMES
            final.unlink()
            continue
        assert not final.exists(), f"killed after {delay:.2f} s, yet {final.name} exists"
        left = list(out_dir.iterdir())
        assert all(is_temp_name(q.name) and q.suffix == ".mp4" for q in left), left
        killed_mid_write += bool(writing and left)
    assert killed_mid_write >= 2, "the kills should land while the temporary file is being written"
    stale = [q for q in out_dir.iterdir() if is_temp_name(q.name)]
    assert stale
    # The next run removes the dead runs' temporary files and writes the whole video.
    r = cli(long_clip, "-o", final, "-q", "--threads", "1")
    assert r.returncode == 0, r.stderr
    assert [q.name for q in out_dir.iterdir()] == ["long.mp4"]
    assert frame_count(final) == LONG_FRAMES


def test_single_file_default_output_cleans_stale_temps_beside_the_input(tmp_path):
    """Regression: only runs with -o cleaned; `unseen photo.jpg` left a killed run's temp file."""
    src = tmp_path / "photo.jpg"
    Image.fromarray(noise_image()).save(src)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".photo.unseen{TMP_MARK}{dead.pid}-deadbeef.jpg"
    stale.write_bytes(b"half a photo")
    r = cli(src, "-q", "--threads", "1")
    assert r.returncode == 0, r.stderr
    assert not stale.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.jpg", "photo.unseen.jpg"]


def test_live_process_temp_files_are_not_touched(tmp_path):
    src = tmp_path / "photo.jpg"
    Image.fromarray(noise_image()).save(src)
    live = tmp_path / f".other.unseen{TMP_MARK}{os.getpid()}-cafe0000.jpg"  # this process is alive
    live.write_bytes(b"being written")
    r = cli(src, "-q", "--threads", "1")
    assert r.returncode == 0, r.stderr
    assert live.exists()


# --- full disk, file size limit, read-only -------------------------------------------------
def _mount_tmpfs(folder: Path, size: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")


@pytest.fixture
def small_disk(tmp_path):
    d = tmp_path / "small"
    d.mkdir()
    _mount_tmpfs(d, "128k")
    yield d
    subprocess.run(["umount", "-l", str(d)], capture_output=True)


@pytest.fixture
def read_only(tmp_path):
    d = tmp_path / "ro"
    d.mkdir()
    _mount_tmpfs(d, "1m")
    r = subprocess.run(["mount", "-o", "remount,ro", str(d)], capture_output=True, text=True)
    if r.returncode != 0:
        subprocess.run(["umount", "-l", str(d)], capture_output=True)
        pytest.skip(f"cannot remount read-only: {r.stderr.strip()}")
    yield d
    subprocess.run(["umount", "-l", str(d)], capture_output=True)


@pytest.fixture(scope="module")
def big_inputs(tmp_path_factory):
    """A photo and a clip of noise whose outputs need more than 256 KB."""
    d = tmp_path_factory.mktemp("big")
    photo = d / "noise.png"
    Image.fromarray(noise_image(500, 500)).save(photo)

    def noisy(i, t, w, h):
        return np.random.default_rng(i).integers(0, 256, (h, w, 3), dtype=np.uint8)

    clip = make_clip(d / "noise.mp4", width=192, height=144, n=30, draw=noisy, keep_frames=False, bframes=0).path
    return {"png": photo, "mp4": clip, "mkv": clip}


@pytest.mark.parametrize("kind", ["png", "mp4", "mkv"])
def test_full_disk_is_a_clean_output_error(small_disk, big_inputs, kind):
    out = small_disk / f"out.{kind}"
    r = cli(big_inputs[kind], "-o", out, "-q", "--threads", "1")
    assert r.returncode == ExitStatus.OUTPUT, r.stderr
    line = one_error_line(r.stderr)
    assert "No space left on device" in line and str(out) in line and TMP_MARK not in line
    assert list(small_disk.iterdir()) == []


@pytest.mark.parametrize("kind", ["png", "mp4"])
def test_file_size_limit_is_a_clean_output_error(tmp_path, big_inputs, kind):
    """RLIMIT_FSIZE (no root needed): writes past 256 KB fail with EFBIG, like a full disk."""
    out_dir = tmp_path / "o"
    out_dir.mkdir()
    r = cli(big_inputs[kind], "-o", out_dir / f"out.{kind}", "-q", "--threads", "1", fsize_limit=256 << 10)
    assert r.returncode == ExitStatus.OUTPUT, r.stderr
    line = one_error_line(r.stderr)
    assert "too large" in line.lower() and TMP_MARK not in line
    assert list(out_dir.iterdir()) == []


@pytest.mark.parametrize("kind", ["png", "mp4"])
def test_read_only_output_folder_is_a_clean_output_error(read_only, big_inputs, kind):
    r = cli(big_inputs[kind], "-o", read_only / f"out.{kind}", "-q", "--threads", "1")
    assert r.returncode == ExitStatus.OUTPUT, r.stderr
    assert "not writable" in one_error_line(r.stderr)
    assert list(read_only.iterdir()) == []


def test_read_only_output_root_for_a_folder_is_a_clean_error(read_only, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(noise_image()).save(src / "a.png")
    r = cli(src, "-o", read_only / "tree", "-q", "--threads", "1")
    assert r.returncode == ExitStatus.OUTPUT, r.stderr
    assert "Read-only file system" in one_error_line(r.stderr)
    assert list(read_only.iterdir()) == []
