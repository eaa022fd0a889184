"""The event store contract (log, outbox, batches, snapshots, lease, durability, restart), run
against every backend: SQLite in a temporary folder, PostgreSQL in a fresh schema per test."""

from __future__ import annotations

import io
import os
import pickle
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from switchboard.domain import events as ev
from switchboard.domain.model import AgentId
from switchboard.domain.state import evolve
from switchboard.engine.clock import ManualClock
from switchboard.engine.engine import AgentStreamRecord, Engine, StreamEventType
from switchboard.engine.ids import IdSource
from switchboard.engine.log import InMemoryLog
from switchboard.engine.outbox import OutboxEntry, RecordKind
from switchboard.formats.aes import AgentEventEncoder
from switchboard.sim.script import Script, Step, load_script, new_engine, run_script
from switchboard.storage.pending import PendingLog, publish_to_outbox
from switchboard.storage.postgres import PostgresStore
from switchboard.storage.sqlite import SqliteStore
from switchboard.storage.store import (
    LeaseHeld,
    SqlStore,
    open_engine,
    save_engine_snapshot,
)
from tests.services import require

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "inbound-call.yaml"
PG_DATABASE = "postgres"


def pg_conninfo() -> str:
    host, port = require("postgresql")
    return f"host={host} port={port} dbname={PG_DATABASE} user=postgres connect_timeout=5"


@dataclass
class Backend:
    """How to open (and re-open) one store location of one backend."""

    name: str
    open: Callable[[], SqlStore]
    spawn_args: list[str]
    """argv for `child_main` to open the same location in another process."""


def open_store(kind: str, where: str, instance: str = "") -> SqlStore:
    if kind == "sqlite":
        return SqliteStore(where)
    return PostgresStore(pg_conninfo(), instance_id=instance, schema=where)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "sqlite":
        path = str(tmp_path / "events.db")
        yield Backend("sqlite", lambda: open_store("sqlite", path), ["sqlite", path])
        return
    conninfo = pg_conninfo()
    schema = f"t_{uuid.uuid4().hex}"
    instance = f"test-{schema}"
    yield Backend(
        "postgresql",
        lambda: open_store("postgresql", schema, instance),
        ["postgresql", schema, instance],
    )
    with psycopg.connect(conninfo, autocommit=True) as db:
        db.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture
def store(backend: Backend) -> Iterator[SqlStore]:
    opened = backend.open()
    yield opened
    opened.close()


def login(i: int) -> ev.Event:
    return ev.AgentLoggedIn(at=i, agent_id=AgentId(f"agent-{i}"))


def entry(i: int, kind: RecordKind = RecordKind.AGENT_EVENT) -> OutboxEntry:
    return OutboxEntry(kind, f"key-{i % 3}", f"record-{i}", b'{"n":%d}' % i)


# --- the log -----------------------------------------------------------------------------------


def test_sequence_numbers_start_at_1_and_are_gapless(store: SqlStore) -> None:
    assert store.next_seq == 1
    assert list(store.read()) == []
    store.append([login(1), login(2)])
    store.append([login(3)])
    assert store.append_batch([login(4), login(5)], [entry(1)]) == 5
    assert store.append_batches([([login(6)], []), ([], [entry(2)]), ([login(7)], [])]) == 7
    assert store.next_seq == 8
    assert list(store.read()) == [(i, login(i)) for i in range(1, 8)]


def test_read_after_gives_the_later_events_in_order(store: SqlStore) -> None:
    store.append([login(i) for i in range(1, 12_001)])  # more than one page of reads
    assert [seq for seq, _ in store.read(after=7)] == list(range(8, 12_001))
    assert list(store.read(after=11_998)) == [(11_999, login(11_999)), (12_000, login(12_000))]
    assert list(store.read(after=12_000)) == []


def test_a_batch_failing_midway_leaves_nothing(store: SqlStore) -> None:
    store.append_batch([login(1)], [entry(1)])
    broken = OutboxEntry("not-a-kind", "k", "r", b"{}")  # type: ignore[arg-type]
    with pytest.raises(AttributeError):
        store.append_batch([login(2), login(3)], [entry(2), broken])
    with pytest.raises(Exception, match="not a domain event"):
        store.append_batches([([login(2)], [entry(2)]), ([object()], [])])  # type: ignore[list-item]
    assert store.next_seq == 2
    assert list(store.read()) == [(1, login(1))]
    assert [r.position for r in store.outbox.read(0)] == [1]
    # …and the store goes on numbering from where the last good batch left it.
    assert store.append_batch([login(2)], [entry(2)]) == 2
    assert [r.position for r in store.outbox.read(0)] == [1, 2]


