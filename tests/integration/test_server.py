"""The durable server over SQLite and PostgreSQL: what a restart keeps, when a change is on disk,
timers across a restart, snapshots, and sinks fed from the log.

Each test runs the real app (`build_app` over `Server`) in uvicorn and talks to it with boto3,
on both backends: a PostgreSQL run needs the server on 127.0.0.1:5432 (tests/services.py).
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import psycopg
import pytest
from botocore.exceptions import ClientError

from switchboard.domain import commands as cmd
from switchboard.domain.model import AgentId, Channel, ContactId, ContactState, QueueId
from switchboard.engine.clock import ManualClock, SystemClock
from switchboard.sinks.config import SinkSpec
from switchboard.sinks.jsonl import JsonlSink
from tests.server_harness import PASSWORD, LiveServer
from tests.services import require

POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def _drop_schemas(prefix: str) -> None:
    with psycopg.connect(POSTGRES, autocommit=True) as db:
        rows = db.execute(
            "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE %s",
            (prefix + "%",),
        ).fetchall()
        for (schema,) in rows:
            db.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Where each backend serves from, as `LiveServer.start` options: a SQLite file, or
    PostgreSQL schemas of this test's own prefix (dropped after)."""
    if request.param == "sqlite":
        yield {"db": str(tmp_path / "switchboard.db")}
        return
    require("postgresql")
    prefix = f"sbtest{uuid.uuid4().hex[:8]}"
    yield {"db": POSTGRES, "schema": prefix}
    _drop_schemas(prefix)


def _status_name(live: LiveServer, instance_id: str, user_id: str) -> str:
    instance = live.server.registry.get(instance_id)
    assert instance is not None
    agent = instance.engine.state.agents[AgentId(user_id)]
    return instance.engine.state.statuses[agent.status_id].name


def test_a_restart_keeps_instances_configuration_users_passwords_and_statuses(
    tmp_path: Path, db: dict[str, str]
) -> None:
    live = LiveServer.start(tmp_path, **db)
    seeded = live.seed_instance("keeps")
    client = live.connect()
    client.put_user_status(
        InstanceId=seeded.instance_id,
        UserId=seeded.users["alice"],
        AgentStatusId=seeded.statuses["Break"],
    )
    queue = client.describe_queue(InstanceId=seeded.instance_id, QueueId=seeded.queues["Sales"])

    live = live.restart(**db)
    try:
        client = live.connect()
        (summary,) = client.list_instances()["InstanceSummaryList"]
        assert summary["InstanceAlias"] == "keeps"
        users = client.list_users(InstanceId=seeded.instance_id)["UserSummaryList"]
        assert sorted(u["Username"] for u in users) == ["alice", "bob", "sam"]
        again = client.describe_queue(InstanceId=seeded.instance_id, QueueId=seeded.queues["Sales"])
        assert again["Queue"] == queue["Queue"]
        described = client.describe_user(InstanceId=seeded.instance_id, UserId=seeded.users["sam"])
        assert described["User"]["SecurityProfileIds"] == [
            seeded.security_profiles["CallCenterManager"]
        ]
        assert _status_name(live, seeded.instance_id, seeded.users["alice"]) == "Break"
        accounts = live.server.accounts
        assert accounts.check_password(seeded.instance_id, "bob", PASSWORD) == seeded.users["bob"]
        assert accounts.check_password(seeded.instance_id, "bob", "wrong") is None
    finally:
        live.stop()


def _stored_event_types(db: str, folder: Path, instance_id: str, prefix: str) -> list[str]:
    """The event types in an instance's store, read behind the running server's back."""
    if db.startswith("postgresql"):
        schema = f"{prefix}_" + instance_id.replace("-", "")
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            rows = conn.execute(f'SELECT type FROM "{schema}".events ORDER BY seq').fetchall()
        return [str(r[0]) for r in rows]
    path = folder / "switchboard.db.instances" / f"{instance_id}.db"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return [str(r[0]) for r in conn.execute("SELECT type FROM events ORDER BY seq")]


def test_a_change_is_on_disk_before_it_is_acknowledged(tmp_path: Path, db: dict[str, str]) -> None:
    live = LiveServer.start(tmp_path, **db)
    try:
        seeded = live.seed_instance("acks")
        client = live.connect()
        prefix = live.server.backend.schema
        before = _stored_event_types(db["db"], tmp_path, seeded.instance_id, prefix)
        client.put_user_status(
            InstanceId=seeded.instance_id,
            UserId=seeded.users["bob"],
            AgentStatusId=seeded.statuses["Training"],
        )
        # No wait, no flush: the answer came, so the event is already in the store.
        after = _stored_event_types(db["db"], tmp_path, seeded.instance_id, prefix)
        assert after[: len(before)] == before
        assert "AgentStatusChanged" in after[len(before) :]
    finally:
        live.stop()


