"""Configuration (DESIGN §3.1, §3.3, §3.13, §4): the status catalogue, routing-profile limits and
what a configuration change does to agents already at work."""

from __future__ import annotations

from typing import Any

import pytest

from switchboard.domain import commands as cmd
from switchboard.domain.errors import DomainError, Duplicate, InvalidParameter, NotFound
from switchboard.domain.model import (
    AgentId,
    Channel,
    ContactState,
    ProfileQueue,
    RoutingProfileId,
    StatusId,
    StatusType,
)
from tests.support import BASIC, World


def refuse(world: World, command: cmd.Command, error: type[DomainError]) -> str:
    before = world.fingerprint()
    with pytest.raises(error) as refused:
        world.do(command, 1)
    assert world.fingerprint() == before
    assert refused.value.code == error.code
    return refused.value.message


def new_status(name: str, display_order: int | None = None) -> cmd.CreateAgentStatus:
    return cmd.CreateAgentStatus(
        status_id=StatusId(f"id-{name}"), name=name, display_order=display_order
    )


def profile(
    world: World,
    name: str = "Chatty",
    *,
    chat: int = 3,
    priority: int = 1,
    delay_ms: int = 0,
) -> cmd.CreateRoutingProfile:
    return cmd.CreateRoutingProfile(
        profile_id=RoutingProfileId(f"rp-{name}"),
        name=name,
        concurrency=((Channel.VOICE, 1), (Channel.CHAT, chat)),
        queues=(
            ProfileQueue(
                queue_id=world.queue(), channel=Channel.CHAT, priority=priority, delay_ms=delay_ms
            ),
        ),
    )


# --- the status catalogue (§3.1) ----------------------------------------------------------------


def test_every_instance_has_available_and_offline() -> None:
    world = World({**BASIC, "statuses": []})
    kinds = {s.name: s.type for s in world.engine.state.statuses.values()}
    assert kinds == {"Available": StatusType.ROUTABLE, "Offline": StatusType.OFFLINE}


def test_a_created_status_is_custom_and_can_be_chosen() -> None:
    world = World()
    world.do(new_status("Coaching"), 1)
    world.login("alice", 2)
    world.do(cmd.SetStatus(agent_id=world.agent("alice"), status_id=StatusId("id-Coaching")), 3)
    status = world.last_snapshot("alice")["AgentStatus"]
    assert (status["Name"], status["Type"]) == ("Coaching", "CUSTOM")


def test_a_status_with_a_duplicate_name_is_refused() -> None:
    world = World()
    message = refuse(world, new_status("Break"), Duplicate)
    assert "Break" in message
    assert "already exists" in message


def test_status_names_are_unique_ignoring_case() -> None:
    world = World()
    message = refuse(world, new_status("bReAk"), Duplicate)
    assert "bReAk" in message


@pytest.mark.parametrize("order", [0, 51, -1])
def test_a_status_display_order_outside_1_to_50_is_refused(order: int) -> None:
    world = World()
    message = refuse(world, new_status("Coaching", order), InvalidParameter)
    assert "DisplayOrder" in message
    assert "1 to 50" in message
    assert str(order) in message


@pytest.mark.parametrize("order", [1, 50])
def test_display_orders_1_and_50_are_accepted(order: int) -> None:
    world = World()
    world.do(new_status("Coaching", order), 1)
    assert world.engine.state.statuses[StatusId("id-Coaching")].display_order == order


def test_a_status_name_longer_than_127_characters_is_refused() -> None:
    world = World()
    message = refuse(world, new_status("x" * 128), InvalidParameter)
    assert "status name" in message
    assert "127" in message
    assert "128" in message


def test_an_empty_status_name_is_refused() -> None:
    world = World()
    message = refuse(world, new_status(""), InvalidParameter)
    assert "status name" in message


def test_a_status_name_of_127_characters_is_accepted() -> None:
    world = World()
    world.do(new_status("y" * 127), 1)
    assert "y" * 127 in {s.name for s in world.engine.state.statuses.values()}


def test_a_routable_status_cannot_be_created() -> None:
    world = World()
    command = cmd.CreateAgentStatus(
        status_id=StatusId("id-Ready"), name="Ready", type=StatusType.ROUTABLE
    )
    message = refuse(world, command, InvalidParameter)
    assert "CUSTOM" in message


def test_available_can_be_renamed_and_the_stream_shows_the_new_name() -> None:
    world = World()
    world.do(cmd.UpdateAgentStatus(status_id=world.status("Available"), name="Ready"), 1)
    world.available("alice", 2)
    status = world.last_snapshot("alice")["AgentStatus"]
    assert (status["Name"], status["Type"]) == ("Ready", "ROUTABLE")


