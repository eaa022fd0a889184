"""Real-time metrics under random runs: the incremental projection always equals a recount.

After every step of a random run (logins, statuses, contacts offered, accepted, missed, rejected,
held, ended and cleared, dial-outs, hang-ups, profile changes, renames and the clock running), the
projection's counters equal a from-scratch count over the engine's state written straight from
reference §5.1, and each agent's activity start equals the time its activity last changed in the
agent event stream.
"""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from switchboard.domain import commands as cmd
from switchboard.domain.activity import Activity
from switchboard.domain.errors import DomainError
from switchboard.domain.model import (
    FAILED_STATES,
    Agent,
    AgentId,
    Channel,
    ContactId,
    ContactPhase,
    ContactState,
    CrossChannelBehavior,
    Millis,
    StatusId,
    StatusType,
)
from switchboard.domain.routing import routable_channels
from switchboard.domain.state import State
from switchboard.engine.engine import AgentStreamRecord, StreamEventType
from switchboard.engine.metrics import (
    AgentCounts,
    ChannelMetrics,
    QueueChannelMetrics,
    RealTimeMetrics,
    RealTimeProjection,
)
from tests.support import START, World

AGENTS = ("alice", "bob", "carol", "dave")
STATUSES = ("Available", "Break", "Training", "Offline")
CONTACT_IDS = ("c1", "c2", "c3", "o1")


def scenario(acw_on_status_change: str, missed_auto_clear_s: int | None) -> dict[str, Any]:
    instance: dict[str, Any] = {
        "account": "111122223333",
        "region": "us-east-1",
        "id": "metrics-property",
        "offer_timeout_s": 5,
        "heartbeat_s": 20,
        "acw_on_status_change": acw_on_status_change,
    }
    if missed_auto_clear_s is not None:
        instance["missed_auto_clear_s"] = missed_auto_clear_s
    return {
        "start": START,
        "instance": instance,
        "statuses": [{"name": "Break"}, {"name": "Training"}],
        "queues": [
            {"name": "Sales", "channels": ["VOICE", "CHAT"]},
            {"name": "Support", "channels": ["VOICE", "CHAT"]},
        ],
        "routing_profiles": [
            {
                "name": "Blended",
                "concurrency": {"VOICE": 1, "CHAT": 3},
                "cross_channel": {"CHAT": "ROUTE_ANY_CHANNEL"},
                "queues": [
                    {"queue": "Sales", "channel": "VOICE"},
                    {"queue": "Sales", "channel": "CHAT"},
                    {"queue": "Support", "channel": "CHAT"},
                ],
            },
            {
                "name": "VoiceOnly",
                "concurrency": {"VOICE": 1},
                "queues": [
                    {"queue": "Support", "channel": "VOICE", "priority": 1},
                    {"queue": "Sales", "channel": "VOICE", "priority": 2, "delay_s": 10},
                ],
            },
            {
                "name": "ChatDesk",
                "concurrency": {"VOICE": 1, "CHAT": 2},
                "queues": [
                    {"queue": "Sales", "channel": "CHAT"},
                    {"queue": "Support", "channel": "CHAT"},
                ],
            },
        ],
        "agents": [
            {
                "username": "alice",
                "routing_profile": "Blended",
                "acw_timeout_s": {"VOICE": 10},
                "auto_accept": {"CHAT": True},
            },
            {"username": "bob", "routing_profile": "Blended"},
            {
                "username": "carol",
                "routing_profile": "VoiceOnly",
                "acw_timeout_s": {"VOICE": 6},
                "auto_accept": {"VOICE": True},
            },
            {"username": "dave", "routing_profile": "ChatDesk"},
        ],
    }


# --- the recount: reference §5.1 written out again, over the whole state -------------------------


def _type(state: State, agent: Agent) -> StatusType:
    return state.statuses[agent.status_id].type


