"""`decide`: the rules of DESIGN §3 as one function from (state, command, now) to events.

Each handler first checks every guard (raising a typed `DomainError` that says what was refused and
why) and only then emits; emitting applies the event to the state at once, so later rules in the
same decision see its effect. After every command the router offers whatever it can.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from switchboard.domain import commands as cmd
from switchboard.domain import events as ev
from switchboard.domain.errors import Duplicate, IllegalTransition, InvalidParameter, NotFound
from switchboard.domain.model import (
    CLEARABLE_STATES,
    FAILED_STATES,
    MAX_CONCURRENCY,
    TRANSFERABLE_STATES,
    AcwOnStatusChange,
    Agent,
    AgentId,
    AgentStatusDef,
    Channel,
    Contact,
    ContactId,
    ContactPhase,
    ContactState,
    CrossChannelBehavior,
    DisconnectReason,
    InitiationMethod,
    Millis,
    Slot,
    StatusType,
)
from switchboard.domain.state import (
    ACW_LIMIT,
    MISSED_AUTO_CLEAR,
    OFFER_TIMEOUT,
    ROUTE_WAKE,
    State,
    evolve,
)
from switchboard.domain.transitions import Move, allowed, sources

MAX_STATUSES = 50
MAX_ACW_MS = 2_000_000 * 1000
SYSTEM_ACTOR = "system"


class Decision:
    """The events of one command, applied to the state as they are emitted."""

    __slots__ = ("events", "now", "observer", "state")

    def __init__(
        self, state: State, now: Millis, observer: Callable[[ev.Event], None] | None = None
    ) -> None:
        self.state = state
        self.now = now
        self.observer = observer
        self.events: list[ev.Event] = []

    def emit(self, event: ev.Event) -> None:
        evolve(self.state, event)
        self.events.append(event)
        if self.observer is not None:
            self.observer(event)


Observer = Callable[[ev.Event], None]


def decide(
    state: State, command: cmd.Command, now: Millis, observer: Observer | None = None
) -> list[ev.Event]:
    """Turn one command into the events it causes (routing included), or raise `DomainError`.

    `observer`, if given, sees each event right after it is applied (projections need the state
    as it was at that event, not at the end of the command).
    """
    if not state.created and not isinstance(command, cmd.CreateInstance):
        raise IllegalTransition(subject="the instance", state="not created", move="run commands")
    decision = Decision(state, now, observer)
    _DECIDERS[type(command)](decision, command)
    route(decision)
    return decision.events


def route(d: Decision) -> None:
    """Offer queued contacts to routable agents until no pair matches (DESIGN §4)."""
    router = d.state.router
    while (match := router.next_match(d.state, d.now)) is not None:
        agent, contact = match.agent, match.contact
        d.emit(
            ev.ContactOffered(
                at=d.now,
                agent_id=agent.id,
                contact_id=contact.id,
                route=ev.RouteInfo(
                    queue_id=match.queue_id,
                    priority=match.priority,
                    candidates=match.candidates,
                    idle_since=agent.idle_since,
                ),
            )
        )
        if agent.auto_accept.get(contact.channel, False):
            d.emit(
                ev.ContactAccepted(at=d.now, agent_id=agent.id, contact_id=contact.id, auto=True)
            )


# --- lookups with precise errors ---------------------------------------------------------------


def _agent(state: State, agent_id: AgentId) -> Agent:
    agent = state.agents.get(agent_id)
    if agent is None:
        raise NotFound(f"unknown agent {agent_id!r}")
    return agent


def _slot(state: State, agent: Agent, contact_id: ContactId) -> Slot:
    slot = agent.slots.get(contact_id)
    if slot is None:
        if contact_id in state.contacts:
            raise IllegalTransition(
                subject=f"contact {contact_id}",
                state="not on this agent",
                move=f"act on it as {agent.username}",
            )
        raise NotFound(f"agent {agent.username} holds no contact {contact_id!r}")
    return slot


def _contact(state: State, contact_id: ContactId) -> Contact:
    contact = state.contacts.get(contact_id)
    if contact is None:
        raise NotFound(f"no contact {contact_id!r} is in progress")
    return contact


def _refuse(slot: Slot, agent: Agent, move: str, why: str = "") -> IllegalTransition:
    return IllegalTransition(
        subject=f"contact {slot.contact.id} on {agent.username}",
        state=slot.state.value,
        move=move,
        why=why,
    )


def _check_move(slot: Slot, agent: Agent, move: Move, verb: str, why: str = "") -> None:
    """Refuse a move the transition table does not allow from the slot's state."""
    if not allowed(slot.state, move, outbound=slot.is_outbound):
        legal = ", ".join(state.value for state in sources(move, outbound=slot.is_outbound))
        raise _refuse(slot, agent, verb, why or f"allowed only from {legal}")


