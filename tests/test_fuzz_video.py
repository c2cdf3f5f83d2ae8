"""A small deterministic video fuzz corpus: every mutated MP4/MOV/MKV ends in a verified, covered
output or a typed error with no output, through the API and the CLI; no hang, no other exception.

The longer run is `python benchmarks/fuzz.py --video-only` (results in docs/RELIABILITY.md).
"""

from __future__ import annotations

import signal
import struct

import av
import numpy as np
import pytest

from unseen.errors import UnsupportedFormat
from unseen.pipeline.video import process_video
from unseen.settings import Settings
from unseen_eval.fuzz import kind_of, mutate, mutators_for, run_case
from unseen_eval.fuzz_video import find_all, mp4_dimensions, parse_boxes, parse_ebml, serialize

from .video_factory import MagentaDetector, magenta_boxes, make_clip

S = Settings(threads=1)
LIMIT_S = 60


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("clips")
    out = {}
    for name, kw in (
        ("c.mp4", {}),
        ("c.mov", {"audio": True}),
        ("c.mkv", {}),
        ("fs.mp4", {"faststart": True}),
    ):
        make_clip(d / name, width=64, height=48, n=12, keep_frames=False, **kw)
        out[name] = d / name
    return out


def magenta_leak(path) -> str | None:
    """A visible magenta square (the test 'face') in any output frame is a leak."""
    frames = 0
    with av.open(str(path)) as c:
        for i, f in enumerate(c.decode(video=0)):
            if len(magenta_boxes(f.to_ndarray(format="rgb24"), min_area=16)):
                return f"magenta square visible in output frame {i}"
            frames += 1
    return None if frames else "output holds no frame"


class _Hang(KeyboardInterrupt):
    """Raised by the alarm; a KeyboardInterrupt so the pipeline lets it through untranslated."""


def _run(seed, original, tmp_path, via):
    def alarm(signum, frame):
        raise _Hang()

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(LIMIT_S)
    try:
        return run_case(seed, original, tmp_path, S, MagentaDetector(), via=via, leak_check=magenta_leak)
    except _Hang:
        pytest.fail(f"{original.name} seed {seed}: hang (over {LIMIT_S} s)")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _clean(case) -> bool:
    return case.outcome == "ok" or case.outcome.startswith(("error:", "exit:"))


# Cases that hit a known, not yet fixed bug: (clip, seed) -> reason; strict xfail until fixed.
KNOWN_BUGS: dict[tuple[str, int], str] = {}


def _cases(pairs):
    return [pytest.param(name, seed, marks=pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[(name, seed)]))
            if (name, seed) in KNOWN_BUGS else (name, seed) for name, seed in pairs]


# Two rounds of every mutator through the API, one through the CLI.
API_CASES = _cases((name, seed) for name, n in (("c.mp4", 20), ("c.mov", 20), ("c.mkv", 16)) for seed in range(n))
CLI_CASES = _cases((name, seed) for name, lo, hi in (("c.mp4", 20, 30), ("c.mkv", 16, 24)) for seed in range(lo, hi))


@pytest.mark.parametrize("name,seed", API_CASES)
def test_mutated_video_through_the_api(tmp_path, clips, name, seed):
    case = _run(seed, clips[name], tmp_path, "api")
    assert _clean(case), f"{case}"


@pytest.mark.parametrize("name,seed", CLI_CASES)
def test_mutated_video_through_the_cli(tmp_path, clips, name, seed):
    case = _run(seed, clips[name], tmp_path, "cli")
    assert _clean(case), f"{case}"


def test_every_video_mutator_is_exercised_by_the_corpus():
    for name, n in (("c.mp4", 20), ("c.mkv", 16)):
        kind = kind_of(__import__("pathlib").Path(name))
        assert len(mutators_for(kind)) * 2 == n, "keep two API rounds of every mutator"


@pytest.mark.parametrize("name", ["c.mp4", "fs.mp4", "c.mov"])
def test_box_tree_round_trips_byte_for_byte(clips, name):
    data = clips[name].read_bytes()
    boxes = parse_boxes(data)
    assert boxes is not None
    assert serialize(boxes, data) == data


def test_mutation_is_deterministic(clips):
    data = clips["c.mp4"].read_bytes()
    assert mutate(data, "mp4", 7) == mutate(data, "mp4", 7)
    assert mutate(data, "mp4", 7)[1] != data


