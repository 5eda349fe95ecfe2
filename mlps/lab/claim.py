"""A lab belongs to one process at a time: the process that brings it up or down holds a lock.

Bringing a lab up first removes what an earlier lab of the same name left. Without a claim,
a second process (another test worker, a second ``mlps lab up``) would remove a lab that is
still in use. The lock is an ``flock`` on ``CLAIM_ROOT/<name>.lock``: the kernel drops it when
the holder exits, so a crashed process never leaves a lab unclaimable.
"""

from __future__ import annotations

import fcntl
import os
from typing import IO

from mlps.lab.errors import LabError
from mlps.lab.names import LabNames


class Claim:
    """An exclusive, non-blocking hold on one lab name; ``release`` or process exit ends it."""

    def __init__(self, names: LabNames) -> None:
        self.names = names
        self._file: IO[str] | None = None

    @property
    def held(self) -> bool:
        return self._file is not None

    def take(self) -> None:
        """Hold the name, or raise LabError naming the process that holds it."""
        if self._file is not None:
            return
        path = self.names.claim_path
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+")  # noqa: SIM115  held open for as long as the claim lasts
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise LabError(
                f"lab {self.names.lab} is in use by {holder}: it is left as it is; "
                "wait for that process to end or choose another lab name"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()}\n")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
