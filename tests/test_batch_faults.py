"""Faults in a batch (issue 15): a full disk, a file size limit, a manifest that can no longer be
written, a worker out of memory. Each run is the command line in a fresh interpreter under a real
OS limit (a small tmpfs, RLIMIT_FSIZE, RLIMIT_AS), so the failures are the kernel's, not a mock.
The batch must report every affected file on its own line, go on with the others, exit non-zero,
and leave nothing partial under OUT: only finished outputs, each listed in the manifest.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from unseen.errors import ExitStatus
from unseen.pipeline.commit import is_temp_name
from unseen.pipeline.manifest import MANIFEST_NAME, verify_manifest

from .conftest import REPO, noise_image
from .media_factory import face_like
from .video_factory import make_clip

# The CLI in a fresh interpreter under the limits asked for. In this process the magenta test
# detector is pinned; worker processes (--workers 2) build the real one, as a user's run does.
RUN_CLI = r"""
import resource, signal, sys
sys.path.insert(0, sys.argv[1])
fsize, address = int(sys.argv[2]), int(sys.argv[3])
if fsize:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
if address:
    resource.setrlimit(resource.RLIMIT_AS, (address, address))
from tests.video_factory import MagentaDetector
from unseen.cli import main
from unseen.detect.cache import pinned
with pinned(MagentaDetector()):
    code = main(sys.argv[4:])
sys.exit(code)
"""


def cli(*argv: object, fsize: int = 0, address: int = 0) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-c", RUN_CLI, str(REPO), str(fsize), str(address), *map(str, argv)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


def error_lines(stderr: str) -> dict[str, str]:
    """Input file name -> its one error line (every stderr line must be one)."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert all(line.startswith("unseen: error: ") for line in lines), stderr
    out: dict[str, str] = {}
    for line in lines:
        path = line.removeprefix("unseen: error: ").split(": ", 1)[0]
        out[Path(path).name] = line
    return out


def manifest_of(out: Path) -> dict[str, dict]:
    data = json.loads((out / MANIFEST_NAME).read_text())
    return {Path(e["input"]).name: e for e in data["files"]}


def assert_nothing_partial(out: Path) -> None:
    """Under OUT: the manifest and the outputs it lists as done, each matching its hash; nothing else."""
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert not [f for f in files if is_temp_name(Path(f).name) or "unseen-manifest." in f and f != MANIFEST_NAME]
    done = {e["output_relative"] for e in manifest_of(out).values() if e["status"] == "ok"}
    assert files == done | {MANIFEST_NAME}, files ^ (done | {MANIFEST_NAME})
    assert verify_manifest(out) == []


@pytest.fixture(scope="module")
def mixed_inputs(tmp_path_factory) -> Path:
    """Two small photos, two photos of noise whose outputs need ~480 KB each, a clip of noise."""
    src = tmp_path_factory.mktemp("mixed")
    for i in range(2):
        Image.fromarray(face_like(60, 80, seed=i)).save(src / f"small{i}.png")
    for i in range(2):
        Image.fromarray(noise_image(400, 400, seed=i)).save(src / f"big{i}.png")

    def noisy(i, t, w, h):
        return np.random.default_rng(i).integers(0, 256, (h, w, 3), dtype=np.uint8)

    make_clip(src / "noise.mp4", width=192, height=144, n=90, draw=noisy, keep_frames=False, bframes=0)
    return src


def _mount_tmpfs(folder: Path, size: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (the RLIMIT_FSIZE tests cover the rest)")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")


@pytest.fixture
def small_disk(tmp_path):
    d = tmp_path / "small"
    d.mkdir()
    _mount_tmpfs(d, "160k")
    yield d
    subprocess.run(["umount", "-l", str(d)], capture_output=True)


def _check_batch(r: subprocess.CompletedProcess[str], out: Path, src: Path, reason: str, must_fail: set[str]) -> None:
    assert r.returncode == ExitStatus.OUTPUT, r.stderr
    errors = error_lines(r.stderr)
    entries = manifest_of(out)
    names = {p.name for p in src.iterdir()}
    assert set(entries) == names  # every input recorded, done or failed
    failed = {n for n, e in entries.items() if e["status"] == "failed"}
    assert must_fail <= failed and set(errors) == failed, (failed, errors)
    for name in failed:
        assert reason in errors[name] and reason in entries[name]["error"], errors[name]
    assert f"{len(names) - len(failed)} of {len(names)} file(s) anonymized" in r.stdout
    assert_nothing_partial(out)