def test_an_offer_that_times_out_while_the_server_is_down_is_missed_at_restart(
    tmp_path: Path, db: dict[str, str]
) -> None:
    clock = ManualClock(SystemClock().now())  # near real time: boto3 signs with the real clock
    live = LiveServer.start(tmp_path, **db, clock=clock)
    seeded = live.seed_instance("timers")
    alice = AgentId(seeded.users["alice"])
    live.execute(seeded.instance_id, cmd.Login(agent_id=alice))
    live.connect().put_user_status(
        InstanceId=seeded.instance_id, UserId=alice, AgentStatusId=seeded.statuses["Available"]
    )
    contact = ContactId(str(uuid.uuid4()))
    live.execute(
        seeded.instance_id,
        cmd.StartInboundContact(
            contact_id=contact, channel=Channel.VOICE, queue_id=QueueId(seeded.queues["Sales"])
        ),
    )
    instance = live.server.registry.get(seeded.instance_id)
    assert instance is not None
    assert instance.engine.state.agents[alice].slots[contact].state is ContactState.CONNECTING
    live.stop()

    clock.advance(25_000)  # past the 20 s offer timeout, while nothing runs
    live = LiveServer.start(tmp_path, **db, clock=clock, key=(live.key_id, live.secret))
    try:
        instance = live.server.registry.get(seeded.instance_id)
        assert instance is not None
        state = instance.engine.state
        slot_state = live.on_loop(lambda: state.agents[alice].slots[contact].state)
        assert slot_state is ContactState.MISSED
        # The missed contact went back to its queue, as a live timeout would have done.
        metrics = live.connect().get_current_metric_data(
            InstanceId=seeded.instance_id,
            Filters={"Queues": [seeded.queues["Sales"]], "Channels": ["VOICE"]},
            CurrentMetrics=[{"Name": "CONTACTS_IN_QUEUE", "Unit": "COUNT"}],
        )
        (result,) = metrics["MetricResults"]
        assert result["Collections"][0]["Value"] == 1
    finally:
        live.stop()


def test_a_restart_from_a_snapshot_plus_tail_equals_the_state_before(
    tmp_path: Path, db: dict[str, str]
) -> None:
    live = LiveServer.start(tmp_path, **db, snapshot_every=5)
    seeded = live.seed_instance("snapshots")
    client = live.connect()
    for name in ("Break", "Available", "Training", "Break", "Available", "Break"):
        for user in ("alice", "bob"):
            client.put_user_status(
                InstanceId=seeded.instance_id,
                UserId=seeded.users[user],
                AgentStatusId=seeded.statuses[name],
            )
    durable = live.server.durable(seeded.instance_id)
    assert durable.snapshot_seq > 0, "a snapshot was taken along the way"
    before = live.on_loop(lambda: _comparable(live, seeded.instance_id))
    live = live.restart(**db, snapshot_every=5)
    try:
        assert live.on_loop(lambda: _comparable(live, seeded.instance_id)) == before
    finally:
        live.stop()


def _comparable(live: LiveServer, instance_id: str) -> dict[str, object]:
    instance = live.server.registry.get(instance_id)
    assert instance is not None
    state = instance.engine.state
    return {
        agent_id: (agent.status_id, agent.status_start, agent.logged_in, sorted(agent.slots))
        for agent_id, agent in state.agents.items()
    }


def _alice_statuses(path: Path, user_id: str, last: str) -> list[str]:
    """The statuses of a user's STATE_CHANGE records in a JSONL file, once `last` is there."""
    deadline = time.monotonic() + 10
    statuses: list[str] = []
    while time.monotonic() < deadline:
        if path.exists():
            lines = [orjson.loads(line) for line in path.read_bytes().splitlines()]
            statuses = [
                line["CurrentAgentSnapshot"]["AgentStatus"]["Name"]
                for line in lines
                if line["EventType"] == "STATE_CHANGE" and line["AgentARN"].endswith(user_id)
            ]
            if statuses[-1:] == [last]:
                break
        time.sleep(0.05)
    return statuses


