"""The conversation and After Contact Work (DESIGN §3.7, §3.8; ACW in stream and records, §5)."""

from __future__ import annotations

from typing import Any

import pytest

from switchboard.domain import commands as cmd
from switchboard.domain.model import ContactId, ContactState, DisconnectReason
from tests.support import BASIC, World


def on_call(world: World, contact: str = "c1", accepted: float = 12) -> None:
    """Given alice Available and talking to `contact` since `accepted`."""
    world.available("alice", 0)
    world.inbound(contact, 10)
    world.accept("alice", contact, accepted)


def contact_in(snapshot: dict[str, Any], contact: str) -> dict[str, Any] | None:
    return next((c for c in snapshot["Contacts"] if c["ContactId"] == contact), None)


def with_acw_limit(**limits: float) -> dict[str, Any]:
    return {
        **BASIC,
        "agents": [
            {"username": "alice", "routing_profile": "Basic", "acw_timeout_s": limits},
            {"username": "bob", "routing_profile": "Basic"},
        ],
    }


# --- hold (§3.7) ---------------------------------------------------------------------------------


def test_hold_and_resume_keep_the_state_start_timestamp() -> None:
    world = World()
    on_call(world)
    world.hold("alice", "c1", 20)
    held = contact_in(world.last_snapshot("alice"), "c1")
    assert held is not None
    assert (held["State"], held["StateStartTimestamp"]) == ("CONNECTED_ONHOLD", world.iso(12))
    world.resume("alice", "c1", 30)
    resumed = contact_in(world.last_snapshot("alice"), "c1")
    assert resumed is not None
    assert (resumed["State"], resumed["StateStartTimestamp"]) == ("CONNECTED", world.iso(12))


def test_hold_and_resume_are_each_one_state_change() -> None:
    world = World()
    on_call(world)
    before = len(world.aes("alice", "STATE_CHANGE"))
    world.hold("alice", "c1", 20)
    world.resume("alice", "c1", 30)
    assert len(world.aes("alice", "STATE_CHANGE")) == before + 2


def test_holds_are_counted_totalled_and_the_longest_kept() -> None:
    world = World()
    on_call(world)
    world.hold("alice", "c1", 20)
    world.resume("alice", "c1", 30)  # 10 s
    world.hold("alice", "c1", 40)
    world.resume("alice", "c1", 44)  # 4 s
    world.hold("alice", "c1", 50)
    world.resume("alice", "c1", 56)  # 6 s
    world.hangup("c1", 72)
    world.clear("alice", "c1", 80)
    agent = world.ctr("c1")["Agent"]
    assert agent["NumberOfHolds"] == 3
    assert agent["CustomerHoldDuration"] == 20
    assert agent["LongestHoldDuration"] == 10
    assert agent["AgentInteractionDuration"] == 60 - 20


def test_a_hang_up_during_hold_ends_the_hold() -> None:
    world = World()
    on_call(world)
    world.hold("alice", "c1", 20)
    world.hangup("c1", 35)
    world.clear("alice", "c1", 40)
    agent = world.ctr("c1")["Agent"]
    assert (agent["NumberOfHolds"], agent["CustomerHoldDuration"]) == (1, 15)
    assert agent["LongestHoldDuration"] == 15


def test_hold_total_is_the_floor_of_the_millisecond_sum() -> None:
    world = World()
    on_call(world)
    world.hold("alice", "c1", 20.0)
    world.resume("alice", "c1", 20.6)
    world.hold("alice", "c1", 21.0)
    world.resume("alice", "c1", 21.6)
    world.hangup("c1", 30)
    world.clear("alice", "c1", 31)
    agent = world.ctr("c1")["Agent"]
    assert agent["CustomerHoldDuration"] == 1  # 1.2 s held in all
    assert agent["LongestHoldDuration"] == 0


# --- who ends it (§3.7) --------------------------------------------------------------------------


