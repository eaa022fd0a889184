"""`kill -9` at any moment loses no acknowledged change, and a restart is a replay (DESIGN §8).

The real `switchboard serve` runs as a subprocess over SQLite (and, in one test, PostgreSQL in
a database of its own), its admin key made by `switchboard keys create --role admin`. Agents
sign in and log in to the CCP; then threads drive the server through boto3 — one per agent
cycling PutUserStatus through Available, Break, Training and Lunch (so each agent's order of
requests is known, and a lost one differs from both the last acknowledged and the one in flight),
two making queues, one starting tasks (offered to the Available agents, so slots fill) — and
record every request the server acknowledged (a 2xx answer arrived). At a random moment the
server is killed with SIGKILL; one round ends with a graceful SIGTERM instead, so that a
snapshot exists and the next rounds restart from snapshot + tail. After each death:

(a) every acknowledged change is in the log: each agent's status is the last one acknowledged,
    or the one whose request was in flight when the server died (it may have landed without its
    answer getting out); acknowledged queues and task contacts exist, and nothing appears that
    nobody asked for (no more unanswered contacts than requests in flight) — in the store, read
    directly, and through the restarted server's API (GetCurrentUserData, ListQueues);
(b) the state is a replay of the log: the engine `open_engine` rebuilds from the latest snapshot
    plus the log's tail equals, field by field, an engine that replays the log from event 1
    (the routing heaps and heartbeat timers compared by their live entries: both drop stale ones
    lazily, at different moments).

The random seed of each test is in its failure messages (`CRASH_SEED=<n>` reruns it).
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import httpx
import psycopg
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from psycopg import sql

from switchboard.api.session import CSRF_HEADER
from switchboard.domain.model import AgentId
from switchboard.domain.state import State
from switchboard.engine.clock import SystemClock
from switchboard.engine.engine import Engine
from switchboard.engine.ids import IdSource
from switchboard.storage.backend import open_backend
from switchboard.storage.store import SqlStore, open_engine
from tests.server_harness import MASTER_KEY, PASSWORD, REGION
from tests.services import require

SWITCHBOARD = Path(sys.executable).with_name("switchboard")
"""The `switchboard` command of the environment running the tests (`.venv/bin/switchboard`)."""
AGENTS = 10
QUEUE_THREADS = 2
TASK_THREADS = 1
STATUSES = ("Available", "Break", "Training", "Lunch")
"""The cycle each agent's thread asks for, in order; four, so that the status before the last
acknowledged one is neither it nor the one in flight."""


# --------------------------------------------------------------------------- the server process


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _environ() -> dict[str, str]:
    return {**os.environ, "SWITCHBOARD_SECRET_KEY": MASTER_KEY}


def admin_key(db: str) -> tuple[str, str]:
    """`switchboard keys create --role admin --db DB`: the server admin's key."""
    made = subprocess.run(
        [str(SWITCHBOARD), "keys", "create", "--role", "admin", "--db", db],
        env=_environ(),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    key_id, secret = made.stdout.split()
    return key_id, secret


@dataclass
class Serve:
    """One `switchboard serve` process."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    @classmethod
    def start(cls, db: str, log: Path) -> Serve:
        """Serve `db` on a free port; a port another process took meanwhile is tried again."""
        for _ in range(3):
            served = cls._start(db, log)
            if served is not None:
                return served
        raise AssertionError(f"no free port for serve:\n{log.read_text(errors='replace')}")

    @classmethod
    def _start(cls, db: str, log: Path) -> Serve | None:
        port = _free_port()
        offset = log.stat().st_size if log.exists() else 0
        with log.open("ab") as out:
            process = subprocess.Popen(
                [str(SWITCHBOARD), "serve", "--db", db, "--port", str(port)],
                env=_environ(),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        served = cls(process, f"http://127.0.0.1:{port}", log)
        deadline = time.monotonic() + 30
        while True:
            since = log.read_bytes()[offset:].decode(errors="replace")
            if process.poll() is not None:
                if "address already in use" in since.lower():
                    return None
                raise AssertionError(f"serve exited with {process.returncode}:\n{served.tail()}")
            # Only once *this* process says it listens: another server might own the port.
            if f"running on {served.url}" in since:
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(served.url + "/healthz", timeout=1).status_code == 200:
                        return served
            if time.monotonic() > deadline:
                served.kill()
                raise AssertionError(f"serve did not answer /healthz:\n{served.tail()}")
            time.sleep(0.05)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def kill(self) -> None:
        """SIGKILL: no flush, no snapshot, no goodbye."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM: uvicorn's graceful shutdown (pending writes, then a snapshot)."""
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=20)
        # uvicorn re-raises the signal once it has shut down cleanly.
        assert self.process.returncode in {0, -signal.SIGTERM}, self.tail()


