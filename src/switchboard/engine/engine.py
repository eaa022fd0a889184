"""The engine: runs commands through `decide`, logs events, fires deadlines, publishes records.

It projects the agent event stream (with heartbeats) and contact records to whoever listens.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from switchboard.domain import events as ev
from switchboard.domain.commands import Command, Deadline, FireDeadline
from switchboard.domain.decide import deadline_is_live, decide
from switchboard.domain.model import AgentId, ContactId, Millis
from switchboard.domain.state import State, evolve
from switchboard.engine.clock import Clock
from switchboard.engine.ids import IdSource
from switchboard.engine.log import EventLog, InMemoryLog
from switchboard.engine.views import (
    AgentSnapshot,
    ContactRecordView,
    SnapshotBuilder,
    contact_record,
)


class StreamEventType(StrEnum):
    LOGIN = "LOGIN"
    LOGOUT = "LOGOUT"
    STATE_CHANGE = "STATE_CHANGE"
    HEART_BEAT = "HEART_BEAT"


@dataclass(frozen=True, slots=True)
class AgentStreamRecord:
    """One agent event stream record, before it is written as Amazon Connect's JSON."""

    event_id: str | None
    """None for HEART_BEATs: their id hashes (AgentARN, EventTimestamp), known to the encoder."""
    event_type: StreamEventType
    at: Millis
    agent_id: AgentId
    current: AgentSnapshot | None
    previous: AgentSnapshot | None


AgentStreamListener = Callable[[AgentStreamRecord], None]
ContactRecordListener = Callable[[ContactRecordView], None]
EventListener = Callable[[ev.Event], None]


