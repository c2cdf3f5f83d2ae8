"""Hostile plans are refused cleanly: an InputError with one line naming the file, never another
exception, never a hang, and sizes refused before millions of objects are built."""

from __future__ import annotations

import contextlib
import random
import signal

import pytest

from unseen.errors import InputError, LimitExceeded
from unseen.plan import plan_from_bytes
from unseen.plan.encode import dumps

from .plan_cases import image_doc, to_bytes, video_doc
from .plan_mutate import mutate

NAME = "hostile.json"


@contextlib.contextmanager
def _alarm(seconds: int):
    def boom(*_):
        raise TimeoutError(f"the loader took more than {seconds} s")

    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _outcome(data: bytes, seconds: int = 30) -> str:
    """'accepted' (and then it saves and loads back equal), or the refusal's one line."""
    with _alarm(seconds):
        try:
            plan = plan_from_bytes(data, NAME)
        except InputError as exc:
            msg = str(exc)
            assert msg.startswith(f"{NAME}: ") and "\n" not in msg and len(msg) < 600, msg
            return msg
    assert plan_from_bytes(dumps(plan).encode("utf-8"), NAME) == plan
    return "accepted"


def _frames_with(box_items: bytes, count: int) -> bytes:
    """A video plan whose frame 0 holds ``count`` copies of ``box_items`` (bytes of one item)."""
    head, tail = to_bytes(video_doc()).split(b'"frames": ', 1)
    rest = tail[tail.index(b', "regions"'):]
    return head + b'"frames": [{"index": 0, "time": 0.0, "boxes": [' + b",".join([box_items] * count) + b"]}]" + rest


BOX = b'{"box": [1, 2, 3, 4], "score": 0.5, "origin": "detected", "track": 1}'


@pytest.mark.parametrize(
    "data, says",
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested deeper than 16 levels (limit MAX_DEPTH)"),
        (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "nested deeper than 16 levels (limit MAX_DEPTH)"),
        (b"[" * 100_000, "nested deeper than 16 levels"),  # and unterminated
        (_frames_with(BOX, 1_000_000), "a list holds more than 10000 boxes"),
        (_frames_with(b"{}", 10_000_000), "a list holds more than 10000 boxes"),
        (_frames_with(b"0", 10_000_000), "frames[0].boxes: holds 10000000 items, more than MAX_BOXES_PER_FRAME (10000)"),
        (b'{"a": ' + b"9" * 100_000 + b"}", "is out of range (limit MAX_INTEGER: 2^53)"),
        (b'{"a": 0.' + b"0" * 100_000 + b"1e-400}", "plan.json" if False else "not a plan"),
        (b'{"format": "unseen-plan", "version": 1e308}', "number 1e308 is out of range"),
        (b'{"format": "unseen-plan", "version": -1e308}', "number -1e308 is out of range"),
        (b'{"format": "unseen-plan", "version": NaN}', "NaN is not a number a plan may hold"),
        (b'{"format": "unseen-plan", "version": Infinity}', "Infinity is not a number a plan may hold"),
        (to_bytes(video_doc())[:-7], "not valid JSON"),
        (b"\xef\xbb\xbf" + to_bytes(video_doc()), "not valid JSON"),
        (b"\xff\xfe{}", "byte 0: not UTF-8 text"),
        (to_bytes(video_doc()).replace(b'"size": 4096', b'"size": -4096'), "input.size: must be between 0 and"),
        (to_bytes(video_doc()).replace(b'"size": 4096', b'"size": 2147483648000'), "accepted"),  # 2 TB declared: a number, nothing read
        (to_bytes(video_doc()).replace(b'"width": 640', b'"width": -640'), "input.width: must be between 1 and 1048576, got -640"),
        (to_bytes(video_doc()).replace(b'"frame_count": 90', b'"frame_count": 1e15'), "input.frame_count: must be between 1 and 10000000"),
        (to_bytes(video_doc()).replace(b'"version": 1', b'"version": 1, "version": 2'), 'duplicate key "version"'),
        (to_bytes(image_doc()).replace(b'"photo.jpg"', b'"' + b"x" * 5000 + b'"'), "input.name: is longer than MAX_TEXT (1000 characters)"),
        (b"null", "a plan is a JSON object, not null"),
        (b'"unseen-plan"', "a plan is a JSON object, not a string"),
    ],
)
def test_hostile_plans_are_refused_in_one_line(data, says):
    out = _outcome(data)
    if says == "not a plan":  # 0.000...1e-400 is zero: a valid number, then not a plan
        assert out.endswith("format: must be 'unseen-plan': this is not an unseen plan")
    else:
        assert says in out


def test_size_refusals_are_limit_errors():
    for data in (b"[" * 100_000, _frames_with(b"{}", 20_000)):
        with pytest.raises(LimitExceeded):
            plan_from_bytes(data, NAME)


def test_escaped_quotes_do_not_fool_the_prescan():
    # brackets inside strings (with escaped quotes around them) are not structure
    doc = video_doc()
    doc["regions"][0]["note"] = '\\" [[[[[[[[[[[[[[[[[[[[[[[[ "\\\\'
    doc["producer"]["detector"] = "{" * 900
    assert _outcome(to_bytes(doc)) == "accepted"


def test_random_mutations_never_escape():
    rng = random.Random(2026)
    counts = {"accepted": 0, "refused": 0}
    for _ in range(500):
        _, data = mutate(video_doc() if rng.random() < 0.7 else image_doc(), rng)
        out = _outcome(data, seconds=30)
        counts["accepted" if out == "accepted" else "refused"] += 1
    assert counts["refused"] > 300 and counts["accepted"] > 0


def test_a_string_across_scan_chunks_is_still_a_string():
    from unseen.plan import scan

    doc = video_doc()
    doc["producer"]["detector"] = "[" * (scan._CHUNK + 1000)  # brackets on both sides of a chunk boundary
    assert _outcome(to_bytes(doc)) == f"{NAME}: producer.detector: is longer than MAX_TEXT (1000 characters)"
