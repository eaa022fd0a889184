"""The embedded store: SQLite (WAL, synchronous=NORMAL), leased by an OS lock on `<db>.lock`."""

from __future__ import annotations

import fcntl
import os
import sqlite3
from pathlib import Path
from typing import IO

from switchboard.storage.codec import CODEC, Codec
from switchboard.storage.store import LeaseHeld, SqlStore, _Cursor

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY, type TEXT NOT NULL, version INTEGER NOT NULL, payload BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    position INTEGER PRIMARY KEY, kind TEXT NOT NULL, key TEXT NOT NULL,
    record_id TEXT NOT NULL, payload BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS offsets (sink TEXT PRIMARY KEY, position INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS snapshots (seq INTEGER PRIMARY KEY, state BLOB NOT NULL);
"""


class SqliteStore(SqlStore):
    """One instance's events, outbox, sink offsets and snapshots in one SQLite file.

    WAL with synchronous=NORMAL: a committed transaction survives a crash of the process (what
    acknowledging a command needs); a power loss may lose the last commits but never corrupts.
    """

    P = "?"
    GREATEST = "max"

    def __init__(self, path: Path | str, *, codec: Codec = CODEC) -> None:
        super().__init__(codec)
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self._lock: IO[str] | None = _take_lock(self.lock_path)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
            self._db.execute("BEGIN")
            self._load_counters()
        except BaseException:
            self._unlock()
            raise

    def _cursor(self) -> _Cursor:
        if not self._db.in_transaction:
            self._db.execute("BEGIN IMMEDIATE")
        return self._db.cursor()

    def _commit(self) -> None:
        if self._db.in_transaction:
            self._db.execute("COMMIT")

    def _rollback(self) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

    def _release(self) -> None:
        self._db.close()
        self._unlock()

    def _unlock(self) -> None:
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None


def _take_lock(path: Path) -> IO[str]:
    handle = path.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise LeaseHeld(
            f"another process (pid {holder}) holds the store's lock {path}; one writer per instance"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


__all__ = ["SCHEMA", "SqliteStore"]
