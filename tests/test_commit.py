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
    check_output_target(src, tmp_path / "nope" / "o.jpg", overwrite=False)  # created when committed
    with pytest.raises(OutputNotWritable, match="not a folder"):
        check_output_target(src, src / "nope" / "o.jpg", overwrite=False)
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


def test_a_temp_this_process_is_writing_survives_a_clean_from_another_thread(tmp_path):
    """Two anonymizations in one process writing into one folder: the second's clean-up must not
    delete the first one's temporary file (its pid is this process's own)."""
    import threading

    final = tmp_path / "out.jpg"
    with staged_output(final, overwrite=False) as tmp:
        tmp.write_bytes(b"being written")
        seen: list = []
        t = threading.Thread(target=lambda: seen.append(clean_stale_temps(tmp_path.parent / tmp_path.name)))
        t.start()
        t.join()
        assert seen == [[]] and tmp.exists()
    assert final.read_bytes() == b"being written"
    # Once finished, a temp left with this process's pid (pid reuse after a crash) is stale again.
    left = tmp_path / tmp.name
    left.write_bytes(b"x")
    assert clean_stale_temps(tmp_path) == [left]


def test_another_machines_temp_is_kept_until_a_day_old(tmp_path):
    from unseen.pipeline import commit

    other = "0" * 8 if commit._HOST != "0" * 8 else "1" * 8
    foreign = tmp_path / f".photo.unseen-tmp-999999999-{other}-abcd1234.jpg"  # its pid means nothing here
    foreign.write_bytes(b"x")
    local_dead = tmp_path / f".photo.unseen-tmp-999999999-{commit._HOST}-abcd1234.jpg"
    local_dead.write_bytes(b"x")
    assert clean_stale_temps(tmp_path) == [local_dead]
    assert foreign.exists()
    old = os.stat(foreign).st_mtime - commit.FOREIGN_STALE_SECONDS - 60
    os.utime(foreign, (old, old))
    assert clean_stale_temps(tmp_path) == [foreign]


def test_temp_names_carry_pid_and_host(tmp_path):
    from unseen.pipeline import commit

    name = commit.temp_path_for(tmp_path / "clip.mp4").name
    assert name.startswith(".clip.unseen-tmp-") and name.endswith(".mp4") and is_temp_name(name)
    assert commit._temp_owner(name) == (os.getpid(), commit._HOST)
    assert commit._temp_owner(".clip.unseen-tmp-123-abcd.mp4") == (123, None)  # before hosts were recorded
    assert commit._temp_owner(".clip.unseen-tmp-x-abcd.mp4") is None
