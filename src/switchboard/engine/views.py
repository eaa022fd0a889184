"""Read models of the agent event stream and contact records, built from domain state.

They hold ids and names, not ARNs or JSON: `formats/` turns them into Amazon Connect's records.
"""

from __future__ import annotations

from dataclasses import dataclass

from switchboard.domain.activity import Activity, activity_of
from switchboard.domain.model import (
    Agent,
    AgentId,
    Channel,
    Contact,
    ContactId,
    ContactState,
    DisconnectReason,
    InitiationMethod,
    Millis,
    QueueId,
    RoutingProfileId,
    StatusId,
    StatusType,
)
from switchboard.domain.state import State


@dataclass(frozen=True, slots=True)
class StatusView:
    id: StatusId
    name: str
    type: StatusType
    start: Millis


@dataclass(frozen=True, slots=True)
class NextStatusView:
    id: StatusId
    name: str
    enqueued_at: Millis


@dataclass(frozen=True, slots=True)
class QueueView:
    """A queue in a routing profile; the agent's own queue has `agent_id` set and no name."""

    id: QueueId | None
    name: str | None
    channels: tuple[Channel, ...]
    agent_id: AgentId | None = None


@dataclass(frozen=True, slots=True)
class ProfileView:
    id: RoutingProfileId
    name: str
    maximum_slots: tuple[tuple[Channel, int], ...]
    inbound_queues: tuple[QueueView, ...]
    default_outbound_queue: QueueView | None


@dataclass(frozen=True, slots=True)
class ConfigurationView:
    agent_id: AgentId
    username: str
    first_name: str
    last_name: str
    profile: ProfileView


@dataclass(frozen=True, slots=True)
class ContactView:
    contact_id: ContactId
    initial_id: ContactId | None
    channel: Channel
    method: InitiationMethod
    state: ContactState
    state_start: Millis
    connected_at: Millis | None
    queue_at: Millis | None
    queue_id: QueueId | None
    queue_name: str | None


@dataclass(frozen=True, slots=True)
class AgentSnapshot:
    agent_id: AgentId
    status: StatusView
    next_status: NextStatusView | None
    configuration: ConfigurationView
    available_slots: tuple[int, ...]
    """Free slots per channel, in the order of `configuration.profile.maximum_slots`."""
    contacts: tuple[ContactView, ...]

    @property
    def activity(self) -> Activity:
        return activity_of(
            self.status.type,
            ((c.state, c.method is InitiationMethod.OUTBOUND) for c in self.contacts),
        )


class SnapshotBuilder:
    """Builds agent snapshots; the configuration part is cached until the agent's config changes."""

    def __init__(self, state: State) -> None:
        self.state = state
        self._configs: dict[AgentId, tuple[int, RoutingProfileId, ConfigurationView]] = {}

    def configuration(self, agent: Agent) -> ConfigurationView:
        cached = self._configs.get(agent.id)
        if (
            cached is not None
            and cached[0] == agent.config_version
            and cached[1] == agent.profile_id
        ):
            return cached[2]
        view = ConfigurationView(
            agent.id, agent.username, agent.first_name, agent.last_name, self._profile(agent)
        )
        self._configs[agent.id] = (agent.config_version, agent.profile_id, view)
        return view

    def _profile(self, agent: Agent) -> ProfileView:
        state = self.state
        profile = state.profiles[agent.profile_id]
        channels_by_queue: dict[QueueId, list[Channel]] = {}
        for line in profile.queues:
            channels_by_queue.setdefault(line.queue_id, []).append(line.channel)
        own = QueueView(None, None, tuple(sorted(profile.concurrency)), agent_id=agent.id)
        inbound = tuple(
            QueueView(queue_id, state.queues[queue_id].name, tuple(sorted(set(channels))))
            for queue_id, channels in channels_by_queue.items()
        )
        outbound_id = profile.outbound_queue_id
        outbound = (
            QueueView(outbound_id, state.queues[outbound_id].name, (Channel.VOICE,))
            if outbound_id is not None
            else None
        )
        return ProfileView(
            profile.id,
            profile.name,
            tuple(sorted(profile.concurrency.items())),
            (own, *inbound),
            outbound,
        )

    def snapshot(self, agent: Agent) -> AgentSnapshot:
        state = self.state
        status = state.statuses[agent.status_id]
        configuration = self.configuration(agent)
        next_status = None
        if agent.next_status_id is not None:
            next_status = NextStatusView(
                agent.next_status_id,
                state.statuses[agent.next_status_id].name,
                agent.next_status_at,
            )
        held: dict[Channel, int] = {}
        contacts = []
        for slot in agent.slots.values():
            contact = slot.contact
            held[contact.channel] = held.get(contact.channel, 0) + 1
            queue_id = contact.queue_id
            contacts.append(
                ContactView(
                    contact.id,
                    contact.initial_id,
                    contact.channel,
                    contact.method,
                    slot.state,
                    slot.state_start,
                    slot.connected_at,
                    contact.enqueue_at,
                    queue_id,
                    state.queues[queue_id].name if queue_id is not None else None,
                )
            )
        available = tuple(
            max(0, maximum - held.get(channel, 0))
            for channel, maximum in configuration.profile.maximum_slots
        )
        return AgentSnapshot(
            agent.id,
            StatusView(status.id, status.name, status.type, agent.status_start),
            next_status,
            configuration,
            available,
            tuple(contacts),
        )


