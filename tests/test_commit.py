import os

import pytest

from unseen.errors import OutputExists, OutputNotWritable
from unseen.pipeline.commit import check_output_target, clean_stale_temps, is_temp_name, staged_output


def test_clean_exit_moves_into_place(tmp_path):
    final = tmp_path / "out.jpg"
    with staged_output(final, overwrite=False) as tmp:
        assert is_temp_name(tmp.name) and tmp.parent == tmp_path
        tmp.write_bytes(b"x")
    assert final.read_bytes() == b"x"
    assert [p.name for p in tmp_path.iterdir()] == ["out.jpg"]


def test_error_leaves_nothing(tmp_path):
    final = tmp_path / "out.jpg"
    with pytest.raises(RuntimeError):
        with staged_output(final, overwrite=False) as tmp:
            tmp.write_bytes(b"partial")
            raise RuntimeError("encoder died")
    assert list(tmp_path.iterdir()) == []


def test_never_clobbers_a_file_that_appeared_meanwhile(tmp_path):
    final = tmp_path / "out.jpg"
    with pytest.raises(OutputExists):
        with staged_output(final, overwrite=False) as tmp:
            tmp.write_bytes(b"mine")
            final.write_bytes(b"theirs")
    assert final.read_bytes() == b"theirs"
    assert [p.name for p in tmp_path.iterdir()] == ["out.jpg"]


def test_output_checks(tmp_path):
    src = tmp_path / "in.jpg"
    src.write_bytes(b"x")
    with pytest.raises(OutputExists, match="input"):
        check_output_target(src, src, overwrite=True)
    with pytest.raises(OutputExists, match="--overwrite"):
        check_output_target(tmp_path / "a.jpg", src, overwrite=False)
    with pytest.raises(OutputNotWritable, match="does not exist"):
        check_output_target(src, tmp_path / "nope" / "o.jpg", overwrite=False)
    link = tmp_path / "link.jpg"
    link.symlink_to(tmp_path / "elsewhere.jpg")
    with pytest.raises(OutputNotWritable, match="symbolic link"):
        check_output_target(src, link, overwrite=True)


def test_stale_temps_of_dead_processes_are_cleaned(tmp_path):
    dead = tmp_path / ".photo.unseen-tmp-999999999-abcd.jpg"
    dead.write_bytes(b"x")
    mine_alive = tmp_path / f".photo.unseen-tmp-{os.getppid()}-abcd.jpg"
    mine_alive.write_bytes(b"x")
    keep = tmp_path / "photo.jpg"
    keep.write_bytes(b"x")
    removed = clean_stale_temps(tmp_path)
    assert removed == [dead]
    assert mine_alive.exists() and keep.exists()
