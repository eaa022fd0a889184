"""Offers, missed and rejected contacts, and customers hanging up before an agent answers
(DESIGN §3.4, §3.5, §3.6, §5 contact records)."""

from __future__ import annotations

from typing import Any

from switchboard.domain.model import ContactId, ContactPhase, ContactState
from tests.support import BASIC, World


def states(world: World, username: str, contact: str) -> list[tuple[str, str]]:
    """(EventTimestamp, State) of `contact` in each of the agent's STATE_CHANGE records."""
    out = []
    for record in world.aes(username, "STATE_CHANGE"):
        for c in record["CurrentAgentSnapshot"]["Contacts"]:
            if c["ContactId"] == contact:
                out.append((record["EventTimestamp"], c["State"]))
    return out


def contact_view(world: World, username: str, contact: str) -> dict[str, Any]:
    for c in world.last_snapshot(username)["Contacts"]:
        if c["ContactId"] == contact:
            return c
    raise AssertionError(f"{contact} is not on {username}")


def is_queued(world: World, contact: str) -> bool:
    found = world.engine.state.contacts.get(ContactId(contact))
    return found is not None and found.phase is ContactPhase.QUEUED


def with_instance(**knobs: Any) -> dict[str, Any]:
    return {**BASIC, "instance": {**BASIC["instance"], **knobs}}


def with_agents(*agents: dict[str, Any]) -> dict[str, Any]:
    return {**BASIC, "agents": list(agents)}


# --- the offer (§3.4) ---------------------------------------------------------------------------


def test_a_routed_inbound_call_rings_as_connecting() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    c1 = contact_view(world, "alice", "c1")
    assert c1["State"] == "CONNECTING"
    assert c1["StateStartTimestamp"] == world.iso(10)
    assert c1["QueueTimestamp"] == world.iso(10)
    assert c1["ConnectedToAgentTimestamp"] is None
    assert c1["InitiationMethod"] == "INBOUND"


def test_a_chat_is_initiated_by_api() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("ch1", 10, channel="CHAT")
    assert contact_view(world, "alice", "ch1")["InitiationMethod"] == "API"


def test_accepting_connects_the_contact() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.accept("alice", "c1", 14.5)
    c1 = contact_view(world, "alice", "c1")
    assert c1["State"] == "CONNECTED"
    assert c1["StateStartTimestamp"] == world.iso(14.5)
    assert c1["ConnectedToAgentTimestamp"] == world.iso(14.5)


def test_auto_accept_connects_at_once_in_two_records_with_one_timestamp() -> None:
    world = World(
        with_agents(
            {"username": "alice", "routing_profile": "Basic", "auto_accept": {"VOICE": True}}
        )
    )
    world.available("alice", 0)
    world.inbound("c1", 10)
    assert states(world, "alice", "c1") == [
        (world.iso(10), "CONNECTING"),
        (world.iso(10), "CONNECTED"),
    ]
    world.hangup("c1", 20)
    world.clear("alice", "c1", 21)
    record = world.ctr("c1")
    assert record["Agent"]["ConnectedToAgentTimestamp"] == world.iso_s(10)
    assert record["Queue"]["Duration"] == 0


def test_auto_accept_is_per_channel() -> None:
    world = World(
        with_agents(
            {"username": "alice", "routing_profile": "Basic", "auto_accept": {"VOICE": True}}
        )
    )
    world.available("alice", 0)
    world.inbound("ch1", 10, channel="CHAT")
    assert world.slot_state("alice", "ch1") is ContactState.CONNECTING


def test_an_accepted_offer_never_goes_missed() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.accept("alice", "c1", 29)
    world.run_until(100)
    assert world.slot_state("alice", "c1") is ContactState.CONNECTED


def test_accepting_at_the_exact_instant_of_the_timeout_wins() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.accept("alice", "c1", 30)  # the 20 s deadline falls at this very instant
    world.run_until(60)
    assert [s for _, s in states(world, "alice", "c1")] == ["CONNECTING", "CONNECTED"]


# --- missed (§3.5) ----------------------------------------------------------------------------


