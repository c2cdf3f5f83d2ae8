"""The audit manifest: written for a plain batch, `unseen verify-manifest` finds a tampered output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
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


# --- a manifest already in OUT that cannot be read stops the batch before any file (issue 15) ---
_GOOD_HEAD = '{"format": 1, "unseen_version": "0", "settings": {}, "files": ['
_ENTRY = '{"input": "x.jpg", "kind": "image", "status": "ok", "faces": 1}'
BAD_MANIFESTS = {
    "corrupt": (b"{not json at all", "not valid JSON at line 1 column 2"),
    "truncated": ((_GOOD_HEAD + _ENTRY + ', {"inp').encode(), "ends before the JSON does: truncated?"),
    "not_utf8": (b'{"format": 1, "files": ["\xff\xfe"]}', "not UTF-8"),
    "wrong_version": (b'{"format": 2, "files": []}', "format 2, this unseen reads format 1"),
    "no_version": (b'{"files": []}', "format missing"),
    "top_level_list": (b"[]", "the top level is a JSON list"),
    "files_not_a_list": (b'{"format": 1, "files": {}}', "'files' is not a list"),
    "entry_without_input": ((_GOOD_HEAD + '{"kind": "image", "status": "ok"}]}').encode(), "files[0].input"),
    "entry_bad_status": ((_GOOD_HEAD + _ENTRY.replace('"ok"', '"done"') + "]}").encode(), "files[0].status"),
}


def _folder_with_photos(tmp_path: Path, n: int = 2) -> Path:
    src = tmp_path / "in"
    src.mkdir()
    for i in range(n):
        Image.fromarray(face_like(120, 160, seed=i)).save(src / f"p{i}.jpg")
    return src


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize("case", sorted(BAD_MANIFESTS))
@pytest.mark.parametrize("resume", [False, True])
def test_unreadable_manifest_stops_the_batch_before_any_file(
    tmp_path: Path, capsys, fixed_detector, case, resume
) -> None:
    # Was: read as "no manifest", the batch ran and replaced it, the earlier runs' record lost.
    src = _folder_with_photos(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    data, says = BAD_MANIFESTS[case]
    (out / MANIFEST_NAME).write_bytes(data)
    code = main([str(src), "-o", str(out), "-q", *(["--resume"] if resume else [])])
    line = _one_line(capsys.readouterr().err)
    assert code == ExitStatus.INPUT
    assert MANIFEST_NAME in line and says in line and "move it away" in line
    assert (out / MANIFEST_NAME).read_bytes() == data  # the record is kept as it was
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST_NAME]  # nothing processed


def test_a_folder_at_the_manifest_path_stops_the_batch_before_any_file(tmp_path: Path, capsys, fixed_detector) -> None:
    # Was: not a file, so "no manifest": the first photo was processed, then writing the manifest failed.
    src = _folder_with_photos(tmp_path)
    out = tmp_path / "out"
    (out / MANIFEST_NAME).mkdir(parents=True)
    code = main([str(src), "-o", str(out), "-q"])
    line = _one_line(capsys.readouterr().err)
    assert code == ExitStatus.INPUT and MANIFEST_NAME in line and "is a folder" in line
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST_NAME]


def test_a_symlink_at_the_manifest_path_is_not_read_through(tmp_path: Path, capsys, fixed_detector) -> None:
    src = _folder_with_photos(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text('{"format": 1, "files": []}')
    (out / MANIFEST_NAME).symlink_to(elsewhere)
    assert main([str(src), "-o", str(out), "-q"]) == ExitStatus.INPUT
    assert "symbolic link" in _one_line(capsys.readouterr().err)
    assert (out / MANIFEST_NAME).is_symlink() and elsewhere.read_text() == '{"format": 1, "files": []}'


def test_a_good_manifest_is_extended_not_refused(tmp_path: Path, fixed_detector) -> None:
    src = _folder_with_photos(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / MANIFEST_NAME).write_text(_GOOD_HEAD + _ENTRY + "]}")
    assert main([str(src), "-o", str(out), "-q"]) == 0
    inputs = [e["input"] for e in json.loads((out / MANIFEST_NAME).read_text())["files"]]
    assert inputs == ["x.jpg", str(src / "p0.jpg"), str(src / "p1.jpg")]


@pytest.mark.parametrize("case", ["corrupt", "truncated", "wrong_version"])
def test_verify_manifest_on_an_unreadable_manifest_is_one_line(tmp_path: Path, capsys, case) -> None:
    data, says = BAD_MANIFESTS[case]
    (tmp_path / MANIFEST_NAME).write_bytes(data)
    assert main(["verify-manifest", str(tmp_path)]) == ExitStatus.INPUT
    assert says in _one_line(capsys.readouterr().err)


def test_a_manifest_temporary_file_a_killed_batch_left_is_cleaned_by_the_next_run(tmp_path: Path, fixed_detector) -> None:
    # Was: the manifest's temporary file had a mkstemp name (".unseen-manifest.XXXX.tmp") that the
    # stale-temp cleaner does not know, so a batch SIGKILLed while writing it left it in OUT for good
    # (seen in test_hardening_paths' kill test). Now it is named like the commit's temporary files.
    import subprocess
    import sys

    from unseen.pipeline.commit import TMP_MARK, is_temp_name, temp_path_for

    out = tmp_path / "out"
    out.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    ours = temp_path_for(out / MANIFEST_NAME)  # this process's name, then the dead one's pid in it
    head, rest = ours.name.split(TMP_MARK, 1)
    left = out / f"{head}{TMP_MARK}{int(dead.stdout)}-{rest.split('-', 1)[1]}"
    left.write_text('{"format": 1, "fi')  # cut short by the kill
    assert is_temp_name(left.name)
    src = _folder_with_photos(tmp_path)
    assert main([str(src), "-o", str(out), "-q"]) == 0
    assert not left.exists()
    assert not [p for p in out.iterdir() if is_temp_name(p.name)]
    assert json.loads((out / MANIFEST_NAME).read_text())["files"]


def test_the_manifest_is_written_through_a_temporary_file_the_stale_cleaner_knows(tmp_path: Path, monkeypatch) -> None:
    # The writer's own temporary name (observed as it is renamed into place) must be one the
    # cleaner recognises and attributes to this process; a mkstemp name failed both.
    import os

    from unseen.pipeline import commit
    from unseen.pipeline.manifest import Manifest
    from unseen.settings import Settings

    seen: list[str] = []
    real_replace = os.replace

    def watching(a, b, *args, **kwargs):
        seen.append(os.fspath(a))
        return real_replace(a, b, *args, **kwargs)

    monkeypatch.setattr(os, "replace", watching)
    Manifest(tmp_path, Settings()).write()
    assert seen and all(commit.is_temp_name(Path(s).name) for s in seen)
    assert all(commit._temp_owner(Path(s).name)[0] == os.getpid() for s in seen)