def test_sinks_receive_agent_events_from_the_log_and_resume_after_a_restart(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "stream"
    sinks: dict[str, list[SinkSpec]] = {
        "*": [lambda alias: JsonlSink(folder / alias, name="files", fsync=False)]
    }
    live = LiveServer.start(tmp_path, sinks=sinks)
    seeded = live.seed_instance("sinks")  # created while serving: its sinks start with it
    alice = seeded.users["alice"]
    path = folder / "sinks" / "agent-events.jsonl"
    live.connect().put_user_status(
        InstanceId=seeded.instance_id, UserId=alice, AgentStatusId=seeded.statuses["Break"]
    )
    assert _alice_statuses(path, alice, "Break")[-1:] == ["Break"]
    live = live.restart(sinks=sinks)
    try:
        live.connect().put_user_status(
            InstanceId=seeded.instance_id,
            UserId=alice,
            AgentStatusId=seeded.statuses["Available"],
        )
        assert _alice_statuses(path, alice, "Available")[-2:] == ["Break", "Available"]
        ids = [orjson.loads(line)["EventId"] for line in path.read_bytes().splitlines()]
        assert len(ids) == len(set(ids)), "a clean restart sends nothing twice"
    finally:
        live.stop()


def test_contacts_and_historical_metrics_from_before_a_restart_are_still_reported(
    tmp_path: Path, db: dict[str, str]
) -> None:
    live = LiveServer.start(tmp_path, **db)
    seeded = live.seed_instance("history")
    alice = AgentId(seeded.users["alice"])
    started = SystemClock().now()
    live.execute(seeded.instance_id, cmd.Login(agent_id=alice))
    live.connect().put_user_status(
        InstanceId=seeded.instance_id, UserId=alice, AgentStatusId=seeded.statuses["Available"]
    )
    contact = ContactId(str(uuid.uuid4()))
    sales = QueueId(seeded.queues["Sales"])
    for command in (
        cmd.StartInboundContact(contact_id=contact, channel=Channel.VOICE, queue_id=sales),
        cmd.AcceptContact(agent_id=alice, contact_id=contact),
        cmd.CustomerHangup(contact_id=contact),
        cmd.ClearContact(agent_id=alice, contact_id=contact),
    ):
        live.execute(seeded.instance_id, command)
    live = live.restart(**db)
    try:
        client = live.connect()
        described = client.describe_contact(InstanceId=seeded.instance_id, ContactId=contact)
        assert described["Contact"]["DisconnectReason"] == "CUSTOMER_DISCONNECT"
        assert described["Contact"]["AgentInfo"]["Id"] == alice
        (instance,) = client.list_instances()["InstanceSummaryList"]
        metrics = client.get_metric_data_v2(
            ResourceArn=instance["Arn"],
            StartTime=started / 1000 - 60,
            EndTime=time.time(),
            Filters=[{"FilterKey": "QUEUE", "FilterValues": [sales]}],
            Metrics=[{"Name": "CONTACTS_HANDLED"}],
        )
        (result,) = metrics["MetricResults"]
        assert result["Collections"][0]["Value"] == 1
    finally:
        live.stop()


def test_health_reports_ok_then_a_failed_write_stops_answering_with_503(tmp_path: Path) -> None:
    live = LiveServer.start(tmp_path)
    try:
        seeded = live.seed_instance("health")
        health = httpx.get(f"{live.url}/healthz", timeout=5)
        assert health.status_code == 200
        assert health.json()["status"] == "ok"
        assert health.json()["instances"] == 1

        def broken(*_: object) -> int:
            raise OSError("disk full")

        store = live.server.durable(seeded.instance_id).store
        store.append_batches = broken  # type: ignore[method-assign]
        client = live.connect()
        with pytest.raises(ClientError) as refused:
            client.put_user_status(
                InstanceId=seeded.instance_id,
                UserId=seeded.users["alice"],
                AgentStatusId=seeded.statuses["Break"],
            )
        assert refused.value.response["Error"]["Code"] == "ServiceUnavailableException"
        assert "not applied" in refused.value.response["Error"]["Message"]
        assert httpx.get(f"{live.url}/healthz", timeout=5).status_code == 503
        with pytest.raises(ClientError):  # nothing is answered from a state the log lacks
            client.list_users(InstanceId=seeded.instance_id)
    finally:
        live.stop()
    # The change that was never written is not there after a restart.
    live = LiveServer.start(tmp_path, key=(live.key_id, live.secret))
    try:
        assert _status_name(live, seeded.instance_id, seeded.users["alice"]) == "Offline"
    finally:
        live.stop()
