"""examples/missed-offer.yaml: an offer that times out after 20 s goes MISSED on alice, is routed
to bob keeping its enqueue time, and alice clears it (DESIGN §3.5, reference §6.1)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.golden.records import Output, acw_from_stream, at_ms, at_s, ms, slots, states

Example = Callable[[str], Output]


@pytest.fixture
def run(example: Example) -> Output:
    return example("missed-offer")


def test_alice_rings_for_the_offer_timeout_then_misses(run: Output) -> None:
    seen = [(r["EventTimestamp"], states(r), slots(r)["VOICE"][0]) for r in run.changes("alice")]
    assert seen[:4] == [
        (at_ms(1), {}, 1),
        (at_ms(10), {"c1": "CONNECTING"}, 0),
        (at_ms(30), {"c1": "MISSED"}, 0),  # 20 s later; the missed contact still holds the slot
        (at_ms(35), {}, 1),  # cleared by alice
    ]


def test_missed_contact_blocks_routing_until_cleared(run: Output) -> None:
    """c2 arrives at 31 s while alice's copy of c1 is MISSED (bob is ringing): it waits, and is
    offered to alice the instant she clears (DESIGN §3.2, §3.5)."""
    seen = [(r["EventTimestamp"], states(r)) for r in run.changes("alice")]
    assert seen[3:] == [
        (at_ms(35), {}),
        (at_ms(35), {"c2": "CONNECTING"}),
        (at_ms(37), {"c2": "CONNECTED"}),
        (at_ms(60), {"c2": "ENDED"}),
        (at_ms(65), {}),
    ]
    record = run.record("c2")
    assert record["Queue"]["EnqueueTimestamp"] == at_s(31)
    assert record["Queue"]["DequeueTimestamp"] == at_s(37)
    assert record["AgentConnectionAttempts"] == 1


def test_incoming_connecting_time_is_the_offer_timeout(run: Output) -> None:
    """Reference §3.3: incoming connecting time runs from CONNECTING to MISSED."""
    changes = run.changes("alice")
    ringing = changes[1]["CurrentAgentSnapshot"]["Contacts"][0]
    missed = changes[2]["CurrentAgentSnapshot"]["Contacts"][0]
    assert ms(missed["StateStartTimestamp"]) - ms(ringing["StateStartTimestamp"]) == 20_000
    assert missed["ConnectedToAgentTimestamp"] is None


def test_bob_is_offered_it_at_the_same_instant_with_the_first_enqueue_time(run: Output) -> None:
    bob = [(r["EventTimestamp"], states(r)) for r in run.changes("bob")]
    assert bob == [
        (at_ms(2), {}),
        (at_ms(30), {"c1": "CONNECTING"}),
        (at_ms(33), {"c1": "CONNECTED"}),
        (at_ms(90), {"c1": "ENDED"}),
        (at_ms(100), {}),
    ]
    offered = run.changes("bob")[1]["CurrentAgentSnapshot"]["Contacts"][0]
    assert offered["QueueTimestamp"] == at_ms(10)


def test_missed_is_recorded_before_the_new_offer(run: Output) -> None:
    at_30 = [r for r in run.aes if r["EventTimestamp"] == at_ms(30)]
    assert [(r["AgentARN"], states(r)) for r in at_30] == [
        (run.arn("alice"), {"c1": "MISSED"}),
        (run.arn("bob"), {"c1": "CONNECTING"}),
    ]


def test_one_record_with_two_attempts(run: Output) -> None:
    assert sorted(r["ContactId"] for r in run.ctr) == ["c1", "c2"]
    record = run.record("c1")
    assert record["AgentConnectionAttempts"] == 2
    assert record["Agent"]["Username"] == "bob"
    assert record["Agent"]["ARN"] == run.arn("bob")
    assert record["Agent"]["ConnectedToAgentTimestamp"] == at_s(33)
    queue = record["Queue"]
    assert queue["EnqueueTimestamp"] == at_s(10)
    assert queue["DequeueTimestamp"] == at_s(33)
    assert queue["Duration"] == 23  # from the first enqueue, not from the re-route
    assert record["DisconnectReason"] == "CUSTOMER_DISCONNECT"
    assert record["Agent"]["AgentInteractionDuration"] == 90 - 33
    assert record["Agent"]["AfterContactWorkDuration"] == 10
    assert record["Recording"] is not None


def test_acw_of_c1_is_bobs(run: Output) -> None:
    spans = acw_from_stream(run.aes)
    assert set(spans) == {(run.arn("bob"), "c1"), (run.arn("alice"), "c2")}
    span = spans[run.arn("bob"), "c1"]
    assert (span.start_ms, span.end_ms) == (ms(at_ms(90)), ms(at_ms(100)))
    assert span.seconds == run.record("c1")["Agent"]["AfterContactWorkDuration"] == 10