def connect(url: str, key: tuple[str, str]) -> Any:
    return boto3.client(
        "connect",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=key[0],
        aws_secret_access_key=key[1],
        # No retry: a retried request would blur which attempt was acknowledged.
        config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=15),
    )


# --------------------------------------------------------------------------- the contact center


@dataclass
class Center:
    instance_id: str
    statuses: dict[str, str]
    """Status id by name."""
    hours: str
    queue: str
    """Sales: tasks wait there (nobody is logged in to take them)."""
    agents: list[str]
    names: dict[str, str] = field(default_factory=dict)
    """Status name by id."""


def seed(client: Any, url: str, alias: str) -> Center:
    """An instance with Break, Training and Lunch statuses, queue Sales (voice and tasks) and
    `AGENTS` agents, each logged in to the CCP (so GetCurrentUserData shows their statuses)."""
    instance_id = client.create_instance(
        IdentityManagementType="CONNECT_MANAGED",
        InstanceAlias=alias,
        InboundCallsEnabled=True,
        OutboundCallsEnabled=True,
    )["Id"]
    for name in STATUSES[1:]:
        client.create_agent_status(InstanceId=instance_id, Name=name, State="ENABLED")
    listed = client.list_agent_statuses(InstanceId=instance_id)["AgentStatusSummaryList"]
    statuses = {s["Name"]: s["Id"] for s in listed}
    hours = client.list_hours_of_operations(InstanceId=instance_id)
    hours_id = hours["HoursOfOperationSummaryList"][0]["Id"]
    queue = client.create_queue(InstanceId=instance_id, Name="Sales", HoursOfOperationId=hours_id)
    profile = client.create_routing_profile(
        InstanceId=instance_id,
        Name="Sales",
        Description="Sales agents",
        DefaultOutboundQueueId=queue["QueueId"],
        MediaConcurrencies=[
            {"Channel": "VOICE", "Concurrency": 1},
            {"Channel": "TASK", "Concurrency": 1},
        ],
        QueueConfigs=[
            {
                "QueueReference": {"QueueId": queue["QueueId"], "Channel": channel},
                "Priority": 1,
                "Delay": 0,
            }
            for channel in ("VOICE", "TASK")
        ],
    )["RoutingProfileId"]
    security = client.list_security_profiles(InstanceId=instance_id)
    agent_profile = next(
        p["Id"] for p in security["SecurityProfileSummaryList"] if p["Name"] == "Agent"
    )
    agents = [
        client.create_user(
            InstanceId=instance_id,
            Username=f"agent{n}",
            IdentityInfo={"FirstName": f"Agent{n}", "LastName": "Crash"},
            PhoneConfig={"PhoneType": "SOFT_PHONE"},
            SecurityProfileIds=[agent_profile],
            RoutingProfileId=profile,
            Password=PASSWORD,
        )["UserId"]
        for n in range(AGENTS)
    ]
    for n in range(AGENTS):
        with httpx.Client(base_url=url, timeout=15) as browser:
            signed_in = browser.post(
                "/switchboard/login",
                json={"InstanceId": instance_id, "Username": f"agent{n}", "Password": PASSWORD},
            )
            assert signed_in.status_code == 200, signed_in.text
            headers = {CSRF_HEADER: signed_in.json()["CsrfToken"]}
            logged_in = browser.post("/switchboard/ccp/login", headers=headers)
            assert logged_in.status_code == 200, logged_in.text
    return Center(
        instance_id=instance_id,
        statuses=statuses,
        hours=hours_id,
        queue=queue["QueueId"],
        agents=agents,
        names={status_id: name for name, status_id in statuses.items()},
    )


