"""The sink port: something that takes a batch of outbox records and delivers them, or raises."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Protocol

from switchboard.engine.outbox import OutboxRecord, RecordKind

STREAM_NAMES: Final[dict[RecordKind, str]] = {
    RecordKind.AGENT_EVENT: "agent-events",
    RecordKind.CONTACT_RECORD: "contact-records",
}
"""What each kind is called wherever a sink needs a name for it (file, subject, stream key)."""


class Sink(Protocol):
    """One destination. `deliver` returns only once every record is durably accepted there.

    A sink raises on failure and keeps nothing it needs from a failed call: the runner commits the
    outbox offset only after `deliver` returns, and on failure sends the same records again, so a
    destination may see a record twice and its consumers dedupe on `record_id` (DESIGN §5).
    """

    @property
    def name(self) -> str:
        """The sink's name: the key of its durable offset in the outbox."""
        ...

    def deliver(self, records: Sequence[OutboxRecord]) -> None: ...

    def close(self) -> None: ...
