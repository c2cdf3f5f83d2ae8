"""A small file must not cost a laptop's memory: the default pixel limit, and what its error says."""

from __future__ import annotations

from unseen.errors import ExitStatus
from unseen.media.image_limits import photo_run_bytes
from unseen.settings import Settings

from . import media_factory as mf
from .test_cli_photo import run


def test_small_png_declaring_14000x14000_is_refused_by_default_naming_the_limit(tmp_path, fixed_detector):
    # 196 MP from a few hundred bytes: under the old 200 MP default it was decoded (346 s, 7.3 GB)
    src = mf.png_bomb(tmp_path / "big.png", 14000, 14000)
    assert src.stat().st_size < 300_000
    code, _out, err = run(str(src))
    assert code == ExitStatus.INPUT
    line = err.strip()
    assert len(line.splitlines()) == 1 and "big.png" in line
    assert "196,000,000 pixels" in line and "max_pixels" in line and "--max-pixels" in line
    assert "GB for this one" in line
    assert not (tmp_path / "big.unseen.png").exists()


def test_default_limit_is_what_an_8gb_laptop_survives():
    # the measured peak of a default run at the limit leaves an 8 GB laptop room for its system
    assert photo_run_bytes(Settings().max_pixels) <= 4.6e9
    assert Settings().max_pixels >= 11648 * 8736  # a 100 MP medium-format camera's photo still passes
