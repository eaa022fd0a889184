"""Login, logout, forced logout and the shape of the agent event stream around them (DESIGN §3.11,
§5 fine points)."""

from __future__ import annotations

import itertools
from typing import Any

from switchboard.domain import events as ev
from switchboard.domain.model import ContactId, ContactPhase, ContactState
from tests.support import World


def kinds(records: list[dict[str, Any]]) -> list[str]:
    return [r["EventType"] for r in records]


def stamped(world: World, username: str, seconds: float) -> list[dict[str, Any]]:
    return [r for r in world.aes(username) if r["EventTimestamp"] == world.iso(seconds)]


def status(record: dict[str, Any]) -> str:
    return record["CurrentAgentSnapshot"]["AgentStatus"]["Name"]


def contacts(record: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c["ContactId"], c["State"]) for c in record["CurrentAgentSnapshot"]["Contacts"]]


def test_login_emits_login_with_null_snapshots_and_keeps_the_status() -> None:
    world = World()
    world.login("alice", 3)
    [login] = world.aes("alice")
    assert login["EventType"] == "LOGIN"
    assert login["EventTimestamp"] == world.iso(3)
    assert login["CurrentAgentSnapshot"] is None
    assert login["PreviousAgentSnapshot"] is None
    assert world.status_name("alice") == "Offline"


def test_the_first_state_change_after_login_has_no_previous_snapshot() -> None:
    world = World()
    world.login("alice", 0)
    world.set_status("alice", "Available", 1)
    world.set_status("alice", "Break", 2)
    first, second = world.aes("alice", "STATE_CHANGE")
    assert first["PreviousAgentSnapshot"] is None
    assert second["PreviousAgentSnapshot"] == first["CurrentAgentSnapshot"]


def test_each_record_chains_to_the_previous_state_change_or_heartbeat() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.accept("alice", "c1", 12)
    world.run_until(200)  # a heartbeat at 132
    world.hangup("c1", 200)
    world.clear("alice", "c1", 210)
    records = [r for r in world.aes("alice") if r["EventType"] in {"STATE_CHANGE", "HEART_BEAT"}]
    assert "HEART_BEAT" in kinds(records)
    for before, after in itertools.pairwise(records):
        assert after["PreviousAgentSnapshot"] == before["CurrentAgentSnapshot"]


def test_logout_sets_offline_then_emits_logout_at_one_instant() -> None:
    world = World()
    world.available("alice", 0)
    world.logout("alice", 50)
    change, logout = stamped(world, "alice", 50)
    assert change["EventType"] == "STATE_CHANGE"
    assert change["CurrentAgentSnapshot"]["AgentStatus"]["Type"] == "OFFLINE"
    assert status(change) == "Offline"
    assert logout["EventType"] == "LOGOUT"
    assert logout["CurrentAgentSnapshot"] is None
    assert logout["PreviousAgentSnapshot"] is None


def test_logout_of_an_offline_agent_emits_logout_only() -> None:
    world = World()
    world.login("alice", 0)
    world.logout("alice", 50)
    assert kinds(world.aes("alice")) == ["LOGIN", "LOGOUT"]


def test_login_after_logout_keeps_offline_and_starts_a_fresh_chain() -> None:
    world = World()
    world.available("alice", 0)
    world.logout("alice", 50)
    world.login("alice", 60)
    assert kinds(stamped(world, "alice", 60)) == ["LOGIN"]
    assert world.status_name("alice") == "Offline"
    world.set_status("alice", "Available", 61)
    [change] = stamped(world, "alice", 61)
    assert change["PreviousAgentSnapshot"] is None


def test_a_logged_out_agent_gets_no_offers() -> None:
    world = World()
    world.available("alice", 0)
    world.logout("alice", 5)
    world.inbound("c1", 10)
    assert world.slot_state("alice", "c1") is None