@dataclass(frozen=True, slots=True)
class AgentPart:
    """The `Agent` block of a contact record: present only if an agent was connected."""

    agent_id: AgentId
    username: str
    profile_id: RoutingProfileId
    profile_name: str
    connected_at: Millis
    hold_count: int
    hold_total_ms: Millis
    hold_longest_ms: Millis
    acw_start: Millis | None
    acw_end: Millis | None


@dataclass(frozen=True, slots=True)
class ContactRecordView:
    """Everything a contact record says, in engine time (ms); `formats.ctr` floors to seconds."""

    contact_id: ContactId
    channel: Channel
    method: InitiationMethod
    initial_id: ContactId | None
    previous_id: ContactId | None
    next_id: ContactId | None
    initiated_at: Millis
    system_connected_at: Millis | None
    disconnect_at: Millis | None
    disconnect_reason: DisconnectReason | None
    last_update_at: Millis
    queue_id: QueueId | None
    queue_name: str | None
    enqueue_at: Millis | None
    dequeue_at: Millis | None
    attempts: int
    agent: AgentPart | None
    attributes: tuple[tuple[str, str], ...]
    customer_endpoint: str | None


def contact_record(state: State, contact: Contact, at: Millis) -> ContactRecordView:
    agent = None
    if contact.connected_at is not None and contact.agent_id is not None:
        who = state.agents[contact.agent_id]
        profile_id = contact.agent_profile_id or who.profile_id
        agent = AgentPart(
            who.id,
            who.username,
            profile_id,
            state.profiles[profile_id].name,
            contact.connected_at,
            contact.hold_count,
            contact.hold_total_ms,
            contact.hold_longest_ms,
            contact.acw_start,
            contact.acw_end,
        )
    queue_id = contact.queue_id
    return ContactRecordView(
        contact.id,
        contact.channel,
        contact.method,
        contact.initial_id,
        contact.previous_id,
        contact.next_id,
        contact.initiated_at,
        contact.system_connected_at,
        contact.disconnect_at,
        contact.disconnect_reason,
        at,
        queue_id,
        state.queues[queue_id].name if queue_id is not None else None,
        contact.enqueue_at,
        contact.dequeue_at,
        contact.attempts,
        agent,
        contact.attributes,
        contact.customer_endpoint,
    )


__all__ = [
    "AgentPart",
    "AgentSnapshot",
    "ConfigurationView",
    "ContactRecordView",
    "ContactView",
    "NextStatusView",
    "ProfileView",
    "QueueView",
    "SnapshotBuilder",
    "StatusView",
    "contact_record",
]
