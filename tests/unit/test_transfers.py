"""Transfers to a queue (DESIGN §3.14, §5): the agent's contact goes to ACW with NextContactId and
TransferCompletedTimestamp in its record; a new ContactId (TRANSFER, Initial/Previous ids set, a
new enqueue time) waits in the target queue and is routed like any other contact."""

from __future__ import annotations

from typing import Any

import pytest

from switchboard.domain import commands as cmd
from switchboard.domain import events as ev
from switchboard.domain.errors import Duplicate, IllegalTransition, InvalidParameter, NotFound
from switchboard.domain.model import ContactId, ContactState, QueueId
from tests.support import BASIC, World

TWO_QUEUES: dict[str, Any] = {
    **BASIC,
    "queues": [
        {"name": "Sales", "channels": ["VOICE", "CHAT", "TASK"]},
        {"name": "Support", "channels": ["VOICE", "CHAT"]},
        {"name": "Tasks", "channels": ["TASK"]},
    ],
    "routing_profiles": [
        {
            "name": "Basic",
            "concurrency": {"VOICE": 1, "CHAT": 2},
            "queues": [
                {"queue": "Sales", "channel": "VOICE"},
                {"queue": "Sales", "channel": "CHAT"},
            ],
        },
        {
            "name": "Helpdesk",
            "concurrency": {"VOICE": 1, "CHAT": 2},
            "queues": [
                {"queue": "Support", "channel": "VOICE"},
                {"queue": "Support", "channel": "CHAT"},
            ],
        },
    ],
    "agents": [
        {"username": "alice", "routing_profile": "Basic"},
        {"username": "bob", "routing_profile": "Helpdesk"},
    ],
}


def transfer(
    world: World, username: str, contact: str, *, new: str, queue: str, at: float
) -> list[ev.Event]:
    return world.do(
        cmd.TransferToQueue(
            agent_id=world.agent(username),
            contact_id=ContactId(contact),
            queue_id=world.queue(queue),
            new_contact_id=ContactId(new),
        ),
        at,
    )


def alice_talking(world: World, contact: str = "c1") -> None:
    """Given alice on `contact` since 12 s and bob Available (idle) in Support."""
    world.available("alice", 0)
    world.available("bob", 0)
    world.inbound(contact, 10)
    world.accept("alice", contact, 12)


def contact_in(snapshot: dict[str, Any], contact: str) -> dict[str, Any] | None:
    return next((c for c in snapshot["Contacts"] if c["ContactId"] == contact), None)


def test_a_transfer_ends_the_agents_contact_into_acw_and_offers_a_new_one_from_the_queue() -> None:
    world = World(TWO_QUEUES)
    alice_talking(world)
    events = transfer(world, "alice", "c1", new="t1", queue="Support", at=30)
    assert [type(e) for e in events] == [
        ev.ContactDisconnected,
        ev.ContactTransferred,
        ev.ContactOffered,
    ]
    assert world.slot_state("alice", "c1") is ContactState.ENDED
    assert world.slot_state("bob", "t1") is ContactState.CONNECTING
    offered = contact_in(world.last_snapshot("bob"), "t1")
    assert offered is not None
    assert offered["InitiationMethod"] == "TRANSFER"
    assert offered["InitialContactId"] == "c1"
    assert offered["QueueTimestamp"] == world.iso(30)
    assert offered["Queue"]["Name"] == "Support"
    assert world.activities("alice")[-1] == "After contact work"


def test_the_transferred_contact_waits_in_its_queue_until_an_agent_of_that_queue_is_free() -> None:
    world = World(TWO_QUEUES)
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.accept("alice", "c1", 12)
    transfer(world, "alice", "c1", new="t1", queue="Support", at=30)
    world.clear("alice", "c1", 35)
    # alice is free again but does not serve Support: the contact waits for bob
    assert world.engine.state.contacts[ContactId("t1")].agent_id is None
    world.available("bob", 50)
    assert world.slot_state("bob", "t1") is ContactState.CONNECTING


def test_the_records_are_chained_by_next_previous_and_initial_contact_ids() -> None:
    world = World(TWO_QUEUES)
    alice_talking(world)
    transfer(world, "alice", "c1", new="t1", queue="Support", at=30)
    world.accept("bob", "t1", 33)
    world.clear("alice", "c1", 40)
    world.end("bob", "t1", 60)
    world.clear("bob", "t1", 70)
    first, second = world.ctr("c1"), world.ctr("t1")
    assert first["InitiationMethod"] == "INBOUND"
    assert first["InitialContactId"] is None
    assert first["NextContactId"] == "t1"
    assert first["TransferCompletedTimestamp"] == world.iso_s(30)
    assert first["DisconnectReason"] == "AGENT_DISCONNECT"
    assert first["DisconnectTimestamp"] == world.iso_s(30)
    assert first["Agent"]["Username"] == "alice"
    assert first["Agent"]["AfterContactWorkEndTimestamp"] == world.iso_s(40)
    assert second["InitiationMethod"] == "TRANSFER"
    assert second["InitialContactId"] == "c1"
    assert second["PreviousContactId"] == "c1"
    assert second["NextContactId"] is None
    assert second["TransferCompletedTimestamp"] is None
    assert second["InitiationTimestamp"] == world.iso_s(30)
    assert second["Queue"]["Name"] == "Support"
    assert second["Queue"]["EnqueueTimestamp"] == world.iso_s(30)
    assert second["Queue"]["Duration"] == 3
    assert second["Agent"]["Username"] == "bob"
    assert second["DisconnectReason"] == "AGENT_DISCONNECT"


