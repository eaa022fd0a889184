"""Historical metrics (reference §5.2) from small hand-checked logs: the engine's own, decoded from
JSON as `analyze` would read them, and records written by hand in Amazon's documented shapes."""

from __future__ import annotations

import random
from typing import Any

import orjson
import pytest

from switchboard.analytics.historical import (
    ACW_HEADER,
    AGENT_ACTIVITY_HEADER,
    SERVICE_LEVEL_THRESHOLDS_S,
    STATUS_TIME_HEADER,
    HistoricalMetrics,
    compute,
)
from switchboard.formats.aes import decode_agent_event
from switchboard.formats.ctr import decode_contact_record
from switchboard.formats.timestamps import parse_timestamp
from tests.support import BASIC, World

MINUTE = 60_000


def metrics(world: World, interval: str = "15min", time_zone: str = "UTC") -> HistoricalMetrics:
    """What `analyze` computes from the world's published records, decoded from their JSON."""
    return compute(
        [decode_agent_event(r) for r in world.aes_json],
        [decode_contact_record(r) for r in world.ctr_json],
        interval=interval,
        time_zone=time_zone,
    )


def arn(world: World, username: str) -> str:
    return f"{world.setup.settings.arn}/agent/{world.agent(username)}"


def only(m: HistoricalMetrics) -> Any:
    """The single interval of a short log."""
    assert len(m.intervals) == 1, [m.grid.label(s) for s in m.intervals]
    return next(iter(m.intervals.values()))


def seconds(ms: int) -> float:
    return ms / 1000


# --- agent activity -------------------------------------------------------------------------------


def morning(world: World) -> None:
    """alice: Available at 1 s; c1 rings 10-14, talk (with hold) to 75, ACW to 90; c2 (chat)
    rings 92-95, rejected 95-96, offered again 96-98, talk to 130, ACW to 131 when Break is
    chosen; outbound o1 from Break 140-200, ACW to 210; Offline at 240."""
    world.available("alice", 1)
    world.inbound("c1", 10)
    world.accept("alice", "c1", 14)
    world.hold("alice", "c1", 30)
    world.resume("alice", "c1", 40)
    world.hangup("c1", 75)
    world.clear("alice", "c1", 90)
    world.inbound("c2", 92, channel="CHAT")
    world.reject("alice", "c2", 95)
    world.clear("alice", "c2", 96)
    world.accept("alice", "c2", 98)
    world.end("alice", "c2", 130)
    world.set_status("alice", "Break", 131)
    world.dial("alice", "o1", 140)
    world.answered("o1", 140)
    world.hangup("o1", 200)
    world.clear("alice", "o1", 210)
    world.logout("alice", 240)


def test_activity_metrics_of_one_morning_are_the_hand_counted_seconds() -> None:
    world = World()
    morning(world)
    agent = only(metrics(world)).agents[arn(world, "alice")]
    a = agent.activity
    assert agent.username == "alice"
    assert seconds(a.online_ms) == 239  # 1 s → 240 s, Break included
    assert seconds(a.non_productive_ms) == 109  # Break 131 → 240, outbound call included
    assert seconds(a.idle_ms) == 9 + 2 + 1  # 1-10, 90-92, and 1 s with c2 REJECTED
    assert seconds(a.on_contact_ms) == 61 + 15 + 32 + 1  # Available only: c1 talk+ACW, c2
    assert seconds(a.error_ms) == 1
    assert a.occupancy_pct == round(109 / 121 * 100, 2)
    assert {k: seconds(v) for k, v in a.status_ms.items()} == {"Available": 130, "Break": 109}
    assert {k: seconds(v) for k, v in a.activity_ms.items()} == {
        "Available": 11,
        "Incoming": 4 + 3 + 2,
        "On contact": 61 + 32 + 60,
        "After contact work": 15 + 1 + 10,
        "Rejected": 1,
        "Break": 9 + 30,
    }


def test_time_is_counted_only_between_an_agents_first_and_last_record() -> None:
    world = World()
    world.available("alice", 0)
    world.set_status("alice", "Break", 300)  # the last record: nothing is counted after it
    m = metrics(world)
    a = only(m).agents[arn(world, "alice")].activity
    assert seconds(a.online_ms) == 300
    assert a.status_ms == {"Available": 300_000}


