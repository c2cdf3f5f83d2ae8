"""`unseen --help` and the commands: grouped help that fits a screen per group, real defaults,
each command's own help, and usage errors that point to --help."""

from __future__ import annotations

import io
import re
import subprocess
import sys

import pytest

from unseen.cli import COMMANDS, build_check_parser, build_parser, main
from unseen.errors import ExitStatus
from unseen.settings import GROUPS, PresetName, Settings, field_help

SCREEN = 40  # lines: one group of options must fit a terminal without scrolling


@pytest.fixture
def help_text(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    return build_parser().format_help()


def _sections(text: str) -> dict[str, str]:
    """Section title -> its text (argparse starts each section with an unindented 'title:' line)."""
    parts = re.split(r"(?m)^(\S[^\n]*):\n", text)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_help_shows_usage_commands_and_every_group(help_text):
    assert help_text.startswith("usage: unseen [OPTIONS] INPUT...")
    sections = _sections(help_text)
    for title in GROUPS.values():
        assert title in sections, title
    commands = next(s for t, s in sections.items() if t.startswith("commands"))
    for cmd in COMMANDS:
        assert f"unseen {cmd.name}" in commands


def test_each_group_fits_a_screen(help_text):
    sections = _sections(help_text)
    for title in GROUPS.values():
        lines = sections[title].strip("\n").splitlines()
        assert 0 < len(lines) <= SCREEN, (title, len(lines))


def test_every_option_sits_in_its_settings_group(help_text):
    sections = _sections(help_text)
    for name, meta in field_help().items():
        if not meta["cli"] or name == "fill":
            continue
        flag = "--no-audio" if name == "audio" else "--" + name.replace("_", "-")
        assert re.search(rf"(?m)^  {flag}\b", sections[GROUPS[meta["group"]]]), (name, meta["group"])


def test_help_states_the_real_defaults(help_text):
    from unseen.cover import box_scale
    from unseen.detect.registry import passes_for

    flat = " ".join(help_text.split())
    assert "preset value" not in flat and "preset's value" not in flat
    scales = ", ".join(f"{p} {box_scale(Settings(preset=p)):g}" for p in PresetName)
    assert f"(default: 0 = the preset's, by preset: {scales})" in flat
    for preset in PresetName:  # each preset's lowest and highest pass threshold
        ts = sorted(p.threshold for p in passes_for(Settings(preset=preset)))
        assert f"{preset} {ts[0]:g}-{ts[-1]:g}" in flat
    assert "--crf N quality" in flat and "0 to 51 (default: 18)" in flat
    assert "(default: veryfast)" in flat and "placebo" in flat


def test_building_the_parser_loads_no_detector_code():
    """The derived defaults are read only when help is printed: a run's start-up pays nothing."""
    code = ("import sys, unseen.cli as c; c.build_parser(); "
            "print(sorted(m for m in sys.modules if 'detect' in m or m == 'unseen.cover'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stdout + out.stderr


def test_check_has_its_own_help(capsys):
    with pytest.raises(SystemExit) as info:
        main(["check", "--help"])
    text = capsys.readouterr().out
    assert info.value.code == 0 and text.startswith("usage: unseen check")
    assert "--min-score" in text and "--step" in text and "--mode" not in text
    assert build_check_parser().prog == "unseen check"


def test_every_command_has_its_own_parser():
    from unseen.cli import _add_commands, _Parser

    parsers = _add_commands(_Parser(prog="unseen"))
    assert sorted(parsers) == sorted(c.name for c in COMMANDS) and len(COMMANDS) == len({c.name for c in COMMANDS})
    for name, parser in parsers.items():
        assert parser.prog == f"unseen {name}"


@pytest.mark.parametrize(
    "argv, hint, says",
    [
        (["x.jpg", "--mode", "pixelate"], "unseen --help", "pixelate"),
        (["x.jpg", "--crf", "60"], "unseen --help", "crf must be 0 to 51"),
        (["x.jpg", "--no-such-option"], "unseen --help", "--no-such-option"),
        ([], "unseen --help", "INPUT"),
        (["check"], "unseen check --help", "FILE"),
        (["check", "x.jpg", "--mode", "blur"], "unseen check --help", "--mode"),
        (["check", "x.jpg", "--step", "0"], "unseen check --help", "--step"),
    ],
)
def test_a_usage_error_is_one_line_pointing_to_help(argv, hint, says):
    code, out, err = run(*argv)
    assert code == ExitStatus.USAGE and out == ""
    assert err.count("\n") == 1 and err.startswith("unseen: error: ") and says in err
    assert err.rstrip().endswith(f"see '{hint}'")


def test_a_file_named_like_a_command_is_reached_after_double_dash(tmp_path, fixed_detector, monkeypatch):
    from PIL import Image

    from .conftest import noise_image

    monkeypatch.chdir(tmp_path)
    Image.fromarray(noise_image()).save(tmp_path / "check", format="JPEG")
    code, _, err = run("--", "check")
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["check", "check.unseen.jpg"]


def test_every_derived_default_is_stated():
    """A setting whose default is 'auto' or a special value (0, -1) gets its real value in --help."""
    from unseen.cli_help import DERIVED_DEFAULTS

    for name, meta in field_help().items():
        has_auto = meta["auto"] is not None or (meta["choices"] is not None and "auto" in {c.value for c in meta["choices"]})
        if has_auto and name != "video_encoder":  # video_encoder's help text says what auto picks
            assert name in DERIVED_DEFAULTS, name
    assert "auto = libx264, VP9 for .webm" in field_help()["video_encoder"]["help"]
