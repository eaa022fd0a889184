"""Commands: frozen requests, in the imperative, that `decide` turns into events or refuses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

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


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    pass


# --- configuration -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateInstance(Command):
    settings: InstanceSettings
    available_id: StatusId
    offline_id: StatusId


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateAgentStatus(Command):
    status_id: StatusId
    name: str
    enabled: bool = True
    display_order: int | None = None
    description: str = ""
    type: StatusType = StatusType.CUSTOM


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateAgentStatus(Command):
    status_id: StatusId
    name: str | None = None
    enabled: bool | None = None
    display_order: int | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateQueue(Command):
    queue_id: QueueId
    name: str
    channels: tuple[Channel, ...] = (Channel.VOICE, Channel.CHAT, Channel.TASK)


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateRoutingProfile(Command):
    profile_id: RoutingProfileId
    name: str
    concurrency: tuple[tuple[Channel, int], ...]
    queues: tuple[ProfileQueue, ...]
    cross_channel: tuple[tuple[Channel, CrossChannelBehavior], ...] = ()
    default_outbound_queue_id: QueueId | None = None
    availability_timer: AvailabilityTimer = AvailabilityTimer.TIME_SINCE_LAST_ACTIVITY


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateUser(Command):
    agent_id: AgentId
    username: str
    first_name: str
    last_name: str
    profile_id: RoutingProfileId
    acw_timeout_ms: tuple[tuple[Channel, Millis], ...] = ()
    auto_accept: tuple[tuple[Channel, bool], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateUserPhoneConfig(Command):
    agent_id: AgentId
    acw_timeout_ms: tuple[tuple[Channel, Millis], ...] = ()
    auto_accept: tuple[tuple[Channel, bool], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateUserRoutingProfile(Command):
    agent_id: AgentId
    profile_id: RoutingProfileId


# --- agent (CCP, supervisor, API) --------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Login(Command):
    agent_id: AgentId


@dataclass(frozen=True, slots=True, kw_only=True)
class Logout(Command):
    agent_id: AgentId
    actor: str = "agent"
    forced: bool = False
    """A supervisor's forced logout or a lost session: live contacts are ended (`OTHER`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SetStatus(Command):
    agent_id: AgentId
    status_id: StatusId
    actor: str = "agent"


@dataclass(frozen=True, slots=True, kw_only=True)
class AcceptContact(Command):
    agent_id: AgentId
    contact_id: ContactId


@dataclass(frozen=True, slots=True, kw_only=True)
class RejectContact(Command):
    agent_id: AgentId
    contact_id: ContactId


@dataclass(frozen=True, slots=True, kw_only=True)
class HoldContact(Command):
    agent_id: AgentId
    contact_id: ContactId


@dataclass(frozen=True, slots=True, kw_only=True)
class ResumeContact(Command):
    agent_id: AgentId
    contact_id: ContactId


@dataclass(frozen=True, slots=True, kw_only=True)
class EndContact(Command):
    """The agent hangs up (`AGENT_DISCONNECT`)."""

    agent_id: AgentId
    contact_id: ContactId


@dataclass(frozen=True, slots=True, kw_only=True)
class ClearContact(Command):
    """CCP "Clear contact" / API DismissUserContact."""

    agent_id: AgentId
    contact_id: ContactId
    actor: str = "agent"


@dataclass(frozen=True, slots=True, kw_only=True)
class DialOut(Command):
    agent_id: AgentId
    contact_id: ContactId
    queue_id: QueueId | None = None
    customer_endpoint: str | None = None
    attributes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferToQueue(Command):
    """The agent sends a connected contact to a queue (DESIGN §3.14): their copy goes to ACW and
    `new_contact_id` (made by the caller, as every id) enters `queue_id` as a TRANSFER."""

    agent_id: AgentId
    contact_id: ContactId
    queue_id: QueueId
    new_contact_id: ContactId


# --- customers, the network, the API ------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class StartInboundContact(Command):
    contact_id: ContactId
    channel: Channel
    queue_id: QueueId
    method: InitiationMethod | None = None
    attributes: tuple[tuple[str, str], ...] = ()
    customer_endpoint: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerHangup(Command):
    contact_id: ContactId


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerAnswered(Command):
    """The dialled customer picked up an agent's outbound call."""

    contact_id: ContactId


@dataclass(frozen=True, slots=True, kw_only=True)
class DialFailed(Command):
    contact_id: ContactId


@dataclass(frozen=True, slots=True, kw_only=True)
class StopContact(Command):
    """API StopContact or a network failure: end the contact wherever it is."""

    contact_id: ContactId
    reason: DisconnectReason = DisconnectReason.API


# --- timers ------------------------------------------------------------------------------------


class Deadline(NamedTuple):
    """A timer kept in state; it fires only if the slot is still as it was when it was set.

    A NamedTuple rather than a frozen dataclass: one is made per offer, and it is 3 times cheaper.
    """

    at: Millis
    seq: int
    kind: str
    agent_id: AgentId | None = None
    contact_id: ContactId | None = None
    expected_state: ContactState | None = None
    state_start: Millis = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class FireDeadline(Command):
    deadline: Deadline