# --------------------------------------------------------------------------- load and its ledger


@dataclass
class Ledger:
    """What the clients know: what the server acknowledged, and what was in flight at death."""

    status: dict[str, str]
    """Each agent's last acknowledged status name (or the state last verified)."""
    in_flight: dict[str, str | None]
    """The status an agent's thread had asked for when its request got no answer."""
    queues: set[str] = field(default_factory=set)
    """Queue names acknowledged."""
    queues_in_flight: set[str] = field(default_factory=set)
    """Queue names asked for without an answer (they may or may not exist)."""
    contacts: set[str] = field(default_factory=set)
    """Task contact ids acknowledged."""
    contacts_in_flight: int = 0
    """StartTaskContact requests without an answer (each may have made one contact)."""
    acknowledged: int = 0
    failures: list[str] = field(default_factory=list)
    """Answers that are neither a 2xx nor a dead server: each is a bug."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def possible_statuses(self, agent: str) -> set[str]:
        found = {self.status[agent]}
        if self.in_flight[agent] is not None:
            found.add(str(self.in_flight[agent]))
        return found


def drive(
    *,
    url: str,
    key: tuple[str, str],
    center: Center,
    ledger: Ledger,
    dying: threading.Event,
    label: str,
) -> list[threading.Thread]:
    """Start the load threads (one per agent, `QUEUE_THREADS` making queues); they stop when a
    request gets no answer (the server died)."""
    clients = [
        connect(url, key) for _ in range(AGENTS + QUEUE_THREADS + TASK_THREADS)
    ]  # made on one thread

    def lost(error: Exception) -> None:
        if not dying.is_set():
            with ledger.lock:
                ledger.failures.append(f"{label}: a request failed before the kill: {error!r}")

    def toggle(client: Any, agent: str) -> None:
        current = ledger.status[agent]
        while True:
            wanted = STATUSES[(STATUSES.index(current) + 1) % len(STATUSES)]
            ledger.in_flight[agent] = wanted
            try:
                client.put_user_status(
                    InstanceId=center.instance_id,
                    UserId=agent,
                    AgentStatusId=center.statuses[wanted],
                )
            except ClientError as error:
                with ledger.lock:
                    ledger.failures.append(f"{label}: PutUserStatus refused: {error!r}")
                return
            except BotoCoreError as error:
                lost(error)
                return
            ledger.status[agent] = current = wanted
            ledger.in_flight[agent] = None
            with ledger.lock:
                ledger.acknowledged += 1

    def make_queues(client: Any, thread: int) -> None:
        for n in range(10_000):
            name = f"{label}-{thread}-{n}"
            with ledger.lock:
                ledger.queues_in_flight.add(name)
            try:
                client.create_queue(
                    InstanceId=center.instance_id, Name=name, HoursOfOperationId=center.hours
                )
            except ClientError as error:
                with ledger.lock:
                    ledger.failures.append(f"{label}: CreateQueue refused: {error!r}")
                return
            except BotoCoreError as error:
                lost(error)
                return
            with ledger.lock:
                ledger.queues_in_flight.discard(name)
                ledger.queues.add(name)
                ledger.acknowledged += 1

    def start_tasks(client: Any, thread: int) -> None:
        for n in range(10_000):
            with ledger.lock:
                ledger.contacts_in_flight += 1
            try:
                made = client.start_task_contact(
                    InstanceId=center.instance_id,
                    ContactFlowId=center.queue,
                    Name=f"{label}-task-{thread}-{n}",
                )
            except ClientError as error:
                with ledger.lock:
                    ledger.failures.append(f"{label}: StartTaskContact refused: {error!r}")
                return
            except BotoCoreError as error:
                lost(error)
                return
            with ledger.lock:
                ledger.contacts_in_flight -= 1
                ledger.contacts.add(made["ContactId"])
                ledger.acknowledged += 1

    def guarded(target: Callable[..., None], *args: Any) -> threading.Thread:
        def run() -> None:
            try:
                target(*args)
            except Exception as error:  # reported as a failure of the test
                with ledger.lock:
                    ledger.failures.append(f"{label}: {target.__name__} raised {error!r}")

        return threading.Thread(target=run, daemon=True)

    threads = [
        *(guarded(toggle, clients[n], agent) for n, agent in enumerate(center.agents)),
        *(guarded(make_queues, clients[AGENTS + n], n) for n in range(QUEUE_THREADS)),
        *(
            guarded(start_tasks, clients[AGENTS + QUEUE_THREADS + n], n)
            for n in range(TASK_THREADS)
        ),
    ]
    for thread in threads:
        thread.start()
    return threads


# --------------------------------------------------------------------------- state, comparable


def comparable(value: Any, path: tuple[int, ...] = ()) -> Any:
    """Engine state as plain data (dicts, lists, scalars) that `==` compares field by field:
    `__slots__` records and dataclasses by their fields, enums by value, sets sorted."""
    if value is None or isinstance(value, bool | int | float | str | bytes):
        return value.value if isinstance(value, enum.Enum) else value
    if isinstance(value, enum.Enum):
        return value.value
    if id(value) in path:
        return "<cycle>"
    inner = (*path, id(value))
    if isinstance(value, dict):
        return {_key(comparable(k, inner)): comparable(v, inner) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [comparable(v, inner) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((comparable(v, inner) for v in value), key=repr)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: comparable(getattr(value, f.name), inner) for f in dataclasses.fields(value)
        }
    slots = [name for klass in type(value).__mro__ for name in getattr(klass, "__slots__", ())]
    if slots:
        return {
            "<type>": type(value).__name__,
            **{name: comparable(getattr(value, name, "<unset>"), inner) for name in slots},
        }
    if hasattr(value, "__dict__"):
        return {"<type>": type(value).__name__, **comparable(vars(value), inner)}
    return repr(value)


def _key(plain: Any) -> Any:
    """A plain value usable as a dict key (a record or tuple key becomes its repr)."""
    return repr(plain) if isinstance(plain, list | dict) else plain


def state_image(state: State) -> Any:
    """The state as `comparable` data, its routing indexes reduced to their live entries.

    The router's heaps drop stale entries (an agent re-indexed, a contact dequeued) lazily, when
    they reach the top; a replay pushes the same entries but has not popped the stale ones the
    live engine met. Routing reads only live entries, so those are what is compared: per group,
    the routable agents by idle time; per queue and channel, the waiting contacts in order."""
    image = comparable(state)
    router = state.router
    image["router"] = {
        "queued": router.queued,
        "active_groups": comparable(router.active_groups),
        "agents": {
            _key(comparable(group)): sorted(
                (idle, str(agent_id))
                for idle, agent_id, version, agent in heap
                if version == agent.route_version
            )
            for group, heap in router.agent_heaps.items()
        },
        "contacts": {
            _key(comparable(line)): [contact.id for contact in router.queued_contacts(*line)]
            for line in router.queue_heaps
        },
    }
    image["router"]["agents"] = {k: v for k, v in image["router"]["agents"].items() if v}
    image["router"]["contacts"] = {k: v for k, v in image["router"]["contacts"].items() if v}
    return image


def differences(a: Any, b: Any, path: str = "state", limit: int = 8) -> list[str]:
    """Where two `comparable` values differ (the first `limit` paths), for failure messages."""
    if type(a) is not type(b):
        return [f"{path}: {a!r:.200} != {b!r:.200}"]
    if isinstance(a, dict):
        found: list[str] = []
        for key in list(dict.fromkeys([*a, *b])):
            if key not in a or key not in b:
                found.append(
                    f"{path}[{key!r}]: only in {'the first' if key in a else 'the second'}"
                )
            else:
                found += differences(a[key], b[key], f"{path}[{key!r}]", limit)
            if len(found) >= limit:
                break
        return found[:limit]
    if isinstance(a, list) and len(a) == len(b):
        found = []
        for n, (x, y) in enumerate(zip(a, b, strict=True)):
            found += differences(x, y, f"{path}[{n}]", limit)
            if len(found) >= limit:
                break
        return found[:limit]
    return [] if a == b else [f"{path}: {a!r:.200} != {b!r:.200}"]


@dataclass
class Stored:
    """An instance's store, read after the server died: both engines and the log's extent."""

    snapshot_seq: int | None
    last_seq: int
    restarted: Engine
    """Latest snapshot + the log's tail (what a restart builds)."""
    replayed: Engine
    """Every event from the first, no snapshot."""