def _check_name(name: str, what: str, longest: int) -> None:
    if not 1 <= len(name) <= longest:
        raise InvalidParameter(f"{what} must be 1 to {longest} characters, got {len(name)}")


def _pairs_channels(pairs: tuple[tuple[Channel, Any], ...], what: str) -> None:
    for channel, _ in pairs:
        if not isinstance(channel, Channel):
            raise InvalidParameter(f"{what}: unknown channel {channel!r}")


# --- configuration -----------------------------------------------------------------------------


def _create_instance(d: Decision, c: cmd.CreateInstance) -> None:
    if d.state.created:
        raise Duplicate(f"instance {d.state.settings.instance_id!r} already exists")
    if c.settings.offer_timeout_ms <= 0:
        raise InvalidParameter("offer timeout must be positive")
    d.emit(
        ev.InstanceCreated(
            at=d.now, settings=c.settings, available_id=c.available_id, offline_id=c.offline_id
        )
    )


def _check_display_order(order: int) -> None:
    if not 1 <= order <= MAX_STATUSES:
        raise InvalidParameter(f"DisplayOrder must be 1 to {MAX_STATUSES}, got {order}")


def _create_agent_status(d: Decision, c: cmd.CreateAgentStatus) -> None:
    state = d.state
    _check_name(c.name, "status name", 127)
    if c.type is not StatusType.CUSTOM:
        raise InvalidParameter("only CUSTOM statuses can be created; Available and Offline exist")
    if c.name.casefold() in state.status_names:
        raise Duplicate(f"an agent status named {c.name!r} already exists")
    if c.status_id in state.statuses:
        raise Duplicate(f"agent status id {c.status_id!r} already exists")
    if len(state.statuses) >= MAX_STATUSES:
        raise InvalidParameter(f"an instance holds at most {MAX_STATUSES} agent statuses")
    order = c.display_order
    if order is None:
        order = min(MAX_STATUSES, max(s.display_order for s in state.statuses.values()) + 1)
    _check_display_order(order)
    d.emit(
        ev.AgentStatusCreated(
            at=d.now,
            status_id=c.status_id,
            name=c.name,
            type=c.type,
            enabled=c.enabled,
            display_order=order,
            description=c.description,
        )
    )


def _status(state: State, status_id: Any) -> AgentStatusDef:
    status = state.statuses.get(status_id)
    if status is None:
        raise NotFound(f"unknown agent status {status_id!r}")
    return status


def _update_agent_status(d: Decision, c: cmd.UpdateAgentStatus) -> None:
    state = d.state
    status = _status(state, c.status_id)
    name = status.name if c.name is None else c.name
    _check_name(name, "status name", 127)
    owner = state.status_names.get(name.casefold())
    if owner is not None and owner != status.id:
        raise Duplicate(f"an agent status named {name!r} already exists")
    enabled = status.enabled if c.enabled is None else c.enabled
    if not enabled and status.type is not StatusType.CUSTOM:
        raise InvalidParameter(f"{status.name} ({status.type.value}) cannot be disabled")
    order = status.display_order if c.display_order is None else c.display_order
    _check_display_order(order)
    d.emit(
        ev.AgentStatusUpdated(
            at=d.now,
            status_id=status.id,
            name=name,
            enabled=enabled,
            display_order=order,
            description=status.description if c.description is None else c.description,
        )
    )


