"""The durable event store: one log and outbox per instance, batches in one transaction, snapshots.

Both backends (`sqlite.py`, `postgres.py`) share this logic and differ only in their SQL dialect
and their lease. The store is the single writer of its instance (it holds the lease while open),
so it numbers events and outbox positions itself, gaplessly, from what is on disk at open.
"""

from __future__ import annotations

import pickle
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from switchboard.domain.events import Event
from switchboard.engine.clock import Clock
from switchboard.engine.engine import Engine
from switchboard.engine.ids import IdSource
from switchboard.engine.log import EventLog
from switchboard.engine.outbox import Outbox, OutboxEntry, OutboxRecord, RecordKind
from switchboard.storage.codec import CODEC, Codec

Batch = tuple[Sequence[Event], Sequence[OutboxEntry]]
"""One command's events and the records it published."""


class LeaseHeld(Exception):
    """Another process holds this instance's store: a second writer is refused."""


class StoreClosed(Exception):
    """The store was used after `close`."""


class _Cursor(Protocol):
    def execute(self, sql: Any, params: Any = ..., /) -> Any: ...
    def executemany(self, sql: Any, params: Any, /) -> Any: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class SqlStore:
    """The store's logic over a DB-API connection; subclasses give the SQL dialect and the lease.

    It meets both engine ports, `EventLog` (`next_seq`, `append`, `read`) and `Outbox`
    (`append`, `read`, `offset`, `commit`): as an `Outbox` pass `store.outbox`.
    """

    P = "?"
    """The parameter placeholder."""
    GREATEST = "max"

    def __init__(self, codec: Codec = CODEC) -> None:
        self.codec = codec
        self._next_seq = 1
        self._next_position = 1
        self._closed = False
        self._mutex = threading.RLock()
        """One connection serves the engine's thread and the sinks' threads: a transaction at a
        time (without it their transactions interleave on the connection)."""
        self.outbox = StoreOutbox(self)

    # --- the subclass's part ---------------------------------------------------------------

    def _cursor(self) -> _Cursor:
        raise NotImplementedError

    def _commit(self) -> None:
        raise NotImplementedError

    def _rollback(self) -> None:
        raise NotImplementedError

    def _release(self) -> None:
        """Close the connection and release the lease."""
        raise NotImplementedError

    def _load_counters(self) -> None:
        cur = self._cursor()
        cur.execute("SELECT COALESCE(MAX(seq), 0) FROM events")
        self._next_seq = int(cur.fetchone()[0]) + 1
        cur.execute("SELECT COALESCE(MAX(position), 0) FROM outbox")
        self._next_position = int(cur.fetchone()[0]) + 1
        self._commit()

    def _check(self) -> None:
        if self._closed:
            raise StoreClosed("the event store is closed")

    # --- EventLog ----------------------------------------------------------------------------

    @property
    def next_seq(self) -> int:
        """The sequence number the next appended event will get (the first is 1)."""
        return self._next_seq

    @property
    def last_position(self) -> int:
        """The outbox position of the last record stored (0: none yet)."""
        return self._next_position - 1

    def append(self, events: Sequence[Event]) -> None:
        self.append_batch(events, ())

    def read(self, after: int = 0) -> Iterator[tuple[int, Event]]:
        """Every event with a sequence number greater than `after`, in order."""
        self._check()
        decode = self.codec.decode
        page = 5000
        while True:
            with self._mutex:
                cur = self._cursor()
                cur.execute(
                    f"SELECT seq, type, version, payload FROM events WHERE seq > {self.P} "
                    f"ORDER BY seq LIMIT {page}",
                    (after,),
                )
                rows = cur.fetchall()
                self._commit()
            for seq, type_name, version, payload in rows:
                yield int(seq), decode(type_name, int(version), bytes(payload))
            if len(rows) < page:
                return
            after = int(rows[-1][0])

    # --- batches -----------------------------------------------------------------------------

    def append_batch(self, events: Sequence[Event], entries: Sequence[OutboxEntry]) -> int:
        """Write one command's events and outbox entries in one transaction, durably.

        Returns the sequence number of the last event stored so far (the acknowledged one).
        """
        return self.append_batches([(events, entries)])

    def append_batches(self, batches: Iterable[Batch]) -> int:
        """Group commit: several commands' batches in one transaction (one sync to disk)."""
        self._check()
        with self._mutex:
            seq, position = self._next_seq, self._next_position
            try:
                cur = self._cursor()
                event_rows: list[tuple[int, str, int, bytes]] = []
                entry_rows: list[tuple[int, str, str, str, bytes]] = []
                for events, entries in batches:
                    for event in events:
                        row = self.codec.encode(event)
                        event_rows.append((seq, row.type, row.version, row.payload))
                        seq += 1
                    for entry in entries:
                        entry_rows.append(
                            (position, entry.kind.value, entry.key, entry.record_id, entry.payload)
                        )
                        position += 1
                p = self.P
                if event_rows:
                    cur.executemany(
                        "INSERT INTO events (seq, type, version, payload) "
                        f"VALUES ({p}, {p}, {p}, {p})",
                        event_rows,
                    )
                if entry_rows:
                    cur.executemany(
                        "INSERT INTO outbox (position, kind, key, record_id, payload) "
                        f"VALUES ({p}, {p}, {p}, {p}, {p})",
                        entry_rows,
                    )
                self._commit()
            except BaseException:
                self._rollback()
                raise
            self._next_seq, self._next_position = seq, position
            return seq - 1

    # --- Outbox ------------------------------------------------------------------------------

    def outbox_read(self, after: int, limit: int = 1000) -> list[OutboxRecord]:
        self._check()
        with self._mutex:
            cur = self._cursor()
            cur.execute(
                "SELECT position, kind, key, record_id, payload FROM outbox "
                f"WHERE position > {self.P} ORDER BY position LIMIT {self.P}",
                (after, limit),
            )
            rows = cur.fetchall()
            self._commit()
            return [
                OutboxRecord(int(pos), OutboxEntry(RecordKind(kind), key, rid, bytes(payload)))
                for pos, kind, key, rid, payload in rows
            ]

    def offset(self, sink: str) -> int:
        """The last position `sink` has delivered (0 when it has delivered nothing)."""
        self._check()
        with self._mutex:
            cur = self._cursor()
            cur.execute(f"SELECT position FROM offsets WHERE sink = {self.P}", (sink,))
            row = cur.fetchone()
            self._commit()
            return 0 if row is None else int(row[0])

    def commit(self, sink: str, position: int) -> None:
        """Record that `sink` delivered everything up to `position` (never moves backwards)."""
        self._check()
        with self._mutex:
            try:
                self._cursor().execute(
                    f"INSERT INTO offsets (sink, position) VALUES ({self.P}, {self.P}) "
                    "ON CONFLICT (sink) DO UPDATE SET position = "
                    f"{self.GREATEST}(offsets.position, excluded.position)",
                    (sink, position),
                )
                self._commit()
            except BaseException:
                self._rollback()
                raise

    # --- snapshots ---------------------------------------------------------------------------

    def save_snapshot(self, seq: int, state: bytes) -> None:
        """Keep `state` as the image of the instance after event `seq` (replacing an older one)."""
        self._check()
        with self._mutex:
            p = self.P
            try:
                cur = self._cursor()
                cur.execute(f"DELETE FROM snapshots WHERE seq <= {p}", (seq,))
                cur.execute(f"INSERT INTO snapshots (seq, state) VALUES ({p}, {p})", (seq, state))
                self._commit()
            except BaseException:
                self._rollback()
                raise

    def latest_snapshot(self) -> tuple[int, bytes] | None:
        self._check()
        with self._mutex:
            cur = self._cursor()
            cur.execute("SELECT seq, state FROM snapshots ORDER BY seq DESC LIMIT 1")
            row = cur.fetchone()
            self._commit()
            return None if row is None else (int(row[0]), bytes(row[1]))

    # --- lifetime ----------------------------------------------------------------------------

    def close(self) -> None:
        with self._mutex:
            if not self._closed:
                self._closed = True
                self._release()

    def __enter__(self) -> SqlStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class StoreOutbox:
    """A store seen through the `Outbox` port."""

    def __init__(self, store: SqlStore) -> None:
        self.store = store

    def append(self, entries: Sequence[OutboxEntry]) -> None:
        self.store.append_batch((), entries)

    def read(self, after: int, limit: int = 1000) -> list[OutboxRecord]:
        return self.store.outbox_read(after, limit)

    def offset(self, sink: str) -> int:
        return self.store.offset(sink)

    def commit(self, sink: str, position: int) -> None:
        self.store.commit(sink, position)


