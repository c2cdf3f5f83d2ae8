"""Offline guarantee: anonymizing works with networking made impossible, and attempts no connection."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap

import pytest

from .conftest import EXAMPLE_PHOTO

GUARD = textwrap.dedent(
    """
    import socket, sys
    attempts = []
    def _refuse(*args, **kwargs):
        attempts.append(repr(args)[:200])
        raise OSError("network disabled by test")
    for name in ("connect", "connect_ex", "sendto", "bind"):
        setattr(socket.socket, name, _refuse)
    socket.getaddrinfo = _refuse
    socket.create_connection = _refuse
    import unseen
    rep = unseen.anonymize_path(sys.argv[1], sys.argv[2])
    failed = [f.error for f in rep.files if f.status != "ok"]
    print("ATTEMPTS", len(attempts), attempts[:3])
    print("FAILED", failed)
    sys.exit(1 if failed or attempts else 0)
    """
)


def _inputs(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(EXAMPLE_PHOTO, src / "photo.jpg")
    try:
        from .video_factory import make_clip  # built by the video tests
    except ImportError:
        make_clip = None
    if make_clip is not None:
        make_clip(src / "clip.mp4")
    return src


def test_no_connection_attempted_with_sockets_blocked(tmp_path):
    src = _inputs(tmp_path)
    r = subprocess.run([sys.executable, "-c", GUARD, str(src), str(tmp_path / "out")],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "ATTEMPTS 0" in r.stdout
    assert (tmp_path / "out" / "photo.jpg").exists()


def _unshare_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode == 0


def test_runs_in_a_network_namespace_without_network(tmp_path):
    if not _unshare_works():
        pytest.skip("unshare -rn is not available here (needs user namespaces)")
    src = _inputs(tmp_path)
    r = subprocess.run(["unshare", "-rn", sys.executable, "-m", "unseen", str(src), "-o", str(tmp_path / "out"), "-q"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (tmp_path / "out" / "photo.jpg").exists()
