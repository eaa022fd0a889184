"""examples/break-outbound.yaml: a Break agent dials out (DESIGN §3.10, reference §6.8): the status
stays Break (CUSTOM: NPT) while the contact makes her On contact; inbound calls pass her by."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from switchboard.domain.activity import Activity, activity_name
from switchboard.domain.model import ContactState, StatusType
from switchboard.engine.engine import AgentStreamRecord
from switchboard.sim.script import load_script, run_script
from tests.golden.records import EXAMPLES, Output, acw_from_stream, at_ms, at_s, ms, states, status

Example = Callable[[str], Output]


@pytest.fixture
def run(example: Example) -> Output:
    return example("break-outbound")


def test_status_stays_break_through_the_call(run: Output) -> None:
    seen = [(r["EventTimestamp"], status(r), states(r)) for r in run.changes("alice")]
    assert seen == [
        (at_ms(1), ("Break", "CUSTOM"), {}),
        (at_ms(10), ("Break", "CUSTOM"), {"o1": "CONNECTING"}),
        (at_ms(15), ("Break", "CUSTOM"), {"o1": "CONNECTED"}),
        (at_ms(70), ("Break", "CUSTOM"), {"o1": "ENDED"}),
        (at_ms(80), ("Break", "CUSTOM"), {}),
    ]
    for record in run.changes("alice"):
        assert record["CurrentAgentSnapshot"]["AgentStatus"]["StartTimestamp"] == at_ms(1)


def test_activity_is_on_contact_while_status_is_break() -> None:
    """NPT and On contact at once: the activity of each snapshot, from its status and contacts."""
    script = load_script(EXAMPLES / "break-outbound.yaml")
    seen: list[tuple[str, str, str]] = []

    def note(record: AgentStreamRecord) -> None:
        current = record.current
        if current is not None:
            seen.append(
                (
                    current.status.type.value,
                    activity_name(current.activity, current.status.name),
                    ",".join(c.state.value for c in current.contacts),
                )
            )

    run_script(script, on_agent_event=note)
    assert seen == [
        (StatusType.CUSTOM.value, "Break", ""),
        (StatusType.CUSTOM.value, Activity.ON_CONTACT.value, ContactState.CONNECTING.value),
        (StatusType.CUSTOM.value, Activity.ON_CONTACT.value, ContactState.CONNECTED.value),
        (StatusType.CUSTOM.value, Activity.AFTER_CONTACT_WORK.value, ContactState.ENDED.value),
        (StatusType.CUSTOM.value, "Break", ""),
    ]


def test_outbound_contact_in_the_stream(run: Output) -> None:
    dialing, talking, acw = (
        r["CurrentAgentSnapshot"]["Contacts"][0] for r in run.changes("alice")[1:4]
    )
    for contact in (dialing, talking, acw):
        assert contact["ContactId"] == "o1"
        assert contact["Channel"] == "VOICE"
        assert contact["InitiationMethod"] == "OUTBOUND"
        assert contact["QueueTimestamp"] is None
        assert contact["Queue"]["Name"] == "Sales"  # the profile's default outbound queue
    assert dialing["StateStartTimestamp"] == at_ms(10)
    assert dialing["ConnectedToAgentTimestamp"] is None
    # as in AWS's ACW example: connected = the CONNECTED state's start
    assert talking["StateStartTimestamp"] == talking["ConnectedToAgentTimestamp"] == at_ms(15)
    assert acw["StateStartTimestamp"] == at_ms(70)


def test_outbound_record(run: Output) -> None:
    record = run.record("o1")
    agent = record["Agent"]
    assert record["InitiationMethod"] == "OUTBOUND"
    assert record["InitiationTimestamp"] == at_s(10)  # when she began dialing
    assert record["ConnectedToSystemTimestamp"] == at_s(15)  # when the customer answered
    assert record["CustomerEndpoint"] == {"Address": "+15555550123", "Type": "TELEPHONE_NUMBER"}
    assert record["DisconnectReason"] == "AGENT_DISCONNECT"
    assert record["DisconnectTimestamp"] == at_s(70)
    assert record["AgentConnectionAttempts"] == 1
    assert record["Queue"]["Name"] == "Sales"
    assert record["Queue"]["EnqueueTimestamp"] is None
    assert agent["Username"] == "alice"
    assert agent["AfterContactWorkStartTimestamp"] == at_s(70)
    assert agent["AfterContactWorkEndTimestamp"] == at_s(80)
    assert agent["AfterContactWorkDuration"] == 10
    # "for outbound, the time the agent was connected to the contact even if the customer is
    # not present" (reference §4.3): from the dial at 10 s to the hang-up at 70 s
    assert agent["AgentInteractionDuration"] == 60
    assert record["Recording"] is not None  # the customer answered: the call was recorded


def test_inbound_call_is_not_offered_to_a_break_agent(run: Output) -> None:
    assert all("c1" not in states(r) for r in run.changes("alice"))
    record = run.record("c1")
    assert record["Agent"] is None
    assert record["AgentConnectionAttempts"] == 0
    assert record["DisconnectReason"] == "CUSTOMER_DISCONNECT"
    assert record["Queue"]["Duration"] == 30


def test_acw_by_aws_method(run: Output) -> None:
    spans = acw_from_stream(run.aes)
    span = spans[run.arn("alice"), "o1"]
    assert (span.start_ms, span.end_ms) == (ms(at_ms(70)), ms(at_ms(80)))
    assert span.seconds == 10 == run.record("o1")["Agent"]["AfterContactWorkDuration"]
