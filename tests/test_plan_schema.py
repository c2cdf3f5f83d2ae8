"""The shipped JSON Schema and the loader agree on what a plan is.

The loader is the real check; the schema says the same except for the rules a JSON Schema cannot
state (they compare two fields or need the whole plan): :data:`SEMANTIC` lists them. For every case
the two must agree, or the schema accept and the loader refuse with one of those rules.
"""

from __future__ import annotations

import json
import random
import re

import pytest

from unseen.errors import InputError
from unseen.plan import SCHEMA_PATH, limits, plan_from_bytes

from .plan_cases import edited, image_doc, to_bytes, video_doc
from .plan_mutate import mutate_doc
from .test_plan_load import CASES

jsonschema = pytest.importorskip("jsonschema", reason="the dev extra's jsonschema package checks the shipped schema")

SEMANTIC = re.compile(
    "|".join(
        [
            r"x2 must be > x1", r"y2 must be > y1",
            r"\.box\[\d\]: must be >= ",  # a box against the frame's width and height
            r"frames must be listed by increasing index", r"is outside the video's \d+ frames", r"is outside the input",
            r"keyframes must be in increasing order", r"must lie within the region's start and end",
            r"\.end: must be >= start", r"regions\[\d+\]\.(start|end|keyframes\[\d+\]\.at): must be (between 0 and|>= 0 and <=)",
            r"flags must be ordered by risk", r"MAX_TOTAL_",
        ]
    )
)


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=None)


def _verdicts(validator, doc) -> tuple[bool, str | None]:
    schema_ok = validator.is_valid(doc)
    try:
        plan_from_bytes(to_bytes(doc), "plan.json")
    except InputError as exc:
        return schema_ok, str(exc)
    return schema_ok, None


def _agree(validator, doc, label: str) -> str:
    schema_ok, refusal = _verdicts(validator, doc)
    loader_ok = refusal is None
    if schema_ok == loader_ok:
        return "agree"
    assert schema_ok and not loader_ok, f"{label}: the schema refuses what the loader accepts: {next(iter(validator.iter_errors(doc))).message[:200]}"
    assert SEMANTIC.search(refusal), f"{label}: schema accepts, loader refuses with a rule the schema could state: {refusal}"
    return "semantic"


def test_schema_limits_match_the_loader(validator):
    s = validator.schema
    assert s["properties"]["version"]["enum"] == list(limits.VERSIONS) and s["properties"]["format"]["const"] == limits.FORMAT
    d = s["$defs"]
    assert d["frame"]["properties"]["boxes"]["maxItems"] == limits.MAX_BOXES_PER_FRAME
    assert s["properties"]["frames"]["maxItems"] == limits.MAX_FRAME_COUNT
    assert s["properties"]["regions"]["maxItems"] == limits.MAX_REGIONS and s["properties"]["flags"]["maxItems"] == limits.MAX_FLAGS
    assert d["region"]["properties"]["keyframes"]["maxItems"] == limits.MAX_KEYFRAMES_PER_REGION
    assert d["input"]["properties"]["width"]["maximum"] == limits.MAX_DIMENSION
    assert d["input"]["properties"]["frame_count"]["maximum"] == limits.MAX_FRAME_COUNT
    assert d["producer"]["properties"]["settings"]["maxProperties"] == limits.MAX_SETTINGS
    assert d["box"]["properties"]["why"]["maxLength"] == limits.MAX_TEXT


def test_valid_plans_pass_both(validator):
    for doc in (video_doc(), image_doc(), edited(video_doc(), ("regions",), []), edited(video_doc(), ("frames",), []),
                edited(video_doc(), ("version",), 1.0), edited(video_doc(), ("frames", 0, "index"), 0.0)):
        assert validator.is_valid(doc)
        assert _verdicts(validator, doc) == (True, None)


@pytest.mark.parametrize("doc, message", CASES, ids=[m.split(": ", 1)[1][:60] for _, m in CASES])
def test_every_loader_refusal_case(validator, doc, message):
    _agree(validator, doc, message)


def test_random_mutations_agree(validator):
    rng = random.Random(13)
    outcomes = {"agree": 0, "semantic": 0}
    for n in range(600):
        base = video_doc() if n % 2 else image_doc()
        name, doc = mutate_doc(base, rng)
        outcomes[_agree(validator, doc, f"case {n} ({name})")] += 1
    assert outcomes["agree"] > 400  # the schema is not vacuous: most mutations are judged alike
