"""Every contact record of every example, checked against Amazon's data model (reference §4) and
against the agent event stream of the same run: the two must tell the same story."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from tests.golden.records import (
    CTR_AGENT_KEYS,
    CTR_KEYS,
    EXAMPLES,
    STORIES,
    Output,
    acw_from_stream,
    at_s,
    contacts,
    ms,
    seconds,
    walk,
)

Example = Callable[[str], Output]

CTR_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def floor_s(aes_text: str) -> int:
    return ms(aes_text) // 1000


def script_contacts(name: str) -> dict[str, dict[str, Any]]:
    """ContactId → the action that created it (inbound or outbound) in the example."""
    doc = yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text(encoding="utf-8"))
    return {s["contact"]: s for s in doc["script"] if s["do"] in {"inbound", "outbound"}}


def stream_views(run: Output, contact_id: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(record, contact) for every current snapshot that lists the contact."""
    return [
        (record, contact)
        for record in run.aes
        for cid, contact in contacts(record["CurrentAgentSnapshot"]).items()
        if cid == contact_id
    ]


@pytest.fixture(params=STORIES)
def story(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def run(story: str, example: Example) -> Output:
    return example(story)


def test_one_record_per_contact_of_the_script(run: Output, story: str) -> None:
    assert sorted(r["ContactId"] for r in run.ctr) == sorted(script_contacts(story))


def test_every_documented_field_is_present(run: Output) -> None:
    for record in run.ctr:
        assert set(record) >= CTR_KEYS, sorted(CTR_KEYS - set(record))
        assert record["AWSContactTraceRecordFormatVersion"] == "2017-03-10"
        assert record["AWSAccountId"] == run.aes[0]["AWSAccountId"]
        assert record["InstanceARN"] == run.aes[0]["InstanceARN"]
        assert record["InitialContactId"] is None
        assert record["PreviousContactId"] is None
        assert record["NextContactId"] is None
        assert record["TransferCompletedTimestamp"] is None
        assert record["Recordings"] is not None
        if record["Agent"] is not None:
            assert set(record["Agent"]) >= CTR_AGENT_KEYS
        assert set(record["Queue"]) == {
            "ARN",
            "DequeueTimestamp",
            "Duration",
            "EnqueueTimestamp",
            "Name",
        }


def test_timestamps_are_whole_seconds(run: Output) -> None:
    for record in run.ctr:
        for path, value in walk(record):
            if path.endswith("Timestamp") and value is not None:
                assert CTR_TIMESTAMP.match(value), (path, value)


def test_initiation_method(run: Output, story: str) -> None:
    """INBOUND for inbound voice, API for chats, OUTBOUND for agent-dialled calls (DESIGN §5)."""
    actions = script_contacts(story)
    for record in run.ctr:
        action = actions[record["ContactId"]]
        channel = action.get("channel", "VOICE")
        expected = (
            "OUTBOUND" if action["do"] == "outbound" else "INBOUND" if channel == "VOICE" else "API"
        )
        assert record["InitiationMethod"] == expected
        assert record["Channel"] == channel
        assert record["MediaStreams"] == [{"Type": "AUDIO" if channel == "VOICE" else "CHAT"}]
        assert record["InitiationTimestamp"] == at_s(action["at"])
        if expected == "INBOUND":
            assert record["ConnectedToSystemTimestamp"] == record["InitiationTimestamp"]


def test_queue_duration_is_dequeue_minus_enqueue(run: Output) -> None:
    for record in run.ctr:
        queue = record["Queue"]
        if queue["EnqueueTimestamp"] is None:
            continue
        assert queue["Duration"] == seconds(queue["DequeueTimestamp"]) - seconds(
            queue["EnqueueTimestamp"]
        )
        if record["Agent"] is not None:
            assert queue["DequeueTimestamp"] == record["Agent"]["ConnectedToAgentTimestamp"]
        else:
            assert queue["DequeueTimestamp"] == record["DisconnectTimestamp"]


def test_queue_matches_the_stream(run: Output) -> None:
    for record in run.ctr:
        views = stream_views(run, record["ContactId"])
        for _, contact in views:
            assert contact["Queue"]["ARN"] == record["Queue"]["ARN"]
            assert contact["Queue"]["Name"] == record["Queue"]["Name"]
            if contact["QueueTimestamp"] is not None:
                assert seconds(record["Queue"]["EnqueueTimestamp"]) == floor_s(
                    contact["QueueTimestamp"]
                )


def test_agent_only_when_connected(run: Output) -> None:
    """`Agent` is there iff the stream shows the contact CONNECTED on an agent, and names him."""
    for record in run.ctr:
        connected = {
            r["AgentARN"]
            for r, contact in stream_views(run, record["ContactId"])
            if contact["State"] == "CONNECTED"
        }
        if record["Agent"] is None:
            assert connected == set()
        else:
            assert connected == {record["Agent"]["ARN"]}


def test_connected_to_agent_matches_the_stream_for_queued_contacts(run: Output) -> None:
    for record in run.ctr:
        if record["Agent"] is None or record["InitiationMethod"] == "OUTBOUND":
            continue
        first = next(
            c for _, c in stream_views(run, record["ContactId"]) if c["State"] == "CONNECTED"
        )
        assert seconds(record["Agent"]["ConnectedToAgentTimestamp"]) == floor_s(
            first["ConnectedToAgentTimestamp"]
        )


def test_connection_attempts_count_the_offers(run: Output) -> None:
    """AgentConnectionAttempts: one per offer to an agent, seen as a CONNECTING spell."""
    for record in run.ctr:
        if record["InitiationMethod"] == "OUTBOUND":
            continue
        offers = {
            (r["AgentARN"], contact["StateStartTimestamp"])
            for r, contact in stream_views(run, record["ContactId"])
            if contact["State"] == "CONNECTING"
        }
        assert record["AgentConnectionAttempts"] == len(offers)


def test_interaction_time_is_talk_without_hold(run: Output) -> None:
    for record in run.ctr:
        agent = record["Agent"]
        if agent is None:
            continue
        talk = seconds(record["DisconnectTimestamp"]) - seconds(agent["ConnectedToAgentTimestamp"])
        assert agent["AgentInteractionDuration"] == talk - agent["CustomerHoldDuration"]
        assert agent["LongestHoldDuration"] <= agent["CustomerHoldDuration"]
        assert (agent["NumberOfHolds"] == 0) == (agent["CustomerHoldDuration"] == 0)


def test_acw_window(run: Output) -> None:
    for record in run.ctr:
        agent = record["Agent"]
        if agent is None:
            continue
        start, end = agent["AfterContactWorkStartTimestamp"], agent["AfterContactWorkEndTimestamp"]
        assert start == record["DisconnectTimestamp"]
        assert agent["AfterContactWorkDuration"] == seconds(end) - seconds(start)
        assert record["LastUpdateTimestamp"] >= end >= start


def test_acw_by_aws_method_equals_the_records(run: Output) -> None:
    """AWS's ACW method over the stream gives each record's ACW window, to the second."""
    spans = acw_from_stream(run.aes)
    with_agent = [r for r in run.ctr if r["Agent"] is not None]
    assert {(r["Agent"]["ARN"], r["ContactId"]) for r in with_agent} == set(spans)
    for record in with_agent:
        agent = record["Agent"]
        span = spans[agent["ARN"], record["ContactId"]]
        assert seconds(agent["AfterContactWorkStartTimestamp"]) == span.start_ms // 1000
        assert seconds(agent["AfterContactWorkEndTimestamp"]) == span.end_ms // 1000
        assert agent["AfterContactWorkDuration"] == span.end_ms // 1000 - span.start_ms // 1000


def test_recording_only_when_an_agent_talked_to_the_customer(run: Output) -> None:
    for record in run.ctr:
        talked = record["Agent"] is not None and record["ConnectedToSystemTimestamp"] is not None
        if record["Channel"] == "VOICE" and talked:
            recording = record["Recording"]
            assert recording is not None
            assert recording["Type"] == "AUDIO"
            assert recording["Status"] == "AVAILABLE"
            # the first recording appears in both Recording and Recordings (reference §4.6)
            assert record["Recordings"][0]["Location"] == recording["Location"]
            assert record["Recordings"][0]["MediaStreamType"] == "AUDIO"
        if record["Agent"] is None:
            assert record["Recording"] is None
            assert record["Recordings"] == []


def test_abandoned_contacts_say_customer_disconnect(run: Output) -> None:
    """Reference §4.1: never connected to an agent ⇒ CUSTOMER_DISCONNECT and no recording."""
    for record in run.ctr:
        if record["Agent"] is None:
            assert record["DisconnectReason"] == "CUSTOMER_DISCONNECT"
            assert record["Queue"]["EnqueueTimestamp"] is not None


def test_disconnect_reason_follows_who_hung_up(run: Output, story: str) -> None:
    doc = yaml.safe_load((EXAMPLES / f"{story}.yaml").read_text(encoding="utf-8"))
    hangups = {s["contact"]: s.get("by", "customer") for s in doc["script"] if s["do"] == "hangup"}
    for record in run.ctr:
        by = hangups[record["ContactId"]]
        assert record["DisconnectReason"] == f"{by.upper()}_DISCONNECT"
