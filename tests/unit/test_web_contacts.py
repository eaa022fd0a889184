"""The contacts pages' data: search filters, the summary's fields and the contact's timeline."""

from __future__ import annotations

from switchboard.formats.aes import DecodedAgentEvent, decode_agent_event
from switchboard.formats.ctr import DecodedContactRecord, decode_contact_record
from switchboard.formats.summary import NO_AGENT
from switchboard.web.contacts import (
    contact_window,
    parse_local,
    search,
    summary_fields,
    timeline,
)
from tests.support import BASIC, World


def records(world: World) -> list[DecodedContactRecord]:
    return [decode_contact_record(raw) for raw in world.ctr_json]


def events(world: World) -> list[DecodedAgentEvent]:
    return [decode_agent_event(raw) for raw in world.aes_json]


def record(world: World, contact: str) -> DecodedContactRecord:
    return decode_contact_record(world.ctr(contact))


def steps(world: World, contact: str) -> list[tuple[float, str, str | None]]:
    found = timeline(record(world, contact), events(world))
    return [((s.at - world.start) / 1000, s.what, s.agent) for s in found]


def busy_day() -> World:
    """c1 answered by alice; c2 abandoned in queue; c3 answered by bob after alice missed it."""
    world = World()
    world.available("alice", 0)
    world.available("bob", 0)
    world.inbound("c1", 10)
    world.accept("alice", "c1", 12)
    world.hangup("c1", 40)
    world.clear("alice", "c1", 50)
    world.set_status("alice", "Break", 51)
    world.set_status("bob", "Break", 51)
    world.inbound("c2", 60)
    world.hangup("c2", 85)
    world.set_status("alice", "Available", 90)
    world.inbound("c3", 100)
    world.set_status("bob", "Available", 101)
    world.reject("alice", "c3", 103)
    world.accept("bob", "c3", 105)
    world.end("bob", "c3", 130)
    world.clear("bob", "c3", 135)
    return world


def test_search_without_filters_lists_every_finished_contact_newest_first() -> None:
    rows = search(records(busy_day()))
    assert [r.contact_id for r in rows] == ["c3", "c2", "c1"]
    assert [r.agent for r in rows] == ["bob", None, "alice"]


def test_search_by_agent_queue_and_disconnect_reason() -> None:
    world = busy_day()
    assert [r.contact_id for r in search(records(world), agent="ALICE")] == ["c1"]
    assert [r.contact_id for r in search(records(world), queue="sales")] == ["c3", "c2", "c1"]
    assert search(records(world), queue="Support") == []
    abandoned = search(records(world), disconnect_reason="CUSTOMER_DISCONNECT")
    assert [r.contact_id for r in abandoned] == ["c2", "c1"]
    assert [r.contact_id for r in search(records(world), disconnect_reason="AGENT_DISCONNECT")] == [
        "c3"
    ]


def test_search_shows_at_most_the_limit() -> None:
    assert [r.contact_id for r in search(records(busy_day()), limit=2)] == ["c3", "c2"]


def test_an_abandoned_contact_names_no_agent_and_has_no_recording() -> None:
    fields = {f.label: f.value for f in summary_fields(record(busy_day(), "c2"))}
    assert fields["Agent"] == NO_AGENT
    assert fields["Agent"] == (
        "We couldn't find this agent. Use the agent's user name to identify them."
    )
    assert fields["Disconnect reason"] == "CUSTOMER_DISCONNECT"
    assert fields["Recording"] == "no recording"
    assert fields["Time in queue"] == "25 s"
    assert "After contact work" not in fields


def test_a_handled_contact_names_its_agent_its_times_and_its_recording() -> None:
    fields = {f.label: f.value for f in summary_fields(record(busy_day(), "c1"))}
    assert fields["Agent"] == "alice"
    assert fields["Recording"] == "available"
    assert fields["Connected to agent"] == "2026-01-05T09:00:12Z"
    assert fields["Agent interaction"] == "28 s"
    assert fields["After contact work"] == "10 s"


