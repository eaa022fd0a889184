"""Agent-dialled calls (DESIGN §3.10): any status may dial out if a voice slot is free; the status
never changes; CONNECTING then CONNECTED or ERROR; ACW follows a connected call."""

from __future__ import annotations

from typing import Any

from switchboard.domain.model import ContactState
from tests.support import BASIC, World


def contact_in(snapshot: dict[str, Any], contact: str) -> dict[str, Any]:
    for c in snapshot["Contacts"]:
        if c["ContactId"] == contact:
            return c
    raise AssertionError(f"{contact} not in snapshot")


def voice_slots(snapshot: dict[str, Any]) -> int:
    concurrency = snapshot["Configuration"]["RoutingProfile"]["Concurrency"]
    return next(c["AvailableSlots"] for c in concurrency if c["Channel"] == "VOICE")


def in_break(world: World, username: str = "alice") -> None:
    world.login(username, 0)
    world.set_status(username, "Break", 0)


def test_dialling_out_rings_as_outbound_connecting() -> None:
    world = World()
    world.available("alice", 0)
    world.dial("alice", "out1", 5)
    out1 = contact_in(world.last_snapshot("alice"), "out1")
    assert out1["State"] == "CONNECTING"
    assert out1["InitiationMethod"] == "OUTBOUND"
    assert out1["QueueTimestamp"] is None
    assert out1["StateStartTimestamp"] == world.iso(5)
    assert world.activities("alice")[-1] == "On contact"


def test_a_break_agent_dials_out_and_stays_in_break_while_on_contact() -> None:
    world = World()
    in_break(world)
    world.dial("alice", "out1", 5)
    world.answered("out1", 9)
    snapshot = world.last_snapshot("alice")
    assert snapshot["AgentStatus"]["Name"] == "Break"
    assert snapshot["AgentStatus"]["StartTimestamp"] == world.iso(0)
    assert contact_in(snapshot, "out1")["State"] == "CONNECTED"
    assert voice_slots(snapshot) == 0
    assert world.activities("alice")[-2:] == ["On contact", "On contact"]


def test_a_break_agent_returns_to_break_after_the_outbound_call() -> None:
    world = World()
    in_break(world)
    world.dial("alice", "out1", 5)
    world.answered("out1", 9)
    world.end("alice", "out1", 30)
    assert world.slot_state("alice", "out1") is ContactState.ENDED
    world.clear("alice", "out1", 40)
    assert world.activities("alice")[-3:] == ["On contact", "After contact work", "Break"]
    assert all(
        r["CurrentAgentSnapshot"]["AgentStatus"]["Name"] == "Break"
        for r in world.aes("alice", "STATE_CHANGE")
    )


def test_an_offline_agent_may_dial_out() -> None:
    world = World()
    world.login("alice", 0)
    world.dial("alice", "out1", 5)
    snapshot = world.last_snapshot("alice")
    assert snapshot["AgentStatus"]["Name"] == "Offline"
    assert contact_in(snapshot, "out1")["State"] == "CONNECTING"
    assert world.activities("alice")[-1] == "On contact"


def test_an_agent_on_a_chat_may_still_dial_out() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("ch1", 1, channel="CHAT")
    world.accept("alice", "ch1", 2)
    world.dial("alice", "out1", 5)
    assert world.slot_state("alice", "out1") is ContactState.CONNECTING


def test_an_answered_call_connects_and_acw_follows() -> None:
    world = World()
    world.available("alice", 0)
    world.dial("alice", "out1", 5)
    world.answered("out1", 9)
    out1 = contact_in(world.last_snapshot("alice"), "out1")
    assert (out1["State"], out1["StateStartTimestamp"]) == ("CONNECTED", world.iso(9))
    assert out1["ConnectedToAgentTimestamp"] == world.iso(9)
    world.hangup("out1", 40)
    assert world.slot_state("alice", "out1") is ContactState.ENDED
    world.clear("alice", "out1", 50)
    record = world.ctr("out1")
    assert record["InitiationMethod"] == "OUTBOUND"
    assert record["InitiationTimestamp"] == world.iso_s(5)
    assert record["ConnectedToSystemTimestamp"] == world.iso_s(9)
    assert record["DisconnectReason"] == "CUSTOMER_DISCONNECT"
    assert record["Agent"]["Username"] == "alice"
    assert record["Agent"]["AfterContactWorkDuration"] == 10
    assert record["AgentConnectionAttempts"] == 1
    assert record["Recording"] is not None


def test_a_failed_dial_is_an_error_with_its_own_record() -> None:
    world = World()
    world.available("alice", 0)
    world.dial("alice", "out1", 5)
    world.dial_failed("out1", 12)
    out1 = contact_in(world.last_snapshot("alice"), "out1")
    assert (out1["State"], out1["StateStartTimestamp"]) == ("ERROR", world.iso(12))
    assert world.activities("alice")[-1] == "Error"
    record = world.ctr("out1")  # final at once: there is no ACW
    assert record["ConnectedToSystemTimestamp"] is None
    assert record["DisconnectReason"] == "OTHER"
    assert record["DisconnectTimestamp"] == world.iso_s(12)
    agent = record["Agent"]
    assert agent is not None
    assert agent["Username"] == "alice"
    assert agent["AfterContactWorkStartTimestamp"] is None
    assert agent["AfterContactWorkEndTimestamp"] is None
    assert agent["AfterContactWorkDuration"] is None
    assert record["Recording"] is None
    assert record["Recordings"] == []


def test_a_failed_dial_stays_until_cleared_and_adds_no_second_record() -> None:
    world = World()
    in_break(world)
    world.dial("alice", "out1", 5)
    world.dial_failed("out1", 12)
    world.run_until(600)
    assert world.slot_state("alice", "out1") is ContactState.ERROR
    world.clear("alice", "out1", 601)
    assert world.slot_state("alice", "out1") is None
    assert world.status_name("alice") == "Break"
    assert len(world.ctr_json) == 1


def test_an_outbound_call_goes_through_the_profiles_first_queue_by_default() -> None:
    world = World()
    world.available("alice", 0)
    world.dial("alice", "out1", 5)
    assert contact_in(world.last_snapshot("alice"), "out1")["Queue"]["Name"] == "Sales"


def test_an_outbound_call_goes_through_the_named_default_outbound_queue() -> None:
    scenario: dict[str, Any] = {
        **BASIC,
        "queues": [
            {"name": "Sales", "channels": ["VOICE", "CHAT"]},
            {"name": "Callers", "channels": ["VOICE"]},
        ],
        "routing_profiles": [
            {**BASIC["routing_profiles"][0], "default_outbound_queue": "Callers"},
        ],
    }
    world = World(scenario)
    world.available("alice", 0)
    world.dial("alice", "out1", 5)
    assert contact_in(world.last_snapshot("alice"), "out1")["Queue"]["Name"] == "Callers"
    world.dial_failed("out1", 6)
    assert world.ctr("out1")["Queue"]["Name"] == "Callers"


def test_an_agent_dialling_out_gets_no_inbound_call_meanwhile() -> None:
    world = World()
    world.available("alice", 0)
    world.dial("alice", "out1", 5)
    world.inbound("c1", 6)
    assert world.slot_state("alice", "c1") is None
    world.answered("out1", 8)
    world.end("alice", "out1", 20)
    world.clear("alice", "out1", 25)
    assert world.slot_state("alice", "c1") is ContactState.CONNECTING
