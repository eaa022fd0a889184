"""Next status (DESIGN §3.9): choosing a custom status or Offline while holding contacts."""

from __future__ import annotations

import itertools
from typing import Any

from switchboard.domain.model import ContactId, ContactPhase, ContactState
from tests.support import BASIC, World


def contact_ids(record: dict[str, Any]) -> list[str]:
    return [c["ContactId"] for c in record["CurrentAgentSnapshot"]["Contacts"]]


def at(world: World, username: str, seconds: float) -> list[dict[str, Any]]:
    """The agent's STATE_CHANGE records stamped `seconds` after start, in order."""
    stamp = world.iso(seconds)
    return [r for r in world.aes(username, "STATE_CHANGE") if r["EventTimestamp"] == stamp]


def status_of(record: dict[str, Any]) -> tuple[str, str | None]:
    snapshot = record["CurrentAgentSnapshot"]
    nxt = snapshot.get("NextAgentStatus")
    return snapshot["AgentStatus"]["Name"], nxt["Name"] if nxt is not None else None


def on_call(world: World) -> None:
    """Given alice Available since 0 and talking to c1 since 12."""
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.accept("alice", "c1", 12)


def acw_and_rejected(world: World) -> None:
    """Given alice holding chat ch1 in ACW (since 15) and chat ch2 REJECTED (since 22)."""
    world.available("alice", 0)
    world.inbound("ch1", 10, channel="CHAT")
    world.accept("alice", "ch1", 11)
    world.hangup("ch1", 15)
    world.inbound("ch2", 20, channel="CHAT")
    world.reject("alice", "ch2", 22)
    assert world.slot_state("alice", "ch1") is ContactState.ENDED
    assert world.slot_state("alice", "ch2") is ContactState.REJECTED


def keep_acw() -> dict[str, Any]:
    return {**BASIC, "instance": {**BASIC["instance"], "acw_on_status_change": "keep"}}


def test_choosing_break_on_a_live_contact_sets_next_status_and_keeps_the_status() -> None:
    world = World()
    on_call(world)
    world.set_status("alice", "Break", 20)
    [record] = at(world, "alice", 20)
    snapshot = record["CurrentAgentSnapshot"]
    assert snapshot["AgentStatus"]["Name"] == "Available"
    assert snapshot["AgentStatus"]["StartTimestamp"] == world.iso(0)
    nxt = snapshot["NextAgentStatus"]
    assert nxt["Name"] == "Break"
    assert nxt["EnqueuedTimestamp"] == world.iso(20)
    assert nxt["ARN"].endswith(f"/agent-state/{world.status('Break')}")
    assert world.status_name("alice") == "Available"
    assert world.slot_state("alice", "c1") is ContactState.CONNECTED


def test_next_status_is_absent_from_snapshots_when_unset() -> None:
    world = World()
    on_call(world)
    assert all(
        "NextAgentStatus" not in r["CurrentAgentSnapshot"]
        for r in world.aes("alice", "STATE_CHANGE")
    )


def test_an_agent_with_a_next_status_stays_on_contact_not_in_break() -> None:
    world = World()
    on_call(world)
    world.set_status("alice", "Break", 20)
    assert world.activities("alice")[-1] == "On contact"


def test_the_next_status_takes_effect_when_the_last_slot_clears() -> None:
    world = World()
    on_call(world)
    world.set_status("alice", "Break", 20)
    world.hangup("c1", 30)
    assert world.status_name("alice") == "Available"  # ACW of a later end is not cut short
    assert world.slot_state("alice", "c1") is ContactState.ENDED
    world.clear("alice", "c1", 45)
    cleared, switched = at(world, "alice", 45)
    assert contact_ids(cleared) == []
    assert status_of(cleared) == ("Available", "Break")
    assert status_of(switched) == ("Break", None)
    assert switched["CurrentAgentSnapshot"]["AgentStatus"]["StartTimestamp"] == world.iso(45)
    assert switched["PreviousAgentSnapshot"] == cleared["CurrentAgentSnapshot"]
    assert world.activities("alice")[-2:] == ["Available", "Break"]


def test_the_next_status_waits_for_every_slot() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("ch1", 10, channel="CHAT")
    world.inbound("ch2", 10, channel="CHAT")
    world.accept("alice", "ch1", 11)
    world.accept("alice", "ch2", 11)
    world.set_status("alice", "Break", 20)
    world.end("alice", "ch1", 30)
    world.clear("alice", "ch1", 31)
    assert world.status_name("alice") == "Available"
    world.end("alice", "ch2", 40)
    world.clear("alice", "ch2", 41)
    assert world.status_name("alice") == "Break"