def test_the_time_before_an_agents_first_snapshot_is_not_counted() -> None:
    # LOGIN carries no snapshot and the first STATE_CHANGE after it no previous one
    world = World()
    world.login("alice", 0)
    world.set_status("alice", "Available", 60)
    world.set_status("alice", "Break", 100)
    a = only(metrics(world)).agents[arn(world, "alice")].activity
    assert a.status_ms == {"Available": 40_000}


def test_metrics_are_the_same_whatever_order_the_records_come_in() -> None:
    # out of time order and agents interleaved; records of one agent at one instant keep their
    # relative order (the file order is what tells them apart)
    world = World()
    morning(world)
    world.available("bob", 250)
    world.set_status("bob", "Training", 300)
    in_order = metrics(world)
    rng = random.Random(7)
    rank = {r["EventTimestamp"]: rng.random() for r in world.aes_json}
    shuffled = sorted(world.aes_json, key=lambda r: rank[r["EventTimestamp"]])
    assert shuffled != world.aes_json
    records = list(world.ctr_json)
    random.Random(8).shuffle(records)
    again = compute(
        [decode_agent_event(r) for r in shuffled], [decode_contact_record(r) for r in records]
    )
    assert again.to_json() == in_order.to_json()
    assert again.acw_rows() == in_order.acw_rows()


def test_records_of_one_instant_keep_their_input_order() -> None:
    # a clear and the next status it releases share a timestamp: the order decides who is who
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.accept("alice", "c1", 12)
    world.hangup("c1", 30)
    world.set_status("alice", "Break", 40)  # ACW cleared, then Break, all at 40 s
    world.set_status("alice", "Available", 50)
    a = only(metrics(world)).agents[arn(world, "alice")].activity
    assert a.status_ms == {"Available": 40_000, "Break": 10_000}
    assert a.activity_ms["After contact work"] == 10_000


def test_npt_counts_a_custom_status_even_on_a_call_and_on_contact_leaves_it_out() -> None:
    world = World()
    world.login("alice", 0)
    world.set_status("alice", "Break", 0)
    world.dial("alice", "o1", 10)
    world.answered("o1", 15)
    world.hangup("o1", 75)
    world.clear("alice", "o1", 80)
    world.set_status("alice", "Available", 100)
    a = only(metrics(world)).agents[arn(world, "alice")].activity
    assert seconds(a.non_productive_ms) == 100
    assert a.on_contact_ms == 0  # custom-status time is left out of Agent on contact time
    assert a.idle_ms == 0
    assert a.occupancy_pct is None  # no on-contact or idle time to divide
    assert {k: seconds(v) for k, v in a.activity_ms.items()} == {
        "Break": 10 + 20,
        "On contact": 5 + 60,  # ringing out counts as On contact
        "After contact work": 5,
    }


def test_a_pending_next_status_is_still_available_time_not_npt() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.accept("alice", "c1", 12)
    world.set_status("alice", "Break", 20)  # NextAgentStatus Break; status stays Available
    world.hangup("c1", 60)  # ACW, cleared at once by the pending status change? no: kept
    world.clear("alice", "c1", 70)  # the last slot clears: Break begins
    world.set_status("alice", "Available", 100)
    a = only(metrics(world)).agents[arn(world, "alice")].activity
    assert seconds(a.non_productive_ms) == 30  # only 70 → 100
    assert a.status_ms == {"Available": 70_000, "Break": 30_000}
    assert seconds(a.on_contact_ms) == 58


def test_idle_leaves_out_ringing_and_includes_a_missed_contact_waiting_to_be_cleared() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.run_until(30)  # the 20 s offer times out: MISSED
    world.hangup("c1", 32)  # the customer gives up in the queue; alice still holds it MISSED
    world.clear("alice", "c1", 35)
    world.set_status("alice", "Break", 40)
    m = metrics(world)
    a = only(m).agents[arn(world, "alice")].activity
    assert seconds(a.idle_ms) == 10 + 5 + 5  # 0-10, MISSED 30-35, 35-40
    assert seconds(a.error_ms) == 5
    assert a.activity_ms["Incoming"] == 20_000
    assert a.activity_ms["Missed"] == 5_000