@pytest.mark.parametrize("workers", [1, 2])
def test_full_disk_fails_each_file_that_does_not_fit_and_goes_on(small_disk, mixed_inputs, workers):
    out = small_disk / "out"
    r = cli(mixed_inputs, "-o", out, "-q", "--threads", "1", "--workers", workers)
    _check_batch(r, out, mixed_inputs, "No space left on device", {"big0.png", "big1.png", "noise.mp4"})
    if workers == 1:  # in input order nothing else competes for the space: the small ones fit
        assert {n for n, e in manifest_of(out).items() if e["status"] == "ok"} == {"small0.png", "small1.png"}


@pytest.mark.parametrize("workers", [1, 2])
def test_file_size_limit_fails_the_big_files_of_a_batch(tmp_path, mixed_inputs, workers):
    """RLIMIT_FSIZE (no root needed): a write past 256 KB fails with EFBIG in every process of the run."""
    out = tmp_path / "out"
    r = cli(mixed_inputs, "-o", out, "-q", "--threads", "1", "--workers", workers, fsize=256 << 10)
    _check_batch(r, out, mixed_inputs, "too large", {"big0.png", "big1.png", "noise.mp4"})
    assert {n for n, e in manifest_of(out).items() if e["status"] == "ok"} == {"small0.png", "small1.png"}


def test_a_manifest_that_can_no_longer_be_written_fails_the_files_it_cannot_record(tmp_path):
    """The manifest grows with every file; once it passes the file size limit it cannot be
    rewritten. A finished output it cannot list is removed and that file reported failed (so
    every output under OUT is in the manifest); the batch goes on and reports each file.
    Before: the batch stopped at the first such file with one line, leaving that output unlisted
    and the files after it unreported."""
    src = tmp_path / "in"
    src.mkdir()
    for i in range(6):
        Image.fromarray(face_like(24, 32, seed=i)).save(src / f"p{i}.png")
    out = tmp_path / "out"
    limit = 4096
    r = cli(src, "-o", out, "-q", "--threads", "1", fsize=limit)
    assert r.returncode == ExitStatus.OUTPUT, r.stderr
    errors = error_lines(r.stderr)
    entries = manifest_of(out)
    done = {n for n, e in entries.items() if e["status"] == "ok"}
    assert 1 <= len(done) < 6 and set(errors) == {f"p{i}.png" for i in range(6)} - done, (done, errors)
    for line in errors.values():
        assert "manifest" in line and "too large" in line.lower(), line
    assert (out / MANIFEST_NAME).stat().st_size <= limit
    assert f"{len(done)} of 6 file(s) anonymized" in r.stdout
    assert_nothing_partial(out)


def test_a_worker_out_of_memory_fails_that_file_and_the_batch_goes_on(tmp_path):
    """RLIMIT_AS on the run (its worker processes inherit it): a 63-megapixel photo cannot get
    its buffers, the small ones can. Before: OpenCV's allocation error came back as an "internal
    error ... please report it" spread over two lines."""
    src = tmp_path / "in"
    src.mkdir()
    for i in range(3):
        Image.fromarray(face_like(240, 320, seed=i)).save(src / f"p{i}.jpg")
    Image.new("RGB", (9000, 7000), (120, 90, 60)).save(src / "huge.jpg", quality=80)
    out = tmp_path / "out"
    r = cli(src, "-o", out, "-q", "--threads", "1", "--workers", "2", address=2000 << 20)
    assert r.returncode != 0, r.stderr
    errors = error_lines(r.stderr)
    assert set(errors) == {"huge.jpg"}, r.stderr
    assert "out of memory" in errors["huge.jpg"] and "please report" not in errors["huge.jpg"]
    entries = manifest_of(out)
    assert entries["huge.jpg"]["status"] == "failed" and "out of memory" in entries["huge.jpg"]["error"]
    assert {n for n, e in entries.items() if e["status"] == "ok"} == {"p0.jpg", "p1.jpg", "p2.jpg"}
    assert "3 of 4 file(s) anonymized" in r.stdout
    assert_nothing_partial(out)
