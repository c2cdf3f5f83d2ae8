"""--resume: a batch killed part way finishes only what is missing; a foreign output is an error."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image

from tests.media_factory import face_like
from unseen.cli import main
from unseen.errors import ExitStatus
from unseen.pipeline.manifest import MANIFEST_NAME

SRC = Path(__file__).resolve().parents[1] / "src"


def test_resume_after_a_kill_finishes_only_what_is_missing(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for i in range(6):
        Image.fromarray(face_like(360, 480, seed=i)).save(src / f"p{i}.jpg")
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=str(SRC))
    proc = subprocess.Popen([sys.executable, "-m", "unseen", str(src), "-o", str(out), "--threads", "1", "-q"], env=env)
    deadline = time.monotonic() + 60
    manifest = out / MANIFEST_NAME
    while time.monotonic() < deadline and proc.poll() is None:
        if manifest.is_file() and len(json.loads(manifest.read_text())["files"]) >= 2:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_before = {e["input"] for e in json.loads(manifest.read_text())["files"]}
    assert 2 <= len(done_before) < 6 or proc.returncode == 0
    code = main([str(src), "-o", str(out), "--threads", "1", "--resume", "--json"])
    assert code == 0
    data = json.loads(manifest.read_text())
    assert {Path(e["input"]).name for e in data["files"]} == {f"p{i}.jpg" for i in range(6)}
    assert all(e["status"] == "ok" for e in data["files"])
    assert main(["verify-manifest", str(out)]) == 0
    # a truncated output is not taken for a finished one
    victim = out / "p0.jpg"
    victim.write_bytes(victim.read_bytes()[:100])
    assert main([str(src), "-o", str(out), "--threads", "1", "--resume", "-q"]) == ExitStatus.OUTPUT
