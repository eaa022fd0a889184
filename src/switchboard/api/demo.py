"""`serve --demo`: a seeded contact center with simulated customers and agents on the real clock.

`Demo.seed(server)` makes the instance "demo" once, through the engine's commands as the Connect API
does (statuses Break, Training and Lunch; queues Sales and Support; a routing profile per queue with
VOICE 1 / CHAT 2 / TASK 1; agents agent01..agent12, a supervisor and an admin, each with a random
password returned once in `credentials`), or finds it again on a restart (no secret is shown twice).
It adds `Demo.run` to `server.background`, which the app's lifespan starts on the event loop:
customers arrive as Poisson streams per queue and channel and hang up when their exponential
patience runs out while queued; every agent but agent01 and agent02 (left for a person to sign in
as) logs in, accepts offers after a short delay, talks, does After Contact Work, clears it and now
and then takes a break. Every action is an engine command executed on the loop (the engine's single
writer); `server.poke()` after each lets the timer loop commit it.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import random
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from fastapi import APIRouter

from switchboard.api.registry import Instance, UserExtras
from switchboard.api.server import Server
from switchboard.domain import commands as cmd
from switchboard.domain import events as ev
from switchboard.domain.errors import DomainError
from switchboard.domain.model import (
    CLEARABLE_STATES,
    AgentId,
    Channel,
    ContactId,
    ContactPhase,
    ContactState,
    Millis,
    ProfileQueue,
    QueueId,
    RoutingProfileId,
    StatusId,
    StatusType,
)
from switchboard.sim.distributions import Distribution

__all__ = ["DEMO_ALIAS", "Demo", "DemoConfig", "DemoCounts", "TrafficLine"]

log = logging.getLogger("switchboard.demo")

DEMO_ALIAS = "demo"
STATUSES = ("Break", "Training", "Lunch")
QUEUES = ("Sales", "Support")
CONCURRENCY = ((Channel.VOICE, 1), (Channel.CHAT, 2), (Channel.TASK, 1))
SUPERVISOR = "supervisor"
ADMIN = "admin"
"""A demo user with the Admin profile, for the /admin page (the API's admin is an access key)."""
HOUR_MS = 3_600_000
_PASSWORD = re.compile(r"(?=.*[a-z])(?=.*[A-Z])(?=.*\d).{8,64}")
_FIRST_NAMES = (
    "Ada",
    "Grace",
    "Alan",
    "Edsger",
    "Barbara",
    "Donald",
    "Frances",
    "Ken",
    "Radia",
    "Dennis",
    "Margaret",
    "Niklaus",
)

_PATIENCE = Distribution("exponential", 75.0)
_ACCEPT_DELAY = Distribution("lognormal", 3.0, 1.5)
_ACW = Distribution("exponential", 8.0)
_CLEAR_MISSED = Distribution("fixed", 2.0)
_BREAK_LENGTH = Distribution("exponential", 120.0)

# kinds of the demo's own timeline
_ARRIVAL, _ACCEPT, _HANGUP, _CLEAR, _ABANDON, _BREAK, _BACK = range(7)


@dataclass(frozen=True, slots=True)
class TrafficLine:
    """Customers of one queue and channel: a Poisson stream and how long they talk."""

    queue: str
    channel: Channel
    rate_per_h: float
    talk: Distribution


@dataclass(frozen=True, slots=True)
class DemoConfig:
    """The demo's sizes and timings (seconds; `faster(k)` scales every rate and duration)."""

    agents: int = 12
    humans: int = 2
    """agent01..agentNN left unsimulated, for people to sign in as."""
    traffic: tuple[TrafficLine, ...] = (
        TrafficLine("Sales", Channel.VOICE, 150, Distribution("exponential", 30.0)),
        TrafficLine("Sales", Channel.CHAT, 90, Distribution("exponential", 45.0)),
        TrafficLine("Sales", Channel.TASK, 30, Distribution("exponential", 60.0)),
        TrafficLine("Support", Channel.VOICE, 110, Distribution("exponential", 40.0)),
        TrafficLine("Support", Channel.CHAT, 90, Distribution("exponential", 50.0)),
        TrafficLine("Support", Channel.TASK, 30, Distribution("exponential", 75.0)),
    )
    """About 500 contacts an hour: some 6 of the 10 simulated agents busy at any time."""
    patience: Distribution = _PATIENCE
    accept: Distribution = _ACCEPT_DELAY
    acw: Distribution = _ACW
    clear_missed: Distribution = _CLEAR_MISSED
    break_prob: float = 0.06
    """Chance that an agent takes a break when their last contact clears."""
    break_length: Distribution = _BREAK_LENGTH
    seed: int | None = None

    def faster(self, factor: float) -> DemoConfig:
        """The same center `factor` times faster: rates times it, durations divided by it."""

        def quick(d: Distribution) -> Distribution:
            return Distribution(
                d.kind, d.mean / factor, d.sd / factor, tuple(v / factor for v in d.values)
            )

        return replace(
            self,
            traffic=tuple(
                replace(t, rate_per_h=t.rate_per_h * factor, talk=quick(t.talk))
                for t in self.traffic
            ),
            patience=quick(self.patience),
            accept=quick(self.accept),
            acw=quick(self.acw),
            clear_missed=quick(self.clear_missed),
            break_length=quick(self.break_length),
        )


@dataclass(slots=True)
class DemoCounts:
    """What the demo did since it started (its `/switchboard/demo` page shows them)."""

    arrived: int = 0
    abandoned: int = 0
    answered: int = 0
    completed: int = 0
    breaks: int = 0
    commands: int = 0
    refused: int = 0
    """Commands the engine refused (a reaction to a contact that had moved on meanwhile)."""


def agent_name(index: int) -> str:
    return f"agent{index:02d}"


def new_password() -> str:
    """A random password that meets Connect's rule (8-64 chars, upper, lower and a digit)."""
    while True:
        candidate = secrets.token_urlsafe(12)
        if _PASSWORD.fullmatch(candidate):
            return candidate


@dataclass
class Demo:
    """The demo instance and its simulation (see the module doc)."""

    server: Server
    instance: Instance
    config: DemoConfig
    credentials: list[tuple[str, str]]
    """(username, password) of each user made by this start; empty when the demo was reopened."""
    counts: DemoCounts = field(default_factory=DemoCounts)
    running: bool = False
    simulated: frozenset[AgentId] = field(init=False)
    """The agents the demo plays: every agentNN after the first `humans`."""
    _heap: list[tuple[Millis, int, int, Any]] = field(default_factory=list)
    _seq: int = 0
    _talk: dict[ContactId, Distribution] = field(default_factory=dict)
    """Talk time of each contact this demo started, until it is finished."""
    _wake: asyncio.Event | None = None
    _rng: random.Random = field(init=False)

    # --- seeding -------------------------------------------------------------------------------

    @classmethod
    def seed(cls, server: Server, config: DemoConfig | None = None) -> Demo:
        """The demo instance (made now unless it exists), its simulation added to the server's
        background tasks. Its commands are made durable before this returns when no event loop
        runs yet (as in `serve`), else by the server's timer loop."""
        config = config or DemoConfig()
        instance = server.registry.by_alias(DEMO_ALIAS)
        credentials: list[tuple[str, str]] = []
        if instance is None:
            instance, credentials = _create(server, config)
            _flush_now(server)
            log.info("demo instance %s created", instance.id)
        else:
            log.info(
                "demo instance %s reopened; its passwords were shown when it was created",
                instance.id,
            )
        demo = cls(server=server, instance=instance, config=config, credentials=credentials)
        server.background.append(demo.run)
        return demo

    def __post_init__(self) -> None:
        usernames = self.instance.engine.state.usernames
        names = (agent_name(i) for i in range(self.config.humans + 1, self.config.agents + 1))
        self.simulated = frozenset(usernames[n] for n in names if n in usernames)
        self._rng = random.Random(self.config.seed)

    def router(self, server: Server) -> APIRouter:
        """`GET /switchboard/demo`: which instance the demo runs on and what it has done."""
        router = APIRouter(tags=["demo"])

        @router.get("/switchboard/demo", summary="The demo's instance and its counters")
        async def demo_state() -> dict[str, Any]:
            state = self.instance.engine.state
            humans = [agent_name(i) for i in range(1, self.config.humans + 1)]
            return {
                "InstanceId": self.instance.id,
                "Alias": self.instance.alias,
                "Running": self.running,
                "HumanAgents": [n for n in humans if n in state.usernames],
                "SimulatedAgents": sorted(state.agents[a].username for a in self.simulated),
                "ContactsInProgress": len(state.contacts),
                "Counts": {
                    "Arrived": self.counts.arrived,
                    "Abandoned": self.counts.abandoned,
                    "Answered": self.counts.answered,
                    "Completed": self.counts.completed,
                    "Breaks": self.counts.breaks,
                    "Commands": self.counts.commands,
                    "Refused": self.counts.refused,
                },
            }

        return router

    # --- the simulation ------------------------------------------------------------------------

    async def run(self) -> None:
        """Play customers and agents until cancelled (a background task of the server)."""
        self._wake = wake = asyncio.Event()
        engine = self.instance.engine
        engine.on_event(self._react)
        self.running = True
        clock = self.server.clock
        try:
            self._resume(clock.now())
            heap = self._heap
            handlers = self._handlers()
            while self.server.failure is None:
                now = clock.now()
                acted = False
                while heap and heap[0][0] <= now:
                    _, _, kind, payload = heapq.heappop(heap)
                    handlers[kind](payload, now)
                    acted = True
                if acted:
                    self.server.poke()
                wake.clear()
                delay = 1.0 if not heap else max(0.0, (heap[0][0] - clock.now()) / 1000)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), timeout=min(delay, 1.0))
        finally:
            self.running = False

    def _handlers(self) -> dict[int, Callable[[Any, Millis], None]]:
        return {
            _ARRIVAL: self._arrival,
            _ACCEPT: self._accept,
            _HANGUP: self._hangup,
            _CLEAR: self._clear,
            _ABANDON: self._abandon,
            _BREAK: self._break,
            _BACK: self._back,
        }

    def _at(self, at: Millis, kind: int, payload: Any = None) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (at, self._seq, kind, payload))
        if self._wake is not None:
            self._wake.set()

    def _after(self, now: Millis, dist: Distribution, kind: int, payload: Any) -> None:
        self._at(now + dist.sample(self._rng), kind, payload)

    def _execute(self, command: cmd.Command, at: Millis) -> bool:
        self.counts.commands += 1
        try:
            self.instance.engine.execute(command, at=at)
        except DomainError:
            self.counts.refused += 1
            return False
        return True

    def _resume(self, now: Millis) -> None:
        """Pick up where a previous run left off, then start the arrivals."""
        state = self.instance.engine.state
        for contact in list(state.contacts.values()):
            if contact.phase in (ContactPhase.QUEUED, ContactPhase.OFFERED):
                self._after(now, self.config.patience, _ABANDON, contact.id)
            elif contact.phase is ContactPhase.CONNECTED:
                self._after(now, self._talk_of(contact.channel), _HANGUP, contact.id)
        for agent_id in sorted(self.simulated):
            agent = state.agents[agent_id]
            if not agent.logged_in:
                self._execute(cmd.Login(agent_id=agent_id), now)
            status = state.statuses[agent.status_id]
            if status.type is StatusType.CUSTOM:
                self._after(now, self.config.break_length, _BACK, agent_id)
            elif status.type is StatusType.OFFLINE:
                self._execute(cmd.SetStatus(agent_id=agent_id, status_id=state.available_id), now)
            for contact_id, slot in list(agent.slots.items()):
                if slot.state is ContactState.CONNECTING:
                    self._after(now, self.config.accept, _ACCEPT, (agent_id, contact_id))
                elif slot.state in CLEARABLE_STATES:
                    self._after(now, self.config.clear_missed, _CLEAR, (agent_id, contact_id))
        for index in range(len(self.config.traffic)):
            self._next_arrival(index, now)
        self.server.poke()

    def _talk_of(self, channel: Channel) -> Distribution:
        lines = [t.talk for t in self.config.traffic if t.channel is channel]
        return lines[0] if lines else Distribution("fixed", 60.0)

    # --- customers -----------------------------------------------------------------------------

    def _next_arrival(self, index: int, now: Millis) -> None:
        rate = self.config.traffic[index].rate_per_h
        if rate > 0:
            gap = self._rng.expovariate(rate / HOUR_MS)
            self._at(now + max(1, round(gap)), _ARRIVAL, index)

    def _arrival(self, index: int, now: Millis) -> None:
        line = self.config.traffic[index]
        engine = self.instance.engine
        queue_id = engine.state.queue_names.get(line.queue.casefold())
        if queue_id is not None:
            contact_id = engine.new_contact_id()
            self._talk[contact_id] = line.talk
            command = cmd.StartInboundContact(
                contact_id=contact_id, channel=line.channel, queue_id=queue_id
            )
            if self._execute(command, now):
                self.counts.arrived += 1
                if contact_id in engine.state.contacts:
                    self._after(now, self.config.patience, _ABANDON, contact_id)
            else:
                self._talk.pop(contact_id, None)
        self._next_arrival(index, now)

    def _abandon(self, contact_id: ContactId, now: Millis) -> None:
        contact = self.instance.engine.state.contacts.get(contact_id)
        if contact is not None and contact.phase in (ContactPhase.QUEUED, ContactPhase.OFFERED):
            self._execute(cmd.CustomerHangup(contact_id=contact_id), now)

    def _hangup(self, contact_id: ContactId, now: Millis) -> None:
        contact = self.instance.engine.state.contacts.get(contact_id)
        if contact is not None and contact.phase is ContactPhase.CONNECTED:
            self._execute(cmd.CustomerHangup(contact_id=contact_id), now)

    # --- agents --------------------------------------------------------------------------------

    def _slot_state(self, agent_id: AgentId, contact_id: ContactId) -> ContactState | None:
        slot = self.instance.engine.state.agents[agent_id].slots.get(contact_id)
        return slot.state if slot is not None else None

    def _accept(self, payload: tuple[AgentId, ContactId], now: Millis) -> None:
        agent_id, contact_id = payload
        if self._slot_state(agent_id, contact_id) is ContactState.CONNECTING:
            self._execute(cmd.AcceptContact(agent_id=agent_id, contact_id=contact_id), now)

    def _clear(self, payload: tuple[AgentId, ContactId], now: Millis) -> None:
        agent_id, contact_id = payload
        if self._slot_state(agent_id, contact_id) in CLEARABLE_STATES:
            self._execute(cmd.ClearContact(agent_id=agent_id, contact_id=contact_id), now)

    def _break(self, agent_id: AgentId, now: Millis) -> None:
        state = self.instance.engine.state
        agent = state.agents[agent_id]
        if agent.slots or agent.status_id != state.available_id or agent.next_status_id:
            return
        name = self._rng.choices(STATUSES, weights=(6, 2, 1))[0]
        status_id = state.status_names.get(name.casefold())
        if status_id is not None and self._execute(
            cmd.SetStatus(agent_id=agent_id, status_id=status_id), now
        ):
            self.counts.breaks += 1
            self._after(now, self.config.break_length, _BACK, agent_id)

    def _back(self, agent_id: AgentId, now: Millis) -> None:
        state = self.instance.engine.state
        agent = state.agents[agent_id]
        if state.statuses[agent.status_id].type is not StatusType.ROUTABLE:
            self._execute(cmd.SetStatus(agent_id=agent_id, status_id=state.available_id), now)

    # --- reactions to the engine's events (from any driver: the demo, the API, timers) ---------

    def _react(self, event: ev.Event) -> None:
        if not self.running:
            return
        kind = type(event)
        if kind is ev.ContactOffered:
            assert isinstance(event, ev.ContactOffered)
            if event.agent_id in self.simulated:
                agent = self.instance.engine.state.agents[event.agent_id]
                contact = self.instance.engine.state.contacts[event.contact_id]
                if not agent.auto_accept.get(contact.channel, False):
                    payload = (event.agent_id, event.contact_id)
                    self._after(event.at, self.config.accept, _ACCEPT, payload)
        elif kind is ev.ContactAccepted:
            assert isinstance(event, ev.ContactAccepted)
            self.counts.answered += 1
            talk = self._talk.get(event.contact_id)
            if talk is None and event.agent_id in self.simulated:
                contact = self.instance.engine.state.contacts[event.contact_id]
                talk = self._talk_of(contact.channel)
            if talk is not None:
                self._after(event.at, talk, _HANGUP, event.contact_id)
        elif kind is ev.ContactDisconnected:
            assert isinstance(event, ev.ContactDisconnected)
            if event.agent_id in self.simulated:
                payload = (event.agent_id, event.contact_id)
                self._after(event.at, self.config.acw, _CLEAR, payload)
        elif kind is ev.ContactMissed:
            assert isinstance(event, ev.ContactMissed)
            if event.agent_id in self.simulated:
                payload = (event.agent_id, event.contact_id)
                self._after(event.at, self.config.clear_missed, _CLEAR, payload)
        elif kind is ev.ContactAbandoned:
            assert isinstance(event, ev.ContactAbandoned)
            self.counts.abandoned += 1
            self._talk.pop(event.contact_id, None)
        elif kind is ev.ContactCleared:
            assert isinstance(event, ev.ContactCleared)
            self._cleared(event)

    def _cleared(self, event: ev.ContactCleared) -> None:
        state = self.instance.engine.state
        if event.contact_id not in state.contacts:
            self.counts.completed += 1
            self._talk.pop(event.contact_id, None)
        agent = state.agents[event.agent_id]
        if (
            event.agent_id in self.simulated
            and not agent.slots
            and self._rng.random() < self.config.break_prob
        ):
            self._at(event.at, _BREAK, event.agent_id)


