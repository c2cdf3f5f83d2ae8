"""Odd names, concurrency and kills never give a partial, unmasked or misplaced output."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from PIL import Image

from unseen.cli import main
from unseen.errors import ExitStatus, printable
from unseen.pipeline.commit import is_temp_name
from unseen.pipeline.manifest import MANIFEST_NAME

from .conftest import noise_image


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), stdout=out, stderr=err), out.getvalue(), err.getvalue()


@pytest.mark.parametrize("name", ["with space.jpg", "ünïcødé 照片.jpg", "new\nline.jpg", "-leading-dash.jpg"])
def test_odd_names(tmp_path, fixed_detector, name):
    src = tmp_path / name
    Image.fromarray(noise_image()).save(src, format="JPEG")
    code, out, err = run("--", str(src)) if name.startswith("-") else run(str(src))
    assert code == 0, err
    dst = src.with_name(src.stem + ".unseen.jpg")
    assert dst.exists()


def test_newline_in_a_name_keeps_the_error_on_one_line(tmp_path, fixed_detector):
    src = tmp_path / "bad\nname.jpg"
    src.write_bytes(b"not an image")
    code, _, err = run(str(src))
    assert code == ExitStatus.INPUT
    assert err.count("\n") == 1 and "bad\\nname.jpg" in err
    assert printable("a\nb") == "a\\nb" and printable("ü") == "ü"


def test_relative_dash_path_without_double_dash_is_a_usage_error(tmp_path, fixed_detector, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Image.fromarray(noise_image()).save(tmp_path / "-x.jpg", format="JPEG")
    code, _, _ = run("-x.jpg")
    assert code == ExitStatus.USAGE  # an unknown option, not a silently skipped file
    assert not (tmp_path / "-x.unseen.jpg").exists()


def _make_batch(folder, n, size=(240, 320)):
    folder.mkdir()
    for i in range(n):
        Image.fromarray(noise_image(*size, seed=i)).save(folder / f"img{i:03d}.png")


CLI = [sys.executable, "-m", "unseen"]


def _check_outputs_complete(out_dir):
    for p in out_dir.rglob("*"):
        if p.is_file() and not is_temp_name(p.name) and p.name != MANIFEST_NAME:
            with Image.open(p) as im:
                im.load()  # a partial file would fail to decode
                assert im.size == (320, 240)


@pytest.mark.slow
def test_two_processes_same_output_folder(tmp_path):
    src = tmp_path / "in"
    _make_batch(src, 12)
    out = tmp_path / "out"
    procs = [subprocess.Popen(CLI + [str(src), "-o", str(out), "--json", "-q", "--threads", "1"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [p.communicate(timeout=300) for p in procs]
    reports = [json.loads(o) for o, _ in results]
    written = [f["input"] for r in reports for f in r["files"] if f["status"] == "ok"]
    lost = [f["error"] for r in reports for f in r["files"] if f["status"] != "ok"]
    # every file was written exactly once; the other process reported "exists" instead of clobbering
    assert sorted(written) == sorted(str(p) for p in src.iterdir())
    assert all("exists" in e or "appeared" in e for e in lost)
    _check_outputs_complete(out)
    assert not [p for p in out.iterdir() if is_temp_name(p.name)]


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.8, 1.6, 2.4])
def test_sigkill_during_a_batch_leaves_no_partial_output(tmp_path, delay):
    src = tmp_path / "in"
    _make_batch(src, 40)
    out = tmp_path / "out"
    p = subprocess.Popen(CLI + [str(src), "-o", str(out), "-q", "--threads", "1"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(delay)
    os.killpg(p.pid, signal.SIGKILL)
    p.wait(timeout=30)
    if out.exists():
        _check_outputs_complete(out)
    # the next run finishes the job, cleans the dead run's temporary files, keeps finished outputs
    r = subprocess.run(CLI + [str(src), "-o", str(out), "--json", "-q", "--threads", "1"],
                       capture_output=True, text=True, timeout=300)
    rep = json.loads(r.stdout)
    assert all(f["status"] == "ok" or "exists" in f["error"] for f in rep["files"])
    assert not [q for q in out.rglob("*") if is_temp_name(q.name)]
    assert len([q for q in out.iterdir() if q.name != MANIFEST_NAME]) == 40
    _check_outputs_complete(out)
