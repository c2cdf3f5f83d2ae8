"""Folder mode by content, GIF input, -q, output folders as input, -o into a folder not there yet."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image

from unseen.errors import ExitStatus
from unseen.media.kinds import media_kind

from .conftest import noise_image
from .test_cli_photo import run


def write_jpeg(path, h=120, w=160, seed=0):
    Image.fromarray(noise_image(h, w, seed=seed)).save(path, "JPEG", quality=95)  # whatever the suffix
    return path


def write_gif(path, frames: int = 1, *, comment: bytes | None = None):
    ims = [Image.fromarray(noise_image(120, 160, seed=i)).quantize(64) for i in range(frames)]
    extra = {"save_all": True, "append_images": ims[1:], "duration": 100} if frames > 1 else {}
    if comment is not None:
        extra["comment"] = comment
    ims[0].save(path, "GIF", **extra)
    return path


def _covered(path) -> bool:
    px = np.asarray(Image.open(path).convert("RGB"))
    return px.shape == (120, 160, 3) and int(px[45, 40].max()) < 10  # inside the fixed box


def test_content_decides_the_kind(tmp_path):
    write_jpeg(tmp_path / "IMG_0001")
    write_jpeg(tmp_path / "saved.jfif")
    write_gif(tmp_path / "a.gif")
    write_jpeg(tmp_path / "lies.txt")
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "x.avif").write_bytes(b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + bytes(64))
    kinds = {p.name: media_kind(p) for p in tmp_path.iterdir()}
    assert kinds == {"IMG_0001": "image", "saved.jfif": "image", "a.gif": "image", "lies.txt": "image",
                     "notes.txt": None, "x.avif": "image"}


def test_folder_reads_jfif_suffixless_jpeg_and_gif(tmp_path, fixed_detector):
    src = tmp_path / "in"
    src.mkdir()
    write_jpeg(src / "saved.jfif")
    write_jpeg(src / "IMG_0001")
    write_gif(src / "still.gif")
    (src / "notes.txt").write_text("hello")
    code, out, err = run(str(src), "-o", str(tmp_path / "out"), "--json")
    assert code == 0, err
    rep = json.loads(out)
    written = sorted(p.name for p in (tmp_path / "out").iterdir() if p.name != "unseen-manifest.json")
    assert written == ["IMG_0001.jpg", "saved.jfif", "still.png"]
    for name in written:
        assert _covered(tmp_path / "out" / name), name
    assert Image.open(tmp_path / "out" / "saved.jfif").format == "JPEG"
    assert Image.open(tmp_path / "out" / "still.png").format == "PNG"
    assert [s for s in rep["skipped"] if "notes.txt" in s] and len(rep["skipped"]) == 1


def test_media_that_cannot_be_processed_fail_the_batch_loudly(tmp_path, fixed_detector):
    src = tmp_path / "in"
    src.mkdir()
    write_jpeg(src / "ok.jpg")
    write_gif(src / "moving.gif", frames=3)
    (src / "x.avif").write_bytes(b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + bytes(64))
    code, out, err = run(str(src), "-o", str(tmp_path / "out"))
    assert code == ExitStatus.INPUT, (out, err)
    assert "moving.gif" in err and "3 frames" in err and "x.avif" in err
    assert "1 of 3 file(s) anonymized" in out and "2 FAILED: NOT anonymized" in out
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if p.name != "unseen-manifest.json") == ["ok.jpg"]


def test_single_gif_and_suffixless_jpeg_get_a_suffix_unseen_writes(tmp_path, fixed_detector):
    gif = write_gif(tmp_path / "anim.gif", comment=b"taken at home")
    code, out, err = run(str(gif))
    assert code == 0, err
    assert _covered(tmp_path / "anim.unseen.png") and "GIF comment" in out
    jpg = write_jpeg(tmp_path / "DSC.0001")
    code, out, err = run(str(jpg))
    assert code == 0, err
    assert _covered(tmp_path / "DSC.0001.unseen.jpg")


def test_quiet_prints_the_summary(tmp_path, fixed_detector):
    src = write_jpeg(tmp_path / "p.jpg")
    code, out, err = run(str(src), "-q")
    assert code == 0, err
    assert out.strip() == "1 of 1 file(s) anonymized (1 covered)"
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff")
    code, out, err = run(str(bad), "-q")
    assert code == ExitStatus.INPUT and "bad.jpg" in err
    assert "0 of 1 file(s) anonymized" in out and "1 FAILED" in out


def test_an_output_folder_is_not_processed_again(tmp_path, fixed_detector):
    src = tmp_path / "pics"
    src.mkdir()
    write_jpeg(src / "x.jpg")
    assert run(str(src))[0] == 0
    code, out, err = run(str(tmp_path / "pics.unseen"))
    assert code == ExitStatus.INPUT
    assert "pics.unseen" in err and "unseen output folder" in err and "unseen check" in err
    assert not (tmp_path / "pics.unseen.unseen").exists()
    # nor one left inside an input folder
    (src / "old.unseen").mkdir()
    write_jpeg(src / "old.unseen" / "y.jpg")
    code, out, err = run(str(src), "--overwrite", "--json")
    assert code == 0, err
    rep = json.loads(out)
    assert [f["input"] for f in rep["files"]] == [str(src / "x.jpg")]
    assert any("old.unseen" in s and "not processed again" in s for s in rep["skipped"])


def test_output_into_a_folder_not_there_yet(tmp_path, fixed_detector):
    src = write_jpeg(tmp_path / "p.jpg")
    dst = tmp_path / "new" / "deeper" / "out.jpg"
    code, _out, err = run(str(src), "-o", str(dst))
    assert code == 0, err
    assert _covered(dst)


def test_folders_created_for_an_output_are_removed_when_it_fails(tmp_path, fixed_detector):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0" + bytes(20))
    code, _, _ = run(str(bad), "-o", str(tmp_path / "new" / "out.jpg"))
    assert code == ExitStatus.INPUT
    assert not (tmp_path / "new").exists()
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _out, err = run(str(write_jpeg(tmp_path / "p.jpg")), "-o", str(blocker / "sub" / "out.jpg"))
    assert code == ExitStatus.OUTPUT and "not a folder" in err


def test_several_inputs_into_one_folder_name_a_gif_as_png(tmp_path, fixed_detector):
    gif, jpg = write_gif(tmp_path / "a.gif"), write_jpeg(tmp_path / "b.jpg")
    code, _out, err = run(str(gif), str(jpg), "-o", str(tmp_path / "out"))
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png", "b.jpg"]


def test_camera_raw_files_fail_rather_than_being_skipped_or_read_as_their_preview(tmp_path, fixed_detector):
    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(noise_image(40, 60)).save(src / "DSC_0001.NEF", "TIFF")  # a TIFF inside, like most raws
    code, _out, err = run(str(src), "-o", str(tmp_path / "out"))
    assert code == ExitStatus.INPUT and "DSC_0001.NEF" in err and "camera raw" in err
    assert not any(p.name != "unseen-manifest.json" for p in (tmp_path / "out").rglob("*.*"))


def test_gif_metadata_is_named_and_not_written(tmp_path, fixed_detector):
    gif = bytearray(write_gif(tmp_path / "m.gif", comment=b"GPS 48.8N 2.3E").read_bytes())
    xmp = b"!\xff\x0bXMP DataXMP" + bytes([5]) + b"<x:x>" + b"\x00"
    gif[-1:-1] = xmp  # before the trailer
    (tmp_path / "m.gif").write_bytes(bytes(gif) + b"trailing")
    code, out, err = run(str(tmp_path / "m.gif"), "--json")
    assert code == 0, err
    removed = json.loads(out)["files"][0]["metadata_removed"]
    assert "GIF comment" in removed and "XMP" in removed
    assert any("after the end of the GIF" in r for r in removed)
    data = (tmp_path / "m.unseen.png").read_bytes()
    assert b"GPS" not in data and b"XMP" not in data and b"trailing" not in data
