"""The outbox port: published records (Connect JSON) in one ordered, durable sequence for sinks.

The engine's agent event stream and contact records are appended here in the same transaction as
the domain events that caused them; each sink reads from its own durable offset and commits it
after delivery, so delivery is at-least-once and survives restarts (DESIGN §5, "Sinks").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class RecordKind(StrEnum):
    AGENT_EVENT = "agent-event"
    CONTACT_RECORD = "contact-record"


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """A record to publish: its kind, partition key, dedupe id and Connect JSON."""

    kind: RecordKind
    key: str
    """Partition key: the AgentARN for agent events, the ContactId for contact records."""
    record_id: str
    """What consumers dedupe on: the EventId, or the ContactId."""
    payload: bytes
    """One compact JSON record, no trailing newline."""


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    """An entry once stored, with its position in the outbox (1, 2, 3, …)."""

    position: int
    entry: OutboxEntry


class Outbox(Protocol):
    def append(self, entries: Sequence[OutboxEntry]) -> None: ...

    def read(self, after: int, limit: int = 1000) -> list[OutboxRecord]:
        """Records with a position greater than `after`, oldest first, at most `limit`."""
        ...

    def offset(self, sink: str) -> int:
        """The last position `sink` has delivered (0 when it has delivered nothing)."""
        ...

    def commit(self, sink: str, position: int) -> None:
        """Record that `sink` delivered everything up to `position` (never moves backwards)."""
        ...


class InMemoryOutbox:
    """The outbox of an in-memory engine (tests, scripted runs): the same contract, no disk."""

    def __init__(self) -> None:
        self._records: list[OutboxEntry] = []
        self._offsets: dict[str, int] = {}

    def append(self, entries: Sequence[OutboxEntry]) -> None:
        self._records.extend(entries)

    def read(self, after: int, limit: int = 1000) -> list[OutboxRecord]:
        stop = min(len(self._records), after + limit)
        return [OutboxRecord(p + 1, self._records[p]) for p in range(max(after, 0), stop)]

    def offset(self, sink: str) -> int:
        return self._offsets.get(sink, 0)

    def commit(self, sink: str, position: int) -> None:
        self._offsets[sink] = max(self._offsets.get(sink, 0), position)
