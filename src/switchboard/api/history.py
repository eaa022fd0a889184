"""An instance's published records, read back for GetMetricDataV2 and for finished contacts.

`History` is the port: decoded agent events and contact records (`formats.aes` /
`formats.ctr` decoded types, what `analytics.historical.compute` takes), so that one API code
path serves both implementations. `MemoryHistory` keeps them in memory, fed by the engine's
listeners through `analytics.published.PublishedRecords` (no JSON in between); the durable
server supplies one that decodes its outbox (`decode_agent_event_line`,
`decode_contact_record_line`), indexes it by time and ContactId, and sets `Instance.history`.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from typing import Protocol

from switchboard.analytics.published import PublishedRecords
from switchboard.domain.model import Millis
from switchboard.engine.engine import AgentStreamRecord, Engine
from switchboard.engine.outbox import Outbox, RecordKind
from switchboard.engine.views import ContactRecordView
from switchboard.formats.aes import DecodedAgentEvent, decode_agent_event_line
from switchboard.formats.ctr import DecodedContactRecord, decode_contact_record_line

__all__ = ["DurableHistory", "History", "MemoryHistory"]


class History(Protocol):
    """What an instance has published, by time and by contact."""

    def records(
        self, start: Millis, end: Millis
    ) -> tuple[list[DecodedAgentEvent], list[DecodedContactRecord]]:
        """Agent events and contact records for the window `[start, end)`.

        Agent events: those stamped in the window, in publication order, preceded by each
        agent's last record before `start` that carries a snapshot (the state in effect when the
        window opens; a caller clips it to `start`). Contact records: those whose
        DisconnectTimestamp falls in the window, once per ContactId (the latest version).
        """
        ...

    def contact(self, contact_id: str) -> DecodedContactRecord | None:
        """The contact record of a finished contact, or None if it is unknown or unfinished."""
        ...


class MemoryHistory:
    """Every record an engine publishes, in memory (the API-only server; tests).

    Indexed so that a window costs a few bisections: agent events by time, each agent's records
    that carry a snapshot by time, contact records by DisconnectTimestamp.
    """

    def __init__(self, published: PublishedRecords) -> None:
        self._published = published
        self._events: list[DecodedAgentEvent] = []
        self._times: list[Millis] = []
        self._snapshots: dict[str, tuple[list[Millis], list[int]]] = {}
        """Per agent ARN: the times and positions in `_events` of its records with a snapshot."""
        self._contacts: dict[str, DecodedContactRecord] = {}
        self._by_disconnect: list[tuple[Millis, int, str]] = []
        """(DisconnectTimestamp, arrival, ContactId) of every contact record, sorted."""

    @classmethod
    def attach(cls, engine: Engine) -> MemoryHistory:
        """A history of `engine`, listening from now on."""
        history = cls(PublishedRecords(engine.state.settings))
        engine.on_agent_event(history.on_agent_event)
        engine.on_contact_record(history.on_contact_record)
        return history

    def on_agent_event(self, record: AgentStreamRecord) -> None:
        self.add_agent_event(self._published.agent_event(record))

    def on_contact_record(self, view: ContactRecordView) -> None:
        self.add_contact_record(self._published.contact_record(view))

    def add_agent_event(self, event: DecodedAgentEvent) -> None:
        """Index one agent event (added in publication order: the lists stay sorted by time,
        since the engine's time never goes backwards)."""
        if event.current is not None:
            times, positions = self._snapshots.setdefault(event.agent_arn, ([], []))
            times.append(event.at)
            positions.append(len(self._events))
        self._events.append(event)
        self._times.append(event.at)

    def add_contact_record(self, record: DecodedContactRecord) -> None:
        self._contacts[record.contact_id] = record
        if record.disconnect_at is not None:
            entry = (record.disconnect_at, len(self._by_disconnect), record.contact_id)
            insort(self._by_disconnect, entry)

    def records(
        self, start: Millis, end: Millis
    ) -> tuple[list[DecodedAgentEvent], list[DecodedContactRecord]]:
        events = self._events
        in_effect = []
        for times, positions in self._snapshots.values():
            before = bisect_left(times, start) - 1
            if before >= 0:
                in_effect.append(events[positions[before]])
        window = events[bisect_left(self._times, start) : bisect_left(self._times, end)]
        entries = self._by_disconnect
        records = []
        seen: set[str] = set()
        for at, _, contact_id in entries[
            bisect_left(entries, (start,)) : bisect_left(entries, (end,))
        ]:
            record = self._contacts[contact_id]
            # A record sent again replaces the earlier one: keep the latest, once.
            if record.disconnect_at == at and contact_id not in seen:
                seen.add(contact_id)
                records.append(record)
        return [*in_effect, *window], records

    def contact(self, contact_id: str) -> DecodedContactRecord | None:
        return self._contacts.get(contact_id)

    def events(self) -> list[DecodedAgentEvent]:
        """Every agent event, in publication order."""
        return list(self._events)

    def contact_records(self) -> list[DecodedContactRecord]:
        """The latest record of every contact, in the order they were first published."""
        return list(self._contacts.values())


class DurableHistory:
    """A `MemoryHistory` that also holds what the instance published before this process started,
    decoded from its outbox on first use (a restart does not wait for it).

    `upto` is the last outbox position written before the engine reopened; everything later
    arrives through the engine's listeners, in order, after the past.
    """

    def __init__(self, engine: Engine, outbox: Outbox, upto: int) -> None:
        self._settings = engine.state.settings
        self._published = PublishedRecords(self._settings)
        self._index = MemoryHistory(self._published)
        self._outbox = outbox
        self._upto = upto
        self._loaded = upto == 0
        # Through methods, not bound to `_index`: loading the past replaces the index.
        engine.on_agent_event(self._on_agent_event)
        engine.on_contact_record(self._on_contact_record)

    def _on_agent_event(self, record: AgentStreamRecord) -> None:
        self._index.on_agent_event(record)

    def _on_contact_record(self, view: ContactRecordView) -> None:
        self._index.on_contact_record(view)

    def _load(self) -> MemoryHistory:
        if self._loaded:
            return self._index
        past = MemoryHistory(self._published)
        after = 0
        while after < self._upto:
            page = self._outbox.read(after, 5000)
            if not page:
                break
            for stored in page:
                if stored.position > self._upto:
                    break
                entry = stored.entry
                if entry.kind is RecordKind.AGENT_EVENT:
                    past.add_agent_event(decode_agent_event_line(entry.payload))
                else:
                    past.add_contact_record(decode_contact_record_line(entry.payload))
            after = page[-1].position
        live = self._index
        for event in live.events():
            past.add_agent_event(event)
        for record in live.contact_records():
            past.add_contact_record(record)
        self._index, self._loaded = past, True
        return past

    def records(
        self, start: Millis, end: Millis
    ) -> tuple[list[DecodedAgentEvent], list[DecodedContactRecord]]:
        return self._load().records(start, end)

    def contact(self, contact_id: str) -> DecodedContactRecord | None:
        return self._load().contact(contact_id)
