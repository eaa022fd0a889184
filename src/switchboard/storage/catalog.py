"""The server's catalog: what is not in an instance's log (API-only facts, credentials, audit).

Instances' engines live in their own stores (`SqliteStore` / `PostgresStore`); the catalog keeps
the rest as small JSON documents by (kind, key): each instance's API-only facts (alias,
descriptions, security profiles of users), password hashes, encrypted access keys, sessions —
plus the supervisors' audit trail. Several processes may use one catalog at once (`switchboard
keys create` while `serve` runs): every write is its own short transaction.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import psycopg
from psycopg import sql

__all__ = ["AuditEntry", "Catalog", "PostgresCatalog", "SqliteCatalog"]

Document = dict[str, Any]


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One supervisor or admin action: who did what to whom, when and why."""

    at: int
    """Milliseconds since the epoch."""
    instance_id: str
    actor: str
    action: str
    target: str
    reason: str
    detail: Document


class Catalog:
    """Documents by (kind, key) and an append-only audit trail; subclasses give the SQL dialect."""

    P = "?"

    def __init__(self) -> None:
        self._mutex = threading.RLock()

    # --- the subclass's part ---------------------------------------------------------------

    def _execute(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run one statement in its own transaction; the rows it returns."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    # --- documents ---------------------------------------------------------------------------

    def put(self, kind: str, key: str, document: Document) -> None:
        p = self.P
        self._execute(
            f"INSERT INTO documents (kind, key, body) VALUES ({p}, {p}, {p}) "
            "ON CONFLICT (kind, key) DO UPDATE SET body = excluded.body",
            (kind, key, orjson.dumps(document)),
        )

    def add(self, kind: str, key: str, document: Document) -> bool:
        """Store `document` unless the key is taken; whether it was stored."""
        p = self.P
        rows = self._execute(
            f"INSERT INTO documents (kind, key, body) VALUES ({p}, {p}, {p}) "
            "ON CONFLICT (kind, key) DO NOTHING RETURNING key",
            (kind, key, orjson.dumps(document)),
        )
        return bool(rows)

    def get(self, kind: str, key: str) -> Document | None:
        p = self.P
        rows = self._execute(
            f"SELECT body FROM documents WHERE kind = {p} AND key = {p}", (kind, key)
        )
        if not rows:
            return None
        body: Document = orjson.loads(bytes(rows[0][0]))
        return body

    def delete(self, kind: str, key: str) -> bool:
        p = self.P
        rows = self._execute(
            f"DELETE FROM documents WHERE kind = {p} AND key = {p} RETURNING key", (kind, key)
        )
        return bool(rows)

    def items(self, kind: str, prefix: str = "") -> Iterator[tuple[str, Document]]:
        """Every document of `kind` whose key starts with `prefix`, by key."""
        p = self.P
        rows = self._execute(
            f"SELECT key, body FROM documents WHERE kind = {p} AND key >= {p} ORDER BY key",
            (kind, prefix),
        )
        for key, body in rows:
            if not str(key).startswith(prefix):
                break
            yield str(key), orjson.loads(bytes(body))

    # --- audit -------------------------------------------------------------------------------

    def audit(self, entry: AuditEntry) -> None:
        p = self.P
        self._execute(
            "INSERT INTO audit (at, instance_id, actor, action, target, reason, detail) "
            f"VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p})",
            (
                entry.at,
                entry.instance_id,
                entry.actor,
                entry.action,
                entry.target,
                entry.reason,
                orjson.dumps(entry.detail),
            ),
        )

    def audit_trail(self, instance_id: str, limit: int = 100) -> list[AuditEntry]:
        """The latest `limit` entries of an instance, newest first."""
        p = self.P
        rows = self._execute(
            "SELECT at, instance_id, actor, action, target, reason, detail FROM audit "
            f"WHERE instance_id = {p} ORDER BY id DESC LIMIT {p}",
            (instance_id, limit),
        )
        return [
            AuditEntry(int(at), str(i), str(actor), str(act), str(tgt), str(why), orjson.loads(d))
            for at, i, actor, act, tgt, why, d in rows
        ]

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


_SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    kind TEXT NOT NULL, key TEXT NOT NULL, body BLOB NOT NULL, PRIMARY KEY (kind, key)
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, instance_id TEXT NOT NULL,
    actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, reason TEXT NOT NULL,
    detail BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_by_instance ON audit (instance_id, id);
"""


class SqliteCatalog(Catalog):
    """The catalog in the server's SQLite file (WAL; other processes may write between ours)."""

    P = "?"

    def __init__(self, path: Path | str) -> None:
        super().__init__()
        self.path = Path(path)
        self._db = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=30
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SQLITE_SCHEMA)

    def _execute(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._mutex:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                rows = self._db.execute(query, params).fetchall()
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            return rows

    def close(self) -> None:
        with self._mutex:
            self._db.close()


_POSTGRES_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    kind TEXT NOT NULL, key TEXT NOT NULL, body BYTEA NOT NULL, PRIMARY KEY (kind, key)
);
CREATE TABLE IF NOT EXISTS audit (
    id BIGSERIAL PRIMARY KEY, at BIGINT NOT NULL, instance_id TEXT NOT NULL,
    actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, reason TEXT NOT NULL,
    detail BYTEA NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_by_instance ON audit (instance_id, id);
"""


class PostgresCatalog(Catalog):
    """The catalog in one PostgreSQL schema (`switchboard` by default)."""

    P = "%s"

    def __init__(self, conninfo: str, *, schema: str = "switchboard") -> None:
        super().__init__()
        self.schema = schema
        self._db = psycopg.connect(conninfo, autocommit=True, application_name="switchboard")
        with self._db.cursor() as cur:
            cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
            cur.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
            # Two processes creating the tables at once would race on the catalog's types.
            cur.execute("SELECT pg_advisory_lock(7346061)")
            try:
                cur.execute(_POSTGRES_SCHEMA.encode())
            finally:
                cur.execute("SELECT pg_advisory_unlock(7346061)")

    def _execute(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._mutex, self._db.transaction(), self._db.cursor() as cur:
            cur.execute(query.encode(), params)
            return list(cur.fetchall()) if cur.description is not None else []

    def close(self) -> None:
        with self._mutex:
            self._db.close()
