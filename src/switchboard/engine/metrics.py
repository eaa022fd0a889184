"""Real-time metrics: an engine projection of incremental counters, by Amazon Connect's definitions.

Definitions are reference/amazon-connect.md §5.1 (GetCurrentMetricData names):

- AGENTS_ONLINE: status type is not OFFLINE (Available or a custom status).
- AGENTS_AVAILABLE: could take an inbound contact now: status ROUTABLE, no next status pending and
  no contact at all (an ongoing, ACW, missed, rejected or error contact each rule it out).
- AGENTS_STAFFED: status ROUTABLE, next status pending or not (DESIGN §3.9: staffed, not NPT).
- AGENTS_ON_CONTACT: at least one contact connected, on hold, paused, in ACW or ringing outbound.
- AGENTS_NON_PRODUCTIVE: status type CUSTOM, whatever the contacts (NPT and On contact at once).
- AGENTS_AFTER_CONTACT_WORK: a count of *contacts* in ACW (ENDED), despite the name.
- AGENTS_ERROR: at least one contact MISSED, REJECTED or ERROR waiting to be cleared.
- SLOTS_AVAILABLE: free slots of ROUTABLE agents on the channels their profile has; a channel
  the agent may not be offered because it is busy on another (cross-channel rule) has none.
  Custom-status and Offline agents' slots are not counted. Unfiltered (instance total), an agent
  counts the most free slots of any one channel: "1 voice or 3 chats" idle is 3, not 4.
- SLOTS_ACTIVE: slots whose contact is connected, on hold, paused, in ACW or ringing outbound.
- CONTACTS_IN_QUEUE, OLDEST_CONTACT_AGE: queued contacts (a missed contact is back in its queue
  with its original enqueue time) and the age of the oldest, in milliseconds.
- Agent Activity (`domain.activity`) and its duration: time since the activity last changed
  (a change of custom status is a change; renaming the status is not).

Per queue and channel, an agent counts when its routing profile serves that queue on that channel;
the agent counts are whole-agent facts, while ACW contacts and slots are those of that channel.

The projection keeps each agent's contribution and, on every domain event, replaces the
contribution of the agent it names and re-files the contact it names: O(slots + profile lines)
per event; `snapshot(now)` is O(queues + agents).
"""

from __future__ import annotations

import heapq
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from switchboard.domain import events as ev
from switchboard.domain.activity import STATUS_ACTIVITIES, Activity, activity_name, activity_of
from switchboard.domain.model import (
    ACTIVE_STATES,
    CHANNELS,
    FAILED_STATES,
    Agent,
    AgentId,
    Channel,
    ContactId,
    ContactPhase,
    ContactState,
    CrossChannelBehavior,
    Millis,
    QueueId,
    RoutingProfile,
    Slot,
    StatusId,
    StatusType,
)
from switchboard.domain.state import State

if TYPE_CHECKING:
    from switchboard.engine.engine import Engine

__all__ = [
    "AgentActivityRow",
    "AgentCounts",
    "ChannelMetrics",
    "QueueChannelMetrics",
    "RealTimeMetrics",
    "RealTimeProjection",
    "ScopeMetrics",
    "free_slots",
    "is_active_slot",
]