def _create_queue(d: Decision, c: cmd.CreateQueue) -> None:
    _check_name(c.name, "queue name", 127)
    if c.name.casefold() in d.state.queue_names or c.queue_id in d.state.queues:
        raise Duplicate(f"a queue named {c.name!r} already exists")
    if not c.channels:
        raise InvalidParameter(f"queue {c.name!r} needs at least one channel")
    d.emit(ev.QueueCreated(at=d.now, queue_id=c.queue_id, name=c.name, channels=c.channels))


def _create_routing_profile(d: Decision, c: cmd.CreateRoutingProfile) -> None:
    state = d.state
    _check_name(c.name, "routing profile name", 127)
    if c.profile_id in state.profiles or any(
        p.name.casefold() == c.name.casefold() for p in state.profiles.values()
    ):
        raise Duplicate(f"a routing profile named {c.name!r} already exists")
    _pairs_channels(c.concurrency, "concurrency")
    _pairs_channels(c.cross_channel, "cross-channel behaviour")
    concurrency = dict(c.concurrency)
    if not any(concurrency.values()):
        raise InvalidParameter(f"routing profile {c.name!r} needs at least one channel")
    for channel, slots in concurrency.items():
        if not 1 <= slots <= MAX_CONCURRENCY[channel]:
            raise InvalidParameter(
                f"{channel.value} concurrency must be 1 to {MAX_CONCURRENCY[channel]}, got {slots}"
            )
    for _, behaviour in c.cross_channel:
        if not isinstance(behaviour, CrossChannelBehavior):
            raise InvalidParameter(f"unknown cross-channel behaviour {behaviour!r}")
    seen: set[tuple[str, Channel]] = set()
    for line in c.queues:
        queue = state.queues.get(line.queue_id)
        if queue is None:
            raise NotFound(f"routing profile {c.name!r} names unknown queue {line.queue_id!r}")
        if concurrency.get(line.channel, 0) <= 0:
            raise InvalidParameter(
                f"queue {queue.name!r} is listed on {line.channel.value}, "
                f"which routing profile {c.name!r} has no slots for"
            )
        if not 1 <= line.priority <= 99:
            raise InvalidParameter(f"priority must be 1 to 99, got {line.priority}")
        if not 0 <= line.delay_ms <= 9_999_000:
            raise InvalidParameter(f"delay must be 0 to 9999 s, got {line.delay_ms / 1000:g} s")
        if (line.queue_id, line.channel) in seen:
            raise Duplicate(f"queue {queue.name!r} is listed twice on {line.channel.value}")
        seen.add((line.queue_id, line.channel))
    if c.default_outbound_queue_id is not None and c.default_outbound_queue_id not in state.queues:
        raise NotFound(f"unknown default outbound queue {c.default_outbound_queue_id!r}")
    d.emit(
        ev.RoutingProfileCreated(
            at=d.now,
            profile_id=c.profile_id,
            name=c.name,
            concurrency=c.concurrency,
            cross_channel=c.cross_channel,
            queues=c.queues,
            default_outbound_queue_id=c.default_outbound_queue_id,
            availability_timer=c.availability_timer,
        )
    )


def _check_phone_config(
    acw: tuple[tuple[Channel, Millis], ...], auto: tuple[tuple[Channel, bool], ...]
) -> None:
    _pairs_channels(acw, "ACW time limit")
    _pairs_channels(auto, "auto-accept")
    for channel, limit in acw:
        if not 0 <= limit <= MAX_ACW_MS:
            raise InvalidParameter(
                f"{channel.value} ACW time limit must be 0 to 2000000 s, got {limit / 1000:g} s"
            )


