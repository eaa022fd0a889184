"""Commands held until one durable commit: their events and published records, together.

The engine appends a command's events to its log and publishes its records to listeners while it
runs. `PendingLog` is the engine's log: it keeps both (records encoded as outbox entries, Connect
JSON) and `commit` writes every command since the last commit in one transaction (group commit);
a driver acknowledges those commands only after `commit` returns. If `commit` raises, the engine
is ahead of its durable log: the driver must stop and restart from the store (`open_engine`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from switchboard.domain.events import Event
from switchboard.domain.model import InstanceSettings
from switchboard.engine.engine import AgentStreamRecord, Engine
from switchboard.engine.outbox import OutboxEntry, RecordKind
from switchboard.engine.views import ContactRecordView
from switchboard.formats.aes import AgentEventEncoder
from switchboard.formats.arns import Arns
from switchboard.formats.ctr import ContactRecordEncoder
from switchboard.formats.timestamps import iso_ms
from switchboard.storage.store import Batch, SqlStore


class PendingLog:
    """The engine's `EventLog` over a store, holding commands until `commit` (see module doc).

    An async driver may instead `take` the pending batches (on the engine's thread), write them
    with `store.append_batches` elsewhere, then call `written`: the engine carries on meanwhile,
    and sequence numbers stay exact because this log counts them itself.
    """

    def __init__(self, store: SqlStore) -> None:
        self.store = store
        self._batches: list[Batch] = []
        self._in_flight: list[Batch] = []
        self._events: list[Event] = []
        self._entries: list[OutboxEntry] = []
        self._next_seq = store.next_seq

    @property
    def next_seq(self) -> int:
        return self._next_seq

    def append(self, events: Sequence[Event]) -> None:
        self._events.extend(events)
        self._next_seq += len(events)

    def publish(self, entry: OutboxEntry) -> None:
        self._entries.append(entry)

    def end_command(self) -> None:
        """Close the current command's batch (its events and records stay together)."""
        if self._events or self._entries:
            self._batches.append((self._events, self._entries))
            self._events, self._entries = [], []

    def take(self) -> list[Batch]:
        """Every pending command, now in flight: write them, then call `written`."""
        self.end_command()
        if self._in_flight:
            raise RuntimeError("a write is already in flight: call written() first")
        taken, self._batches = self._batches, []
        self._in_flight = taken
        return taken

    def written(self) -> None:
        """The batches of the last `take` are durable."""
        self._in_flight = []

    def commit(self) -> int:
        """Write every pending command in one transaction; the last durable sequence number."""
        batches = self.take()
        last = self.store.append_batches(batches) if batches else self.store.next_seq - 1
        self.written()
        return last

    @property
    def durable_seq(self) -> int:
        """The last sequence number on disk."""
        return self.store.next_seq - 1

    def read(self, after: int = 0) -> Iterator[tuple[int, Event]]:
        """Durable events, then pending ones (what the engine has applied so far)."""
        start = self.store.next_seq
        pending = [e for batch in (self._in_flight, self._batches) for es, _ in batch for e in es]
        pending += self._events
        yield from self.store.read(after)
        for index, event in enumerate(pending):
            if start + index > after:
                yield start + index, event

    @property
    def pending_commands(self) -> int:
        open_command = 1 if self._events or self._entries else 0
        return len(self._batches) + len(self._in_flight) + open_command

    @property
    def idle(self) -> bool:
        """Nothing pending and nothing in flight: the engine's state is exactly the durable log."""
        return not (self._batches or self._in_flight or self._events or self._entries)


def publish_to_outbox(engine: Engine, log: PendingLog, settings: InstanceSettings) -> None:
    """Encode the engine's agent events and contact records as outbox entries of `log`."""
    aes = AgentEventEncoder(settings)
    ctr = ContactRecordEncoder(settings)
    arns = Arns(settings)

    def on_agent_event(record: AgentStreamRecord) -> None:
        agent_arn = arns.agent(record.agent_id)
        event_id = record.event_id or aes.ids.heartbeat(agent_arn, iso_ms(record.at))
        log.publish(OutboxEntry(RecordKind.AGENT_EVENT, agent_arn, event_id, aes.encode(record)))

    def on_contact_record(record: ContactRecordView) -> None:
        contact_id = record.contact_id
        log.publish(
            OutboxEntry(RecordKind.CONTACT_RECORD, contact_id, contact_id, ctr.encode(record))
        )

    engine.on_agent_event(on_agent_event)
    engine.on_contact_record(on_contact_record)


__all__ = ["PendingLog", "publish_to_outbox"]