# --- the outbox --------------------------------------------------------------------------------


def test_outbox_positions_are_gapless_and_read_pages_oldest_first(store: SqlStore) -> None:
    outbox = store.outbox
    outbox.append([entry(i) for i in range(1, 6)])
    store.append_batch([login(1)], [entry(6, RecordKind.CONTACT_RECORD)])
    records = outbox.read(0)
    assert [r.position for r in records] == [1, 2, 3, 4, 5, 6]
    assert [r.entry for r in records] == [
        *(entry(i) for i in range(1, 6)),
        entry(6, RecordKind.CONTACT_RECORD),
    ]
    assert [r.position for r in outbox.read(2, limit=3)] == [3, 4, 5]
    assert outbox.read(6) == []


def test_sink_offsets_never_move_backwards_and_sinks_are_independent(store: SqlStore) -> None:
    outbox = store.outbox
    outbox.append([entry(i) for i in range(1, 11)])
    assert outbox.offset("jsonl") == 0
    outbox.commit("jsonl", 4)
    outbox.commit("redis", 9)
    outbox.commit("jsonl", 2)  # a late acknowledgement of an older batch
    assert outbox.offset("jsonl") == 4
    assert outbox.offset("redis") == 9
    assert outbox.offset("webhook") == 0
    outbox.commit("jsonl", 10)
    assert (outbox.offset("jsonl"), outbox.offset("redis")) == (10, 9)


# --- snapshots, lease, durability --------------------------------------------------------------


def test_snapshot_save_and_load(store: SqlStore) -> None:
    assert store.latest_snapshot() is None
    store.append([login(i) for i in range(1, 4)])
    store.save_snapshot(2, b"two")
    store.save_snapshot(3, b"three")
    assert store.latest_snapshot() == (3, b"three")


def test_a_second_writer_is_refused_while_the_lease_is_held(backend: Backend) -> None:
    first = backend.open()
    pattern = r"events\.db\.lock" if backend.name == "sqlite" else r"pid \d+"
    with pytest.raises(LeaseHeld, match=pattern):
        backend.open()
    first.close()
    second = backend.open()  # free once released
    second.close()


def test_everything_survives_a_reopen(backend: Backend) -> None:
    with backend.open() as first:
        first.append_batch([login(1), login(2)], [entry(1)])
        first.outbox.commit("jsonl", 1)
        first.save_snapshot(2, b"image")
    with backend.open() as again:
        assert again.next_seq == 3
        assert list(again.read()) == [(1, login(1)), (2, login(2))]
        assert [r.entry for r in again.outbox.read(0)] == [entry(1)]
        assert again.outbox.offset("jsonl") == 1
        assert again.latest_snapshot() == (2, b"image")
        again.append_batch([login(3)], [entry(2)])
        assert [r.position for r in again.outbox.read(0)] == [1, 2]


BATCH_EVENTS = 3


def child_main(argv: Sequence[str]) -> None:
    """In a child process: append batches forever, printing each acknowledged last seq."""
    store = open_store(*argv)
    n = store.next_seq
    while True:
        seq = store.append_batch([login(n + i) for i in range(BATCH_EVENTS)], [entry(n)])
        n = seq + 1
        os.write(1, b"%d\n" % seq)