def _create_user(d: Decision, c: cmd.CreateUser) -> None:
    state = d.state
    _check_name(c.username, "username", 100)
    _check_name(c.first_name, "first name", 100)
    _check_name(c.last_name, "last name", 100)
    if c.username.casefold() in state.usernames or c.agent_id in state.agents:
        raise Duplicate(f"a user named {c.username!r} already exists")
    if c.profile_id not in state.profiles:
        raise NotFound(f"unknown routing profile {c.profile_id!r}")
    _check_phone_config(c.acw_timeout_ms, c.auto_accept)
    d.emit(
        ev.UserCreated(
            at=d.now,
            agent_id=c.agent_id,
            username=c.username,
            first_name=c.first_name,
            last_name=c.last_name,
            profile_id=c.profile_id,
            acw_timeout_ms=c.acw_timeout_ms,
            auto_accept=c.auto_accept,
        )
    )


def _update_phone_config(d: Decision, c: cmd.UpdateUserPhoneConfig) -> None:
    agent = _agent(d.state, c.agent_id)
    _check_phone_config(c.acw_timeout_ms, c.auto_accept)
    acw = {**agent.acw_timeout_ms, **dict(c.acw_timeout_ms)}
    auto = {**agent.auto_accept, **dict(c.auto_accept)}
    d.emit(
        ev.UserPhoneConfigUpdated(
            at=d.now,
            agent_id=agent.id,
            acw_timeout_ms=tuple(acw.items()),
            auto_accept=tuple(auto.items()),
            auto_accept_changed=auto != agent.auto_accept,
        )
    )


def _update_routing_profile(d: Decision, c: cmd.UpdateUserRoutingProfile) -> None:
    agent = _agent(d.state, c.agent_id)
    if c.profile_id not in d.state.profiles:
        raise NotFound(f"unknown routing profile {c.profile_id!r}")
    if c.profile_id != agent.profile_id:
        d.emit(ev.UserRoutingProfileUpdated(at=d.now, agent_id=agent.id, profile_id=c.profile_id))


# --- session and status ------------------------------------------------------------------------


def _login(d: Decision, c: cmd.Login) -> None:
    agent = _agent(d.state, c.agent_id)
    if agent.logged_in:
        raise IllegalTransition(subject=f"agent {agent.username}", state="logged in", move="log in")
    d.emit(ev.AgentLoggedIn(at=d.now, agent_id=agent.id))


def _logout(d: Decision, c: cmd.Logout) -> None:
    state = d.state
    agent = _agent(state, c.agent_id)
    if not agent.logged_in:
        raise IllegalTransition(
            subject=f"agent {agent.username}", state="logged out", move="log out"
        )
    if agent.has_live_contact and not c.forced:
        live = next(s for s in agent.slots.values() if s.state not in CLEARABLE_STATES)
        raise IllegalTransition(
            subject=f"agent {agent.username}",
            state=f"on contact {live.contact.id} ({live.state.value})",
            move="log out",
            why="end the contact first, or force the logout as a supervisor",
        )
    for slot in list(agent.slots.values()):
        _end_for_logout(d, agent, slot)
    for slot in list(agent.slots.values()):
        d.emit(
            ev.ContactCleared(
                at=d.now, agent_id=agent.id, contact_id=slot.contact.id, actor=c.actor
            )
        )
    if agent.status_id != state.offline_id or agent.next_status_id is not None:
        # a forced logout or a lost session sets Offline as the system (DESIGN §3.11)
        actor = SYSTEM_ACTOR if c.forced else c.actor
        d.emit(
            ev.AgentStatusChanged(
                at=d.now, agent_id=agent.id, status_id=state.offline_id, actor=actor
            )
        )
    d.emit(ev.AgentLoggedOut(at=d.now, agent_id=agent.id, actor=c.actor))


def _end_for_logout(d: Decision, agent: Agent, slot: Slot) -> None:
    """A forced logout ends what is still live (DESIGN §3.11)."""
    contact = slot.contact
    if slot.state is ContactState.CONNECTING and slot.is_outbound:
        d.emit(ev.OutboundFailed(at=d.now, agent_id=agent.id, contact_id=contact.id))
    elif slot.state is ContactState.CONNECTING:
        d.emit(
            ev.ContactMissed(
                at=d.now,
                agent_id=agent.id,
                contact_id=contact.id,
                state=ContactState.MISSED,
                reason=ev.MissReason.AGENT_LOGGED_OUT,
                requeued=True,
            )
        )
    elif slot.state in (ContactState.CONNECTED, ContactState.CONNECTED_ONHOLD):
        d.emit(
            ev.ContactDisconnected(
                at=d.now, agent_id=agent.id, contact_id=contact.id, reason=DisconnectReason.OTHER
            )
        )