# --- results -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentCounts:
    """The agent metrics of one scope (the instance, or one queue on one channel)."""

    online: int = 0
    available: int = 0
    staffed: int = 0
    on_contact: int = 0
    non_productive: int = 0
    after_contact_work: int = 0
    """Contacts in ACW, not agents (Amazon's AGENTS_AFTER_CONTACT_WORK)."""
    error: int = 0
    slots_available: int = 0
    slots_active: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelMetrics:
    """Instance-wide figures of one channel."""

    channel: Channel
    slots_available: int
    slots_active: int
    after_contact_work: int
    contacts_in_queue: int
    oldest_contact_age_ms: Millis | None


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueChannelMetrics:
    """One queue on one channel: its agents (by routing profile) and its waiting contacts."""

    queue_id: QueueId
    queue_name: str
    channel: Channel
    agents: AgentCounts
    contacts_in_queue: int
    oldest_contact_age_ms: Millis | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ScopeMetrics:
    """Several queue/channel lines taken together (GetCurrentMetricData's filters and groups).

    An agent counts once when its routing profile serves any of the lines; its ACW contacts and
    active slots are those of the scope's channels it serves; its free slots are those of that
    channel, or, over several channels, the most of any one (as the unfiltered total).
    """

    agents: AgentCounts
    contacts_in_queue: int
    oldest_contact_age_ms: Millis | None


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentActivityRow:
    """One agent's line of the real-time report."""

    agent_id: AgentId
    username: str
    status_name: str
    activity: Activity
    activity_name: str
    """What the report shows: the fixed activity, or the status's own name."""
    since: Millis
    duration_ms: Millis
    """Time in the current Agent Activity (the report's Duration column)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RealTimeMetrics:
    """Real-time metrics at one instant."""

    at: Millis
    agents: AgentCounts
    contacts_in_queue: int
    oldest_contact_age_ms: Millis | None
    channels: tuple[ChannelMetrics, ...]
    queues: tuple[QueueChannelMetrics, ...]
    """One row per queue and channel the queue takes, in the order the queues were created."""
    activities: tuple[AgentActivityRow, ...]
    """One row per agent, in the order the agents were created."""


# --- per-agent definitions (shared by the projection and its from-scratch form) ------------------


def is_active_slot(slot: Slot) -> bool:
    """Does this slot count in SLOTS_ACTIVE and make its agent On contact?"""
    state = slot.state
    return state in ACTIVE_STATES or (state is ContactState.CONNECTING and slot.is_outbound)


def free_slots(
    agent: Agent, profile: RoutingProfile, status_type: StatusType
) -> dict[Channel, int]:
    """SLOTS_AVAILABLE of one agent per channel its profile has (absent: not counted)."""
    if status_type is not StatusType.ROUTABLE:
        return {}
    held: dict[Channel, int] = {}
    for slot in agent.slots.values():
        channel = slot.contact.channel
        held[channel] = held.get(channel, 0) + 1
    any_channel = all(
        profile.cross_channel.get(channel) is CrossChannelBehavior.ROUTE_ANY_CHANNEL
        for channel in held
    )
    free: dict[Channel, int] = {}
    for channel, maximum in profile.concurrency.items():
        if maximum <= 0:
            continue
        if any_channel or held.keys() <= {channel}:
            free[channel] = max(0, maximum - held.get(channel, 0))
        else:
            free[channel] = 0
    return free


class _Part:
    """One agent's contribution to the counters, kept so that it can be taken back."""

    __slots__ = (
        "active",
        "activity",
        "acw",
        "available",
        "error",
        "free",
        "free_any",
        "lines",
        "non_productive",
        "on_contact",
        "online",
        "since",
        "staffed",
        "status_id",
    )

    def __init__(self, state: State, agent: Agent) -> None:
        status_type = state.statuses[agent.status_id].type
        profile = state.profiles[agent.profile_id]
        slots = agent.slots.values()
        self.status_id: StatusId = agent.status_id
        self.lines = _lines(profile)
        self.online = status_type is not StatusType.OFFLINE
        self.staffed = status_type is StatusType.ROUTABLE
        self.non_productive = status_type is StatusType.CUSTOM
        self.available = self.staffed and agent.next_status_id is None and not agent.slots
        self.acw: dict[Channel, int] = {}
        self.active: dict[Channel, int] = {}
        self.error = False
        for slot in slots:
            channel = slot.contact.channel
            if slot.state is ContactState.ENDED:
                self.acw[channel] = self.acw.get(channel, 0) + 1
            if is_active_slot(slot):
                self.active[channel] = self.active.get(channel, 0) + 1
            if slot.state in FAILED_STATES:
                self.error = True
        self.on_contact = bool(self.active)
        self.free = free_slots(agent, profile, status_type)
        self.free_any = max(self.free.values(), default=0)
        self.activity = activity_of(status_type, ((s.state, s.is_outbound) for s in slots))
        self.since: Millis = 0

    def same_activity(self, other: _Part) -> bool:
        if self.activity is not other.activity:
            return False
        return self.activity not in STATUS_ACTIVITIES or self.status_id == other.status_id


def _lines(profile: RoutingProfile) -> tuple[tuple[QueueId, Channel], ...]:
    return tuple(dict.fromkeys((line.queue_id, line.channel) for line in profile.queues))


