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
    """The engine's `EventLog` over a store, holding commands until `commit` (see module doc)."""

    def __init__(self, store: SqlStore) -> None:
        self.store = store
        self._batches: list[Batch] = []
        self._events: list[Event] = []
        self._entries: list[OutboxEntry] = []
        self._pending = 0

    @property
    def next_seq(self) -> int:
        return self.store.next_seq + self._pending

    def append(self, events: Sequence[Event]) -> None:
        self._events.extend(events)
        self._pending += len(events)

    def publish(self, entry: OutboxEntry) -> None:
        self._entries.append(entry)

    def end_command(self) -> None:
        """Close the current command's batch (its events and records stay together)."""
        if self._events or self._entries:
            self._batches.append((self._events, self._entries))
            self._events, self._entries = [], []

    def commit(self) -> int:
        """Write every pending command in one transaction; the last durable sequence number."""
        self.end_command()
        batches = self._batches
        last = self.store.append_batches(batches) if batches else self.store.next_seq - 1
        self._batches = []
        self._pending = 0
        return last

    def read(self, after: int = 0) -> Iterator[tuple[int, Event]]:
        """Durable events, then pending ones (what the engine has applied so far)."""
        yield from self.store.read(after)
        start = self.store.next_seq
        pending = [e for events, _ in self._batches for e in events] + self._events
        for index, event in enumerate(pending):
            if start + index > after:
                yield start + index, event

    @property
    def pending_commands(self) -> int:
        return len(self._batches) + (1 if self._events or self._entries else 0)


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