def _free(state: State, agent: Agent) -> dict[Channel, int]:
    if _type(state, agent) is not StatusType.ROUTABLE:
        return {}
    profile = state.profiles[agent.profile_id]
    held_channels = {slot.contact.channel for slot in agent.slots.values()}
    blocked_elsewhere = any(
        profile.cross_channel.get(held, CrossChannelBehavior.ROUTE_CURRENT_CHANNEL_ONLY)
        is not CrossChannelBehavior.ROUTE_ANY_CHANNEL
        for held in held_channels
    )
    free = {}
    for channel, maximum in profile.concurrency.items():
        if maximum == 0:
            continue
        held = sum(1 for slot in agent.slots.values() if slot.contact.channel is channel)
        if held_channels - {channel} and blocked_elsewhere:
            free[channel] = 0
        else:
            free[channel] = max(0, maximum - held)
    return free


def _active(agent: Agent, channel: Channel | None) -> int:
    return sum(
        1
        for slot in agent.slots.values()
        if (channel is None or slot.contact.channel is channel)
        and (
            slot.state
            in (
                ContactState.CONNECTED,
                ContactState.CONNECTED_ONHOLD,
                ContactState.PAUSED,
                ContactState.ENDED,
            )
            or (slot.state is ContactState.CONNECTING and slot.is_outbound)
        )
    )


def recount(state: State, agents: list[Agent], channel: Channel | None) -> AgentCounts:
    def acw(agent: Agent) -> int:
        return sum(
            1
            for slot in agent.slots.values()
            if slot.state is ContactState.ENDED
            and (channel is None or slot.contact.channel is channel)
        )

    def free(agent: Agent) -> int:
        slots = _free(state, agent)
        if channel is None:
            return max(slots.values(), default=0)
        return slots.get(channel, 0)

    return AgentCounts(
        online=sum(_type(state, a) is not StatusType.OFFLINE for a in agents),
        available=sum(
            _type(state, a) is StatusType.ROUTABLE and not a.slots and a.next_status_id is None
            for a in agents
        ),
        staffed=sum(_type(state, a) is StatusType.ROUTABLE for a in agents),
        on_contact=sum(_active(a, None) > 0 for a in agents),
        non_productive=sum(_type(state, a) is StatusType.CUSTOM for a in agents),
        after_contact_work=sum(acw(a) for a in agents),
        error=sum(any(s.state in FAILED_STATES for s in a.slots.values()) for a in agents),
        slots_available=sum(free(a) for a in agents),
        slots_active=sum(_active(a, channel) for a in agents),
    )


def recount_all(state: State, now: Millis) -> RealTimeMetrics:
    agents = list(state.agents.values())
    queued = [c for c in state.contacts.values() if c.phase is ContactPhase.QUEUED]

    def age(contacts: list[Any]) -> Millis | None:
        return now - min(c.enqueue_at for c in contacts) if contacts else None

    queues = []
    for queue in state.queues.values():
        for channel in queue.channels:
            serving = [
                a
                for a in agents
                if any(
                    line.queue_id == queue.id and line.channel is channel
                    for line in state.profiles[a.profile_id].queues
                )
            ]
            waiting = [c for c in queued if c.queue_id == queue.id and c.channel is channel]
            assert [c.id for c in state.router.queued_contacts(queue.id, channel)] == sorted(
                (c.id for c in waiting),
                key=lambda i: (state.contacts[i].enqueue_at, state.contacts[i].arrival_seq),
            ), "the router's queue and the contacts' phases disagree"
            queues.append(
                QueueChannelMetrics(
                    queue_id=queue.id,
                    queue_name=queue.name,
                    channel=channel,
                    agents=recount(state, serving, channel),
                    contacts_in_queue=len(waiting),
                    oldest_contact_age_ms=age(waiting),
                )
            )
    channels = []
    for channel in Channel:
        counts = recount(state, agents, channel)
        waiting = [c for c in queued if c.channel is channel]
        channels.append(
            ChannelMetrics(
                channel=channel,
                slots_available=counts.slots_available,
                slots_active=counts.slots_active,
                after_contact_work=counts.after_contact_work,
                contacts_in_queue=len(waiting),
                oldest_contact_age_ms=age(waiting),
            )
        )
    return RealTimeMetrics(
        at=now,
        agents=recount(state, agents, None),
        contacts_in_queue=len(queued),
        oldest_contact_age_ms=age(queued),
        channels=tuple(channels),
        queues=tuple(queues),
        activities=(),
    )


