"""Routing (DESIGN §3.2 routability, §4 matching): who may be offered a contact, which contact
goes first and which agent gets it, and why (`explain`)."""

from __future__ import annotations

from typing import Any

from switchboard.domain import commands as cmd
from switchboard.domain import events as ev
from switchboard.domain.model import Channel, ContactId, ContactPhase, ContactState
from switchboard.domain.routing import explain
from switchboard.engine.engine import Engine
from tests.support import BASIC, World


def offered_at(world: World, username: str, contact: str) -> str | None:
    """When `contact` was first offered to `username` (AES EventTimestamp), or None."""
    for record in world.aes(username, "STATE_CHANGE"):
        for c in record["CurrentAgentSnapshot"]["Contacts"]:
            if c["ContactId"] == contact:
                return record["EventTimestamp"]
    return None


def is_queued(world: World, contact: str) -> bool:
    found = world.engine.state.contacts.get(ContactId(contact))
    return found is not None and found.phase is ContactPhase.QUEUED


def scenario(**changes: Any) -> dict[str, Any]:
    return {**BASIC, **changes}


# --- routability (§3.2) -------------------------------------------------------------------------


def test_only_an_agent_in_a_routable_status_is_offered_contacts() -> None:
    world = World()
    world.login("alice", 0)
    world.set_status("alice", "Break", 0)
    world.login("bob", 0)  # logged in, still Offline
    world.inbound("c1", 10)
    assert is_queued(world, "c1")
    world.set_status("alice", "Available", 25)
    assert world.slot_state("alice", "c1") is ContactState.CONNECTING
    assert offered_at(world, "alice", "c1") == world.iso(25)


def test_a_pending_next_status_stops_routing_at_once() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("ch1", 10, channel="CHAT")
    world.accept("alice", "ch1", 11)
    world.set_status("alice", "Break", 20)  # next status: one chat slot is still free
    world.inbound("ch2", 25, channel="CHAT")
    assert is_queued(world, "ch2")
    world.set_status("alice", "Available", 30)  # cancels the next status
    assert offered_at(world, "alice", "ch2") == world.iso(30)


def test_missed_contact_blocks_routing_on_every_channel_until_cleared() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.run_until(30)  # missed; back in the queue with nobody else to take it
    assert world.slot_state("alice", "c1") is ContactState.MISSED
    world.inbound("ch1", 35, channel="CHAT")
    assert is_queued(world, "c1")
    assert is_queued(world, "ch1")
    world.clear("alice", "c1", 40)
    assert world.slot_state("alice", "c1") is ContactState.CONNECTING
    assert offered_at(world, "alice", "c1") is not None
    assert world.aes("alice", "STATE_CHANGE")[-1]["EventTimestamp"] == world.iso(40)


def test_rejected_chat_blocks_routing_until_cleared() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("ch1", 10, channel="CHAT")
    world.reject("alice", "ch1", 12)
    world.inbound("ch2", 15, channel="CHAT")  # a free chat slot, but a REJECTED contact waits
    assert world.slot_state("alice", "ch2") is None
    world.clear("alice", "ch1", 20)
    assert world.slot_state("alice", "ch1") is ContactState.CONNECTING  # re-offered, oldest first
    assert world.slot_state("alice", "ch2") is ContactState.CONNECTING


def test_error_contact_blocks_routing_until_cleared() -> None:
    world = World()
    world.available("alice", 0)
    world.dial("alice", "out1", 5)
    world.dial_failed("out1", 8)
    world.inbound("c1", 10)
    assert is_queued(world, "c1")
    world.clear("alice", "out1", 20)
    assert offered_at(world, "alice", "c1") == world.iso(20)


def test_an_agent_is_offered_no_more_than_the_channel_slots() -> None:
    world = World()
    world.available("alice", 0)
    for i, at in enumerate((10, 11, 12), start=1):
        world.inbound(f"ch{i}", at, channel="CHAT")
    assert world.slot_state("alice", "ch1") is ContactState.CONNECTING
    assert world.slot_state("alice", "ch2") is ContactState.CONNECTING
    assert world.slot_state("alice", "ch3") is None
    assert is_queued(world, "ch3")


