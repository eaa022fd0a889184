"""`switchboard simulate`: stochastic traffic and agents driving the real engine on a virtual clock.

Next-event simulation (a heap of `(time, seq, kind, payload)`) whose only model of the contact
center is the engine itself: arrivals, agent reactions and customer patience become commands, and
the engine's own events (offers, connects, disconnects, misses) schedule what happens next.
"""

from __future__ import annotations

import heapq
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from switchboard.domain import commands as cmd
from switchboard.domain import events as ev
from switchboard.domain.activity import Activity, activity_of
from switchboard.domain.errors import DomainError
from switchboard.domain.model import (
    AgentId,
    Channel,
    ContactId,
    ContactPhase,
    ContactState,
    Millis,
    QueueId,
    StatusId,
    StatusType,
)
from switchboard.engine.clock import ManualClock
from switchboard.engine.engine import Engine
from switchboard.engine.ids import IdSource
from switchboard.engine.log import CountingLog
from switchboard.formats.jsonl import BUFFER, write_jsonl
from switchboard.sim.distributions import FIXED_ZERO, Distribution, parse_distribution
from switchboard.sim.scenario import (
    SETUP_KEYS,
    ScriptError,
    Setup,
    agent_command,
    as_list,
    as_mapping,
    channel,
    known_keys,
    load_yaml,
    lookup,
    parse_setup,
    parse_start,
)

SERVICE_LEVELS_S = (10, 20, 30, 60)
FIXED_THREE = Distribution("fixed", 3.0)
"""Default time an agent takes to clear a missed or rejected contact."""
HOUR_MS = 3_600_000

# event kinds on the simulator's heap
_ARRIVAL, _ACCEPT, _REJECT, _HANGUP, _AGENT_END, _CLEAR, _ABANDON = range(7)
_SHIFT_START, _SHIFT_END, _SET_STATUS, _DIAL, _DIAL_RESULT, _NEXT_DIAL = range(7, 13)


# --- the scenario ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Traffic:
    queue: str
    queue_id: QueueId
    channel: Channel
    rates_per_h: tuple[float, ...]
    interval_ms: Millis
    handle: Distribution
    patience: Distribution | None
    agent_hangs_up: float


@dataclass(frozen=True, slots=True)
class Break:
    at_ms: Millis
    duration_ms: Millis
    status_id: StatusId


@dataclass(frozen=True, slots=True)
class Outbound:
    rate_per_h: float
    handle: Distribution
    answer_prob: float
    ring: Distribution
    queue_id: QueueId | None


@dataclass(frozen=True, slots=True)
class Behaviour:
    """How one staffing group's agents act."""

    accept: Distribution = FIXED_ZERO
    acw: Distribution = FIXED_ZERO
    clear_missed: Distribution = FIXED_THREE
    miss_prob: float = 0.0
    reject_prob: float = 0.0
    shift_start_ms: Millis = 0
    shift_end_ms: Millis | None = None
    breaks: tuple[Break, ...] = ()
    outbound: Outbound | None = None


@dataclass(frozen=True, slots=True)
class Scenario:
    setup: Setup
    start: Millis
    duration_ms: Millis
    warmup_ms: Millis
    seed: int
    traffic: tuple[Traffic, ...]
    agents: tuple[tuple[cmd.CreateUser, Behaviour], ...]

    @property
    def end(self) -> Millis:
        return self.start + self.duration_ms

    @property
    def measured_from(self) -> Millis:
        return self.start + self.warmup_ms