def test_a_second_transfer_keeps_the_first_contact_as_the_initial_one() -> None:
    world = World(TWO_QUEUES)
    alice_talking(world)
    transfer(world, "alice", "c1", new="t1", queue="Support", at=30)
    world.accept("bob", "t1", 33)
    world.clear("alice", "c1", 40)
    transfer(world, "bob", "t1", new="t2", queue="Sales", at=50)
    assert world.slot_state("alice", "t2") is ContactState.CONNECTING
    contact = world.engine.state.contacts[ContactId("t2")]
    assert (contact.initial_id, contact.previous_id) == ("c1", "t1")
    assert world.engine.state.contacts[ContactId("t1")].next_id == "t2"


def test_a_transfer_from_hold_ends_the_hold_and_counts_it() -> None:
    world = World(TWO_QUEUES)
    alice_talking(world)
    world.hold("alice", "c1", 20)
    transfer(world, "alice", "c1", new="t1", queue="Support", at=26)
    world.clear("alice", "c1", 30)
    agent = world.ctr("c1")["Agent"]
    assert (agent["NumberOfHolds"], agent["CustomerHoldDuration"]) == (1, 6)


def test_the_customer_hanging_up_while_the_transfer_waits_abandons_the_new_contact() -> None:
    world = World(TWO_QUEUES)
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.accept("alice", "c1", 12)
    transfer(world, "alice", "c1", new="t1", queue="Support", at=30)
    # The phone network still knows the call by its first id: the hang-up follows the chain.
    world.hangup("c1", 45)
    assert world.slot_state("alice", "c1") is ContactState.ENDED
    record = world.ctr("t1")
    assert record["DisconnectReason"] == "CUSTOMER_DISCONNECT"
    assert record["Agent"] is None
    assert record["Queue"]["Duration"] == 15
    world.clear("alice", "c1", 50)
    assert world.ctr("c1")["NextContactId"] == "t1"


def test_a_transfer_needs_a_queue_of_its_channel_and_an_unused_contact_id() -> None:
    world = World(TWO_QUEUES)
    alice_talking(world)
    before = world.fingerprint()
    with pytest.raises(InvalidParameter, match="'Tasks' does not take VOICE"):
        transfer(world, "alice", "c1", new="t1", queue="Tasks", at=30)
    with pytest.raises(Duplicate, match="'c1' already exists"):
        transfer(world, "alice", "c1", new="c1", queue="Support", at=30)
    assert world.fingerprint() == before


@pytest.mark.parametrize(
    "case",
    [
        ("ringing", "alice", "c1", "Support", IllegalTransition, "CONNECTING"),
        ("acw", "alice", "c1", "Support", IllegalTransition, "ENDED"),
        ("talking", "bob", "c1", "Support", IllegalTransition, "not on this agent"),
        ("talking", "alice", "nope", "Support", NotFound, "'nope'"),
        ("talking", "alice", "c1", "Nowhere", NotFound, "unknown queue"),
    ],
)
def test_a_refused_transfer_changes_nothing(
    case: tuple[str, str, str, str, type[Exception], str],
) -> None:
    setup, who, contact, queue, error, words = case
    world = World(TWO_QUEUES)
    world.available("alice", 0)
    world.inbound("c1", 10)
    if setup in {"talking", "acw"}:
        world.accept("alice", "c1", 12)
    if setup == "acw":
        world.end("alice", "c1", 20)
    before = world.fingerprint()
    queue_id = world.queue(queue) if queue != "Nowhere" else QueueId("Nowhere")
    with pytest.raises(error, match=words):
        world.do(
            cmd.TransferToQueue(
                agent_id=world.agent(who),
                contact_id=ContactId(contact),
                queue_id=queue_id,
                new_contact_id=ContactId("t1"),
            ),
            30,
        )
    assert world.fingerprint() == before


def test_replaying_the_log_rebuilds_the_transfer_chain() -> None:
    world = World(TWO_QUEUES)
    alice_talking(world)
    transfer(world, "alice", "c1", new="t1", queue="Support", at=30)
    engine = world.engine
    restarted = type(engine)(clock=engine.clock, ids=engine.ids)
    restarted.replay(engine.log.read())
    contact = restarted.state.contacts[ContactId("t1")]
    assert (contact.initial_id, contact.previous_id, contact.method.value) == (
        "c1",
        "c1",
        "TRANSFER",
    )
    assert restarted.state.contacts[ContactId("c1")].next_id == "t1"
    bob = restarted.state.agents[world.agent("bob")]
    assert bob.slots[ContactId("t1")].state is ContactState.CONNECTING
