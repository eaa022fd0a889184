"""Value types and the engine-owned state records (agents, contacts, queues, profiles, statuses)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import NewType

AgentId = NewType("AgentId", str)
ContactId = NewType("ContactId", str)
QueueId = NewType("QueueId", str)
RoutingProfileId = NewType("RoutingProfileId", str)
StatusId = NewType("StatusId", str)

Millis = int
"""Engine time: whole milliseconds since the Unix epoch (UTC)."""


class Channel(StrEnum):
    VOICE = "VOICE"
    CHAT = "CHAT"
    TASK = "TASK"


CHANNELS: tuple[Channel, ...] = (Channel.VOICE, Channel.CHAT, Channel.TASK)
MAX_CONCURRENCY: dict[Channel, int] = {Channel.VOICE: 1, Channel.CHAT: 10, Channel.TASK: 10}


class StatusType(StrEnum):
    ROUTABLE = "ROUTABLE"
    CUSTOM = "CUSTOM"
    OFFLINE = "OFFLINE"


class ContactState(StrEnum):
    """The state of one contact on one agent (AES `Contacts[].State`)."""

    INCOMING = "INCOMING"
    PENDING = "PENDING"
    CONNECTING = "CONNECTING"
    CONNECTED = "CONNECTED"
    CONNECTED_ONHOLD = "CONNECTED_ONHOLD"
    PAUSED = "PAUSED"
    MISSED = "MISSED"
    REJECTED = "REJECTED"
    ERROR = "ERROR"
    ENDED = "ENDED"


LIVE_STATES = frozenset(
    {
        ContactState.INCOMING,
        ContactState.PENDING,
        ContactState.CONNECTING,
        ContactState.CONNECTED,
        ContactState.CONNECTED_ONHOLD,
        ContactState.PAUSED,
    }
)
"""States of a contact that is still in progress: a status change only queues a next status."""

FAILED_STATES = frozenset({ContactState.MISSED, ContactState.REJECTED, ContactState.ERROR})
"""States that block routing until the agent clears them."""

CLEARABLE_STATES = FAILED_STATES | {ContactState.ENDED}
"""States that CCP "Clear contact" / DismissUserContact accept."""

ACTIVE_STATES = frozenset(
    {
        ContactState.CONNECTED,
        ContactState.CONNECTED_ONHOLD,
        ContactState.PAUSED,
        ContactState.ENDED,
    }
)
"""A contact being worked: connected, on hold, paused or in ACW. With an outbound call still
ringing these make an agent On contact, and they are Amazon's active slots (SLOTS_ACTIVE)."""


TRANSFERABLE_STATES = frozenset({ContactState.CONNECTED, ContactState.CONNECTED_ONHOLD})
"""States from which the agent may transfer a contact: a conversation in progress (DESIGN §3.14)."""


class InitiationMethod(StrEnum):
    INBOUND = "INBOUND"
    OUTBOUND = "OUTBOUND"
    TRANSFER = "TRANSFER"
    CALLBACK = "CALLBACK"
    API = "API"
    QUEUE_TRANSFER = "QUEUE_TRANSFER"
    MONITOR = "MONITOR"
    DISCONNECT = "DISCONNECT"


class DisconnectReason(StrEnum):
    CUSTOMER_DISCONNECT = "CUSTOMER_DISCONNECT"
    AGENT_DISCONNECT = "AGENT_DISCONNECT"
    THIRD_PARTY_DISCONNECT = "THIRD_PARTY_DISCONNECT"
    TELECOM_PROBLEM = "TELECOM_PROBLEM"
    CONTACT_FLOW_DISCONNECT = "CONTACT_FLOW_DISCONNECT"
    API = "API"
    EXPIRED = "EXPIRED"
    OTHER = "OTHER"


class CrossChannelBehavior(StrEnum):
    ROUTE_CURRENT_CHANNEL_ONLY = "ROUTE_CURRENT_CHANNEL_ONLY"
    ROUTE_ANY_CHANNEL = "ROUTE_ANY_CHANNEL"


