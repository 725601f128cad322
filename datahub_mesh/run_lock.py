"""One run at a time on the same state.

Two runs writing the same decision log fork its hash chain, and two runs saving
the same published state lose one's writes. A run therefore holds an exclusive
lock (``fcntl.flock``) on ``<file>.lock`` beside each state file it writes, for
its whole life; a second run waits up to ``wait_seconds`` and then stops with a
message naming the run that holds it. The kernel releases the lock when the
holder exits, even after a crash, so a stale lock file never blocks anyone.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from datahub.ingestion.api.committable import CommitPolicy, Committable

POLL_SECONDS = 0.1


class RunLockError(RuntimeError):
    pass


def _holder(handle: IO[str]) -> str:
    try:
        handle.seek(0)
        info = json.loads(handle.read() or "{}")
    except (OSError, ValueError):
        return "another run"
    if not isinstance(info, dict) or "pid" not in info:
        return "another run"
    return f"run {info.get('run_id') or '?'} (pid {info['pid']} on {info.get('host', '?')}, started {info.get('started', '?')})"


class RunLock:
    """Exclusive locks on the state files of one run; use as a context manager or acquire()/release()."""

    def __init__(self, state_files: Iterable[Path], wait_seconds: float = 30.0, run_id: str | None = None):
        self.paths = sorted({Path(str(p) + ".lock").resolve() for p in state_files if p})
        self.wait_seconds = wait_seconds
        self.run_id = run_id
        self._handles: list[IO[str]] = []

    def acquire(self) -> RunLock:
        try:
            for path in self.paths:  # always in the same order: two runs never wait on each other
                self._handles.append(self._lock(path))
        except BaseException:
            self.release()
            raise
        return self

    def _lock(self, path: Path) -> IO[str]:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+", encoding="utf-8")
        deadline = time.monotonic() + self.wait_seconds
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _holder(handle)
                    handle.close()
                    raise RunLockError(
                        f"{holder} is using the same state ({path.name[:-len('.lock')]} in {path.parent}); "
                        f"waited {self.wait_seconds:g}s for it to finish. Run again when it is done, or raise "
                        "policy.run_lock_wait_seconds; two runs at once would fork the decision log"
                    ) from None
                time.sleep(POLL_SECONDS)
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "run_id": self.run_id,
                                 "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}))
        handle.flush()
        return handle

    def release(self) -> None:
        while self._handles:
            handle = self._handles.pop()
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            finally:
                handle.close()

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


class ReleaseAfterCommit(Committable):
    """Registered with the pipeline after the state provider, so the lock is held until the run's
    checkpoint is written too (DataHub commits after closing the source)."""

    def __init__(self, lock: RunLock):
        super().__init__(name="datahub-mesh-run-lock", commit_policy=CommitPolicy.ALWAYS)
        self.lock = lock

    def commit(self) -> None:
        self.lock.release()


def hold_for_run(ctx: Any, state_files: Iterable[Path], wait_seconds: float) -> RunLock:
    """Acquire the run's lock and have the pipeline release it after its last commit."""
    lock = RunLock(state_files, wait_seconds, getattr(ctx, "run_id", None)).acquire()
    ctx.register_checkpointer(ReleaseAfterCommit(lock))
    return lock
