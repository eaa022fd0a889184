"""Reporting intervals: aligned on the local wall clock, DST-safe, spans split with nothing lost."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from switchboard.domain.intervals import IntervalGrid, IntervalLength, align, split

MINUTE = 60_000
HOUR = 60 * MINUTE


def utc(text: str) -> int:
    """`2026-01-05T09:07:30.500` (UTC) as engine ms."""
    return round(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def labelled(grid: IntervalGrid, start: str, end: str) -> list[tuple[str, float]]:
    """The split of [start, end) as (local label, minutes)."""
    return [(grid.label(s), ms / MINUTE) for s, ms in grid.split(utc(start), utc(end))]


# --- lengths ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("15min", IntervalLength.MINUTES_15),
        ("15m", IntervalLength.MINUTES_15),
        ("30", IntervalLength.MINUTES_30),
        ("1h", IntervalLength.HOUR),
        ("60m", IntervalLength.HOUR),
        ("1d", IntervalLength.DAY),
        ("Day", IntervalLength.DAY),
    ],
)
def test_interval_lengths_are_read_from_the_usual_spellings(
    text: str, length: IntervalLength
) -> None:
    assert IntervalLength.parse(text) is length


def test_an_unknown_interval_or_time_zone_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="'7min'"):
        IntervalLength.parse("7min")
    with pytest.raises(ValueError, match="Mars/Olympus"):
        IntervalGrid("15min", "Mars/Olympus")


def test_nominal_lengths() -> None:
    assert [n.nominal_ms for n in IntervalLength] == [15 * MINUTE, 30 * MINUTE, HOUR, 24 * HOUR]


# --- aligning -----------------------------------------------------------------------------------


def test_an_instant_aligns_to_the_start_of_its_interval() -> None:
    at = utc("2026-01-05T09:07:30.500")
    assert align(at, "15min") == utc("2026-01-05T09:00:00")
    assert align(at, "30min") == utc("2026-01-05T09:00:00")
    assert align(at, "1h") == utc("2026-01-05T09:00:00")
    assert align(at, "1d") == utc("2026-01-05T00:00:00")
    assert align(utc("2026-01-05T09:15:00"), "15min") == utc("2026-01-05T09:15:00")
    assert align(utc("2026-01-05T09:14:59.999"), "15min") == utc("2026-01-05T09:00:00")


def test_quarter_hours_follow_the_local_clock_in_a_zone_offset_by_45_minutes() -> None:
    grid = IntervalGrid("15min", "Asia/Kathmandu")  # UTC+05:45
    assert labelled(grid, "2026-01-01T00:00:00", "2026-01-01T00:40:00") == [
        ("2026-01-01T05:45:00+05:45", 15.0),
        ("2026-01-01T06:00:00+05:45", 15.0),
        ("2026-01-01T06:15:00+05:45", 10.0),
    ]


def test_a_day_interval_is_the_local_calendar_day() -> None:
    # 23:30 UTC on 1 July is 01:30 on 2 July in Berlin (UTC+2)
    grid = IntervalGrid("1d", "Europe/Berlin")
    start = grid.start_of(utc("2026-07-01T23:30:00"))
    assert grid.label(start) == "2026-07-02T00:00:00+02:00"
    assert grid.bounds(start) == (utc("2026-07-01T22:00:00"), utc("2026-07-02T22:00:00"))


# --- splitting ----------------------------------------------------------------------------------


def test_a_span_is_split_at_each_15_minute_boundary() -> None:
    assert split(utc("2026-01-05T08:50:00"), utc("2026-01-05T09:20:00"), "15min") == [
        (utc("2026-01-05T08:45:00"), 10 * MINUTE),
        (utc("2026-01-05T09:00:00"), 15 * MINUTE),
        (utc("2026-01-05T09:15:00"), 5 * MINUTE),
    ]


def test_a_span_inside_one_interval_is_one_piece_and_an_empty_span_is_none() -> None:
    at = utc("2026-01-05T09:01:00")
    assert split(at, at + 1234, "15min") == [(utc("2026-01-05T09:00:00"), 1234)]
    assert split(at, at, "15min") == []
    assert split(at, at - 1, "15min") == []


def test_a_span_ending_exactly_on_a_boundary_does_not_touch_the_next_interval() -> None:
    assert split(utc("2026-01-05T09:10:00"), utc("2026-01-05T09:30:00"), "15min") == [
        (utc("2026-01-05T09:00:00"), 5 * MINUTE),
        (utc("2026-01-05T09:15:00"), 15 * MINUTE),
    ]


def test_reference_example_05_23_to_06_15_gives_7_30_and_15_minutes() -> None:
    pieces = split(utc("2026-01-05T05:23:00"), utc("2026-01-05T06:15:00"), "30min")
    assert [(IntervalGrid("30min").label(s), ms / MINUTE) for s, ms in pieces] == [
        ("2026-01-05T05:00:00+00:00", 7.0),
        ("2026-01-05T05:30:00+00:00", 30.0),
        ("2026-01-05T06:00:00+00:00", 15.0),
    ]


# --- daylight saving time -----------------------------------------------------------------------


def test_spring_forward_skips_the_missing_local_hour() -> None:
    # New York, 8 March 2026: 02:00 EST becomes 03:00 EDT (07:00 UTC)
    grid = IntervalGrid("1h", "America/New_York")
    assert labelled(grid, "2026-03-08T05:30:00", "2026-03-08T08:30:00") == [
        ("2026-03-08T00:00:00-05:00", 30.0),
        ("2026-03-08T01:00:00-05:00", 60.0),
        ("2026-03-08T03:00:00-04:00", 60.0),
        ("2026-03-08T04:00:00-04:00", 30.0),
    ]


def test_fall_back_gives_the_repeated_local_hour_twice() -> None:
    # New York, 1 November 2026: 02:00 EDT becomes 01:00 EST (06:00 UTC)
    grid = IntervalGrid("1h", "America/New_York")
    assert labelled(grid, "2026-11-01T04:30:00", "2026-11-01T07:30:00") == [
        ("2026-11-01T00:00:00-04:00", 30.0),
        ("2026-11-01T01:00:00-04:00", 60.0),
        ("2026-11-01T01:00:00-05:00", 60.0),
        ("2026-11-01T02:00:00-05:00", 30.0),
    ]


def test_quarter_hours_across_the_spring_forward_instant() -> None:
    grid = IntervalGrid("15min", "America/New_York")
    assert labelled(grid, "2026-03-08T06:50:00", "2026-03-08T07:20:00") == [
        ("2026-03-08T01:45:00-05:00", 10.0),
        ("2026-03-08T03:00:00-04:00", 15.0),
        ("2026-03-08T03:15:00-04:00", 5.0),
    ]


def test_local_days_last_23_and_25_hours_on_dst_changes() -> None:
    grid = IntervalGrid("1d", "America/New_York")
    spring = grid.bounds(utc("2026-03-08T12:00:00"))
    autumn = grid.bounds(utc("2026-11-01T12:00:00"))
    assert spring[1] - spring[0] == 23 * HOUR
    assert autumn[1] - autumn[0] == 25 * HOUR
    assert grid.label(spring[0]) == "2026-03-08T00:00:00-05:00"
    assert grid.label(spring[1]) == "2026-03-09T00:00:00-04:00"


def test_a_half_hour_offset_change_is_a_boundary_of_its_own() -> None:
    # Lord Howe Island, 5 April 2026: 02:00 (+11) becomes 01:30 (+10:30)
    grid = IntervalGrid("1h", "Australia/Lord_Howe")
    assert labelled(grid, "2026-04-04T13:30:00", "2026-04-04T16:00:00") == [
        ("2026-04-05T00:00:00+11:00", 30.0),
        ("2026-04-05T01:00:00+11:00", 60.0),
        ("2026-04-05T01:30:00+10:30", 30.0),
        ("2026-04-05T02:00:00+10:30", 30.0),
    ]


ZONES = ["UTC", "America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kathmandu"]


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    length=st.sampled_from(list(IntervalLength)),
    # 2026, DST changes included
    start=st.integers(utc("2026-01-01T00:00:00"), utc("2026-12-31T00:00:00")),
    span=st.integers(0, 3 * 24 * HOUR),
)
def test_split_partitions_a_span_with_nothing_lost(
    zone: str, length: IntervalLength, start: int, span: int
) -> None:
    grid = IntervalGrid(length, zone)
    pieces = grid.split(start, start + span)
    assert sum(ms for _, ms in pieces) == span
    starts = [s for s, _ in pieces]
    assert starts == sorted(set(starts))
    assert all(ms > 0 for _, ms in pieces)
    if pieces:
        assert starts[0] == grid.start_of(start) <= start
    for begin in starts:
        low, high = grid.bounds(begin)
        assert low == begin < high
        assert grid.start_of(high - 1) == begin
        assert grid.start_of(high) == high
        assert high - begin <= length.nominal_ms + HOUR