class AvailabilityTimer(StrEnum):
    TIME_SINCE_LAST_ACTIVITY = "TIME_SINCE_LAST_ACTIVITY"
    TIME_SINCE_LAST_INBOUND = "TIME_SINCE_LAST_INBOUND"


class AcwOnStatusChange(StrEnum):
    """What a status change does to contacts in ACW (DESIGN §3.9)."""

    CLEAR = "clear"
    KEEP = "keep"


class ContactPhase(StrEnum):
    """Where a contact is in its life, independent of any one agent's view of it."""

    QUEUED = "QUEUED"
    OFFERED = "OFFERED"
    DIALING = "DIALING"
    CONNECTED = "CONNECTED"
    AFTER_CONTACT_WORK = "AFTER_CONTACT_WORK"
    COMPLETED = "COMPLETED"


@dataclass(frozen=True, slots=True, kw_only=True)
class InstanceSettings:
    """One contact-center instance; every knob defaults to Amazon Connect's behaviour."""

    account: str = "111122223333"
    region: str = "us-east-1"
    instance_id: str = "switchboard"
    offer_timeout_ms: Millis = 20_000
    missed_auto_clear_ms: Millis | None = None
    acw_on_status_change: AcwOnStatusChange = AcwOnStatusChange.CLEAR
    heartbeat_ms: Millis = 120_000
    heartbeat_after_logout_ms: Millis = 3_600_000
    aes_version: str = "2019-05-25"
    time_zone: str = "UTC"

    @property
    def arn(self) -> str:
        return f"arn:aws:connect:{self.region}:{self.account}:instance/{self.instance_id}"


@dataclass(slots=True)
class AgentStatusDef:
    id: StatusId
    name: str
    type: StatusType
    enabled: bool
    display_order: int
    description: str = ""


