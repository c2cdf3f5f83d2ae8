"""A small deterministic fuzz corpus: every mutated photo ends in success or a clean UnseenError.

The longer run is `python benchmarks/fuzz.py` (results in docs/RELIABILITY.md).
"""

from __future__ import annotations

import signal

import pytest
from PIL import Image

from unseen.settings import Settings
from unseen_eval.fuzz import run_case

from .conftest import EXAMPLE_PHOTO

SEEDS = range(0, 42)  # 6 per mutator for each of the 7 mutators


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    d = tmp_path_factory.mktemp("orig")
    im = Image.open(EXAMPLE_PHOTO).convert("RGB").resize((160, 160))
    jpg, png = d / "a.jpg", d / "a.png"
    im.save(jpg, quality=90)
    im.save(png)
    return {"jpeg": jpg, "png": png}


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout()


@pytest.mark.parametrize("kind", ["jpeg", "png"])
@pytest.mark.parametrize("seed", SEEDS)
def test_mutated_photo_fails_closed_or_succeeds(tmp_path, originals, kind, seed):
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(60)
    try:
        case = run_case(seed, originals[kind], tmp_path, Settings(threads=1))
    except _Timeout:
        pytest.fail(f"seed {seed}: hang (over 60 s)")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert case.outcome == "ok" or case.outcome.startswith("error:"), f"{case}"
