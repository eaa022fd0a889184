"""Real-time metrics (DESIGN §6, reference §5.1): Amazon Connect's definitions, one by one."""

from __future__ import annotations

from typing import Any

from switchboard.domain import commands as cmd
from switchboard.domain.activity import Activity
from switchboard.domain.model import Channel
from switchboard.engine.metrics import (
    AgentActivityRow,
    AgentCounts,
    ChannelMetrics,
    QueueChannelMetrics,
    RealTimeMetrics,
    RealTimeProjection,
)
from tests.support import START, World

SCENARIO: dict[str, Any] = {
    "start": START,
    "instance": {"account": "111122223333", "region": "us-east-1", "id": "metrics"},
    "statuses": [{"name": "Break"}, {"name": "Training"}],
    "queues": [
        {"name": "Sales", "channels": ["VOICE", "CHAT"]},
        {"name": "Support", "channels": ["VOICE", "CHAT"]},
    ],
    "routing_profiles": [
        {
            "name": "Blended",
            "concurrency": {"VOICE": 1, "CHAT": 3},
            "queues": [
                {"queue": "Sales", "channel": "VOICE"},
                {"queue": "Sales", "channel": "CHAT"},
            ],
        },
        {
            "name": "AnyChannel",
            "concurrency": {"VOICE": 1, "CHAT": 3},
            "cross_channel": {"CHAT": "ROUTE_ANY_CHANNEL"},
            "queues": [{"queue": "Support", "channel": "CHAT"}],
        },
        {
            "name": "OneChat",
            "concurrency": {"CHAT": 1},
            "queues": [{"queue": "Sales", "channel": "CHAT"}],
        },
        {
            "name": "SupportVoice",
            "concurrency": {"VOICE": 1},
            "queues": [{"queue": "Support", "channel": "VOICE"}],
        },
    ],
    "agents": [
        {"username": "alice", "routing_profile": "Blended"},
        {"username": "bob", "routing_profile": "Blended"},
        {"username": "carol", "routing_profile": "SupportVoice"},
        {"username": "dave", "routing_profile": "AnyChannel"},
    ],
}


class Board:
    """A world with a real-time projection attached from the start."""

    def __init__(self) -> None:
        self.world = World(SCENARIO)
        self.projection = RealTimeProjection.attach(self.world.engine)

    def at(self, seconds: float) -> RealTimeMetrics:
        return self.projection.snapshot(self.world.ms(seconds))


def queue_row(metrics: RealTimeMetrics, queue: str, channel: str) -> QueueChannelMetrics:
    (row,) = (r for r in metrics.queues if r.queue_name == queue and r.channel is Channel(channel))
    return row


def channel_row(metrics: RealTimeMetrics, channel: str) -> ChannelMetrics:
    (row,) = (r for r in metrics.channels if r.channel is Channel(channel))
    return row


def activity(metrics: RealTimeMetrics, username: str) -> AgentActivityRow:
    (row,) = (r for r in metrics.activities if r.username == username)
    return row


def test_offline_agents_are_counted_nowhere() -> None:
    board = Board()
    metrics = board.at(0)
    assert metrics.agents == AgentCounts()
    assert {row.activity_name for row in metrics.activities} == {"Offline"}
    assert all(row.agents == AgentCounts() for row in metrics.queues)


def test_an_idle_available_agent_is_online_available_and_staffed() -> None:
    board = Board()
    board.world.available("alice", 0)
    metrics = board.at(1)
    assert metrics.agents == AgentCounts(online=1, available=1, staffed=1, slots_available=3), (
        "unfiltered, '1 voice or 3 chats' shows 3 free slots"
    )
    assert channel_row(metrics, "VOICE").slots_available == 1
    assert channel_row(metrics, "CHAT").slots_available == 3
    sales_voice = queue_row(metrics, "Sales", "VOICE").agents
    assert (sales_voice.online, sales_voice.available, sales_voice.slots_available) == (1, 1, 1)
    assert queue_row(metrics, "Sales", "CHAT").agents.slots_available == 3
    assert activity(metrics, "alice").activity_name == "Available"


