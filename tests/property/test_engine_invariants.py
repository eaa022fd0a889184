"""Engine invariants under random agents, customers and clocks (DESIGN §2 to §5, STYLE habit 10).

A Hypothesis state machine drives one instance (`tests.strategies.scenario`) through logins,
logouts (forced or not), status changes, inbound voice and chat, offers accepted, rejected or let
ring, holds, hang-ups on either side, clears, dial-outs answered or failed, engine restarts, and
the clock running so that offer timeouts, ACW limits, queue delays and heartbeats fire. Commands
the domain refuses are part of the game: a refusal must leave the log, the published records and
the state exactly as they were.

Every agent event stream record is checked as it comes out, against the agent's snapshot just
before it; the state is checked after every step, and against a replay of the log. The numbers
below name the invariants:

1. no agent holds more contacts per channel than its profile allows; `AvailableSlots` = max - held;
2. no contact is live on two agents at once;
3. offers go only to routable agents (ROUTABLE status, no next status, nothing to clear, a free
   slot, cross-channel rules, a queue the profile serves, its delay waited);
4. the status changes only on SetStatus/Logout for that agent or when a next status takes effect;
5. every STATE_CHANGE's Previous is the agent's last STATE_CHANGE/HEART_BEAT Current (null first
   after LOGIN), and changes something;
6. replaying the log into a fresh engine rebuilds the same state;
7. one contact record per ended contact, with `Agent` iff it reached an agent;
8. Agent Activity is a documented value, with DESIGN §2's precedence;
9. event timestamps never go backwards;
10. heartbeats come after `heartbeat_ms` without another record, never sooner, and never fail to.

Plain tests check that the same actions give byte-identical outputs, in this process and in
another one with another hash seed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from hypothesis import given, note, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from switchboard.domain import commands as cmd
from switchboard.domain import events as ev
from switchboard.domain.activity import activity_name
from switchboard.domain.errors import DomainError
from switchboard.domain.model import (
    CHANNELS,
    CLEARABLE_STATES,
    LIVE_STATES,
    AgentId,
    Channel,
    ContactId,
    ContactPhase,
    ContactState,
    Millis,
    Slot,
)
from switchboard.domain.state import ROUTE_WAKE, State
from switchboard.engine.clock import ManualClock
from switchboard.engine.engine import Engine, StreamEventType
from switchboard.engine.ids import IdSource
from switchboard.engine.views import SnapshotBuilder
from switchboard.formats.aes import AgentEventEncoder
from switchboard.formats.ctr import ContactRecordEncoder
from switchboard.formats.timestamps import parse_timestamp
from tests import strategies as sb
from tests.strategies import Action
from tests.support import World

Json = dict[str, Any]

LIVE = frozenset(state.value for state in LIVE_STATES)
FAILED = frozenset({"MISSED", "REJECTED", "ERROR"})
FIXED_ACTIVITIES = frozenset(
    {
        "Available",
        "Incoming",
        "On contact",
        "After contact work",
        "Missed",
        "Rejected",
        "Error",
        "Offline",
    }
)
DOCUMENTED_ACTIVITIES = FIXED_ACTIVITIES | frozenset(sb.CUSTOM_STATUSES)


# --- the instance's routing configuration, read from the scenario ----------------------------


class Profiles:
    """What the scenario says each agent's routing profile allows (the oracle's copy)."""

    def __init__(self, doc: Json) -> None:
        by_name = {p["name"]: p for p in doc["routing_profiles"]}
        self.profile_of = {a["username"]: a["routing_profile"] for a in doc["agents"]}
        self.concurrency = {name: dict(p["concurrency"]) for name, p in by_name.items()}
        self.route_any = {
            name: frozenset(
                ch for ch, how in p.get("cross_channel", {}).items() if how == "ROUTE_ANY_CHANNEL"
            )
            for name, p in by_name.items()
        }
        self.delay_ms = {
            name: {
                (line["queue"], line["channel"]): round(line.get("delay_s", 0) * 1000)
                for line in p["queues"]
            }
            for name, p in by_name.items()
        }


# --- driving the instance ---------------------------------------------------------------------

Fits = Callable[[Slot], bool]

_DIALING = ContactState.CONNECTING
_TALKING = frozenset({ContactState.CONNECTED, ContactState.CONNECTED_ONHOLD})
FITS: dict[str, Fits] = {
    "accept": lambda s: s.state is ContactState.CONNECTING and not s.is_outbound,
    "reject": lambda s: s.state is ContactState.CONNECTING and not s.is_outbound,
    "hold": lambda s: s.state is ContactState.CONNECTED and s.channel is Channel.VOICE,
    "resume": lambda s: s.state is ContactState.CONNECTED_ONHOLD,
    "end": lambda s: s.state in _TALKING or (s.state is _DIALING and s.is_outbound),
    "clear": lambda s: s.state in CLEARABLE_STATES,
}
AGENT_COMMANDS: dict[str, Callable[..., cmd.Command]] = {
    "accept": cmd.AcceptContact,
    "reject": cmd.RejectContact,
    "hold": cmd.HoldContact,
    "resume": cmd.ResumeContact,
    "end": cmd.EndContact,
    "clear": cmd.ClearContact,
}


class Driver:
    """Turns `Action`s into commands on a World with a virtual clock (`now`, engine millis)."""

    def __init__(self, doc: Json) -> None:
        self.world = World(doc)
        self.engine = self.world.engine
        self.now: Millis = self.world.start
        self.inbound_count = 0
        self.dial_count = 0

    @property
    def state(self) -> State:
        return self.engine.state

    def _aim_slot(self, agent_id: AgentId, fits: Fits, pick: int) -> ContactId:
        slots = self.state.agents[agent_id].slots
        fitting = [cid for cid, slot in slots.items() if fits(slot)] or list(slots)
        return fitting[pick % len(fitting)] if fitting else ContactId("c1")

    def _aim_contact(self, phases: frozenset[ContactPhase], pick: int, default: str) -> ContactId:
        found = sorted(
            (c for c in self.state.contacts.values() if c.phase in phases),
            key=lambda c: c.arrival_seq,
        )
        return found[pick % len(found)].id if found else ContactId(default)

    def command(self, a: Action) -> tuple[cmd.Command, str]:
        """The command an action stands for now, and what it reads as in a failing example."""
        world = self.world
        agent_id = world.agent(a.agent) if a.agent is not None else None
        if a.verb == "login" and agent_id is not None:
            return cmd.Login(agent_id=agent_id), f"login {a.agent}"
        if a.verb == "logout" and agent_id is not None:
            kind = "forced logout" if a.forced else "logout"
            actor = "supervisor" if a.forced else "agent"
            return cmd.Logout(agent_id=agent_id, forced=bool(a.forced), actor=actor), (
                f"{kind} {a.agent}"
            )
        if a.verb == "set_status" and agent_id is not None and a.status is not None:
            return cmd.SetStatus(agent_id=agent_id, status_id=world.status(a.status)), (
                f"set_status {a.agent} {a.status}"
            )
        if a.verb == "inbound" and a.channel is not None and a.queue is not None:
            self.inbound_count += 1
            cid = ContactId(f"c{self.inbound_count}")
            return cmd.StartInboundContact(
                contact_id=cid, channel=Channel(a.channel), queue_id=world.queue(a.queue)
            ), f"inbound {cid} {a.channel} {a.queue}"
        if a.verb in AGENT_COMMANDS and agent_id is not None:
            cid = (
                ContactId(a.contact)
                if a.contact
                else self._aim_slot(agent_id, FITS[a.verb], a.pick)
            )
            return AGENT_COMMANDS[a.verb](agent_id=agent_id, contact_id=cid), (
                f"{a.verb} {a.agent} {cid}"
            )
        if a.verb == "dial_out" and agent_id is not None:
            self.dial_count += 1
            cid = ContactId(f"o{self.dial_count}")
            return cmd.DialOut(agent_id=agent_id, contact_id=cid), f"dial_out {a.agent} {cid}"
        if a.verb == "dial_result":
            cid = (
                ContactId(a.contact)
                if a.contact
                else (self._aim_contact(frozenset({ContactPhase.DIALING}), a.pick, "o1"))
            )
            if a.answered:
                return cmd.CustomerAnswered(contact_id=cid), f"customer answers {cid}"
            return cmd.DialFailed(contact_id=cid), f"dial fails {cid}"
        if a.verb == "hangup":
            ongoing = frozenset(ContactPhase) - {
                ContactPhase.AFTER_CONTACT_WORK,
                ContactPhase.COMPLETED,
            }
            cid = ContactId(a.contact) if a.contact else self._aim_contact(ongoing, a.pick, "c1")
            return cmd.CustomerHangup(contact_id=cid), f"customer hangs up {cid}"
        raise AssertionError(f"cannot drive {a!r}")

    def play(self, a: Action) -> None:
        """Run one action, ignoring refusals (for whole-run tests)."""
        if a.verb == "wait":
            self.now += a.ms or 0
            self.engine.fire_due(self.now)
            return
        command, _ = self.command(a)
        with contextlib.suppress(DomainError):
            self.engine.execute(command, at=self.now)

    def at(self) -> str:
        return f"t={(self.now - self.world.start) / 1000:g}s"


def _say(text: str) -> None:
    """A line of the failing example's story (and nothing when driven by hand, outside a test)."""
    if currently_in_test_context():
        note(text)