def test_grown_index_before_the_media_keeps_chunk_offsets_right(clips, tmp_path):
    """Growing moov in a faststart file must move stco offsets, or every case is just 'corrupt'."""
    data = clips["fs.mp4"].read_bytes()
    boxes = parse_boxes(data)
    moov = next(b for b in boxes if b.type == b"moov")
    moov.children.append(type(moov)(b"free", b"\0" * 1000))
    grown = tmp_path / "grown.mp4"
    grown.write_bytes(serialize(boxes, data))
    report = process_video(grown, tmp_path / "o.mp4", S, detector=MagentaDetector())
    assert report.details.frames == 12


def test_absurd_container_dimensions_are_in_the_header(clips):
    data = mp4_dimensions(clips["c.mp4"].read_bytes(), np.random.default_rng(3))
    tkhd = find_all(parse_boxes(data), b"tkhd")[0]
    w, h = struct.unpack(">II", tkhd.payload[76:84])
    assert (w >> 16, h >> 16) != (64, 48)


def test_ebml_walk_finds_the_clusters(clips):
    from unseen_eval.fuzz_video import _ebml_all

    els = parse_ebml(clips["c.mkv"].read_bytes())
    assert _ebml_all(els, 0x1F43B675), "no Cluster found"
    assert [e.id for e in _ebml_all(els, 0xB0)], "no PixelWidth found"


def test_unknown_video_codec_fourcc_is_unsupported_format(tmp_path, clips):
    """Regression (fuzzer, bitflip): AttributeError on a stream whose codec FFmpeg does not know."""
    data = clips["c.mp4"].read_bytes()
    i = data.index(b"avc1", 40)  # the sample entry's codec, not the ftyp brand
    bad = tmp_path / "fourcc.mp4"
    bad.write_bytes(data[:i] + b"zzzz" + data[i + 4 :])
    with pytest.raises(UnsupportedFormat):
        process_video(bad, tmp_path / "o.mp4", S, detector=MagentaDetector())
    assert not (tmp_path / "o.mp4").exists()


def _audio_trak_box(boxes, typ):
    from unseen_eval.fuzz_video import find_all

    audio = [t for t in find_all(boxes, b"trak") if b"soun" in t.to_bytes()[:400]]
    return find_all(audio, typ)[0]


@pytest.fixture(scope="module")
def mov_with_audio(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("a") / "a.mov", width=96, height=64, n=24, audio=True, keep_frames=False).path


def test_audio_stream_without_codec_parameters_is_a_clean_input_error(tmp_path, mov_with_audio):
    """Found by the fuzzer (truncated MOV, seed 99): an audio sample description cut short."""
    from unseen.errors import InputError
    from unseen_eval.fuzz import internal_error

    data = mov_with_audio.read_bytes()
    boxes = parse_boxes(data)
    stsd = _audio_trak_box(boxes, b"stsd")
    stsd.payload = stsd.payload[:8]  # says one entry, holds none
    bad = tmp_path / "bad.mov"
    bad.write_bytes(serialize(boxes, data))
    try:
        report = process_video(bad, tmp_path / "o.mov", S, detector=MagentaDetector())
    except InputError as err:
        assert not internal_error(err.reason), err.message
    else:
        assert report.ok
    assert [p.name for p in tmp_path.iterdir() if p.name != "bad.mov"] in ([], ["o.mov"])


def test_audio_timestamps_that_do_not_increase_are_a_clean_input_error(tmp_path, mov_with_audio):
    """Found by the fuzzer (mp4_timestamps on MOV, seed 266): audio decode times all equal."""
    from unseen.errors import InputError
    from unseen.pipeline.commit import TMP_MARK
    from unseen_eval.fuzz_video import _get, _set_stts

    data = mov_with_audio.read_bytes()
    boxes = parse_boxes(data)
    n = _get(_audio_trak_box(boxes, b"stsz"), 8, ">I")
    _set_stts(_audio_trak_box(boxes, b"stts"), [0] * n)
    bad = tmp_path / "bad.mov"
    bad.write_bytes(serialize(boxes, data))
    with pytest.raises(InputError) as e:
        process_video(bad, tmp_path / "o.mov", S, detector=MagentaDetector())
    assert "audio" in e.value.message and TMP_MARK not in e.value.message
    assert not (tmp_path / "o.mov").exists()