def _set_status(d: Decision, c: cmd.SetStatus) -> None:
    state = d.state
    agent = _agent(state, c.agent_id)
    target = _status(state, c.status_id)
    if not target.enabled:
        raise IllegalTransition(
            subject=f"agent status {target.name!r}", state="disabled", move="choose it"
        )
    if target.type is StatusType.ROUTABLE:
        if agent.next_status_id is not None:
            d.emit(ev.NextStatusCancelled(at=d.now, agent_id=agent.id, actor=c.actor))
        for slot in [s for s in agent.slots.values() if s.state in FAILED_STATES]:
            d.emit(
                ev.ContactCleared(
                    at=d.now, agent_id=agent.id, contact_id=slot.contact.id, actor=c.actor
                )
            )
        if agent.status_id != target.id:
            d.emit(
                ev.AgentStatusChanged(
                    at=d.now, agent_id=agent.id, status_id=target.id, actor=c.actor
                )
            )
        return
    if target.id == agent.status_id:
        if agent.next_status_id is not None:
            d.emit(ev.NextStatusCancelled(at=d.now, agent_id=agent.id, actor=c.actor))
        return
    if not agent.slots:
        d.emit(
            ev.AgentStatusChanged(at=d.now, agent_id=agent.id, status_id=target.id, actor=c.actor)
        )
        return
    # DESIGN §3.9: (a) next status, (b) clear what can be cleared, (c) the status once none is left
    if agent.next_status_id != target.id:
        d.emit(ev.NextStatusSet(at=d.now, agent_id=agent.id, status_id=target.id, actor=c.actor))
    clear_acw = state.settings.acw_on_status_change is AcwOnStatusChange.CLEAR
    for slot in list(agent.slots.values()):
        if slot.state in FAILED_STATES or (clear_acw and slot.state is ContactState.ENDED):
            d.emit(
                ev.ContactCleared(
                    at=d.now, agent_id=agent.id, contact_id=slot.contact.id, actor=c.actor
                )
            )
    _apply_next_status(d, agent)


def _apply_next_status(d: Decision, agent: Agent) -> None:
    """When the last slot clears, the next status becomes the status."""
    if agent.next_status_id is not None and not agent.slots:
        d.emit(
            ev.AgentStatusChanged(
                at=d.now, agent_id=agent.id, status_id=agent.next_status_id, actor=SYSTEM_ACTOR
            )
        )


# --- the agent's contacts ----------------------------------------------------------------------


def _offered_slot(
    d: Decision, agent_id: AgentId, contact_id: ContactId, move: Move, verb: str
) -> tuple[Agent, Slot]:
    agent = _agent(d.state, agent_id)
    slot = _slot(d.state, agent, contact_id)
    why = "the offer expired or was rejected" if slot.state in FAILED_STATES else ""
    if slot.is_outbound and slot.state is ContactState.CONNECTING:
        why = "it is the agent's own outbound call"
    _check_move(slot, agent, move, verb, why)
    return agent, slot


def _accept(d: Decision, c: cmd.AcceptContact) -> None:
    agent, slot = _offered_slot(d, c.agent_id, c.contact_id, Move.ACCEPT, "accept")
    d.emit(ev.ContactAccepted(at=d.now, agent_id=agent.id, contact_id=slot.contact.id))


def _failed_state_for_reject(channel: Channel) -> ContactState:
    # Rejected voice contacts appear as MISSED; chats and tasks as REJECTED (S-CS).
    return ContactState.MISSED if channel is Channel.VOICE else ContactState.REJECTED


def _reject(d: Decision, c: cmd.RejectContact) -> None:
    agent, slot = _offered_slot(d, c.agent_id, c.contact_id, Move.REJECT, "reject")
    d.emit(
        ev.ContactMissed(
            at=d.now,
            agent_id=agent.id,
            contact_id=slot.contact.id,
            state=_failed_state_for_reject(slot.contact.channel),
            reason=ev.MissReason.REJECTED,
            requeued=True,
        )
    )


