"""The video run's thread plumbing: bounded queues every side polls, and threads that hand errors home.

A thread that fails records its error and sets the shared stop event; every queue operation polls
that event, so no thread can block forever, and the first error is re-raised on the main thread.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Any

QUEUE_FRAMES = 8  # frames in flight between threads, each way
POLL = 0.05
JOIN_TIMEOUT = 30.0
END = object()  # the last item put on a queue


class Stop(Exception):
    """Raised inside a thread when another thread has failed (not an error of its own)."""


class Shared:
    """The stop event and the errors of all threads of one run, and queue operations that poll it."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.errors: list[BaseException] = []
        self.lock = threading.Lock()

    def fail(self, exc: BaseException) -> None:
        with self.lock:
            if not isinstance(exc, Stop):
                self.errors.append(exc)
        self.stop.set()

    def put(self, q: queue.Queue[Any], item: Any) -> None:
        while True:
            if self.stop.is_set():
                raise Stop()
            try:
                q.put(item, timeout=POLL)
                return
            except queue.Full:
                continue

    def get(self, q: queue.Queue[Any]) -> Any:
        while True:
            if self.stop.is_set():
                raise Stop()
            try:
                return q.get(timeout=POLL)
            except queue.Empty:
                continue


class Worker(threading.Thread):
    """Runs ``fn``; an exception is handed to ``shared`` (the main thread re-raises it)."""

    def __init__(self, name: str, fn: Callable[[], None], shared: Shared):
        super().__init__(name=f"unseen-{name}", daemon=True)
        self.fn = fn
        self.shared = shared

    def run(self) -> None:
        try:
            self.fn()
        except BaseException as exc:  # noqa: BLE001  # handed home: the main thread re-raises it
            self.shared.fail(exc)


def join_all(threads: list[Worker], shared: Shared) -> None:
    """Wait for ``threads``: as long as they need while all is well (the writer finishes the file
    after END), at most ``JOIN_TIMEOUT`` seconds once a thread has failed."""
    deadline = time.monotonic() + JOIN_TIMEOUT
    for t in threads:
        while t.is_alive():
            t.join(timeout=POLL)
            if shared.stop.is_set() and time.monotonic() > deadline:
                break


__all__ = ["END", "QUEUE_FRAMES", "Shared", "Stop", "Worker", "join_all"]
