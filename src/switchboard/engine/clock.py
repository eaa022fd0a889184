"""Clocks: the engine never reads time itself; whoever owns it passes a `Clock` in."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol

from switchboard.domain.model import Millis


class Clock(Protocol):
    def now(self) -> Millis: ...


class SystemClock:
    """Wall-clock time for a live server."""

    def now(self) -> Millis:
        return time.time_ns() // 1_000_000


class ManualClock:
    """Time that moves only when told to: tests, scripted runs and the simulator."""

    def __init__(self, start: Millis = 0) -> None:
        self._now = start

    def now(self) -> Millis:
        return self._now

    def set(self, at: Millis) -> None:
        self._now = at

    def advance(self, ms: Millis) -> None:
        self._now += ms


def millis(moment: datetime) -> Millis:
    """A timezone-aware datetime as engine time."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: give a time zone")
    return int(moment.timestamp() * 1000)


def to_datetime(at: Millis) -> datetime:
    return datetime.fromtimestamp(at / 1000, tz=UTC)