# --- canonical state, for replay and refusal checks -------------------------------------------


def _armed(state: State, deadline: cmd.Deadline, now: Millis) -> bool:
    """Would this deadline still act? Fired ones stay in a replayed heap but never act again."""
    if deadline.kind == ROUTE_WAKE:
        return deadline.at > now
    if deadline.agent_id is None or deadline.contact_id is None:
        return False
    agent = state.agents.get(deadline.agent_id)
    slot = agent.slots.get(deadline.contact_id) if agent is not None else None
    return (
        slot is not None
        and slot.state is deadline.expected_state
        and slot.state_start == deadline.state_start
    )


def _deadlines(state: State) -> list[cmd.Deadline]:
    """The timers kept in state (the heap holds `(at, seq, Deadline)` entries)."""
    return [entry[-1] if isinstance(entry, tuple) else entry for entry in state.deadlines]


def canonical(engine: Engine, now: Millis) -> Json:
    """Everything that decides what the engine does next, in a comparable form."""
    state = engine.state
    return {
        "agents": {
            agent.username: (
                agent.status_id,
                agent.status_start,
                agent.next_status_id,
                agent.next_status_at if agent.next_status_id is not None else None,
                agent.logged_in,
                agent.idle_since,
                agent.profile_id,
                tuple(
                    (cid, slot.state, slot.state_start, slot.connected_at)
                    for cid, slot in agent.slots.items()
                ),
                tuple(sorted(agent.routable_channels)),
            )
            for agent in state.agents.values()
        },
        "contacts": {
            c.id: (
                c.phase,
                c.agent_id,
                c.attempts,
                c.queue_id,
                c.enqueue_at,
                c.dequeue_at,
                c.connected_at,
                c.system_connected_at,
                c.disconnect_at,
                c.disconnect_reason,
                c.acw_start,
                c.acw_end,
                c.hold_count,
                c.hold_total_ms,
                c.hold_longest_ms,
                c.hold_started_at,
            )
            for c in state.contacts.values()
        },
        "queued": {
            f"{queue_id}/{channel}": [c.id for c in state.router.queued_contacts(queue_id, channel)]
            for queue_id in state.queues
            for channel in CHANNELS
        },
        "queued_count": state.router.queued,
        "deadlines": sorted(
            (d.at, d.seq, d.kind, d.agent_id, d.contact_id, d.expected_state, d.state_start)
            for d in _deadlines(state)
            if _armed(state, d, now)
        ),
        "contact_ids": sorted(state.contact_ids),
        "contact_seq": state.contact_seq,
        # what the agent's next STATE_CHANGE will carry as its PreviousAgentSnapshot
        "stream_previous": {
            agent_id: None
            if agent_id in engine.stream.after_login
            else engine.stream.last.get(agent_id)
            for agent_id in state.agents
        },
        "stream_after_login": sorted(engine.stream.after_login),
    }


