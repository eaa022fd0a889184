"""Domain events: frozen records of what happened, in the past tense, each with its time."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from switchboard.domain.model import (
    AgentId,
    AvailabilityTimer,
    Channel,
    ContactId,
    ContactState,
    CrossChannelBehavior,
    DisconnectReason,
    InitiationMethod,
    InstanceSettings,
    Millis,
    ProfileQueue,
    QueueId,
    RoutingProfileId,
    StatusId,
    StatusType,
)


class MissReason(StrEnum):
    TIMEOUT = "TIMEOUT"
    REJECTED = "REJECTED"
    CUSTOMER_HANGUP = "CUSTOMER_HANGUP"
    AGENT_LOGGED_OUT = "AGENT_LOGGED_OUT"


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    at: Millis


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentEvent(Event):
    """An event about one agent: it changes that agent's snapshot in the agent event stream."""

    agent_id: AgentId

    @property
    def changes_agent_stream(self) -> bool:
        return True


# --- configuration -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class InstanceCreated(Event):
    settings: InstanceSettings
    available_id: StatusId
    offline_id: StatusId


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentStatusCreated(Event):
    status_id: StatusId
    name: str
    type: StatusType
    enabled: bool
    display_order: int
    description: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentStatusUpdated(Event):
    status_id: StatusId
    name: str
    enabled: bool
    display_order: int
    description: str


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueCreated(Event):
    queue_id: QueueId
    name: str
    channels: tuple[Channel, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class RoutingProfileCreated(Event):
    profile_id: RoutingProfileId
    name: str
    concurrency: tuple[tuple[Channel, int], ...]
    cross_channel: tuple[tuple[Channel, CrossChannelBehavior], ...]
    queues: tuple[ProfileQueue, ...]
    default_outbound_queue_id: QueueId | None
    availability_timer: AvailabilityTimer


@dataclass(frozen=True, slots=True, kw_only=True)
class UserCreated(Event):
    agent_id: AgentId
    username: str
    first_name: str
    last_name: str
    profile_id: RoutingProfileId
    acw_timeout_ms: tuple[tuple[Channel, Millis], ...]
    auto_accept: tuple[tuple[Channel, bool], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class UserPhoneConfigUpdated(AgentEvent):
    acw_timeout_ms: tuple[tuple[Channel, Millis], ...]
    auto_accept: tuple[tuple[Channel, bool], ...]
    auto_accept_changed: bool

    @property
    def changes_agent_stream(self) -> bool:
        # Connect emits a STATE_CHANGE for an auto-accept change, not for an ACW limit change.
        return self.auto_accept_changed


@dataclass(frozen=True, slots=True, kw_only=True)
class UserRoutingProfileUpdated(AgentEvent):
    profile_id: RoutingProfileId


# --- agent session and status ------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentLoggedIn(AgentEvent):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentLoggedOut(AgentEvent):
    actor: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentStatusChanged(AgentEvent):
    status_id: StatusId
    actor: str


@dataclass(frozen=True, slots=True, kw_only=True)
class NextStatusSet(AgentEvent):
    status_id: StatusId
    actor: str


@dataclass(frozen=True, slots=True, kw_only=True)
class NextStatusCancelled(AgentEvent):
    actor: str


# --- contacts ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactQueued(Event):
    """A new inbound contact (voice call, chat or task) entered a queue."""

    contact_id: ContactId
    channel: Channel
    method: InitiationMethod
    queue_id: QueueId
    attributes: tuple[tuple[str, str], ...] = ()
    customer_endpoint: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteInfo:
    """Why the router chose this agent: O(1) facts; `explain` rebuilds the rest."""

    queue_id: QueueId
    priority: int
    candidates: int
    idle_since: Millis


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactOffered(AgentEvent):
    contact_id: ContactId
    route: RouteInfo


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactAccepted(AgentEvent):
    contact_id: ContactId
    auto: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactMissed(AgentEvent):
    """The offer failed on this agent: MISSED (voice, timeouts) or REJECTED (chat/task reject)."""

    contact_id: ContactId
    state: ContactState
    reason: MissReason
    requeued: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactAbandoned(Event):
    """The customer left before reaching an agent."""

    contact_id: ContactId
    reason: DisconnectReason


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactTransferred(Event):
    """A transfer made a new contact (`contact_id`, InitiationMethod TRANSFER) in a queue, chained
    to the one it continues; the agent who transferred it left that one just before."""

    contact_id: ContactId
    previous_contact_id: ContactId
    initial_contact_id: ContactId
    channel: Channel
    queue_id: QueueId
    transferred_by: AgentId
    attributes: tuple[tuple[str, str], ...] = ()
    customer_endpoint: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactHeld(AgentEvent):
    contact_id: ContactId


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactResumed(AgentEvent):
    contact_id: ContactId


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactDisconnected(AgentEvent):
    """The conversation ended; the contact is in ACW (`ENDED`) on the agent."""

    contact_id: ContactId
    reason: DisconnectReason


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactCleared(AgentEvent):
    """The agent's copy of the contact left the CCP and its slot is free."""

    contact_id: ContactId
    actor: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboundDialed(AgentEvent):
    contact_id: ContactId
    queue_id: QueueId | None
    customer_endpoint: str | None = None
    attributes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboundAnswered(AgentEvent):
    contact_id: ContactId


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboundFailed(AgentEvent):
    contact_id: ContactId


__all__ = [
    "AgentEvent",
    "AgentLoggedIn",
    "AgentLoggedOut",
    "AgentStatusChanged",
    "AgentStatusCreated",
    "AgentStatusUpdated",
    "ContactAbandoned",
    "ContactAccepted",
    "ContactCleared",
    "ContactDisconnected",
    "ContactHeld",
    "ContactMissed",
    "ContactOffered",
    "ContactQueued",
    "ContactResumed",
    "ContactTransferred",
    "Event",
    "InstanceCreated",
    "MissReason",
    "NextStatusCancelled",
    "NextStatusSet",
    "OutboundAnswered",
    "OutboundDialed",
    "OutboundFailed",
    "QueueCreated",
    "RouteInfo",
    "RoutingProfileCreated",
    "UserCreated",
    "UserPhoneConfigUpdated",
    "UserRoutingProfileUpdated",
]
