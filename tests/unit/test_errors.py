"""Every illegal action is refused with a typed error that names the thing and the reason, and the
refusal changes nothing: no event logged, no record published, no slot, status or queue moved."""

from __future__ import annotations

from typing import Any

import pytest

from switchboard.domain import commands as cmd
from switchboard.domain.errors import (
    DomainError,
    Duplicate,
    IllegalTransition,
    InvalidParameter,
    NotFound,
)
from switchboard.domain.model import AgentId, Channel, ContactId, ContactState, StatusId
from tests.support import BASIC, World


def refuse(world: World, command: cmd.Command, at: float, error: type[DomainError]) -> str:
    """Run a command that must be refused at `at`; check nothing changed; return the message."""
    world.run_until(at)  # timers due by then fire first, as they would anyway
    before = world.fingerprint()
    with pytest.raises(error) as refused:
        world.do(command, at)
    assert world.fingerprint() == before
    assert refused.value.code == error.code
    return refused.value.message


def alice_on_call(world: World) -> None:
    """Given alice Available and talking to c1 (VOICE, CONNECTED since 12 s)."""
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.accept("alice", "c1", 12)


def alice_ringing(world: World) -> None:
    """Given bob Available and ringing with c1 (offered at 10 s)."""
    world.available("bob", 0)
    world.inbound("c1", 10)


def accept(world: World, who: str, contact: str) -> cmd.AcceptContact:
    return cmd.AcceptContact(agent_id=world.agent(who), contact_id=ContactId(contact))


# --- accepting, rejecting ---------------------------------------------------------------------


def test_accepting_an_unknown_contact_is_not_found() -> None:
    world = World()
    world.available("alice", 0)
    message = refuse(world, accept(world, "alice", "ghost"), 5, NotFound)
    assert "ghost" in message
    assert "alice" in message


def test_accepting_a_contact_offered_to_someone_else_is_refused() -> None:
    world = World()
    alice_ringing(world)  # c1 rings on bob
    world.available("alice", 11)
    message = refuse(world, accept(world, "alice", "c1"), 12, IllegalTransition)
    assert "c1" in message
    assert "not on this agent" in message
    assert "alice" in message
    assert world.slot_state("bob", "c1") is ContactState.CONNECTING


def test_accepting_after_the_offer_expired_is_refused_as_missed() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    message = refuse(world, accept(world, "alice", "c1"), 31, IllegalTransition)
    assert "cannot accept" in message
    assert "c1" in message
    assert "MISSED" in message
    assert "expired" in message
    assert world.slot_state("alice", "c1") is ContactState.MISSED


def test_accepting_a_connected_contact_again_is_refused() -> None:
    world = World()
    alice_on_call(world)
    message = refuse(world, accept(world, "alice", "c1"), 20, IllegalTransition)
    assert "cannot accept" in message
    assert "CONNECTED" in message


def test_rejecting_a_connected_contact_is_refused() -> None:
    world = World()
    alice_on_call(world)
    command = cmd.RejectContact(agent_id=world.agent("alice"), contact_id=ContactId("c1"))
    message = refuse(world, command, 20, IllegalTransition)
    assert "cannot reject" in message
    assert "c1" in message
    assert "CONNECTED" in message


def test_accepting_for_an_unknown_agent_is_not_found() -> None:
    world = World()
    alice_ringing(world)
    command = cmd.AcceptContact(agent_id=AgentId("nobody"), contact_id=ContactId("c1"))
    message = refuse(world, command, 12, NotFound)
    assert "unknown agent" in message
    assert "nobody" in message


# --- clearing, ending, hold -------------------------------------------------------------------


def test_clearing_a_live_connected_contact_is_refused() -> None:
    world = World()
    alice_on_call(world)
    command = cmd.ClearContact(agent_id=world.agent("alice"), contact_id=ContactId("c1"))
    message = refuse(world, command, 20, IllegalTransition)
    assert "cannot clear" in message
    assert "c1" in message
    assert "CONNECTED" in message
    assert "ENDED" in message  # says which states can be cleared
    assert world.slot_state("alice", "c1") is ContactState.CONNECTED


def test_clearing_a_ringing_offer_is_refused() -> None:
    world = World()
    alice_ringing(world)
    command = cmd.ClearContact(agent_id=world.agent("bob"), contact_id=ContactId("c1"))
    message = refuse(world, command, 12, IllegalTransition)
    assert "cannot clear" in message
    assert "CONNECTING" in message


def test_ending_a_ringing_offer_is_refused_with_a_hint_to_reject() -> None:
    world = World()
    alice_ringing(world)
    command = cmd.EndContact(agent_id=world.agent("bob"), contact_id=ContactId("c1"))
    message = refuse(world, command, 12, IllegalTransition)
    assert "cannot end" in message
    assert "CONNECTING" in message
    assert "reject" in message