def test_a_break_agent_on_an_outbound_call_is_online_npt_and_on_contact_not_staffed() -> None:
    board = Board()
    world = board.world
    world.login("alice", 0)
    world.set_status("alice", "Break", 1)
    world.dial("alice", "o1", 2)
    ringing = board.at(3)
    assert ringing.agents == AgentCounts(
        online=1, non_productive=1, on_contact=1, slots_active=1
    ), "an outbound call ringing is On contact and an active slot; custom-status slots uncounted"
    assert activity(ringing, "alice").activity_name == "On contact"
    world.answered("o1", 4)
    talking = board.at(5)
    assert talking.agents == ringing.agents
    assert talking.agents.staffed == 0
    assert talking.agents.available == 0


def test_an_agent_with_a_next_status_pending_is_staffed_not_npt() -> None:
    board = Board()
    world = board.world
    world.available("alice", 0)
    world.inbound("c1", 1)
    world.accept("alice", "c1", 2)
    world.set_status("alice", "Break", 3)
    metrics = board.at(4)
    assert world.engine.state.agents[world.agent("alice")].next_status_id is not None
    assert metrics.agents == AgentCounts(online=1, staffed=1, on_contact=1, slots_active=1)
    assert activity(metrics, "alice").status_name == "Available"
    assert activity(metrics, "alice").activity is Activity.ON_CONTACT


def test_after_contact_work_counts_contacts_two_chats_in_acw_make_two() -> None:
    board = Board()
    world = board.world
    world.available("alice", 0)
    world.inbound("c1", 1, channel="CHAT")
    world.inbound("c2", 1, channel="CHAT")
    world.accept("alice", "c1", 2)
    world.accept("alice", "c2", 2)
    world.end("alice", "c1", 10)
    world.end("alice", "c2", 11)
    metrics = board.at(12)
    assert metrics.agents.after_contact_work == 2, "ACW is a count of contacts, not agents"
    assert metrics.agents.on_contact == 1
    assert metrics.agents.slots_active == 2
    assert metrics.agents.slots_available == 1, "one chat slot left; voice is cross-channel busy"
    assert channel_row(metrics, "CHAT").after_contact_work == 2
    assert channel_row(metrics, "VOICE").after_contact_work == 0
    assert queue_row(metrics, "Sales", "CHAT").agents.after_contact_work == 2
    assert queue_row(metrics, "Sales", "VOICE").agents.after_contact_work == 0
    assert activity(metrics, "alice").activity_name == "After contact work"
    world.clear("alice", "c1", 13)
    assert board.at(13).agents.after_contact_work == 1


def test_a_missed_offer_is_error_until_cleared_and_the_contact_keeps_its_age() -> None:
    board = Board()
    world = board.world
    world.available("alice", 0)
    world.inbound("c1", 5)
    world.run_until(25)  # the 20 s offer timeout passes
    metrics = board.at(30)
    assert metrics.agents == AgentCounts(online=1, staffed=1, error=1, slots_available=0)
    assert activity(metrics, "alice").activity_name == "Missed"
    assert activity(metrics, "alice").since == world.ms(25)
    assert metrics.contacts_in_queue == 1
    assert metrics.oldest_contact_age_ms == 25_000, "a missed contact keeps its enqueue time"
    assert queue_row(metrics, "Sales", "VOICE").contacts_in_queue == 1
    world.clear("alice", "c1", 31)
    after = board.at(31)
    assert after.agents.error == 0
    assert after.agents.available == 0, "the contact is offered again at once: Incoming"
    assert activity(after, "alice").activity_name == "Incoming"
    assert after.contacts_in_queue == 0


def test_a_rejected_chat_is_an_error() -> None:
    board = Board()
    world = board.world
    world.available("alice", 0)
    world.inbound("c1", 1, channel="CHAT")
    world.reject("alice", "c1", 2)
    metrics = board.at(3)
    assert metrics.agents.error == 1
    assert activity(metrics, "alice").activity_name == "Rejected"


