"""Damaged JPEGs that Pillow decodes without a word: refused, or read with --allow-damaged and reported."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from PIL import Image

from unseen.errors import CorruptInput, ExitStatus, PipelineError
from unseen.media import image_io
from unseen.media.image_io import read_image
from unseen.media.jpeg_check import entropy_check_works, jpeg_damage, structural_damage

from .conftest import EXAMPLE_PHOTO, shared_data
from .test_cli_photo import run


def _picture(h: int = 256, w: int = 256) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack([xx % 256, yy % 256, (xx + yy) // 2 % 256], axis=-1)
    return (base + np.random.default_rng(1).integers(0, 40, base.shape)).clip(0, 255).astype(np.uint8)


def _jpeg(**options) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(_picture()).save(buf, "JPEG", quality=90, **options)
    return buf.getvalue()


def junk_in_image_data() -> bytes:
    data = bytearray(_jpeg())
    start = data.index(b"\xff\xda") + 500
    data[start : start + 1000] = b"\x55" * 1000  # no marker in it: the decoder just goes on
    return bytes(data)


def random_junk(seed: int) -> bytes:
    data = bytearray(_jpeg())
    start = data.index(b"\xff\xda") + 1000
    data[start : start + 100] = np.random.default_rng(seed).integers(0, 255, 100, dtype=np.uint8).tobytes()
    return bytes(data)


def progressive_cut_short() -> bytes:
    data = _jpeg(progressive=True)
    scans = [m.start() for m in re.finditer(b"\xff\xda", data)]
    return data[: scans[3]] + b"\xff\xd9"  # three scans of ten, then a proper end marker


def restart_interval_lost() -> bytes:
    data = _jpeg(restart_marker_blocks=4)
    return data[: data.index(b"\xff\xd3")] + data[data.index(b"\xff\xd5") :]  # RST3..RST4 cut out


DAMAGED = {"junk": junk_in_image_data, "progressive_cut": progressive_cut_short, "restart_lost": restart_interval_lost}


@pytest.mark.parametrize("name", sorted(DAMAGED))
def test_pillow_decodes_these_without_error(name):
    # what makes them dangerous: no exception, a garbled or blurred picture
    im = Image.open(io.BytesIO(DAMAGED[name]()))
    im.load()
    assert np.abs(np.asarray(im).astype(int) - _picture()).mean() > 3


@pytest.mark.parametrize("name", sorted(DAMAGED))
def test_damaged_jpeg_is_refused_by_the_cli(tmp_path, fixed_detector, name):
    src = tmp_path / "photo.jpg"
    src.write_bytes(DAMAGED[name]())
    code, out, err = run(str(src))
    assert code == ExitStatus.INPUT, (out, err)
    assert "damaged JPEG" in err and "--allow-damaged" in err and "photo.jpg" in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "photo.unseen.jpg").exists()


@pytest.mark.parametrize("name", sorted(DAMAGED))
def test_allow_damaged_reads_it_and_says_so(tmp_path, fixed_detector, name):
    src = tmp_path / "photo.jpg"
    src.write_bytes(DAMAGED[name]())
    code, out, err = run(str(src), "--allow-damaged")
    assert code == 0, err
    assert (tmp_path / "photo.unseen.jpg").exists()
    assert "warning: damaged JPEG read as it decodes" in out


def test_most_random_junk_that_pillow_decodes_is_found():
    decoded = found = 0
    for seed in range(20):
        data = random_junk(seed)
        try:
            Image.open(io.BytesIO(data)).load()
        except OSError:
            continue  # Pillow refuses this one itself
        decoded += 1
        found += jpeg_damage(data) is not None
    assert decoded >= 10 and found >= decoded - 2, (found, decoded)  # junk that decodes as valid codes can pass


def test_library_raises_corrupt_input_naming_the_file(tmp_path):
    src = tmp_path / "p.jpg"
    src.write_bytes(junk_in_image_data())
    with pytest.raises(CorruptInput, match=r"p\.jpg: damaged JPEG: damaged image data \(libjpeg: Corrupt JPEG data"):
        read_image(src, max_pixels=10**8)
    loaded = read_image(src, max_pixels=10**8, allow_damaged=True)
    assert any("damaged JPEG" in n for n in loaded.notes)


@pytest.mark.parametrize(
    "options",
    [{}, {"progressive": True}, {"restart_marker_blocks": 3}, {"restart_marker_rows": 1, "progressive": True},
     {"subsampling": 0}, {"subsampling": 1}, {"optimize": True}],
    ids=str,
)
def test_whole_jpegs_are_not_refused(options):
    assert jpeg_damage(_jpeg(**options)) is None


def test_whole_greyscale_and_cmyk_and_odd_sizes_are_not_refused():
    for mode, size in (("L", (37, 29)), ("CMYK", (64, 48)), ("RGB", (1, 1)), ("RGB", (17, 9))):
        buf = io.BytesIO()
        Image.new(mode, size, 90).save(buf, "JPEG", quality=80, progressive=size == (17, 9))
        assert jpeg_damage(buf.getvalue()) is None, (mode, size)
    assert jpeg_damage(EXAMPLE_PHOTO.read_bytes()) is None


def test_structure_finds_a_missing_end_marker_and_missing_scans():
    data = _jpeg()
    assert "end-of-image" in structural_damage(data[:-2])
    assert "progressive scans missing" in structural_damage(progressive_cut_short())


def test_no_real_photo_is_refused():
    photos = [p for folder in ("widerface_dev", "identities_dev") for p in sorted(shared_data(folder).rglob("*"))
              if p.is_file() and p.read_bytes()[:3] == b"\xff\xd8\xff"]
    assert len(photos) > 100
    refused = {p.name: jpeg_damage(p.read_bytes()) for p in photos}
    assert {k: v for k, v in refused.items() if v} == {}


def test_opencv_reports_libjpeg_warnings_in_this_install():
    # the entropy check depends on it; an OpenCV that silenced them would make JPEGs refused (below)
    assert entropy_check_works()


def test_without_decoder_warnings_jpegs_are_refused_unless_allowed(tmp_path, monkeypatch):
    monkeypatch.setattr(image_io, "entropy_check_works", lambda: False)  # an install whose OpenCV is silent
    src = tmp_path / "p.jpg"
    src.write_bytes(_jpeg())
    with pytest.raises(PipelineError, match="cannot check the JPEG's image data.*--allow-damaged"):
        read_image(src, max_pixels=10**8)
    loaded = read_image(src, max_pixels=10**8, allow_damaged=True)
    assert any("not checked for damage" in n for n in loaded.notes)
    src.write_bytes(progressive_cut_short())  # the marker walk still runs
    assert any("progressive scans missing" in n for n in read_image(src, max_pixels=10**8, allow_damaged=True).notes)
