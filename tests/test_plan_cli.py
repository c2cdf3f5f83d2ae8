"""The plan on the command line, in-process, on generated media with a fixed detector."""

from __future__ import annotations

import io
import json

import numpy as np
from PIL import Image

from unseen.cli import main
from unseen.errors import ExitStatus

from .conftest import noise_image


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def _png(path, seed=0):
    Image.fromarray(noise_image(120, 160, seed=seed)).save(path)
    return path


def test_plan_writes_only_the_plan(tmp_path, fixed_detector):
    src = _png(tmp_path / "p.png")
    code, out, err = run("plan", str(src), "--no-thorough")
    assert code == 0, err
    assert sorted(x.name for x in tmp_path.iterdir()) == ["p.png", "p.png.plan.json"]
    doc = json.loads((tmp_path / "p.png.plan.json").read_text())
    assert doc["version"] == 1 and "1 box(es)" in out


def test_plan_mirrored_under_dir(tmp_path, fixed_detector):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    src1, src2 = _png(tmp_path / "a" / "x.png"), _png(tmp_path / "b" / "x.png", seed=1)
    code, _, err = run("plan", str(src1), str(src2), "-o", str(tmp_path / "plans"), "--no-thorough")
    assert code == 0, err
    assert (tmp_path / "plans" / "a" / "x.png.plan.json").exists()
    assert (tmp_path / "plans" / "b" / "x.png.plan.json").exists()


def test_render_from_plan_with_edits(tmp_path, fixed_detector):
    src = _png(tmp_path / "p.png")
    assert run("plan", str(src), "--no-thorough", "--region", "100,80,140,110")[0] == 0
    pf = tmp_path / "p.png.plan.json"
    doc = json.loads(pf.read_text())
    doc["frames"][0]["boxes"][0].update(rejected=True, by="test", at="2026-12-02", why="a hand")
    pf.write_text(json.dumps(doc))
    code, out, err = run(str(src), "--plan", str(pf), "-o", str(tmp_path / "o.png"), "--json")
    assert code == 0, err
    rep = json.loads(out)[0]
    assert rep["details"]["plan_rejected"] == 1 and rep["details"]["manual_regions"] == 1
    px, orig = np.asarray(Image.open(tmp_path / "o.png")), np.asarray(Image.open(src))
    assert np.array_equal(px[45, 40], orig[45, 40]) and px[95, 120].max() == 0


def test_one_shot_region_and_save_plan(tmp_path, fixed_detector):
    src = _png(tmp_path / "p.png")
    code, out, err = run(str(src), "--region", "100,80,140,110", "--save-plan")
    assert code == 0, err
    px = np.asarray(Image.open(tmp_path / "p.unseen.png"))
    assert px[95, 120].max() == 0 and px[45, 40].max() == 0
    assert (tmp_path / "p.png.plan.json").exists() and "1 manual region(s)" in out


def test_bad_plans_are_one_line_input_errors_and_write_nothing(tmp_path, fixed_detector):
    src, other = _png(tmp_path / "p.png"), _png(tmp_path / "q.png", seed=1)
    assert run("plan", str(other), "--no-thorough")[0] == 0
    bad = tmp_path / "bad.plan.json"
    cases = {
        "malformed": "{not json",
        "hash": (tmp_path / "q.png.plan.json").read_text(),
        "version": (tmp_path / "q.png.plan.json").read_text().replace('"version": 1', '"version": 99'),
    }
    for name, text in cases.items():
        bad.write_text(text)
        code, _, err = run(str(src), "--plan", str(bad), "-o", str(tmp_path / "o.png"))
        assert code == ExitStatus.INPUT, (name, err)
        assert err.count("\n") == 1 and "bad.plan.json" in err, (name, err)
        assert not (tmp_path / "o.png").exists()
    code, _, err = run(str(src), "--region", "100,80,400,110", "-o", str(tmp_path / "o.png"))
    assert code == ExitStatus.INPUT and err.count("\n") == 1, err
    assert not (tmp_path / "o.png").exists()
    code, _, err = run(str(src), "--region", "1,2,3", "-o", str(tmp_path / "o.png"))
    assert code == ExitStatus.USAGE and not (tmp_path / "o.png").exists()
