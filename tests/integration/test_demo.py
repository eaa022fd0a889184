"""`serve --demo`: the demo instance is seeded once, and on the real clock (30 times faster than
the default center) its simulated customers and agents make contacts that queue, get handled or
abandoned, and reach the durable log and outbox through the server's timer loop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import orjson
from fastapi import APIRouter

from switchboard.api.demo import ADMIN, DEMO_ALIAS, STATUSES, SUPERVISOR, Demo, DemoConfig
from switchboard.api.server import Server
from switchboard.domain import events as ev
from switchboard.domain.model import Channel, StatusType
from switchboard.engine.clock import SystemClock
from switchboard.engine.outbox import RecordKind
from switchboard.storage.backend import open_backend
from tests.server_harness import MASTER_KEY, LiveServer

ENVIRON = {"SWITCHBOARD_SECRET_KEY": MASTER_KEY}
FAST = DemoConfig(seed=7).faster(30)


def _server(db: Path) -> Server:
    server = Server(open_backend(str(db)), clock=SystemClock(), environ=ENVIRON)
    server.open()
    return server


def test_seeding_twice_makes_the_instance_once_and_shows_passwords_once(tmp_path: Path) -> None:
    db = tmp_path / "switchboard.db"
    server = _server(db)
    first = Demo.seed(server)
    instance = first.instance
    state = instance.engine.state
    assert instance.alias == DEMO_ALIAS
    assert {s.name for s in state.statuses.values() if s.type is StatusType.CUSTOM} == set(STATUSES)
    assert {q.name for q in state.queues.values()} == {"Sales", "Support"}
    for profile in state.profiles.values():
        assert dict(profile.concurrency) == {Channel.VOICE: 1, Channel.CHAT: 2, Channel.TASK: 1}
    usernames = [name for name, _ in first.credentials]
    assert usernames == [f"agent{i:02d}" for i in range(1, 13)] + [SUPERVISOR, ADMIN]
    assert len({password for _, password in first.credentials}) == 14
    username, password = first.credentials[0]
    assert server.accounts.check_password(instance.id, username, password) is not None
    assert instance.profile_names(state.usernames[SUPERVISOR]) == ["CallCenterManager"]
    assert instance.profile_names(state.usernames[ADMIN]) == ["Admin"]
    assert len(first.simulated) == 10
    assert {state.agents[a].username for a in first.simulated}.isdisjoint({"agent01", "agent02"})
    assert server.background == [first.run]
    # The seed was committed before `seed` returned (no loop ran): a restart finds it all.
    seq = server.durable(instance.id).log.durable_seq
    assert seq > 0
    assert server.durable(instance.id).log.idle
    asyncio.run(server.close())

    again_server = _server(db)
    again = Demo.seed(again_server)
    assert again.credentials == []
    assert again.instance.id == instance.id
    assert len(again_server.registry) == 1
    again_state = again.instance.engine.state
    assert set(again_state.usernames) == set(usernames)
    assert again.simulated == first.simulated
    assert again_server.durable(instance.id).log.durable_seq == seq
    assert again.instance.profile_names(again_state.usernames["agent01"]) == ["Agent"]
    assert again_server.accounts.check_password(instance.id, username, password) is not None
    asyncio.run(again_server.close())


def _demo_router(config: DemoConfig, made: list[Demo]) -> Callable[[Server], APIRouter]:
    """What `serve --demo` does before building the app: seed, then add the demo's router."""

    def make(server: Server) -> APIRouter:
        demo = Demo.seed(server, config)
        made.append(demo)
        return demo.router(server)

    return make


def _wait_for(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the demo did not get there in time"
        time.sleep(0.05)


def test_the_demo_runs_a_living_center_on_the_real_clock(tmp_path: Path) -> None:
    made: list[Demo] = []
    live = LiveServer.start(tmp_path, routers=[_demo_router(FAST, made)])
    try:
        demo = made[0]
        instance = demo.instance
        durable = live.server.durable(instance.id)
        _wait_for(lambda: demo.counts.completed >= 5, 8)
        page = httpx.get(f"{live.url}/switchboard/demo", timeout=5).json()
        assert page["InstanceId"] == instance.id
        assert page["Running"] is True
        assert page["HumanAgents"] == ["agent01", "agent02"]
        assert len(page["SimulatedAgents"]) == 10
        assert page["Counts"]["Arrived"] >= page["Counts"]["Answered"] >= 5
        state = instance.engine.state
        for agent_id in demo.simulated:
            assert state.agents[agent_id].logged_in
        for name in ("agent01", "agent02", SUPERVISOR):
            assert not state.agents[state.usernames[name]].logged_in
        # The timer loop committed the demo's commands: the log and outbox hold them.
        _wait_for(lambda: durable.log.idle, 2)
        kinds = {type(event) for _, event in durable.store.read()}
        assert {ev.ContactQueued, ev.ContactOffered, ev.ContactAccepted, ev.ContactCleared} <= kinds
        records = [
            orjson.loads(r.entry.payload)
            for r in durable.store.outbox_read(0, 100_000)
            if r.entry.kind is RecordKind.CONTACT_RECORD
        ]
        handled = [r for r in records if r["Agent"] is not None]
        assert handled
        assert all(r["Agent"]["Username"].startswith("agent") for r in handled)
        assert {r["Channel"] for r in handled} <= {"VOICE", "CHAT", "TASK"}
    finally:
        live.stop()
    assert not made[0].running


def test_customers_hang_up_while_queued_when_nobody_answers(tmp_path: Path) -> None:
    made: list[Demo] = []
    nobody = DemoConfig(humans=12, seed=3).faster(60)  # every agent left to people
    live = LiveServer.start(tmp_path, routers=[_demo_router(nobody, made)])
    try:
        demo = made[0]
        durable = live.server.durable(demo.instance.id)
        _wait_for(lambda: demo.counts.abandoned >= 3, 8)
        assert demo.simulated == frozenset()
        assert demo.counts.answered == 0
        _wait_for(lambda: durable.log.idle, 2)
        records = [
            orjson.loads(r.entry.payload)
            for r in durable.store.outbox_read(0, 100_000)
            if r.entry.kind is RecordKind.CONTACT_RECORD
        ]
        assert len(records) >= 3
        for record in records:
            assert record["Agent"] is None
            assert record["DisconnectReason"] == "CUSTOMER_DISCONNECT"
            assert record["Queue"]["Name"] in {"Sales", "Support"}
    finally:
        live.stop()


def test_a_restarted_demo_resumes_without_new_passwords(tmp_path: Path) -> None:
    made: list[Demo] = []
    live = LiveServer.start(tmp_path, routers=[_demo_router(FAST, made)])
    _wait_for(lambda: made[0].counts.answered >= 2, 8)
    instance_id = made[0].instance.id
    again = live.restart(routers=[_demo_router(FAST, made)])
    try:
        demo = made[1]
        assert demo.credentials == []
        assert demo.instance.id == instance_id
        before = demo.instance.engine.state.contact_seq
        assert before > 0
        _wait_for(lambda: demo.counts.completed >= 3, 8)
        assert demo.instance.engine.state.contact_seq > before
    finally:
        again.stop()