def test_status_change_emits_next_status_then_clears_then_status_at_one_instant() -> None:
    world = World()
    acw_and_rejected(world)
    world.set_status("alice", "Break", 30)
    records = at(world, "alice", 30)
    assert len(records) == 4
    first, *clears, last = records
    # (a) the next status is set, with both contacts still held
    assert status_of(first) == ("Available", "Break")
    assert sorted(contact_ids(first)) == ["ch1", "ch2"]
    # (b) one record per contact cleared
    assert [len(contact_ids(r)) for r in clears] == [1, 0]
    assert all(status_of(r) == ("Available", "Break") for r in clears)
    # (c) the new status, once no contact remains
    assert status_of(last) == ("Break", None)
    assert contact_ids(last) == []
    for before, after in itertools.pairwise(records):
        assert after["PreviousAgentSnapshot"] == before["CurrentAgentSnapshot"]
    agent = world.ctr("ch1")["Agent"]
    assert agent["AfterContactWorkEndTimestamp"] == world.iso_s(30)


def test_choosing_break_in_acw_clears_the_acw_and_switches_at_once() -> None:
    world = World()
    on_call(world)
    world.hangup("c1", 30)
    world.set_status("alice", "Break", 35)
    assert [status_of(r) for r in at(world, "alice", 35)] == [
        ("Available", "Break"),
        ("Available", "Break"),
        ("Break", None),
    ]
    assert world.ctr("c1")["Agent"]["AfterContactWorkDuration"] == 5


def test_choosing_break_with_a_live_and_an_acw_contact_clears_only_the_acw() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("ch1", 10, channel="CHAT")
    world.inbound("ch2", 10, channel="CHAT")
    world.accept("alice", "ch1", 11)
    world.accept("alice", "ch2", 11)
    world.hangup("ch2", 20)
    world.set_status("alice", "Offline", 25)
    records = at(world, "alice", 25)
    assert [status_of(r) for r in records] == [("Available", "Offline"), ("Available", "Offline")]
    assert contact_ids(records[-1]) == ["ch1"]
    assert world.ctr("ch2")["Agent"]["AfterContactWorkEndTimestamp"] == world.iso_s(25)


def test_choosing_break_with_only_a_missed_contact_clears_it_and_switches() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.run_until(30)
    world.set_status("alice", "Break", 40)
    assert [status_of(r) for r in at(world, "alice", 40)] == [
        ("Available", "Break"),
        ("Available", "Break"),
        ("Break", None),
    ]
    contact = world.engine.state.contacts[ContactId("c1")]
    assert contact.phase is ContactPhase.QUEUED  # still waiting for another agent


def test_a_later_choice_replaces_the_next_status() -> None:
    world = World()
    on_call(world)
    world.set_status("alice", "Break", 20)
    world.set_status("alice", "Training", 25)
    [record] = at(world, "alice", 25)
    nxt = record["CurrentAgentSnapshot"]["NextAgentStatus"]
    assert (nxt["Name"], nxt["EnqueuedTimestamp"]) == ("Training", world.iso(25))
    world.end("alice", "c1", 30)
    world.clear("alice", "c1", 31)
    assert world.status_name("alice") == "Training"


def test_choosing_available_cancels_the_next_status() -> None:
    world = World()
    on_call(world)
    world.set_status("alice", "Break", 20)
    world.set_status("alice", "Available", 25)
    [record] = at(world, "alice", 25)
    assert status_of(record) == ("Available", None)
    assert record["CurrentAgentSnapshot"]["AgentStatus"]["StartTimestamp"] == world.iso(0)
    world.end("alice", "c1", 30)
    world.clear("alice", "c1", 31)
    assert world.status_name("alice") == "Available"
    assert [status_of(r) for r in at(world, "alice", 31)] == [("Available", None)]


def test_choosing_available_clears_failed_contacts_but_not_acw() -> None:
    world = World()
    acw_and_rejected(world)
    world.set_status("alice", "Available", 30)
    cleared, *_ = at(world, "alice", 30)  # (ch2, back in the queue, may then be offered again)
    assert contact_ids(cleared) == ["ch1"]
    assert world.slot_state("alice", "ch1") is ContactState.ENDED


def test_choosing_available_clears_a_missed_call_and_routing_resumes() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.run_until(30)
    world.set_status("alice", "Available", 40)
    cleared, offered = at(world, "alice", 40)
    assert contact_ids(cleared) == []
    assert contact_ids(offered) == ["c1"]
    assert offered["CurrentAgentSnapshot"]["Contacts"][0]["State"] == "CONNECTING"