def test_an_inbound_offer_ringing_holds_a_slot_but_is_not_on_contact() -> None:
    board = Board()
    world = board.world
    world.available("alice", 0)
    world.inbound("c1", 1)
    metrics = board.at(2)
    assert metrics.agents == AgentCounts(online=1, staffed=1)
    assert activity(metrics, "alice").activity_name == "Incoming"


def test_one_voice_or_three_chats_with_one_chat_active_gives_two_available_slots() -> None:
    board = Board()
    world = board.world
    world.available("alice", 0)
    world.inbound("c1", 1, channel="CHAT")
    world.accept("alice", "c1", 2)
    metrics = board.at(3)
    assert channel_row(metrics, "VOICE").slots_available == 0
    assert channel_row(metrics, "CHAT").slots_available == 2
    assert metrics.agents.slots_available == 2


def test_route_any_channel_keeps_the_voice_slot_available_while_chatting() -> None:
    board = Board()
    world = board.world
    world.available("dave", 0)
    world.inbound("c1", 1, channel="CHAT", queue="Support")
    world.accept("dave", "c1", 2)
    metrics = board.at(3)
    assert channel_row(metrics, "VOICE").slots_available == 1
    assert channel_row(metrics, "CHAT").slots_available == 2
    assert queue_row(metrics, "Support", "CHAT").agents.slots_available == 2
    assert queue_row(metrics, "Support", "VOICE").agents == AgentCounts(), (
        "dave takes no Support calls"
    )


def test_free_slots_never_go_below_zero_after_a_smaller_profile() -> None:
    board = Board()
    world = board.world
    world.available("alice", 0)
    world.inbound("c1", 1, channel="CHAT")
    world.inbound("c2", 1, channel="CHAT")
    world.accept("alice", "c1", 2)
    world.accept("alice", "c2", 2)
    world.do(
        cmd.UpdateUserRoutingProfile(
            agent_id=world.agent("alice"), profile_id=world.setup.profiles["onechat"]
        ),
        3,
    )
    metrics = board.at(4)
    assert channel_row(metrics, "CHAT").slots_available == 0
    assert channel_row(metrics, "CHAT").slots_active == 2
    assert metrics.agents.slots_available == 0


def test_contacts_in_queue_and_oldest_age_per_queue_and_channel() -> None:
    board = Board()
    world = board.world
    world.inbound("c1", 0)
    world.inbound("c2", 3, channel="CHAT")
    world.inbound("c3", 5)
    world.inbound("c4", 6, queue="Support")
    metrics = board.at(10)
    assert metrics.contacts_in_queue == 4
    assert metrics.oldest_contact_age_ms == 10_000
    assert queue_row(metrics, "Sales", "VOICE").contacts_in_queue == 2
    assert queue_row(metrics, "Sales", "VOICE").oldest_contact_age_ms == 10_000
    assert queue_row(metrics, "Sales", "CHAT").oldest_contact_age_ms == 7_000
    assert queue_row(metrics, "Support", "VOICE").oldest_contact_age_ms == 4_000
    assert queue_row(metrics, "Support", "CHAT").contacts_in_queue == 0
    assert queue_row(metrics, "Support", "CHAT").oldest_contact_age_ms is None
    assert channel_row(metrics, "VOICE").contacts_in_queue == 3
    assert channel_row(metrics, "CHAT").oldest_contact_age_ms == 7_000
    world.hangup("c1", 11)
    world.available("alice", 12)  # takes c2, the oldest Sales contact left (a chat)
    after = board.at(12)
    assert world.slot_state("alice", "c2") is not None
    assert after.contacts_in_queue == 2
    assert queue_row(after, "Sales", "CHAT").contacts_in_queue == 0
    assert queue_row(after, "Sales", "VOICE").contacts_in_queue == 1
    assert queue_row(after, "Sales", "VOICE").oldest_contact_age_ms == 7_000
    assert after.oldest_contact_age_ms == 7_000