def stream_image(engine: Engine) -> Any:
    """The agent event stream's projection, with only the heartbeats that can still fire.

    The live engine drops a heartbeat entry lazily, when it reaches the head of the heap and is
    stale (a later event re-stamped the agent) or its agent is logged out for good; a replay
    keeps them all until then. Both fire the same heartbeats, so those are what is compared."""
    stream = engine.stream
    settings = engine.state.settings
    image = dict(stream.image())

    def beats(due: int, agent_id: AgentId, stamp: int) -> bool:
        if stamp != stream.stamp[agent_id]:
            return False
        if engine.state.agents[agent_id].logged_in:
            return True
        gone = stream.logged_out_at.get(agent_id)
        return gone is not None and due - gone <= settings.heartbeat_after_logout_ms

    image["heartbeats"] = sorted(entry for entry in stream.heartbeats if beats(*entry))
    return comparable(image)


def read_store(db: str, instance_id: str) -> Stored:
    backend = open_backend(db)
    try:
        document = backend.catalog.get("instance", instance_id)
        assert document is not None, f"the catalog lost instance {instance_id}"
        arn = f"arn:aws:connect:{document['region']}:{document['account']}:instance/{instance_id}"
        store: SqlStore = backend.open_store(instance_id)
        try:
            clock = SystemClock()
            latest = store.latest_snapshot()
            restarted = open_engine(store, clock, IdSource(arn))
            replayed = Engine(clock=clock, ids=IdSource(arn), log=store)
            replayed.replay(store.read(0))
            return Stored(
                snapshot_seq=None if latest is None else latest[0],
                last_seq=store.next_seq - 1,
                restarted=restarted,
                replayed=replayed,
            )
        finally:
            store.close()
    finally:
        backend.close()