def test_an_agent_on_a_voice_call_gets_no_chat() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.accept("alice", "c1", 11)
    world.inbound("ch1", 12, channel="CHAT")
    assert is_queued(world, "ch1")
    world.hangup("c1", 20)
    assert is_queued(world, "ch1")  # ACW counts as busy
    world.clear("alice", "c1", 30)
    assert offered_at(world, "alice", "ch1") == world.iso(30)


def test_an_agent_on_a_chat_gets_no_voice_call() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("ch1", 10, channel="CHAT")
    world.inbound("c1", 11)
    assert is_queued(world, "c1")


def any_channel(cross: dict[str, str]) -> dict[str, Any]:
    return scenario(
        routing_profiles=[{**BASIC["routing_profiles"][0], "cross_channel": cross}],
    )


def test_an_agent_on_a_voice_call_gets_a_chat_when_voice_routes_any_channel() -> None:
    world = World(any_channel({"VOICE": "ROUTE_ANY_CHANNEL"}))
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.accept("alice", "c1", 11)
    world.inbound("ch1", 12, channel="CHAT")
    assert world.slot_state("alice", "ch1") is ContactState.CONNECTING


def test_voice_acw_routing_any_channel_still_allows_a_chat() -> None:
    world = World(any_channel({"VOICE": "ROUTE_ANY_CHANNEL"}))
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.accept("alice", "c1", 11)
    world.hangup("c1", 12)
    world.inbound("ch1", 13, channel="CHAT")
    assert world.slot_state("alice", "ch1") is ContactState.CONNECTING


def test_every_held_channel_must_route_any_channel() -> None:
    # chat lets other channels in; voice does not
    world = World(any_channel({"CHAT": "ROUTE_ANY_CHANNEL"}))
    world.available("alice", 0)
    world.inbound("ch1", 10, channel="CHAT")
    world.accept("alice", "ch1", 11)
    world.inbound("c1", 12)  # allowed: the only held contact is a chat
    assert world.slot_state("alice", "c1") is ContactState.CONNECTING
    world.inbound("ch2", 13, channel="CHAT")  # refused: now a voice call is held too
    assert world.slot_state("alice", "ch2") is None
    assert is_queued(world, "ch2")


def test_chat_acw_counts_as_busy_for_a_voice_call() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("ch1", 10, channel="CHAT")
    world.accept("alice", "ch1", 11)
    world.hangup("ch1", 20)  # chat in ACW
    world.inbound("c1", 21)
    assert is_queued(world, "c1")
    world.clear("alice", "ch1", 25)
    assert offered_at(world, "alice", "c1") == world.iso(25)


# --- which agent: longest idle (§4) -----------------------------------------------------------


def test_longest_idle_agent_wins() -> None:
    world = World()
    world.available("bob", 0)
    world.available("alice", 5)
    world.inbound("c1", 10)
    assert world.slot_state("bob", "c1") is ContactState.CONNECTING
    assert world.slot_state("alice", "c1") is None


def test_ties_in_idle_time_go_to_the_lower_agent_id() -> None:
    world = World()
    first, second = sorted(["alice", "bob"], key=world.agent)
    world.available(second, 0)  # made Available first, at the same instant
    world.available(first, 0)
    world.inbound("c1", 10)
    assert world.slot_state(first, "c1") is ContactState.CONNECTING
    assert world.slot_state(second, "c1") is None


def test_becoming_available_again_resets_idle_time() -> None:
    world = World()
    world.available("alice", 0)
    world.available("bob", 5)
    world.set_status("alice", "Break", 10)
    world.set_status("alice", "Available", 15)
    world.inbound("c1", 20)
    assert world.slot_state("bob", "c1") is ContactState.CONNECTING