def fresh_engine(world: World) -> Engine:
    """An empty engine built as `sim.script.new_engine` builds one, before any command."""
    return Engine(clock=ManualClock(world.start), ids=IdSource(world.setup.settings.arn))


def activity_oracle(snapshot: Json) -> str:
    """Agent Activity from a decoded snapshot, with DESIGN §2's precedence, written afresh."""
    states = [(c["State"], c["InitiationMethod"] == "OUTBOUND") for c in snapshot["Contacts"]]
    names = {state for state, _ in states}
    if "ERROR" in names:
        return "Error"
    if "MISSED" in names:
        return "Missed"
    if "REJECTED" in names:
        return "Rejected"
    if names & {"CONNECTED", "CONNECTED_ONHOLD", "PAUSED"} or ("CONNECTING", True) in states:
        return "On contact"
    if "ENDED" in names:
        return "After contact work"
    if names & {"INCOMING", "PENDING"} or ("CONNECTING", False) in states:
        return "Incoming"
    return str(snapshot["AgentStatus"]["Name"])


# --- the state machine ------------------------------------------------------------------------


class EngineInvariants(RuleBasedStateMachine):
    """Random traffic through one instance; every record and every state checked."""

    def __init__(self) -> None:
        super().__init__()
        self.d: Driver | None = None

    @initialize(knobs=sb.knobs, ready=sb.ready_agents)
    def build(self, knobs: Json, ready: list[str]) -> None:
        doc = sb.scenario(**knobs)
        self.profiles = Profiles(doc)
        self.d = d = Driver(doc)
        world = d.world
        assert not world.records, "building the instance published agent events"
        self.username = {agent.id: agent.username for agent in d.state.agents.values()}
        encoder = AgentEventEncoder(world.setup.settings)
        builder = SnapshotBuilder(d.state)
        self.latest: dict[AgentId, Json] = {
            agent.id: orjson.loads(orjson.dumps(encoder.snapshot_dict(builder.snapshot(agent))))
            for agent in d.state.agents.values()
        }
        """Each agent's snapshot as the stream last showed it (as built, before any record)."""
        self.reported: dict[AgentId, Json] = {}
        """Each agent's last STATE_CHANGE or HEART_BEAT CurrentAgentSnapshot."""
        self.after_login: set[AgentId] = set()
        self.last_stamp: Millis = 0
        self.last_record_at: dict[AgentId, Millis] = {}
        self.restarted_at: Millis = 0
        self.heartbeat_ms = world.setup.settings.heartbeat_ms
        self.seen_seq = len(d.engine.log)
        self.seen_records = 0
        self.connected_to: dict[str, AgentId] = {}
        """Contacts that reached an agent (accepted, or dialled by the agent), and who."""
        self.replica = fresh_engine(world)
        self.replica.replay(d.engine.log.read())
        self.replayed = len(d.engine.log)
        for username in ready:
            self._do(Action("login", agent=username))
            self._do(Action("set_status", agent=username, status="Available"))

    # --- rules ---------------------------------------------------------------------------------

    @rule(agent=sb.agents)
    def login(self, agent: str) -> None:
        self._do(Action("login", agent=agent))

    @rule(agent=sb.agents, forced=st.booleans())
    def logout(self, agent: str, forced: bool) -> None:
        self._do(Action("logout", agent=agent, forced=forced))

    @rule(agent=sb.agents, status=sb.statuses)
    def set_status(self, agent: str, status: str) -> None:
        self._do(Action("set_status", agent=agent, status=status))

    @rule(channel=sb.channels, queue=sb.queues)
    def inbound(self, channel: str, queue: str) -> None:
        self._do(Action("inbound", channel=channel, queue=queue))

    @rule(verb=sb.agent_verbs, agent=sb.agents, contact=sb.contact_refs, pick=sb.picks)
    def agent_acts(self, verb: str, agent: str, contact: str | None, pick: int) -> None:
        """accept, reject, hold, resume, end or clear: aimed at the agent's own contacts
        (`contact=None`) or at any contact id, which is mostly refused."""
        self._do(Action(verb, agent=agent, contact=contact, pick=pick))

    @rule(agent=sb.agents)
    def dial_out(self, agent: str) -> None:
        self._do(Action("dial_out", agent=agent))

    @rule(contact=sb.contact_refs, pick=sb.picks, answered=st.booleans())
    def dial_result(self, contact: str | None, pick: int, answered: bool) -> None:
        self._do(Action("dial_result", contact=contact, pick=pick, answered=answered))

    @rule(contact=sb.contact_refs, pick=sb.picks)
    def hangup(self, contact: str | None, pick: int) -> None:
        self._do(Action("hangup", contact=contact, pick=pick))

    @rule(ms=sb.waits)
    def wait(self, ms: int) -> None:
        self._do(Action("wait", ms=ms))

    @rule(downtime=st.sampled_from([0, 3_000, 45_000]))
    def restart(self, downtime: int) -> None:
        """The server restarts: a new engine replays the log, then catches up on the clock
        (DESIGN §3.13: overdue deadlines fire at their own times, heartbeats are not back-filled).
        """
        d = self.d
        assert d is not None
        old = d.engine
        new = Engine(
            clock=ManualClock(d.now), ids=IdSource(d.world.setup.settings.arn), log=old.log
        )
        new.replay(old.log.read())
        for listener in old.stream_listeners:
            new.on_agent_event(listener)
        for on_record in old.record_listeners:
            new.on_contact_record(on_record)
        d.engine = d.world.engine = new
        d.now += downtime
        self.restarted_at = d.now
        _say(f"{d.at()} the engine restarts after {downtime} ms down")
        new.fire_due(d.now)
        self._absorb(None, None)

    # --- aimed rules: most random commands are refused, these find what the state allows -----

    def _fitting(self, verb: str) -> list[tuple[str, ContactId]]:
        if self.d is None:
            return []
        return [
            (agent.username, cid)
            for agent in self.d.state.agents.values()
            for cid, slot in agent.slots.items()
            if FITS[verb](slot)
        ]

    def _aimed(self, verb: str, pick: int) -> None:
        username, cid = self._fitting(verb)[pick % len(self._fitting(verb))]
        self._do(Action(verb, agent=username, contact=cid))

    @precondition(lambda self: self._fitting("accept"))
    @rule(pick=sb.picks)
    def accept_an_offer(self, pick: int) -> None:
        self._aimed("accept", pick)

    @precondition(lambda self: self._fitting("reject"))
    @rule(pick=sb.picks)
    def reject_an_offer(self, pick: int) -> None:
        self._aimed("reject", pick)

    @precondition(lambda self: self._fitting("hold") or self._fitting("resume"))
    @rule(pick=sb.picks)
    def hold_or_resume_a_call(self, pick: int) -> None:
        self._aimed("hold" if self._fitting("hold") else "resume", pick)

    @precondition(lambda self: self._fitting("end"))
    @rule(pick=sb.picks)
    def agent_ends_a_contact(self, pick: int) -> None:
        self._aimed("end", pick)

    @precondition(lambda self: self._fitting("clear"))
    @rule(pick=sb.picks)
    def clear_a_contact(self, pick: int) -> None:
        self._aimed("clear", pick)

    @precondition(lambda self: self._fitting("end"))
    @rule(pick=sb.picks)
    def customer_hangs_up_a_conversation(self, pick: int) -> None:
        _, cid = self._fitting("end")[pick % len(self._fitting("end"))]
        self._do(Action("hangup", contact=cid))

    @precondition(lambda self: self._fitting("accept"))
    @rule(pick=sb.picks)
    def customer_hangs_up_while_ringing(self, pick: int) -> None:
        _, cid = self._fitting("accept")[pick % len(self._fitting("accept"))]
        self._do(Action("hangup", contact=cid))

    def _busy(self) -> list[str]:
        if self.d is None:
            return []
        return [agent.username for agent in self.d.state.agents.values() if agent.slots]

    @precondition(lambda self: self._busy())
    @rule(pick=sb.picks, status=sb.statuses)
    def a_busy_agent_chooses_a_status(self, pick: int, status: str) -> None:
        """With contacts held, a custom status or Offline becomes the next status (§3.9)."""
        agent = self._busy()[pick % len(self._busy())]
        self._do(Action("set_status", agent=agent, status=status))

    @precondition(lambda self: self._busy())
    @rule(pick=sb.picks, forced=st.booleans())
    def a_busy_agent_logs_out(self, pick: int, forced: bool) -> None:
        """Refused while a contact is live, unless a supervisor forces it (§3.11)."""
        agent = self._busy()[pick % len(self._busy())]
        self._do(Action("logout", agent=agent, forced=forced))

    def _dialing(self) -> list[ContactId]:
        if self.d is None:
            return []
        return [c.id for c in self.d.state.contacts.values() if c.phase is ContactPhase.DIALING]

    @precondition(lambda self: self._dialing())
    @rule(pick=sb.picks, answered=st.booleans())
    def a_dialled_customer_answers_or_not(self, pick: int, answered: bool) -> None:
        cid = self._dialing()[pick % len(self._dialing())]
        self._do(Action("dial_result", contact=cid, answered=answered))

    # --- one step --------------------------------------------------------------------------------

    def _fingerprint(self) -> tuple[int, int, int, Json]:
        assert self.d is not None
        world = self.d.world
        return (
            len(self.d.engine.log),
            len(world.records),
            len(world.ctr_json),
            canonical(self.d.engine, self.d.now),
        )

    def _do(self, action: Action) -> None:
        d = self.d
        assert d is not None
        engine = d.engine
        if action.verb == "wait":
            d.now += action.ms or 0
            _say(f"{d.at()} clock moves on {action.ms} ms")
            engine.fire_due(d.now)
            self._absorb(None, None)
            return
        command, text = d.command(action)
        # Fire what fell due before this instant first (execute would), so that what follows
        # is the command's own doing.
        engine.fire_due(d.now, inclusive=False)
        self._absorb(None, None)
        before = self._fingerprint()
        try:
            returned = engine.execute(command, at=d.now)
        except DomainError as refused:
            _say(f"{d.at()} {text}: refused ({refused.message})")
            after = self._fingerprint()
            assert after[:3] == before[:3], (
                f"refused {text} still logged or published something: "
                f"(log, AES, CTR) {before[:3]} -> {after[:3]}"
            )
            assert after[3] == before[3], f"refused {text} still changed the state"
            return
        _say(f"{d.at()} {text}")
        self._absorb(command, returned)

    def _absorb(self, command: cmd.Command | None, returned: list[ev.Event] | None) -> None:
        """Check every log event and stream record the last step produced, in order."""
        assert self.d is not None
        engine, world = self.d.engine, self.d.world
        logged = [event for _, event in engine.log.read(after=self.seen_seq)]
        self.seen_seq += len(logged)
        if returned is not None:
            assert returned == logged, "execute returned other events than it logged"
        for event in logged:
            if isinstance(event, ev.ContactAccepted | ev.OutboundDialed):
                self.connected_to[event.contact_id] = event.agent_id
        streamed = [e for e in logged if isinstance(e, ev.AgentEvent) and e.changes_agent_stream]
        fresh = range(self.seen_records, len(world.records))
        self.seen_records = len(world.records)
        beats = [i for i in fresh if world.records[i].event_type is StreamEventType.HEART_BEAT]
        causes = iter(streamed)
        for i in fresh:
            cause = None if i in beats else next(causes, None)
            self._check_record(i, cause, command)
        left = list(causes)
        assert not left, f"events with no agent event stream record: {left}"

    # --- per record ----------------------------------------------------------------------------

    def _check_record(
        self, i: int, cause: ev.AgentEvent | None, command: cmd.Command | None
    ) -> None:
        assert self.d is not None
        world = self.d.world
        record, raw = world.records[i], world.aes_json[i]
        agent_id = record.agent_id
        who = self.username[agent_id]
        kind = record.event_type
        where = f"AES record {i} ({kind.value} of {who})"

        # 9. event timestamps never go backwards
        stamp = parse_timestamp(raw["EventTimestamp"])
        assert stamp == record.at, where
        assert stamp >= self.last_stamp, (
            f"{where}: EventTimestamp {raw['EventTimestamp']} is before the previous record's"
        )
        self.last_stamp = stamp

        # 10. a HEART_BEAT comes after heartbeat_ms without another record of the agent (DESIGN
        # §5): exactly then, or later when a restart skipped beats (§3.13), never sooner
        previous_at = self.last_record_at.get(agent_id)
        self.last_record_at[agent_id] = stamp
        if kind is StreamEventType.HEART_BEAT:
            assert cause is None
            assert previous_at is not None, f"{where}: a heartbeat before any other record"
            gap = stamp - previous_at
            assert gap >= self.heartbeat_ms, (
                f"{where}: a HEART_BEAT {gap} ms after the agent's previous record, "
                f"sooner than {self.heartbeat_ms} ms without one"
            )
            if previous_at >= self.restarted_at:
                assert gap == self.heartbeat_ms, f"{where}: a HEART_BEAT {gap} ms after the last"
            assert raw["PreviousAgentSnapshot"] == raw["CurrentAgentSnapshot"], where
            assert raw["CurrentAgentSnapshot"] == self.latest[agent_id], (
                f"{where}: a heartbeat shows another snapshot than the last record of the agent"
            )
            self.reported[agent_id] = raw["CurrentAgentSnapshot"]
            return

        assert cause is not None, f"{where}: no domain event behind it"
        assert cause.agent_id == agent_id, f"{where}: caused by {cause}"
        assert cause.at == record.at, f"{where}: caused by {cause}"
        if kind is StreamEventType.LOGIN or kind is StreamEventType.LOGOUT:
            expected = ev.AgentLoggedIn if kind is StreamEventType.LOGIN else ev.AgentLoggedOut
            assert isinstance(cause, expected), f"{where}: caused by {cause}"
            assert raw["CurrentAgentSnapshot"] is None, where
            assert raw["PreviousAgentSnapshot"] is None, where
            if kind is StreamEventType.LOGIN:
                self.after_login.add(agent_id)
            return

        assert kind is StreamEventType.STATE_CHANGE, where
        current: Json = raw["CurrentAgentSnapshot"]
        previous: Json | None = raw["PreviousAgentSnapshot"]
        before = self.latest[agent_id]

        # 5. the Previous snapshot chains to the agent's last STATE_CHANGE / HEART_BEAT
        if agent_id in self.after_login or agent_id not in self.reported:
            assert previous is None, f"{where}: first STATE_CHANGE after LOGIN has a Previous"
        else:
            assert previous == self.reported[agent_id], (
                f"{where}: PreviousAgentSnapshot is not the agent's last reported snapshot"
            )
        self.after_login.discard(agent_id)
        assert current != before, f"{where}: a STATE_CHANGE that changes nothing ({cause})"

        self._check_slots(where, who, current)
        if isinstance(cause, ev.ContactOffered):
            self._check_offer(where, who, before, current, cause)
        self._check_status_change(where, before, current, cause, command)

        # 8. Agent Activity is a documented value, and the precedence of DESIGN §2
        assert record.current is not None
        activity = activity_name(record.current.activity, record.current.status.name)
        assert activity in DOCUMENTED_ACTIVITIES, f"{where}: activity {activity!r}"
        assert activity == activity_oracle(current), (
            f"{where}: activity {activity!r}, precedence says {activity_oracle(current)!r}"
        )

        self.latest[agent_id] = current
        self.reported[agent_id] = current

        # 2. no contact live on two agents at once (as the stream shows them, after each record)
        live_on: dict[str, list[str]] = {}
        for other, snapshot in self.latest.items():
            for contact in snapshot["Contacts"]:
                if contact["State"] in LIVE:
                    live_on.setdefault(contact["ContactId"], []).append(self.username[other])
        twice = {cid: names for cid, names in live_on.items() if len(names) > 1}
        assert not twice, f"{where}: contacts live on two agents at once: {twice}"

    def _check_slots(self, where: str, who: str, snapshot: Json) -> None:
        """1. AvailableSlots = MaximumSlots - held, never below 0, maximum as the profile says."""
        profile = self.profiles.profile_of[who]
        held: dict[str, int] = {}
        for contact in snapshot["Contacts"]:
            held[contact["Channel"]] = held.get(contact["Channel"], 0) + 1
        concurrency = snapshot["Configuration"]["RoutingProfile"]["Concurrency"]
        maxima = {c["Channel"]: c["MaximumSlots"] for c in concurrency}
        assert maxima == self.profiles.concurrency[profile], f"{where}: {concurrency}"
        for c in concurrency:
            used = held.get(c["Channel"], 0)
            assert used <= c["MaximumSlots"], f"{where}: {used} {c['Channel']} contacts held"
            assert c["AvailableSlots"] == c["MaximumSlots"] - used >= 0, f"{where}: {c}"
        assert set(held) <= set(maxima), f"{where}: holds contacts on {set(held) - set(maxima)}"

    def _check_offer(
        self, where: str, who: str, before: Json, current: Json, offer: ev.ContactOffered
    ) -> None:
        """3. Offers go only to routable agents (DESIGN §3.2, §4), judged on the prior snapshot."""
        profile = self.profiles.profile_of[who]
        offered = next(c for c in current["Contacts"] if c["ContactId"] == offer.contact_id)
        channel = offered["Channel"]
        assert before["AgentStatus"]["Type"] == "ROUTABLE", (
            f"{where}: {offer.contact_id} offered in status {before['AgentStatus']['Name']}"
        )
        assert "NextAgentStatus" not in before, (
            f"{where}: {offer.contact_id} offered with next status "
            f"{before['NextAgentStatus']['Name']} pending"
        )
        failed = [c["ContactId"] for c in before["Contacts"] if c["State"] in FAILED]
        assert not failed, f"{where}: {offer.contact_id} offered while {failed} wait to be cleared"
        assert all(c["ContactId"] != offer.contact_id for c in before["Contacts"]), where
        held_channels = {c["Channel"] for c in before["Contacts"]}
        if held_channels - {channel}:
            blocking = held_channels - self.profiles.route_any[profile]
            assert not blocking, (
                f"{where}: {channel} contact {offer.contact_id} offered to an agent busy on "
                f"{sorted(blocking)}, which route their current channel only"
            )
        concurrency = before["Configuration"]["RoutingProfile"]["Concurrency"]
        free = {c["Channel"]: c["AvailableSlots"] for c in concurrency}
        assert free.get(channel, 0) > 0, f"{where}: {channel} offer with no free {channel} slot"
        assert offered["State"] == "CONNECTING", where
        queue = offered["Queue"]["Name"]
        delay = self.profiles.delay_ms[profile].get((queue, channel))
        assert delay is not None, f"{where}: profile {profile} does not serve {queue} {channel}"
        waited = offer.at - parse_timestamp(offered["QueueTimestamp"])
        assert waited >= delay, f"{where}: offered after {waited} ms of a {delay} ms queue delay"

    def _check_status_change(
        self,
        where: str,
        before: Json,
        current: Json,
        cause: ev.AgentEvent,
        command: cmd.Command | None,
    ) -> None:
        """4. The status moves only on SetStatus/Logout for this agent (to what was asked), or
        when the last slot clears and the pending next status takes effect."""
        old, new = before["AgentStatus"], current["AgentStatus"]
        if old == new:
            return
        change = f"{where}: status {old['Name']} -> {new['Name']} on {type(cause).__name__}"
        mine = command is not None and getattr(command, "agent_id", None) == cause.agent_id
        if mine and isinstance(command, cmd.SetStatus):
            assert new["ARN"].rsplit("/", 1)[-1] == command.status_id, f"{change}: not as asked"
            return
        if mine and isinstance(command, cmd.Logout):
            assert new["Type"] == "OFFLINE", f"{change}: logout ends Offline"
            return
        pending = before.get("NextAgentStatus")
        assert pending is not None, (
            f"{change}, during {type(command).__name__ if command else 'a timer'}, "
            "with no next status pending"
        )
        assert pending["ARN"] == new["ARN"], f"{change}, but {pending['Name']} was next"
        assert not current["Contacts"], f"{change} while contacts are still held"
        assert "NextAgentStatus" not in current, f"{change}, next status still shown"

    # --- after every step ----------------------------------------------------------------------

    @invariant()
    def slots_within_concurrency(self) -> None:
        """1. No agent holds more contacts per channel than its profile's concurrency."""
        if self.d is None:
            return
        state = self.d.state
        for agent in state.agents.values():
            concurrency = state.profiles[agent.profile_id].concurrency
            for channel in CHANNELS:
                held = agent.held_on(channel)
                assert held <= concurrency.get(channel, 0), (
                    f"{agent.username} holds {held} {channel} contacts, profile allows "
                    f"{concurrency.get(channel, 0)}"
                )

    @invariant()
    def logged_in_agents_get_their_heartbeats(self) -> None:
        """10. No logged-in agent goes heartbeat_ms without a record (a restart may skip beats:
        DESIGN §3.13, not back-filled, so its agents are exempt until their next record)."""
        if self.d is None:
            return
        for agent in self.d.state.agents.values():
            last = self.last_record_at.get(agent.id)
            if agent.logged_in and last is not None and last >= self.restarted_at:
                assert self.d.now - last <= self.heartbeat_ms, (
                    f"{agent.username} has had no record for {self.d.now - last} ms"
                )

    @invariant()
    def no_contact_live_on_two_agents(self) -> None:
        """2. (state) A contact is live on one agent at most."""
        if self.d is None:
            return
        seen: dict[ContactId, str] = {}
        for agent in self.d.state.agents.values():
            for cid, slot in agent.slots.items():
                if slot.state in LIVE_STATES:
                    assert cid not in seen, f"{cid} live on {seen[cid]} and {agent.username}"
                    seen[cid] = agent.username

    @invariant()
    def replaying_the_log_rebuilds_the_state(self) -> None:
        """6. Folding the log into a fresh engine gives the same state (incrementally here)."""
        if self.d is None:
            return
        engine = self.d.engine
        self.replica.replay(engine.log.read(after=self.replayed))
        self.replayed = len(engine.log)
        live, rebuilt = canonical(engine, self.d.now), canonical(self.replica, self.d.now)
        assert rebuilt == live, _diff(live, rebuilt)

    @invariant()
    def one_record_per_ended_contact(self) -> None:
        """7. Every ended contact has exactly one record; `Agent` iff it reached an agent."""
        if self.d is None:
            return
        state, world = self.d.state, self.d.world
        ids = [r["ContactId"] for r in world.ctr_json]
        assert len(ids) == len(set(ids)), f"ContactId twice in the records: {sorted(ids)}"
        ended = state.contact_ids - state.contacts.keys()
        assert set(ids) == ended, (
            f"records for {sorted(set(ids) - ended)} not ended; "
            f"no record for ended {sorted(ended - set(ids))}"
        )
        for record in world.ctr_json:
            cid = record["ContactId"]
            agent_id = self.connected_to.get(cid)
            if agent_id is None:
                assert record["Agent"] is None, f"{cid} never reached an agent but has Agent"
            else:
                assert record["Agent"] is not None, f"{cid} reached an agent, record has no Agent"
                assert record["Agent"]["Username"] == self.username[agent_id], cid

    def teardown(self) -> None:
        """6. Replaying the whole log from scratch into a fresh engine gives the same state."""
        if self.d is None:
            return
        rebuilt = fresh_engine(self.d.world)
        rebuilt.replay(self.d.engine.log.read())
        live = canonical(self.d.engine, self.d.now)
        assert canonical(rebuilt, self.d.now) == live, _diff(live, canonical(rebuilt, self.d.now))


