"""The event log port: one ordered log per instance, with a global sequence number."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from switchboard.domain.events import Event


class EventLog(Protocol):
    @property
    def next_seq(self) -> int:
        """The sequence number the next appended event will get (the first is 1)."""
        ...

    def append(self, events: Sequence[Event]) -> None: ...

    def read(self, after: int = 0) -> Iterator[tuple[int, Event]]: ...


class InMemoryLog:
    """The default log: a list. The durable stores (SQLite, PostgreSQL) meet the same port."""

    def __init__(self) -> None:
        self._events: list[Event] = []

    @property
    def next_seq(self) -> int:
        return len(self._events) + 1

    def append(self, events: Sequence[Event]) -> None:
        self._events.extend(events)

    def read(self, after: int = 0) -> Iterator[tuple[int, Event]]:
        for index in range(after, len(self._events)):
            yield index + 1, self._events[index]

    def __len__(self) -> int:
        return len(self._events)


class CountingLog:
    """Keeps only the count: for long simulated runs whose outputs are the stream and records."""

    def __init__(self) -> None:
        self._count = 0

    @property
    def next_seq(self) -> int:
        return self._count + 1

    def append(self, events: Sequence[Event]) -> None:
        self._count += len(events)

    def read(self, after: int = 0) -> Iterator[tuple[int, Event]]:
        raise NotImplementedError("a CountingLog keeps no events to read back")

    def __len__(self) -> int:
        return self._count
