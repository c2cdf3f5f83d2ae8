"""Audio passed through keeps its packets, never its codec-private block as it came: the block is
rebuilt from what decoding needs (Vorbis, FLAC, Opus, AAC, ALAC), or the audio is re-encoded, and
the output check refuses a written file whose block holds more."""

from __future__ import annotations

import struct
from pathlib import Path

import av
import pytest

from unseen.errors import VerificationError
from unseen.pipeline.video import process_video
from unseen.scrub.audio_config import clean_extradata, extradata_problem
from unseen.scrub.container import Expected, verify_video
from unseen.settings import Settings

from .video_factory import MagentaDetector, make_clip, with_audio_private

S = Settings()
VENDOR = b"Recorded by Alice Smith's phone"
COMMENT = b"ARTIST=Alice Smith"


def _vorbis_comment(vendor: bytes, *comments: bytes) -> bytes:
    body = struct.pack("<I", len(vendor)) + vendor + struct.pack("<I", len(comments))
    return body + b"".join(struct.pack("<I", len(c)) + c for c in comments)


def _plant_vorbis(extra: bytes) -> bytes:
    """Xiph-laced headers with the comment header replaced by one naming the owner."""
    assert extra[0] == 2
    pos, sizes = 1, []
    for _ in range(2):
        n = 0
        while extra[pos] == 255:
            n, pos = n + 255, pos + 1
        sizes.append(n + extra[pos])
        pos += 1
    ident, setup = extra[pos : pos + sizes[0]], extra[pos + sizes[0] + sizes[1] :]
    comment = b"\x03vorbis" + _vorbis_comment(VENDOR, COMMENT) + b"\x01"
    lace = bytes([2]) + b"\xff" * (len(ident) // 255) + bytes([len(ident) % 255])
    lace += b"\xff" * (len(comment) // 255) + bytes([len(comment) % 255])
    return lace + ident + comment + setup


def _plant_flac(extra: bytes) -> bytes:
    streaminfo = extra[-34:]
    comment = _vorbis_comment(VENDOR, COMMENT)
    picture = struct.pack(">II", 3, 10) + b"image/jpeg" + struct.pack(">I", len(VENDOR)) + VENDOR + b"\x00" * 16
    picture += struct.pack(">I", 4) + b"\xff\xd8\xff\xd9"
    blocks = bytes([0]) + (34).to_bytes(3, "big") + streaminfo
    blocks += bytes([4]) + len(comment).to_bytes(3, "big") + comment
    blocks += bytes([0x80 | 6]) + len(picture).to_bytes(3, "big") + picture
    return b"fLaC" + blocks


def _decoded_samples(path: Path) -> int:
    with av.open(str(path)) as c:
        return sum(f.samples for f in c.decode(audio=0))


def _audio(path: Path) -> tuple[str, bytes]:
    with av.open(str(path)) as c:
        cc = c.streams.audio[0].codec_context
        return cc.name, bytes(cc.extradata or b"")


@pytest.mark.parametrize(
    "codec, plant",
    [
        ("vorbis", _plant_vorbis),
        ("opus", lambda extra: extra + b"OpusTags" + _vorbis_comment(VENDOR, COMMENT)),
    ],
)
@pytest.mark.parametrize("suffix", [".mkv", ".mp4"])
def test_planted_text_in_audio_codec_private_data_does_not_survive(tmp_path, codec, plant, suffix):
    made = make_clip(tmp_path / "a.mkv", n=15, audio=True, audio_codec=codec)
    src = with_audio_private(made.path, tmp_path / "planted.mkv", plant)
    assert VENDOR in src.read_bytes() and VENDOR in _audio(src)[1]
    out = tmp_path / f"out{suffix}"
    r = process_video(src, out, S, detector=MagentaDetector())
    data = out.read_bytes()
    assert VENDOR not in data and b"Alice" not in data
    name, extra = _audio(out)
    if name == codec:  # passed through with its block rebuilt (MP4 cannot hold Vorbis: re-encoded)
        assert extradata_problem(codec, extra) is None
        assert r.details.streams_kept["audio"] == 1
    assert _decoded_samples(out) > 0.4 * 44100


def test_a_clean_block_is_written_as_it_came(tmp_path):
    for codec in ("aac", "vorbis", "flac", "opus"):
        made = make_clip(tmp_path / f"{codec}.mkv", n=10, audio=True, audio_codec=codec)
        out = tmp_path / f"{codec}.out.mkv"
        process_video(made.path, out, S, detector=MagentaDetector())
        assert clean_extradata(codec, _audio(out)[1]) == clean_extradata(codec, _audio(made.path)[1])
        assert extradata_problem(codec, _audio(out)[1]) is None


def test_aac_config_with_bytes_beyond_its_fields_is_re_encoded(tmp_path):
    made = make_clip(tmp_path / "a.mp4", n=15, audio=True)
    assert clean_extradata("aac", _audio(made.path)[1]) == _audio(made.path)[1]  # FFmpeg's own: kept
    src = with_audio_private(made.path, tmp_path / "planted.mp4", lambda extra: extra[:2] + b"ALICE SMITH")
    out = tmp_path / "out.mp4"
    r = process_video(src, out, S, detector=MagentaDetector())
    assert b"ALICE SMITH" not in out.read_bytes()
    assert any("re-encoded to aac" in w and "allow-list" in w for w in r.warnings)
    with av.open(str(out)) as c:  # nor the encoder's own version string in its first packet
        assert not any(b"Lavc" in bytes(p) for p in c.demux(audio=0))
    assert extradata_problem("aac", _audio(out)[1]) is None


def test_flac_keeps_streaminfo_only():
    """FFmpeg's muxers cannot write a FLAC block list (mkvmerge can): the rebuild, unit by unit."""
    streaminfo = bytes(range(34))
    planted = _plant_flac(streaminfo)
    assert VENDOR in planted
    assert clean_extradata("flac", planted) == streaminfo
    assert clean_extradata("flac", streaminfo) == streaminfo
    assert extradata_problem("flac", planted) is not None
    assert extradata_problem("flac", b"fLaC\x80\x00\x00\x22" + streaminfo) is None  # Matroska's form


def test_rebuilt_blocks_for_each_codec():
    assert clean_extradata("aac", b"\x12\x10") == b"\x12\x10"
    assert clean_extradata("aac", b"\x10\x00") is None  # channel configuration 0: a PCE with a comment
    assert clean_extradata("aac", b"") == b""  # ADTS (MPEG-TS): nothing to carry
    head = b"OpusHead\x01\x02\x38\x01\x80\xbb\x00\x00\x00\x00\x00"
    assert clean_extradata("opus", head + b"OpusTags vendor") == head
    assert clean_extradata("mp3", b"") == b"" and clean_extradata("mp3", b"ID3\x03") is None
    assert clean_extradata("truehd", b"\x00" * 8) is None  # not on the allow-list: re-encode
    alac = struct.pack(">I4sI", 36, b"alac", 0) + bytes(24)
    assert clean_extradata("alac", alac + b"\x00\x00\x00\x18chanOWNER") == alac


def test_verify_rejects_audio_codec_private_data_beyond_the_allow_list(tmp_path):
    made = make_clip(tmp_path / "a.mkv", n=6, audio=True, audio_codec="vorbis", sei=False)
    src = with_audio_private(made.path, tmp_path / "planted.mkv", _plant_vorbis)
    with pytest.raises(VerificationError, match="codec-private"):
        verify_video(src, Expected(64, 48, made.time_base, made.pts, {"video": 1, "audio": 1}, frame_tolerance=0.0011))


@pytest.mark.parametrize("suffix", [".ts", ".webm"])
def test_pcm_audio_is_re_encoded_where_the_container_cannot_hold_it(tmp_path, suffix):
    """The re-encode path (also the fallback for a block that cannot be rebuilt) opened its
    decoder with no sample rate or layout: PCM failed with a raw FFmpeg error, exit 1."""
    made = make_clip(tmp_path / "a.mov", n=10, audio=True, audio_codec="pcm_s16le")
    out = tmp_path / f"out{suffix}"
    r = process_video(made.path, out, S, detector=MagentaDetector())
    assert any("re-encoded" in w for w in r.warnings)
    assert _decoded_samples(out) > 0.2 * 44100


@pytest.mark.parametrize("codec", ["flac", "opus"])
def test_audio_mov_refuses_is_re_encoded_not_blamed_on_the_input(tmp_path, codec):
    """FFmpeg lists FLAC and Opus for MOV but refuses them at the first packet: that was
    CorruptInput ("the muxer rejected a packet", exit 3), as if the input were damaged."""
    made = make_clip(tmp_path / "a.mkv", n=10, audio=True, audio_codec=codec)
    out = tmp_path / "out.mov"
    r = process_video(made.path, out, S, detector=MagentaDetector())
    assert any("re-encoded to aac" in w for w in r.warnings)
    assert _audio(out)[0] == "aac" and _decoded_samples(out) > 0.2 * 44100