# --- activity changes, read from the agent event stream ------------------------------------------

_STATUS_ACTIVITIES = (Activity.AVAILABLE, Activity.OFFLINE, Activity.CUSTOM)


class ActivityChanges:
    """When each agent's activity last changed, from the snapshots the stream published."""

    def __init__(self, world: World) -> None:
        state = world.engine.state
        offline: tuple[Activity, StatusId | None] = (Activity.OFFLINE, state.offline_id)
        self.last = dict.fromkeys(state.agents, offline)
        self.since: dict[AgentId, Millis] = dict.fromkeys(state.agents, world.start)
        world.engine.on_agent_event(self.record)

    def record(self, record: AgentStreamRecord) -> None:
        if record.event_type is not StreamEventType.STATE_CHANGE or record.current is None:
            return
        activity = record.current.activity
        key = (activity, record.current.status.id if activity in _STATUS_ACTIVITIES else None)
        if key != self.last[record.agent_id]:
            self.last[record.agent_id] = key
            self.since[record.agent_id] = record.at


# --- random runs ---------------------------------------------------------------------------------

VERBS = (
    "login",
    "logout",
    "set_status",
    "set_status",
    "inbound",
    "inbound",
    "accept",
    "accept",
    "reject",
    "hold",
    "resume",
    "end",
    "end",
    "clear",
    "clear",
    "dial",
    "dial_result",
    "hangup",
    "wait",
    "wait",
    "rename",
    "profile",
)
AGENT_VERBS = {
    "accept": cmd.AcceptContact,
    "reject": cmd.RejectContact,
    "hold": cmd.HoldContact,
    "resume": cmd.ResumeContact,
    "end": cmd.EndContact,
    "clear": cmd.ClearContact,
}