def test_offline_can_be_renamed() -> None:
    world = World()
    world.do(cmd.UpdateAgentStatus(status_id=world.status("Offline"), name="Signed out"), 1)
    world.login("alice", 2)
    world.set_status("alice", "Break", 3)
    world.set_status("alice", "Offline", 4)
    status = world.last_snapshot("alice")["AgentStatus"]
    assert (status["Name"], status["Type"]) == ("Signed out", "OFFLINE")


@pytest.mark.parametrize("name", ["Available", "Offline"])
def test_available_and_offline_cannot_be_disabled(name: str) -> None:
    world = World()
    command = cmd.UpdateAgentStatus(status_id=world.status(name), enabled=False)
    message = refuse(world, command, InvalidParameter)
    assert name in message
    assert "cannot be disabled" in message


def test_renaming_a_status_to_a_taken_name_is_refused() -> None:
    world = World()
    command = cmd.UpdateAgentStatus(status_id=world.status("Training"), name="Break")
    message = refuse(world, command, Duplicate)
    assert "Break" in message


def test_a_disabled_status_can_be_enabled_and_then_chosen() -> None:
    world = World()
    world.do(cmd.UpdateAgentStatus(status_id=world.status("Lunch"), enabled=True), 1)
    world.login("alice", 2)
    world.set_status("alice", "Lunch", 3)
    assert world.status_name("alice") == "Lunch"


def test_a_status_disabled_later_can_no_longer_be_chosen() -> None:
    world = World()
    world.do(cmd.UpdateAgentStatus(status_id=world.status("Training"), enabled=False), 1)
    world.login("alice", 2)
    with pytest.raises(DomainError, match="disabled"):
        world.set_status("alice", "Training", 3)
    assert world.status_name("alice") == "Offline"


def test_a_renamed_custom_status_keeps_its_identity() -> None:
    world = World()
    world.login("alice", 0)
    world.set_status("alice", "Break", 1)
    world.do(cmd.UpdateAgentStatus(status_id=world.status("Break"), name="Pause"), 2)
    world.set_status("alice", "Available", 3)
    world.set_status("alice", "Break", 4)  # still the same status id
    status = world.last_snapshot("alice")["AgentStatus"]
    assert status["Name"] == "Pause"


# --- routing profiles (§3.3, §4) ----------------------------------------------------------------


def test_chat_concurrency_of_11_is_refused() -> None:
    world = World()
    message = refuse(world, profile(world, chat=11), InvalidParameter)
    assert "CHAT concurrency" in message
    assert "10" in message
    assert "11" in message


def test_chat_concurrency_of_0_is_refused() -> None:
    # DESIGN §3.3 "CHAT 1-10"; botocore's Concurrency shape has min 1 (DESIGN §11: the contract)
    world = World()
    command = cmd.CreateRoutingProfile(
        profile_id=RoutingProfileId("rp-x"),
        name="NoChats",
        concurrency=((Channel.VOICE, 1), (Channel.CHAT, 0)),
        queues=(ProfileQueue(queue_id=world.queue(), channel=Channel.VOICE),),
    )
    message = refuse(world, command, InvalidParameter)
    assert "CHAT concurrency" in message
    assert "got 0" in message


def test_chat_concurrency_of_10_is_accepted() -> None:
    world = World()
    world.do(profile(world, chat=10), 1)
    assert (
        world.engine.state.profiles[RoutingProfileId("rp-Chatty")].concurrency[Channel.CHAT] == 10
    )


def test_voice_concurrency_above_1_is_refused() -> None:
    world = World()
    command = cmd.CreateRoutingProfile(
        profile_id=RoutingProfileId("rp-x"),
        name="TwoPhones",
        concurrency=((Channel.VOICE, 2),),
        queues=(ProfileQueue(queue_id=world.queue(), channel=Channel.VOICE),),
    )
    message = refuse(world, command, InvalidParameter)
    assert "VOICE concurrency" in message
    assert "2" in message


@pytest.mark.parametrize("priority", [0, 100])
def test_a_queue_priority_outside_1_to_99_is_refused(priority: int) -> None:
    world = World()
    message = refuse(world, profile(world, priority=priority), InvalidParameter)
    assert "priority" in message
    assert "1 to 99" in message
    assert str(priority) in message


@pytest.mark.parametrize("priority", [1, 99])
def test_priorities_1_and_99_are_accepted(priority: int) -> None:
    world = World()
    world.do(profile(world, priority=priority), 1)
    assert RoutingProfileId("rp-Chatty") in world.engine.state.profiles


def test_a_queue_delay_of_10000_seconds_is_refused() -> None:
    world = World()
    message = refuse(world, profile(world, delay_ms=10_000_000), InvalidParameter)
    assert "delay" in message
    assert "9999" in message
    assert "10000" in message


def test_a_queue_delay_of_9999_seconds_is_accepted() -> None:
    world = World()
    world.do(profile(world, delay_ms=9_999_000), 1)
    assert RoutingProfileId("rp-Chatty") in world.engine.state.profiles


