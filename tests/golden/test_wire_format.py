"""The bytes of both files (DESIGN §5 "Wire format"): compact UTF-8 JSON, one record per line,
keys sorted at every level; the decoders read every line back; same script, same bytes."""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO
from pathlib import Path

import orjson
import pytest

from switchboard.formats.aes import decode_agent_event_line
from switchboard.formats.ctr import decode_contact_record_line
from switchboard.sim.script import load_script, run_script
from tests.golden.records import EXAMPLES, STORIES, Output, ms, run_example, seconds

Example = Callable[[str], Output]


@pytest.fixture(params=STORIES)
def run(request: pytest.FixtureRequest, example: Example) -> Output:
    return example(request.param)


def canonical(line: bytes) -> bytes:
    return orjson.dumps(orjson.loads(line), option=orjson.OPT_SORT_KEYS)


def test_files_are_newline_terminated_lines(run: Output) -> None:
    for data in (run.aes_bytes, run.ctr_bytes):
        assert data.endswith(b"\n")
        assert b"\r" not in data
        assert all(line for line in data.split(b"\n")[:-1]), "no blank lines"
        data.decode("utf-8")


def test_every_line_is_compact_json_with_sorted_keys(run: Output) -> None:
    for line in run.aes_lines + run.ctr_lines:
        assert line == canonical(line)


def test_sorted_keys_check_can_tell() -> None:
    """The check above fails for what it must refuse: spaces, or keys out of order."""
    assert canonical(b'{"b":1,"a":{"d":2,"c":3}}') != b'{"b":1,"a":{"d":2,"c":3}}'
    assert canonical(b'{"a": 1}') != b'{"a": 1}'


def test_agent_event_decoder_agrees_with_every_line(run: Output) -> None:
    for line, raw in zip(run.aes_lines, run.aes, strict=True):
        event = decode_agent_event_line(line)
        assert event.event_id == raw["EventId"]
        assert event.event_type == raw["EventType"]
        assert event.at == ms(raw["EventTimestamp"])
        assert event.agent_arn == raw["AgentARN"]
        assert event.instance_arn == raw["InstanceARN"]
        for decoded, snap in (
            (event.current, raw["CurrentAgentSnapshot"]),
            (event.previous, raw["PreviousAgentSnapshot"]),
        ):
            if snap is None:
                assert decoded is None
                continue
            assert decoded is not None
            config = snap["Configuration"]
            profile = config["RoutingProfile"]
            assert decoded.username == config["Username"]
            assert decoded.first_name == config["FirstName"]
            assert decoded.last_name == config["LastName"]
            assert decoded.status_name == snap["AgentStatus"]["Name"]
            assert decoded.status_type == snap["AgentStatus"]["Type"]
            assert decoded.status_start == ms(snap["AgentStatus"]["StartTimestamp"])
            assert decoded.next_status_name == (snap.get("NextAgentStatus") or {}).get("Name")
            assert decoded.routing_profile == profile["Name"]
            assert decoded.available_slots == {
                c["Channel"]: c["AvailableSlots"] for c in profile["Concurrency"]
            }
            assert decoded.maximum_slots == {
                c["Channel"]: c["MaximumSlots"] for c in profile["Concurrency"]
            }
            assert len(decoded.contacts) == len(snap["Contacts"])
            for contact, c in zip(decoded.contacts, snap["Contacts"], strict=True):
                assert contact.contact_id == c["ContactId"]
                assert contact.channel == c["Channel"]
                assert contact.initiation_method == c["InitiationMethod"]
                assert contact.state == c["State"]
                assert contact.state_start == ms(c["StateStartTimestamp"])
                assert contact.connected_at == _ms_or_none(c["ConnectedToAgentTimestamp"])
                assert contact.queue_at == _ms_or_none(c["QueueTimestamp"])
                assert contact.queue_name == c["Queue"]["Name"]


def _ms_or_none(text: str | None) -> int | None:
    return ms(text) if text is not None else None


def _s_or_none(text: str | None) -> int | None:
    return seconds(text) * 1000 if text is not None else None


def test_contact_record_decoder_agrees_with_every_line(run: Output) -> None:
    for line, raw in zip(run.ctr_lines, run.ctr, strict=True):
        record = decode_contact_record_line(line)
        queue = raw["Queue"]
        assert record.contact_id == raw["ContactId"]
        assert record.channel == raw["Channel"]
        assert record.initiation_method == raw["InitiationMethod"]
        assert record.initiated_at == _s_or_none(raw["InitiationTimestamp"])
        assert record.disconnect_at == _s_or_none(raw["DisconnectTimestamp"])
        assert record.disconnect_reason == raw["DisconnectReason"]
        assert record.last_update_at == _s_or_none(raw["LastUpdateTimestamp"])
        assert record.queue_name == queue["Name"]
        assert record.queue_arn == queue["ARN"]
        assert record.enqueue_at == _s_or_none(queue["EnqueueTimestamp"])
        assert record.dequeue_at == _s_or_none(queue["DequeueTimestamp"])
        assert record.queue_s == queue["Duration"]
        assert record.attempts == raw["AgentConnectionAttempts"]
        assert record.has_recording == (raw["Recording"] is not None)
        agent = raw["Agent"]
        if agent is None:
            assert record.agent is None
            continue
        assert record.agent is not None
        assert record.agent.arn == agent["ARN"]
        assert record.agent.username == agent["Username"]
        assert record.agent.connected_at == _s_or_none(agent["ConnectedToAgentTimestamp"])
        assert record.agent.interaction_s == agent["AgentInteractionDuration"]
        assert record.agent.hold_s == agent["CustomerHoldDuration"]
        assert record.agent.holds == agent["NumberOfHolds"]
        assert record.agent.longest_hold_s == agent["LongestHoldDuration"]
        assert record.agent.acw_start == _s_or_none(agent["AfterContactWorkStartTimestamp"])
        assert record.agent.acw_end == _s_or_none(agent["AfterContactWorkEndTimestamp"])
        assert record.agent.acw_s == agent["AfterContactWorkDuration"]


@pytest.mark.parametrize("name", STORIES)
def test_same_script_same_bytes(name: str, tmp_path: Path) -> None:
    first = run_example(name, tmp_path / "first")
    second = run_example(name, tmp_path / "second")
    assert first.aes_bytes == second.aes_bytes
    assert first.ctr_bytes == second.ctr_bytes


@pytest.mark.parametrize("name", STORIES)
def test_streams_and_files_hold_the_same_bytes(name: str, example: Example) -> None:
    """`run_script` into memory writes exactly what `switchboard run` writes into files."""
    aes, ctr = BytesIO(), BytesIO()
    run_script(load_script(EXAMPLES / f"{name}.yaml"), agent_events=aes, contact_records=ctr)
    assert aes.getvalue() == example(name).aes_bytes
    assert ctr.getvalue() == example(name).ctr_bytes
