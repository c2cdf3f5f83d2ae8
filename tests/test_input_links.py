"""Symbolic links inside an input folder (issue 11): a link to a photo or video is followed and its
output written as a plain file under OUT; a link that dangles, loops, leads to a folder or into the
output folder fails naming the link (the batch exits non-zero), never a silent skip, never a write
through a link. A pipe in the tree is listed, not opened (the sniffer's open() would block)."""

from __future__ import annotations

import hashlib
import json
import os
import threading

import pytest
from PIL import Image

import unseen
from unseen.errors import ExitStatus
from unseen.pipeline.manifest import MANIFEST_NAME

from .conftest import noise_image
from .test_cli_photo import run
from .video_factory import MagentaDetector, make_clip


def _photo(path, seed=0):
    """A photo with a magenta square: the face MagentaDetector finds (so its output differs)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = noise_image(seed=seed)
    pixels[30:70, 40:80] = (255, 0, 255)
    Image.fromarray(pixels).save(path)
    return path


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def det():
    from unseen.detect.cache import pinned

    with pinned(MagentaDetector()) as d:
        yield d


def _by_name(rep):
    return {os.path.basename(f.input): f for f in rep.files}


def test_link_to_a_photo_outside_the_tree_is_processed_into_a_plain_file(tmp_path, det):
    # Was: listed as skipped ("symbolic link, not followed") and the batch exited 0: a photo left as it was.
    outside = _photo(tmp_path / "private" / "secret.png")
    before = _sha(outside)
    src = tmp_path / "in"
    _photo(src / "a.png", seed=1)
    (src / "sub").mkdir()
    (src / "sub" / "link.png").symlink_to(outside)
    out = tmp_path / "out"
    rep = unseen.anonymize_path(src, out, detector=det)
    assert rep.exit_status == 0 and rep.skipped == []
    link = _by_name(rep)["link.png"]
    assert link.ok and link.output == str(out / "sub" / "link.png") and link.faces == 1
    assert any("symbolic link, followed" in w and str(outside) in w for w in link.warnings)
    written = out / "sub" / "link.png"
    assert written.is_file() and not written.is_symlink() and _sha(written) != before
    assert _sha(outside) == before and (src / "sub" / "link.png").is_symlink()  # nothing written through it
    entry = {os.path.basename(e["input"]): e for e in json.loads((out / MANIFEST_NAME).read_text())["files"]}[
        "link.png"
    ]
    assert entry["status"] == "ok" and entry["input_sha256"] == before and entry["output_relative"] == "sub/link.png"


def test_link_to_a_photo_inside_the_tree_and_a_video_on_the_command_line(tmp_path, det):
    src = tmp_path / "in"
    _photo(src / "a.png")
    (src / "again.png").symlink_to("a.png")  # relative, inside the tree
    (tmp_path / "clips").mkdir()
    clip = make_clip(tmp_path / "clips" / "v.mp4", n=6, keep_frames=False, bframes=0).path
    (src / "v.mp4").symlink_to(clip)
    code, out, err = run(str(src), "-o", str(tmp_path / "out"), "--json", "-q")
    assert code == 0, err
    files = {os.path.basename(f["input"]): f for f in json.loads(out)["files"]}
    assert sorted(files) == ["a.png", "again.png", "v.mp4"] and all(f["status"] == "ok" for f in files.values())
    for name in files:
        assert (tmp_path / "out" / name).is_file() and not (tmp_path / "out" / name).is_symlink()


@pytest.mark.parametrize("case", ["dangling", "loop", "self"])
def test_a_broken_link_fails_naming_it_and_the_rest_goes_on(tmp_path, det, case):
    src = tmp_path / "in"
    _photo(src / "a.png")
    link = src / "b.png"
    if case == "dangling":
        link.symlink_to(tmp_path / "gone.png")
    elif case == "loop":
        link.symlink_to(src / "c.png")
        (src / "c.png").symlink_to(link)
    else:
        link.symlink_to(link)
    rep = unseen.anonymize_path(src, tmp_path / "out", detector=det)
    assert rep.exit_status == ExitStatus.INPUT
    by = _by_name(rep)
    assert by["a.png"].ok and not by["b.png"].ok and "b.png" in by["b.png"].error
    assert ("to nothing" if case == "dangling" else "loops") in by["b.png"].error
    assert not (tmp_path / "out" / "b.png").exists()


@pytest.mark.parametrize("case", ["outside", "loop"])
def test_a_link_to_a_folder_fails_and_is_not_walked(tmp_path, det, case):
    # Was: listed as skipped with exit 0, its photos left unprocessed.
    src = tmp_path / "in"
    _photo(src / "a.png")
    if case == "outside":
        _photo(tmp_path / "private" / "secret.png")
        (src / "link").symlink_to(tmp_path / "private", target_is_directory=True)
    else:
        (src / "link").symlink_to(src, target_is_directory=True)
    code, out, err = run(str(src), "-o", str(tmp_path / "out"), "--json", "-q")
    assert code == ExitStatus.INPUT
    failed = [f for f in json.loads(out)["files"] if f["status"] == "failed"]
    assert len(failed) == 1 and failed[0]["input"] == str(src / "link") and failed[0]["kind"] == "folder"
    assert "symbolic link to a folder" in failed[0]["error"] and "give that folder as an input" in failed[0]["error"]
    assert "link" in err
    assert not (tmp_path / "out" / "link").exists() and (tmp_path / "out" / "a.png").is_file()


def test_a_link_into_the_output_folder_is_refused_and_its_target_kept(tmp_path, det):
    src = tmp_path / "in"
    _photo(src / "a.png")
    out = tmp_path / "out"
    first = unseen.anonymize_path(src, out, detector=det)
    assert first.exit_status == 0
    done = _sha(out / "a.png")
    (src / "b.png").symlink_to(out / "a.png")
    (src / "c.png").symlink_to(out / "c.png")  # dangling now, would be the output itself
    again = unseen.anonymize_path(src, out, unseen.Settings(overwrite=True), detector=det)
    by = _by_name(again)
    assert again.exit_status != 0 and not by["b.png"].ok and "into the output folder" in by["b.png"].error
    assert not by["c.png"].ok
    assert _sha(out / "a.png") == done or by["a.png"].ok  # a.png itself was re-done by --overwrite
    assert not (out / "b.png").exists() and not (out / "c.png").exists()


def test_link_to_a_file_that_is_no_photo_is_listed_as_skipped(tmp_path, det):
    src = tmp_path / "in"
    _photo(src / "a.png")
    (tmp_path / "notes.txt").write_text("hello")
    (src / "notes.txt").symlink_to(tmp_path / "notes.txt")
    rep = unseen.anonymize_path(src, tmp_path / "out", detector=det)
    assert rep.exit_status == 0 and [os.path.basename(f.input) for f in rep.files] == ["a.png"]
    assert any("notes.txt" in s and "not a photo or video" in s for s in rep.skipped)


def test_a_pipe_in_the_tree_is_listed_not_opened(tmp_path, det):
    src = tmp_path / "in"
    _photo(src / "a.png")
    os.mkfifo(src / "pipe.jpg")
    (src / "to-pipe.jpg").symlink_to(src / "pipe.jpg")
    result = {}
    worker = threading.Thread(
        target=lambda: result.update(rep=unseen.anonymize_path(src, tmp_path / "out", detector=det))
    )
    worker.daemon = True  # the old code blocked forever in open() on the pipe
    worker.start()
    worker.join(60)
    if worker.is_alive():
        with open(src / "pipe.jpg", "wb"):  # release the blocked reader so the thread ends
            pass
        pytest.fail("the folder walk blocked opening a named pipe")
    rep = result["rep"]
    assert rep.exit_status == 0 and [os.path.basename(f.input) for f in rep.files] == ["a.png"]
    assert sum("pipe" in s for s in rep.skipped) == 2