def _prob(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ScriptError(f"{where}: expected a probability from 0 to 1, got {value!r}")
    return float(value)


def _hours(value: Any, where: str) -> Millis:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ScriptError(f"{where}: expected hours ≥ 0, got {value!r}")
    return round(value * HOUR_MS)


def load_scenario(path: Path, seed: int | None = None) -> Scenario:
    return parse_scenario(load_yaml(path), seed)


def parse_scenario(doc: dict[str, Any], seed: int | None = None) -> Scenario:
    known_keys(
        doc, SETUP_KEYS | {"duration_h", "warmup_h", "seed", "staffing", "traffic"}, "scenario file"
    )
    setup = parse_setup(doc)
    duration = _hours(doc.get("duration_h", 8), "duration_h")
    warmup = _hours(doc.get("warmup_h", 0), "warmup_h")
    if duration <= 0:
        raise ScriptError("duration_h: must be positive")
    if warmup >= duration:
        raise ScriptError("warmup_h: must be shorter than duration_h (the warm-up is part of it)")
    traffic = []
    for i, raw in enumerate(as_list(doc.get("traffic"), "traffic")):
        where = f"traffic[{i}]"
        item = as_mapping(raw, where)
        known_keys(
            item,
            {
                "queue",
                "channel",
                "rate_per_h",
                "rates_per_h",
                "interval_min",
                "handle_s",
                "patience_s",
                "agent_hangs_up",
            },
            where,
        )
        rates = item.get("rates_per_h", [item.get("rate_per_h", 0)])
        rates = as_list(rates, f"{where}.rates_per_h")
        if not rates or any(
            isinstance(r, bool) or not isinstance(r, int | float) or r < 0 for r in rates
        ):
            raise ScriptError(f"{where}: rates must be numbers ≥ 0 per hour")
        queue_id = lookup(setup.queues, item.get("queue"), "queue", where)
        traffic.append(
            Traffic(
                queue=str(item.get("queue")),
                queue_id=queue_id,
                channel=channel(item.get("channel", "VOICE"), where),
                rates_per_h=tuple(float(r) for r in rates),
                interval_ms=round(float(item.get("interval_min", 60)) * 60_000),
                handle=parse_distribution(item.get("handle_s", 180), f"{where}.handle_s"),
                patience=(
                    parse_distribution(item["patience_s"], f"{where}.patience_s")
                    if item.get("patience_s") is not None
                    else None
                ),
                agent_hangs_up=_prob(item.get("agent_hangs_up", 0.0), f"{where}.agent_hangs_up"),
            )
        )
    ids = IdSource(setup.settings.arn)
    agents: list[tuple[cmd.CreateUser, Behaviour]] = []
    known_agents = dict(setup.agents)
    for command in setup.commands:
        if isinstance(command, cmd.CreateUser):
            agents.append((command, Behaviour(shift_end_ms=duration)))
    commands = [c for c in setup.commands if not isinstance(c, cmd.CreateUser)]
    for i, raw in enumerate(as_list(doc.get("staffing"), "staffing")):
        where = f"staffing[{i}]"
        item = as_mapping(raw, where)
        known_keys(
            item,
            {
                "count",
                "routing_profile",
                "prefix",
                "acw_timeout_s",
                "auto_accept",
                "accept_s",
                "acw_s",
                "clear_missed_s",
                "miss_prob",
                "reject_prob",
                "shift",
                "breaks",
                "outbound",
            },
            where,
        )
        behaviour = _behaviour(item, where, setup, duration)
        count = item.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ScriptError(f"{where}.count: expected a whole number ≥ 1, got {count!r}")
        prefix = str(item.get("prefix", f"agent{i + 1}-"))
        for n in range(1, count + 1):
            user = {
                "username": f"{prefix}{n:03d}",
                "first_name": prefix.rstrip("-_") or "Agent",
                "last_name": f"{n:03d}",
                "routing_profile": item.get("routing_profile"),
                "acw_timeout_s": item.get("acw_timeout_s"),
                "auto_accept": item.get("auto_accept"),
            }
            agents.append(
                (agent_command(user, where, ids, setup.profiles, known_agents), behaviour)
            )
    setup = Setup(
        setup.settings, tuple(commands), known_agents, setup.statuses, setup.queues, setup.profiles
    )
    chosen = seed if seed is not None else doc.get("seed", 1)
    if isinstance(chosen, bool) or not isinstance(chosen, int):
        raise ScriptError(f"seed: expected a whole number, got {chosen!r}")
    return Scenario(
        setup=setup,
        start=parse_start(doc.get("start")),
        duration_ms=duration,
        warmup_ms=warmup,
        seed=chosen,
        traffic=tuple(traffic),
        agents=tuple(agents),
    )


def _behaviour(item: dict[str, Any], where: str, setup: Setup, duration: Millis) -> Behaviour:
    shift = as_mapping(item.get("shift"), f"{where}.shift")
    known_keys(shift, {"start_h", "end_h"}, f"{where}.shift")
    breaks = []
    for j, raw in enumerate(as_list(item.get("breaks"), f"{where}.breaks")):
        bw = f"{where}.breaks[{j}]"
        b = as_mapping(raw, bw)
        known_keys(b, {"at_h", "duration_min", "status"}, bw)
        breaks.append(
            Break(
                at_ms=_hours(b.get("at_h", 0), f"{bw}.at_h"),
                duration_ms=round(float(b.get("duration_min", 15)) * 60_000),
                status_id=lookup(setup.statuses, b.get("status", "Break"), "status", bw),
            )
        )
    outbound = None
    if item.get("outbound") is not None:
        ow = f"{where}.outbound"
        o = as_mapping(item["outbound"], ow)
        known_keys(o, {"rate_per_h", "handle_s", "answer_prob", "ring_s", "queue"}, ow)
        outbound = Outbound(
            rate_per_h=float(o.get("rate_per_h", 1)),
            handle=parse_distribution(o.get("handle_s", 120), f"{ow}.handle_s"),
            answer_prob=_prob(o.get("answer_prob", 1.0), f"{ow}.answer_prob"),
            ring=parse_distribution(o.get("ring_s", 5), f"{ow}.ring_s"),
            queue_id=lookup(setup.queues, o["queue"], "queue", ow) if o.get("queue") else None,
        )
    miss, reject = (
        _prob(item.get("miss_prob", 0.0), f"{where}.miss_prob"),
        _prob(item.get("reject_prob", 0.0), f"{where}.reject_prob"),
    )
    if miss + reject > 1:
        raise ScriptError(f"{where}: miss_prob + reject_prob cannot exceed 1")
    return Behaviour(
        accept=parse_distribution(item.get("accept_s", 0), f"{where}.accept_s"),
        acw=parse_distribution(item.get("acw_s", 0), f"{where}.acw_s"),
        clear_missed=parse_distribution(item.get("clear_missed_s", 3), f"{where}.clear_missed_s"),
        miss_prob=miss,
        reject_prob=reject,
        shift_start_ms=_hours(shift.get("start_h", 0), f"{where}.shift.start_h"),
        shift_end_ms=(
            _hours(shift["end_h"], f"{where}.shift.end_h") if "end_h" in shift else duration
        ),
        breaks=tuple(breaks),
        outbound=outbound,
    )


# --- measurement -------------------------------------------------------------------------------


class QueueTally:
    """Per-queue figures from exact millisecond times, for contacts arriving after the warm-up."""

    __slots__ = ("abandoned", "completed", "handle_ms", "handled", "outcomes", "queued")

    def __init__(self) -> None:
        self.completed = 0
        """Handled contacts whose ACW was cleared (their handle time is known)."""
        self.queued = 0
        self.handled = 0
        self.abandoned = 0
        self.handle_ms = 0
        self.outcomes: list[tuple[Millis, Millis, bool]] = []
        """(arrival, wait, answered) of every contact that left the queue."""


@dataclass(slots=True)
class Summary:
    queues: dict[str, dict[str, Any]]
    agents: dict[str, float]
    run: dict[str, float]

    def to_json(self) -> dict[str, Any]:
        return {"queues": self.queues, "agents": self.agents, "run": self.run}


def batch_means(values: list[float], batches: int = 20) -> float:
    """Half-width of a 95 % interval for the mean of autocorrelated output, by batch means."""
    size = len(values) // batches
    if size < 2:
        return math.inf
    means = [sum(values[i * size : (i + 1) * size]) / size for i in range(batches)]
    grand = sum(means) / batches
    variance = sum((m - grand) ** 2 for m in means) / (batches - 1)
    return 2.093 * math.sqrt(variance / batches)  # t(0.975, 19)


# --- the simulator -----------------------------------------------------------------------------


@dataclass(slots=True)
class _Live:
    """What the simulator knows of one contact it created."""

    traffic: int
    """Index of its traffic line; -1 for an agent's outbound call."""
    arrival: Millis
    handle_ms: Millis
    agent_hangs_up: bool
    measured: bool
    connected_at: Millis | None = None
    disconnected_at: Millis | None = None


@dataclass(slots=True)
class _AgentClock:
    behaviour: Behaviour
    mode: int = 0  # 0 other, 1 idle, 2 busy
    since: Millis = 0


class Simulator:
    """Runs one scenario with one seed; `run()` returns the summary."""

    def __init__(
        self,
        scenario: Scenario,
        *,
        stream: bool = True,
        agent_events: IO[bytes] | None = None,
        contact_records: IO[bytes] | None = None,
        progress: Callable[[float], None] | None = None,
    ) -> None:
        self.scenario = scenario
        settings = scenario.setup.settings
        self.log = CountingLog()
        self.engine = Engine(
            clock=ManualClock(scenario.start),
            ids=IdSource(settings.arn),
            log=self.log,
            stream=stream,
        )
        self.progress = progress
        seed = scenario.seed
        self.arrivals_rng = [
            random.Random(f"{seed}:arrivals:{i}") for i in range(len(scenario.traffic))
        ]
        self.service_rng = random.Random(f"{seed}:service")
        self.patience_rng = random.Random(f"{seed}:patience")
        self.agent_rng = random.Random(f"{seed}:agents")
        self.heap: list[tuple[Millis, int, int, Any]] = []
        self.seq = 0
        self.live: dict[ContactId, _Live] = {}
        self.tallies = {t.queue: QueueTally() for t in scenario.traffic}
        self.agents: dict[AgentId, _AgentClock] = {}
        self.busy_ms = 0
        self.idle_ms = 0
        self.acw_ms: list[Millis] = []
        self.contacts = 0
        self.outbound_contacts = 0
        self.refused = 0
        write_jsonl(
            self.engine, settings, agent_events=agent_events, contact_records=contact_records
        )
        self.engine.on_event(self._react)

    # --- scheduling ----------------------------------------------------------------------------

    def _at(self, at: Millis, kind: int, payload: Any = None) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (at, self.seq, kind, payload))

    def _execute(self, command: cmd.Command, at: Millis) -> None:
        try:
            self.engine.execute(command, at=at)
        except DomainError:
            self.refused += 1  # e.g. an agent reacts to a contact the engine already moved on

    # --- the run -------------------------------------------------------------------------------

    def run(self) -> Summary:
        started = time.perf_counter()
        scenario = self.scenario
        start, end = scenario.start, scenario.end
        engine = self.engine
        for command in scenario.setup.commands:
            engine.execute(command, at=start)
        for user, behaviour in scenario.agents:
            engine.execute(user, at=start)
            self.agents[user.agent_id] = _AgentClock(behaviour, since=start)
            self._at(start + behaviour.shift_start_ms, _SHIFT_START, user.agent_id)
            if behaviour.shift_end_ms is not None and behaviour.shift_end_ms < scenario.duration_ms:
                self._at(start + behaviour.shift_end_ms, _SHIFT_END, user.agent_id)
            for pause in behaviour.breaks:
                self._at(start + pause.at_ms, _SET_STATUS, (user.agent_id, pause.status_id))
                self._at(
                    start + pause.at_ms + pause.duration_ms,
                    _SET_STATUS,
                    (user.agent_id, scenario.setup.statuses["available"]),
                )
            if behaviour.outbound is not None and behaviour.outbound.rate_per_h > 0:
                self._next_dial(user.agent_id, start + behaviour.shift_start_ms)
        for index in range(len(scenario.traffic)):
            self._next_arrival(index, start)
        heap = self.heap
        handlers = self._handlers()
        next_report = start
        span = max(1, end - start)
        while heap:
            at = heap[0][0]
            due = engine.next_due()
            if due is not None and due < at and due <= end:
                engine.fire_due(due)  # an engine deadline comes first (ties: the action first)
                continue
            if at > end:
                break
            _, _, kind, payload = heapq.heappop(heap)
            handlers[kind](payload, at)
            if self.progress is not None and at >= next_report:
                self.progress((at - start) / span)
                next_report = at + span // 200
        engine.fire_due(end)
        self._close_agent_clocks(end)
        if self.progress is not None:
            self.progress(1.0)
        return self._summary(time.perf_counter() - started)

    def _handlers(self) -> dict[int, Callable[[Any, Millis], None]]:
        return {
            _ARRIVAL: self._arrival,
            _ACCEPT: self._accept,
            _REJECT: self._reject,
            _HANGUP: self._hangup,
            _AGENT_END: self._agent_end,
            _CLEAR: self._clear,
            _ABANDON: self._abandon,
            _SHIFT_START: self._shift_start,
            _SHIFT_END: self._shift_end,
            _SET_STATUS: self._set_status,
            _NEXT_DIAL: self._dial,
            _DIAL_RESULT: self._dial_result,
        }

    # --- arrivals ------------------------------------------------------------------------------

    def _next_arrival(self, index: int, now: Millis) -> None:
        """Poisson arrivals, piecewise-constant rate per interval (memoryless, so exact)."""
        traffic = self.scenario.traffic[index]
        rng = self.arrivals_rng[index]
        start, end = self.scenario.start, self.scenario.end
        t = now
        while t < end:
            slot = (t - start) // traffic.interval_ms
            rate = traffic.rates_per_h[min(slot, len(traffic.rates_per_h) - 1)]
            boundary = start + (slot + 1) * traffic.interval_ms
            if rate <= 0:
                t = boundary
                continue
            gap = rng.expovariate(rate / HOUR_MS)
            if t + gap < boundary or len(traffic.rates_per_h) == 1:
                self._at(t + max(1, round(gap)), _ARRIVAL, index)
                return
            t = boundary

    def _arrival(self, index: int, at: Millis) -> None:
        traffic = self.scenario.traffic[index]
        contact_id = self.engine.new_contact_id()
        measured = at >= self.scenario.measured_from
        self.live[contact_id] = _Live(
            index,
            at,
            traffic.handle.sample(self.service_rng),
            traffic.agent_hangs_up > 0 and self.service_rng.random() < traffic.agent_hangs_up,
            measured,
        )
        self.contacts += 1
        if measured:
            self.tallies[traffic.queue].queued += 1
        if traffic.patience is not None:
            self._at(at + traffic.patience.sample(self.patience_rng), _ABANDON, contact_id)
        self._execute(
            cmd.StartInboundContact(
                contact_id=contact_id, channel=traffic.channel, queue_id=traffic.queue_id
            ),
            at,
        )
        self._next_arrival(index, at)

    # --- reactions to the engine's events ------------------------------------------------------

    def _react(self, event: ev.Event) -> None:
        kind = type(event)
        if kind is ev.ContactOffered:
            assert isinstance(event, ev.ContactOffered)
            self._offered(event)
        elif kind is ev.ContactAccepted:
            assert isinstance(event, ev.ContactAccepted)
            self._connected(event)
        elif kind is ev.ContactDisconnected:
            assert isinstance(event, ev.ContactDisconnected)
            live = self.live.get(event.contact_id)
            if live is not None:
                live.disconnected_at = event.at
            behaviour = self.agents[event.agent_id].behaviour
            self._at(
                event.at + behaviour.acw.sample(self.agent_rng),
                _CLEAR,
                (event.agent_id, event.contact_id),
            )
        elif kind is ev.ContactMissed:
            assert isinstance(event, ev.ContactMissed)
            behaviour = self.agents[event.agent_id].behaviour
            self._at(
                event.at + behaviour.clear_missed.sample(self.agent_rng),
                _CLEAR,
                (event.agent_id, event.contact_id),
            )
        elif kind is ev.ContactAbandoned:
            assert isinstance(event, ev.ContactAbandoned)
            self._left_queue(event.contact_id, event.at, answered=False)
        elif kind is ev.ContactCleared:
            assert isinstance(event, ev.ContactCleared)
            self._cleared(event)
        if isinstance(event, ev.AgentEvent):
            self._agent_clock(event.agent_id, event.at)

    def _offered(self, event: ev.ContactOffered) -> None:
        state = self.engine.state
        agent = state.agents[event.agent_id]
        contact = state.contacts[event.contact_id]
        if agent.auto_accept.get(contact.channel, False):
            return  # the engine connects it in the same decision
        behaviour = self.agents[agent.id].behaviour
        rng = self.agent_rng
        draw = rng.random() if behaviour.miss_prob or behaviour.reject_prob else 1.0
        if draw < behaviour.miss_prob:
            return  # the offer times out in the engine
        kind = _REJECT if draw < behaviour.miss_prob + behaviour.reject_prob else _ACCEPT
        self._at(event.at + behaviour.accept.sample(rng), kind, (agent.id, contact.id))

    def _connected(self, event: ev.ContactAccepted) -> None:
        live = self.live.get(event.contact_id)
        if live is None:
            return
        live.connected_at = event.at
        self._left_queue(event.contact_id, event.at, answered=True)
        kind = _AGENT_END if live.agent_hangs_up else _HANGUP
        self._at(event.at + live.handle_ms, kind, (event.agent_id, event.contact_id))

    def _left_queue(self, contact_id: ContactId, at: Millis, *, answered: bool) -> None:
        live = self.live.get(contact_id)
        if live is None or not live.measured:
            return
        tally = self.tallies[self.scenario.traffic[live.traffic].queue]
        wait = at - live.arrival
        tally.outcomes.append((live.arrival, wait, answered))
        if answered:
            tally.handled += 1
        else:
            tally.abandoned += 1
            del self.live[contact_id]

    def _cleared(self, event: ev.ContactCleared) -> None:
        if event.contact_id in self.engine.state.contacts:
            return  # a missed copy was cleared; the contact itself goes on
        live = self.live.pop(event.contact_id, None)
        if live is None or not live.measured or live.connected_at is None:
            return
        if live.disconnected_at is not None:
            self.acw_ms.append(event.at - live.disconnected_at)
        if live.traffic >= 0:
            tally = self.tallies[self.scenario.traffic[live.traffic].queue]
            tally.handle_ms += event.at - live.connected_at
            tally.completed += 1

    def _agent_clock(self, agent_id: AgentId, at: Millis) -> None:
        """Occupancy: on-contact vs idle time of routable agents, after the warm-up (§5.2)."""
        clock = self.agents.get(agent_id)
        if clock is None:
            return
        state = self.engine.state
        agent = state.agents[agent_id]
        status_type = state.statuses[agent.status_id].type
        mode = 0
        if status_type is StatusType.ROUTABLE:
            activity = activity_of(
                status_type, ((s.state, s.is_outbound) for s in agent.slots.values())
            )
            if activity in (Activity.ON_CONTACT, Activity.AFTER_CONTACT_WORK):
                mode = 2
            elif activity is not Activity.INCOMING:
                mode = 1
        self._account(clock, at)
        clock.mode = mode

    def _account(self, clock: _AgentClock, at: Millis) -> None:
        begin = max(clock.since, self.scenario.measured_from)
        if at > begin:
            if clock.mode == 2:
                self.busy_ms += at - begin
            elif clock.mode == 1:
                self.idle_ms += at - begin
        clock.since = at

    def _close_agent_clocks(self, end: Millis) -> None:
        for clock in self.agents.values():
            self._account(clock, end)

    # --- actions -------------------------------------------------------------------------------

    def _slot_state(self, agent_id: AgentId, contact_id: ContactId) -> ContactState | None:
        slot = self.engine.state.agents[agent_id].slots.get(contact_id)
        return slot.state if slot is not None else None

    def _accept(self, payload: tuple[AgentId, ContactId], at: Millis) -> None:
        agent_id, contact_id = payload
        if self._slot_state(agent_id, contact_id) is ContactState.CONNECTING:
            self._execute(cmd.AcceptContact(agent_id=agent_id, contact_id=contact_id), at)

    def _reject(self, payload: tuple[AgentId, ContactId], at: Millis) -> None:
        agent_id, contact_id = payload
        if self._slot_state(agent_id, contact_id) is ContactState.CONNECTING:
            self._execute(cmd.RejectContact(agent_id=agent_id, contact_id=contact_id), at)

    def _hangup(self, payload: tuple[AgentId, ContactId], at: Millis) -> None:
        _, contact_id = payload
        contact = self.engine.state.contacts.get(contact_id)
        if contact is not None and contact.phase is ContactPhase.CONNECTED:
            self._execute(cmd.CustomerHangup(contact_id=contact_id), at)

    def _agent_end(self, payload: tuple[AgentId, ContactId], at: Millis) -> None:
        agent_id, contact_id = payload
        if self._slot_state(agent_id, contact_id) in (
            ContactState.CONNECTED,
            ContactState.CONNECTED_ONHOLD,
        ):
            self._execute(cmd.EndContact(agent_id=agent_id, contact_id=contact_id), at)

    def _clear(self, payload: tuple[AgentId, ContactId], at: Millis) -> None:
        agent_id, contact_id = payload
        state = self._slot_state(agent_id, contact_id)
        if state in (
            ContactState.ENDED,
            ContactState.MISSED,
            ContactState.REJECTED,
            ContactState.ERROR,
        ):
            slot = self.engine.state.agents[agent_id].slots[contact_id]
            if state is ContactState.ENDED and slot.state_start >= self.scenario.measured_from:
                self.acw_ms.append(at - slot.state_start)
            self._execute(cmd.ClearContact(agent_id=agent_id, contact_id=contact_id), at)

    def _abandon(self, contact_id: ContactId, at: Millis) -> None:
        contact = self.engine.state.contacts.get(contact_id)
        if contact is not None and contact.phase in (ContactPhase.QUEUED, ContactPhase.OFFERED):
            self._execute(cmd.CustomerHangup(contact_id=contact_id), at)

    def _shift_start(self, agent_id: AgentId, at: Millis) -> None:
        self._execute(cmd.Login(agent_id=agent_id), at)
        self._execute(
            cmd.SetStatus(agent_id=agent_id, status_id=self.scenario.setup.statuses["available"]),
            at,
        )

    def _shift_end(self, agent_id: AgentId, at: Millis) -> None:
        """Offline (a next status while busy); the logout follows once no live contact remains."""
        offline = self.scenario.setup.statuses["offline"]
        self._execute(cmd.SetStatus(agent_id=agent_id, status_id=offline), at)
        agent = self.engine.state.agents[agent_id]
        if agent.has_live_contact or agent.slots:
            self._at(at + 30_000, _SHIFT_END, agent_id)
        elif agent.logged_in:
            self._execute(cmd.Logout(agent_id=agent_id), at)

    def _set_status(self, payload: tuple[AgentId, StatusId], at: Millis) -> None:
        agent_id, status_id = payload
        self._execute(cmd.SetStatus(agent_id=agent_id, status_id=status_id), at)

    def _next_dial(self, agent_id: AgentId, now: Millis) -> None:
        outbound = self.agents[agent_id].behaviour.outbound
        assert outbound is not None
        gap = self.agent_rng.expovariate(outbound.rate_per_h / HOUR_MS)
        self._at(now + max(1, round(gap)), _NEXT_DIAL, agent_id)

    def _dial(self, agent_id: AgentId, at: Millis) -> None:
        clock = self.agents[agent_id]
        outbound = clock.behaviour.outbound
        assert outbound is not None
        agent = self.engine.state.agents[agent_id]
        if agent.logged_in and agent.held_on(Channel.VOICE) == 0:
            contact_id = self.engine.new_contact_id()
            self._execute(
                cmd.DialOut(agent_id=agent_id, contact_id=contact_id, queue_id=outbound.queue_id),
                at,
            )
            if contact_id in self.engine.state.contacts:
                self.outbound_contacts += 1
                measured = at >= self.scenario.measured_from
                self.live[contact_id] = _Live(-1, at, 0, False, measured, connected_at=at)
                answered = self.agent_rng.random() < outbound.answer_prob
                handle = outbound.handle.sample(self.service_rng)
                self._at(
                    at + outbound.ring.sample(self.agent_rng),
                    _DIAL_RESULT,
                    (agent_id, contact_id, answered, handle),
                )
        self._next_dial(agent_id, at)

    def _dial_result(self, payload: tuple[AgentId, ContactId, bool, Millis], at: Millis) -> None:
        agent_id, contact_id, answered, handle = payload
        contact = self.engine.state.contacts.get(contact_id)
        if contact is None or contact.phase is not ContactPhase.DIALING:
            return
        if answered:
            self._execute(cmd.CustomerAnswered(contact_id=contact_id), at)
            self._at(at + handle, _HANGUP, (agent_id, contact_id))
        else:
            self._execute(cmd.DialFailed(contact_id=contact_id), at)

    # --- results -------------------------------------------------------------------------------

    def _summary(self, wall_s: float) -> Summary:
        queues: dict[str, dict[str, Any]] = {}
        for name, tally in self.tallies.items():
            outcomes = sorted(tally.outcomes)
            queued = tally.queued
            answered = [w for _, w, ok in outcomes if ok]
            waits = [w / 1000 for _, w, _ in outcomes]
            waited = sum(1 for w in waits if w > 0)
            service = {
                str(x): _ratio(sum(1 for w in waits if w <= x), queued) for x in SERVICE_LEVELS_S
            }
            queues[name] = {
                "contacts_queued": queued,
                "contacts_handled": tally.handled,
                "contacts_abandoned": tally.abandoned,
                "p_wait": _ratio(waited, len(outcomes)),
                "avg_queue_answer_time_s": _mean([w / 1000 for w in answered]),
                "avg_time_in_queue_s": _mean(waits),
                "avg_handle_time_s": _ratio(tally.handle_ms / 1000, tally.completed),
                "abandon_rate": _ratio(tally.abandoned, len(outcomes)),
                "service_level": service,
                "ci95": {
                    "p_wait": _round(batch_means([1.0 if w > 0 else 0.0 for w in waits])),
                    "avg_queue_answer_time_s": _round(batch_means([w / 1000 for w in answered])),
                    "service_level_20": _round(
                        batch_means([1.0 if w <= 20 else 0.0 for w in waits])
                    ),
                    "abandon_rate": _round(
                        batch_means([0.0 if ok else 1.0 for _, _, ok in outcomes])
                    ),
                    "avg_time_in_queue_s": _round(batch_means(waits)),
                },
            }
        busy, idle = self.busy_ms, self.idle_ms
        return Summary(
            queues=queues,
            agents={
                "occupancy": _ratio(busy, busy + idle),
                "avg_acw_time_s": _mean([a / 1000 for a in self.acw_ms]),
            },
            run={
                "contacts": self.contacts + self.outbound_contacts,
                "events": len(self.log),
                "wall_s": round(wall_s, 3),
                "contacts_per_wall_s": round((self.contacts + self.outbound_contacts) / wall_s, 1)
                if wall_s > 0
                else 0.0,
            },
        )