class _Tally:
    """Mutable counters of one scope."""

    __slots__ = (
        "after_contact_work",
        "available",
        "error",
        "non_productive",
        "on_contact",
        "online",
        "slots_active",
        "slots_available",
        "staffed",
    )

    def __init__(self) -> None:
        self.online = self.available = self.staffed = self.on_contact = 0
        self.non_productive = self.after_contact_work = self.error = 0
        self.slots_available = self.slots_active = 0

    def add(self, part: _Part, channel: Channel | None, sign: int) -> None:
        self.online += sign * part.online
        self.available += sign * part.available
        self.staffed += sign * part.staffed
        self.on_contact += sign * part.on_contact
        self.non_productive += sign * part.non_productive
        self.error += sign * part.error
        if channel is None:
            self.after_contact_work += sign * sum(part.acw.values())
            self.slots_available += sign * part.free_any
            self.slots_active += sign * sum(part.active.values())
        else:
            self.after_contact_work += sign * part.acw.get(channel, 0)
            self.slots_available += sign * part.free.get(channel, 0)
            self.slots_active += sign * part.active.get(channel, 0)

    def freeze(self) -> AgentCounts:
        return AgentCounts(
            online=self.online,
            available=self.available,
            staffed=self.staffed,
            on_contact=self.on_contact,
            non_productive=self.non_productive,
            after_contact_work=self.after_contact_work,
            error=self.error,
            slots_available=self.slots_available,
            slots_active=self.slots_active,
        )


class _Waiting:
    """The contacts queued in one queue on one channel; the oldest found through a lazy heap."""

    __slots__ = ("heap", "members")

    def __init__(self) -> None:
        self.members: dict[ContactId, tuple[Millis, int]] = {}
        self.heap: list[tuple[Millis, int, ContactId]] = []

    def add(self, contact_id: ContactId, key: tuple[Millis, int]) -> None:
        self.members[contact_id] = key
        heapq.heappush(self.heap, (key[0], key[1], contact_id))

    def oldest(self) -> Millis | None:
        heap = self.heap
        while heap:
            enqueued, seq, contact_id = heap[0]
            if self.members.get(contact_id) == (enqueued, seq):
                return enqueued
            heapq.heappop(heap)
        return None


# --- the projection ------------------------------------------------------------------------------