class AgentStream:
    """Projects domain events onto the agent event stream, with heartbeats (DESIGN §5)."""

    def __init__(self, state: State, ids: IdSource) -> None:
        self.state = state
        self.ids = ids
        self.snapshots = SnapshotBuilder(state)
        self.last: dict[AgentId, AgentSnapshot] = {}
        self.after_login: set[AgentId] = set()
        self.logged_out_at: dict[AgentId, Millis] = {}
        self.stamp: dict[AgentId, int] = {}
        self.heartbeats: list[tuple[Millis, AgentId, int]] = []

    def project(self, seq: int, event: ev.Event) -> AgentStreamRecord | None:
        if not isinstance(event, ev.AgentEvent) or not event.changes_agent_stream:
            return None
        agent_id = event.agent_id
        event_id = self.ids.event(seq, 0)
        if isinstance(event, ev.AgentLoggedIn):
            self.after_login.add(agent_id)
            self.logged_out_at.pop(agent_id, None)
            record = AgentStreamRecord(
                event_id, StreamEventType.LOGIN, event.at, agent_id, None, None
            )
        elif isinstance(event, ev.AgentLoggedOut):
            self.logged_out_at[agent_id] = event.at
            record = AgentStreamRecord(
                event_id, StreamEventType.LOGOUT, event.at, agent_id, None, None
            )
        else:
            current = self.snapshots.snapshot(self.state.agents[agent_id])
            previous = None if agent_id in self.after_login else self.last.get(agent_id)
            self.after_login.discard(agent_id)
            self.last[agent_id] = current
            record = AgentStreamRecord(
                event_id, StreamEventType.STATE_CHANGE, event.at, agent_id, current, previous
            )
        self._schedule_heartbeat(agent_id, event.at)
        return record

    def _schedule_heartbeat(self, agent_id: AgentId, at: Millis) -> None:
        stamp = self.stamp.get(agent_id, 0) + 1
        self.stamp[agent_id] = stamp
        heapq.heappush(self.heartbeats, (at + self.state.settings.heartbeat_ms, agent_id, stamp))

    def next_heartbeat(self) -> Millis | None:
        """When the next heartbeat is due; drops entries that another event made stale."""
        heap = self.heartbeats
        while heap:
            due, agent_id, stamp = heap[0]
            if stamp != self.stamp[agent_id] or not self._beats(agent_id, due):
                heapq.heappop(heap)
                continue
            return due
        return None

    def _beats(self, agent_id: AgentId, due: Millis) -> bool:
        agent = self.state.agents[agent_id]
        if agent.logged_in:
            return True
        gone = self.logged_out_at.get(agent_id)
        return gone is not None and due - gone <= self.state.settings.heartbeat_after_logout_ms

    _IMAGE_FIELDS = ("last", "after_login", "logged_out_at", "stamp", "heartbeats")

    def image(self) -> dict[str, object]:
        """What a snapshot keeps of the projection: previous snapshots, heartbeat timers."""
        return {name: getattr(self, name) for name in self._IMAGE_FIELDS}

    def restore(self, image: dict[str, object]) -> None:
        for name in self._IMAGE_FIELDS:
            setattr(self, name, image[name])

    def reanchor(self, now: Millis) -> None:
        """After a restart: heartbeats that fell while the engine was down are skipped, not
        back-filled; each agent's next one keeps its own cadence, strictly after `now` (the old
        engine may have sent the one due at the restart instant)."""
        interval = self.state.settings.heartbeat_ms
        self.heartbeats = [
            (due if due > now else due + ((now - due) // interval + 1) * interval, agent_id, stamp)
            for due, agent_id, stamp in self.heartbeats
            if stamp == self.stamp[agent_id]
        ]
        heapq.heapify(self.heartbeats)

    def heartbeat(self) -> AgentStreamRecord:
        due, agent_id, _ = heapq.heappop(self.heartbeats)
        snapshot = self.snapshots.snapshot(self.state.agents[agent_id])
        self.last[agent_id] = snapshot
        self._schedule_heartbeat(agent_id, due)
        return AgentStreamRecord(
            None, StreamEventType.HEART_BEAT, due, agent_id, snapshot, snapshot
        )


class Engine:
    """One contact-center instance: the single writer of its state and log."""

    def __init__(
        self, *, clock: Clock, ids: IdSource, log: EventLog | None = None, stream: bool = True
    ) -> None:
        self.clock = clock
        self.ids = ids
        self.log: EventLog = log if log is not None else InMemoryLog()
        self.state = State()
        self.stream = AgentStream(self.state, ids)
        self.last_at: Millis = 0
        self._catching_up = False
        self._seq = self.log.next_seq
        self.publish_stream = stream
        """False: no agent event stream (no snapshots, no heartbeats), as `simulate --no-stream`."""
        self.stream_listeners: list[AgentStreamListener] = []
        self.record_listeners: list[ContactRecordListener] = []
        self.event_listeners: list[EventListener] = []

    # --- listening -----------------------------------------------------------------------------

    def on_agent_event(self, listener: AgentStreamListener) -> None:
        self.stream_listeners.append(listener)

    def on_contact_record(self, listener: ContactRecordListener) -> None:
        self.record_listeners.append(listener)

    def on_event(self, listener: EventListener) -> None:
        """Each domain event, right after it is applied (drivers such as the simulator react)."""
        self.event_listeners.append(listener)

    def next_due(self) -> Millis | None:
        """When the next deadline or heartbeat falls, if any."""
        deadline = self.state.next_deadline()
        beat = self.stream.next_heartbeat()
        if deadline is None:
            return beat
        if beat is None:
            return deadline.at
        return min(deadline.at, beat)

    # --- commands and time ---------------------------------------------------------------------

    def execute(self, command: Command, at: Millis | None = None) -> list[ev.Event]:
        """Apply one command now (or at `at` on a virtual clock) and return its events.

        Deadlines that fell before this instant fire first; one falling at this very instant
        fires after the command (DESIGN §5: an action at a deadline's instant goes first).
        """
        now = self.clock.now() if at is None else at
        self.fire_due(now, inclusive=False)
        return self._run(command, max(now, self.last_at))

    def fire_due(self, until: Millis, *, inclusive: bool = True) -> None:
        """Fire every deadline and heartbeat up to `until`, each stamped with its own time.

        The first call after `replay` is a restart's catch-up (DESIGN §3.13): overdue deadlines
        fire in order at their own times, but heartbeats missed meanwhile are not back-filled.
        """
        state = self.state
        stream = self.stream
        if self._catching_up:
            self._catching_up = False
            while (deadline := state.next_deadline()) is not None and (
                deadline.at < until or (inclusive and deadline.at == until)
            ):
                state.pop_deadline()
                self._fire(deadline)
            stream.reanchor(until)
        while True:
            deadline = state.next_deadline()
            beat = stream.next_heartbeat()
            due_deadline = deadline is not None and (
                deadline.at < until or (inclusive and deadline.at == until)
            )
            due_beat = beat is not None and (beat < until or (inclusive and beat == until))
            if (
                due_deadline
                and deadline is not None
                and (not due_beat or deadline.at <= (beat or 0))
            ):
                state.pop_deadline()
                self._fire(deadline)
            elif due_beat and beat is not None:
                self.last_at = max(self.last_at, beat)
                record = stream.heartbeat()
                for listener in self.stream_listeners:
                    listener(record)
            else:
                return

    def _fire(self, deadline: Deadline) -> None:
        if deadline_is_live(self.state, deadline):  # most offer timeouts were answered in time
            self._run(FireDeadline(deadline=deadline), max(deadline.at, self.last_at))

    def _run(self, command: Command, now: Millis) -> list[ev.Event]:
        self._seq = self.log.next_seq
        events = decide(self.state, command, now, self._observe)
        if events:
            self.log.append(events)
        self.last_at = now
        return events

    def _observe(self, event: ev.Event) -> None:
        seq = self._seq
        self._seq += 1
        if self.publish_stream:
            record = self.stream.project(seq, event)
            if record is not None:
                for listener in self.stream_listeners:
                    listener(record)
        finished = self.state.finished
        if finished:
            if self.record_listeners:
                for contact in finished:
                    view = contact_record(self.state, contact, event.at)
                    for on_record in self.record_listeners:
                        on_record(view)
            finished.clear()
        for on_event in self.event_listeners:
            on_event(event)

    # --- snapshots and replay ------------------------------------------------------------------

    def image(self) -> tuple[State, dict[str, object], Millis]:
        """Everything a snapshot needs to resume this engine: state, stream projection, clock."""
        self.state.router.compact()  # stale index entries would only make the image bigger
        return self.state, self.stream.image(), self.last_at

    def restore(self, image: tuple[State, dict[str, object], Millis]) -> None:
        """Resume from `image()` (a fresh engine; replay the log's tail after it)."""
        state, stream, last_at = image
        if not isinstance(state, State):
            raise TypeError("the image does not hold a switchboard State")
        self.state = state
        self.stream = AgentStream(state, self.ids)
        self.stream.restore(stream)
        self.last_at = last_at

    def replay(self, events: Iterable[tuple[int, ev.Event]]) -> None:
        """Rebuild state from a log (projections are rebuilt too, without notifying anyone)."""
        for seq, event in events:
            evolve(self.state, event)
            self.stream.project(seq, event)
            self.state.finished.clear()
            self.last_at = max(self.last_at, event.at)
        self.state.router.compact()  # nothing routed during the replay: most entries are stale
        self._catching_up = True

    # --- ids -----------------------------------------------------------------------------------

    def new_contact_id(self) -> ContactId:
        return ContactId(self.ids.contact(self.state.contact_seq + 1))


__all__ = ["AgentStream", "AgentStreamRecord", "Engine", "StreamEventType"]
