"""Catch what C libraries print on file descriptor 2 while they decode, so it can go into the error.

libtiff reports why a strip cannot be decoded ("LZWDecode: Not enough data at scanline 0") by
writing to the process's stderr, and Pillow then raises only "decoder error -2". Left alone, a
failed TIFF gives two lines on the terminal and a vague reason. :func:`captured_fd2` points fd 2
at a temporary file for the duration of a decode (serialised by a lock: fd 2 belongs to the whole
process) and hands back the lines, which the caller puts into its one-line error.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import threading
from collections.abc import Iterator

_LOCK = threading.RLock()  # re-entrant: a capture may run inside another (the CLI under test)
MAX_BYTES = 8192


@contextlib.contextmanager
def captured_fd2(enabled: bool = True) -> Iterator[list[str]]:
    """Yield a list that, after the block, holds the lines written to fd 2 during it."""
    lines: list[str] = []
    if not enabled:
        yield lines
        return
    with _LOCK:
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        try:
            saved = os.dup(2)
        except OSError:  # no fd 2 at all: nothing to catch
            yield lines
            return
        with tempfile.TemporaryFile() as tmp:
            os.dup2(tmp.fileno(), 2)
            try:
                yield lines
            finally:
                os.dup2(saved, 2)
                os.close(saved)
                tmp.seek(0)
                text = tmp.read(MAX_BYTES).decode("utf-8", "replace")
                lines.extend(ln.strip() for ln in text.splitlines() if ln.strip())
