"""The run lock: one run of a pipeline at a time (an exclusive, non-blocking lock file)."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from cibg_ds.errors import CibgDsError
from cibg_ds.pipelines.record import now

LOCK = ".lock"
"""The lock file, beside the runs of a pipeline."""


class RunLocked(CibgDsError):
    """Another run of the same pipeline holds the lock."""


class RunLock:
    """An exclusive, non-blocking lock file holding the owner's pid and start time.

    Parameters
    ----------
    path : Path
        The lock file.
    pipeline : str
        The pipeline's name, for the message of :class:`RunLocked`.
    """

    def __init__(self, path: Path, pipeline: str):
        self.path, self.pipeline, self.fh = path, pipeline, None

    def __enter__(self):
        self.fh = self.path.open("a+")
        try:
            fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.fh.seek(0)
            owner = self.fh.read().strip() or "unknown process"
            self.fh.close()
            raise RunLocked(
                f"pipeline {self.pipeline!r} is already running ({owner}); this start does "
                "nothing. Wait for it to finish."
            ) from None
        self.fh.seek(0)
        self.fh.truncate()
        self.fh.write(f"pid {os.getpid()} since {now()}")
        self.fh.flush()
        return self

    def __exit__(self, *exc):
        self.fh.seek(0)
        self.fh.truncate()
        fcntl.flock(self.fh, fcntl.LOCK_UN)
        self.fh.close()
