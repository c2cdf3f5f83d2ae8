"""``--workers`` auto (the default): min(cores, available memory / a worker's measured peak, files),
at least 1; one file or a detector object runs in this process; the choice is in the report."""

from __future__ import annotations

import io
import json
import multiprocessing
from pathlib import Path

import pytest
from PIL import Image

from tests.media_factory import face_like
from unseen.cli import build_parser, main
from unseen.pipeline.batch import process_paths
from unseen.pipeline.progress import FileStarted
from unseen.pipeline.worker_count import (
    WORKER_BYTES,
    auto_workers,
    choose_workers,
    cores_available,
    memory_available,
)
from unseen.settings import Settings

GB = 10**9


def test_the_rule_takes_the_smallest_of_cores_memory_and_files() -> None:
    assert auto_workers(files=10, cores=4, available_bytes=100 * GB) == 4  # cores
    assert auto_workers(files=10, cores=16, available_bytes=3 * WORKER_BYTES + 1) == 3  # memory
    assert auto_workers(files=2, cores=16, available_bytes=100 * GB) == 2  # files
    assert auto_workers(files=10, cores=8, available_bytes=8 * GB, per_worker_bytes=3 * GB) == 2
    assert auto_workers(files=10, cores=8, available_bytes=None) == 8  # memory unknown: no limit from it


@pytest.mark.parametrize(("files", "cores", "memory"), [(0, 4, 100 * GB), (10, 0, 100 * GB), (10, 4, 0), (10, 4, 1)])
def test_the_rule_gives_at_least_one(files, cores, memory) -> None:
    assert auto_workers(files=files, cores=cores, available_bytes=memory) == 1


def test_choice_explicit_single_file_and_detector_object() -> None:
    big = {"cores": 8, "available_bytes": 100 * GB}
    assert choose_workers(3, 10, in_process_detector=False, **big).workers == 3  # as asked
    assert choose_workers(3, 2, in_process_detector=False, **big).workers == 2  # never more than files
    auto = choose_workers(0, 10, in_process_detector=False, **big)
    assert (auto.workers, auto.auto) == (8, True)
    assert auto.describe() == "8 worker processes (auto: 8 cores, 100.0 GB available, 10 file(s))"
    assert choose_workers(0, 1, in_process_detector=False, **big).workers == 1  # one file: in-process
    pinned = choose_workers(0, 10, in_process_detector=True, **big)
    assert pinned.workers == 1 and "cannot go to another process" in pinned.describe()


def test_the_machine_is_read_from_this_process() -> None:
    import os

    assert 1 <= cores_available() <= (os.cpu_count() or 1)
    mem = memory_available()
    assert mem is None or mem > 0


def test_default_is_auto_and_the_word_auto_is_accepted() -> None:
    # Was: --workers defaulted to 1 (every batch in one process, whatever the machine).
    assert Settings().workers == 0
    assert build_parser().parse_args(["x", "--workers", "auto"]).workers == 0
    assert build_parser().parse_args(["x", "--workers", "3"]).workers == 3


def _folder(root: Path, n: int) -> Path:
    src = root / "in"
    src.mkdir()
    for i in range(n):
        Image.fromarray(face_like(120, 160, seed=i)).save(src / f"p{i}.jpg")
    return src


def test_a_folder_batch_with_the_default_runs_on_the_chosen_workers(tmp_path: Path) -> None:
    cores, mem = cores_available(), memory_available()
    expected = auto_workers(3, cores, mem)
    if expected < 2:
        pytest.skip(f"this machine allows one worker ({cores} cores, {mem} bytes available)")
    src = _folder(tmp_path, 3)
    children: list[int] = []

    def progress(ev) -> None:
        if isinstance(ev, FileStarted):
            children.append(len(multiprocessing.active_children()))

    rep = process_paths([src], tmp_path / "out", Settings(threads=1), progress=progress)
    assert rep.exit_status == 0, [f.error for f in rep.failed]
    assert rep.workers == expected and "auto:" in rep.workers_how and max(children) >= 2
    assert rep.to_dict()["workers"] == expected


def test_cli_summary_names_the_workers(tmp_path: Path, fixed_detector) -> None:
    # with a pinned detector (as here) the batch stays in this process, and says why
    src = _folder(tmp_path, 2)
    out = io.StringIO()
    assert main([str(src), "-o", str(tmp_path / "out"), "-q"], stdout=out, stderr=io.StringIO()) == 0
    assert "ran on this process (auto: a detector object given" in out.getvalue()
    out = io.StringIO()
    assert main([str(src), "-o", str(tmp_path / "json"), "--json"], stdout=out, stderr=io.StringIO()) == 0
    assert json.loads(out.getvalue())["workers"] == 1


def _workers_of(pid: int) -> list[int]:
    try:
        kids = [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
    out = []
    for k in kids:
        try:
            if "resource_tracker" not in Path(f"/proc/{k}/cmdline").read_text():
                out.append(k)
        except OSError:
            pass
    return out


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_workers_stop_when_the_batch_process_is_killed(tmp_path: Path) -> None:
    # An orphaned worker used to finish its file: an output in no manifest, which --resume refuses.
    import os
    import signal
    import subprocess
    import sys
    import time

    src = tmp_path / "in"
    src.mkdir()
    for i in range(4):
        Image.fromarray(face_like(1500, 2000, seed=i)).save(src / f"p{i}.jpg")
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1] / "src"))
    cmd = [sys.executable, "-m", "unseen", str(src), "-o", str(out), "--workers", "2", "--threads", "1", "-q"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    workers: list[int] = []
    while time.monotonic() < deadline and proc.poll() is None:
        workers = _workers_of(proc.pid)
        temps = list(out.glob(".*unseen-tmp-*")) if out.exists() else []
        if len(workers) == 2 and temps:  # both loaded, one writing a file
            break
        time.sleep(0.05)
    if proc.poll() is not None or len(workers) < 2:
        proc.kill()
        pytest.skip("the batch finished before the workers could be caught mid-file")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    time.sleep(2)  # a file within a poll (0.5 s) of its rename may still be committed, complete
    alive = [
        w for w in workers if Path(f"/proc/{w}").exists() and Path(f"/proc/{w}/stat").read_text().split()[2] != "Z"
    ]
    assert alive == []
    done = sorted(p.name for p in out.glob("p*.jpg"))
    time.sleep(5)
    assert sorted(p.name for p in out.glob("p*.jpg")) == done  # nothing committed after that


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_a_killed_workers_temporary_file_is_cleaned_while_it_is_still_a_zombie(tmp_path: Path) -> None:
    # A killed batch's workers are reaped by whoever adopts them, maybe after the next run starts;
    # a zombie's pid still answers kill(pid, 0), so its temporary file was kept as "being written".
    import os
    import subprocess
    import sys
    import time

    from unseen.pipeline.commit import TMP_MARK, clean_stale_temps, temp_path_for

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        for _ in range(200):  # until it has exited (not reaped: we are its parent and do not wait)
            if Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                break
            time.sleep(0.05)
        name = temp_path_for(tmp_path / "p.jpg").name.replace(f"{TMP_MARK}{os.getpid()}-", f"{TMP_MARK}{child.pid}-")
        temp = tmp_path / name
        temp.write_bytes(b"half a photo")
        removed = clean_stale_temps(tmp_path)
        assert temp in removed and not temp.exists()
    finally:
        child.wait()