def test_an_offer_resets_idle_time_answered_or_not_and_with_free_slots_left() -> None:
    world = World()
    world.available("alice", 0)
    world.available("bob", 5)
    world.inbound("ch1", 10, channel="CHAT")  # alice, idle since 0 → now idle since 10
    world.inbound("ch2", 11, channel="CHAT")  # bob (5) beats alice (10) though alice has a slot
    world.inbound("ch3", 12, channel="CHAT")  # alice (10) beats bob (11), holding ch1
    assert world.slot_state("alice", "ch1") is ContactState.CONNECTING
    assert world.slot_state("bob", "ch2") is ContactState.CONNECTING
    assert world.slot_state("alice", "ch3") is ContactState.CONNECTING


def test_clearing_the_last_contact_resets_idle_time() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)  # alice: idle since 10
    world.available("bob", 20)
    world.accept("alice", "c1", 11)
    world.hangup("c1", 25)
    world.clear("alice", "c1", 30)  # alice: idle since 30
    world.inbound("c2", 40)
    assert world.slot_state("bob", "c2") is ContactState.CONNECTING


def test_the_longest_idle_agent_wins_even_while_holding_a_contact_on_another_channel() -> None:
    world = World(any_channel({"CHAT": "ROUTE_ANY_CHANNEL"}))
    world.available("alice", 0)
    world.inbound("ch1", 1, channel="CHAT")  # alice idle since 1
    world.accept("alice", "ch1", 2)
    world.available("bob", 5)
    world.inbound("c1", 10)
    assert world.slot_state("alice", "c1") is ContactState.CONNECTING


# --- the outbound availability timer (§4) ---------------------------------------------------------


def timer(value: str) -> dict[str, Any]:
    return scenario(
        routing_profiles=[{**BASIC["routing_profiles"][0], "availability_timer": value}],
    )


def test_an_outbound_call_resets_idle_time_under_time_since_last_activity() -> None:
    world = World(timer("TIME_SINCE_LAST_ACTIVITY"))
    world.available("alice", 0)
    world.available("bob", 5)
    world.dial("alice", "out1", 10)
    assert world.engine.state.agents[world.agent("alice")].idle_since == world.ms(10)
    world.answered("out1", 12)
    world.end("alice", "out1", 20)
    world.clear("alice", "out1", 22)
    world.inbound("c1", 30)
    assert world.slot_state("bob", "c1") is ContactState.CONNECTING


def test_an_outbound_call_keeps_idle_time_under_time_since_last_inbound() -> None:
    world = World(timer("TIME_SINCE_LAST_INBOUND"))
    world.available("alice", 0)
    world.available("bob", 5)
    world.dial("alice", "out1", 10)
    world.answered("out1", 12)
    world.end("alice", "out1", 20)
    world.clear("alice", "out1", 22)
    world.inbound("c1", 30)
    assert world.slot_state("alice", "c1") is ContactState.CONNECTING


# --- which contact: priority, delay, age (§4) --------------------------------------------------

TWO_QUEUES: dict[str, Any] = scenario(
    queues=[
        {"name": "Sales", "channels": ["VOICE", "CHAT"]},
        {"name": "Support", "channels": ["VOICE", "CHAT"]},
    ],
    routing_profiles=[
        {
            "name": "Basic",
            "concurrency": {"VOICE": 1, "CHAT": 2},
            "queues": [
                {"queue": "Sales", "channel": "VOICE", "priority": 1, "delay_s": 30},
                {"queue": "Support", "channel": "VOICE", "priority": 2},
            ],
        }
    ],
)


def test_priority_beats_age_once_the_delay_has_passed() -> None:
    world = World(TWO_QUEUES)
    world.inbound("support1", 0, queue="Support")
    world.inbound("sales1", 5, queue="Sales")
    world.available("alice", 40)  # sales1 has waited 35 s ≥ 30 s
    assert world.slot_state("alice", "sales1") is ContactState.CONNECTING
    assert is_queued(world, "support1")


def test_a_lower_priority_queue_is_served_while_the_higher_one_waits_out_its_delay() -> None:
    world = World(TWO_QUEUES)
    world.inbound("sales1", 0, queue="Sales")
    world.inbound("support1", 5, queue="Support")
    world.available("alice", 20)  # sales1 has waited 20 s < 30 s
    assert world.slot_state("alice", "support1") is ContactState.CONNECTING
    assert is_queued(world, "sales1")


