"""Paths, part two: symbolic links in the output tree, outputs inside the input folder (videos
too), outputs that exist already, and names with leading dashes through the API."""

from __future__ import annotations

import hashlib
import os

import pytest
from PIL import Image

import unseen
from unseen.errors import OutputExists, OutputNotWritable
from unseen.pipeline.manifest import MANIFEST_NAME

from .conftest import noise_image
from .video_factory import MagentaDetector, make_clip


def _photo(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(noise_image()).save(path)
    return path


def _clip(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    return make_clip(path, n=8, keep_frames=False, bframes=0).path


def _digest(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def det():
    """A detector the API calls below get as ``detector=``; pinned for the command line too."""
    from unseen.detect.cache import pinned

    with pinned(MagentaDetector()) as d:
        yield d


# --- symbolic links in the output tree -----------------------------------------------------
@pytest.mark.parametrize("maker,name", [(_photo, "a.png"), (_clip, "v.mp4")])
def test_symlinked_folder_inside_the_output_tree_is_never_written_through(tmp_path, det, maker, name):
    src, out, elsewhere = tmp_path / "in", tmp_path / "out", tmp_path / "elsewhere"
    maker(src / "sub" / name)
    maker(src / name)
    elsewhere.mkdir()
    out.mkdir()
    (out / "sub").symlink_to(elsewhere, target_is_directory=True)
    rep = unseen.anonymize_path(src, out, detector=det)
    failed = {os.path.basename(f.input): f.error for f in rep.files if f.status != "ok"}
    assert list(failed) == [name] and "symbolic link" in failed[name]
    assert list(elsewhere.iterdir()) == []
    assert (out / name).is_file()


@pytest.mark.parametrize("maker,name", [(_photo, "a.png"), (_clip, "v.mp4")])
def test_symlinked_output_file_is_refused_even_with_overwrite(tmp_path, det, maker, name):
    src = maker(tmp_path / "in" / name)
    target = tmp_path / "victim.txt"
    target.write_text("keep me")
    out = tmp_path / "out"
    out.mkdir()
    (out / name).symlink_to(target)
    rep = unseen.anonymize_path(src.parent, out, unseen.Settings(overwrite=True), detector=det)
    assert [f.status for f in rep.files] == ["failed"] and "symbolic link" in rep.files[0].error
    assert target.read_text() == "keep me" and (out / name).is_symlink()


def test_dangling_symlink_as_output_is_refused(tmp_path, det):
    src = _photo(tmp_path / "a.png")
    link = tmp_path / "o.png"
    link.symlink_to(tmp_path / "nowhere" / "x.png")
    with pytest.raises(OutputNotWritable, match="symbolic link"):
        unseen.anonymize_image(src, link, detector=det)
    assert not (tmp_path / "nowhere").exists()


def test_output_that_is_a_symlink_to_the_input_never_replaces_it(tmp_path, det):
    src = _clip(tmp_path / "v.mp4")
    before = src.read_bytes()
    link = tmp_path / "o.mp4"
    link.symlink_to(src)
    with pytest.raises((OutputExists, OutputNotWritable)):
        unseen.anonymize_video(src, link, unseen.Settings(overwrite=True), detector=MagentaDetector())
    assert src.read_bytes() == before


def test_symlinked_input_folder_inside_the_input_fails_and_is_not_followed(tmp_path, det):
    # was listed as skipped with exit 0: the video behind it left unprocessed behind a success
    outside = tmp_path / "private"
    _clip(outside / "secret.mp4")
    src = tmp_path / "in"
    _photo(src / "a.png")
    (src / "link").symlink_to(outside, target_is_directory=True)
    rep = unseen.anonymize_path(src, tmp_path / "out", detector=det)
    by = {os.path.basename(f.input): f for f in rep.files}
    assert sorted(by) == ["a.png", "link"] and by["a.png"].ok and not by["link"].ok
    assert "symbolic link to a folder" in by["link"].error and "not followed" in by["link"].error
    assert rep.exit_status != 0 and rep.skipped == []
    assert not (tmp_path / "out" / "link").exists()


# --- output folder inside the input folder, existing outputs -------------------------------
def test_videos_in_an_output_folder_inside_the_input_are_not_processed_again(tmp_path, det):
    src = tmp_path / "in"
    _clip(src / "v.mp4")
    _photo(src / "deep" / "a.png")
    out = src / "anon"
    first = unseen.anonymize_path(src, out, detector=det)
    assert first.exit_status == 0 and sorted(os.path.basename(f.input) for f in first.files) == ["a.png", "v.mp4"]
    done = _digest(out)
    # again: the outputs now live below the input and must not become inputs; existing outputs stay
    second = unseen.anonymize_path(src, out, detector=det)
    assert sorted(os.path.basename(f.input) for f in second.files) == ["a.png", "v.mp4"]
    assert all(f.status == "failed" and "exists" in f.error for f in second.files)
    assert second.exit_status != 0
    assert _digest(out) == done
    assert not (out / "anon").exists()


def test_existing_outputs_are_replaced_only_with_overwrite_and_completely(tmp_path, det):
    src = tmp_path / "in"
    _clip(src / "v.mp4")
    out = tmp_path / "out"
    out.mkdir()
    (out / "v.mp4").write_bytes(b"an old, different file")
    rep = unseen.anonymize_path(src, out, detector=det)
    assert rep.files[0].status == "failed" and "exists" in rep.files[0].error
    assert (out / "v.mp4").read_bytes() == b"an old, different file"
    rep = unseen.anonymize_path(src, out, unseen.Settings(overwrite=True), detector=det)
    assert rep.exit_status == 0
    assert (out / "v.mp4").stat().st_size > 100 and [p.name for p in out.iterdir() if p.name != MANIFEST_NAME] == ["v.mp4"]


# --- leading dashes through the API --------------------------------------------------------
@pytest.mark.parametrize("name", ["-x.png", "--help.png", "-o.mp4", "--.mp4"])
def test_leading_dash_names_through_the_api(tmp_path, det, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    maker = _clip if name.endswith(".mp4") else _photo
    maker(tmp_path / name)
    rep = unseen.anonymize_path(name, detector=det)  # a bare relative name: no option parsing in the API
    assert rep.exit_status == 0, [f.error for f in rep.files]
    stem, suffix = os.path.splitext(name)
    assert (tmp_path / f"{stem}.unseen{suffix}").is_file()


def test_folder_of_dash_names_through_the_api(tmp_path, det):
    src = tmp_path / "-in"
    _photo(src / "-a.png")
    _clip(src / "--b.mp4")
    rep = unseen.anonymize_path(src, tmp_path / "--out", detector=det)
    assert rep.exit_status == 0, [f.error for f in rep.files]
    assert sorted(p.name for p in (tmp_path / "--out").iterdir() if p.name != MANIFEST_NAME) == ["--b.mp4", "-a.png"]


# --- odd names for videos (photos: test_hardening_paths.py) ---------------------------------
@pytest.mark.parametrize("name", ["with space.mp4", "ünïcødé 視頻.mkv", "new\nline.mov", "-dash.mp4"])
def test_odd_video_names_through_the_cli(tmp_path, det, name):
    import io

    from unseen.cli import main

    src = _clip(tmp_path / name)
    out, err = io.StringIO(), io.StringIO()
    code = main(["-q", "--", str(src)], stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    stem, suffix = os.path.splitext(name)
    assert (tmp_path / f"{stem}.unseen{suffix}").is_file()


def test_damaged_video_with_a_newline_in_its_name_fails_on_one_line(tmp_path, det):
    import io

    from unseen.cli import main

    src = tmp_path / "bad\nclip.mp4"
    src.write_bytes(_clip(tmp_path / "ok.mp4").read_bytes()[:3000])
    out, err = io.StringIO(), io.StringIO()
    code = main(["-q", str(src)], stdout=out, stderr=err)
    assert code == 3
    assert err.getvalue().count("\n") == 1 and "bad\\nclip.mp4" in err.getvalue()
    assert not any(".unseen" in p.name for p in tmp_path.iterdir())
