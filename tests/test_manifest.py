"""The audit manifest: written for a plain batch, `unseen verify-manifest` finds a tampered output."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from tests.media_factory import face_like
from unseen.cli import main
from unseen.errors import ExitStatus
from unseen.pipeline.manifest import MANIFEST_NAME


def test_manifest_of_a_plain_batch_and_verify_manifest(tmp_path: Path, capsys) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for i in range(2):
        Image.fromarray(face_like(120, 160, seed=i)).save(src / f"p{i}.jpg")
    (src / "bad.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a jpeg")
    out = tmp_path / "out"
    assert main([str(src), "-o", str(out), "--threads", "1", "-q"]) != 0
    data = json.loads((out / MANIFEST_NAME).read_text())
    assert data["unseen_version"] and data["settings"]["mode"] == "solid"
    by_name = {Path(e["input"]).name: e for e in data["files"]}
    assert by_name["bad.jpg"]["status"] == "failed" and by_name["bad.jpg"]["error"]
    ok = by_name["p0.jpg"]
    assert ok["status"] == "ok" and len(ok["input_sha256"]) == 64 and ok["input_size"] > 0
    assert ok["output_relative"] == "p0.jpg" and "faces" in ok and ok["detector"]
    assert main(["verify-manifest", str(out)]) == 0
    (out / "p1.jpg").write_bytes(b"foreign")
    assert main(["verify-manifest", str(out)]) == ExitStatus.VERIFY
    assert "p1.jpg" in capsys.readouterr().err