class Run:
    def __init__(self, world: World, data: st.DataObject) -> None:
        self.world = world
        self.data = data
        self.now: Millis = world.start
        self.inbound = 0
        self.dialled = 0
        self.renames = 0

    def draw_agent(self) -> AgentId:
        return self.world.agent(self.data.draw(st.sampled_from(AGENTS)))

    def aim(self, agent_id: AgentId) -> ContactId:
        held = sorted(self.world.engine.state.agents[agent_id].slots)
        return ContactId(self.data.draw(st.sampled_from(held or list(CONTACT_IDS))))

    def aim_contact(self, phases: set[ContactPhase]) -> ContactId:
        found = sorted(
            cid for cid, c in self.world.engine.state.contacts.items() if c.phase in phases
        )
        return ContactId(self.data.draw(st.sampled_from(found or list(CONTACT_IDS))))

    def command(self, verb: str) -> cmd.Command | None:
        world, data = self.world, self.data
        if verb == "login":
            return cmd.Login(agent_id=self.draw_agent())
        if verb == "logout":
            forced = data.draw(st.booleans())
            return cmd.Logout(
                agent_id=self.draw_agent(),
                forced=forced,
                actor="supervisor" if forced else "agent",
            )
        if verb == "set_status":
            status = world.status(data.draw(st.sampled_from(STATUSES)))
            return cmd.SetStatus(agent_id=self.draw_agent(), status_id=status)
        if verb == "inbound":
            self.inbound += 1
            return cmd.StartInboundContact(
                contact_id=ContactId(f"c{self.inbound}"),
                channel=Channel(data.draw(st.sampled_from(["VOICE", "CHAT"]))),
                queue_id=world.queue(data.draw(st.sampled_from(["Sales", "Support"]))),
            )
        if verb in AGENT_VERBS:
            agent_id = self.draw_agent()
            return AGENT_VERBS[verb](agent_id=agent_id, contact_id=self.aim(agent_id))
        if verb == "dial":
            self.dialled += 1
            return cmd.DialOut(agent_id=self.draw_agent(), contact_id=ContactId(f"o{self.dialled}"))
        if verb == "dial_result":
            contact_id = self.aim_contact({ContactPhase.DIALING})
            if data.draw(st.booleans()):
                return cmd.CustomerAnswered(contact_id=contact_id)
            return cmd.DialFailed(contact_id=contact_id)
        if verb == "hangup":
            live = {ContactPhase.QUEUED, ContactPhase.OFFERED, ContactPhase.CONNECTED}
            return cmd.CustomerHangup(contact_id=self.aim_contact(live))
        if verb == "rename":
            self.renames += 1
            status = data.draw(st.sampled_from(["Break", "Training"]))
            return cmd.UpdateAgentStatus(
                status_id=world.status(status), name=f"{status} {self.renames}"
            )
        if verb == "profile":
            profile = data.draw(st.sampled_from(["blended", "voiceonly", "chatdesk"]))
            return cmd.UpdateUserRoutingProfile(
                agent_id=self.draw_agent(), profile_id=world.setup.profiles[profile]
            )
        assert verb == "wait"
        self.now += data.draw(st.sampled_from([1, 999, 1_000, 3_000, 5_000, 6_000, 11_000]))
        world.engine.fire_due(self.now)
        return None

    def step(self) -> None:
        command = self.command(self.data.draw(st.sampled_from(VERBS)))
        if command is not None:
            with contextlib.suppress(DomainError):
                self.world.engine.execute(command, at=self.now)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    acw_on_status_change=st.sampled_from(["clear", "keep"]),
    missed_auto_clear_s=st.sampled_from([None, 7]),
    steps=st.integers(min_value=1, max_value=60),
)
def test_incremental_metrics_equal_a_recount_after_every_step(
    data: st.DataObject, acw_on_status_change: str, missed_auto_clear_s: int | None, steps: int
) -> None:
    world = World(scenario(acw_on_status_change, missed_auto_clear_s))
    projection = RealTimeProjection.attach(world.engine)
    changes = ActivityChanges(world)
    run = Run(world, data)
    state = world.engine.state
    for _ in range(steps):
        run.step()
        now = run.now
        live = projection.snapshot(now)
        expected = recount_all(state, now)
        assert live.agents == expected.agents
        assert live.contacts_in_queue == expected.contacts_in_queue
        assert live.oldest_contact_age_ms == expected.oldest_contact_age_ms
        assert live.channels == expected.channels
        assert live.queues == expected.queues
        for row in live.activities:
            agent = state.agents[row.agent_id]
            assert row.activity is changes.last[row.agent_id][0]
            assert row.since == changes.since[row.agent_id], f"{row.username}'s activity start"
            assert row.duration_ms == now - row.since
            assert row.status_name == state.statuses[agent.status_id].name
        for agent in state.agents.values():
            free = _free(state, agent)
            if agent.next_status_id is None and not any(
                s.state in FAILED_STATES for s in agent.slots.values()
            ):
                profile = state.profiles[agent.profile_id]
                routable = routable_channels(agent, profile, _type(state, agent))
                assert {ch for ch, n in free.items() if n > 0} == routable, (
                    f"{agent.username}: free slots and routability disagree"
                )
    rebuilt = RealTimeProjection(state).snapshot(run.now)
    final = projection.snapshot(run.now)
    assert (rebuilt.agents, rebuilt.queues, rebuilt.channels) == (
        final.agents,
        final.queues,
        final.channels,
    ), "a projection built from the state counts what the incremental one counted"
    assert [r.activity_name for r in rebuilt.activities] == [
        r.activity_name for r in final.activities
    ]
