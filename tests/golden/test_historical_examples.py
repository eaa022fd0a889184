"""Historical metrics of the example stories: hand-checked numbers, AWS's ACW method, and one code
path: metrics of the engine's own published records equal those of the JSONL files decoded back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from switchboard.analytics.historical import HistoricalMetrics, compute
from switchboard.analytics.published import PublishedRecords
from switchboard.formats.aes import decode_agent_event_line
from switchboard.formats.ctr import decode_contact_record_line
from switchboard.sim.script import load_script, run_script
from tests.golden.records import EXAMPLES, STORIES, Output, acw_from_stream, ms

Example = Callable[[str], Output]
INTERVALS = [("15min", "UTC"), ("1h", "America/New_York"), ("1d", "Asia/Kolkata")]


def from_files(run: Output, interval: str = "15min", time_zone: str = "UTC") -> HistoricalMetrics:
    """What `analyze` computes: the written lines, decoded back."""
    return compute(
        [decode_agent_event_line(line) for line in run.aes_lines],
        [decode_contact_record_line(line) for line in run.ctr_lines],
        interval=interval,
        time_zone=time_zone,
    )


def agent(run: Output, m: HistoricalMetrics, username: str) -> Any:
    (interval,) = m.intervals.values()
    return interval.agents[run.arn(username)]


# --- one code path ------------------------------------------------------------------------------


@pytest.mark.parametrize("story", STORIES)
def test_published_records_and_the_files_written_from_them_give_the_same_metrics(
    story: str, tmp_path: Path
) -> None:
    script = load_script(EXAMPLES / f"{story}.yaml")
    published = PublishedRecords(script.setup.settings)
    aes_path, ctr_path = tmp_path / "agent-events.jsonl", tmp_path / "contact-records.jsonl"
    with aes_path.open("wb") as aes_file, ctr_path.open("wb") as ctr_file:
        run_script(
            script,
            agent_events=aes_file,
            contact_records=ctr_file,
            on_agent_event=published.on_agent_event,
            on_contact_record=published.on_contact_record,
        )
    decoded_aes = [decode_agent_event_line(line) for line in aes_path.read_bytes().splitlines()]
    decoded_ctr = [decode_contact_record_line(line) for line in ctr_path.read_bytes().splitlines()]
    assert published.agent_events == decoded_aes  # nothing the metrics read is lost in JSON
    assert published.contact_records == decoded_ctr
    for interval, zone in INTERVALS:
        own = compute(
            published.agent_events,
            published.contact_records,
            interval=interval,
            time_zone=zone,
        )
        read = compute(decoded_aes, decoded_ctr, interval=interval, time_zone=zone)
        assert own.to_json() == read.to_json()
        assert list(own.intervals) == list(read.intervals)
        assert own.acw_rows() == read.acw_rows()
        assert own.status_time_rows() == read.status_time_rows()
        assert own.agent_activity_rows() == read.agent_activity_rows()


@pytest.mark.parametrize("story", STORIES)
def test_acw_per_contact_is_what_awss_documented_method_gives(story: str, example: Example) -> None:
    run = example(story)
    expected = {
        (contact_id, agent_arn, span.seconds)
        for (agent_arn, contact_id), span in acw_from_stream(run.aes).items()
    }
    rows = from_files(run).acw_rows()
    assert {(r[0], r[2], r[5]) for r in rows} == expected


@pytest.mark.parametrize("story", STORIES)
def test_status_and_activity_time_cover_each_agents_window_once(
    story: str, example: Example
) -> None:
    run = example(story)
    m = from_files(run)
    for arn in {r["AgentARN"] for r in run.aes}:
        stamps = [r["EventTimestamp"] for r in run.aes if r["AgentARN"] == arn]
        # every example opens with LOGIN then the first STATE_CHANGE (no previous snapshot)
        first_snapshot = next(
            r["EventTimestamp"]
            for r in run.aes
            if r["AgentARN"] == arn and r["CurrentAgentSnapshot"] is not None
        )
        window = ms(stamps[-1]) - ms(first_snapshot)
        status = sum(sum(i.agents[arn].activity.status_ms.values()) for i in _with(m, arn))
        activity = sum(sum(i.agents[arn].activity.activity_ms.values()) for i in _with(m, arn))
        assert status == activity == window


def _with(m: HistoricalMetrics, arn: str) -> list[Any]:
    return [i for i in m.intervals.values() if arn in i.agents]


# --- hand-checked stories ------------------------------------------------------------------------


def test_inbound_call(example: Example) -> None:
    run = example("inbound-call")
    m = from_files(run)
    a = agent(run, m, "alice")
    assert a.activity.occupancy_pct == 90.08  # on contact 109 s, idle 12 s
    assert (a.contacts.routed, a.contacts.answered, a.contacts.agent_non_response) == (3, 2, 1)
    contacts = m.total.contacts
    assert (contacts.contacts_handled_incoming, contacts.contacts_handled_outbound) == (2, 1)
    assert contacts.avg_handle_time_s == 59.667  # c1 51+10+15, c2 32+0+1, o1 60+0+10
    assert contacts.avg_customer_hold_time_s == 10


def test_abandoned_call(example: Example) -> None:
    run = example("abandoned-call")
    m = from_files(run)
    contacts = m.total.contacts
    assert contacts.contacts_queued == contacts.contacts_abandoned == 2
    assert contacts.contacts_handled == 0
    assert contacts.avg_abandon_time_s == 14  # 20 s in queue, then 8 s ringing alice
    assert contacts.max_queued_time_s == 20
    assert contacts.service_level_pct(15) == 50.0
    assert contacts.service_level_pct(20) == 100.0
    assert contacts.agent_non_response == 1  # c2 rang alice when the customer hung up
    a = agent(run, m, "alice").activity
    assert a.idle_ms == 10_000 + 7_000  # 30-40 s, and c2 MISSED 48-55 s; ringing is not idle
    assert a.error_ms == 7_000
    assert a.activity_ms == {"Available": 10_000, "Incoming": 8_000, "Missed": 7_000}


def test_missed_offer(example: Example) -> None:
    run = example("missed-offer")
    m = from_files(run)
    alice, bob = agent(run, m, "alice"), agent(run, m, "bob")
    assert (alice.contacts.routed, alice.contacts.answered) == (2, 1)
    assert alice.contacts.agent_non_response == 1
    assert alice.contacts.answer_rate_pct == 50.0
    assert (bob.contacts.routed, bob.contacts.answered, bob.contacts.agent_non_response) == (
        1,
        1,
        0,
    )
    assert m.total.contacts.avg_queue_answer_time_s == (23 + 6) / 2  # c1 waited through a miss
    assert m.total.queues["Sales"].agent_non_response == 1


def test_break_outbound(example: Example) -> None:
    run = example("break-outbound")
    m = from_files(run)
    a = agent(run, m, "alice").activity
    assert a.non_productive_ms == a.online_ms == 79_000  # Break from 1 s to the clear at 80 s
    assert a.on_contact_ms == 0  # the call was made from Break
    assert a.activity_ms == {"Break": 9_000, "On contact": 60_000, "After contact work": 10_000}
    contacts = m.total.contacts
    assert (contacts.contacts_abandoned, contacts.contacts_handled_outbound) == (1, 1)
    assert contacts.avg_abandon_time_s == 30


def test_next_status(example: Example) -> None:
    run = example("next-status")
    m = from_files(run)
    alice = agent(run, m, "alice").activity
    assert alice.non_productive_ms == 0  # Break pending from 25 s, in force only at 85 s
    assert alice.status_ms == {"Available": 84_000}
    assert alice.on_contact_ms == 73_000  # 12-85 s: talk, then ACW
    bob = agent(run, m, "bob")
    assert bob.contacts.contacts_handled == 1


def test_two_chats(example: Example) -> None:
    run = example("two-chats")
    m = from_files(run)
    a = agent(run, m, "alice").activity
    assert a.on_contact_ms == 113_000  # 12-125 s whatever the number of chats
    assert a.idle_ms == 9_000  # 1-10 s
    assert a.occupancy_pct == 92.62
    support = m.total.queues["Support"]
    assert support.contacts_handled == 3
    assert support.max_queued_time_s == 42  # ch3 waited for a free slot


def test_acw_limit(example: Example) -> None:
    run = example("acw-limit")
    m = from_files(run)
    assert [(r[0], r[5]) for r in m.acw_rows()] == [("c1", 30.0), ("c2", 10.0)]
    assert m.total.contacts.after_contact_work_time_s == 40