def test_a_ringing_offer_is_never_withdrawn_by_a_status_change() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.set_status("alice", "Break", 12)
    assert world.slot_state("alice", "c1") is ContactState.CONNECTING
    assert status_of(at(world, "alice", 12)[-1]) == ("Available", "Break")
    world.accept("alice", "c1", 14)
    assert world.slot_state("alice", "c1") is ContactState.CONNECTED


def test_a_ringing_offer_missed_after_a_status_change_releases_the_next_status_on_clear() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.set_status("alice", "Break", 12)
    world.run_until(30)
    assert world.slot_state("alice", "c1") is ContactState.MISSED
    assert world.status_name("alice") == "Available"
    world.clear("alice", "c1", 35)
    assert world.status_name("alice") == "Break"


def test_a_break_agent_on_an_outbound_call_can_queue_another_custom_status() -> None:
    world = World()
    world.login("alice", 0)
    world.set_status("alice", "Break", 0)
    world.dial("alice", "out1", 5)
    world.set_status("alice", "Training", 6)
    assert status_of(at(world, "alice", 6)[-1]) == ("Break", "Training")
    world.answered("out1", 8)
    world.end("alice", "out1", 20)
    world.clear("alice", "out1", 25)
    assert world.status_name("alice") == "Training"


# --- knob acw_on_status_change = keep -----------------------------------------------------------


def test_with_keep_a_status_change_never_cuts_acw_short() -> None:
    world = World(keep_acw())
    on_call(world)
    world.hangup("c1", 30)
    world.set_status("alice", "Break", 35)
    assert [status_of(r) for r in at(world, "alice", 35)] == [("Available", "Break")]
    assert world.slot_state("alice", "c1") is ContactState.ENDED
    world.clear("alice", "c1", 50)
    assert [status_of(r) for r in at(world, "alice", 50)] == [
        ("Available", "Break"),
        ("Break", None),
    ]
    assert world.ctr("c1")["Agent"]["AfterContactWorkDuration"] == 20


def test_with_keep_failed_contacts_are_still_cleared_at_once() -> None:
    world = World(keep_acw())
    acw_and_rejected(world)
    world.set_status("alice", "Break", 30)
    records = at(world, "alice", 30)
    assert [status_of(r) for r in records] == [("Available", "Break"), ("Available", "Break")]
    assert contact_ids(records[-1]) == ["ch1"]


def test_with_keep_the_acw_limit_releases_the_next_status() -> None:
    scenario = keep_acw()
    scenario["agents"] = [
        {"username": "alice", "routing_profile": "Basic", "acw_timeout_s": {"VOICE": 20}}
    ]
    world = World(scenario)
    on_call(world)
    world.hangup("c1", 30)
    world.set_status("alice", "Break", 35)
    world.run_until(100)
    assert [status_of(r) for r in at(world, "alice", 50)] == [
        ("Available", "Break"),
        ("Break", None),
    ]


def test_a_break_agent_in_outbound_acw_choosing_training_clears_it_and_switches() -> None:
    world = World()
    world.login("alice", 0)
    world.set_status("alice", "Break", 0)
    world.dial("alice", "out1", 5)
    world.answered("out1", 8)
    world.end("alice", "out1", 20)
    world.set_status("alice", "Training", 25)
    assert [status_of(r) for r in at(world, "alice", 25)] == [
        ("Break", "Training"),
        ("Break", "Training"),
        ("Training", None),
    ]


def test_a_break_agent_on_an_outbound_call_choosing_available_is_available_at_once() -> None:
    world = World()
    world.login("alice", 0)
    world.set_status("alice", "Break", 0)
    world.dial("alice", "out1", 5)
    world.set_status("alice", "Available", 6)
    assert [status_of(r) for r in at(world, "alice", 6)] == [("Available", None)]
    assert world.slot_state("alice", "out1") is ContactState.CONNECTING


def test_the_acw_limit_releases_a_pending_next_status() -> None:
    scenario: dict[str, Any] = {
        **BASIC,
        "agents": [
            {"username": "alice", "routing_profile": "Basic", "acw_timeout_s": {"VOICE": 10}}
        ],
    }
    world = World(scenario)
    on_call(world)
    world.set_status("alice", "Break", 20)
    world.hangup("c1", 30)
    world.run_until(100)
    assert [status_of(r) for r in at(world, "alice", 40)] == [
        ("Available", "Break"),
        ("Break", None),
    ]