@dataclass(slots=True)
class Queue:
    id: QueueId
    name: str
    channels: tuple[Channel, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ProfileQueue:
    """One line of a routing profile: a queue served on one channel."""

    queue_id: QueueId
    channel: Channel
    priority: int = 1
    delay_ms: Millis = 0


@dataclass(slots=True)
class RoutingProfile:
    id: RoutingProfileId
    name: str
    concurrency: dict[Channel, int]
    cross_channel: dict[Channel, CrossChannelBehavior]
    queues: tuple[ProfileQueue, ...]
    default_outbound_queue_id: QueueId | None
    availability_timer: AvailabilityTimer = AvailabilityTimer.TIME_SINCE_LAST_ACTIVITY
    levels: tuple[tuple[int, tuple[ProfileQueue, ...]], ...] = field(default=())
    """The profile's queue lines grouped by priority, best first, all channels: the router's view
    (priority orders an agent's queues across channels, DESIGN §4)."""

    all_channels: frozenset[Channel] = field(default=frozenset())
    """The channels with slots: what an idle agent of this profile is routable on."""

    def __post_init__(self) -> None:
        self.levels = group_by_priority(self.queues)
        self.all_channels = frozenset(ch for ch, n in self.concurrency.items() if n > 0)

    @property
    def outbound_queue_id(self) -> QueueId | None:
        if self.default_outbound_queue_id is not None:
            return self.default_outbound_queue_id
        return self.queues[0].queue_id if self.queues else None


def group_by_priority(
    queues: tuple[ProfileQueue, ...],
) -> tuple[tuple[int, tuple[ProfileQueue, ...]], ...]:
    by_priority: dict[int, list[ProfileQueue]] = {}
    for line in queues:
        by_priority.setdefault(line.priority, []).append(line)
    return tuple((priority, tuple(lines)) for priority, lines in sorted(by_priority.items()))


class Slot:
    """One contact held by one agent: the agent's copy of it, in one contact state."""

    __slots__ = ("connected_at", "contact", "state", "state_start")

    def __init__(self, contact: Contact, state: ContactState, state_start: Millis) -> None:
        self.contact = contact
        self.state = state
        self.state_start = state_start
        self.connected_at: Millis | None = None

    @property
    def channel(self) -> Channel:
        return self.contact.channel

    @property
    def is_outbound(self) -> bool:
        return self.contact.method is InitiationMethod.OUTBOUND


class Agent:
    """A user with a routing profile: their status, their slots and their place in routing."""

    __slots__ = (
        "acw_timeout_ms",
        "auto_accept",
        "config_version",
        "first_name",
        "id",
        "idle_since",
        "last_name",
        "logged_in",
        "next_status_at",
        "next_status_id",
        "profile_id",
        "routable_channels",
        "route_key",
        "route_version",
        "slots",
        "status_id",
        "status_start",
        "username",
    )

    def __init__(
        self,
        *,
        id: AgentId,
        username: str,
        first_name: str,
        last_name: str,
        profile_id: RoutingProfileId,
        acw_timeout_ms: dict[Channel, Millis],
        auto_accept: dict[Channel, bool],
        status_id: StatusId,
        status_start: Millis,
    ) -> None:
        self.id = id
        self.username = username
        self.first_name = first_name
        self.last_name = last_name
        self.profile_id = profile_id
        self.acw_timeout_ms = acw_timeout_ms
        self.auto_accept = auto_accept
        self.status_id = status_id
        self.status_start = status_start
        self.next_status_id: StatusId | None = None
        self.next_status_at: Millis = 0
        self.logged_in = False
        self.slots: dict[ContactId, Slot] = {}
        self.idle_since: Millis = status_start
        self.config_version = 0
        # routing index bookkeeping (see domain.routing)
        self.routable_channels: frozenset[Channel] = frozenset()
        self.route_key: tuple[RoutingProfileId, Millis] | None = None
        self.route_version = 0

    def held_on(self, channel: Channel) -> int:
        return sum(1 for slot in self.slots.values() if slot.contact.channel is channel)

    @property
    def has_live_contact(self) -> bool:
        return any(slot.state in LIVE_STATES for slot in self.slots.values())


class Contact:
    """A customer interaction from creation to its contact record."""

    __slots__ = (
        "acw_end",
        "acw_start",
        "agent_id",
        "agent_profile_id",
        "arrival_seq",
        "attempts",
        "attributes",
        "channel",
        "connected_at",
        "customer_endpoint",
        "dequeue_at",
        "disconnect_at",
        "disconnect_reason",
        "enqueue_at",
        "hold_count",
        "hold_longest_ms",
        "hold_started_at",
        "hold_total_ms",
        "id",
        "initial_id",
        "initiated_at",
        "method",
        "next_id",
        "offer_token",
        "phase",
        "previous_id",
        "queue_id",
        "queue_token",
        "system_connected_at",
    )

    def __init__(
        self,
        *,
        id: ContactId,
        channel: Channel,
        method: InitiationMethod,
        queue_id: QueueId | None,
        initiated_at: Millis,
        arrival_seq: int,
        attributes: tuple[tuple[str, str], ...] = (),
        customer_endpoint: str | None = None,
    ) -> None:
        self.id = id
        self.channel = channel
        self.method = method
        self.queue_id = queue_id
        self.initiated_at = initiated_at
        self.arrival_seq = arrival_seq
        self.attributes = attributes
        self.customer_endpoint = customer_endpoint
        self.initial_id: ContactId | None = None
        self.previous_id: ContactId | None = None
        self.next_id: ContactId | None = None
        self.phase = ContactPhase.QUEUED
        self.enqueue_at: Millis | None = None
        self.dequeue_at: Millis | None = None
        self.agent_id: AgentId | None = None
        self.agent_profile_id: RoutingProfileId | None = None
        self.connected_at: Millis | None = None
        self.system_connected_at: Millis | None = None
        self.disconnect_at: Millis | None = None
        self.disconnect_reason: DisconnectReason | None = None
        self.acw_start: Millis | None = None
        self.acw_end: Millis | None = None
        self.attempts = 0
        self.hold_count = 0
        self.hold_total_ms: Millis = 0
        self.hold_longest_ms: Millis = 0
        self.hold_started_at: Millis | None = None
        self.queue_token = 0
        self.offer_token = 0