def test_the_agent_hanging_up_is_agent_disconnect() -> None:
    world = World()
    on_call(world)
    world.end("alice", "c1", 40)
    world.clear("alice", "c1", 45)
    assert world.ctr("c1")["DisconnectReason"] == "AGENT_DISCONNECT"
    assert world.ctr("c1")["DisconnectTimestamp"] == world.iso_s(40)


def test_the_customer_hanging_up_is_customer_disconnect() -> None:
    world = World()
    on_call(world)
    world.hangup("c1", 40)
    world.clear("alice", "c1", 45)
    assert world.ctr("c1")["DisconnectReason"] == "CUSTOMER_DISCONNECT"


def test_the_agent_can_end_a_call_on_hold() -> None:
    world = World()
    on_call(world)
    world.hold("alice", "c1", 20)
    world.end("alice", "c1", 30)
    assert world.slot_state("alice", "c1") is ContactState.ENDED


@pytest.mark.parametrize(
    "reason",
    [
        DisconnectReason.THIRD_PARTY_DISCONNECT,
        DisconnectReason.TELECOM_PROBLEM,
        DisconnectReason.API,
        DisconnectReason.OTHER,
    ],
)
def test_the_api_ends_a_conversation_with_its_reason(reason: DisconnectReason) -> None:
    world = World()
    on_call(world)
    world.do(cmd.StopContact(contact_id=ContactId("c1"), reason=reason), 40)
    assert world.slot_state("alice", "c1") is ContactState.ENDED
    world.clear("alice", "c1", 45)
    assert world.ctr("c1")["DisconnectReason"] == reason.value


def test_stopping_a_queued_contact_abandons_it_with_the_reason() -> None:
    world = World()
    world.inbound("c1", 10)
    world.do(cmd.StopContact(contact_id=ContactId("c1"), reason=DisconnectReason.API), 20)
    record = world.ctr("c1")
    assert (record["Agent"], record["DisconnectReason"]) == (None, "API")


# --- ACW (§3.8) ---------------------------------------------------------------------------------


@pytest.mark.parametrize("ender", ["agent", "customer"])
def test_every_ended_conversation_enters_acw(ender: str) -> None:
    world = World()
    on_call(world)
    if ender == "agent":
        world.end("alice", "c1", 40)
    else:
        world.hangup("c1", 40)
    ended = contact_in(world.last_snapshot("alice"), "c1")
    assert ended is not None
    assert (ended["State"], ended["StateStartTimestamp"]) == ("ENDED", world.iso(40))
    assert world.activities("alice")[-1] == "After contact work"
    assert world.ctr_json == []  # the record waits for the end of ACW


def test_acw_lasts_until_cleared_without_a_limit() -> None:
    world = World()
    on_call(world)
    world.hangup("c1", 40)
    world.run_until(40 + 24 * 3600)
    assert world.slot_state("alice", "c1") is ContactState.ENDED


def test_acw_limit_zero_means_until_cleared() -> None:
    world = World(with_acw_limit(VOICE=0))
    on_call(world)
    world.hangup("c1", 40)
    world.run_until(40 + 3600)
    assert world.slot_state("alice", "c1") is ContactState.ENDED


def test_the_acw_time_limit_clears_the_slot_at_expiry() -> None:
    world = World(with_acw_limit(VOICE=30))
    on_call(world)
    world.hangup("c1", 40)
    world.run_until(69.999)
    assert world.slot_state("alice", "c1") is ContactState.ENDED
    world.run_until(200)
    assert world.slot_state("alice", "c1") is None
    cleared = world.aes("alice", "STATE_CHANGE")[-1]
    assert cleared["EventTimestamp"] == world.iso(70)
    assert cleared["CurrentAgentSnapshot"]["Contacts"] == []
    agent = world.ctr("c1")["Agent"]
    assert agent["AfterContactWorkStartTimestamp"] == world.iso_s(40)
    assert agent["AfterContactWorkEndTimestamp"] == world.iso_s(70)
    assert agent["AfterContactWorkDuration"] == 30