class RealTimeProjection:
    """Real-time metrics kept current from domain events (`Engine.on_event`).

    Built from the state it is given (so it may join an engine at any time, after a replay too:
    then each activity is dated by the latest status or contact-state change the state knows),
    then fed each event right after the event is applied.
    """

    def __init__(self, state: State) -> None:
        self.state = state
        self._parts: dict[AgentId, _Part] = {}
        self._instance = _Tally()
        self._channels: dict[Channel, _Tally] = {}
        self._groups: dict[tuple[QueueId, Channel], _Tally] = {}
        self._waiting: dict[tuple[QueueId, Channel], _Waiting] = {}
        self._queued_in: dict[ContactId, tuple[QueueId, Channel]] = {}
        for agent in state.agents.values():
            part = _Part(state, agent)
            part.since = max(
                [agent.status_start, agent.idle_since]
                + [slot.state_start for slot in agent.slots.values()]
            )
            self._parts[agent.id] = part
            self._add(part, 1)
        for contact_id in state.contacts:
            self._refile(contact_id)

    @classmethod
    def attach(cls, engine: Engine) -> RealTimeProjection:
        """A projection of `engine`'s state, kept current by its events from now on."""
        projection = cls(engine.state)
        engine.on_event(projection.apply)
        return projection

    # --- feeding -------------------------------------------------------------------------------

    def apply(self, event: ev.Event) -> None:
        """Take one event that has just been applied to the state."""
        # Every event that changes an agent names it, and every one that moves a contact in or
        # out of a queue names the contact; configuration events change neither.
        agent_id: AgentId | None = getattr(event, "agent_id", None)
        if agent_id is not None:
            self._refresh(agent_id, event.at)
        contact_id: ContactId | None = getattr(event, "contact_id", None)
        if contact_id is not None:
            self._refile(contact_id)

    def _refresh(self, agent_id: AgentId, at: Millis) -> None:
        agent = self.state.agents[agent_id]
        part = _Part(self.state, agent)
        old = self._parts.get(agent_id)
        if old is not None:
            self._add(old, -1)
            part.since = old.since if part.same_activity(old) else at
        else:
            part.since = at
        self._parts[agent_id] = part
        self._add(part, 1)

    def _add(self, part: _Part, sign: int) -> None:
        self._instance.add(part, None, sign)
        for channel in part.acw.keys() | part.active.keys() | part.free.keys():
            tally = self._channels.get(channel)
            if tally is None:
                tally = self._channels[channel] = _Tally()
            tally.add(part, channel, sign)
        for line in part.lines:
            tally = self._groups.get(line)
            if tally is None:
                tally = self._groups[line] = _Tally()
            tally.add(part, line[1], sign)

    def _refile(self, contact_id: ContactId) -> None:
        old = self._queued_in.pop(contact_id, None)
        if old is not None:
            del self._waiting[old].members[contact_id]
        contact = self.state.contacts.get(contact_id)
        if contact is None or contact.phase is not ContactPhase.QUEUED:
            return
        assert contact.queue_id is not None
        assert contact.enqueue_at is not None
        key = (contact.queue_id, contact.channel)
        waiting = self._waiting.get(key)
        if waiting is None:
            waiting = self._waiting[key] = _Waiting()
        waiting.add(contact_id, (contact.enqueue_at, contact.arrival_seq))
        self._queued_in[contact_id] = key

    # --- reading -------------------------------------------------------------------------------

    def activity_since(self, agent_id: AgentId) -> Millis | None:
        """When an agent's current Agent Activity began (None for an agent not yet seen)."""
        part = self._parts.get(agent_id)
        return None if part is None else part.since

    def scope(self, now: Millis, lines: Collection[tuple[QueueId, Channel]]) -> ScopeMetrics:
        """The metrics at `now` of the queue/channel `lines` taken together: O(agents + lines)."""
        wanted = frozenset(lines)
        tally = _Tally()
        for part in self._parts.values():
            channels = {line[1] for line in part.lines if line in wanted}
            if len(channels) == 1:
                tally.add(part, next(iter(channels)), 1)
            elif channels:  # agent facts once; ACW and slots of the scope's channels only
                tally.add(part, None, 1)
                tally.after_contact_work += sum(part.acw.get(c, 0) for c in channels)
                tally.after_contact_work -= sum(part.acw.values())
                tally.slots_active += sum(part.active.get(c, 0) for c in channels)
                tally.slots_active -= sum(part.active.values())
                tally.slots_available += max(part.free.get(c, 0) for c in channels)
                tally.slots_available -= part.free_any
        queued = 0
        oldest: Millis | None = None
        for line in wanted:
            waiting = self._waiting.get(line)
            if waiting is None:
                continue
            queued += len(waiting.members)
            first = waiting.oldest()
            if first is not None and (oldest is None or first < oldest):
                oldest = first
        return ScopeMetrics(
            agents=tally.freeze(),
            contacts_in_queue=queued,
            oldest_contact_age_ms=None if oldest is None else max(0, now - oldest),
        )

    def snapshot(self, now: Millis) -> RealTimeMetrics:
        """The metrics at `now` (ages and durations are measured to it)."""
        state = self.state
        empty = _Waiting()

        def age(enqueued: Millis | None) -> Millis | None:
            return None if enqueued is None else max(0, now - enqueued)

        oldest_by_channel: dict[Channel, Millis] = {}
        queued_by_channel: dict[Channel, int] = {}
        for (_, channel), waiting in self._waiting.items():
            queued_by_channel[channel] = queued_by_channel.get(channel, 0) + len(waiting.members)
            oldest = waiting.oldest()
            if oldest is not None:
                best = oldest_by_channel.get(channel)
                oldest_by_channel[channel] = oldest if best is None else min(best, oldest)
        queues = []
        for queue in state.queues.values():
            for channel in queue.channels:
                waiting = self._waiting.get((queue.id, channel), empty)
                tally = self._groups.get((queue.id, channel))
                queues.append(
                    QueueChannelMetrics(
                        queue_id=queue.id,
                        queue_name=queue.name,
                        channel=channel,
                        agents=tally.freeze() if tally is not None else AgentCounts(),
                        contacts_in_queue=len(waiting.members),
                        oldest_contact_age_ms=age(waiting.oldest()),
                    )
                )
        channels = []
        for channel in CHANNELS:
            tally = self._channels.get(channel) or _Tally()
            channels.append(
                ChannelMetrics(
                    channel=channel,
                    slots_available=tally.slots_available,
                    slots_active=tally.slots_active,
                    after_contact_work=tally.after_contact_work,
                    contacts_in_queue=queued_by_channel.get(channel, 0),
                    oldest_contact_age_ms=age(oldest_by_channel.get(channel)),
                )
            )
        activities = []
        for agent_id, part in self._parts.items():
            agent = state.agents[agent_id]
            status_name = state.statuses[agent.status_id].name
            activities.append(
                AgentActivityRow(
                    agent_id=agent_id,
                    username=agent.username,
                    status_name=status_name,
                    activity=part.activity,
                    activity_name=activity_name(part.activity, status_name),
                    since=part.since,
                    duration_ms=max(0, now - part.since),
                )
            )
        oldest_all = min(oldest_by_channel.values(), default=None)
        return RealTimeMetrics(
            at=now,
            agents=self._instance.freeze(),
            contacts_in_queue=len(self._queued_in),
            oldest_contact_age_ms=age(oldest_all),
            channels=tuple(channels),
            queues=tuple(queues),
            activities=tuple(activities),
        )
