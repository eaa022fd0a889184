"""The report page's data: rows per interval and queue/agent, the CSV's shape, the chart, ranges."""

from __future__ import annotations

import csv
import io
from datetime import date

from switchboard.analytics.historical import HistoricalMetrics, compute
from switchboard.formats.aes import decode_agent_event
from switchboard.formats.ctr import decode_contact_record
from switchboard.web.reports import (
    AGENT_COLUMNS,
    QUEUE_COLUMNS,
    Grouping,
    chart_svg,
    date_range,
    report_table,
    to_csv,
)
from tests.support import World


def day_of_calls() -> World:
    """09:00 alice and bob available; c1 answered by alice (20 s wait), c2 abandoned after 25 s
    (09:00 to 09:15); c3 answered by bob at 09:20 after 5 s."""
    world = World()
    world.available("alice", 0)
    world.available("bob", 0)
    world.set_status("bob", "Break", 1)
    world.set_status("alice", "Break", 1)
    world.inbound("c1", 10)
    world.set_status("alice", "Available", 30)
    world.accept("alice", "c1", 31)
    world.hangup("c1", 90)
    world.clear("alice", "c1", 100)
    world.set_status("alice", "Break", 101)
    world.inbound("c2", 200)
    world.hangup("c2", 225)
    world.inbound("c3", 1200)
    world.set_status("bob", "Available", 1205)
    world.accept("bob", "c3", 1206)
    world.end("bob", "c3", 1300)
    world.clear("bob", "c3", 1310)
    world.run_until(1800)
    return world


def metrics(world: World, interval: str = "15min") -> HistoricalMetrics:
    return compute(
        [decode_agent_event(raw) for raw in world.aes_json],
        [decode_contact_record(raw) for raw in world.ctr_json],
        interval=interval,
    )


def parsed(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_queue_csv_has_a_heading_row_a_row_per_interval_and_queue_and_a_total() -> None:
    rows = parsed(to_csv(report_table(metrics(day_of_calls()), Grouping.QUEUES)))
    assert rows[0] == ["Interval start", "Queue", *(c.heading for c in QUEUE_COLUMNS)]
    assert [row[:2] for row in rows[1:]] == [
        ["2026-01-05T09:00:00+00:00", "Sales"],
        ["2026-01-05T09:15:00+00:00", "Sales"],
        ["Total", "Sales"],
    ]
    assert all(len(row) == len(rows[0]) for row in rows)
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["Contacts queued"] == "2"
    assert first["Contacts handled"] == "1"
    assert first["Contacts abandoned"] == "1"
    assert first["Service level 20 s (%)"] == "0.0"  # c1 waited 21 s, c2 abandoned at 25 s
    assert first["Maximum queued time (s)"] == "25"
    second = dict(zip(rows[0], rows[2], strict=True))
    assert second["Service level 20 s (%)"] == "100.0"  # c3 waited 6 s
    assert second["Contacts handled"] == "1"
    assert second["Contacts abandoned"] == "0"
    assert second["Average queue abandon time (s)"] == ""  # nothing to average: an empty cell
    total = dict(zip(rows[0], rows[3], strict=True))
    assert total["Contacts queued"] == "3"
    assert total["Contacts handled"] == "2"


def test_agent_csv_has_one_row_per_interval_and_agent() -> None:
    rows = parsed(to_csv(report_table(metrics(day_of_calls()), Grouping.AGENTS)))
    assert rows[0] == ["Interval start", "Agent", *(c.heading for c in AGENT_COLUMNS)]
    assert [row[:2] for row in rows[1:]] == [
        ["2026-01-05T09:00:00+00:00", "alice"],
        ["2026-01-05T09:00:00+00:00", "bob"],
        ["2026-01-05T09:15:00+00:00", "alice"],
        ["2026-01-05T09:15:00+00:00", "bob"],
        ["Total", "alice"],
        ["Total", "bob"],
    ]
    alice = dict(zip(rows[0], rows[1], strict=True))
    assert alice["Contacts handled"] == "1"
    assert alice["Online time (s)"] == "900.0"
    bob_total = dict(zip(rows[0], rows[6], strict=True))
    assert bob_total["Contacts handled"] == "1"


def test_an_hour_interval_puts_everything_in_one_row() -> None:
    table = report_table(metrics(day_of_calls(), "1h"), Grouping.QUEUES)
    assert [row[:3] for row in table.rows] == [("2026-01-05T09:00:00+00:00", "Sales", 3)]


def test_the_csv_of_nothing_is_its_heading_row() -> None:
    empty = compute([], [], interval="1h")
    assert parsed(to_csv(report_table(empty, Grouping.QUEUES))) == [
        ["Interval start", "Queue", *(c.heading for c in QUEUE_COLUMNS)]
    ]
    assert chart_svg(report_table(empty, Grouping.QUEUES), str) == ""


def test_the_chart_draws_a_bar_per_series_and_interval() -> None:
    found = metrics(day_of_calls())
    svg = chart_svg(report_table(found, Grouping.QUEUES), found.grid.label)
    assert svg.count("<rect") == 3  # 09:00 handled + abandoned, 09:15 handled
    assert "Contacts abandoned 1" in svg
    assert svg.count("<circle") == 2  # service level of each interval: 0 % then 100 %
    assert "service level 0%" in svg
    assert "service level 100%" in svg
    agents = chart_svg(report_table(found, Grouping.AGENTS), found.grid.label)
    assert "On contact" in agents
    assert ">minutes<" in agents  # 30 agent-minutes per interval: a readable unit
    assert "http" not in agents.replace("http://www.w3.org/2000/svg", "")


def test_a_date_range_runs_from_midnight_to_the_midnight_after_its_last_day() -> None:
    start, end = date_range(date(2026, 3, 8), date(2026, 3, 8), "America/New_York")
    assert (end - start) // 3_600_000 == 23  # the spring-forward day
    start, end = date_range(date(2026, 1, 5), date(2026, 1, 6), "UTC")
    assert (start, end - start) == (1_767_571_200_000, 2 * 86_400_000)
