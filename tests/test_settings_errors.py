import pytest

from unseen import errors
from unseen.errors import ConfigError, ExitStatus, InputNotFound, UnseenError
from unseen.settings import Settings, field_help


def test_defaults_are_the_safe_choice():
    s = Settings()
    assert s.mode == "solid" and s.audio is True and s.keep_data_streams is False and s.overwrite is False


@pytest.mark.parametrize(
    "change",
    [{"mode": "pixelate"}, {"mosaic_blocks": 16}, {"box_scale": 0.5}, {"threshold": 1.5}, {"crf": 99},
     {"hold_before": -1}, {"threads": -2}, {"fill": (0, 0)}],
)
def test_invalid_settings_raise_config_error(change):
    with pytest.raises(ConfigError):
        Settings().replace(**change)


def test_unknown_setting_rejected():
    with pytest.raises(ConfigError, match="unknown setting"):
        Settings().replace(colour="red")


def test_every_setting_has_help():
    for name, meta in field_help().items():
        assert meta["help"], name


def test_weaker_modes_say_so_in_help():
    assert "NOT anonymization" in field_help()["mode"]["help"]


def test_config_file(tmp_path):
    p = tmp_path / "c.json"
    p.write_text('{"mode": "mosaic", "mosaic_blocks": 3}')
    s = Settings.from_file(p)
    assert s.mode == "mosaic" and s.mosaic_blocks == 3
    p.write_text("[1]")
    with pytest.raises(ConfigError):
        Settings.from_file(p)


def test_error_tree_and_messages():
    e = InputNotFound("no such file", path="a/b.jpg")
    assert isinstance(e, errors.InputError) and isinstance(e, UnseenError)
    assert e.exit_status == ExitStatus.INPUT and e.message == "a/b.jpg: no such file"
    e2 = errors.CorruptInput("undecodable", where="frame 12 (0.400 s)").with_path("v.mp4")
    assert str(e2) == "v.mp4: frame 12 (0.400 s): undecodable"
    assert errors.ModelError("x").exit_status == ExitStatus.MODEL
    assert len({c.exit_status for c in (errors.ConfigError, errors.InputError, errors.OutputError,
                                          errors.ModelError, errors.VerificationError)}) == 5
