"""examples/abandoned-call.yaml: callers who hang up before an agent answers (DESIGN §3.6,
reference §4.1): no Agent, CUSTOMER_DISCONNECT, no recording, while queued and while ringing."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.golden.records import Output, acw_from_stream, at_ms, at_s, slots, states

Example = Callable[[str], Output]


@pytest.fixture
def run(example: Example) -> Output:
    return example("abandoned-call")


@pytest.mark.parametrize("contact_id", ["c1", "c2"])
def test_abandoned_contact_has_no_agent_and_no_recording(run: Output, contact_id: str) -> None:
    record = run.record(contact_id)
    assert record["Agent"] is None
    assert record["DisconnectReason"] == "CUSTOMER_DISCONNECT"
    assert record["Recording"] is None
    assert record["Recordings"] == []
    assert record["InitiationMethod"] == "INBOUND"
    assert record["ConnectedToSystemTimestamp"] == record["InitiationTimestamp"]
    # the record is final at the hang-up: nothing happens to it afterwards
    assert record["LastUpdateTimestamp"] == record["DisconnectTimestamp"]


def test_caller_hanging_up_in_queue(run: Output) -> None:
    record = run.record("c1")
    assert record["AgentConnectionAttempts"] == 0
    assert record["InitiationTimestamp"] == at_s(5)
    assert record["DisconnectTimestamp"] == at_s(25)
    queue = record["Queue"]
    assert queue["Name"] == "Sales"
    assert queue["EnqueueTimestamp"] == at_s(5)
    assert queue["DequeueTimestamp"] == at_s(25)  # removed from the queue when the caller left
    assert queue["Duration"] == 20


def test_caller_hanging_up_while_ringing(run: Output) -> None:
    record = run.record("c2")
    assert record["AgentConnectionAttempts"] == 1
    assert record["InitiationTimestamp"] == at_s(40)
    assert record["DisconnectTimestamp"] == at_s(48)
    queue = record["Queue"]
    assert queue["EnqueueTimestamp"] == at_s(40)
    assert queue["DequeueTimestamp"] == at_s(48)
    assert queue["Duration"] == 8


def test_nothing_reaches_the_offline_agent(run: Output) -> None:
    """alice is logged in but Offline while c1 waits: LOGIN only, no STATE_CHANGE before 30 s."""
    early = [r for r in run.of("alice") if r["EventTimestamp"] < at_ms(30)]
    assert [r["EventType"] for r in early] == ["LOGIN"]
    assert all("c1" not in states(r) for r in run.changes("alice"))


def test_ringing_copy_turns_missed_and_blocks_until_cleared(run: Output) -> None:
    seen = [(r["EventTimestamp"], states(r), slots(r)["VOICE"][0]) for r in run.changes("alice")]
    assert seen == [
        (at_ms(30), {}, 1),
        (at_ms(40), {"c2": "CONNECTING"}, 0),
        (at_ms(48), {"c2": "MISSED"}, 0),
        (at_ms(55), {}, 1),
    ]
    missed = run.changes("alice")[2]["CurrentAgentSnapshot"]["Contacts"][0]
    assert missed["StateStartTimestamp"] == at_ms(48)
    assert missed["ConnectedToAgentTimestamp"] is None
    assert missed["QueueTimestamp"] == at_ms(40)


def test_no_acw_anywhere(run: Output) -> None:
    assert acw_from_stream(run.aes) == {}
    assert all("ENDED" not in states(r).values() for r in run.changes("alice"))