def test_occupancy_ignores_concurrency() -> None:
    # two chats overlapping count once: the agent is on contact, not "twice on contact"
    world = World()
    world.available("alice", 0)
    world.inbound("ch1", 10, channel="CHAT")
    world.accept("alice", "ch1", 10)
    world.inbound("ch2", 20, channel="CHAT")
    world.accept("alice", "ch2", 20)
    world.end("alice", "ch1", 50)
    world.clear("alice", "ch1", 55)
    world.end("alice", "ch2", 70)
    world.clear("alice", "ch2", 80)
    world.set_status("alice", "Break", 90)
    a = only(metrics(world)).agents[arn(world, "alice")].activity
    assert seconds(a.on_contact_ms) == 70  # 10 → 80
    assert seconds(a.idle_ms) == 20  # 0-10, 80-90
    assert a.occupancy_pct == 77.78


def test_activity_is_split_across_15_minute_boundaries() -> None:
    world = World()  # starts 09:00
    world.available("alice", 10 * 60)  # 09:10
    world.set_status("alice", "Break", 40 * 60)  # 09:40
    world.set_status("alice", "Available", 50 * 60)  # 09:50
    m = metrics(world)
    per = {
        m.grid.label(s): (i.agents[arn(world, "alice")].activity.status_ms)
        for s, i in m.intervals.items()
    }
    assert per == {
        "2026-01-05T09:00:00+00:00": {"Available": 5 * MINUTE},
        "2026-01-05T09:15:00+00:00": {"Available": 15 * MINUTE},
        "2026-01-05T09:30:00+00:00": {"Available": 10 * MINUTE, "Break": 5 * MINUTE},
        "2026-01-05T09:45:00+00:00": {"Break": 5 * MINUTE},
    }


def test_activity_split_across_a_dst_change_uses_local_hours() -> None:
    # New York falls back on 1 November 2026 at 06:00 UTC (02:00 EDT → 01:00 EST)
    world = World({**BASIC, "start": "2026-11-01T05:30:00Z"})
    world.available("alice", 0)
    world.set_status("alice", "Break", 2 * 3600)  # 07:30 UTC
    m = metrics(world, "1h", "America/New_York")
    assert [(m.grid.label(s), i.activity.online_ms / MINUTE) for s, i in m.intervals.items()] == [
        ("2026-11-01T01:00:00-04:00", 30.0),
        ("2026-11-01T01:00:00-05:00", 60.0),
        ("2026-11-01T02:00:00-05:00", 30.0),
    ]


def test_reference_example_contact_from_05_23_to_06_15() -> None:
    """Reference §5.2: record-driven metrics all land in the disconnect interval; activity is
    split 7, 30 and 15 minutes across 05:00, 05:30 and 06:00."""
    world = World({**BASIC, "start": "2026-01-05T05:00:00Z"})
    world.available("alice", 0)
    world.inbound("c1", 23 * 60)
    world.accept("alice", "c1", 23 * 60)
    world.hangup("c1", 70 * 60)  # 06:10
    world.clear("alice", "c1", 75 * 60)  # 06:15: 52 minutes on the contact
    m = metrics(world, "30min")
    alice = arn(world, "alice")
    labels = {m.grid.label(s)[11:16]: i for s, i in m.intervals.items()}
    assert list(labels) == ["05:00", "05:30", "06:00"]
    assert [labels[k].agents[alice].activity.on_contact_ms / MINUTE for k in labels] == [7, 30, 15]
    assert [labels[k].contacts.contacts_handled for k in labels] == [0, 0, 1]
    assert labels["06:00"].contacts.handle_time_s == 52 * 60
    assert labels["06:00"].agents[alice].contacts.avg_handle_time_s == 52 * 60


# --- offers: non-response and answer rate -------------------------------------------------------


def test_agent_non_response_counts_each_unanswered_offer_including_a_customer_abandon() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.run_until(30)  # timeout: MISSED, c1 back to the queue
    world.clear("alice", "c1", 31)  # offered again at once
    world.reject("alice", "c1", 35)  # voice reject: MISSED again
    world.clear("alice", "c1", 36)  # offered a third time
    world.hangup("c1", 40)  # the customer gives up while it rings: MISSED
    world.clear("alice", "c1", 41)
    world.inbound("c2", 50)
    world.accept("alice", "c2", 52)
    interval = only(metrics(world))
    mine = interval.agents[arn(world, "alice")].contacts
    assert (mine.routed, mine.answered, mine.agent_non_response) == (4, 1, 3)
    assert mine.answer_rate_pct == 25.0
    assert interval.queues["Sales"].agent_non_response == 3
    assert interval.contacts.agent_non_response == 3
    assert interval.contacts.contacts_abandoned == 1  # the CTR of c1: no agent, customer hung up