def test_a_passing_delay_wakes_routing_by_itself() -> None:
    world = World(TWO_QUEUES)
    world.available("alice", 0)
    world.inbound("sales1", 10, queue="Sales")
    assert is_queued(world, "sales1")
    world.run_until(39.999)
    assert is_queued(world, "sales1")
    world.run_until(100)
    assert offered_at(world, "alice", "sales1") == world.iso(40)


EQUAL_QUEUES: dict[str, Any] = scenario(
    queues=[
        {"name": "Sales", "channels": ["VOICE", "CHAT"]},
        {"name": "Support", "channels": ["VOICE", "CHAT"]},
    ],
    routing_profiles=[
        {
            "name": "Basic",
            "concurrency": {"VOICE": 1, "CHAT": 2},
            "queues": [
                {"queue": "Sales", "channel": "VOICE", "priority": 1},
                {"queue": "Support", "channel": "VOICE", "priority": 1},
            ],
        }
    ],
)


def test_the_oldest_contact_goes_first_across_queues_of_equal_priority() -> None:
    world = World(EQUAL_QUEUES)
    world.inbound("support1", 0, queue="Support")
    world.inbound("sales1", 5, queue="Sales")
    world.available("alice", 10)
    assert world.slot_state("alice", "support1") is ContactState.CONNECTING
    world.reject("alice", "support1", 11)
    world.clear("alice", "support1", 12)
    # support1 went back to the queue with its old enqueue time: still first
    assert world.slot_state("alice", "support1") is ContactState.CONNECTING


def test_contacts_of_one_queue_go_in_arrival_order() -> None:
    world = World()
    world.inbound("first", 10)
    world.inbound("second", 10)
    world.inbound("third", 10)
    world.available("alice", 20)
    assert world.slot_state("alice", "first") is ContactState.CONNECTING
    world.accept("alice", "first", 21)
    world.end("alice", "first", 22)
    world.clear("alice", "first", 23)
    assert world.slot_state("alice", "second") is ContactState.CONNECTING


SPLIT_PRIORITIES: dict[str, Any] = scenario(
    routing_profiles=[
        {
            "name": "Primary",
            "concurrency": {"VOICE": 1},
            "queues": [{"queue": "Sales", "channel": "VOICE", "priority": 1}],
        },
        {
            "name": "Overflow",
            "concurrency": {"VOICE": 1},
            "queues": [{"queue": "Sales", "channel": "VOICE", "priority": 50}],
        },
    ],
    agents=[
        {"username": "alice", "routing_profile": "Primary"},
        {"username": "bob", "routing_profile": "Overflow"},
    ],
)


def test_priority_never_ranks_agents_against_each_other() -> None:
    world = World(SPLIT_PRIORITIES)
    world.available("bob", 0)  # Sales is priority 50 for bob, but bob is idle longest
    world.available("alice", 5)
    world.inbound("c1", 10)
    assert world.slot_state("bob", "c1") is ContactState.CONNECTING


# --- the routing log and explain (§4) ------------------------------------------------------------


def test_each_offer_records_queue_priority_candidates_and_the_winners_key() -> None:
    world = World()
    world.available("alice", 0)
    world.available("bob", 3)
    events = world.inbound("c1", 10)
    [offer] = [e for e in events if isinstance(e, ev.ContactOffered)]
    assert offer.agent_id == world.agent("alice")
    assert offer.route.queue_id == world.queue()
    assert offer.route.priority == 1
    assert offer.route.candidates == 2
    assert offer.route.idle_since == world.ms(0)


EXPLAIN: dict[str, Any] = scenario(
    routing_profiles=[
        BASIC["routing_profiles"][0],
        {
            "name": "ChatOnly",
            "concurrency": {"CHAT": 2},
            "queues": [{"queue": "Sales", "channel": "CHAT"}],
        },
        {
            "name": "Late",
            "concurrency": {"VOICE": 1},
            "queues": [{"queue": "Sales", "channel": "VOICE", "delay_s": 60}],
        },
    ],
    agents=[
        {"username": "alice", "routing_profile": "Basic"},
        {"username": "bob", "routing_profile": "Basic"},
        {"username": "carol", "routing_profile": "ChatOnly"},
        {"username": "dave", "routing_profile": "Late"},
    ],
)