def test_logout_clears_a_missed_contact_first() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.run_until(30)
    world.logout("alice", 40)
    records = stamped(world, "alice", 40)
    assert kinds(records) == ["STATE_CHANGE", "STATE_CHANGE", "LOGOUT"]
    assert contacts(records[0]) == []
    assert status(records[0]) == "Available"
    assert status(records[1]) == "Offline"


# --- forced logout (supervisor, lost session) ---------------------------------------------------


def test_a_forced_logout_ends_the_call_clears_it_sets_offline_then_logs_out() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.accept("alice", "c1", 12)
    world.logout("alice", 60, forced=True, actor="supervisor")
    records = stamped(world, "alice", 60)
    assert kinds(records) == ["STATE_CHANGE", "STATE_CHANGE", "STATE_CHANGE", "LOGOUT"]
    assert contacts(records[0]) == [("c1", "ENDED")]
    assert contacts(records[1]) == []
    assert (status(records[1]), status(records[2])) == ("Available", "Offline")
    record = world.ctr("c1")
    assert record["DisconnectReason"] == "OTHER"
    assert record["DisconnectTimestamp"] == world.iso_s(60)
    assert record["Agent"]["AfterContactWorkEndTimestamp"] == world.iso_s(60)
    assert not world.engine.state.agents[world.agent("alice")].logged_in


def test_a_forced_logout_sets_offline_as_the_system() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.accept("alice", "c1", 12)
    events = world.logout("alice", 60, forced=True, actor="supervisor")
    [offline] = [e for e in events if isinstance(e, ev.AgentStatusChanged)]
    assert offline.actor == "system"


def test_a_forced_logout_during_hold_counts_the_hold_to_the_end() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.accept("alice", "c1", 12)
    world.hold("alice", "c1", 20)
    world.logout("alice", 50, forced=True, actor="supervisor")
    agent = world.ctr("c1")["Agent"]
    assert (agent["NumberOfHolds"], agent["CustomerHoldDuration"]) == (1, 30)


def test_a_forced_logout_while_ringing_sends_the_call_to_the_next_agent() -> None:
    world = World()
    world.available("alice", 0)
    world.available("bob", 5)
    world.inbound("c1", 10)
    world.logout("alice", 15, forced=True, actor="supervisor")
    assert world.slot_state("alice", "c1") is None
    assert world.slot_state("bob", "c1") is ContactState.CONNECTING
    bob_view = world.last_snapshot("bob")["Contacts"][0]
    assert bob_view["QueueTimestamp"] == world.iso(10)
    assert world.ctr_json == []


def test_a_forced_logout_while_dialling_fails_the_call() -> None:
    world = World()
    world.available("alice", 0)
    world.dial("alice", "out1", 5)
    world.logout("alice", 8, forced=True, actor="supervisor")
    record = world.ctr("out1")
    assert record["DisconnectReason"] == "OTHER"
    assert record["ConnectedToSystemTimestamp"] is None
    assert world.slot_state("alice", "out1") is None
    assert kinds(world.aes("alice"))[-1] == "LOGOUT"


def test_a_forced_logout_ends_every_chat_and_finalises_each_record() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("ch1", 10, channel="CHAT")
    world.inbound("ch2", 10, channel="CHAT")
    world.accept("alice", "ch1", 11)
    world.accept("alice", "ch2", 11)
    world.hangup("ch2", 20)  # already in ACW
    world.logout("alice", 30, forced=True, actor="supervisor")
    assert world.ctr("ch1")["DisconnectReason"] == "OTHER"
    assert world.ctr("ch2")["DisconnectReason"] == "CUSTOMER_DISCONNECT"
    assert world.engine.state.agents[world.agent("alice")].slots == {}
    assert ContactId("ch1") not in world.engine.state.contacts


def test_a_forced_logout_releases_a_queued_contact_to_nobody_when_nobody_is_free() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.logout("alice", 15, forced=True, actor="supervisor")
    contact = world.engine.state.contacts[ContactId("c1")]
    assert contact.phase is ContactPhase.QUEUED
    assert world.status_name("alice") == "Offline"