def test_a_rejected_chat_is_non_response() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("ch1", 10, channel="CHAT")
    world.reject("alice", "ch1", 12)
    mine = only(metrics(world)).agents[arn(world, "alice")].contacts
    assert (mine.routed, mine.answered, mine.agent_non_response) == (1, 0, 1)


def test_an_outbound_call_is_not_an_offer() -> None:
    world = World()
    world.available("alice", 0)
    world.dial("alice", "o1", 10)
    world.answered("o1", 15)
    mine = only(metrics(world)).agents[arn(world, "alice")].contacts
    assert (mine.routed, mine.answered, mine.agent_non_response) == (0, 0, 0)
    assert mine.answer_rate_pct is None


# --- ACW per contact ------------------------------------------------------------------------------


def test_acw_per_contact_is_awss_method_and_matches_the_contact_record() -> None:
    world = World()
    morning(world)
    m = metrics(world)
    rows = m.acw_rows()
    assert ACW_HEADER == (
        "ContactId",
        "Username",
        "AgentARN",
        "AfterContactWorkStart",
        "AfterContactWorkEnd",
        "Seconds",
    )
    assert [(r[0], r[1], r[3], r[4], r[5]) for r in rows] == [
        ("c1", "alice", world.iso(75), world.iso(90), 15.0),
        ("c2", "alice", world.iso(130), world.iso(131), 1.0),
        ("o1", "alice", world.iso(200), world.iso(210), 10.0),
    ]
    assert {r[2] for r in rows} == {arn(world, "alice")}
    for row in rows:
        assert world.ctr(row[0])["Agent"]["AfterContactWorkDuration"] == row[5]


def test_acw_keeps_the_milliseconds_of_the_stream() -> None:
    world = World()
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.accept("alice", "c1", 12)
    world.hangup("c1", 20.4)
    world.clear("alice", "c1", 25.9)
    (row,) = metrics(world).acw_rows()
    assert row[5] == 5.5
    assert world.ctr("c1")["Agent"]["AfterContactWorkDuration"] == 5  # 25 - 20, floored stamps


def aws_snapshot(
    status: str, contacts: list[dict[str, Any]], start: str = "2019-05-25T18:50:00.000Z"
) -> dict[str, Any]:
    """An agent snapshot as the 2019 samples write it: no AgentStatus.Type, no Concurrency."""
    return {
        "AgentStatus": {"ARN": "example-ARN", "Name": status, "StartTimestamp": start},
        "Configuration": {
            "AgentHierarchyGroups": None,
            "FirstName": "AgentEventStreamTest",
            "LastName": "Agent",
            "RoutingProfile": {"ARN": "rp-ARN", "Name": "AgentEventStreamProfile"},
            "Username": "aestest",
        },
        "Contacts": contacts,
    }


def aws_contact(state: str, state_start: str, **extra: Any) -> dict[str, Any]:
    return {
        "Channel": "VOICE",
        "ConnectedToAgentTimestamp": "2019-05-25T18:55:21.011Z",
        "ContactId": "contact-1",
        "InitialContactId": None,
        "InitiationMethod": "OUTBOUND",
        "Queue": {"ARN": "queue-ARN", "Name": "OutboundQueue"},
        "QueueTimestamp": None,
        "State": state,
        "StateStartTimestamp": state_start,
        **extra,
    }


def aws_event(
    event_id: str, at: str, current: dict[str, Any], previous: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "AWSAccountId": "012345678901",
        "AgentARN": "arn:aws:connect:us-west-2:012345678901:instance/i/agent/agent-ARN",
        "CurrentAgentSnapshot": current,
        "EventId": event_id,
        "EventTimestamp": at,
        "EventType": "STATE_CHANGE",
        "InstanceARN": "arn:aws:connect:us-west-2:012345678901:instance/i",
        "PreviousAgentSnapshot": previous,
        "Version": "2017-10-01",
    }


