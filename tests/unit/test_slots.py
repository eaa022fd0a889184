"""Slots (DESIGN §3.3, §5): a contact holds its slot in every state until it is cleared, and every
snapshot reports AvailableSlots = maximum minus held, whatever the status."""

from __future__ import annotations

from typing import Any

from tests.support import World


def slots(record: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """{channel: (AvailableSlots, MaximumSlots)} of a record's current snapshot."""
    concurrency = record["CurrentAgentSnapshot"]["Configuration"]["RoutingProfile"]["Concurrency"]
    return {c["Channel"]: (c["AvailableSlots"], c["MaximumSlots"]) for c in concurrency}


def voice_free_after_each_change(world: World, username: str) -> list[int]:
    return [slots(r)["VOICE"][0] for r in world.aes(username, "STATE_CHANGE")]


def test_an_idle_agent_has_every_slot_free_in_any_status() -> None:
    world = World()
    world.login("alice", 0)
    world.set_status("alice", "Break", 1)
    world.set_status("alice", "Available", 2)
    world.set_status("alice", "Offline", 3)
    for record in world.aes("alice", "STATE_CHANGE"):
        assert slots(record) == {"VOICE": (1, 1), "CHAT": (2, 2)}


def test_a_call_holds_its_slot_from_ringing_until_cleared() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)  # CONNECTING
    world.accept("alice", "c1", 11)  # CONNECTED
    world.hold("alice", "c1", 12)  # CONNECTED_ONHOLD
    world.resume("alice", "c1", 13)
    world.hangup("c1", 20)  # ENDED
    world.clear("alice", "c1", 30)  # gone
    assert voice_free_after_each_change(world, "alice") == [1, 0, 0, 0, 0, 0, 1]


def test_a_missed_call_holds_its_slot_until_cleared() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.run_until(30)
    assert slots(world.aes("alice", "STATE_CHANGE")[-1])["VOICE"] == (0, 1)
    world.available("bob", 31)  # c1 goes to bob
    world.clear("alice", "c1", 40)
    assert slots(world.aes("alice", "STATE_CHANGE")[-1])["VOICE"] == (1, 1)


def test_a_break_agent_on_an_outbound_call_reports_its_voice_slot_taken() -> None:
    world = World()
    world.login("alice", 0)
    world.set_status("alice", "Break", 0)
    world.dial("alice", "out1", 5)
    assert slots(world.aes("alice", "STATE_CHANGE")[-1]) == {"VOICE": (0, 1), "CHAT": (2, 2)}


def test_an_offline_agent_with_a_failed_dial_reports_its_voice_slot_taken() -> None:
    world = World()
    world.login("alice", 0)
    world.dial("alice", "out1", 5)
    world.dial_failed("out1", 6)
    assert slots(world.aes("alice", "STATE_CHANGE")[-1])["VOICE"] == (0, 1)


def test_chat_slots_count_down_and_back_up() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("ch1", 10, channel="CHAT")
    world.inbound("ch2", 11, channel="CHAT")
    world.accept("alice", "ch1", 12)
    world.hangup("ch1", 20)
    world.clear("alice", "ch1", 25)
    free = [slots(r)["CHAT"][0] for r in world.aes("alice", "STATE_CHANGE")]
    assert free == [2, 1, 0, 0, 0, 1]


def test_a_ringing_call_leaves_the_chat_slots_free_in_the_snapshot() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    assert slots(world.aes("alice", "STATE_CHANGE")[-1]) == {"VOICE": (0, 1), "CHAT": (2, 2)}


def test_heartbeats_report_the_slots_too() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.accept("alice", "c1", 11)
    world.run_until(200)
    [beat] = world.aes("alice", "HEART_BEAT")
    assert slots(beat)["VOICE"] == (0, 1)