def statuses_in(state: State, center: Center) -> dict[str, str]:
    """Each agent's chosen status: the next status while a contact holds them in the current
    one (DESIGN §3.9: PutUserStatus to Break on a contact sets the next status), else the status.
    """
    chosen = {}
    for agent_id in center.agents:
        agent = state.agents[AgentId(agent_id)]
        status_id = agent.next_status_id or agent.status_id
        chosen[agent_id] = state.statuses[status_id].name
    return chosen


def queues_in(state: State) -> set[str]:
    return {queue.name for queue in state.queues.values()}


def served_statuses(client: Any, center: Center) -> dict[str, str]:
    """Each agent's chosen status as GetCurrentUserData shows it: NextStatus, else Status."""
    rows = client.get_current_user_data(
        InstanceId=center.instance_id, Filters={"Agents": center.agents}, MaxResults=100
    )["UserDataList"]
    return {row["User"]["Id"]: row.get("NextStatus") or row["Status"]["StatusName"] for row in rows}


def served_queues(client: Any, center: Center) -> set[str]:
    pages = client.get_paginator("list_queues").paginate(
        InstanceId=center.instance_id, QueueTypes=["STANDARD"]
    )
    return {q["Name"] for page in pages for q in page["QueueSummaryList"]}


# --------------------------------------------------------------------------- the rounds


@dataclass
class Run:
    db: str
    folder: Path
    rng: random.Random
    seed: int
    key: tuple[str, str] = ("", "")
    center: Center | None = None
    ledger: Ledger | None = None
    known_queues: set[str] = field(default_factory=set)
    known_contacts: set[str] = field(default_factory=set)
    slots_seen: int = 0
    """The most slots (offered or held contacts) any check compared."""
    snapshots_seen: set[int] = field(default_factory=set)
    rounds: list[str] = field(default_factory=list)

    def why(self, what: str) -> str:
        return f"{what} (CRASH_SEED={self.seed}, rounds {self.rounds})"