# --- snapshots of an engine and restart -----------------------------------------------------


def snapshot_engine(engine: Engine) -> bytes:
    """The engine's image (state and stream projection), pickled, to resume after a restart."""
    return pickle.dumps(engine.image(), protocol=pickle.HIGHEST_PROTOCOL)


def restore_engine(engine: Engine, image: bytes) -> None:
    """Put a `snapshot_engine` image into a fresh engine (only trusted bytes: this is pickle)."""
    engine.restore(pickle.loads(image))


def save_engine_snapshot(store: SqlStore, engine: Engine) -> int:
    """Snapshot `engine` at the store's last event; returns that sequence number."""
    seq = store.next_seq - 1
    store.save_snapshot(seq, snapshot_engine(engine))
    return seq


def open_engine(store: SqlStore, clock: Clock, ids: IdSource, *, stream: bool = True) -> Engine:
    """Restart: the latest snapshot, then the log's tail replayed, with `store` as the log."""
    engine = Engine(clock=clock, ids=ids, log=store, stream=stream)
    after = 0
    latest = store.latest_snapshot()
    if latest is not None:
        after, image = latest
        restore_engine(engine, image)
    engine.replay(store.read(after))
    return engine


if TYPE_CHECKING:  # mypy checks that a store meets both engine ports

    def _ports(store: SqlStore) -> tuple[EventLog, Outbox]:
        return store, store.outbox


__all__ = [
    "Batch",
    "LeaseHeld",
    "SqlStore",
    "StoreClosed",
    "StoreOutbox",
    "open_engine",
    "restore_engine",
    "save_engine_snapshot",
    "snapshot_engine",
]