def _create(server: Server, config: DemoConfig) -> tuple[Instance, list[tuple[str, str]]]:
    """The demo instance, built through the engine's commands as the Connect API builds one."""
    clock = server.clock
    at = clock.now()
    instance = server.registry.create(alias=DEMO_ALIAS, clock=clock, at=at)
    engine = instance.engine
    state = engine.state

    def run(command: cmd.Command, resource: str) -> None:
        engine.execute(command, at=at)
        instance.modified[resource] = at

    for order, name in enumerate(STATUSES, start=3):
        status_id = instance.new_id("agent-state", name, state.statuses)
        run(
            cmd.CreateAgentStatus(status_id=StatusId(status_id), name=name, display_order=order),
            status_id,
        )
    hours_id = next(iter(instance.hours))
    queues: dict[str, QueueId] = {}
    for name in QUEUES:
        queue_id = QueueId(instance.new_id("queue", name, state.queues))
        run(cmd.CreateQueue(queue_id=queue_id, name=name), queue_id)
        instance.queue_hours[queue_id] = hours_id
        instance.descriptions[queue_id] = f"Demo {name} queue"
        queues[name] = queue_id
    profiles: list[RoutingProfileId] = []
    for name in QUEUES:
        profile_id = RoutingProfileId(instance.new_id("routing-profile", name, state.profiles))
        lines = tuple(
            ProfileQueue(queue_id=queue_id, channel=channel, priority=1 if q == name else 2)
            for q, queue_id in queues.items()
            for channel, _ in CONCURRENCY
        )
        run(
            cmd.CreateRoutingProfile(
                profile_id=profile_id,
                name=name,
                concurrency=CONCURRENCY,
                queues=lines,
                default_outbound_queue_id=queues[name],
            ),
            profile_id,
        )
        instance.descriptions[profile_id] = f"{name} first, then the other queue"
        profiles.append(profile_id)
    security = {p.name: p.id for p in instance.security_profiles.values()}
    users = [
        (agent_name(i), _FIRST_NAMES[(i - 1) % len(_FIRST_NAMES)], "Agent", profiles[i % 2])
        for i in range(1, config.agents + 1)
    ]
    users.append((SUPERVISOR, "Sam", "CallCenterManager", profiles[0]))
    users.append((ADMIN, "Ada", "Admin", profiles[0]))
    credentials = []
    for username, first, security_profile, profile_id in users:
        user_id = AgentId(instance.new_id("agent", username, state.agents))
        run(
            cmd.CreateUser(
                agent_id=user_id,
                username=username,
                first_name=first,
                last_name="Demo",
                profile_id=profile_id,
            ),
            user_id,
        )
        instance.users[user_id] = UserExtras(security_profile_ids=(security[security_profile],))
        password = new_password()
        server.accounts.set_password(instance.id, user_id, username, password)
        credentials.append((username, password))
    return instance, credentials


def _flush_now(server: Server) -> None:
    """Commit the seed at once when no loop runs yet; a running loop's timers commit it."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(server.flush())