def _hold(d: Decision, c: cmd.HoldContact) -> None:
    agent = _agent(d.state, c.agent_id)
    slot = _slot(d.state, agent, c.contact_id)
    if slot.contact.channel is not Channel.VOICE:
        raise _refuse(
            slot, agent, "hold", f"hold is for voice contacts, this is {slot.contact.channel.value}"
        )
    _check_move(slot, agent, Move.HOLD, "hold")
    d.emit(ev.ContactHeld(at=d.now, agent_id=agent.id, contact_id=slot.contact.id))


def _resume(d: Decision, c: cmd.ResumeContact) -> None:
    agent = _agent(d.state, c.agent_id)
    slot = _slot(d.state, agent, c.contact_id)
    _check_move(slot, agent, Move.RESUME, "resume", "only a contact on hold can be resumed")
    d.emit(ev.ContactResumed(at=d.now, agent_id=agent.id, contact_id=slot.contact.id))


def _end(d: Decision, c: cmd.EndContact) -> None:
    agent = _agent(d.state, c.agent_id)
    slot = _slot(d.state, agent, c.contact_id)
    why = "reject the offer instead" if slot.state is ContactState.CONNECTING else ""
    _check_move(slot, agent, Move.END, "end the contact", why)
    d.emit(
        ev.ContactDisconnected(
            at=d.now,
            agent_id=agent.id,
            contact_id=slot.contact.id,
            reason=DisconnectReason.AGENT_DISCONNECT,
        )
    )


def _clear(d: Decision, c: cmd.ClearContact) -> None:
    agent = _agent(d.state, c.agent_id)
    slot = _slot(d.state, agent, c.contact_id)
    _check_move(
        slot,
        agent,
        Move.CLEAR,
        "clear",
        "only MISSED, REJECTED, ERROR or ENDED (ACW) contacts clear",
    )
    d.emit(
        ev.ContactCleared(at=d.now, agent_id=agent.id, contact_id=slot.contact.id, actor=c.actor)
    )
    _apply_next_status(d, agent)


def _transfer_to_queue(d: Decision, c: cmd.TransferToQueue) -> None:
    """DESIGN §3.14: the agent's copy ends (ACW follows, as for any ended conversation) and a new
    contact, chained to it, waits in the target queue with a new enqueue time."""
    state = d.state
    agent = _agent(state, c.agent_id)
    slot = _slot(state, agent, c.contact_id)
    contact = slot.contact
    if slot.state not in TRANSFERABLE_STATES:
        raise _refuse(slot, agent, "transfer", "only a connected contact, or one on hold, can be")
    # The agent leaves the conversation: the table's END row, to ENDED (ACW).
    _check_move(slot, agent, Move.END, "transfer")
    queue = state.queues.get(c.queue_id)
    if queue is None:
        raise NotFound(f"unknown queue {c.queue_id!r}")
    if contact.channel not in queue.channels:
        raise InvalidParameter(
            f"queue {queue.name!r} does not take {contact.channel.value} contacts"
        )
    _check_new_contact_id(state, c.new_contact_id)
    d.emit(
        ev.ContactDisconnected(
            at=d.now,
            agent_id=agent.id,
            contact_id=contact.id,
            reason=DisconnectReason.AGENT_DISCONNECT,
        )
    )
    d.emit(
        ev.ContactTransferred(
            at=d.now,
            contact_id=c.new_contact_id,
            previous_contact_id=contact.id,
            initial_contact_id=contact.initial_id or contact.id,
            channel=contact.channel,
            queue_id=queue.id,
            transferred_by=agent.id,
            attributes=contact.attributes,
            customer_endpoint=contact.customer_endpoint,
        )
    )


def _check_new_contact_id(state: State, contact_id: ContactId) -> None:
    if not 1 <= len(contact_id) <= 256:
        raise InvalidParameter("ContactId must be 1 to 256 characters")
    if contact_id in state.contact_ids:
        raise Duplicate(f"contact {contact_id!r} already exists")