def load_round(run: Run, serve: Serve, label: str, *, graceful: bool = False) -> None:
    """Drive load, then kill the server (or stop it) after a random delay."""
    assert run.center is not None
    assert run.ledger is not None
    dying = threading.Event()
    threads = drive(
        url=serve.url, key=run.key, center=run.center, ledger=run.ledger, dying=dying, label=label
    )
    before = run.ledger.acknowledged
    deadline = time.monotonic() + 15
    while run.ledger.acknowledged == before and not run.ledger.failures:  # the load is on
        assert time.monotonic() < deadline, run.why(f"{label}: nothing acknowledged in 15 s")
        time.sleep(0.01)
    delay = run.rng.uniform(0.2, 1.2)
    run.rounds.append(f"{label}:{'TERM' if graceful else 'KILL'}@{delay:.2f}s")
    time.sleep(delay)
    dying.set()
    if graceful:
        serve.stop()
    else:
        serve.kill()
    for thread in threads:
        thread.join(timeout=20)
        assert not thread.is_alive(), run.why("a load thread hung after the server died")
    assert not run.ledger.failures, run.why("\n".join(run.ledger.failures))


def settle(db: str) -> None:
    """Wait until PostgreSQL has ended a dead server's sessions (and so released its leases)."""
    if not db.startswith("postgresql"):
        return  # the OS drops a dead process's file locks at once
    deadline = time.monotonic() + 15
    with psycopg.connect(db, autocommit=True) as conn:
        while True:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND application_name = 'switchboard' AND pid <> pg_backend_pid()"
            ).fetchone()
            if row is None or row[0] == 0:
                return
            assert time.monotonic() < deadline, "PostgreSQL kept a dead server's sessions"
            time.sleep(0.05)


def check_store(run: Run) -> State:
    """(a) and (b) on the store itself, the server dead; the ledger then holds what is stored."""
    assert run.center is not None
    assert run.ledger is not None
    settle(run.db)
    center, ledger = run.center, run.ledger
    stored = read_store(run.db, center.instance_id)
    restarted, replayed = state_image(stored.restarted.state), state_image(stored.replayed.state)
    assert restarted == replayed, run.why(
        "snapshot + tail (first) differs from a replay of the whole log (second): "
        + "; ".join(differences(restarted, replayed))
    )
    assert stream_image(stored.restarted) == stream_image(stored.replayed), run.why(
        "the agent event stream's projection differs after snapshot + tail"
    )
    if stored.snapshot_seq is not None:
        run.snapshots_seen.add(stored.snapshot_seq)
    state = stored.restarted.state
    found = statuses_in(state, center)
    for agent in center.agents:
        allowed = ledger.possible_statuses(agent)
        assert found[agent] in allowed, run.why(
            f"agent {agent}: stored status {found[agent]!r}, acknowledged/in flight {allowed}"
        )
    names = queues_in(state)
    missing = ledger.queues - names
    assert not missing, run.why(f"acknowledged queues lost: {sorted(missing)}")
    unasked = names - ledger.queues - ledger.queues_in_flight - run.known_queues
    assert not unasked, run.why(f"queues nobody asked for: {sorted(unasked)}")
    run.slots_seen = max(run.slots_seen, sum(len(a.slots) for a in state.agents.values()))
    contacts = {str(c) for c in state.contact_ids}
    lost = ledger.contacts - contacts
    assert not lost, run.why(f"acknowledged task contacts lost: {sorted(lost)}")
    unacknowledged = contacts - ledger.contacts - run.known_contacts
    assert len(unacknowledged) <= ledger.contacts_in_flight, run.why(
        f"{len(unacknowledged)} contacts nobody was answered for, "
        f"{ledger.contacts_in_flight} requests in flight"
    )
    # What is stored is now the truth the next round starts from.
    ledger.status.update(found)
    ledger.in_flight = dict.fromkeys(center.agents)
    ledger.queues = names & (ledger.queues | ledger.queues_in_flight | run.known_queues)
    ledger.queues_in_flight.clear()
    run.known_queues = names
    ledger.contacts_in_flight = 0
    run.known_contacts = contacts
    return state


