"""examples/inbound-call.yaml: one agent's morning, checked field by field against what Amazon
documents for each record (reference §3, §4) and against the script's own times."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.golden.records import Output, acw_from_stream, at_ms, at_s, ms, slots, states, status

Example = Callable[[str], Output]


@pytest.fixture
def run(example: Example) -> Output:
    return example("inbound-call")


def test_the_call_record_follows_the_script(run: Output) -> None:
    record = run.record("c1")
    agent = record["Agent"]
    assert record["Channel"] == "VOICE"
    assert record["InitiationMethod"] == "INBOUND"
    assert record["InitiationTimestamp"] == at_s(10)
    # INBOUND: connected to the system when it arrived (reference §4.2)
    assert record["ConnectedToSystemTimestamp"] == record["InitiationTimestamp"]
    assert record["CustomerEndpoint"] == {"Address": "+15555550100", "Type": "TELEPHONE_NUMBER"}
    assert record["Queue"]["Name"] == "Sales"
    assert record["Queue"]["EnqueueTimestamp"] == at_s(10)
    assert record["Queue"]["DequeueTimestamp"] == at_s(14)
    assert record["Queue"]["Duration"] == 4
    assert agent["Username"] == "alice"
    assert agent["ARN"] == run.arn("alice")
    assert agent["RoutingProfile"]["Name"] == "Basic"
    assert agent["ConnectedToAgentTimestamp"] == at_s(14)
    assert record["DisconnectReason"] == "CUSTOMER_DISCONNECT"
    assert record["DisconnectTimestamp"] == at_s(75)
    assert agent["AfterContactWorkStartTimestamp"] == at_s(75)
    assert agent["AfterContactWorkEndTimestamp"] == at_s(90)
    assert agent["AfterContactWorkDuration"] == 15
    assert record["AgentConnectionAttempts"] == 1


def test_dequeue_is_when_the_agent_connected(run: Output) -> None:
    """Reference §4.4/§4.7: Dequeue = Agent.ConnectedToAgentTimestamp."""
    record = run.record("c1")
    assert record["Queue"]["DequeueTimestamp"] == record["Agent"]["ConnectedToAgentTimestamp"]


def test_acw_starts_at_disconnect(run: Output) -> None:
    """Reference §4.7: DisconnectTimestamp = AfterContactWorkStartTimestamp."""
    for contact_id in ("c1", "c2", "o1"):
        record = run.record(contact_id)
        assert record["DisconnectTimestamp"] == record["Agent"]["AfterContactWorkStartTimestamp"]


def test_hold_is_counted_and_left_out_of_interaction_time(run: Output) -> None:
    """Held from 30 s to 40 s: one hold of 10 s; talk = 75 - 14 - 10 = 51 s."""
    agent = run.record("c1")["Agent"]
    assert agent["NumberOfHolds"] == 1
    assert agent["CustomerHoldDuration"] == 10
    assert agent["LongestHoldDuration"] == 10
    assert agent["AgentInteractionDuration"] == 75 - 14 - 10


def test_hold_does_not_move_state_start(run: Output) -> None:
    """Reference §2.2: on hold, StateStartTimestamp keeps showing when the contact connected."""
    held = [r for r in run.changes("alice") if states(r).get("c1") == "CONNECTED_ONHOLD"]
    resumed = [r for r in run.changes("alice") if r["EventTimestamp"] == at_ms(40)]
    assert len(held) == 1
    assert held[0]["EventTimestamp"] == at_ms(30)
    for record in (held[0], resumed[0]):
        (contact,) = record["CurrentAgentSnapshot"]["Contacts"]
        assert contact["StateStartTimestamp"] == at_ms(14)
        assert contact["ConnectedToAgentTimestamp"] == at_ms(14)


def test_last_update_is_not_before_acw_end(run: Output) -> None:
    for record in run.ctr:
        agent = record["Agent"]
        assert record["LastUpdateTimestamp"] >= agent["AfterContactWorkEndTimestamp"]


def test_rejected_chat_counts_two_attempts_and_keeps_its_enqueue_time(run: Output) -> None:
    record = run.record("c2")
    assert record["Channel"] == "CHAT"
    assert record["InitiationMethod"] == "API"  # chats are always API (reference §4.2)
    assert record["AgentConnectionAttempts"] == 2
    assert record["Queue"]["EnqueueTimestamp"] == at_s(92)
    assert record["Queue"]["DequeueTimestamp"] == at_s(98)
    assert record["Queue"]["Duration"] == 6
    assert record["DisconnectReason"] == "AGENT_DISCONNECT"
    assert record["Agent"]["AgentInteractionDuration"] == 130 - 98
    assert record["Agent"]["NumberOfHolds"] == 0
    assert record["Recording"] is None
    assert record["Recordings"] == []


def test_rejected_chat_is_rejected_not_missed_and_offered_again(run: Output) -> None:
    seen = [(r["EventTimestamp"], states(r).get("c2")) for r in run.changes("alice")]
    assert (at_ms(92), "CONNECTING") in seen
    assert (at_ms(95), "REJECTED") in seen
    assert (at_ms(96), None) in seen
    assert (at_ms(96), "CONNECTING") in seen
    again = next(r for r in run.changes("alice") if r["EventTimestamp"] == at_ms(96) and states(r))
    (contact,) = again["CurrentAgentSnapshot"]["Contacts"]
    assert contact["QueueTimestamp"] == at_ms(92)  # back in its queue with its first enqueue time


def test_break_chosen_in_acw_clears_it_and_takes_effect_at_once(run: Output) -> None:
    """DESIGN §3.9: next status set, the ACW contact cleared, the new status: three records."""
    at_131 = [r for r in run.changes("alice") if r["EventTimestamp"] == at_ms(131)]
    assert len(at_131) == 3
    first, cleared, new_status = at_131
    assert first["CurrentAgentSnapshot"]["NextAgentStatus"]["Name"] == "Break"
    assert states(first) == {"c2": "ENDED"}
    assert status(first) == ("Available", "ROUTABLE")
    assert states(cleared) == {}
    assert status(new_status) == ("Break", "CUSTOM")
    assert "NextAgentStatus" not in new_status["CurrentAgentSnapshot"]
    assert new_status["CurrentAgentSnapshot"]["AgentStatus"]["StartTimestamp"] == at_ms(131)


def test_outbound_from_break_keeps_the_status(run: Output) -> None:
    record = run.record("o1")
    assert record["InitiationMethod"] == "OUTBOUND"
    assert record["InitiationTimestamp"] == at_s(140)
    assert record["Agent"]["AfterContactWorkDuration"] == 10
    on_call = [r for r in run.changes("alice") if "o1" in states(r)]
    assert [states(r)["o1"] for r in on_call] == ["CONNECTING", "CONNECTED", "ENDED"]
    assert {status(r) for r in on_call} == {("Break", "CUSTOM")}
    for r in on_call:
        (contact,) = r["CurrentAgentSnapshot"]["Contacts"]
        assert contact["InitiationMethod"] == "OUTBOUND"
        assert contact["QueueTimestamp"] is None  # agent-initiated: never queued


def test_acw_by_aws_method_equals_the_script_and_the_records(run: Output) -> None:
    spans = acw_from_stream(run.aes)
    alice = run.arn("alice")
    # ended at 75 s, cleared at 90 s; chat ended at 130 s, cleared by the Break at 131 s;
    # outbound ended at 200 s, cleared at 210 s
    expected = {"c1": (75, 90), "c2": (130, 131), "o1": (200, 210)}
    assert set(spans) == {(alice, c) for c in expected}
    for contact_id, (start, end) in expected.items():
        span = spans[alice, contact_id]
        assert (span.start_ms, span.end_ms) == (ms(at_ms(start)), ms(at_ms(end))), contact_id
        assert span.seconds == end - start
        assert run.record(contact_id)["Agent"]["AfterContactWorkDuration"] == end - start


def test_voice_slot_is_held_from_offer_to_clear(run: Output) -> None:
    by_time = [(r["EventTimestamp"], slots(r)["VOICE"][0]) for r in run.changes("alice")]
    assert (at_ms(1), 1) in by_time
    assert (at_ms(10), 0) in by_time  # ringing holds the slot
    assert (at_ms(75), 0) in by_time  # ACW holds the slot
    assert (at_ms(90), 1) in by_time  # cleared


def test_logout_sets_offline_then_logs_out(run: Output) -> None:
    last_change, logout = run.of("alice")[-3:-1]
    assert last_change["EventType"] == "STATE_CHANGE"
    assert status(last_change) == ("Offline", "OFFLINE")
    assert logout["EventType"] == "LOGOUT"
    assert last_change["EventTimestamp"] == logout["EventTimestamp"] == at_ms(240)


def test_heartbeat_after_logout_carries_the_offline_snapshot(run: Output) -> None:
    """120 s after the last record, still within the hour after logout (reference §3.1)."""
    beats = run.of("alice", "HEART_BEAT")
    assert [b["EventTimestamp"] for b in beats] == [at_ms(360)]
    (beat,) = beats
    offline = run.changes("alice")[-1]["CurrentAgentSnapshot"]
    assert beat["CurrentAgentSnapshot"] == offline
    assert beat["PreviousAgentSnapshot"] == offline
