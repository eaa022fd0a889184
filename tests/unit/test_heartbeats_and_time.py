"""Heartbeats and time (DESIGN §3.13, §5): HEART_BEAT after 120 s of silence per agent, up to 1 h
after logout; deadlines fire at their own time; an action at a deadline's instant goes first;
event times never go backwards."""

from __future__ import annotations

from typing import Any

from switchboard.domain.model import ContactState
from switchboard.engine.clock import ManualClock
from switchboard.engine.engine import AgentStreamRecord, Engine, StreamEventType
from switchboard.engine.ids import IdSource
from tests.support import BASIC, World


def beats(world: World, username: str) -> list[dict[str, Any]]:
    return world.aes(username, "HEART_BEAT")


def stamps(world: World, records: list[dict[str, Any]]) -> list[str]:
    return [r["EventTimestamp"] for r in records]


def test_a_heartbeat_follows_120_seconds_without_another_record() -> None:
    world = World()
    world.available("alice", 0)
    world.run_until(250)
    heartbeats = beats(world, "alice")
    assert stamps(world, heartbeats) == [world.iso(120), world.iso(240)]
    for beat in heartbeats:
        assert beat["CurrentAgentSnapshot"] == beat["PreviousAgentSnapshot"]
        assert beat["CurrentAgentSnapshot"]["AgentStatus"]["Name"] == "Available"
        assert beat["EventId"]
    assert heartbeats[0]["EventId"] != heartbeats[1]["EventId"]


def test_any_record_of_the_agent_postpones_the_heartbeat() -> None:
    world = World()
    world.available("alice", 0)
    world.set_status("alice", "Break", 100)
    world.run_until(300)
    assert stamps(world, beats(world, "alice")) == [world.iso(220)]


def test_another_agents_records_do_not_postpone_a_heartbeat() -> None:
    world = World()
    world.available("alice", 0)
    world.available("bob", 0)
    world.set_status("bob", "Break", 100)
    world.run_until(130)
    assert stamps(world, beats(world, "alice")) == [world.iso(120)]
    assert beats(world, "bob") == []


def test_an_action_at_the_heartbeat_instant_comes_first_and_no_heartbeat_is_sent() -> None:
    world = World()
    world.available("alice", 0)
    world.set_status("alice", "Break", 120)
    world.run_until(239)
    assert beats(world, "alice") == []
    world.run_until(240)
    assert stamps(world, beats(world, "alice")) == [world.iso(240)]


def test_heartbeats_continue_up_to_an_hour_after_logout_then_stop() -> None:
    world = World()
    world.available("alice", 0)
    world.logout("alice", 300)
    world.run_until(300 + 3600 + 600)
    after = [b for b in beats(world, "alice") if b["EventTimestamp"] > world.iso(300)]
    assert after, "heartbeats go on after logout"
    assert stamps(world, after)[0] == world.iso(420)
    assert max(stamps(world, after)) <= world.iso(300 + 3600)
    assert max(stamps(world, after)) > world.iso(300 + 3600 - 120)
    for beat in after:
        status = beat["CurrentAgentSnapshot"]["AgentStatus"]
        assert (status["Name"], status["Type"]) == ("Offline", "OFFLINE")


def test_the_heartbeat_interval_is_an_instance_setting() -> None:
    world = World({**BASIC, "instance": {**BASIC["instance"], "heartbeat_s": 30}})
    world.available("alice", 0)
    world.run_until(95)
    assert stamps(world, beats(world, "alice")) == [world.iso(30), world.iso(60), world.iso(90)]


def test_overdue_deadlines_fire_in_order_each_at_its_own_time() -> None:
    world = World()
    world.available("alice", 0)
    world.available("bob", 5)
    world.inbound("c1", 10)  # alice; missed at 30 → bob; missed at 50
    world.run_until(100)
    trail = [
        (r["EventTimestamp"], r["AgentARN"].rsplit("/", 1)[1], c["State"])
        for r in world.aes_json
        if r["EventType"] == "STATE_CHANGE"
        for c in r["CurrentAgentSnapshot"]["Contacts"]
        if c["ContactId"] == "c1"
    ]
    alice, bob = world.agent("alice"), world.agent("bob")
    assert trail == [
        (world.iso(10), alice, "CONNECTING"),
        (world.iso(30), alice, "MISSED"),
        (world.iso(30), bob, "CONNECTING"),
        (world.iso(50), bob, "MISSED"),
    ]


def test_a_late_command_sees_the_deadlines_that_fell_before_it() -> None:
    world = World()
    world.available("alice", 0)
    world.available("bob", 5)
    world.inbound("c1", 10)
    world.inbound("c2", 35)  # at 30 c1 left alice for bob; alice is blocked by her miss
    assert world.slot_state("alice", "c1") is ContactState.MISSED
    assert world.slot_state("bob", "c1") is ContactState.CONNECTING
    assert world.slot_state("alice", "c2") is None


def test_event_times_never_go_backwards() -> None:
    world = World()
    world.available("alice", 0)
    world.set_status("alice", "Break", 50)
    world.set_status("alice", "Training", 40)  # a late arrival from a slower client
    last = world.aes("alice", "STATE_CHANGE")[-1]
    assert last["EventTimestamp"] == world.iso(50)
    assert last["CurrentAgentSnapshot"]["AgentStatus"]["StartTimestamp"] == world.iso(50)
    timestamps = [r["EventTimestamp"] for r in world.aes_json]
    assert timestamps == sorted(timestamps)


def test_the_same_story_gives_the_same_bytes() -> None:
    def story() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        world = World()
        world.available("alice", 0)
        world.inbound("c1", 10)
        world.accept("alice", "c1", 12)
        world.hangup("c1", 40)
        world.clear("alice", "c1", 50)
        world.run_until(400)
        return world.aes_json, world.ctr_json

    assert story() == story()


def test_a_restart_fires_overdue_deadlines_at_their_time_and_does_not_backfill_heartbeats() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)  # the offer would time out at 30; the engine stops at 15
    # restart at 1000 s: a new engine rebuilt from the log, then the clock catches up
    restarted = Engine(clock=ManualClock(world.ms(1000)), ids=IdSource(world.setup.settings.arn))
    restarted.replay(world.engine.log.read())
    published: list[AgentStreamRecord] = []
    restarted.on_agent_event(published.append)
    restarted.fire_due(world.ms(1000))
    changes = [r for r in published if r.event_type is StreamEventType.STATE_CHANGE]
    assert [(r.at, r.current.contacts[0].state) for r in changes if r.current] == [
        (world.ms(30), ContactState.MISSED)
    ]
    backfilled = [
        (r.at - world.start) / 1000  # seconds after start, for a readable failure
        for r in published
        if r.event_type is StreamEventType.HEART_BEAT and r.at < world.ms(1000)
    ]
    assert backfilled == []


def test_a_logged_in_agent_gets_heartbeats_before_any_state_change() -> None:
    world = World()
    world.login("alice", 0)
    world.run_until(130)
    [beat] = beats(world, "alice")
    assert beat["EventTimestamp"] == world.iso(120)
    assert beat["CurrentAgentSnapshot"]["AgentStatus"]["Name"] == "Offline"
    world.set_status("alice", "Available", 130)
    [change] = world.aes("alice", "STATE_CHANGE")
    assert change["PreviousAgentSnapshot"] is None  # still the first STATE_CHANGE after LOGIN