def test_explain_gives_each_agents_reason() -> None:
    world = World(EXPLAIN)
    world.login("alice", 0)
    world.set_status("alice", "Break", 0)
    world.available("bob", 0)
    world.available("carol", 0)
    world.available("dave", 0)
    world.inbound("c1", 10)  # bob takes it
    world.accept("bob", "c1", 11)
    world.inbound("c2", 20)  # nobody may take it yet
    contact = world.engine.state.contacts[ContactId("c2")]
    standing = {c.username: c for c in explain(world.engine.state, contact, world.ms(30))}
    assert not any(c.eligible for c in standing.values())
    assert "CUSTOM" in standing["alice"].reason
    assert "slots are in use" in standing["bob"].reason
    assert "does not serve this queue" in standing["carol"].reason
    assert "delay" in standing["dave"].reason
    later = explain(world.engine.state, contact, world.ms(80))
    assert later[0].username == "dave"  # eligible agents come first
    assert later[0].eligible
    assert [c.eligible for c in later[1:]] == [False, False, False]


def test_explain_names_a_pending_missed_contact() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.run_until(30)
    contact = world.engine.state.contacts[ContactId("c1")]
    [alice] = [
        c for c in explain(world.engine.state, contact, world.ms(31)) if c.username == "alice"
    ]
    assert not alice.eligible
    assert "c1" in alice.reason
    assert "MISSED" in alice.reason


MIXED_CHANNELS: dict[str, Any] = scenario(
    queues=[
        {"name": "Chats", "channels": ["CHAT"]},
        {"name": "Calls", "channels": ["VOICE"]},
    ],
    routing_profiles=[
        {
            "name": "Basic",
            "concurrency": {"VOICE": 1, "CHAT": 2},
            "queues": [
                {"queue": "Chats", "channel": "CHAT", "priority": 1},
                {"queue": "Calls", "channel": "VOICE", "priority": 2},
            ],
        }
    ],
)


def test_priority_orders_an_agents_queues_across_channels() -> None:
    world = World(MIXED_CHANNELS)
    world.inbound("call1", 0, queue="Calls")
    world.inbound("chat1", 5, channel="CHAT", queue="Chats")
    world.available("alice", 10)
    # chat1 sits in a higher-priority queue of alice's profile and is eligible for her, so the
    # older call1 is not eligible for her yet (§4 "Matching, precisely")
    assert world.slot_state("alice", "chat1") is ContactState.CONNECTING
    assert world.slot_state("alice", "call1") is None


def test_the_oldest_contact_goes_first_across_channels_of_equal_priority() -> None:
    world = World()
    world.inbound("ch1", 0, channel="CHAT")
    world.inbound("c1", 5)
    world.available("alice", 10)
    assert world.slot_state("alice", "ch1") is ContactState.CONNECTING
    assert is_queued(world, "c1")  # cross-channel: a chat on alice keeps voice away


STAGGERED_DELAYS: dict[str, Any] = scenario(
    queues=[
        {"name": "Sales", "channels": ["VOICE"]},
        {"name": "Support", "channels": ["VOICE"]},
    ],
    routing_profiles=[
        {
            "name": "Basic",
            "concurrency": {"VOICE": 1},
            "queues": [
                {"queue": "Sales", "channel": "VOICE", "priority": 1, "delay_s": 30},
                {"queue": "Support", "channel": "VOICE", "priority": 2, "delay_s": 20},
            ],
        }
    ],
)


def test_explain_says_when_a_higher_priority_queue_comes_first() -> None:
    world = World(STAGGERED_DELAYS)
    world.available("alice", 0)
    world.inbound("sales1", 0, queue="Sales")
    world.inbound("support1", 0, queue="Support")
    support1 = world.engine.state.contacts[ContactId("support1")]
    [early] = [
        c for c in explain(world.engine.state, support1, world.ms(25)) if c.username == "alice"
    ]
    assert early.eligible  # Sales still waits out its delay
    [late] = [
        c for c in explain(world.engine.state, support1, world.ms(35)) if c.username == "alice"
    ]
    assert not late.eligible
    assert "priority-1" in late.reason


