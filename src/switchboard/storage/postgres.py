"""The server store: PostgreSQL (psycopg 3), leased by `pg_try_advisory_lock` per instance id."""

from __future__ import annotations

import hashlib

import psycopg
from psycopg import sql

from switchboard.storage.codec import CODEC, Codec
from switchboard.storage.store import LeaseHeld, SqlStore, _Cursor

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq BIGINT PRIMARY KEY, type TEXT NOT NULL, version INTEGER NOT NULL, payload BYTEA NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    position BIGINT PRIMARY KEY, kind TEXT NOT NULL, key TEXT NOT NULL,
    record_id TEXT NOT NULL, payload BYTEA NOT NULL
);
CREATE TABLE IF NOT EXISTS offsets (sink TEXT PRIMARY KEY, position BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS snapshots (seq BIGINT PRIMARY KEY, state BYTEA NOT NULL);
"""


def lease_key(instance_id: str) -> int:
    """The advisory-lock key of an instance: 64 bits of a hash of its id, signed."""
    digest = hashlib.sha1(f"switchboard|{instance_id}".encode(), usedforsecurity=False).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PostgresStore(SqlStore):
    """One instance's events, outbox, sink offsets and snapshots in one PostgreSQL schema.

    The connection holds a session advisory lock keyed by the instance id while the store is
    open: a second writer of the same instance is refused with `LeaseHeld`, naming the holder.
    """

    P = "%s"
    GREATEST = "GREATEST"

    def __init__(
        self,
        conninfo: str,
        *,
        instance_id: str,
        schema: str = "switchboard",
        codec: Codec = CODEC,
    ) -> None:
        super().__init__(codec)
        self.instance_id = instance_id
        self.schema = schema
        self._db = psycopg.connect(conninfo, autocommit=False, application_name="switchboard")
        try:
            self._lease(lease_key(instance_id))
            with self._db.cursor() as cur:
                cur.execute(
                    sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema))
                )
                cur.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
                cur.execute(SCHEMA.encode())
            self._db.commit()
            self._load_counters()
        except BaseException:
            self._db.close()
            raise

    def _lease(self, key: int) -> None:
        with self._db.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_lock(%s)", (key,))
            row = cur.fetchone()
            if row is not None and row[0]:
                self._db.commit()
                return
            cur.execute(
                "SELECT a.pid, a.application_name, a.client_addr FROM pg_locks l "
                "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
                "AND l.granted AND l.classid = %s::oid AND l.objid = %s::oid AND l.objsubid = 1",
                ((key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF),
            )
            holder = cur.fetchone()
        self._db.rollback()
        who = "unknown" if holder is None else f"pid {holder[0]} ({holder[1]}, {holder[2]})"
        raise LeaseHeld(
            f"instance {self.instance_id!r} is leased by another PostgreSQL session: {who}; "
            "one writer per instance"
        )

    def _cursor(self) -> _Cursor:
        return self._db.cursor()

    def _commit(self) -> None:
        self._db.commit()

    def _rollback(self) -> None:
        self._db.rollback()

    def _release(self) -> None:
        self._db.close()  # ends the session, which releases its advisory lock


__all__ = ["SCHEMA", "PostgresStore", "lease_key"]