def test_ending_a_contact_already_in_acw_is_refused() -> None:
    world = World()
    alice_on_call(world)
    world.hangup("c1", 30)
    command = cmd.EndContact(agent_id=world.agent("alice"), contact_id=ContactId("c1"))
    message = refuse(world, command, 31, IllegalTransition)
    assert "cannot end" in message
    assert "ENDED" in message


def test_holding_a_chat_is_refused() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("ch1", 10, channel="CHAT")
    world.accept("alice", "ch1", 11)
    command = cmd.HoldContact(agent_id=world.agent("alice"), contact_id=ContactId("ch1"))
    message = refuse(world, command, 12, IllegalTransition)
    assert "cannot hold" in message
    assert "ch1" in message
    assert "voice" in message
    assert "CHAT" in message


def test_holding_a_ringing_call_is_refused() -> None:
    world = World()
    alice_ringing(world)
    command = cmd.HoldContact(agent_id=world.agent("bob"), contact_id=ContactId("c1"))
    message = refuse(world, command, 12, IllegalTransition)
    assert "cannot hold" in message
    assert "CONNECTING" in message


def test_holding_a_call_already_on_hold_is_refused() -> None:
    world = World()
    alice_on_call(world)
    world.hold("alice", "c1", 20)
    command = cmd.HoldContact(agent_id=world.agent("alice"), contact_id=ContactId("c1"))
    message = refuse(world, command, 25, IllegalTransition)
    assert "cannot hold" in message
    assert "CONNECTED_ONHOLD" in message


def test_resuming_a_contact_not_on_hold_is_refused() -> None:
    world = World()
    alice_on_call(world)
    command = cmd.ResumeContact(agent_id=world.agent("alice"), contact_id=ContactId("c1"))
    message = refuse(world, command, 20, IllegalTransition)
    assert "cannot resume" in message
    assert "c1" in message
    assert "on hold" in message
    assert world.slot_state("alice", "c1") is ContactState.CONNECTED


# --- statuses ---------------------------------------------------------------------------------


def test_choosing_a_disabled_status_is_refused() -> None:
    world = World()
    world.available("alice", 0)
    command = cmd.SetStatus(agent_id=world.agent("alice"), status_id=world.status("Lunch"))
    message = refuse(world, command, 5, IllegalTransition)
    assert "Lunch" in message
    assert "disabled" in message
    assert world.status_name("alice") == "Available"


def test_choosing_an_unknown_status_is_not_found() -> None:
    world = World()
    world.available("alice", 0)
    command = cmd.SetStatus(agent_id=world.agent("alice"), status_id=StatusId("no-such-status"))
    message = refuse(world, command, 5, NotFound)
    assert "unknown agent status" in message
    assert "no-such-status" in message


def test_setting_the_status_of_an_unknown_agent_is_not_found() -> None:
    world = World()
    command = cmd.SetStatus(agent_id=AgentId("nobody"), status_id=world.status("Available"))
    message = refuse(world, command, 5, NotFound)
    assert "nobody" in message


# --- outbound ---------------------------------------------------------------------------------


def test_dialling_out_without_a_free_voice_slot_is_refused() -> None:
    world = World()
    alice_on_call(world)
    command = cmd.DialOut(agent_id=world.agent("alice"), contact_id=ContactId("out1"))
    message = refuse(world, command, 20, IllegalTransition)
    assert "cannot dial out" in message
    assert "alice" in message
    assert "no free voice slot" in message
    assert "1 of 1" in message
    # the refused id was not used up: once the slot is free the same id can be dialled
    world.end("alice", "c1", 30)
    world.clear("alice", "c1", 31)
    world.dial("alice", "out1", 32)
    assert world.slot_state("alice", "out1") is ContactState.CONNECTING


def test_dialling_out_while_a_missed_call_holds_the_voice_slot_is_refused() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    command = cmd.DialOut(agent_id=world.agent("alice"), contact_id=ContactId("out1"))
    message = refuse(world, command, 40, IllegalTransition)
    assert "no free voice slot" in message


def test_dialling_out_with_a_used_contact_id_is_a_duplicate() -> None:
    world = World()
    alice_on_call(world)
    command = cmd.DialOut(agent_id=world.agent("bob"), contact_id=ContactId("c1"))
    message = refuse(world, command, 20, Duplicate)
    assert "c1" in message
    assert "already exists" in message


def test_answering_a_call_that_is_not_being_dialled_is_refused() -> None:
    world = World()
    alice_on_call(world)
    message = refuse(world, cmd.CustomerAnswered(contact_id=ContactId("c1")), 20, IllegalTransition)
    assert "c1" in message
    assert "CONNECTED" in message


# --- login and logout -------------------------------------------------------------------------


