"""The state of one instance and `evolve`, which applies one event to it in place.

State is engine-owned `__slots__` records (DESIGN §7): `evolve` is deterministic and free of I/O,
so replaying the same events always rebuilds the same state, routing indexes and deadlines included.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any

from switchboard.domain import events as ev
from switchboard.domain.commands import Deadline
from switchboard.domain.model import (
    FAILED_STATES,
    Agent,
    AgentId,
    AgentStatusDef,
    AvailabilityTimer,
    Channel,
    Contact,
    ContactId,
    ContactPhase,
    ContactState,
    DisconnectReason,
    InitiationMethod,
    InstanceSettings,
    Millis,
    Queue,
    QueueId,
    RoutingProfile,
    RoutingProfileId,
    Slot,
    StatusId,
    StatusType,
)
from switchboard.domain.routing import Router

OFFER_TIMEOUT = "offer-timeout"
ACW_LIMIT = "acw-limit"
MISSED_AUTO_CLEAR = "missed-auto-clear"
ROUTE_WAKE = "route-wake"


class State:
    """Everything one instance knows; mutated only by `evolve`."""

    __slots__ = (
        "agents",
        "available_id",
        "contact_ids",
        "contact_seq",
        "contacts",
        "deadline_seq",
        "deadlines",
        "finished",
        "offline_id",
        "profiles",
        "queue_names",
        "queues",
        "router",
        "settings",
        "status_names",
        "statuses",
        "usernames",
    )

    def __init__(self) -> None:
        self.settings = InstanceSettings()
        self.available_id = StatusId("")
        self.offline_id = StatusId("")
        self.statuses: dict[StatusId, AgentStatusDef] = {}
        self.status_names: dict[str, StatusId] = {}
        self.queues: dict[QueueId, Queue] = {}
        self.queue_names: dict[str, QueueId] = {}
        self.profiles: dict[RoutingProfileId, RoutingProfile] = {}
        self.agents: dict[AgentId, Agent] = {}
        self.usernames: dict[str, AgentId] = {}
        self.contacts: dict[ContactId, Contact] = {}
        """Contacts in progress; a contact leaves when its record is final."""
        self.contact_ids: set[ContactId] = set()
        """Every ContactId ever used: a ContactId names exactly one record."""
        self.finished: list[Contact] = []
        """Contacts whose record became final, in order; the engine drains this outbox."""
        self.router = Router()
        self.deadlines: list[tuple[Millis, int, Deadline]] = []
        """A heap keyed by (time, sequence) so that comparisons stay in C."""
        self.deadline_seq = 0
        self.contact_seq = 0

    @property
    def created(self) -> bool:
        return bool(self.available_id)

    def status_type(self, agent: Agent) -> StatusType:
        return self.statuses[agent.status_id].type

    def next_deadline(self) -> Deadline | None:
        return self.deadlines[0][2] if self.deadlines else None

    def pop_deadline(self) -> Deadline:
        return heapq.heappop(self.deadlines)[2]

    # --- helpers used by evolve ----------------------------------------------------------------

    def _schedule(  # noqa: PLR0917 - a deadline's fields, in the order Deadline declares them
        self,
        at: Millis,
        kind: str,
        agent_id: AgentId | None = None,
        contact_id: ContactId | None = None,
        expected_state: ContactState | None = None,
        state_start: Millis = 0,
    ) -> None:
        self.deadline_seq += 1
        deadline = Deadline(
            at=at,
            seq=self.deadline_seq,
            kind=kind,
            agent_id=agent_id,
            contact_id=contact_id,
            expected_state=expected_state,
            state_start=state_start,
        )
        heapq.heappush(self.deadlines, (at, self.deadline_seq, deadline))

    def _refresh(self, agent: Agent) -> None:
        self.router.refresh_agent(
            agent, self.profiles[agent.profile_id], self.statuses[agent.status_id].type
        )

    def _enqueue(self, contact: Contact, now: Millis) -> None:
        self.router.enqueue(contact)
        assert contact.enqueue_at is not None
        assert contact.queue_id is not None
        delays = {
            line.delay_ms
            for profile in self.profiles.values()
            for line in profile.queues
            if line.queue_id == contact.queue_id and line.channel is contact.channel
        }
        for delay in sorted(delays):
            if contact.enqueue_at + delay > now:
                self._schedule(contact.enqueue_at + delay, ROUTE_WAKE, contact_id=contact.id)

    def _finish(self, contact: Contact) -> None:
        contact.phase = ContactPhase.COMPLETED
        del self.contacts[contact.id]
        self.finished.append(contact)

    def _set_failed(self, agent: Agent, slot: Slot, state: ContactState, at: Millis) -> None:
        slot.state = state
        slot.state_start = at
        if self.settings.missed_auto_clear_ms is not None:
            self._schedule(
                at + self.settings.missed_auto_clear_ms,
                MISSED_AUTO_CLEAR,
                agent.id,
                slot.contact.id,
                state,
                at,
            )


def evolve(state: State, event: ev.Event) -> None:
    """Apply one event to `state` in place."""
    _HANDLERS[type(event)](state, event)


# --- configuration -----------------------------------------------------------------------------


def _instance_created(state: State, e: ev.InstanceCreated) -> None:
    state.settings = e.settings
    state.available_id, state.offline_id = e.available_id, e.offline_id
    for status_id, name, kind, order in (
        (e.available_id, "Available", StatusType.ROUTABLE, 1),
        (e.offline_id, "Offline", StatusType.OFFLINE, 2),
    ):
        state.statuses[status_id] = AgentStatusDef(status_id, name, kind, True, order)
        state.status_names[name.casefold()] = status_id


def _status_created(state: State, e: ev.AgentStatusCreated) -> None:
    state.statuses[e.status_id] = AgentStatusDef(
        e.status_id, e.name, e.type, e.enabled, e.display_order, e.description
    )
    state.status_names[e.name.casefold()] = e.status_id


def _status_updated(state: State, e: ev.AgentStatusUpdated) -> None:
    status = state.statuses[e.status_id]
    del state.status_names[status.name.casefold()]
    status.name, status.enabled = e.name, e.enabled
    status.display_order, status.description = e.display_order, e.description
    state.status_names[e.name.casefold()] = e.status_id


def _queue_created(state: State, e: ev.QueueCreated) -> None:
    state.queues[e.queue_id] = Queue(e.queue_id, e.name, e.channels)
    state.queue_names[e.name.casefold()] = e.queue_id


def _profile_created(state: State, e: ev.RoutingProfileCreated) -> None:
    state.profiles[e.profile_id] = RoutingProfile(
        e.profile_id,
        e.name,
        dict(e.concurrency),
        dict(e.cross_channel),
        e.queues,
        e.default_outbound_queue_id,
        e.availability_timer,
    )


def _user_created(state: State, e: ev.UserCreated) -> None:
    agent = Agent(
        id=e.agent_id,
        username=e.username,
        first_name=e.first_name,
        last_name=e.last_name,
        profile_id=e.profile_id,
        acw_timeout_ms=dict(e.acw_timeout_ms),
        auto_accept=dict(e.auto_accept),
        status_id=state.offline_id,
        status_start=e.at,
    )
    state.agents[e.agent_id] = agent
    state.usernames[e.username.casefold()] = e.agent_id
    state._refresh(agent)


def _phone_config_updated(state: State, e: ev.UserPhoneConfigUpdated) -> None:
    agent = state.agents[e.agent_id]
    agent.acw_timeout_ms = dict(e.acw_timeout_ms)
    agent.auto_accept = dict(e.auto_accept)
    agent.config_version += 1


def _routing_profile_updated(state: State, e: ev.UserRoutingProfileUpdated) -> None:
    agent = state.agents[e.agent_id]
    agent.profile_id = e.profile_id
    agent.config_version += 1
    state._refresh(agent)


# --- session and status ------------------------------------------------------------------------


def _logged_in(state: State, e: ev.AgentLoggedIn) -> None:
    state.agents[e.agent_id].logged_in = True


def _logged_out(state: State, e: ev.AgentLoggedOut) -> None:
    state.agents[e.agent_id].logged_in = False


def _status_changed(state: State, e: ev.AgentStatusChanged) -> None:
    agent = state.agents[e.agent_id]
    agent.status_id = e.status_id
    agent.status_start = e.at
    agent.next_status_id = None
    if state.statuses[e.status_id].type is StatusType.ROUTABLE:
        agent.idle_since = e.at
    state._refresh(agent)


def _next_status_set(state: State, e: ev.NextStatusSet) -> None:
    agent = state.agents[e.agent_id]
    agent.next_status_id = e.status_id
    agent.next_status_at = e.at
    state._refresh(agent)


def _next_status_cancelled(state: State, e: ev.NextStatusCancelled) -> None:
    agent = state.agents[e.agent_id]
    agent.next_status_id = None
    state._refresh(agent)


# --- contacts ----------------------------------------------------------------------------------


def _contact_queued(state: State, e: ev.ContactQueued) -> None:
    state.contact_seq += 1
    contact = Contact(
        id=e.contact_id,
        channel=e.channel,
        method=e.method,
        queue_id=e.queue_id,
        initiated_at=e.at,
        arrival_seq=state.contact_seq,
        attributes=e.attributes,
        customer_endpoint=e.customer_endpoint,
    )
    contact.enqueue_at = e.at
    contact.system_connected_at = e.at
    state.contacts[e.contact_id] = contact
    state.contact_ids.add(e.contact_id)
    state._enqueue(contact, e.at)


def _contact_transferred(state: State, e: ev.ContactTransferred) -> None:
    state.contacts[e.previous_contact_id].next_id = e.contact_id
    state.contact_seq += 1
    contact = Contact(
        id=e.contact_id,
        channel=e.channel,
        method=InitiationMethod.TRANSFER,
        queue_id=e.queue_id,
        initiated_at=e.at,
        arrival_seq=state.contact_seq,
        attributes=e.attributes,
        customer_endpoint=e.customer_endpoint,
    )
    contact.initial_id = e.initial_contact_id
    contact.previous_id = e.previous_contact_id
    contact.enqueue_at = e.at
    contact.system_connected_at = e.at  # the customer is still on the line
    state.contacts[e.contact_id] = contact
    state.contact_ids.add(e.contact_id)
    state._enqueue(contact, e.at)


def _contact_offered(state: State, e: ev.ContactOffered) -> None:
    contact = state.contacts[e.contact_id]
    agent = state.agents[e.agent_id]
    state.router.dequeue(contact)
    contact.phase = ContactPhase.OFFERED
    contact.agent_id = agent.id
    contact.attempts += 1
    agent.slots[contact.id] = Slot(contact, ContactState.CONNECTING, e.at)
    agent.idle_since = e.at
    state._schedule(
        e.at + state.settings.offer_timeout_ms,
        OFFER_TIMEOUT,
        agent.id,
        contact.id,
        ContactState.CONNECTING,
        e.at,
    )
    state._refresh(agent)


def _contact_accepted(state: State, e: ev.ContactAccepted) -> None:
    agent = state.agents[e.agent_id]
    slot = agent.slots[e.contact_id]
    contact = slot.contact
    slot.state = ContactState.CONNECTED
    slot.state_start = slot.connected_at = e.at
    contact.phase = ContactPhase.CONNECTED
    contact.connected_at = contact.dequeue_at = e.at
    contact.agent_profile_id = agent.profile_id


def _contact_missed(state: State, e: ev.ContactMissed) -> None:
    agent = state.agents[e.agent_id]
    slot = agent.slots[e.contact_id]
    state._set_failed(agent, slot, e.state, e.at)
    contact = slot.contact
    if e.requeued:
        contact.agent_id = None
        state._enqueue(contact, e.at)
    state._refresh(agent)


def _contact_abandoned(state: State, e: ev.ContactAbandoned) -> None:
    contact = state.contacts[e.contact_id]
    state.router.dequeue(contact)
    contact.agent_id = None
    contact.disconnect_at = contact.dequeue_at = e.at
    contact.disconnect_reason = e.reason
    state._finish(contact)


def _contact_held(state: State, e: ev.ContactHeld) -> None:
    slot = state.agents[e.agent_id].slots[e.contact_id]
    slot.state = ContactState.CONNECTED_ONHOLD  # StateStartTimestamp does not move on hold
    slot.contact.hold_count += 1
    slot.contact.hold_started_at = e.at


def _end_hold(contact: Contact, at: Millis) -> None:
    if contact.hold_started_at is not None:
        held = at - contact.hold_started_at
        contact.hold_total_ms += held
        contact.hold_longest_ms = max(contact.hold_longest_ms, held)
        contact.hold_started_at = None


def _contact_resumed(state: State, e: ev.ContactResumed) -> None:
    slot = state.agents[e.agent_id].slots[e.contact_id]
    slot.state = ContactState.CONNECTED
    _end_hold(slot.contact, e.at)


def _contact_disconnected(state: State, e: ev.ContactDisconnected) -> None:
    agent = state.agents[e.agent_id]
    slot = agent.slots[e.contact_id]
    contact = slot.contact
    _end_hold(contact, e.at)
    slot.state = ContactState.ENDED
    slot.state_start = e.at
    contact.phase = ContactPhase.AFTER_CONTACT_WORK
    contact.disconnect_at = contact.acw_start = e.at
    contact.disconnect_reason = e.reason
    limit = agent.acw_timeout_ms.get(contact.channel, 0)
    if limit > 0:
        state._schedule(e.at + limit, ACW_LIMIT, agent.id, contact.id, ContactState.ENDED, e.at)
    state._refresh(agent)


def _contact_cleared(state: State, e: ev.ContactCleared) -> None:
    agent = state.agents[e.agent_id]
    slot = agent.slots.pop(e.contact_id)
    contact = slot.contact
    if slot.state is ContactState.ENDED:
        contact.acw_end = e.at
        state._finish(contact)
    if not agent.slots:
        profile = state.profiles[agent.profile_id]
        if not (
            contact.method is InitiationMethod.OUTBOUND
            and profile.availability_timer is AvailabilityTimer.TIME_SINCE_LAST_INBOUND
        ):
            agent.idle_since = e.at
    state._refresh(agent)


def _outbound_dialed(state: State, e: ev.OutboundDialed) -> None:
    agent = state.agents[e.agent_id]
    state.contact_seq += 1
    contact = Contact(
        id=e.contact_id,
        channel=Channel.VOICE,
        method=InitiationMethod.OUTBOUND,
        queue_id=e.queue_id,
        initiated_at=e.at,
        arrival_seq=state.contact_seq,
        attributes=e.attributes,
        customer_endpoint=e.customer_endpoint,
    )
    contact.phase = ContactPhase.DIALING
    contact.agent_id = agent.id
    contact.agent_profile_id = agent.profile_id
    contact.connected_at = e.at  # the agent's leg is up from the moment they dial
    contact.attempts = 1
    state.contacts[contact.id] = contact
    state.contact_ids.add(contact.id)
    agent.slots[contact.id] = Slot(contact, ContactState.CONNECTING, e.at)
    profile = state.profiles[agent.profile_id]
    if profile.availability_timer is AvailabilityTimer.TIME_SINCE_LAST_ACTIVITY:
        agent.idle_since = e.at
    state._refresh(agent)


def _outbound_answered(state: State, e: ev.OutboundAnswered) -> None:
    slot = state.agents[e.agent_id].slots[e.contact_id]
    slot.state = ContactState.CONNECTED
    slot.state_start = slot.connected_at = e.at
    slot.contact.phase = ContactPhase.CONNECTED
    slot.contact.system_connected_at = e.at


def _outbound_failed(state: State, e: ev.OutboundFailed) -> None:
    agent = state.agents[e.agent_id]
    slot = agent.slots[e.contact_id]
    contact = slot.contact
    state._set_failed(agent, slot, ContactState.ERROR, e.at)
    contact.disconnect_at = e.at
    contact.disconnect_reason = DisconnectReason.OTHER
    state._finish(contact)
    state._refresh(agent)


_HANDLERS: dict[type[ev.Event], Callable[[State, Any], None]] = {
    ev.InstanceCreated: _instance_created,
    ev.AgentStatusCreated: _status_created,
    ev.AgentStatusUpdated: _status_updated,
    ev.QueueCreated: _queue_created,
    ev.RoutingProfileCreated: _profile_created,
    ev.UserCreated: _user_created,
    ev.UserPhoneConfigUpdated: _phone_config_updated,
    ev.UserRoutingProfileUpdated: _routing_profile_updated,
    ev.AgentLoggedIn: _logged_in,
    ev.AgentLoggedOut: _logged_out,
    ev.AgentStatusChanged: _status_changed,
    ev.NextStatusSet: _next_status_set,
    ev.NextStatusCancelled: _next_status_cancelled,
    ev.ContactQueued: _contact_queued,
    ev.ContactTransferred: _contact_transferred,
    ev.ContactOffered: _contact_offered,
    ev.ContactAccepted: _contact_accepted,
    ev.ContactMissed: _contact_missed,
    ev.ContactAbandoned: _contact_abandoned,
    ev.ContactHeld: _contact_held,
    ev.ContactResumed: _contact_resumed,
    ev.ContactDisconnected: _contact_disconnected,
    ev.ContactCleared: _contact_cleared,
    ev.OutboundDialed: _outbound_dialed,
    ev.OutboundAnswered: _outbound_answered,
    ev.OutboundFailed: _outbound_failed,
}

__all__ = [
    "ACW_LIMIT",
    "FAILED_STATES",
    "MISSED_AUTO_CLEAR",
    "OFFER_TIMEOUT",
    "ROUTE_WAKE",
    "State",
    "evolve",
]
