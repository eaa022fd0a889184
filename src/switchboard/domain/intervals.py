"""Reporting intervals (15 min, 30 min, 1 h, 1 day) in a time zone, and spans split across them.

Historical metrics (DESIGN §6) bucket a contact record by the interval its disconnect falls in and
split agent activity across the intervals it spans. Intervals follow the instance's local wall
clock (IANA zone, default UTC): a 15-minute interval starts at :00, :15, :30 or :45 local time
and a day interval is one local calendar day, so it lasts 23 or 25 hours on a DST change. Where a
change of UTC offset falls inside an interval (zones whose offset moves by less than the interval,
such as Australia/Lord_Howe's 30-minute shift), the change instant is also a boundary; intervals
therefore always partition time with no gap and no overlap.

Times are engine milliseconds since the Unix epoch (UTC).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from switchboard.domain.model import Millis

_MINUTE = 60_000


class IntervalLength(StrEnum):
    """The interval lengths Amazon Connect's historical reports offer."""

    MINUTES_15 = "15min"
    MINUTES_30 = "30min"
    HOUR = "1h"
    DAY = "1d"

    @property
    def nominal_ms(self) -> Millis:
        """The length on a day without an offset change (a DST day is 23 or 25 hours)."""
        return _NOMINAL[self]

    @classmethod
    def parse(cls, text: str) -> IntervalLength:
        """`15min`/`15m`/`15`, `30min`/`30m`/`30`, `1h`/`60m`/`60`/`hour`, `1d`/`day`/`24h`."""
        found = _ALIASES.get(text.strip().casefold().replace(" ", ""))
        if found is None:
            raise ValueError(f"unknown interval {text!r}: use 15min, 30min, 1h or 1d")
        return found


_NOMINAL: dict[IntervalLength, Millis] = {
    IntervalLength.MINUTES_15: 15 * _MINUTE,
    IntervalLength.MINUTES_30: 30 * _MINUTE,
    IntervalLength.HOUR: 60 * _MINUTE,
    IntervalLength.DAY: 24 * 60 * _MINUTE,
}

_ALIASES: dict[str, IntervalLength] = {
    alias: length
    for length, aliases in (
        (IntervalLength.MINUTES_15, ("15min", "15m", "15", "15minutes")),
        (IntervalLength.MINUTES_30, ("30min", "30m", "30", "30minutes")),
        (IntervalLength.HOUR, ("1h", "60min", "60m", "60", "hour", "1hour", "hourly")),
        (IntervalLength.DAY, ("1d", "day", "1day", "24h", "daily")),
    )
    for alias in aliases
}


def zone_of(time_zone: str) -> ZoneInfo:
    """The IANA zone named `time_zone`; a ValueError names an unknown one."""
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {time_zone!r} (use an IANA name)") from None


class IntervalGrid:
    """The intervals of one length in one time zone: align an instant, split a span.

    Deterministic; it remembers the last interval it found, so splitting many short spans that
    fall in the same interval (an agent's records seconds apart) costs no zone lookup.
    """

    __slots__ = ("_fixed", "_last_end", "_last_start", "_step", "length", "time_zone", "zone")

    def __init__(self, length: IntervalLength | str, time_zone: str = "UTC") -> None:
        self.length = length if isinstance(length, IntervalLength) else IntervalLength.parse(length)
        self.time_zone = time_zone
        self.zone = zone_of(time_zone)
        self._step = self.length.nominal_ms
        self._fixed = time_zone in {"UTC", "Etc/UTC", "Etc/GMT", "GMT", "Zulu", "Etc/Zulu"}
        self._last_start: Millis = 0
        self._last_end: Millis = 0

    # --- one instant --------------------------------------------------------------------------

    def start_of(self, at: Millis) -> Millis:
        """The start of the interval holding `at`."""
        return self.bounds(at)[0]

    def bounds(self, at: Millis) -> tuple[Millis, Millis]:
        """`[start, end)` of the interval holding `at`."""
        if self._last_start <= at < self._last_end:
            return self._last_start, self._last_end
        if self._fixed:
            start = at - at % self._step
            found = (start, start + self._step)
        elif self.length is IntervalLength.DAY:
            day = datetime.fromtimestamp(at // 1000, tz=self.zone).date()
            found = (self._midnight(day), self._midnight(day + timedelta(days=1)))
        else:
            found = self._sub_day_bounds(at)
        self._last_start, self._last_end = found
        return found

    # --- a span -------------------------------------------------------------------------------

    def split(self, start: Millis, end: Millis) -> list[tuple[Millis, Millis]]:
        """`[start, end)` cut at interval boundaries: `(interval start, ms in it)`, in time order.

        An empty or reversed span gives no pieces.
        """
        if end <= start:
            return []
        first, first_end = self.bounds(start)
        if end <= first_end:
            return [(first, end - start)]
        pieces = [(first, first_end - start)]
        at = first_end
        while at < end:
            begin, stop = self.bounds(at)
            pieces.append((begin, min(stop, end) - at))
            at = stop
        return pieces

    def starts(self, start: Millis, end: Millis) -> list[Millis]:
        """The starts of every interval that `[start, end)` touches, in order."""
        return [begin for begin, _ in self.split(start, end)]

    def label(self, start: Millis) -> str:
        """An interval start as local ISO 8601 with its offset, e.g. `2026-03-08T03:00:00-04:00`."""
        return datetime.fromtimestamp(start // 1000, tz=self.zone).isoformat(timespec="seconds")

    # --- zone arithmetic ----------------------------------------------------------------------

    def _offset(self, at: Millis) -> Millis:
        offset = datetime.fromtimestamp(at // 1000, tz=self.zone).utcoffset()
        assert offset is not None  # a ZoneInfo always knows its offset
        return offset // timedelta(milliseconds=1)

    def _midnight(self, day: date) -> Millis:
        # fold=0: a midnight inside a DST gap resolves to the instant the clocks jumped
        local = datetime(day.year, day.month, day.day, tzinfo=self.zone)
        return round(local.timestamp()) * 1000

    def _sub_day_bounds(self, at: Millis) -> tuple[Millis, Millis]:
        step = self._step
        offset = self._offset(at)
        start = at - (at + offset) % step
        if self._offset(start) != offset:
            # the offset changed inside this wall-clock interval: it starts at the change instead
            start = self._first_with_offset(start, at, offset)
        end = at + step - (at + offset) % step
        if self._offset(end - 1) != offset:
            end = self._first_with_offset(at, end - 1, offset, keep=False)
        return start, end

    def _first_with_offset(
        self, low: Millis, high: Millis, offset: Millis, *, keep: bool = True
    ) -> Millis:
        """The first instant in `(low, high]` whose offset is (keep) / is not (not keep) `offset`.

        `low` must be on the other side of the change from `high`; a zone changes its offset at
        most once within a day-sized window, so the search is a bisection.
        """
        while high - low > 1:
            middle = (low + high) // 2
            if (self._offset(middle) == offset) == keep:
                high = middle
            else:
                low = middle
        return high


def align(at: Millis, length: IntervalLength | str, time_zone: str = "UTC") -> Millis:
    """The start of the `length` interval holding `at`, on `time_zone`'s wall clock."""
    return IntervalGrid(length, time_zone).start_of(at)


def split(
    start: Millis, end: Millis, length: IntervalLength | str, time_zone: str = "UTC"
) -> list[tuple[Millis, Millis]]:
    """`[start, end)` cut at `length` interval boundaries: `(interval start, ms in it)`."""
    return IntervalGrid(length, time_zone).split(start, end)


__all__ = ["IntervalGrid", "IntervalLength", "align", "split", "zone_of"]
