"""One line on stderr, whatever the libraries underneath print: regressions found by the fuzzer.

These run the CLI in a fresh process, because C libraries (libtiff) write to file descriptor 2
directly, past Python's ``sys.stderr``.
"""

from __future__ import annotations

import struct
import subprocess
import sys

import numpy as np
from PIL import Image

from unseen.errors import CorruptInput, ExitStatus
from unseen.media.image_io import read_image

from .conftest import REPO, noise_image

RUN_CLI = r"""
import sys
sys.path.insert(0, sys.argv[1])
from tests.video_factory import MagentaDetector
from unseen.cli import main
from unseen.detect.cache import pinned
with pinned(MagentaDetector()):
    code = main(sys.argv[2:])
sys.exit(code)
"""


def cli(*argv):
    return subprocess.run([sys.executable, "-c", RUN_CLI, str(REPO), *map(str, argv)], capture_output=True, text=True, timeout=120)


def _lzw_tiff(path):
    Image.fromarray(noise_image(64, 64)).save(path, compression="tiff_lzw")
    return path


def test_damaged_tiff_strip_gives_one_line_with_libtiffs_reason(tmp_path):
    """libtiff printed 'Using code not yet in table.' on stderr beside 'decoder error -2'."""
    src = _lzw_tiff(tmp_path / "bad.tif")
    with Image.open(src) as im:
        off, count = im.tag_v2[273][0], im.tag_v2[279][0]
    data = bytearray(src.read_bytes())
    data[off + count // 2 : off + count // 2 + 64] = b"\xff" * 64
    src.write_bytes(bytes(data))
    r = cli(src, "-o", tmp_path / "out.tif", "-q")
    assert r.returncode == ExitStatus.INPUT
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("unseen: error: ") and "decoder error" in lines[0] and "table" in lines[0]
    assert not (tmp_path / "out.tif").exists()


def test_pillow_log_records_do_not_reach_stderr(tmp_path):
    """Pillow logged 'More samples per pixel than can be decoded' through Python's last resort."""
    src = _lzw_tiff(tmp_path / "spp.tif")
    data = bytearray(src.read_bytes())
    ifd = struct.unpack("<I", data[4:8])[0]
    for k in range(struct.unpack("<H", data[ifd : ifd + 2])[0]):
        e = ifd + 2 + 12 * k
        if struct.unpack("<H", data[e : e + 2])[0] == 277:  # SamplesPerPixel
            data[e + 8 : e + 10] = struct.pack("<H", 515)
    src.write_bytes(bytes(data))
    r = cli(src, "-o", tmp_path / "out.tif", "-q")
    assert r.returncode == ExitStatus.INPUT
    assert len(r.stderr.splitlines()) == 1 and "samples per pixel" in r.stderr, r.stderr


def test_garbage_length_is_corruption_not_a_metadata_bomb(tmp_path):
    """A WebP chunk length past the end of the file was summed as '914 MB of metadata'."""
    src = tmp_path / "g.webp"
    Image.fromarray(noise_image()).save(src, quality=90)
    data = src.read_bytes()
    junk = b"JUNK" + struct.pack("<I", 900_000_000) + np.random.default_rng(0).bytes(100)
    src.write_bytes(data[:12] + junk + data[12:])
    try:
        read_image(src, max_pixels=10**8)
    except CorruptInput:
        pass  # the decoder's word: damaged
    # no LimitExceeded naming max_metadata_mb: it would send the user after the wrong limit