def _diff(live: Json, rebuilt: Json) -> str:
    lines = ["replayed state differs from the live one:"]
    for key in live:
        if live[key] != rebuilt.get(key):
            lines.append(
                f"  {key}: live {live[key]!r}\n  {' ' * len(key)}  replay {rebuilt.get(key)!r}"
            )
    return "\n".join(lines)


TestEngineInvariants = EngineInvariants.TestCase


# --- determinism --------------------------------------------------------------------------------


def run_to_bytes(knobs: Json, script: list[Action]) -> tuple[bytes, bytes]:
    """Play a script on a fresh instance, let the clock run on, return the AES and CTR JSONL."""
    driver = Driver(sb.scenario(**knobs))
    for action in script:
        driver.play(action)
    driver.engine.fire_due(driver.now + 5 * 60_000)
    world = driver.world
    aes = AgentEventEncoder(world.setup.settings)
    ctr = ContactRecordEncoder(world.setup.settings)
    return (
        b"".join(aes.encode(r) + b"\n" for r in world.records),
        b"".join(ctr.encode(r) + b"\n" for r in world.contact_records),
    )


@given(knobs=sb.knobs, script=st.lists(sb.actions, max_size=60))
def test_the_same_actions_give_byte_identical_outputs(knobs: Json, script: list[Action]) -> None:
    first = run_to_bytes(knobs, script)
    second = run_to_bytes(knobs, script)
    assert first[0] == second[0], "agent event stream bytes differ between two identical runs"
    assert first[1] == second[1], "contact record bytes differ between two identical runs"