def test_an_offer_left_unanswered_for_20_seconds_goes_missed() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.run_until(29.999)
    assert world.slot_state("alice", "c1") is ContactState.CONNECTING
    world.run_until(60)
    assert states(world, "alice", "c1") == [
        (world.iso(10), "CONNECTING"),
        (world.iso(30), "MISSED"),
    ]
    assert contact_view(world, "alice", "c1")["StateStartTimestamp"] == world.iso(30)


def test_the_offer_timeout_is_an_instance_knob() -> None:
    world = World(with_instance(offer_timeout_s=8))
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.run_until(60)
    assert states(world, "alice", "c1")[-1] == (world.iso(18), "MISSED")


def test_a_missed_contact_goes_to_the_next_agent_keeping_its_enqueue_time() -> None:
    world = World()
    world.available("alice", 0)
    world.available("bob", 5)
    world.inbound("c1", 10)
    world.run_until(30)
    assert world.slot_state("alice", "c1") is ContactState.MISSED
    assert states(world, "bob", "c1") == [(world.iso(30), "CONNECTING")]
    assert contact_view(world, "bob", "c1")["QueueTimestamp"] == world.iso(10)
    world.accept("bob", "c1", 33)
    world.hangup("c1", 40)
    world.clear("bob", "c1", 45)
    record = world.ctr("c1")
    assert record["Queue"]["EnqueueTimestamp"] == world.iso_s(10)
    assert record["Queue"]["DequeueTimestamp"] == world.iso_s(33)
    assert record["Queue"]["Duration"] == 23
    assert record["Agent"]["Username"] == "bob"
    assert record["AgentConnectionAttempts"] == 2


def test_a_requeued_contact_keeps_its_place_ahead_of_newer_contacts() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.inbound("c2", 15)  # waits: alice's voice slot is ringing
    world.run_until(30)  # alice misses c1; c1 is back in the queue, enqueued at 10
    world.available("bob", 40)
    assert world.slot_state("bob", "c1") is ContactState.CONNECTING
    assert is_queued(world, "c2")


def test_agent_connection_attempts_count_every_offer() -> None:
    world = World(
        with_agents(
            {"username": "alice", "routing_profile": "Basic"},
            {"username": "bob", "routing_profile": "Basic"},
            {"username": "carol", "routing_profile": "Basic"},
        )
    )
    world.available("alice", 0)
    world.available("bob", 1)
    world.available("carol", 2)
    world.inbound("c1", 10)  # alice
    world.reject("alice", "c1", 11)  # → bob
    world.run_until(31)  # bob times out → carol
    world.accept("carol", "c1", 32)
    world.end("carol", "c1", 40)
    world.clear("carol", "c1", 41)
    assert world.ctr("c1")["AgentConnectionAttempts"] == 3
    assert len(world.ctr_json) == 1  # missed attempts add no records


def test_a_rejected_voice_call_is_missed() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.reject("alice", "c1", 12)
    assert states(world, "alice", "c1")[-1] == (world.iso(12), "MISSED")
    assert is_queued(world, "c1")


def test_a_rejected_chat_is_rejected() -> None:
    world = World()
    world.available("alice", 0)
    world.available("bob", 5)
    world.inbound("ch1", 10, channel="CHAT")
    world.reject("alice", "ch1", 12)
    assert states(world, "alice", "ch1")[-1] == (world.iso(12), "REJECTED")
    assert states(world, "bob", "ch1") == [(world.iso(12), "CONNECTING")]


def test_a_chat_left_unanswered_goes_missed() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("ch1", 10, channel="CHAT")
    world.run_until(30)
    assert world.slot_state("alice", "ch1") is ContactState.MISSED


def test_a_missed_contact_waits_until_cleared_by_default() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.run_until(3600)
    assert world.slot_state("alice", "c1") is ContactState.MISSED
    world.clear("alice", "c1", 3601)
    changes = world.aes("alice", "STATE_CHANGE")
    # cleared, then offered again (nobody else took c1 in the meantime)
    assert [c["State"] for c in changes[-2]["CurrentAgentSnapshot"]["Contacts"]] == []
    assert [c["State"] for c in changes[-1]["CurrentAgentSnapshot"]["Contacts"]] == ["CONNECTING"]