def check_served(run: Run, serve: Serve) -> None:
    """(a) through the restarted server's API: it serves the statuses and queues stored."""
    assert run.center is not None
    assert run.ledger is not None
    client = connect(serve.url, run.key)
    assert served_statuses(client, run.center) == run.ledger.status, run.why(
        "the restarted server's statuses differ from the store's"
    )
    assert served_queues(client, run.center) == run.known_queues, run.why(
        "the restarted server's queues differ from the store's"
    )
    users = client.list_users(InstanceId=run.center.instance_id)["UserSummaryList"]
    assert set(run.center.agents) <= {u["Id"] for u in users}, run.why("users lost")


def crash_rounds(run: Run, alias: str, plan: list[str]) -> None:
    """Seed, then a round of load ended by each signal of `plan` ("KILL" or "TERM", the latter
    leaving a snapshot), each followed by a check of the store and (but the last) of the
    restarted server. A serve process costs seconds to start, so the rounds are few."""
    log = run.folder / "serve.log"
    run.key = admin_key(run.db)
    serve = Serve.start(run.db, log)
    try:
        client = connect(serve.url, run.key)
        run.center = seed(client, serve.url, alias)
        run.known_queues = served_queues(client, run.center)
        for agent in run.center.agents:  # a known, acknowledged status to start from
            client.put_user_status(
                InstanceId=run.center.instance_id,
                UserId=agent,
                AgentStatusId=run.center.statuses["Available"],
            )
        run.ledger = Ledger(
            status=dict.fromkeys(run.center.agents, "Available"),
            in_flight=dict.fromkeys(run.center.agents),
        )
        for n, how in enumerate(plan):
            before = run.ledger.acknowledged
            load_round(run, serve, f"r{n}", graceful=how == "TERM")
            assert run.ledger.acknowledged > before, run.why(f"round {n} acknowledged nothing")
            check_store(run)
            if n + 1 < len(plan):  # the last store check stands for the last restart
                serve = Serve.start(run.db, log)
                check_served(run, serve)
    finally:
        if serve.process.poll() is None:
            serve.kill()
    stored = read_store(run.db, run.center.instance_id)
    assert run.snapshots_seen, run.why("no snapshot was ever taken: only replays were compared")
    assert run.known_contacts, run.why("no contact was made: contacts were not compared")
    assert run.slots_seen, run.why("no contact was offered: slots were not compared")
    assert stored.snapshot_seq is not None, run.why("the last restart had no snapshot")
    assert stored.snapshot_seq < stored.last_seq, run.why("the last restart had no log tail")


def _seed() -> int:
    return int(os.environ.get("CRASH_SEED") or random.SystemRandom().randrange(1 << 32))


def test_sigkill_under_load_loses_no_acknowledged_change_on_sqlite(tmp_path: Path) -> None:
    seed = _seed()
    run = Run(str(tmp_path / "switchboard.db"), tmp_path, random.Random(seed), seed)
    crash_rounds(run, f"crash-{uuid.uuid4().hex[:8]}", ["KILL", "TERM", "KILL"])


# --------------------------------------------------------------------------- PostgreSQL


@pytest.fixture
def postgres_db() -> Iterator[str]:
    """A fresh database (catalog and instance schemas of its own), dropped afterwards: the
    server reopens every instance its catalog knows, so it must not share one."""
    host, port = require("postgresql")
    admin = f"postgresql://postgres@{host}:{port}/postgres"
    name = f"sb_crash_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"postgresql://postgres@{host}:{port}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as db:
            db.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def test_sigkill_under_load_loses_no_acknowledged_change_on_postgresql(
    tmp_path: Path, postgres_db: str
) -> None:
    seed = _seed()
    run = Run(postgres_db, tmp_path, random.Random(seed), seed)
    crash_rounds(run, f"crash-{uuid.uuid4().hex[:8]}", ["TERM", "KILL"])
