"""The CLI end to end on photos, in-process, with a fixed detector (fast; no model needed)."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from unseen.cli import main
from unseen.errors import ExitStatus
from unseen.pipeline.manifest import MANIFEST_NAME

from .conftest import noise_image


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def write_jpeg(path, h=120, w=160, seed=0):
    Image.fromarray(noise_image(h, w, seed=seed)).save(path, quality=95)
    return path


def test_single_photo_default_name_and_cover(tmp_path, fixed_detector):
    src = write_jpeg(tmp_path / "photo.jpg")
    code, out, err = run(str(src))
    assert code == 0, err
    dst = tmp_path / "photo.unseen.jpg"
    assert dst.exists() and "1 faces covered" in out
    px = np.asarray(Image.open(dst))
    assert px.shape == (120, 160, 3)
    assert px[45, 40].max() < 10  # inside the fixed face box: solid black (JPEG noise allowed)
    assert src.read_bytes() == write_jpeg(tmp_path / "again.jpg").read_bytes()  # input untouched


def test_explicit_output_changes_format(tmp_path, fixed_detector):
    src = write_jpeg(tmp_path / "in.jpg")
    code, _, err = run(str(src), "-o", str(tmp_path / "out.png"))
    assert code == 0, err
    assert Image.open(tmp_path / "out.png").format == "PNG"


def test_existing_output_needs_overwrite(tmp_path, fixed_detector):
    src = write_jpeg(tmp_path / "in.jpg")
    dst = tmp_path / "out.jpg"
    dst.write_bytes(b"keep me")
    code, _, err = run(str(src), "-o", str(dst))
    assert code == ExitStatus.OUTPUT and "--overwrite" in err and dst.read_bytes() == b"keep me"
    code, _, err = run(str(src), "-o", str(dst), "--overwrite")
    assert code == 0 and dst.read_bytes() != b"keep me"


def test_never_overwrites_input_even_with_overwrite(tmp_path, fixed_detector):
    src = write_jpeg(tmp_path / "in.jpg")
    before = src.read_bytes()
    code, _, err = run(str(src), "-o", str(src), "--overwrite")
    assert code == ExitStatus.OUTPUT and "input" in err and src.read_bytes() == before


@pytest.mark.parametrize(
    "name,content,status",
    [
        ("missing.jpg", None, ExitStatus.INPUT),
        ("empty.jpg", b"", ExitStatus.INPUT),
        ("text.jpg", b"hello, not an image\n" * 10, ExitStatus.INPUT),
    ],
)
def test_bad_inputs_fail_closed_with_a_line_naming_the_file(tmp_path, fixed_detector, name, content, status):
    src = tmp_path / name
    if content is not None:
        src.write_bytes(content)
    code, out, err = run(str(src))
    assert code == status
    assert name in err and "error" in err
    assert not (tmp_path / name.replace(".jpg", ".unseen.jpg")).exists()
    assert [p.name for p in tmp_path.iterdir()] == ([name] if content is not None else [])


def test_truncated_jpeg_fails_closed(tmp_path, fixed_detector):
    good = write_jpeg(tmp_path / "good.jpg", 240, 320)
    bad = tmp_path / "cut.jpg"
    bad.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    code, _, err = run(str(bad))
    assert code == ExitStatus.INPUT and "cut.jpg" in err
    assert not (tmp_path / "cut.unseen.jpg").exists()


def test_pixel_limit(tmp_path, fixed_detector):
    src = write_jpeg(tmp_path / "big.jpg", 200, 200)
    code, _, err = run(str(src), "--max-pixels", "10000")
    assert code == ExitStatus.INPUT and "big.jpg" in err
    assert not (tmp_path / "big.unseen.jpg").exists()


def test_unwritable_output_folder(tmp_path, fixed_detector):
    src = write_jpeg(tmp_path / "in.jpg")
    (tmp_path / "a_file").write_text("x")  # a missing folder is created (test_folder_media); a file in the way is not
    code, _, err = run(str(src), "-o", str(tmp_path / "a_file" / "such" / "out.jpg"))
    assert code == ExitStatus.OUTPUT and "a_file" in err


def test_unknown_output_suffix(tmp_path, fixed_detector):
    src = write_jpeg(tmp_path / "in.jpg")
    code, _, err = run(str(src), "-o", str(tmp_path / "out.xyz"))
    assert code == ExitStatus.INPUT and "out.xyz" in err
    assert not (tmp_path / "out.xyz").exists()


def test_folder_mirrored_skips_listed_failures_counted(tmp_path, fixed_detector):
    src = tmp_path / "in"
    (src / "a" / "b").mkdir(parents=True)
    write_jpeg(src / "one.jpg")
    Image.fromarray(noise_image(50, 60)).save(src / "a" / "two.png")
    Image.fromarray(noise_image(50, 60)).save(src / "a" / "b" / "three.webp")
    (src / "notes.txt").write_text("hi")
    (src / "a" / "broken.jpg").write_bytes(b"\xff\xd8\xff")
    out_dir = tmp_path / "out"
    code, out, err = run(str(src), "-o", str(out_dir), "--json")
    report = json.loads(out)
    assert code == ExitStatus.INPUT  # the broken file fails the batch
    ok = sorted(p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*") if p.is_file() and p.name != MANIFEST_NAME)
    assert ok == ["a/b/three.webp", "a/two.png", "one.jpg"]
    assert report["failed"] == 1 and any("broken.jpg" in f["error"] for f in report["files"] if f["error"])
    assert any("notes.txt" in s for s in report["skipped"])
    assert "broken.jpg" in err


def test_folder_default_output_beside_and_no_reprocessing(tmp_path, fixed_detector):
    src = tmp_path / "pics"
    src.mkdir()
    write_jpeg(src / "x.jpg")
    code, out, err = run(str(src))
    assert code == 0, err
    assert (tmp_path / "pics.unseen" / "x.jpg").exists()
    # output folder placed inside the input folder is not walked again
    code, out, err = run(str(src), "-o", str(src / "anon"), "--json")
    assert code == 0, err
    files = [f["input"] for f in json.loads(out)["files"]]
    assert files == [str(src / "x.jpg")]


def test_a_symlinked_photo_is_followed_and_written_as_a_plain_file(tmp_path, fixed_detector):
    # was skipped with exit 0 (a photo left unprocessed behind a success); tests/test_input_links.py has the rest
    src = tmp_path / "in"
    src.mkdir()
    outside = write_jpeg(tmp_path / "outside.jpg")
    (src / "link.jpg").symlink_to(outside)
    code, out, err = run(str(src), "-o", str(tmp_path / "out"), "--json")
    assert code == 0
    rep = json.loads(out)
    assert [f["status"] for f in rep["files"]] == ["ok"] and rep["skipped"] == []
    assert (tmp_path / "out" / "link.jpg").is_file() and not (tmp_path / "out" / "link.jpg").is_symlink()


def test_json_report_shape(tmp_path, fixed_detector):
    src = write_jpeg(tmp_path / "p.jpg")
    code, out, _ = run(str(src), "--json", "--mode", "mosaic")
    rep = json.loads(out)["files"][0]
    assert code == 0 and rep["status"] == "ok" and rep["faces"] == 1 and rep["output"].endswith("p.unseen.jpg")
    assert isinstance(rep["metadata_removed"], list)


def test_bad_option_is_usage_error():
    code, _, err = run("x.jpg", "--mode", "pixelate")
    assert code == ExitStatus.USAGE and "pixelate" in err
    code, _, err = run("x.jpg", "--fast", "--preset", "thorough")
    assert code == ExitStatus.USAGE


def test_help_says_weaker_modes_are_weaker():
    out = io.StringIO()
    with pytest.raises(SystemExit):
        import contextlib

        with contextlib.redirect_stdout(out):
            main(["--help"])
    assert "NOT" in out.getvalue() and "anonymization" in out.getvalue()


def test_python_dash_m_works(tmp_path):
    r = subprocess.run([sys.executable, "-m", "unseen", "--version"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.startswith("unseen ")


def test_check_options_are_validated():
    code, _, err = run("check", "x.jpg", "--step", "0")
    assert code == ExitStatus.USAGE and "--step" in err