def _dial_out(d: Decision, c: cmd.DialOut) -> None:
    state = d.state
    agent = _agent(state, c.agent_id)
    _check_new_contact_id(state, c.contact_id)
    profile = state.profiles[agent.profile_id]
    voice_slots = profile.concurrency.get(Channel.VOICE, 0)
    if agent.held_on(Channel.VOICE) >= voice_slots:
        raise IllegalTransition(
            subject=f"agent {agent.username}",
            state=f"using {agent.held_on(Channel.VOICE)} of {voice_slots} voice slots",
            move="dial out",
            why="no free voice slot",
        )
    queue_id = c.queue_id if c.queue_id is not None else profile.outbound_queue_id
    if queue_id is not None and queue_id not in state.queues:
        raise NotFound(f"unknown queue {queue_id!r}")
    d.emit(
        ev.OutboundDialed(
            at=d.now,
            agent_id=agent.id,
            contact_id=c.contact_id,
            queue_id=queue_id,
            customer_endpoint=c.customer_endpoint,
            attributes=c.attributes,
        )
    )


# --- customers, network and API ----------------------------------------------------------------


def _inbound(d: Decision, c: cmd.StartInboundContact) -> None:
    state = d.state
    _check_new_contact_id(state, c.contact_id)
    if not isinstance(c.channel, Channel):
        raise InvalidParameter(f"unknown channel {c.channel!r}")
    queue = state.queues.get(c.queue_id)
    if queue is None:
        raise NotFound(f"unknown queue {c.queue_id!r}")
    if c.channel not in queue.channels:
        raise InvalidParameter(f"queue {queue.name!r} does not take {c.channel.value} contacts")
    method = c.method or (
        InitiationMethod.INBOUND if c.channel is Channel.VOICE else InitiationMethod.API
    )
    d.emit(
        ev.ContactQueued(
            at=d.now,
            contact_id=c.contact_id,
            channel=c.channel,
            method=method,
            queue_id=queue.id,
            attributes=c.attributes,
            customer_endpoint=c.customer_endpoint,
        )
    )


def _disconnect(d: Decision, contact: Contact, reason: DisconnectReason) -> None:
    """The far end of a contact goes away, wherever the contact is."""
    state = d.state
    phase = contact.phase
    agent = state.agents[contact.agent_id] if contact.agent_id is not None else None
    if phase is ContactPhase.QUEUED:
        d.emit(ev.ContactAbandoned(at=d.now, contact_id=contact.id, reason=reason))
    elif phase is ContactPhase.OFFERED and agent is not None:
        d.emit(
            ev.ContactMissed(
                at=d.now,
                agent_id=agent.id,
                contact_id=contact.id,
                state=_failed_state_for_reject(contact.channel),
                reason=ev.MissReason.CUSTOMER_HANGUP,
                requeued=False,
            )
        )
        d.emit(ev.ContactAbandoned(at=d.now, contact_id=contact.id, reason=reason))
    elif phase is ContactPhase.DIALING and agent is not None:
        d.emit(ev.OutboundFailed(at=d.now, agent_id=agent.id, contact_id=contact.id))
    elif phase is ContactPhase.CONNECTED and agent is not None:
        d.emit(
            ev.ContactDisconnected(
                at=d.now, agent_id=agent.id, contact_id=contact.id, reason=reason
            )
        )
    else:
        raise IllegalTransition(
            subject=f"contact {contact.id}",
            state=phase.value,
            move="disconnect it",
            why="the conversation has already ended",
        )


def _customer_hangup(d: Decision, c: cmd.CustomerHangup) -> None:
    # A transfer keeps the customer on the line: hanging up ends the contact they are now on.
    contact = _contact(d.state, c.contact_id)
    while contact.next_id is not None and contact.next_id in d.state.contacts:
        contact = d.state.contacts[contact.next_id]
    _disconnect(d, contact, DisconnectReason.CUSTOMER_DISCONNECT)