def test_a_killed_writer_loses_no_acknowledged_batch(backend: Backend) -> None:
    backend.open().close()  # create the schema first
    code = (
        "import sys; from tests.contract.test_event_store import child_main as m; m(sys.argv[1:])"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code, *backend.spawn_args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
    )
    assert child.stdout is not None
    acknowledged: list[int] = []
    deadline = time.monotonic() + random.uniform(0.3, 1.5)
    while time.monotonic() < deadline or len(acknowledged) < 3:
        line = child.stdout.readline()
        assert line, "the child stopped on its own"
        acknowledged.append(int(line))
    os.kill(child.pid, signal.SIGKILL)
    acknowledged += [int(line) for line in child.stdout.read().split()]
    child.wait()
    child.stdout.close()

    store = reopen(backend)
    try:
        stored = [seq for seq, _ in store.read()]
        last = acknowledged[-1]
        assert stored[:last] == list(range(1, last + 1))  # every acknowledged event, no gap
        assert len(stored) % BATCH_EVENTS == 0  # whole batches only
        assert len(store.outbox.read(0, limit=10**9)) == len(stored) // BATCH_EVENTS
        assert store.next_seq == len(stored) + 1
    finally:
        store.close()


def reopen(backend: Backend) -> SqlStore:
    """Open after a crash: PostgreSQL frees a dead session's lease once it sees the socket close."""
    for _ in range(100):
        try:
            return backend.open()
        except LeaseHeld:
            time.sleep(0.1)
    return backend.open()


# --- snapshots of the engine and restart -------------------------------------------------------


def steps_in_order(script: Script) -> list[Step]:
    order = sorted(
        range(len(script.steps)), key=lambda i: (script.steps[i].at, script.steps[i].order, i)
    )
    return [script.steps[i] for i in order]


def drive(engine: Engine, steps: Sequence[Step]) -> None:
    for step in steps:
        engine.execute(step.build(engine), at=step.at)


def agent_events(engine: Engine, script: Script) -> list[bytes]:
    encoder = AgentEventEncoder(script.setup.settings)
    out: list[bytes] = []

    def keep(record: AgentStreamRecord) -> None:
        if record.event_type is not StreamEventType.HEART_BEAT:
            out.append(encoder.encode(record))

    engine.on_agent_event(keep)
    return out


def plain(root: object) -> object:
    """A structure to compare two states by value: `__slots__` records, containers and
    primitives, with sets in a fixed order and aliasing kept (a record seen again is a
    back-reference to its first visit), so equal states give equal structures."""
    seen: dict[int, int] = {}

    def walk(obj: object) -> object:
        if obj is None or isinstance(obj, (str, int, float, bool, bytes)):
            return obj
        if isinstance(obj, tuple):
            return ("tuple", [walk(x) for x in obj])
        if id(obj) in seen:
            return ("ref", seen[id(obj)])
        seen[id(obj)] = len(seen)
        if isinstance(obj, dict):
            return ("dict", [(walk(k), walk(v)) for k, v in obj.items()])
        if isinstance(obj, list):
            return ("list", [walk(x) for x in obj])
        if isinstance(obj, (set, frozenset)):
            return ("set", sorted(repr(walk(x)) for x in obj))
        slots = [
            name
            for cls in type(obj).__mro__
            for name in getattr(cls, "__slots__", ())
            if name != "__weakref__"
        ]
        names = slots or sorted(vars(obj))
        fields = [(n, walk(getattr(obj, n))) for n in names if hasattr(obj, n)]
        return (type(obj).__qualname__, fields)

    return walk(root)


def test_a_pickled_state_replays_further_events_identically() -> None:
    script = load_script(EXAMPLE)
    log = InMemoryLog()
    engine = new_engine(script.setup, script.start, log=log)
    drive(engine, steps_in_order(script))
    events = list(log.read())
    half = len(events) // 2
    whole = Engine(clock=ManualClock(0), ids=IdSource(script.setup.settings.arn))
    whole.replay(events[:half])
    copy = pickle.loads(pickle.dumps(whole.state))
    for _, event in events[half:]:
        evolve(whole.state, event)
        evolve(copy, event)
    assert plain(copy) == plain(whole.state)
    # (A live run's heaps also hold entries it dropped lazily while firing deadlines, which a
    # replay never fires; the continued run below is compared by what it publishes instead.)


def reference_run(script: Script, steps: Sequence[Step]) -> tuple[InMemoryLog, list[bytes]]:
    """A run without restart: its log, and the agent events published by steps 10 onwards."""
    log = InMemoryLog()
    reference = new_engine(script.setup, script.start, log=log)
    published = agent_events(reference, script)
    drive(reference, steps[:10])
    published.clear()
    drive(reference, steps[10:])
    return log, published