def test_amazons_acw_sample_gives_5_005_seconds() -> None:
    """Reference §3.3 (S-ACW): CONNECTED 18:55:21.011, ENDED 18:55:27.017, cleared 18:55:32.022."""
    talking = aws_snapshot("Available", [aws_contact("CONNECTED", "2019-05-25T18:55:21.011Z")])
    ended = aws_snapshot("Available", [aws_contact("ENDED", "2019-05-25T18:55:27.017Z")])
    cleared = aws_snapshot("Available", [])
    records = [
        aws_event("e1", "2019-05-25T18:55:21.011Z", talking, aws_snapshot("Available", [])),
        aws_event("e2", "2019-05-25T18:55:27.017Z", ended, talking),
        aws_event("e3", "2019-05-25T18:55:32.022Z", cleared, ended),
    ]
    m = compute([decode_agent_event(r) for r in records], [])
    assert m.acw_rows() == [
        (
            "contact-1",
            "aestest",
            "arn:aws:connect:us-west-2:012345678901:instance/i/agent/agent-ARN",
            "2019-05-25T18:55:27.017Z",
            "2019-05-25T18:55:32.022Z",
            5.005,
        )
    ]
    a = only(m).agents["arn:aws:connect:us-west-2:012345678901:instance/i/agent/agent-ARN"].activity
    # no AgentStatus.Type in 2019 records: "Available" is read as the routable status
    assert a.on_contact_ms == 32_022 - 21_011
    assert a.activity_ms == {"On contact": 6_006, "After contact work": 5_005}


def test_a_configuration_change_is_not_the_end_of_acw() -> None:
    ended = aws_snapshot("Available", [aws_contact("ENDED", "2019-05-25T18:55:27.017Z")])
    reconfigured = {**ended, "Configuration": {**ended["Configuration"], "FirstName": "New"}}
    records = [
        aws_event("e2", "2019-05-25T18:55:27.017Z", ended, None),
        aws_event("e3", "2019-05-25T18:55:29.000Z", reconfigured, ended),
        aws_event("e4", "2019-05-25T18:55:32.022Z", aws_snapshot("Available", []), reconfigured),
    ]
    (row,) = compute([decode_agent_event(r) for r in records], []).acw_rows()
    assert (row[3], row[4], row[5]) == (
        "2019-05-25T18:55:27.017Z",
        "2019-05-25T18:55:32.022Z",
        5.005,
    )


def test_an_error_contact_counts_as_error_time_and_idle_time() -> None:
    """Reference §3.5 (a real capture): an inbound contact in ERROR on an Available agent."""

    def contact(state: str, start: str) -> dict[str, Any]:
        return aws_contact(
            state,
            start,
            ConnectedToAgentTimestamp=None,
            InitiationMethod="INBOUND",
            QueueTimestamp="2019-01-21T09:15:53.053Z",
            ContactId="e848581d",
        )

    start = "2019-01-21T09:10:08.008Z"
    idle = aws_snapshot("Available", [], start)
    ringing = aws_snapshot("Available", [contact("CONNECTING", "2019-01-21T09:15:53.500Z")], start)
    error = aws_snapshot("Available", [contact("ERROR", "2019-01-21T09:15:54.054Z")], start)
    records = [
        aws_event("e1", "2019-01-21T09:15:53.500Z", ringing, idle),
        aws_event("e2", "2019-01-21T09:15:54.054Z", error, ringing),
        aws_event("e3", "2019-01-21T09:16:02.002Z", idle, error),
    ]
    m = compute([decode_agent_event(r) for r in records], [])
    a = next(iter(only(m).agents.values())).activity
    assert a.error_ms == 7_948
    assert a.idle_ms == 7_948  # ringing (554 ms) is not idle
    assert a.activity_ms == {"Incoming": 554, "Error": 7_948}
    assert m.acw_rows() == []


# --- contact records ------------------------------------------------------------------------------


def queue_day(world: World) -> None:
    """Four calls in Sales: c1 waits 4 s, talks 46 s with a 10 s hold, ACW 5 s, agent hangs up;
    c2 abandons after 20 s; c3 waits 17 s, talks 20 s, ACW 10 s; c4 abandons after 50 s."""
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.accept("alice", "c1", 14)
    world.hold("alice", "c1", 20)
    world.resume("alice", "c1", 30)
    world.inbound("c2", 40)
    world.end("alice", "c1", 60)
    world.hangup("c2", 60)  # 20 s in queue: alice was busy
    world.clear("alice", "c1", 65)
    world.set_status("alice", "Break", 66)
    world.inbound("c3", 70)
    world.set_status("alice", "Available", 85)
    world.accept("alice", "c3", 87)  # 17 s after its enqueue
    world.hangup("c3", 107)
    world.inbound("c4", 110)
    world.clear("alice", "c3", 117)
    world.set_status("alice", "Break", 118)
    world.hangup("c4", 160)