def test_the_first_queue_whose_delay_passes_is_served() -> None:
    world = World(STAGGERED_DELAYS)
    world.available("alice", 0)
    world.inbound("sales1", 0, queue="Sales")
    world.inbound("support1", 0, queue="Support")
    world.run_until(100)
    assert offered_at(world, "alice", "support1") == world.iso(20)
    assert is_queued(world, "sales1")


def test_a_status_change_at_the_instant_a_delay_passes_is_applied_first() -> None:
    world = World(TWO_QUEUES)
    world.available("alice", 0)
    world.inbound("sales1", 10, queue="Sales")
    world.set_status("alice", "Break", 40)  # the delay passes at this very instant
    world.run_until(45)
    assert is_queued(world, "sales1")
    world.set_status("alice", "Available", 50)
    assert offered_at(world, "alice", "sales1") == world.iso(50)


MIXED_ANY: dict[str, Any] = {
    **MIXED_CHANNELS,
    "routing_profiles": [
        {**MIXED_CHANNELS["routing_profiles"][0], "cross_channel": {"CHAT": "ROUTE_ANY_CHANNEL"}}
    ],
}


def test_a_higher_priority_contact_the_agent_cannot_take_holds_nothing_back() -> None:
    world = World(MIXED_ANY)
    world.available("alice", 0)
    world.inbound("chat1", 1, channel="CHAT", queue="Chats")
    world.inbound("chat2", 1, channel="CHAT", queue="Chats")
    world.accept("alice", "chat1", 2)
    world.accept("alice", "chat2", 2)  # both chat slots taken
    world.inbound("chat3", 5, channel="CHAT", queue="Chats")  # priority 1, but not for alice now
    world.inbound("call1", 6, queue="Calls")  # priority 2
    assert world.slot_state("alice", "call1") is ContactState.CONNECTING
    assert is_queued(world, "chat3")


def test_each_contact_goes_to_an_agent_for_whom_it_is_eligible() -> None:
    world = World(MIXED_CHANNELS)
    world.available("bob", 0)
    world.inbound("chat1", 1, channel="CHAT", queue="Chats")  # bob: chats only from now on
    world.accept("bob", "chat1", 2)
    world.available("alice", 3)
    world.inbound("call1", 10, queue="Calls")  # bob cannot take it (busy on chat): alice
    assert world.slot_state("alice", "call1") is ContactState.CONNECTING
    world.inbound("chat2", 11, channel="CHAT", queue="Chats")  # alice is busy on voice: bob
    assert world.slot_state("bob", "chat2") is ContactState.CONNECTING


def test_a_replayed_router_keeps_only_live_index_entries_and_routes_the_same() -> None:
    world = World()
    world.login("alice")
    world.login("bob")
    for second in range(1, 200):  # many status changes: every one leaves a stale heap entry
        world.set_status("alice", "Break" if second % 2 else "Available", second)
        world.set_status("bob", "Available" if second % 2 else "Break", second + 0.5)
    world.set_status("alice", "Available", 299)
    world.inbound("c1", 300)  # offered at once to bob, idle since 199.5
    replayed = Engine(clock=world.engine.clock, ids=world.engine.ids)
    replayed.replay(world.engine.log.read())
    router = replayed.state.router
    live_agents = sum(len(heap) for heap in router.agent_heaps.values())
    assert live_agents <= len(replayed.state.agents), "stale agent entries were dropped"
    # The next routing decision is the same in both engines.
    for engine in (world.engine, replayed):
        engine.execute(
            cmd.StartInboundContact(
                contact_id=ContactId("c2"), channel=Channel.VOICE, queue_id=world.queue()
            ),
            at=world.ms(301),
        )

    def holding(engine: Engine) -> dict[str, list[str]]:
        return {a.username: sorted(a.slots) for a in engine.state.agents.values()}

    assert holding(world.engine) == holding(replayed)
    assert holding(replayed) == {"alice": ["c2"], "bob": ["c1"]}