def _main() -> None:
    """Subprocess side of the cross-process test: a script as JSON on stdin, outputs on stdout."""
    job = orjson.loads(sys.stdin.buffer.read())
    aes, ctr = run_to_bytes(job["knobs"], [Action(**a) for a in job["script"]])
    sys.stdout.buffer.write(orjson.dumps({"aes": aes.decode(), "ctr": ctr.decode()}))


@settings(max_examples=4)
@given(
    knobs=sb.knobs,
    script=st.lists(sb.actions, min_size=20, max_size=60),
    hash_seed=st.integers(min_value=1, max_value=2**32 - 1),
)
def test_outputs_do_not_depend_on_the_process_hash_seed(
    knobs: Json, script: list[Action], hash_seed: int
) -> None:
    """Same bytes in another process with another PYTHONHASHSEED: no set or hash order leaks
    into the stream (DESIGN §5: replays and same-seed runs give identical bytes)."""
    job = orjson.dumps({"knobs": knobs, "script": [dataclasses.asdict(a) for a in script]})
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", "from tests.property.test_engine_invariants import _main; _main()"],
        input=job,
        capture_output=True,
        cwd=root,
        env={**os.environ, "PYTHONHASHSEED": str(hash_seed)},
        check=True,
        timeout=120,
    )
    there = orjson.loads(done.stdout)
    aes, ctr = run_to_bytes(knobs, script)
    assert there["aes"] == aes.decode(), "AES bytes differ under another hash seed"
    assert there["ctr"] == ctr.decode(), "CTR bytes differ under another hash seed"