def test_an_agent_counts_only_for_the_queues_and_channels_its_profile_serves() -> None:
    board = Board()
    world = board.world
    world.available("carol", 0)
    metrics = board.at(1)
    assert queue_row(metrics, "Support", "VOICE").agents.available == 1
    assert queue_row(metrics, "Support", "CHAT").agents == AgentCounts()
    assert queue_row(metrics, "Sales", "VOICE").agents == AgentCounts()
    world.do(
        cmd.UpdateUserRoutingProfile(
            agent_id=world.agent("carol"), profile_id=world.setup.profiles["blended"]
        ),
        2,
    )
    moved = board.at(3)
    assert queue_row(moved, "Support", "VOICE").agents == AgentCounts()
    assert queue_row(moved, "Sales", "VOICE").agents.available == 1
    assert queue_row(moved, "Sales", "CHAT").agents.slots_available == 3


def test_activity_duration_runs_from_the_last_change_of_activity() -> None:
    board = Board()
    world = board.world
    world.login("alice", 0)
    world.set_status("alice", "Break", 10)
    assert activity(board.at(40), "alice").duration_ms == 30_000
    world.do(cmd.UpdateAgentStatus(status_id=world.status("Break"), name="Coffee"), 50)
    renamed = activity(board.at(60), "alice")
    assert renamed.activity_name == "Coffee"
    assert renamed.since == world.ms(10), "renaming the status is not a change of activity"
    world.set_status("alice", "Training", 70)
    assert activity(board.at(75), "alice").since == world.ms(70), "another custom status is"
    world.set_status("alice", "Available", 80)
    world.inbound("c1", 90)
    incoming = activity(board.at(95), "alice")
    assert (incoming.activity_name, incoming.duration_ms) == ("Incoming", 5_000)


def test_a_projection_attached_late_counts_what_one_attached_early_counted() -> None:
    board = Board()
    world = board.world
    world.available("alice", 0)
    world.login("carol", 0)
    world.set_status("carol", "Break", 1)
    world.dial("carol", "o1", 2)
    world.inbound("c1", 3, channel="CHAT")
    world.inbound("c2", 4)
    world.inbound("c3", 5)
    world.inbound("c4", 6)
    world.accept("alice", "c1", 7)
    early = board.at(8)
    late = RealTimeProjection(world.engine.state).snapshot(world.ms(8))
    assert late.agents == early.agents
    assert late.queues == early.queues
    assert late.channels == early.channels
    assert [a.activity_name for a in late.activities] == [a.activity_name for a in early.activities]


def test_a_scope_of_several_lines_counts_each_agent_once_and_equals_a_single_line_row() -> None:
    board = Board()
    world = board.world
    world.available("alice", 0)
    world.available("bob", 0.5)
    world.available("carol", 0.5)
    world.inbound("c1", 1)  # a Sales call to alice (idle longest)
    world.accept("alice", "c1", 2)
    world.inbound("w1", 3, channel="CHAT", queue="Support")  # dave is offline: it waits
    now = world.ms(4)
    sales, support = world.queue("Sales"), world.queue("Support")
    voice, chat = Channel.VOICE, Channel.CHAT

    single = board.projection.scope(now, [(sales, voice)])
    row = queue_row(board.at(4), "Sales", "VOICE")
    assert single.agents == row.agents
    assert (single.contacts_in_queue, single.oldest_contact_age_ms) == (0, None)

    both = board.projection.scope(now, [(sales, voice), (sales, chat)]).agents
    assert (both.online, both.staffed, both.available, both.on_contact) == (2, 2, 1, 1)
    # Over two channels an agent offers the most free slots of any one: bob 3 chats, alice none.
    assert (both.slots_available, both.slots_active) == (3, 1)

    everything = board.projection.scope(
        now, [(sales, voice), (sales, chat), (support, voice), (support, chat)]
    )
    assert everything.agents.online == 3  # carol serves Support voice
    assert everything.contacts_in_queue == 1
    assert everything.oldest_contact_age_ms == world.ms(4) - world.ms(3)