def test_contact_record_metrics_of_a_queue() -> None:
    world = World()
    queue_day(world)
    interval = only(metrics(world))
    sales = interval.queues["Sales"]
    assert sales == interval.contacts
    assert sales.contacts_queued == 4
    assert sales.contacts_handled == sales.contacts_handled_incoming == 2
    assert sales.contacts_handled_outbound == 0
    assert sales.contacts_abandoned == 2
    assert sales.contacts_agent_hung_up_first == 1
    assert sales.interaction_time_s == 36 + 20  # talk without hold
    assert sales.customer_hold_time_s == 10
    assert sales.avg_customer_hold_time_s == 10  # over held contacts only
    assert sales.after_contact_work_time_s == 5 + 10
    assert sales.avg_after_contact_work_time_s == 7.5
    assert sales.handle_time_s == (36 + 10 + 5) + (20 + 10)
    assert sales.avg_handle_time_s == 40.5
    assert sales.avg_queue_answer_time_s == (4 + 17) / 2
    assert sales.avg_abandon_time_s == (20 + 50) / 2
    assert sales.max_queued_time_s == 50
    levels = {x: sales.service_level_pct(x) for x in SERVICE_LEVEL_THRESHOLDS_S}
    assert levels[15] == 25.0  # c1 only
    assert levels[20] == levels[45] == 75.0  # c1, c3, c2 (abandoned at exactly 20 s)
    assert levels[60] == levels[600] == 100.0


def test_contact_metrics_per_agent_cover_the_contacts_it_handled() -> None:
    world = World()
    queue_day(world)
    mine = only(metrics(world)).agents[arn(world, "alice")].contacts
    assert mine.contacts_handled == 2
    assert mine.handle_time_s == 81
    assert mine.contacts_abandoned == 0


def test_contact_records_count_whole_in_the_interval_of_their_disconnect() -> None:
    world = World()  # 09:00
    world.available("alice", 0)
    world.inbound("c1", 14 * 60)  # 09:14
    world.accept("alice", "c1", 14 * 60 + 5)
    world.hangup("c1", 16 * 60)  # 09:16: the record belongs to 09:15
    world.clear("alice", "c1", 31 * 60)  # ACW into the 09:30 interval
    m = metrics(world)
    handled = {m.grid.label(s)[11:16]: i.contacts.contacts_handled for s, i in m.intervals.items()}
    assert handled == {"09:00": 0, "09:15": 1, "09:30": 0}
    assert m.intervals[m.grid.start_of(world.ms(16 * 60))].contacts.handle_time_s == 115 + 900


def test_outbound_calls_are_handled_outbound_and_never_queued() -> None:
    world = World()
    world.available("alice", 0)
    world.dial("alice", "o1", 10)
    world.answered("o1", 15)
    world.hangup("o1", 45)
    world.clear("alice", "o1", 50)
    world.dial("alice", "o2", 60)
    world.dial_failed("o2", 65)  # connected to the agent, never to the customer
    world.clear("alice", "o2", 70)
    contacts = only(metrics(world)).contacts
    assert contacts.contacts_queued == 0
    assert contacts.contacts_handled == contacts.contacts_handled_outbound == 2
    assert contacts.avg_queue_answer_time_s is None
    assert contacts.contacts_with_acw == 1  # the failed dial has no ACW in its record


def test_a_record_without_a_disconnect_is_left_out_and_counted_as_such() -> None:
    world = World()
    queue_day(world)
    unfinished = dict(world.ctr_json[0], DisconnectTimestamp=None, ContactId="open")
    m = compute(
        [decode_agent_event(r) for r in world.aes_json],
        [decode_contact_record(r) for r in [*world.ctr_json, unfinished]],
    )
    assert (m.contact_records_used, m.contact_records_ignored) == (4, 1)
    assert only(m).contacts.contacts_queued == 4