def test_logging_out_while_on_a_live_contact_is_refused() -> None:
    world = World()
    alice_on_call(world)
    message = refuse(world, cmd.Logout(agent_id=world.agent("alice")), 20, IllegalTransition)
    assert "cannot log out" in message
    assert "alice" in message
    assert "c1" in message
    assert "CONNECTED" in message
    assert world.engine.state.agents[world.agent("alice")].logged_in


def test_logging_out_while_ringing_is_refused() -> None:
    world = World()
    alice_ringing(world)
    message = refuse(world, cmd.Logout(agent_id=world.agent("bob")), 12, IllegalTransition)
    assert "cannot log out" in message
    assert "CONNECTING" in message


def test_logging_in_twice_is_refused() -> None:
    world = World()
    world.login("alice", 0)
    message = refuse(world, cmd.Login(agent_id=world.agent("alice")), 5, IllegalTransition)
    assert "cannot log in" in message
    assert "alice" in message
    assert "logged in" in message


def test_logging_out_when_not_logged_in_is_refused() -> None:
    world = World()
    message = refuse(world, cmd.Logout(agent_id=world.agent("alice")), 5, IllegalTransition)
    assert "cannot log out" in message
    assert "logged out" in message


# --- contacts arriving ------------------------------------------------------------------------

VOICE_ONLY_QUEUE: dict[str, Any] = {
    **BASIC,
    "queues": [
        {"name": "Sales", "channels": ["VOICE", "CHAT", "TASK"]},
        {"name": "Phones", "channels": ["VOICE"]},
    ],
}


def test_inbound_to_a_queue_that_does_not_take_the_channel_is_refused() -> None:
    world = World(VOICE_ONLY_QUEUE)
    world.available("alice", 0)
    command = cmd.StartInboundContact(
        contact_id=ContactId("ch1"), channel=Channel.CHAT, queue_id=world.queue("Phones")
    )
    message = refuse(world, command, 5, InvalidParameter)
    assert "Phones" in message
    assert "CHAT" in message
    # the id is still free
    world.inbound("ch1", 6, channel="CHAT", queue="Sales")
    assert world.slot_state("alice", "ch1") is ContactState.CONNECTING


def test_inbound_to_an_unknown_queue_is_not_found() -> None:
    world = World()
    command = cmd.StartInboundContact(
        contact_id=ContactId("c1"), channel=Channel.VOICE, queue_id=world.queue("Sales") + "-x"
    )
    message = refuse(world, command, 5, NotFound)
    assert "unknown queue" in message


def test_a_duplicate_contact_id_is_refused() -> None:
    world = World()
    world.inbound("c1", 5)
    command = cmd.StartInboundContact(
        contact_id=ContactId("c1"), channel=Channel.VOICE, queue_id=world.queue()
    )
    message = refuse(world, command, 6, Duplicate)
    assert "c1" in message
    assert "already exists" in message


def test_the_id_of_a_finished_contact_cannot_be_reused() -> None:
    world = World()
    world.inbound("c1", 5)
    world.hangup("c1", 8)  # abandoned: its record is final
    command = cmd.StartInboundContact(
        contact_id=ContactId("c1"), channel=Channel.VOICE, queue_id=world.queue()
    )
    message = refuse(world, command, 9, Duplicate)
    assert "c1" in message
    assert len([r for r in world.ctr_json if r["ContactId"] == "c1"]) == 1


def test_hanging_up_a_contact_that_is_already_in_acw_is_refused() -> None:
    world = World()
    alice_on_call(world)
    world.hangup("c1", 30)
    message = refuse(world, cmd.CustomerHangup(contact_id=ContactId("c1")), 31, IllegalTransition)
    assert "c1" in message
    assert "already ended" in message


def test_hanging_up_an_unknown_contact_is_not_found() -> None:
    world = World()
    message = refuse(world, cmd.CustomerHangup(contact_id=ContactId("ghost")), 5, NotFound)
    assert "ghost" in message


def test_accepting_ones_own_outbound_call_is_refused() -> None:
    world = World()
    world.available("alice", 0)
    world.dial("alice", "out1", 5)
    message = refuse(world, accept(world, "alice", "out1"), 6, IllegalTransition)
    assert "cannot accept" in message
    assert "out1" in message
    assert "outbound" in message


def test_rejecting_a_missed_contact_is_refused() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    command = cmd.RejectContact(agent_id=world.agent("alice"), contact_id=ContactId("c1"))
    message = refuse(world, command, 31, IllegalTransition)
    assert "cannot reject" in message
    assert "MISSED" in message


def test_clearing_a_contact_twice_is_not_found() -> None:
    world = World()
    alice_on_call(world)
    world.hangup("c1", 30)
    world.clear("alice", "c1", 31)
    command = cmd.ClearContact(agent_id=world.agent("alice"), contact_id=ContactId("c1"))
    message = refuse(world, command, 32, NotFound)
    assert "c1" in message