def test_a_routing_profile_with_a_duplicate_name_is_refused() -> None:
    world = World()
    message = refuse(world, profile(world, name="Basic"), Duplicate)
    assert "Basic" in message


def test_a_queue_listed_on_a_channel_without_slots_is_refused() -> None:
    world = World()
    command = cmd.CreateRoutingProfile(
        profile_id=RoutingProfileId("rp-x"),
        name="VoiceOnly",
        concurrency=((Channel.VOICE, 1),),
        queues=(ProfileQueue(queue_id=world.queue(), channel=Channel.CHAT),),
    )
    message = refuse(world, command, InvalidParameter)
    assert "CHAT" in message
    assert "no slots" in message


# --- configuration changes apply to new offers only (§3.13) ------------------------------------

SMALL: dict[str, Any] = {
    **BASIC,
    "routing_profiles": [
        *BASIC["routing_profiles"],
        {
            "name": "Small",
            "concurrency": {"VOICE": 1, "CHAT": 1},
            "queues": [{"queue": "Sales", "channel": "CHAT"}],
        },
    ],
}


def chat_slots(snapshot: dict[str, Any]) -> tuple[int, int]:
    for entry in snapshot["Configuration"]["RoutingProfile"]["Concurrency"]:
        if entry["Channel"] == "CHAT":
            return entry["AvailableSlots"], entry["MaximumSlots"]
    raise AssertionError("no CHAT concurrency in the snapshot")


def test_a_routing_profile_change_is_one_state_change_and_keeps_held_contacts() -> None:
    world = World(SMALL)
    world.available("alice", 0)
    world.inbound("ch1", 10, channel="CHAT")
    world.inbound("ch2", 11, channel="CHAT")
    world.accept("alice", "ch1", 12)
    world.accept("alice", "ch2", 12)
    before = len(world.aes("alice", "STATE_CHANGE"))
    world.do(
        cmd.UpdateUserRoutingProfile(
            agent_id=world.agent("alice"), profile_id=world.setup.profiles["small"]
        ),
        20,
    )
    changes = world.aes("alice", "STATE_CHANGE")
    assert len(changes) == before + 1
    snapshot = changes[-1]["CurrentAgentSnapshot"]
    assert snapshot["Configuration"]["RoutingProfile"]["Name"] == "Small"
    assert [c["ContactId"] for c in snapshot["Contacts"]] == ["ch1", "ch2"]
    # two chats held on a profile that now allows one: AvailableSlots never goes below 0
    assert chat_slots(snapshot) == (0, 1)


def test_after_shrinking_the_profile_no_new_offer_until_below_the_new_limit() -> None:
    world = World(SMALL)
    world.available("alice", 0)
    world.inbound("ch1", 10, channel="CHAT")
    world.inbound("ch2", 11, channel="CHAT")
    world.accept("alice", "ch1", 12)
    world.accept("alice", "ch2", 12)
    world.do(
        cmd.UpdateUserRoutingProfile(
            agent_id=world.agent("alice"), profile_id=world.setup.profiles["small"]
        ),
        20,
    )
    world.end("alice", "ch1", 30)
    world.clear("alice", "ch1", 31)
    world.inbound("ch3", 32, channel="CHAT")
    assert world.slot_state("alice", "ch3") is None  # one chat held, limit one
    world.end("alice", "ch2", 40)
    world.clear("alice", "ch2", 41)
    assert world.slot_state("alice", "ch3") is ContactState.CONNECTING


def test_an_acw_limit_change_applies_to_the_next_contact_and_publishes_nothing() -> None:
    world = World()
    world.available("alice", 0)
    before = len(world.records)
    world.do(
        cmd.UpdateUserPhoneConfig(
            agent_id=world.agent("alice"), acw_timeout_ms=((Channel.VOICE, 10_000),)
        ),
        5,
    )
    assert len(world.records) == before
    world.inbound("c1", 10)
    world.accept("alice", "c1", 11)
    world.hangup("c1", 20)
    world.run_until(30)
    assert world.slot_state("alice", "c1") is None
    assert world.ctr("c1")["Agent"]["AfterContactWorkDuration"] == 10


def test_an_auto_accept_change_is_a_state_change() -> None:
    world = World()
    world.available("alice", 0)
    before = len(world.aes("alice", "STATE_CHANGE"))
    world.do(
        cmd.UpdateUserPhoneConfig(
            agent_id=world.agent("alice"), auto_accept=((Channel.VOICE, True),)
        ),
        5,
    )
    assert len(world.aes("alice", "STATE_CHANGE")) == before + 1
    world.inbound("c1", 10)
    assert world.slot_state("alice", "c1") is ContactState.CONNECTED


def test_changing_the_phone_config_of_an_unknown_agent_is_not_found() -> None:
    world = World()
    message = refuse(
        world,
        cmd.UpdateUserPhoneConfig(agent_id=AgentId("nobody"), auto_accept=((Channel.VOICE, True),)),
        NotFound,
    )
    assert "nobody" in message
