"""The copy journal: which source versions are in flight and which are done (SQLite).

A version is marked ``inflight`` (committed) before its target put and ``done`` (committed)
only after the put succeeded. A run killed at any moment therefore leaves each version either
not started, in flight (the put may or may not have landed: the next run looks at the target
before putting again) or done (never copied again).
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from mlps.errors import InputError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS versions (
  bucket TEXT NOT NULL, key TEXT NOT NULL, source_version TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('inflight', 'done')),
  marker INTEGER NOT NULL, size INTEGER NOT NULL, sha256 TEXT NOT NULL DEFAULT '',
  target_version TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (bucket, key, source_version));
"""

INFLIGHT, DONE = "inflight", "done"


class Journal:
    """One SQLite file shared by the copy threads (one connection behind a lock)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise InputError(str(path), f"not a usable journal: {exc}",
                             "give a new file or the journal of this drill") from None
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def bind(self, source: str, target: str) -> None:
        """Tie the journal to one source and target endpoint; refuse another pair."""
        with self._lock:
            rows = dict(self._db.execute("SELECT name, value FROM meta").fetchall())
            for name, value in (("source", source), ("target", target)):
                if name in rows and rows[name] != value:
                    raise InputError(str(self.path), f"journal of {name} {rows[name]}, not {value}",
                                     "use the journal of this drill or a new file")
                self._db.execute("INSERT OR IGNORE INTO meta VALUES (?, ?)", (name, value))

    def states(self, bucket: str, key: str) -> dict[str, tuple[str, str, str]]:
        """source version → (state, sha256, target version) for one key."""
        with self._lock:
            rows = self._db.execute(
                "SELECT source_version, state, sha256, target_version FROM versions "
                "WHERE bucket = ? AND key = ?", (bucket, key)).fetchall()
        return {r[0]: (r[1], r[2], r[3]) for r in rows}

    def start(self, bucket: str, key: str, version: str, marker: bool, size: int) -> None:
        """Mark a version in flight (committed before its put)."""
        with self._lock:
            self._db.execute(
                "INSERT INTO versions (bucket, key, source_version, state, marker, size) "
                "VALUES (?, ?, ?, 'inflight', ?, ?) ON CONFLICT DO NOTHING",
                (bucket, key, version, int(marker), size))

    def finish(self, bucket: str, key: str, version: str, sha256: str, target_version: str) -> None:
        """Mark a version done (committed after its put succeeded)."""
        with self._lock:
            self._db.execute(
                "UPDATE versions SET state = 'done', sha256 = ?, target_version = ? "
                "WHERE bucket = ? AND key = ? AND source_version = ?",
                (sha256, target_version, bucket, key, version))

    def counts(self) -> dict[str, int]:
        """Versions per state."""
        with self._lock:
            rows = self._db.execute("SELECT state, COUNT(*) FROM versions GROUP BY state").fetchall()
        return {str(r[0]): int(r[1]) for r in rows}
