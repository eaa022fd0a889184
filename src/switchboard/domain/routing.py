"""Routing: who may take what (routability, slots, cross-channel) and the longest-idle matcher.

Two indexes make each decision O(log n) in the number of agents: per (routing profile, channel) a
heap of routable agents keyed by (idle_since, agent id), and per (queue, channel) a heap of queued
contacts keyed by (enqueue time, arrival order). Both use version stamps for lazy deletion; `evolve`
keeps them current through `refresh_agent`, `enqueue` and `dequeue`.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import TYPE_CHECKING

from switchboard.domain.model import (
    FAILED_STATES,
    Agent,
    Channel,
    Contact,
    ContactPhase,
    CrossChannelBehavior,
    Millis,
    QueueId,
    RoutingProfile,
    RoutingProfileId,
    StatusType,
)

if TYPE_CHECKING:
    from switchboard.domain.state import State

_NO_CHANNELS: frozenset[Channel] = frozenset()

AgentEntry = tuple[Millis, str, int, Agent]
ContactEntry = tuple[Millis, int, int, Contact]


def unroutable_reason(
    agent: Agent, profile: RoutingProfile, status_type: StatusType, channel: Channel
) -> str | None:
    """Why `agent` cannot be offered a contact on `channel` now, or None if it can (DESIGN §3.2)."""
    if status_type is not StatusType.ROUTABLE:
        return f"status type is {status_type.value}"
    if agent.next_status_id is not None:
        return "a next status is pending"
    maximum = profile.concurrency.get(channel, 0)
    if maximum <= 0:
        return f"routing profile {profile.name!r} has no {channel.value} slots"
    held_here = 0
    other_channels: set[Channel] = set()
    for slot in agent.slots.values():
        if slot.state in FAILED_STATES:
            return f"contact {slot.contact.id} is {slot.state.value} and must be cleared"
        if slot.contact.channel is channel:
            held_here += 1
        else:
            other_channels.add(slot.contact.channel)
    if held_here >= maximum:
        return f"all {maximum} {channel.value} slots are in use"
    if other_channels:
        held_channels = other_channels | ({channel} if held_here else set())
        for held in sorted(held_channels):
            behaviour = profile.cross_channel.get(
                held, CrossChannelBehavior.ROUTE_CURRENT_CHANNEL_ONLY
            )
            if behaviour is not CrossChannelBehavior.ROUTE_ANY_CHANNEL:
                return f"busy on {held.value}, which routes its current channel only"
    return None


def routable_channels(
    agent: Agent, profile: RoutingProfile, status_type: StatusType
) -> frozenset[Channel]:
    """The channels `agent` may be offered a contact on now: the fast form of
    `unroutable_reason` (which says why not), kept equal to it by the unit tests."""
    if status_type is not StatusType.ROUTABLE or agent.next_status_id is not None:
        return _NO_CHANNELS
    slots = agent.slots
    if not slots:
        return profile.all_channels
    held: dict[Channel, int] = {}
    for slot in slots.values():
        if slot.state in FAILED_STATES:
            return _NO_CHANNELS
        channel = slot.contact.channel
        held[channel] = held.get(channel, 0) + 1
    any_channel = all(
        profile.cross_channel.get(channel) is CrossChannelBehavior.ROUTE_ANY_CHANNEL
        for channel in held
    )
    return frozenset(
        channel
        for channel, maximum in profile.concurrency.items()
        if held.get(channel, 0) < maximum and (any_channel or held.keys() <= {channel})
    )


@dataclass(frozen=True, slots=True)
class Match:
    contact: Contact
    agent: Agent
    queue_id: QueueId
    priority: int
    candidates: int


Group = tuple[RoutingProfileId, frozenset[Channel]]
"""Agents who share a routing profile and the set of channels they are routable on right now:
they see the same candidate contact, so one heap per group answers "who is longest idle"."""


class Router:
    """The routing indexes of one instance (rebuilt by replaying the log)."""

    __slots__ = ("active_groups", "agent_heaps", "queue_heaps", "queued")

    def __init__(self) -> None:
        self.agent_heaps: dict[Group, list[AgentEntry]] = {}
        self.active_groups: dict[Group, int] = {}
        """Number of routable agents per group; groups with none are absent."""
        self.queue_heaps: dict[tuple[QueueId, Channel], list[ContactEntry]] = {}
        self.queued = 0

    # --- index maintenance (called from evolve) ------------------------------------------------

    def refresh_agent(self, agent: Agent, profile: RoutingProfile, status_type: StatusType) -> None:
        channels = routable_channels(agent, profile, status_type)
        key = (agent.profile_id, agent.idle_since)
        if channels == agent.routable_channels and key == agent.route_key:
            return
        if agent.routable_channels:
            assert agent.route_key is not None
            old: Group = (agent.route_key[0], agent.routable_channels)
            left = self.active_groups[old] - 1
            if left:
                self.active_groups[old] = left
            else:
                del self.active_groups[old]
        agent.route_version += 1
        agent.routable_channels = channels
        agent.route_key = key
        if channels:
            group: Group = (agent.profile_id, channels)
            self.active_groups[group] = self.active_groups.get(group, 0) + 1
            heapq.heappush(
                self.agent_heaps.setdefault(group, []),
                (agent.idle_since, agent.id, agent.route_version, agent),
            )

    def enqueue(self, contact: Contact) -> None:
        assert contact.queue_id is not None
        assert contact.enqueue_at is not None
        contact.queue_token += 1
        contact.phase = ContactPhase.QUEUED
        heap = self.queue_heaps.setdefault((contact.queue_id, contact.channel), [])
        heapq.heappush(
            heap, (contact.enqueue_at, contact.arrival_seq, contact.queue_token, contact)
        )
        self.queued += 1

    def dequeue(self, contact: Contact) -> None:
        """Take a queued contact out (offered or abandoned); its heap entry goes stale."""
        if contact.phase is ContactPhase.QUEUED:
            contact.queue_token += 1
            self.queued -= 1

    def compact(self) -> None:
        """Drop stale heap entries (a changed agent or a dequeued contact leaves its old entry
        behind until it reaches the top). Replay never routes, so after a long replay most
        entries are stale; so are many in a long-running engine. Routing is unchanged."""
        for group, agents in self.agent_heaps.items():
            live = [entry for entry in agents if entry[2] == entry[3].route_version]
            heapq.heapify(live)
            self.agent_heaps[group] = live
        for line, contacts in self.queue_heaps.items():
            waiting = [
                entry
                for entry in contacts
                if entry[2] == entry[3].queue_token and entry[3].phase is ContactPhase.QUEUED
            ]
            heapq.heapify(waiting)
            self.queue_heaps[line] = waiting

    # --- reading -------------------------------------------------------------------------------

    def head(self, queue_id: QueueId, channel: Channel) -> Contact | None:
        heap = self.queue_heaps.get((queue_id, channel))
        while heap:
            _, _, token, contact = heap[0]
            if token == contact.queue_token and contact.phase is ContactPhase.QUEUED:
                return contact
            heapq.heappop(heap)
        return None

    def queued_contacts(self, queue_id: QueueId, channel: Channel) -> list[Contact]:
        """Every contact waiting in one queue on one channel, oldest first (O(n log n))."""
        heap = self.queue_heaps.get((queue_id, channel), [])
        live = [
            entry
            for entry in heap
            if entry[2] == entry[3].queue_token and entry[3].phase is ContactPhase.QUEUED
        ]
        return [entry[3] for entry in sorted(live, key=lambda e: (e[0], e[1]))]

    def longest_idle(self, group: Group) -> Agent | None:
        heap = self.agent_heaps.get(group)
        while heap:
            _, _, version, agent = heap[0]
            if version == agent.route_version:
                return agent
            heapq.heappop(heap)
        return None

    def candidate(
        self, profile: RoutingProfile, channels: frozenset[Channel], now: Millis
    ) -> tuple[Contact, int, QueueId] | None:
        """The contact an agent of this profile, routable on `channels`, would take next.

        Priority beats delay: the best priority level with an eligible head wins (across
        channels); within the level the oldest head (enqueue time, then arrival order).
        """
        for priority, lines in profile.levels:
            best: Contact | None = None
            best_queue: QueueId | None = None
            for line in lines:
                if line.channel not in channels:
                    continue
                head = self.head(line.queue_id, line.channel)
                if head is None:
                    continue
                assert head.enqueue_at is not None
                if now - head.enqueue_at < line.delay_ms:
                    continue
                if best is None or _older(head, best):
                    best, best_queue = head, line.queue_id
            if best is not None and best_queue is not None:
                return best, priority, best_queue
        return None

    def next_match(self, state: State, now: Millis) -> Match | None:
        """The next (contact, agent) pair of DESIGN §4, or None when no pair is possible."""
        if not self.queued or not self.active_groups:
            return None
        best: tuple[Contact, int, QueueId] | None = None
        best_groups: list[Group] = []
        for group in self.active_groups:
            profile_id, channels = group
            found = self.candidate(state.profiles[profile_id], channels, now)
            if found is None:
                continue
            if best is None or _older(found[0], best[0]):
                best, best_groups = found, [group]
            elif found[0] is best[0]:
                best_groups.append(group)
        if best is None:
            return None
        winner: Agent | None = None
        candidates = 0
        for group in best_groups:
            agent = self.longest_idle(group)
            candidates += self.active_groups[group]
            if agent is not None and (
                winner is None or (agent.idle_since, agent.id) < (winner.idle_since, winner.id)
            ):
                winner = agent
        if winner is None:  # pragma: no cover - active groups always have a live heap entry
            return None
        contact, priority, queue_id = best
        return Match(contact, winner, queue_id, priority, candidates)


def _older(a: Contact, b: Contact) -> bool:
    assert a.enqueue_at is not None
    assert b.enqueue_at is not None
    return (a.enqueue_at, a.arrival_seq) < (b.enqueue_at, b.arrival_seq)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One agent's standing for one contact, as `explain` reports it."""

    username: str
    idle_since: Millis
    eligible: bool
    reason: str