def _stop_contact(d: Decision, c: cmd.StopContact) -> None:
    _disconnect(d, _contact(d.state, c.contact_id), c.reason)


def _dialing(d: Decision, contact_id: ContactId, move: str) -> Contact:
    contact = _contact(d.state, contact_id)
    if contact.phase is not ContactPhase.DIALING or contact.agent_id is None:
        raise IllegalTransition(
            subject=f"contact {contact.id}", state=contact.phase.value, move=move
        )
    return contact


def _customer_answered(d: Decision, c: cmd.CustomerAnswered) -> None:
    contact = _dialing(d, c.contact_id, "answer it")
    assert contact.agent_id is not None
    d.emit(ev.OutboundAnswered(at=d.now, agent_id=contact.agent_id, contact_id=contact.id))


def _dial_failed(d: Decision, c: cmd.DialFailed) -> None:
    contact = _dialing(d, c.contact_id, "fail the dial")
    assert contact.agent_id is not None
    d.emit(ev.OutboundFailed(at=d.now, agent_id=contact.agent_id, contact_id=contact.id))


# --- timers ------------------------------------------------------------------------------------


def deadline_is_live(state: State, deadline: cmd.Deadline) -> bool:
    """Whether firing `deadline` can change anything: its slot is still as it was when set
    (a routing wake-up is live while anything waits in a queue)."""
    if deadline.kind == ROUTE_WAKE:
        return state.router.queued > 0
    if deadline.agent_id is None or deadline.contact_id is None:
        return False
    agent = state.agents.get(deadline.agent_id)
    slot = agent.slots.get(deadline.contact_id) if agent is not None else None
    return (
        slot is not None
        and slot.state is deadline.expected_state
        and slot.state_start == deadline.state_start
    )


def _fire(d: Decision, c: cmd.FireDeadline) -> None:
    deadline = c.deadline
    if deadline.kind == ROUTE_WAKE or not deadline_is_live(d.state, deadline):
        return  # routing runs after every command; a stale timer does nothing
    assert deadline.agent_id is not None
    assert deadline.contact_id is not None
    agent = d.state.agents[deadline.agent_id]
    contact_id = deadline.contact_id
    if deadline.kind == OFFER_TIMEOUT:
        d.emit(
            ev.ContactMissed(
                at=d.now,
                agent_id=agent.id,
                contact_id=contact_id,
                state=ContactState.MISSED,
                reason=ev.MissReason.TIMEOUT,
                requeued=True,
            )
        )
    elif deadline.kind in (ACW_LIMIT, MISSED_AUTO_CLEAR):
        d.emit(
            ev.ContactCleared(at=d.now, agent_id=agent.id, contact_id=contact_id, actor="system")
        )
        _apply_next_status(d, agent)


_DECIDERS: dict[type[cmd.Command], Callable[[Decision, Any], None]] = {
    cmd.CreateInstance: _create_instance,
    cmd.CreateAgentStatus: _create_agent_status,
    cmd.UpdateAgentStatus: _update_agent_status,
    cmd.CreateQueue: _create_queue,
    cmd.CreateRoutingProfile: _create_routing_profile,
    cmd.CreateUser: _create_user,
    cmd.UpdateUserPhoneConfig: _update_phone_config,
    cmd.UpdateUserRoutingProfile: _update_routing_profile,
    cmd.Login: _login,
    cmd.Logout: _logout,
    cmd.SetStatus: _set_status,
    cmd.AcceptContact: _accept,
    cmd.RejectContact: _reject,
    cmd.HoldContact: _hold,
    cmd.ResumeContact: _resume,
    cmd.EndContact: _end,
    cmd.ClearContact: _clear,
    cmd.DialOut: _dial_out,
    cmd.TransferToQueue: _transfer_to_queue,
    cmd.StartInboundContact: _inbound,
    cmd.CustomerHangup: _customer_hangup,
    cmd.StopContact: _stop_contact,
    cmd.CustomerAnswered: _customer_answered,
    cmd.DialFailed: _dial_failed,
    cmd.FireDeadline: _fire,
}

__all__ = ["Decision", "deadline_is_live", "decide", "route"]