@pytest.mark.parametrize("snapshot_of", ["restarted engine", "live engine"])
def test_restart_from_snapshot_and_tail_equals_a_run_without_restart(
    store: SqlStore, snapshot_of: str
) -> None:
    script = load_script(EXAMPLE)
    steps = steps_in_order(script)
    clock = ManualClock(script.start)
    ids = IdSource(script.setup.settings.arn)
    reference_log, reference_aes = reference_run(script, steps)

    first = new_engine(script.setup, script.start, log=store)
    drive(first, steps[:6])
    if snapshot_of == "restarted engine":
        first = open_engine(store, clock, ids)  # no snapshot yet: the whole log replayed
    snapped = save_engine_snapshot(store, first)
    drive(first, steps[6:10])  # the tail that only the log has
    assert 0 < snapped < store.next_seq - 1

    restarted = open_engine(store, clock, ids)
    full = Engine(clock=clock, ids=ids)
    full.replay(store.read())
    if snapshot_of == "restarted engine":
        # A snapshot of replayed state plus the tail is exactly a full replay.
        assert plain(restarted.state) == plain(full.state)
        assert plain(restarted.stream.heartbeats) == plain(full.stream.heartbeats)
    # A live engine's heaps also keep entries it dropped lazily (fired deadlines, stale offers),
    # so from a live snapshot the restart is compared by what it does next.
    assert plain(restarted.stream.last) == plain(full.stream.last)
    assert restarted.last_at == full.last_at
    restarted_aes = agent_events(restarted, script)
    drive(restarted, steps[10:])
    assert restarted_aes == reference_aes
    assert list(store.read()) == list(reference_log.read())


@pytest.mark.parametrize("group", [1, 5])
def test_commands_commit_their_events_and_records_together(store: SqlStore, group: int) -> None:
    script = load_script(EXAMPLE)
    aes, ctr = io.BytesIO(), io.BytesIO()
    reference_log = InMemoryLog()
    reference = new_engine(script.setup, script.start, log=reference_log)
    run_script(script, engine=reference, agent_events=aes, contact_records=ctr)

    pending = PendingLog(store)
    engine = new_engine(script.setup, script.start, log=pending)
    publish_to_outbox(engine, pending, script.setup.settings)
    assert store.next_seq == 1  # nothing durable before the first commit
    assert list(pending.read()) == list(reference_log.read())[: pending.next_seq - 1]
    pending.commit()
    for n, step in enumerate(steps_in_order(script), start=1):
        engine.execute(step.build(engine), at=step.at)
        pending.end_command()
        if n % group == 0:
            durable = store.next_seq
            assert pending.commit() == pending.next_seq - 1
            assert store.next_seq >= durable
    engine.fire_due(script.end)
    pending.commit()
    assert pending.pending_commands == 0

    assert list(store.read()) == list(reference_log.read())
    records = store.outbox.read(0, limit=10_000)
    assert [r.position for r in records] == list(range(1, len(records) + 1))
    by_kind = {
        kind: [r.entry.payload for r in records if r.entry.kind is kind] for kind in RecordKind
    }
    assert by_kind[RecordKind.AGENT_EVENT] == aes.getvalue().split(b"\n")[:-1]
    assert by_kind[RecordKind.CONTACT_RECORD] == ctr.getvalue().split(b"\n")[:-1]
    ids = [r.entry.record_id for r in records]
    assert len(set(ids)) == len(ids)


if __name__ == "__main__":
    child_main(sys.argv[1:])


def test_the_engine_thread_and_a_sink_thread_share_one_store(store: SqlStore) -> None:
    """Sinks read and commit offsets from their own threads while commands append."""
    appended = 300
    delivered: list[int] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def sink() -> None:
        try:
            while not done.is_set() or store.outbox.offset("s") < appended:
                records = store.outbox.read(store.outbox.offset("s"), 50)
                if records:
                    delivered.extend(r.position for r in records)
                    store.outbox.commit("s", records[-1].position)
        except BaseException as failure:  # the assertion below reports it
            errors.append(failure)

    reader = threading.Thread(target=sink)
    reader.start()
    for i in range(appended):
        store.append_batch([login(i)], [entry(i)])
    done.set()
    reader.join(timeout=30)
    assert not errors, errors
    assert delivered == list(range(1, appended + 1))
    assert store.next_seq == appended + 1