def test_a_day_interval_takes_records_by_their_local_day() -> None:
    world = World({**BASIC, "start": "2026-07-01T21:59:00Z"})  # 23:59 in Berlin
    world.available("alice", 0)
    world.inbound("c1", 10)
    world.accept("alice", "c1", 12)
    world.hangup("c1", 50)  # 21:59:50 UTC: 1 July in Berlin
    world.clear("alice", "c1", 55)
    world.inbound("c2", 70)
    world.accept("alice", "c2", 72)
    world.hangup("c2", 100)  # 22:00:40 UTC: 2 July in Berlin, still 1 July in UTC
    world.clear("alice", "c2", 105)
    berlin = metrics(world, "1d", "Europe/Berlin")
    assert {
        berlin.grid.label(s): i.contacts.contacts_handled for s, i in berlin.intervals.items()
    } == {
        "2026-07-01T00:00:00+02:00": 1,
        "2026-07-02T00:00:00+02:00": 1,
    }
    assert [i.contacts.contacts_handled for i in metrics(world, "1d").intervals.values()] == [2]


# --- output ---------------------------------------------------------------------------------------


def test_json_has_a_stable_key_order_and_rounded_numbers() -> None:
    world = World()
    morning(world)
    first = metrics(world).to_json()
    assert metrics(world).to_json() == first
    doc = orjson.loads(first)
    assert list(doc) == [
        "interval",
        "time_zone",
        "service_level_thresholds_s",
        "agent_events",
        "contact_records",
        "contact_records_ignored",
        "total",
        "intervals",
    ]
    (interval,) = doc["intervals"]
    assert list(interval) == ["start", "end", "contacts", "activity", "queues", "agents"]
    assert interval["start"] == "2026-01-05T09:00:00+00:00"
    assert interval["end"] == "2026-01-05T09:15:00+00:00"
    alice = interval["agents"][arn(world, "alice")]
    assert alice["username"] == "alice"
    assert alice["occupancy_pct"] == 90.08
    assert alice["contacts"]["avg_handle_time_s"] == 59.667  # (76 + 33 + 70) / 3
    assert list(alice["contacts"]["service_level_pct"]) == [
        str(x) for x in SERVICE_LEVEL_THRESHOLDS_S
    ]


def test_status_and_activity_rows_add_up_to_each_agents_window() -> None:
    world = World()
    morning(world)
    world.available("bob", 300)
    world.set_status("bob", "Training", 20 * 60)
    m = metrics(world)
    assert STATUS_TIME_HEADER == ("Agent", "Status", "Interval", "Seconds")
    assert AGENT_ACTIVITY_HEADER == ("Agent", "Activity", "Interval", "Seconds")
    status_rows = m.status_time_rows()
    # alice's heartbeats after her logout (up to an hour) keep her window open, Offline
    assert status_rows == [
        ("alice", "Available", "2026-01-05T09:00:00+00:00", 130.0),
        ("alice", "Break", "2026-01-05T09:00:00+00:00", 109.0),
        ("alice", "Offline", "2026-01-05T09:00:00+00:00", 660.0),
        ("bob", "Available", "2026-01-05T09:00:00+00:00", 600.0),
        ("alice", "Offline", "2026-01-05T09:15:00+00:00", 180.0),  # last heartbeat 09:18
        ("bob", "Available", "2026-01-05T09:15:00+00:00", 300.0),
    ]
    for rows in (status_rows, m.agent_activity_rows()):
        totals: dict[str, float] = {}
        for agent, _, _, secs in rows:
            totals[agent] = totals.get(agent, 0) + secs
        assert totals == {"alice": 1079.0, "bob": 900.0}


def test_the_metrics_of_every_interval_add_up_to_the_total() -> None:
    world = World()
    queue_day(world)
    morning_world = World()
    morning(morning_world)
    m = metrics(world, "15min")
    total = m.total
    assert total.contacts.handle_time_s == sum(
        i.contacts.handle_time_s for i in m.intervals.values()
    )
    assert total.activity.online_ms == sum(i.activity.online_ms for i in m.intervals.values())


@pytest.mark.parametrize("text", ["2026-01-05T09:00:00Z", "2026-01-05T09:00:00.000Z"])
def test_interval_labels_are_local_iso_with_offset(text: str) -> None:
    m = compute([], [], interval="1h", time_zone="Asia/Tokyo")
    assert m.grid.label(m.grid.start_of(parse_timestamp(text))) == "2026-01-05T18:00:00+09:00"
    assert m.to_dict()["total"] is None
