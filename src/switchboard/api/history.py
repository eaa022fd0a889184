"""An instance's published records, read back for GetMetricDataV2 and for finished contacts.

`History` is the port: decoded agent events and contact records (`formats.aes` /
`formats.ctr` decoded types, what `analytics.historical.compute` takes), so that one API code
path serves both implementations. `MemoryHistory` keeps them in memory, fed by the engine's
listeners through `analytics.published.PublishedRecords` (no JSON in between); the durable
server supplies one that decodes its outbox (`decode_agent_event_line`,
`decode_contact_record_line`), indexes it by time and ContactId, and sets `Instance.history`.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Protocol

from switchboard.analytics.published import PublishedRecords
from switchboard.domain.model import Millis
from switchboard.engine.engine import AgentStreamRecord, Engine
from switchboard.engine.views import ContactRecordView
from switchboard.formats.aes import DecodedAgentEvent
from switchboard.formats.ctr import DecodedContactRecord

__all__ = ["History", "MemoryHistory"]


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
    """Every record an engine publishes, in memory (the API-only server; tests)."""

    def __init__(self, published: PublishedRecords) -> None:
        self._published = published
        self._events: list[DecodedAgentEvent] = []
        self._times: list[Millis] = []
        self._contacts: dict[str, DecodedContactRecord] = {}

    @classmethod
    def attach(cls, engine: Engine) -> MemoryHistory:
        """A history of `engine`, listening from now on."""
        history = cls(PublishedRecords(engine.state.settings))
        engine.on_agent_event(history.on_agent_event)
        engine.on_contact_record(history.on_contact_record)
        return history

    def on_agent_event(self, record: AgentStreamRecord) -> None:
        # The engine's time never goes backwards, so the list stays sorted by time.
        self._events.append(self._published.agent_event(record))
        self._times.append(record.at)

    def on_contact_record(self, view: ContactRecordView) -> None:
        self._contacts[view.contact_id] = self._published.contact_record(view)

    def records(
        self, start: Millis, end: Millis
    ) -> tuple[list[DecodedAgentEvent], list[DecodedContactRecord]]:
        first = bisect_left(self._times, start)
        last = bisect_left(self._times, end)
        in_effect: dict[str, DecodedAgentEvent] = {}
        for event in self._events[:first]:
            if event.current is not None:
                in_effect[event.agent_arn] = event
        events = [*in_effect.values(), *self._events[first:last]]
        records = [
            record
            for record in self._contacts.values()
            if record.disconnect_at is not None and start <= record.disconnect_at < end
        ]
        return events, records

    def contact(self, contact_id: str) -> DecodedContactRecord | None:
        return self._contacts.get(contact_id)