def test_timeline_of_a_missed_then_answered_call() -> None:
    assert steps(busy_day(), "c3") == [
        (100, "Initiated (INBOUND)", None),
        (100, "Queued in Sales", None),
        (100, "Offered", "alice"),
        (103, "Missed", "alice"),
        (103, "Offered", "bob"),
        (105, "Connected", "bob"),
        (130, "Disconnected (AGENT_DISCONNECT)", None),
        (130, "After contact work", "bob"),
        (135, "Cleared", "bob"),
    ]


def test_timeline_durations_run_to_the_next_step() -> None:
    found = timeline(record(busy_day(), "c3"), events(busy_day()))
    assert [s.duration_ms for s in found] == [0, 0, 3000, 0, 2000, 25000, 0, 5000, None]


def test_timeline_shows_holds_and_resumes() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.accept("alice", "c1", 11)
    world.hold("alice", "c1", 20)
    world.resume("alice", "c1", 30)
    world.hangup("c1", 40)
    world.clear("alice", "c1", 45)
    assert [(at, what) for at, what, _ in steps(world, "c1")] == [
        (10, "Initiated (INBOUND)"),
        (10, "Queued in Sales"),
        (10, "Offered"),
        (11, "Connected"),
        (20, "On hold"),
        (30, "Resumed"),
        (40, "Disconnected (CUSTOMER_DISCONNECT)"),
        (40, "After contact work"),
        (45, "Cleared"),
    ]


def test_timeline_of_an_abandoned_call_that_rang_an_agent() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.hangup("c1", 15)
    world.clear("alice", "c1", 20)
    assert steps(world, "c1") == [
        (10, "Initiated (INBOUND)", None),
        (10, "Queued in Sales", None),
        (10, "Offered", "alice"),
        (15, "Missed", "alice"),
        (15, "Disconnected (CUSTOMER_DISCONNECT)", None),
        (20, "Cleared", "alice"),
    ]


def test_timeline_falls_back_on_the_record_without_the_agent_event_stream() -> None:
    world = busy_day()
    found = timeline(record(world, "c1"), [])
    assert [((s.at - world.start) / 1000, s.what, s.agent) for s in found] == [
        (10, "Initiated (INBOUND)", None),
        (10, "Queued in Sales", None),
        (12, "Connected", "alice"),
        (40, "Disconnected (CUSTOMER_DISCONNECT)", None),
        (40, "After contact work", "alice"),
        (50, "Cleared", "alice"),
    ]


def test_steps_within_one_second_keep_the_order_a_contact_lives_them() -> None:
    """Record times are whole seconds, stream times milliseconds: a call answered, held and
    hung up within one second still reads queued, offered, connected, held, disconnected."""
    world = World({**BASIC, "start": "2026-01-05T09:00:00.400Z"})
    world.available("alice", 0)
    world.inbound("c1", 0.1)
    world.accept("alice", "c1", 0.2)
    world.hold("alice", "c1", 0.3)
    world.hangup("c1", 0.5)  # at 09:00:00.900; the record says 09:00:00
    world.clear("alice", "c1", 0.7)  # 09:00:01.100
    assert [(what, who) for _, what, who in steps(world, "c1")] == [
        ("Initiated (INBOUND)", None),
        ("Queued in Sales", None),
        ("Offered", "alice"),
        ("Connected", "alice"),
        ("On hold", "alice"),
        ("Disconnected (CUSTOMER_DISCONNECT)", None),
        ("After contact work", "alice"),
        ("Cleared", "alice"),
    ]
    found = timeline(record(world, "c1"), events(world))
    assert all(s.duration_ms is None or s.duration_ms >= 0 for s in found)


def test_the_contact_window_covers_initiation_to_the_last_update() -> None:
    world = busy_day()
    start, end = contact_window(record(world, "c3"))
    assert (start - world.start, end - world.start) == (100_000, 136_000)


def test_the_search_range_reads_utc_wall_clock_or_an_offset() -> None:
    nine = 1_767_603_600_000  # 2026-01-05T09:00:00Z
    assert parse_local("2026-01-05T09:00", default=0) == nine
    assert parse_local("2026-01-05T09:00:00.000Z", default=0) == nine
    assert parse_local("2026-01-05T04:00-05:00", default=0) == nine
    assert parse_local("", default=7) == 7
    assert parse_local("not a time", default=7) == 7