def _ratio(part: float, whole: float) -> float:
    return round(part / whole, 6) if whole else 0.0


def _mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 6) if values else 0.0


def _round(value: float) -> float | None:
    return None if math.isinf(value) else round(value, 6)


@dataclass(slots=True)
class SimulationResult:
    summary: Summary
    scenario: Scenario
    files: list[Path] = field(default_factory=list)


def simulate_to_dir(
    scenario: Scenario,
    out: Path,
    *,
    stream: bool = True,
    progress: Callable[[float], None] | None = None,
) -> SimulationResult:
    out.mkdir(parents=True, exist_ok=True)
    if not stream:
        simulator = Simulator(scenario, stream=False, progress=progress)
        return SimulationResult(simulator.run(), scenario)
    with (
        (out / "agent-events.jsonl").open("wb", buffering=BUFFER) as aes_file,
        (out / "contact-records.jsonl").open("wb", buffering=BUFFER) as ctr_file,
    ):
        simulator = Simulator(
            scenario,
            stream=True,
            agent_events=aes_file,
            contact_records=ctr_file,
            progress=progress,
        )
        summary = simulator.run()
    return SimulationResult(
        summary, scenario, [out / "agent-events.jsonl", out / "contact-records.jsonl"]
    )


__all__ = [
    "Scenario",
    "SimulationResult",
    "Simulator",
    "Summary",
    "batch_means",
    "load_scenario",
    "parse_scenario",
    "simulate_to_dir",
]