def explain(state: State, contact: Contact, now: Millis) -> list[Candidate]:
    """Every agent's standing for `contact` now: eligible ones first, longest idle first.

    A full scan (O(agents)); the router itself never does this. It uses the same rules.
    """
    result: list[Candidate] = []
    assert contact.queue_id is not None
    for agent in state.agents.values():
        profile = state.profiles[agent.profile_id]
        reason = _standing(state, agent, profile, contact, now)
        result.append(
            Candidate(
                username=agent.username,
                idle_since=agent.idle_since,
                eligible=reason is None,
                reason=reason or "eligible",
            )
        )
    result.sort(key=lambda c: (not c.eligible, c.idle_since, c.username))
    return result


def _standing(
    state: State, agent: Agent, profile: RoutingProfile, contact: Contact, now: Millis
) -> str | None:
    channel = contact.channel
    line = next(
        (
            entry
            for entry in profile.queues
            if entry.queue_id == contact.queue_id and entry.channel is channel
        ),
        None,
    )
    if line is None:
        return f"routing profile {profile.name!r} does not serve this queue on {channel.value}"
    assert contact.enqueue_at is not None
    if now - contact.enqueue_at < line.delay_ms:
        return f"the queue's delay of {line.delay_ms} ms has not passed"
    status_type = state.statuses[agent.status_id].type
    reason = unroutable_reason(agent, profile, status_type, channel)
    if reason is not None:
        return reason
    channels = routable_channels(agent, profile, status_type)
    better = state.router.candidate(profile, channels, now)
    if better is not None and better[1] < line.priority:
        return f"a contact in a priority-{better[1]} queue comes first for this agent"
    return None
