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


def _folder(tmp_path):
    d = tmp_path / "d"
    (d / "sub").mkdir(parents=True)
    _png(d / "a.png")
    _png(d / "sub" / "b.png", seed=1)
    (d / "notes.txt").write_text("not media")
    _png(d / "old.unseen.png", seed=2)  # an earlier output: not planned again (as the batch skips it)
    return d


def test_plan_folder_beside_each_file_then_mirrored(tmp_path, fixed_detector):
    d = _folder(tmp_path)
    code, out, err = run("plan", str(d), "--no-thorough")
    assert code == 0, err
    assert (d / "a.png.plan.json").exists() and (d / "sub" / "b.png.plan.json").exists()
    assert not (d / "old.unseen.png.plan.json").exists() and not (d / "notes.txt.plan.json").exists()
    assert "2 of 2 plan(s) written" in out and "skipped: " in out and "notes.txt" in out
    code, out, err = run("plan", str(d), "--no-thorough")  # plans are not replaced silently
    assert code == ExitStatus.OUTPUT and err.count("plan file exists") == 2 and "0 of 2" in out
    code, _, err = run("plan", str(d), "-o", str(tmp_path / "P"), "--no-thorough")
    assert code == 0, err
    assert (tmp_path / "P" / "a.png.plan.json").exists() and (tmp_path / "P" / "sub" / "b.png.plan.json").exists()
    assert "a.png.plan.json" not in {p.name for p in (tmp_path / "P").iterdir() if p.is_dir()}


def test_plan_folder_one_bad_file_fails_the_run_not_the_others(tmp_path, fixed_detector):
    d = tmp_path / "d"
    d.mkdir()
    _png(d / "good.png")
    (d / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)  # a PNG signature, then nothing usable
    code, out, err = run("plan", str(d), "--no-thorough")
    assert code == ExitStatus.INPUT, err
    assert (d / "good.png.plan.json").exists() and not (d / "bad.png.plan.json").exists()
    assert err.count("\n") == 1 and "bad.png" in err and "1 FAILED" in out


def test_region_with_a_folder_is_refused(tmp_path, fixed_detector):
    d = _folder(tmp_path)
    for argv in (["plan", str(d)], [str(d)], [str(d), "--plan", str(d)]):
        code, _, err = run(*argv, "--region", "1,1,20,20")
        assert code == ExitStatus.USAGE and "per file" in err and err.count("\n") == 1, (argv, err)
    assert not list(d.rglob("*.plan.json")) and not (tmp_path / "d.unseen").exists()


def test_render_a_folder_from_plans_beside_or_mirrored(tmp_path, fixed_detector):
    d = _folder(tmp_path)
    (d / "old.unseen.png").unlink()
    assert run("plan", str(d), "--no-thorough")[0] == 0
    pf = d / "a.png.plan.json"
    doc = json.loads(pf.read_text())
    doc["frames"][0]["boxes"][0].update(rejected=True, by="test", at="2026-12-02")
    pf.write_text(json.dumps(doc))
    code, out, err = run(str(d), "--plan", str(d))  # plans beside each file
    assert code == 0, err
    a = np.asarray(Image.open(tmp_path / "d.unseen" / "a.png"))
    b = np.asarray(Image.open(tmp_path / "d.unseen" / "sub" / "b.png"))
    assert np.array_equal(a[45, 40], np.asarray(Image.open(d / "a.png"))[45, 40])  # rejected: left as it was
    assert b[45, 40].max() == 0 and "1 rejected box(es) left uncovered" in out
    # Mirrored plans (unseen plan DIR -o P); a file without its plan fails, the others are rendered.
    assert run("plan", str(d), "-o", str(tmp_path / "P"), "--no-thorough")[0] == 0
    (tmp_path / "P" / "sub" / "b.png.plan.json").unlink()
    code, out, err = run(str(d), "--plan", str(tmp_path / "P"), "-o", str(tmp_path / "O"))
    assert code == ExitStatus.INPUT and "no plan" in err and err.count("\n") == 1, err
    assert (tmp_path / "O" / "a.png").exists() and not (tmp_path / "O" / "sub" / "b.png").exists()
    code, _, err = run(str(d), "--plan", str(pf))
    assert code == ExitStatus.USAGE and "folder of its plans" in err


def test_save_plan_goes_beside_the_output(tmp_path, fixed_detector):
    src = _png(tmp_path / "p.png")
    (tmp_path / "out").mkdir()
    code, _, err = run(str(src), "-o", str(tmp_path / "out" / "o.png"), "--save-plan")
    assert code == 0, err
    assert (tmp_path / "out" / "p.png.plan.json").exists() and not (tmp_path / "p.png.plan.json").exists()
    # An existing plan is refused before anything is written (as an existing output is).
    code, _, err = run(str(src), "-o", str(tmp_path / "out" / "o2.png"), "--save-plan")
    assert code == ExitStatus.OUTPUT and "plan file exists" in err and not (tmp_path / "out" / "o2.png").exists()
    code, _, err = run(str(src), "-o", str(tmp_path / "out" / "o2.png"), "--save-plan", "--overwrite")
    assert code == 0 and (tmp_path / "out" / "o2.png").exists(), err


def test_save_plan_for_a_folder_mirrors_beside_the_outputs(tmp_path, fixed_detector):
    d = _folder(tmp_path)
    (d / "old.unseen.png").unlink()  # with -o (below) it would be rendered too, and it has no plan
    code, _, err = run(str(d), "--save-plan")
    assert code == 0, err
    o = tmp_path / "d.unseen"
    assert (o / "a.png").exists() and (o / "a.png.plan.json").exists() and (o / "sub" / "b.png.plan.json").exists()
    assert not list(d.rglob("*.plan.json"))
    code, _, err = run(str(d), "--plan", str(o), "-o", str(tmp_path / "again"))  # the saved plans render the folder
    assert code == 0, err
    assert np.array_equal(np.asarray(Image.open(o / "a.png")), np.asarray(Image.open(tmp_path / "again" / "a.png")))


def test_plan_several_inputs_with_a_folder_mirror_under_its_name(tmp_path, fixed_detector):
    d = _folder(tmp_path)
    src = _png(tmp_path / "p.png", seed=3)
    code, _, err = run("plan", str(d), str(src), "-o", str(tmp_path / "P"), "--no-thorough")
    assert code == 0, err
    p = tmp_path / "P"
    assert (p / "d" / "a.png.plan.json").exists() and (p / "d" / "sub" / "b.png.plan.json").exists()
    assert (p / "p.png.plan.json").exists()
