"""Durable appends: the event store's commands per second, SQLite vs PostgreSQL, with a baseline.

A "command" here is a typical one: 3 domain events (a ContactOffered, a ContactAccepted and an
AgentStatusChanged) and 2 outbox records (~600-byte agent events), stored by `append_batch`. Figures
(medians of several repeats, all from this run):

* single-command transactions: one `append_batch` (one commit, one WAL sync point) per command;
* group commits of 100: `append_batches` with 100 commands per transaction;
* baseline: raw sqlite3 `executemany` of the same pre-encoded rows into the same schema, WAL and
  synchronous=NORMAL, one transaction per command and per 100 commands (what the store adds on top
  of SQLite is encoding and bookkeeping).

PostgreSQL runs when a server listens on 127.0.0.1:5432 (user postgres, database postgres); its
figures come from a fresh schema dropped afterwards.

    .venv/bin/python bench/bench_store.py [--commands N] [--repeats R]
"""

from __future__ import annotations

import argparse
import socket
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg
from psycopg import sql

from switchboard.domain import events as ev
from switchboard.domain.model import AgentId, ContactId, QueueId, StatusId
from switchboard.engine.outbox import OutboxEntry, RecordKind
from switchboard.storage.codec import encode
from switchboard.storage.postgres import PostgresStore
from switchboard.storage.sqlite import SCHEMA, SqliteStore
from switchboard.storage.store import Batch, SqlStore

PG = ("127.0.0.1", 5432)
PG_CONNINFO = "host=127.0.0.1 port=5432 dbname=postgres user=postgres"
GROUP = 100
RECORD = (
    b'{"AgentARN":"arn:aws:connect:us-east-1:111122223333:instance/x/agent/a",'
    b'"x":"' + (b"y" * 500) + b'"}'
)


def command(i: int) -> Batch:
    agent = AgentId(f"agent-{i % 200}")
    contact = ContactId(f"contact-{i}")
    at = 1_767_603_600_000 + i * 10
    events: list[ev.Event] = [
        ev.ContactOffered(
            at=at,
            agent_id=agent,
            contact_id=contact,
            route=ev.RouteInfo(queue_id=QueueId("q"), priority=1, candidates=5, idle_since=at),
        ),
        ev.ContactAccepted(at=at + 1, agent_id=agent, contact_id=contact),
        ev.AgentStatusChanged(at=at + 2, agent_id=agent, status_id=StatusId("s"), actor="agent"),
    ]
    entries = [OutboxEntry(RecordKind.AGENT_EVENT, agent, f"e-{i}-{n}", RECORD) for n in range(2)]
    return events, entries


def median_rate(runs: list[float], count: int) -> float:
    return count / statistics.median(runs)


def timed(fn: Callable[[], None]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench_store(open_store: Callable[[], SqlStore], batches: list[Batch]) -> tuple[float, float]:
    """(single-command commands/s, group-of-100 commands/s), each on a fresh store."""

    with open_store() as store:
        start = time.perf_counter()
        for events, entries in batches:
            store.append_batch(events, entries)
        single = time.perf_counter() - start
    groups = [batches[i : i + GROUP] for i in range(0, len(batches), GROUP)]
    with open_store() as store:
        start = time.perf_counter()
        for group in groups:
            store.append_batches(group)
        grouped = time.perf_counter() - start
    return single, grouped


def bench_raw_sqlite(path: Path, batches: list[Batch]) -> tuple[float, float]:
    """Raw executemany of pre-encoded rows: one transaction per command, then per 100."""
    seq = 0
    pos = 0
    rows: list[
        tuple[list[tuple[int, str, int, bytes]], list[tuple[int, str, str, str, bytes]]]
    ] = []
    for events, entries in batches:
        ev_rows = []
        for event in events:
            seq += 1
            row = encode(event)
            ev_rows.append((seq, row.type, row.version, row.payload))
        out_rows = []
        for entry in entries:
            pos += 1
            out_rows.append((pos, entry.kind.value, entry.key, entry.record_id, entry.payload))
        rows.append((ev_rows, out_rows))

    def run(group: int, name: str) -> float:
        db = sqlite3.connect(path.with_name(name), isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(SCHEMA)

        def go() -> None:
            for i in range(0, len(rows), group):
                db.execute("BEGIN IMMEDIATE")
                for ev_rows, out_rows in rows[i : i + group]:
                    db.executemany("INSERT INTO events VALUES (?, ?, ?, ?)", ev_rows)
                    db.executemany("INSERT INTO outbox VALUES (?, ?, ?, ?, ?)", out_rows)
                db.execute("COMMIT")

        took = timed(go)
        db.close()
        return took

    return run(1, f"raw1-{uuid.uuid4().hex}.db"), run(GROUP, f"raw100-{uuid.uuid4().hex}.db")


def sqlite_opener(path: Path) -> Callable[[], SqlStore]:
    """Each call opens a fresh database file next to `path`."""
    return lambda: SqliteStore(path.with_name(f"{uuid.uuid4().hex}.db"))


def pg_opener(schema: str, instance: str) -> Callable[[], SqlStore]:
    """Each call opens a fresh schema: `schema`, then `schema`_1 (main drops both)."""
    made: list[str] = []

    def open_one() -> SqlStore:
        name = schema if not made else f"{schema}_{len(made)}"
        made.append(name)
        return PostgresStore(PG_CONNINFO, instance_id=instance, schema=name)

    return open_one


def pg_up() -> bool:
    try:
        with socket.create_connection(PG, timeout=1.0):
            return True
    except OSError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    batches = [command(i) for i in range(args.commands)]
    n = len(batches)
    results: dict[str, tuple[list[float], list[float]]] = {}

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for _ in range(args.repeats):
            path = folder / f"{uuid.uuid4().hex}.db"
            one, many = bench_store(sqlite_opener(path), batches)
            results.setdefault("SqliteStore", ([], []))
            results["SqliteStore"][0].append(one)
            results["SqliteStore"][1].append(many)
            raw_one, raw_many = bench_raw_sqlite(folder / "raw.db", batches)
            results.setdefault("raw sqlite3 executemany", ([], []))
            results["raw sqlite3 executemany"][0].append(raw_one)
            results["raw sqlite3 executemany"][1].append(raw_many)

    if pg_up():
        for _ in range(args.repeats):
            schema = f"bench_{uuid.uuid4().hex}"
            instance = f"bench-{schema}"
            try:
                one, many = bench_store(pg_opener(schema, instance), batches)
            finally:
                with psycopg.connect(PG_CONNINFO, autocommit=True) as db:
                    for name in (schema, f"{schema}_1"):
                        drop = sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE")
                        db.execute(drop.format(sql.Identifier(name)))
            results.setdefault("PostgresStore", ([], []))
            results["PostgresStore"][0].append(one)
            results["PostgresStore"][1].append(many)
    else:
        print("PostgreSQL: not running on 127.0.0.1:5432, skipped")

    print(
        f"{n} commands x (3 events + 2 outbox records), medians of {args.repeats} "
        "(fresh store each time)"
    )
    print(f"{'':28} {'1 command/txn':>22} {'100 commands/txn':>22}")
    for name, (singles, groups) in results.items():
        one = median_rate(singles, n)
        many = median_rate(groups, n)
        print(
            f"{name:28} {one:>12,.0f} cmd/s {one * 3:>7,.0f} ev/s"
            f" {many:>10,.0f} cmd/s {many * 3:>8,.0f} ev/s"
        )


if __name__ == "__main__":
    main()