def test_missed_contacts_clear_by_themselves_with_the_auto_clear_knob() -> None:
    world = World(with_instance(missed_auto_clear_s=10))
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.run_until(39.999)
    assert world.slot_state("alice", "c1") is ContactState.MISSED
    world.run_until(40)
    # cleared at 40 and, being routable again, offered c1 once more at the same instant
    assert states(world, "alice", "c1")[-1] == (world.iso(40), "CONNECTING")
    assert world.aes("alice", "STATE_CHANGE")[-2]["CurrentAgentSnapshot"]["Contacts"] == []


def test_auto_clear_also_clears_a_rejected_chat() -> None:
    world = World(with_instance(missed_auto_clear_s=5))
    world.available("alice", 0)
    world.inbound("ch1", 10, channel="CHAT")
    world.reject("alice", "ch1", 11)
    world.hangup("ch1", 12)  # the customer gives up while queued again
    world.run_until(16)
    assert world.slot_state("alice", "ch1") is None


def test_an_available_agent_without_a_ccp_gets_offers_that_go_missed() -> None:
    world = World()
    world.set_status("bob", "Available", 0, actor="supervisor")  # never logged in
    world.inbound("c1", 10)
    world.run_until(30)
    assert world.slot_state("bob", "c1") is ContactState.MISSED


# --- the customer hangs up first (§3.6) -----------------------------------------------------------


def test_a_customer_hanging_up_in_the_queue_abandons_the_contact() -> None:
    world = World()
    world.inbound("c1", 10)
    world.hangup("c1", 25)
    record = world.ctr("c1")
    assert record["Agent"] is None
    assert record["Recording"] is None
    assert record["Recordings"] == []
    assert record["DisconnectReason"] == "CUSTOMER_DISCONNECT"
    assert record["DisconnectTimestamp"] == world.iso_s(25)
    assert record["AgentConnectionAttempts"] == 0
    assert record["Queue"]["EnqueueTimestamp"] == world.iso_s(10)
    assert record["Queue"]["DequeueTimestamp"] == world.iso_s(25)
    assert record["Queue"]["Duration"] == 15
    assert ContactId("c1") not in world.engine.state.contacts


def test_a_customer_hanging_up_while_a_call_rings_leaves_it_missed_and_ends_it() -> None:
    world = World()
    world.available("alice", 0)
    world.available("bob", 5)
    world.inbound("c1", 10)
    world.hangup("c1", 14)
    assert states(world, "alice", "c1")[-1] == (world.iso(14), "MISSED")
    assert states(world, "bob", "c1") == []  # not offered on: it has ended
    record = world.ctr("c1")
    assert record["Agent"] is None
    assert record["Recording"] is None
    assert record["Recordings"] == []
    assert record["DisconnectReason"] == "CUSTOMER_DISCONNECT"
    assert record["AgentConnectionAttempts"] == 1
    world.clear("alice", "c1", 20)  # the missed copy still has to be cleared
    assert world.slot_state("alice", "c1") is None
    assert len([r for r in world.ctr_json if r["ContactId"] == "c1"]) == 1


def test_a_customer_leaving_a_ringing_chat_leaves_it_rejected() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("ch1", 10, channel="CHAT")
    world.hangup("ch1", 14)
    assert states(world, "alice", "ch1")[-1] == (world.iso(14), "REJECTED")
    record = world.ctr("ch1")
    assert record["Agent"] is None
    assert record["DisconnectReason"] == "CUSTOMER_DISCONNECT"


def test_the_offer_timer_of_an_abandoned_ring_does_nothing() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.hangup("c1", 14)
    before = len(world.aes("alice", "STATE_CHANGE"))
    world.run_until(31)  # past the 20 s offer deadline
    assert len(world.aes("alice", "STATE_CHANGE")) == before
    assert states(world, "alice", "c1")[-1] == (world.iso(14), "MISSED")