def test_the_acw_time_limit_is_per_channel() -> None:
    world = World(with_acw_limit(VOICE=30))
    world.available("alice", 0)
    world.inbound("ch1", 10, channel="CHAT")
    world.accept("alice", "ch1", 11)
    world.hangup("ch1", 20)
    world.run_until(500)
    assert world.slot_state("alice", "ch1") is ContactState.ENDED


def test_the_acw_time_limit_is_per_user() -> None:
    world = World(with_acw_limit(VOICE=30))
    world.available("bob", 0)
    world.inbound("c1", 10)
    world.accept("bob", "c1", 11)
    world.hangup("c1", 20)
    world.run_until(500)
    assert world.slot_state("bob", "c1") is ContactState.ENDED


def test_clearing_at_the_exact_instant_of_the_acw_limit_clears_once() -> None:
    world = World(with_acw_limit(VOICE=30))
    on_call(world)
    world.hangup("c1", 40)
    count = len(world.aes("alice", "STATE_CHANGE"))
    world.clear("alice", "c1", 70)
    world.run_until(100)
    assert len(world.aes("alice", "STATE_CHANGE")) == count + 1
    assert len(world.ctr_json) == 1


def test_clearing_acw_frees_the_slot_and_the_next_contact_is_offered() -> None:
    world = World()
    on_call(world)
    world.inbound("c2", 20)  # waits: alice's voice slot is busy
    world.hangup("c1", 40)
    snapshot = world.last_snapshot("alice")
    voice = next(
        c
        for c in snapshot["Configuration"]["RoutingProfile"]["Concurrency"]
        if c["Channel"] == "VOICE"
    )
    assert voice["AvailableSlots"] == 0  # ACW still holds the slot
    world.clear("alice", "c1", 50)
    cleared, offered = world.aes("alice", "STATE_CHANGE")[-2:]
    assert cleared["CurrentAgentSnapshot"]["Contacts"] == []
    assert cleared["EventTimestamp"] == offered["EventTimestamp"] == world.iso(50)
    assert [c["ContactId"] for c in offered["CurrentAgentSnapshot"]["Contacts"]] == ["c2"]


def test_acw_is_derivable_from_the_stream_as_amazon_documents_it() -> None:
    world = World()
    on_call(world)
    world.hangup("c1", 40.017)
    world.clear("alice", "c1", 45.022)
    changes = world.aes("alice", "STATE_CHANGE")
    [start] = [
        c["StateStartTimestamp"]
        for r in changes
        for c in r["CurrentAgentSnapshot"]["Contacts"]
        if c["ContactId"] == "c1" and c["State"] == "ENDED"
    ]
    [end] = [
        r["EventTimestamp"]
        for r in changes
        if contact_in(r["CurrentAgentSnapshot"], "c1") is None
        and (prev := r["PreviousAgentSnapshot"]) is not None
        and (gone := contact_in(prev, "c1")) is not None
        and gone["State"] == "ENDED"
    ]
    assert (start, end) == (world.iso(40.017), world.iso(45.022))


def test_the_contact_record_is_final_when_acw_is_cleared() -> None:
    world = World()
    on_call(world, accepted=14)
    world.hangup("c1", 75)
    assert world.ctr_json == []
    world.clear("alice", "c1", 90)
    record = world.ctr("c1")
    agent = record["Agent"]
    assert agent["Username"] == "alice"
    assert agent["ConnectedToAgentTimestamp"] == world.iso_s(14)
    assert agent["AgentInteractionDuration"] == 61
    assert agent["AfterContactWorkDuration"] == 15
    assert record["Queue"]["Duration"] == 4
    assert record["DisconnectTimestamp"] == world.iso_s(75)
    assert record["LastUpdateTimestamp"] == world.iso_s(90)
    assert record["Recording"] is not None
    assert len(record["Recordings"]) == 1
    assert record["ConnectedToSystemTimestamp"] == world.iso_s(10)
